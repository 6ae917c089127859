//! The printable minutes and certificates: `Accept: application/pdf` on the same routes,
//! checked through the text `pdftotext` (Debian `poppler-utils`) extracts from the PDF.
//! User text is data: typst markup planted in it prints as typed.

use super::records::board_with_officers;
use super::*;
use crate::support::{
    expect_json,
    pdf::{assert_holds, holds},
};

/// Typst markup, escapes, accents and an emoji: printed as typed, never interpreted.
const HOSTILE: &str =
    r#"#panic("x") [nota] *negrita* $x^2$ \ruta\ _sub_ <etiqueta> @ref // ñandú, acción, ÉXITO 🎬"#;

/// GET `path` with `Accept: accept`.
async fn get_with(a: &Assembly, token: &str, path: &str, accept: &str) -> reqwest::Response {
    a.app.get_with_accept(token, path, accept).await
}

/// The PDF at `path` and its text.
async fn pdf_text(a: &Assembly, token: &str, path: &str) -> String {
    a.app.pdf_text(token, path).await
}

#[tokio::test]
async fn minutes_and_certificates_print_as_pdf_with_their_facts_and_user_text_as_typed() {
    let a = assembly(3, json!({})).await;
    let t = &a.admin.token;
    let agenda = json!([
        {"title": format!("Cuentas {HOSTILE}"), "kind": "resolution"},
        {"title": "Informe de la presidencia", "kind": "informative"}
    ]);
    let (meeting, roll, items) = constituted(&a, agenda, 3).await;
    let votes: Vec<Value> = roll
        .iter()
        .zip(["yes", "yes", "no"])
        .map(|(e, c)| json!({"roll_entry_id": e, "choice": c}))
        .collect();
    let vote = json!({"votes": votes,
        "dissents": [{"roll_entry_id": roll[2], "reason": format!("Discrepo {HOSTILE}")}]});
    let resolution: Value =
        expect_json(a.app.try_resolve(t, meeting, items[0], &vote).await, 201).await;
    let minutes = format!("/api/v1/meetings/{meeting}/minutes");
    let summary = json!({"debate_summary": format!("Resumen {HOSTILE}")});
    let res = a
        .app
        .send_as("PUT", t, &minutes, None, Some(&summary))
        .await;
    assert_eq!(res.status(), 200);

    // The draft: its facts, marked as a draft, the user's text as typed.
    let text = pdf_text(&a, t, &minutes).await;
    for fact in [
        "Acta de la reunión ordinaria de Asamblea General",
        "BORRADOR",
        "Asistencia y quórum",
        "Orden del día",
        "Informe de la presidencia",
        "Resumen del debate",
        "Acuerdos",
        "Acuerdo ADOPTADO",
        "válidamente constituida en primera convocatoria",
        "Voto en contra hecho constar",
        "Página 1 de",
        "SHA-256 de los datos",
    ] {
        assert_holds(&text, fact);
    }
    assert_holds(&text, &format!("Resumen {HOSTILE}"));
    assert_holds(&text, &format!("Cuentas {HOSTILE}"));
    assert_holds(&text, &format!("Discrepo {HOSTILE}"));
    // The tally (2 yes, 1 no, 0 abstentions of 3 present) and the three members present.
    let m: Value = a.app.get_ok(t, &minutes).await;
    let entries = m["content"]["attendance"].as_array().unwrap();
    for e in entries {
        assert_holds(&text, e["member_name"].as_str().unwrap());
    }
    assert_holds(&text, "Presente");
    assert_holds(&text, "A favor En contra Abstenciones");

    // A certificate issued now says the minutes are pending.
    board_with_officers(&a).await;
    let certificates = format!("/api/v1/resolutions/{}/certificates", id(&resolution));
    let purpose = json!({"purpose": format!("fines {HOSTILE}")});
    let pending: Value = expect_json(a.app.post_json(t, &certificates, &purpose).await, 201).await;
    let pending_path = format!("{certificates}/{}", id(&pending));
    let text = pdf_text(&a, t, &pending_path).await;
    for fact in [
        "Certificado de acuerdo",
        "pendiente de aprobación del acta",
        "Luis Secretario",
        "Ana Presidenta",
        "2 a favor, 1 en contra, 0 abstenciones",
        pending["content_sha256"].as_str().unwrap(),
    ] {
        assert_holds(&text, fact);
    }
    assert_holds(&text, &format!("fines {HOSTILE}"));

    // Approved: the minutes print their frozen content's SHA-256; a new certificate is not
    // pending, and the first one still is.
    let approved: Value = expect_json(
        a.app
            .post_json(t, &format!("{minutes}/approval"), &json!({}))
            .await,
        200,
    )
    .await;
    let text = pdf_text(&a, t, &minutes).await;
    assert!(!holds(&text, "BORRADOR"), "{text}");
    assert_holds(&text, "Acta aprobada el");
    assert_holds(&text, approved["content_sha256"].as_str().unwrap());
    let later: Value = expect_json(a.app.post_json(t, &certificates, &json!({})).await, 201).await;
    let text = pdf_text(&a, t, &format!("{certificates}/{}", id(&later))).await;
    assert!(!holds(&text, "pendiente de aprobación del acta"), "{text}");
    assert_holds(&text, "El acta de la reunión fue aprobada");
    assert_holds(
        &pdf_text(&a, t, &pending_path).await,
        "pendiente de aprobación del acta",
    );

    // A representative on the roll reads the approved minutes as PDF too.
    let rep = a.app.representative(&a.admin, a.members[0]).await;
    assert_holds(&pdf_text(&a, &rep.token, &minutes).await, "Acta");
}

#[tokio::test]
async fn other_accept_headers_keep_the_json_answer_and_visibility_comes_first() {
    let a = assembly(3, json!({})).await;
    let t = &a.admin.token;
    let agenda = json!([{"title": "Cuentas de 2025", "kind": "resolution"}]);
    let (meeting, _, _) = constituted(&a, agenda, 3).await;
    let minutes = format!("/api/v1/meetings/{meeting}/minutes");
    let summary = json!({"debate_summary": "Sin debate."});
    let res = a
        .app
        .send_as("PUT", t, &minutes, None, Some(&summary))
        .await;
    assert_eq!(res.status(), 200);
    // No PDF asked for (or JSON preferred): JSON, with its ETag, as before.
    for accept in [
        "application/json",
        "application/xml",
        "*/*",
        "application/pdf;q=0",
        "application/json, application/pdf;q=0.5",
    ] {
        let res = get_with(&a, t, &minutes, accept).await;
        assert_eq!(res.status(), 200, "{accept}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{accept}"
        );
        assert!(res.headers().contains_key("etag"), "{accept}");
        assert_eq!(res.headers()["vary"], "Accept", "{accept}");
    }
    // A representative does not see draft minutes, in any format.
    let rep = a.app.representative(&a.admin, a.members[0]).await;
    let res = get_with(&a, &rep.token, &minutes, "application/pdf").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}
