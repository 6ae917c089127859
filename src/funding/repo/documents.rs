//! Documents.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::super::model::DocumentRow;
use crate::{
    domain::{ApplicationId, DocumentId},
    schema::{application_document_blobs, application_documents},
};

/// Inserts a document's metadata.
pub async fn insert_document(
    conn: &mut AsyncPgConnection,
    row: &DocumentRow,
) -> QueryResult<DocumentRow> {
    diesel::insert_into(application_documents::table)
        .values(row)
        .returning(DocumentRow::as_returning())
        .get_result(conn)
        .await
}

/// The documents of an application, oldest first.
pub async fn documents(
    conn: &mut AsyncPgConnection,
    application_id: ApplicationId,
    after: Option<(DateTime<Utc>, DocumentId)>,
    limit: i64,
) -> QueryResult<Vec<DocumentRow>> {
    let mut q = application_documents::table
        .filter(application_documents::application_id.eq(application_id))
        .select(DocumentRow::as_select())
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            application_documents::created_at
                .gt(at)
                .or(application_documents::created_at
                    .eq(at)
                    .and(application_documents::id.gt(id))),
        );
    }
    q.order((application_documents::created_at, application_documents::id))
        .limit(limit)
        .load(conn)
        .await
}

/// One document of an application.
pub async fn find_document(
    conn: &mut AsyncPgConnection,
    application_id: ApplicationId,
    id: DocumentId,
) -> QueryResult<DocumentRow> {
    application_documents::table
        .filter(application_documents::application_id.eq(application_id))
        .filter(application_documents::id.eq(id))
        .select(DocumentRow::as_select())
        .first(conn)
        .await
}

/// Stores a document's bytes in the database.
pub async fn insert_blob(
    conn: &mut AsyncPgConnection,
    id: DocumentId,
    content: &[u8],
) -> QueryResult<()> {
    diesel::insert_into(application_document_blobs::table)
        .values((
            application_document_blobs::document_id.eq(id),
            application_document_blobs::content.eq(content),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A document's bytes from the database.
pub async fn blob(conn: &mut AsyncPgConnection, id: DocumentId) -> QueryResult<Vec<u8>> {
    application_document_blobs::table
        .find(id)
        .select(application_document_blobs::content)
        .first(conn)
        .await
}
