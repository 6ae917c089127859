//! Reference data rows: member categories and value-chain segments.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::{
    domain::{Cents, MemberCategoryId, SegmentId},
    schema::{member_categories, segments},
};

/// A member category as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = member_categories)]
pub struct CategoryRow {
    /// Id.
    pub id: MemberCategoryId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Yearly fee.
    pub annual_fee_cents: Cents,
    /// Votes in the assembly.
    pub voting_weight: i32,
    /// Counts as a full member.
    pub full_member: bool,
    /// Version.
    pub version: i64,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Changes to a category.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = member_categories)]
pub struct CategoryChanges {
    /// Name.
    pub name: Option<String>,
    /// Description (`Some(None)` clears).
    pub description: Option<Option<String>>,
    /// Fee.
    pub annual_fee_cents: Option<Cents>,
    /// Votes.
    pub voting_weight: Option<i32>,
    /// Full member.
    pub full_member: Option<bool>,
}

/// A segment as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = segments)]
pub struct SegmentRow {
    /// Id.
    pub id: SegmentId,
    /// Stable code (`postproduction_vfx`).
    pub code: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Order in the value chain.
    pub position: i32,
    /// Version.
    pub version: i64,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Changes to a segment.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = segments)]
pub struct SegmentChanges {
    /// Name.
    pub name: Option<String>,
    /// Description (`Some(None)` clears).
    pub description: Option<Option<String>>,
    /// Position.
    pub position: Option<i32>,
}

/// Segment codes: lowercase letters, digits, `_` and `-`, starting with a letter or digit.
pub fn check_code(code: &str) -> Result<String, String> {
    let ok = !code.is_empty()
        && code.len() <= 50
        && code
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(code.to_owned())
    } else {
        Err("must be 1–50 of a-z 0-9 _ - (like `postproduction_vfx`)".into())
    }
}
