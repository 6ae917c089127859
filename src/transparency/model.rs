//! The row of a published fiscal year.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::transparency_publications;

/// A fiscal year published on the public transparency feed.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = transparency_publications, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `transparency_publications` and the DTOs"
)]
pub struct PublicationRow {
    pub fiscal_year: i32,
    pub id: Uuid,
    pub note: Option<String>,
    pub published_by: Option<Uuid>,
    pub published_at: DateTime<Utc>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl crate::http::csv::CsvRow for PublicationRow {
    fn header() -> &'static [&'static str] {
        &["fiscal_year", "id", "note", "published_by", "published_at"]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.fiscal_year.to_string(),
            self.id.to_string(),
            self.note.clone().unwrap_or_default(),
            self.published_by.map(|u| u.to_string()).unwrap_or_default(),
            self.published_at.to_rfc3339(),
        ]
    }
}
