//! Printable documents (PDF): `Accept: application/pdf` on a resource that has one (the
//! minutes and certificates of governance; the AEI register, transparency and European
//! profile reports).
//!
//! The engine is typst, compiled in as a library (`typst-as-lib`, `typst-pdf`) with the fonts
//! the templates use (Libertinus Serif, DejaVu Sans Mono for identifiers, from `typst-assets`,
//! and Symbola for emoji) embedded in the binary, so nothing is read from disk or fetched at
//! run time. A document is a template (a `.typ` file compiled into the binary with
//! `include_str!`) filled with **data passed as data**: the document's JSON and the page's
//! particulars reach the template as `sys.inputs` strings that it decodes with
//! `json(bytes(…))`. No user text is ever spliced into markup, so `#`, `[`, `*`, `$` or a
//! backslash in a name or a summary print as typed.
//!
//! Every template imports `common.typ` (A4, Spanish, the issuer and title in the header; the
//! date, the SHA-256 of the data the document was made from and "Página n de m" in the
//! footer), so all printable documents look alike.
//!
//! **Each document is rendered in a child process** of its own (`agrupa render-pdf`, the
//! server's own executable: [`Renderer`]), which gets the template and the data on standard
//! input, writes the PDF to standard output and exits. The engine's code, fonts and caches
//! (about 50 MiB the first time, more with each template, and kept for the life of a
//! process) are then never part of the server's memory, which stays at what its JSON routes
//! need; a render that runs past the request's time limit is killed with its request; the
//! child gets no environment (no signing keys, no database address). At most one render per
//! core runs at a time; more wait their turn, on no actix worker.

use std::{
    borrow::Cow,
    io::{Read, Write},
    path::PathBuf,
    process::Stdio,
};

use actix_web::{HttpRequest, HttpResponse, http::header};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::{io::AsyncWriteExt, sync::Semaphore};
use typst::{
    foundations::{Bytes, Dict, IntoValue},
    layout::PagedDocument,
    text::Font,
};
use typst_as_lib::TypstEngine;
use utoipa::ToSchema;

use crate::error::ApiError;

/// The media type.
pub const APPLICATION_PDF: &str = "application/pdf";

/// The page every document shares (imported by each template as `common.typ`).
const COMMON: &str = include_str!("pdf/common.typ");

/// Emoji and symbols, which typst's own fonts lack (see `pdf/fonts/README.md`).
const SYMBOLA: &[u8] = include_bytes!("pdf/fonts/Symbola.ttf");

/// The families of `typst-assets` the templates print with (`common.typ`: Libertinus
/// Serif; `raw` identifiers: DejaVu Sans Mono). The others (New Computer Modern, its math
/// font) are not loaded.
const FAMILIES: [&str; 2] = ["Libertinus Serif", "DejaVu Sans Mono"];

/// The subcommand of the server's executable that renders one document.
pub const SUBCOMMAND: &str = "render-pdf";

/// A PDF document (binary): the printable form of a resource, A4, in Spanish.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PdfFile(pub Vec<u8>);

/// A template: its name (for logs) and its typst source, compiled into the binary.
pub struct Template {
    name: &'static str,
    source: &'static str,
}

impl Template {
    /// A template named `name` (for logs) with its typst `source`, which may
    /// `#import "common.typ"`.
    pub const fn new(name: &'static str, source: &'static str) -> Self {
        Self { name, source }
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

/// What the server hands its renderer on standard input: the template and its inputs.
#[derive(Serialize, Deserialize)]
struct Job<'a> {
    template: Cow<'a, str>,
    source: Cow<'a, str>,
    meta: Cow<'a, str>,
    data: Cow<'a, str>,
}

/// Renders documents, each in a child process: `PROGRAM render-pdf`, at most one per core
/// at a time.
pub struct Renderer {
    program: PathBuf,
    slots: Semaphore,
}

impl Renderer {
    /// A renderer that runs `program` (`AGRUPA_PDF_RENDERER`), by default the running
    /// server's own executable: on Linux `/proc/self/exe`, which stays the running version
    /// even when a deployment replaces the file on disk.
    pub fn new(program: Option<PathBuf>) -> Self {
        let program = program.unwrap_or_else(|| {
            if cfg!(target_os = "linux") {
                PathBuf::from("/proc/self/exe")
            } else {
                std::env::current_exe().unwrap_or_else(|_| PathBuf::from("agrupa"))
            }
        });
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            program,
            slots: Semaphore::new(cores),
        }
    }

    /// Renders `template` with `data` (the document's own data) on pages titled `title` and
    /// issued by `issuer`, in a child process. When the request is dropped meanwhile (the
    /// client left, the time limit), the child is killed and its slot freed.
    pub async fn render<T: Serialize>(
        &self,
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
        let job = serde_json::to_vec(&Job {
            template: template.name.into(),
            source: template.source.into(),
            meta: serde_json::to_string(&meta)
                .map_err(ApiError::internal)?
                .into(),
            data: data.into(),
        })
        .map_err(ApiError::internal)?;
        let failed = |what: String| {
            ApiError::internal(anyhow::anyhow!(
                "PDF template {} failed: {what}",
                template.name
            ))
        };
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| failed(format!("slots closed: {e}")))?;
        let started = std::time::Instant::now();
        let mut child = tokio::process::Command::new(&self.program)
            .arg(SUBCOMMAND)
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| failed(format!("cannot run {}: {e}", self.program.display())))?;
        // The child reads all of its input before it writes anything, so writing it all
        // first cannot deadlock.
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(&job)
                .await
                .map_err(|e| failed(format!("writing to the renderer: {e}")))?;
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(|e| failed(format!("waiting for the renderer: {e}")))?;
        if !out.status.success() {
            return Err(failed(format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        if !out.stdout.starts_with(b"%PDF-") {
            return Err(failed(format!(
                "{} did not answer a PDF",
                self.program.display()
            )));
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        tracing::info!(
            template = template.name,
            bytes = out.stdout.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            renderer_peak_rss_kib = stderr
                .trim()
                .strip_prefix(PEAK_RSS)
                .and_then(|kib| kib.parse::<u64>().ok()),
            "PDF rendered"
        );
        Ok(out.stdout)
    }
}

/// How the renderer reports its peak memory on standard error, after the document.
const PEAK_RSS: &str = "peak_rss_kib=";

/// What every page prints when the cluster's record is not set up yet.
pub const DEFAULT_ISSUER: &str = "agrupa";

/// The issuer printed on every page: the cluster's legal name, once its record exists. Takes
/// the request's pooled connection and gives it back: what follows is rendering, tens of
/// milliseconds in a child process, and must not hold a connection.
pub async fn issuer(mut conn: crate::db::DbConn) -> Result<String, ApiError> {
    Ok(crate::cluster::repo::find(&mut conn, false)
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

/// `agrupa render-pdf`: reads one job (JSON) from `input`, writes the PDF to `output`.
/// Run by [`Renderer`] in a child process; the error, if any, is for its standard error.
pub fn serve_job(mut input: impl Read, mut output: impl Write) -> anyhow::Result<()> {
    let mut raw = Vec::new();
    input.read_to_end(&mut raw)?;
    let job: Job = serde_json::from_slice(&raw)?;
    let pdf = render_now(&job.source, &job.meta, &job.data)
        .map_err(|e| anyhow::anyhow!("template {}: {e}", job.template))?;
    output.write_all(&pdf)?;
    output.flush()?;
    Ok(())
}

/// The renderer's report for the server's log: its peak resident memory (`VmHWM`), where
/// the system tells it.
pub fn peak_rss_report() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .to_owned();
    Some(format!("{PEAK_RSS}{kib}"))
}

/// The fonts the templates use: typst-assets' [`FAMILIES`] and Symbola, read in place from
/// the binary (not copied).
fn fonts() -> impl Iterator<Item = Font> {
    typst_assets::fonts()
        .chain([SYMBOLA])
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .filter(|font| {
            let family = font.info().family.as_str();
            family == "Symbola" || FAMILIES.contains(&family)
        })
}

/// Renders a template's `source` with its `meta` and `data` (JSON texts) now, on this
/// thread.
fn render_now(source: &str, meta: &str, data: &str) -> Result<Vec<u8>, String> {
    let engine = TypstEngine::builder()
        .main_file(("main.typ", source))
        .with_static_source_file_resolver([("common.typ", COMMON)])
        .fonts(fonts())
        .build();
    let mut inputs = Dict::new();
    inputs.insert("meta".into(), meta.into_value());
    inputs.insert("data".into(), data.into_value());
    let document: PagedDocument = engine
        .compile_with_input(inputs)
        .output
        .map_err(|e| e.to_string())?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|e| format!("{e:?}"))
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

    /// Runs one job through the child's entry point, as `agrupa render-pdf` does.
    fn serve(source: &str, data: &serde_json::Value) -> anyhow::Result<Vec<u8>> {
        let meta = serde_json::json!({"title": "T", "issuer": "I", "generated_at": "hoy",
            "data_sha256": "0"});
        let job = serde_json::to_vec(&Job {
            template: "probe".into(),
            source: source.into(),
            meta: meta.to_string().into(),
            data: data.to_string().into(),
        })?;
        let mut pdf = Vec::new();
        serve_job(job.as_slice(), &mut pdf)?;
        Ok(pdf)
    }

    #[test]
    fn data_is_printed_as_typed_never_as_markup() {
        let hostile = r#"#panic("x") [a] *b* $c$ \d _e_ `f` <g> @h // i 🎬 ñ"#;
        let pdf = serve(PROBE.source, &serde_json::json!({ "text": hostile }));
        let pdf = pdf.unwrap_or_else(|e| panic!("{e:?}"));
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn a_template_that_fails_is_an_error_not_a_document() {
        let err = serve("#panic(\"no\")", &serde_json::json!({})).unwrap_err();
        assert!(err.to_string().contains("template probe"), "{err}");
        let mut out = Vec::new();
        assert!(serve_job(&b"not json"[..], &mut out).is_err());
        assert!(out.is_empty());
    }

    #[test]
    fn only_the_families_the_templates_print_with_are_loaded() {
        let mut families: Vec<String> = fonts().map(|f| f.info().family.clone()).collect();
        families.sort();
        families.dedup();
        assert_eq!(
            families,
            ["DejaVu Sans Mono", "Libertinus Serif", "Symbola"]
        );
    }
}
