//! Printable documents (PDF): `Accept: application/pdf` on a resource that has one (the
//! minutes and certificates of governance; the AEI register, transparency and European
//! profile reports).
//!
//! The engine is typst, compiled in as a library (`typst-as-lib`, `typst-pdf`) with the fonts
//! of `typst-assets` and Symbola (emoji) embedded in the binary, so nothing is read from disk
//! or fetched at run time. A document is a template (a `.typ` file compiled into the binary with
//! `include_str!`) filled with **data passed as data**: the document's JSON and the page's
//! particulars reach the template as `sys.inputs` strings that it decodes with
//! `json(bytes(…))`. No user text is ever spliced into markup, so `#`, `[`, `*`, `$` or a
//! backslash in a name or a summary print as typed.
//!
//! Every template imports `common.typ` (A4, Spanish, the issuer and title in the header; the
//! date, the SHA-256 of the data the document was made from and "Página n de m" in the
//! footer), so all printable documents look alike.
//!
//! Rendering is CPU-bound: it runs on the blocking pool, at most one per core at a time
//! (more wait their turn), never on an actix worker.

use std::sync::{LazyLock, OnceLock};

use actix_web::{HttpRequest, HttpResponse, http::header};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use typst::{
    foundations::{Dict, IntoValue},
    layout::PagedDocument,
};
use typst_as_lib::{TypstEngine, TypstTemplateCollection};
use utoipa::ToSchema;

use crate::error::ApiError;

/// The media type.
pub const APPLICATION_PDF: &str = "application/pdf";

/// The page every document shares (imported by each template as `common.typ`).
const COMMON: &str = include_str!("pdf/common.typ");

/// Emoji and symbols, which typst's own fonts lack (see `pdf/fonts/README.md`).
const SYMBOLA: &[u8] = include_bytes!("pdf/fonts/Symbola.ttf");

/// A PDF document (binary): the printable form of a resource, A4, in Spanish.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PdfFile(pub Vec<u8>);

/// A template: its source (compiled into the binary) and, once first used, its engine.
pub struct Template {
    name: &'static str,
    source: &'static str,
    engine: OnceLock<TypstEngine<TypstTemplateCollection>>,
}

impl Template {
    /// A template named `name` (for logs) with its typst `source`, which may
    /// `#import "common.typ"`.
    pub const fn new(name: &'static str, source: &'static str) -> Self {
        Self {
            name,
            source,
            engine: OnceLock::new(),
        }
    }

    fn engine(&self) -> &TypstEngine<TypstTemplateCollection> {
        self.engine.get_or_init(|| {
            TypstEngine::builder()
                .with_static_source_file_resolver([
                    ("main.typ", self.source),
                    ("common.typ", COMMON),
                ])
                .fonts(typst_assets::fonts().chain([SYMBOLA]))
                .build()
        })
    }
}

/// The particulars every page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// The document's title (header, and the PDF's metadata).
    pub title: String,
    /// Who issues it: the cluster's legal name (header, and the PDF's author).
    pub issuer: String,
    /// When it was made, as printed (Madrid time).
    pub generated_at: String,
    /// SHA-256 (hex) of the JSON text of the data it was made from.
    pub data_sha256: String,
}

/// Renders at most this many documents at once (one per core): more wait.
static SLOTS: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
});

/// What every page prints when the cluster's record is not set up yet.
pub const DEFAULT_ISSUER: &str = "agrupa";

/// The issuer printed on every page: the cluster's legal name, once its record exists.
pub async fn issuer(conn: &mut diesel_async::AsyncPgConnection) -> Result<String, ApiError> {
    Ok(crate::cluster::repo::find(conn, false)
        .await?
        .map_or_else(|| DEFAULT_ISSUER.to_owned(), |c| c.legal_name))
}

/// Whether the client asked for PDF: `application/pdf` named in `Accept` with a weight
/// above zero, and JSON not preferred over it (`application/json` with a higher weight).
/// Any other `Accept` keeps the JSON answer, as before.
pub fn wanted(req: &HttpRequest) -> bool {
    let (mut pdf, mut json) = (None::<f32>, None::<f32>);
    for range in req
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if media.eq_ignore_ascii_case(APPLICATION_PDF) {
            pdf = Some(pdf.map_or(q, |p| p.max(q)));
        } else if media.eq_ignore_ascii_case("application/json") {
            json = Some(json.map_or(q, |j| j.max(q)));
        }
    }
    pdf.is_some_and(|p| p > 0.0 && json.is_none_or(|j| j <= p))
}

/// The SHA-256 (hex) of `text`.
fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Renders `template` with `data` (the document's own data) on pages titled `title` and
/// issued by `issuer`. Off the async workers, at most one per core at a time.
pub async fn render<T: Serialize>(
    template: &'static Template,
    title: &str,
    issuer: &str,
    data: &T,
) -> Result<Vec<u8>, ApiError> {
    let data = serde_json::to_string(data).map_err(ApiError::internal)?;
    let meta = Meta {
        title: title.to_owned(),
        issuer: issuer.to_owned(),
        generated_at: crate::domain::calendar::local(chrono::Utc::now())
            .format("%d/%m/%Y %H:%M")
            .to_string(),
        data_sha256: sha256_hex(&data),
    };
    let meta = serde_json::to_string(&meta).map_err(ApiError::internal)?;
    let slot = SLOTS
        .acquire()
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("PDF slots closed: {e}")))?;
    // The render holds its slot until it ends, even when the request is dropped meanwhile
    // (the client left, the time limit): the bound is on the work, not on the requests.
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        render_now(template, &meta, &data)
    })
    .await
    .map_err(ApiError::internal)?
}

/// Renders now, on this thread (CPU-bound: call from the blocking pool).
pub fn render_now(template: &Template, meta: &str, data: &str) -> Result<Vec<u8>, ApiError> {
    let mut inputs = Dict::new();
    inputs.insert("meta".into(), meta.into_value());
    inputs.insert("data".into(), data.into_value());
    let failed = |what: String| {
        ApiError::internal(anyhow::anyhow!(
            "PDF template {} failed: {what}",
            template.name
        ))
    };
    let document: PagedDocument = template
        .engine()
        .compile_with_input("main.typ", inputs)
        .output
        .map_err(|e| failed(e.to_string()))?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|e| failed(format!("{e:?}")))
}

/// Adds `Vary: Accept` to the JSON answer of a route that also answers PDF, so that caches
/// keep the two apart.
pub fn vary(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut()
        .insert(header::VARY, header::HeaderValue::from_static("Accept"));
    res
}

/// 200 with the PDF, shown inline under `filename`. `Vary: Accept`, as the same URL also
/// answers JSON.
pub fn respond(filename: &str, pdf: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(APPLICATION_PDF)
        .insert_header((header::VARY, "Accept"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        ))
        .body(pdf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn accept(value: &str) -> bool {
        wanted(
            &TestRequest::default()
                .insert_header((header::ACCEPT, value))
                .to_http_request(),
        )
    }

    #[test]
    fn pdf_is_chosen_only_when_asked_for_and_not_outweighed_by_json() {
        assert!(accept("application/pdf"));
        assert!(accept("application/json;q=0.5, application/pdf"));
        assert!(accept("Application/PDF; q=0.8"));
        assert!(!accept("application/pdf;q=0"));
        assert!(!accept("application/json, application/pdf;q=0.5"));
        assert!(!accept("application/xml"));
        assert!(!accept("*/*"));
        assert!(!wanted(&TestRequest::default().to_http_request()));
    }

    static PROBE: Template = Template::new(
        "probe",
        "#import \"common.typ\": documento\n#let d = json(bytes(sys.inputs.data))\n#let meta = json(bytes(sys.inputs.meta))\n#show: documento.with(meta)\n#d.text",
    );

    #[test]
    fn data_is_printed_as_typed_never_as_markup() {
        let hostile = r#"#panic("x") [a] *b* $c$ \d _e_ `f` <g> @h // i"#;
        let meta = serde_json::json!({"title": "T", "issuer": "I", "generated_at": "hoy",
            "data_sha256": "0"});
        let data = serde_json::json!({ "text": hostile });
        let pdf = render_now(&PROBE, &meta.to_string(), &data.to_string());
        let pdf = pdf.unwrap_or_else(|e| panic!("{e:?}"));
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
