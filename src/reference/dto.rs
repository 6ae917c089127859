//! Request and response bodies of the reference data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{CategoryRow, SegmentRow};
use crate::http::{csv::CsvRow, patch::nullable};

/// A member category (tipo de socio): its fee, its votes, whether it is a full membership.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Category {
    /// Id.
    pub id: Uuid,
    /// Name.
    #[schema(example = "Socio de número")]
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Yearly membership fee, in euro cents.
    #[schema(example = 120000)]
    pub annual_fee_cents: i64,
    /// Votes in the General Assembly.
    #[schema(example = 1)]
    pub voting_weight: i32,
    /// Whether it counts as full membership (quorum, critical mass).
    pub full_member: bool,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<CategoryRow> for Category {
    fn from(r: CategoryRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            description: r.description,
            annual_fee_cents: r.annual_fee_cents,
            voting_weight: r.voting_weight,
            full_member: r.full_member,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for CategoryRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "name",
            "description",
            "annual_fee_cents",
            "voting_weight",
            "full_member",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.name.clone(),
            self.description.clone().unwrap_or_default(),
            self.annual_fee_cents.to_string(),
            self.voting_weight.to_string(),
            self.full_member.to_string(),
        ]
    }
}

/// A new category (admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// Name (1–100 characters, unique).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Description.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Yearly fee in cents (≥ 0).
    #[schema(minimum = 0)]
    pub annual_fee_cents: i64,
    /// Votes (0–1000, default 1).
    #[schema(minimum = 0, maximum = 1000)]
    pub voting_weight: Option<i32>,
    /// Full membership (default true).
    pub full_member: Option<bool>,
}

/// Changes to a category (admins).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    /// Name.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Description; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 2000)]
    pub description: Option<Option<String>>,
    /// Fee in cents.
    #[schema(minimum = 0)]
    pub annual_fee_cents: Option<i64>,
    /// Votes.
    #[schema(minimum = 0, maximum = 1000)]
    pub voting_weight: Option<i32>,
    /// Full membership.
    pub full_member: Option<bool>,
}

/// A segment of the value chain (desarrollo, producción, posproducción y VFX …).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Segment {
    /// Id.
    pub id: Uuid,
    /// Stable code.
    #[schema(example = "postproduction_vfx")]
    pub code: String,
    /// Name.
    #[schema(example = "Posproducción y VFX")]
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Order in the value chain.
    pub position: i32,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<SegmentRow> for Segment {
    fn from(r: SegmentRow) -> Self {
        Self {
            id: r.id,
            code: r.code,
            name: r.name,
            description: r.description,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for SegmentRow {
    fn header() -> &'static [&'static str] {
        &["id", "code", "name", "description", "position"]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.code.clone(),
            self.name.clone(),
            self.description.clone().unwrap_or_default(),
            self.position.to_string(),
        ]
    }
}

/// A new segment (admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSegment {
    /// Stable code (a-z 0-9 _ -).
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{0,49}$")]
    pub code: String,
    /// Name (1–100 characters, unique).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Description.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Order in the value chain (default 0).
    pub position: Option<i32>,
}

/// Changes to a segment (admins; the code never changes).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentPatch {
    /// Name.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Description; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 2000)]
    pub description: Option<Option<String>>,
    /// Position.
    pub position: Option<i32>,
}
