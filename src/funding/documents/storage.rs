//! Where document bytes live (PostgreSQL or a directory on disk, chosen by
//! `AGRUPA_DOCUMENT_DIR`), behind one interface; the content check of an upload; the
//! SHA-256 every document is stored with and checked against on download.

use std::path::{Path, PathBuf};

use diesel_async::AsyncPgConnection;
use sha2::{Digest, Sha256};

use crate::{
    domain::DocumentId,
    error::ApiError,
    funding::{model::DocumentRow, repo},
};

/// Where document bytes are kept.
#[derive(Debug, Clone)]
pub enum Store {
    /// In `application_document_blobs`, in the same transaction as the metadata.
    Database,
    /// One file per document in this directory (written before the metadata commits).
    Disk(PathBuf),
}

impl Store {
    /// The store the configuration selects.
    pub fn configured(dir: Option<&Path>) -> Self {
        dir.map_or(Store::Database, |d| Store::Disk(d.to_path_buf()))
    }

    /// The stored name of the store (`database`, `disk`).
    pub fn name(&self) -> &'static str {
        match self {
            Store::Database => "database",
            Store::Disk(_) => "disk",
        }
    }

    /// Keeps the bytes of document `id`.
    pub async fn put(
        &self,
        conn: &mut AsyncPgConnection,
        id: DocumentId,
        bytes: &[u8],
    ) -> Result<(), ApiError> {
        match self {
            Store::Database => Ok(repo::insert_blob(conn, id, bytes).await?),
            Store::Disk(dir) => {
                private_dir(dir).await.map_err(ApiError::internal)?;
                let tmp = dir.join(format!("{id}.part"));
                write_private(&tmp, bytes)
                    .await
                    .map_err(ApiError::internal)?;
                tokio::fs::rename(&tmp, dir.join(id.to_string()))
                    .await
                    .map_err(ApiError::internal)
            }
        }
    }

    /// Removes the bytes of a document whose metadata did not commit (disk only; the
    /// database rolls back by itself).
    pub async fn discard(&self, id: DocumentId) {
        if let Store::Disk(dir) = self
            && let Err(e) = tokio::fs::remove_file(dir.join(id.to_string())).await
        {
            tracing::warn!(document = %id, error = %e, "could not remove an orphan document");
        }
    }

    /// The bytes of a document, from the store it was written to, checked against its
    /// SHA-256 (a mismatch is a 500 and is logged: the stored copy was altered).
    pub async fn get(
        conn: &mut AsyncPgConnection,
        dir: Option<&Path>,
        row: &DocumentRow,
    ) -> Result<Vec<u8>, ApiError> {
        let bytes = match (row.storage.as_str(), dir) {
            ("disk", Some(dir)) => tokio::fs::read(dir.join(row.id.to_string()))
                .await
                .map_err(ApiError::internal)?,
            ("disk", None) => {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "document {} is on disk but AGRUPA_DOCUMENT_DIR is not set",
                    row.id
                )));
            }
            _ => repo::blob(conn, row.id).await?,
        };
        if sha256_hex(&bytes) != row.sha256 {
            return Err(ApiError::internal(anyhow::anyhow!(
                "document {} does not match its SHA-256",
                row.id
            )));
        }
        Ok(bytes)
    }
}

/// The SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The content types accepted, with the signature their content must start with (`None`:
/// text, checked as UTF-8 without NUL bytes).
pub(crate) const ACCEPTED: &[(&str, Option<&[u8]>)] = &[
    ("application/pdf", Some(b"%PDF-")),
    ("image/png", Some(b"\x89PNG\r\n\x1a\n")),
    ("image/jpeg", Some(b"\xff\xd8\xff")),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some(b"PK\x03\x04"),
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some(b"PK\x03\x04"),
    ),
    (
        "application/vnd.oasis.opendocument.text",
        Some(b"PK\x03\x04"),
    ),
    (
        "application/vnd.oasis.opendocument.spreadsheet",
        Some(b"PK\x03\x04"),
    ),
    ("text/plain", None),
    ("text/csv", None),
];

/// Checks a declared content type against the list and the content; returns the
/// normalised type. 415 for a type not accepted, 422 `content_mismatch` when the bytes are
/// not what the type says.
pub fn check_content(declared: &str, bytes: &[u8]) -> Result<&'static str, ApiError> {
    let essence = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some((name, magic)) = ACCEPTED.iter().find(|(n, _)| *n == essence) else {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_document_type",
            format!(
                "Documents are PDF, PNG, JPEG, OOXML or OpenDocument text and spreadsheets, \
                 plain text or CSV; not `{essence}`."
            ),
        ));
    };
    let matches = match magic {
        Some(m) => bytes.starts_with(m),
        None => std::str::from_utf8(bytes).is_ok_and(|t| !t.contains('\0')),
    };
    if !matches {
        return Err(ApiError::unprocessable(
            "content_mismatch",
            format!("The file's content is not {name}."),
        ));
    }
    Ok(name)
}

/// A file name safe to keep and to send back: the last path component, without control
/// characters, at most 255 characters.
pub fn clean_filename(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last.chars().filter(|c| !c.is_control()).take(255).collect();
    let name = name.trim().to_owned();
    (!name.is_empty() && name != "." && name != "..").then_some(name)
}

/// Creates the document folder readable by its owner only (0700) when it is missing.
async fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir).await
}

/// Writes a document's bytes to a new file readable by its owner only (0600), whatever the
/// process's umask; an existing file (or a symbolic link planted in its place) is refused.
async fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    file.write_all(bytes).await?;
    file.sync_all().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_must_match_its_type() {
        assert_eq!(
            check_content("application/pdf", b"%PDF-1.7\n...").unwrap(),
            "application/pdf"
        );
        assert_eq!(
            check_content(
                "Text/Plain; charset=utf-8",
                "Memoria técnica ñ 🎬".as_bytes()
            )
            .unwrap(),
            "text/plain"
        );
        assert_eq!(
            check_content("application/pdf", b"MZ\x90\x00")
                .unwrap_err()
                .code(),
            "content_mismatch"
        );
        assert_eq!(
            check_content("text/plain", b"a\0b").unwrap_err().code(),
            "content_mismatch"
        );
        assert_eq!(
            check_content("application/x-msdownload", b"MZ")
                .unwrap_err()
                .code(),
            check_content("application/zip", b"PK\x03\x04")
                .unwrap_err()
                .code()
        );
    }

    #[test]
    fn checksums_and_names() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            clean_filename("C:\\docs\\memoria.pdf").as_deref(),
            Some("memoria.pdf")
        );
        assert_eq!(
            clean_filename("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(clean_filename(".."), None);
        assert_eq!(clean_filename("  "), None);
    }

    /// The download's documented content types are exactly the accepted ones.
    #[test]
    fn the_download_documents_every_accepted_type() {
        let spec = serde_json::to_value(crate::openapi_spec()).unwrap_or_default();
        let content = &spec["paths"]["/api/v1/applications/{id}/documents/{document_id}/content"]["get"]
            ["responses"]["200"]["content"];
        let mut documented: Vec<&str> = content
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut accepted: Vec<&str> = ACCEPTED.iter().map(|(name, _)| *name).collect();
        documented.sort_unstable();
        accepted.sort_unstable();
        assert_eq!(documented, accepted);
    }
}
