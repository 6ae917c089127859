//! Application documents: the upload (a multipart form, read here), the content check,
//! one interface over where the bytes live (PostgreSQL or a directory on disk, chosen by
//! `AGRUPA_DOCUMENT_DIR`), and the SHA-256 every document is stored with and checked
//! against on download. Staff and the call's funder add documents; whoever sees the
//! application reads them.

use actix_multipart::Multipart;
use actix_web::{
    HttpRequest, HttpResponse, get,
    http::{StatusCode, header},
    post, web,
};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{applications, funders::opt, model::DocumentRow, repo, scope::is_partner_of};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource, policy},
    domain::{ApplicationId, DocumentId, text},
    error::{ApiError, FieldErrors},
    http::{
        csv::CsvRow,
        etag,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
};

mod storage;

pub use storage::{Store, check_content, clean_filename, sha256_hex};

// ---------------------------------------------------------------------------------------
// Types

/// A document of an application (its bytes at `content_url`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Document {
    /// Id.
    pub id: DocumentId,
    /// The application.
    pub application_id: ApplicationId,
    /// File name as uploaded.
    pub filename: String,
    /// Content type (checked against the content).
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Description.
    pub description: Option<String>,
    /// Who uploaded it.
    pub uploaded_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Where to download it.
    pub content_url: String,
}

impl From<DocumentRow> for Document {
    fn from(r: DocumentRow) -> Self {
        Self {
            content_url: format!(
                "/api/v1/applications/{}/documents/{}/content",
                r.application_id, r.id
            ),
            id: r.id,
            application_id: r.application_id,
            filename: r.filename,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            description: r.description,
            uploaded_by: r.uploaded_by,
            created_at: r.created_at,
        }
    }
}

impl CsvRow for DocumentRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "filename",
            "content_type",
            "size_bytes",
            "sha256",
            "description",
            "uploaded_by",
            "created_at",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.filename.clone(),
            self.content_type.clone(),
            self.size_bytes.to_string(),
            self.sha256.clone(),
            opt(self.description.as_deref()),
            self.uploaded_by.to_string(),
            self.created_at.to_rfc3339(),
        ]
    }
}

/// The multipart form of a document upload: these two parts and no other (documented as
/// `additionalProperties: false`, which `deny_unknown_fields` gives the schema).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "describes the multipart form for the OpenAPI document"
)]
pub struct DocumentUpload {
    /// The file (PDF, PNG, JPEG, OOXML or OpenDocument, plain text or CSV), with its
    /// content type and file name.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// A description.
    #[schema(max_length = 500)]
    description: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Handlers

/// The documents of an application.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id"), PageQuery),
    responses(
    (status = 200, description = "A page of documents (or CSV).",
        content((Page<Document> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/applications/{id}/documents")]
pub async fn list_documents(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<ApplicationId>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let id = id.into_inner();
    {
        let mut conn = state.conn().await?;
        applications::visible(&mut conn, &caller, id).await?;
    }
    let list = List {
        resource: "application_documents",
        sort: "created_at",
        filename: "application-documents.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::documents(conn, id, after, n).await?),
        |d: &DocumentRow| (d.created_at, d.id),
        Document::from,
    )
    .await
}

/// Uploads a document to an application (`multipart/form-data` with a `file` part and an
/// optional `description`; staff, or the call's funder). The content must match its declared
/// type; the SHA-256 is computed and stored. Larger than `AGRUPA_DOCUMENT_MAX_BYTES` → 413.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id")),
    request_body(content = DocumentUpload, content_type = "multipart/form-data"), responses(
    (status = 201, description = "Stored.", body = Document),
    (status = 400, description = "`malformed_multipart`.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not staff nor the call's funder.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "`document_too_large`.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "`unsupported_document_type`, or not multipart.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "`content_mismatch`, `validation_failed`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/applications/{id}/documents")]
pub async fn upload_document(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<ApplicationId>,
    form: Multipart,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    let id = id.into_inner();
    // Who may not add a document here is answered before the body is read.
    {
        let mut conn = state.conn().await?;
        check_uploader(&mut conn, &caller, id).await?;
    }
    let upload = read_upload(&req, form, state.config.document_max_bytes).await?;
    let store = Store::configured(state.config.document_dir.as_deref());
    let mut conn = state.conn().await?;
    let row = add(&mut conn, &caller, id, upload, &store).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/applications/{id}/documents/{}", row.id),
        ))
        .json(Document::from(row)))
}

/// One document's metadata.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id"),
    ("document_id" = Uuid, Path, description = "Document id")), responses(
    (status = 200, description = "The document.", body = Document),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/applications/{id}/documents/{document_id}")]
pub async fn get_document(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<(ApplicationId, DocumentId)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let (id, document_id) = path.into_inner();
    let mut conn = state.conn().await?;
    let row = find(&mut conn, &caller, id, document_id).await?;
    // A document never changes: its tag is constant.
    Ok(etag::respond(&req, 1, &Document::from(row)))
}

/// Downloads a document: its bytes with its content type, checked against the stored
/// SHA-256 (also sent as `Repr-Digest` and as the ETag).
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id"),
    ("document_id" = Uuid, Path, description = "Document id")), responses(
    (status = 200, description = "The file, with the content type it was uploaded with (one of the accepted types).",
        content((Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/vnd.oasis.opendocument.text"),
            (Vec<u8> = "application/vnd.oasis.opendocument.spreadsheet"),
            (String = "text/plain"), (String = "text/csv"))),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/applications/{id}/documents/{document_id}/content")]
pub async fn document_content(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<(ApplicationId, DocumentId)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let (id, document_id) = path.into_inner();
    let mut conn = state.conn().await?;
    let row = find(&mut conn, &caller, id, document_id).await?;
    let tag = format!("\"{}\"", row.sha256);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    if fresh {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .finish());
    }
    let bytes = Store::get(&mut conn, state.config.document_dir.as_deref(), &row).await?;
    drop(conn);
    let digest = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes))
    };
    Ok(HttpResponse::Ok()
        .content_type(row.content_type.as_str())
        .insert_header((header::ETAG, tag))
        .insert_header(("Repr-Digest", format!("sha-256=:{digest}:")))
        .insert_header((
            header::CONTENT_DISPOSITION,
            content_disposition(&row.filename),
        ))
        .body(bytes))
}

/// `attachment` with the file name twice: ASCII (what old clients read) and UTF-8
/// percent-encoded (RFC 6266).
fn content_disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

// ---------------------------------------------------------------------------------------
// The upload

/// One uploaded file, read from a multipart form.
#[derive(Debug)]
pub struct Upload {
    /// The file name, cleaned ([`clean_filename`]).
    pub filename: String,
    /// The declared content type.
    pub content_type: String,
    /// The content.
    pub bytes: Vec<u8>,
    /// The description, checked.
    pub description: Option<String>,
}

fn malformed(e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        "malformed_multipart",
        format!("The multipart form could not be read: {e}."),
    )
}

/// The most parts a form may have: `file` and `description`.
const MAX_PARTS: usize = 2;
/// The most bytes of a `description` part.
const MAX_DESCRIPTION_BYTES: usize = 4096;
/// Room for the boundaries and part headers around the parts' contents.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;

fn unknown_part(name: &str) -> ApiError {
    FieldErrors::one(
        if name.is_empty() { "(unnamed)" } else { name },
        "unknown_field",
        "only `file` and `description`",
    )
}

/// Reads the form: one `file` part (at most `max` bytes: 413 above) and an optional
/// `description`. The form is refused as soon as it goes wrong, without reading on: at the
/// first part that is neither (422 `unknown_field`), at a third part or a second `file`
/// (422), and before reading anything when its declared length exceeds what the two parts
/// may hold (413). So what one request can make the server read and keep is bounded by
/// `max` + 4 KiB, however the form is built.
async fn read_upload(
    req: &HttpRequest,
    mut form: Multipart,
    max: usize,
) -> Result<Upload, ApiError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::unsupported_media_type("multipart/form-data"));
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "document_too_large",
            format!("A document is at most {max} bytes."),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max + MAX_DESCRIPTION_BYTES + FORM_OVERHEAD_BYTES) {
        return Err(too_large());
    }
    let mut file = None;
    let mut description = None;
    let mut errors = FieldErrors::default();
    let mut parts = 0;
    while let Some(mut field) = form.try_next().await.map_err(malformed)? {
        parts += 1;
        let name = field.name().unwrap_or_default().to_owned();
        if parts > MAX_PARTS {
            return Err(FieldErrors::one(
                &name,
                "too_many_parts",
                "a form has at most two parts: `file` and `description`",
            ));
        }
        match name.as_str() {
            "file" => {
                if file.is_some() {
                    return Err(FieldErrors::one(
                        "file",
                        "duplicate",
                        "send one file per upload",
                    ));
                }
                let filename = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .and_then(clean_filename);
                let content_type = field.content_type().map(|m| m.essence_str().to_owned());
                let mut bytes = Vec::new();
                while let Some(chunk) = field.try_next().await.map_err(malformed)? {
                    if bytes.len() + chunk.len() > max {
                        return Err(too_large());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                match (filename, content_type) {
                    (Some(f), Some(c)) => file = Some((f, c, bytes)),
                    (None, _) => {
                        errors.add("file", "no_filename", "the file part needs a file name")
                    }
                    (_, None) => errors.add(
                        "file",
                        "no_content_type",
                        "the file part needs a content type",
                    ),
                }
            }
            "description" => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.try_next().await.map_err(malformed)? {
                    if bytes.len() + chunk.len() > MAX_DESCRIPTION_BYTES {
                        return Err(ApiError::payload_too_large(MAX_DESCRIPTION_BYTES));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(bytes).map_err(malformed)?;
                description = errors
                    .check("description", text::optional(Some(&text), 500))
                    .flatten();
            }
            other => return Err(unknown_part(other)),
        }
    }
    if file.is_none() && errors.is_empty() {
        errors.add("file", "required", "send the document as the `file` part");
    }
    errors.finish()?;
    let (filename, content_type, bytes) = file.ok_or_else(|| malformed("no file"))?;
    Ok(Upload {
        filename,
        content_type,
        bytes,
        description,
    })
}

// ---------------------------------------------------------------------------------------
// Services

/// 404 unless the caller sees the application; 403 unless it may add documents to it
/// (staff, or a partner of the call's funder).
pub async fn check_uploader(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ApplicationId,
) -> Result<(), ApiError> {
    let (_, funder_id) = applications::visible(conn, caller, id).await?;
    if !policy::runs_funding(caller.role) && !is_partner_of(caller, funder_id) {
        return Err(ApiError::forbidden(
            "Only the cluster's staff and the call's funder add documents.",
        ));
    }
    Ok(())
}

/// Adds a document to an application: 404, 403 ([`check_uploader`]), 415 and 422
/// ([`check_content`]); its bytes go to `store` with the metadata (on disk, removed again
/// when the metadata does not commit).
pub async fn add(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ApplicationId,
    upload: Upload,
    store: &Store,
) -> Result<DocumentRow, ApiError> {
    check_uploader(conn, caller, id).await?;
    let content_type = check_content(&upload.content_type, &upload.bytes)?;
    let id_of_document = DocumentId::new();
    let document = Generated {
        id: id_of_document,
        application_id: id,
        filename: upload.filename,
        content_type,
        description: upload.description.as_deref().unwrap_or_default(),
        bytes: &upload.bytes,
    };
    let result = conn
        .transaction(async |conn| insert_generated(conn, caller, document, store).await)
        .await;
    if result.is_err() {
        // The commit itself may have failed after the bytes were written.
        store.discard(id_of_document).await;
    }
    result
}

/// A document made by agrupa itself (a frozen justification account), or a checked upload.
#[derive(Debug)]
pub struct Generated<'a> {
    /// Its id (chosen by the caller, who removes the bytes from a disk store when its
    /// transaction does not commit).
    pub id: DocumentId,
    /// The application.
    pub application_id: ApplicationId,
    /// File name.
    pub filename: String,
    /// Content type.
    pub content_type: &'static str,
    /// Description (empty: none).
    pub description: &'a str,
    /// Content.
    pub bytes: &'a [u8],
}

/// Keeps a document's metadata and bytes and audits it, in the caller's transaction. On a
/// disk store the bytes are written first: when the transaction does not commit, they are
/// removed here if this call failed, else by the caller ([`Store::discard`]).
pub async fn insert_generated(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    g: Generated<'_>,
    store: &Store,
) -> Result<DocumentRow, ApiError> {
    let row_id = g.id;
    let row = DocumentRow {
        id: g.id,
        application_id: g.application_id,
        filename: g.filename,
        content_type: g.content_type.to_owned(),
        size_bytes: i64::try_from(g.bytes.len()).unwrap_or(i64::MAX),
        sha256: sha256_hex(g.bytes),
        storage: store.name().to_owned(),
        description: (!g.description.is_empty()).then(|| g.description.to_owned()),
        uploaded_by: caller.id(),
        created_at: Utc::now(),
    };
    let result = async {
        let row = repo::insert_document(conn, &row).await?;
        store.put(conn, row.id, g.bytes).await?;
        let doc = Document::from(row.clone());
        audit::created(conn, caller, "application_document", doc.id.into(), &doc).await?;
        Ok(row)
    }
    .await;
    if result.is_err() {
        store.discard(row_id).await;
    }
    result
}

/// A document's metadata, if the caller sees its application.
pub async fn find(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ApplicationId,
    document_id: DocumentId,
) -> Result<DocumentRow, ApiError> {
    applications::visible(conn, caller, id).await?;
    Ok(repo::find_document(conn, id, document_id).await?)
}
