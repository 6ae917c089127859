//! Printable documents: a route's PDF (`Accept: application/pdf`) and its text as
//! `pdftotext` (Debian `poppler-utils`) extracts it.

use super::TestApp;

/// Whether `text` holds `needle` with line breaks (and any spacing) aside.
pub fn holds(text: &str, needle: &str) -> bool {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    squeeze(text).contains(&squeeze(needle))
}

#[track_caller]
pub fn assert_holds(text: &str, needle: &str) {
    assert!(
        holds(text, needle),
        "{needle:?} not in the PDF's text:\n{text}"
    );
}

/// The SHA-256 (hex) of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl TestApp {
    /// GET `path` with `Accept: accept`.
    pub async fn get_with_accept(
        &self,
        token: &str,
        path: &str,
        accept: &str,
    ) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .header("accept", accept)
            .send()
            .await
            .unwrap()
    }

    /// The PDF at `path` (asserting the answer is one: 200, `application/pdf`, `Vary:
    /// Accept`) and its text, as `pdftotext` reads it.
    pub async fn pdf_text(&self, token: &str, path: &str) -> String {
        let res = self.get_with_accept(token, path, "application/pdf").await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-type"], "application/pdf");
        assert_eq!(res.headers()["vary"], "Accept");
        let bytes = res.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("doc.pdf");
        std::fs::write(&file, &bytes).unwrap();
        let out = std::process::Command::new("pdftotext")
            .arg("-enc")
            .arg("UTF-8")
            .arg(&file)
            .arg("-")
            .output()
            .expect("pdftotext (Debian poppler-utils) must be installed");
        assert!(out.status.success(), "pdftotext failed");
        String::from_utf8(out.stdout).unwrap()
    }
}
