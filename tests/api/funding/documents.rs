//! Documents of applications: checked, stored with their checksum, served intact.

use serde_json::json;
use uuid::Uuid;

use crate::support::{
    TestApp, TestUser, assert_problem,
    funding::{Document, Upload, documents_path},
    spawn_app, spawn_app_with,
};

const PDF: &[u8] = b"%PDF-1.7\n% Memoria t\xc3\xa9cnica\n%%EOF\n";

/// An app that takes documents of up to 64 KiB, with two funders, a call of the first and a
/// draft application to it: (app, admin, the call's funder, the other, the application).
async fn documents_app() -> (TestApp, TestUser, Uuid, Uuid, Uuid) {
    let app = spawn_app_with(|c| c.document_max_bytes = 64 * 1024).await;
    let admin = app.admin().await;
    let t = &admin.token;
    let funder = app.new_funder(t, "Ministerio").await;
    let other = app.new_funder(t, "Otra entidad").await;
    let call = app.new_call(t, funder, -1, 10).await;
    let a = app.new_application(t, call, &json!({})).await.id;
    (app, admin, funder, other, a)
}

/// Uploads the technical report (a small PDF) to `a`.
async fn upload_report(app: &TestApp, token: &str, a: Uuid) -> Document {
    let file = Upload {
        filename: "Memoria técnica 🎬.pdf",
        content_type: "application/pdf",
        bytes: PDF,
        description: Some("Memoria ñ"),
    };
    app.upload_document(token, a, &file).await
}

/// A file without description.
fn file<'a>(filename: &'a str, content_type: &'a str, bytes: &'a [u8]) -> Upload<'a> {
    Upload {
        filename,
        content_type,
        bytes,
        description: None,
    }
}

#[tokio::test]
async fn a_document_is_stored_with_its_checksum_and_downloaded_intact() {
    let (app, admin, _, _, a) = documents_app().await;
    let doc = upload_report(&app, &admin.token, a).await;
    let sha = {
        use sha2::Digest;
        sha2::Sha256::digest(PDF)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(doc.sha256, sha);
    assert_eq!(doc.size_bytes, PDF.len());
    assert_eq!(doc.filename, "Memoria técnica 🎬.pdf");
    assert_eq!(doc.description.as_deref(), Some("Memoria ñ"));
    let res = app.download(&admin.token, &doc).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(
        res.headers()["etag"].to_str().unwrap(),
        format!("\"{sha}\"")
    );
    assert!(
        res.headers()["repr-digest"]
            .to_str()
            .unwrap()
            .starts_with("sha-256=:")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("UTF-8''Memoria%20t%C3%A9cnica")
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), PDF);
}

#[tokio::test]
async fn a_document_too_large_mislabelled_or_of_a_refused_type_leaves_nothing_behind() {
    let (app, admin, _, _, a) = documents_app().await;
    let t = &admin.token;
    upload_report(&app, t, a).await;
    let big = [b"%PDF-".to_vec(), vec![b'x'; 64 * 1024]].concat();
    let res = app
        .try_upload(t, a, &file("grande.pdf", "application/pdf", &big))
        .await;
    assert_problem(res, 413, "document_too_large").await;
    let res = app
        .try_upload(t, a, &file("falso.pdf", "application/pdf", b"MZ\x90\x00"))
        .await;
    assert_problem(res, 422, "content_mismatch").await;
    let res = app
        .try_upload(
            t,
            a,
            &file("virus.exe", "application/x-msdownload", b"MZ\x90\x00"),
        )
        .await;
    assert_problem(res, 415, "unsupported_document_type").await;
    let res = app.post_json(t, &documents_path(a), &json!({})).await;
    assert_eq!(res.status(), 415);
    assert_eq!(app.documents(t, a).await.len(), 1);
}

#[tokio::test]
async fn the_call_s_funder_adds_and_reads_documents_and_another_sees_none() {
    let (app, admin, funder, other, a) = documents_app().await;
    let doc = upload_report(&app, &admin.token, a).await;
    let partner = app
        .user_with(&admin, "partner", json!({"funder_id": funder}))
        .await;
    let stranger = app
        .user_with(&admin, "partner", json!({"funder_id": other}))
        .await;
    app.transition_to(&admin.token, a, "submitted").await;
    let requirement = file(
        "requerimiento.txt",
        "text/plain",
        "Falta la memoria económica.".as_bytes(),
    );
    let res = app.try_upload(&partner.token, a, &requirement).await;
    assert_eq!(res.status(), 201);
    let res = app.download(&stranger.token, &doc).await;
    assert_eq!(res.status(), 404);
    let res = app
        .try_upload(&stranger.token, a, &file("x.txt", "text/plain", b"x"))
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn documents_can_live_on_disk_behind_the_same_interface() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(move |c| c.document_dir = Some(path)).await;
    let admin = app.admin().await;
    let t = &admin.token;
    let funder = app.new_funder(t, "Ministerio").await;
    let call = app.new_call(t, funder, -1, 10).await;
    let a = app.new_application(t, call, &json!({})).await.id;
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    let res = app
        .try_upload(t, a, &file("logo.png", "image/png", &png))
        .await;
    let doc: Document = res.json().await.unwrap();
    let stored = std::fs::read(dir.path().join(doc.id.to_string())).unwrap();
    assert_eq!(stored, png);
    // Readable by the service's user only, whatever the umask.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join(doc.id.to_string()))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let res = app.download(t, &doc).await;
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);
    // An altered copy is never served as the original.
    std::fs::write(
        dir.path().join(doc.id.to_string()),
        b"\x89PNG\r\n\x1a\nalterado",
    )
    .unwrap();
    let res = app.download(t, &doc).await;
    assert_eq!(res.status(), 500);
}

#[tokio::test]
async fn a_retried_upload_with_an_idempotency_key_stores_one_document() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    let funder = app.new_funder(t, "Ministerio").await;
    let call = app.new_call(t, funder, -1, 10).await;
    let a = app.new_application(t, call, &json!({})).await.id;
    // Larger than the JSON body limit (1 MiB), within the document limit (10 MiB).
    let pdf = [b"%PDF-1.7\n".to_vec(), vec![b'0'; 2 * 1024 * 1024]].concat();
    let report = file("memoria.pdf", "application/pdf", &pdf);
    let mut ids = Vec::new();
    // A client builds the form again for the retry, with a new random boundary.
    for boundary in ["b-7d1f", "b-0c3e9a"] {
        let res = app
            .try_upload_keyed(t, a, &report, boundary, Some("subida-memoria-1"))
            .await;
        assert_eq!(res.status(), 201);
        ids.push(res.json::<Document>().await.unwrap().id);
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(app.documents(t, a).await.len(), 1);
}

/// Sends a request head and the start of a body over a raw connection that then stays
/// open, and returns the status line of the answer (or `None` when none came in 10 s).
/// A form refused as it arrives is answered without waiting for the rest of the body.
fn answer_before_the_body_ends(
    port: u16,
    token: &str,
    path: &str,
    declared: usize,
    start: &[u8],
) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=b1\r\nContent-Length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(start).unwrap();
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    text.lines().next().map(str::to_owned)
}

#[tokio::test]
async fn a_form_is_refused_at_its_first_unknown_part_or_third_part_without_reading_on() {
    let (app, admin, _, _, a) = documents_app().await;
    let (t, path) = (admin.token.clone(), documents_path(a));
    // An unknown part first, and then the body never ends: the answer must not wait for it
    // (it used to read every part to the end before answering, so millions of tiny parts
    // were all read and kept).
    let start = b"--b1\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nx\r\n--b1\r\n".to_vec();
    let (port, t2, p2) = (app.port, t.clone(), path.clone());
    let status = tokio::task::spawn_blocking(move || {
        answer_before_the_body_ends(port, &t2, &p2, 60 * 1024, &start)
    })
    .await
    .unwrap();
    assert_eq!(status.as_deref(), Some("HTTP/1.1 422 Unprocessable Entity"));
    // A declared length beyond what a file and a description may hold: refused at once.
    let (port, t2, p2) = (app.port, t.clone(), path.clone());
    let status = tokio::task::spawn_blocking(move || {
        answer_before_the_body_ends(port, &t2, &p2, 1 << 30, b"--b1\r\n")
    })
    .await
    .unwrap();
    assert_eq!(status.as_deref(), Some("HTTP/1.1 413 Payload Too Large"));
    // A third part, even a known one, is refused and nothing is stored.
    let form = "--b1\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
                Content-Type: text/plain\r\n\r\nhola\r\n\
                --b1\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nuno\r\n\
                --b1\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\ndos\r\n--b1--\r\n";
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(&t)
        .header("content-type", "multipart/form-data; boundary=b1")
        .body(form)
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "too_many_parts");
    assert!(app.documents(&t, a).await.is_empty());
}
