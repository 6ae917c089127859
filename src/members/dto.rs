//! Request and response bodies of the member register.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::{
    ContactRow, DueRow, DueStatus, MemberKind, MemberSize, MemberStatus, StatusChangeRow,
};
use crate::http::{csv::CsvRow, patch::nullable};

/// A segment as shown on a member.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct SegmentRef {
    /// Id.
    pub id: Uuid,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// A member organisation. Everyone signed in sees the public register (`visibility:
/// "public"`: name, kind, segments, municipality, website); staff, admins, auditors and the
/// member's own representatives also see the rest (`visibility: "full"`), including the
/// confidential turnover. Fields outside your view are absent, not null.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    /// Id.
    pub id: Uuid,
    /// `full` or `public`: which view of the member this is.
    #[schema(example = "full")]
    pub visibility: &'static str,
    /// Legal name.
    #[schema(example = "Producciones Ñandú, S.L.")]
    pub legal_name: String,
    /// Trade name.
    pub trade_name: Option<String>,
    /// Kind of organisation.
    pub kind: MemberKind,
    /// Value-chain segments.
    pub segments: Vec<SegmentRef>,
    /// Municipality.
    pub municipality: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// NIF/NIE/CIF, normalised.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "B12345674")]
    pub tax_id: Option<String>,
    /// Size.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<MemberSize>, nullable)]
    pub size: Option<Option<MemberSize>>,
    /// Whether it is an SME (micro, small or medium); null when the size is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>, nullable)]
    pub sme: Option<Option<bool>>,
    /// Category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_id: Option<Uuid>,
    /// Category name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_name: Option<String>,
    /// Membership status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<MemberStatus>,
    /// Active with no overdue dues (counts for assembly quorum).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_good_standing: Option<bool>,
    /// Street address.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable)]
    pub address: Option<Option<String>>,
    /// Postcode.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable)]
    pub postcode: Option<Option<String>>,
    /// Province.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable)]
    pub province: Option<Option<String>>,
    /// Country (ISO 3166-1 alpha-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Employees.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i32>, nullable)]
    pub employees: Option<Option<i32>>,
    /// Yearly turnover in euro cents (confidential).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>, nullable)]
    pub annual_turnover_cents: Option<Option<i64>>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable)]
    pub description: Option<Option<String>>,
    /// Joined on.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub joined_on: Option<Option<NaiveDate>>,
    /// Set when archived (kept for the record; its tax id may be reused).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<DateTime<Utc>>, nullable)]
    pub archived_at: Option<Option<DateTime<Utc>>>,
    /// Creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A new member (staff and admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// Legal name (1–300 characters).
    #[schema(min_length = 1, max_length = 300)]
    pub legal_name: String,
    /// Trade name.
    #[schema(max_length = 300)]
    pub trade_name: Option<String>,
    /// NIF, NIE or CIF (validated with its control character).
    #[schema(example = "B12345674")]
    pub tax_id: String,
    /// Kind.
    pub kind: MemberKind,
    /// Size.
    pub size: Option<MemberSize>,
    /// Category.
    pub category_id: Uuid,
    /// Segments (ids).
    #[serde(default)]
    #[schema(max_items = 50)]
    pub segment_ids: Vec<Uuid>,
    /// `applicant` (default) or `active` (for members admitted before agrupa).
    pub status: Option<MemberStatus>,
    /// Street address.
    #[schema(max_length = 300)]
    pub address: Option<String>,
    /// Postcode.
    #[schema(example = "28004")]
    pub postcode: Option<String>,
    /// Municipality.
    #[schema(max_length = 100, example = "Madrid")]
    pub municipality: Option<String>,
    /// Province.
    #[schema(max_length = 100, example = "Madrid")]
    pub province: Option<String>,
    /// Country (ISO 3166-1 alpha-2, default `ES`).
    #[schema(example = "ES")]
    pub country: Option<String>,
    /// Website.
    #[schema(example = "https://nandu.es")]
    pub website: Option<String>,
    /// Employees.
    #[schema(minimum = 0)]
    pub employees: Option<i32>,
    /// Yearly turnover in cents.
    #[schema(minimum = 0)]
    pub annual_turnover_cents: Option<i64>,
    /// Description.
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// Joined on (defaults to the day it becomes active).
    pub joined_on: Option<NaiveDate>,
}

/// Changes to a member; absent fields stay, `null` clears. Representatives may change their
/// own organisation except `tax_id`, `category_id` and `joined_on`. Status changes go through
/// `POST /api/v1/members/{id}/status-changes`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    /// Legal name.
    #[schema(min_length = 1, max_length = 300)]
    pub legal_name: Option<String>,
    /// Trade name.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub trade_name: Option<Option<String>>,
    /// Tax id.
    pub tax_id: Option<String>,
    /// Kind.
    pub kind: Option<MemberKind>,
    /// Size.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<MemberSize>, nullable)]
    pub size: Option<Option<MemberSize>>,
    /// Category.
    pub category_id: Option<Uuid>,
    /// Segments (replace the current ones).
    #[schema(max_items = 50)]
    pub segment_ids: Option<Vec<Uuid>>,
    /// Address.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub address: Option<Option<String>>,
    /// Postcode.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub postcode: Option<Option<String>>,
    /// Municipality.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub municipality: Option<Option<String>>,
    /// Province.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub province: Option<Option<String>>,
    /// Country.
    pub country: Option<String>,
    /// Website.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub website: Option<Option<String>>,
    /// Employees.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>, nullable, minimum = 0)]
    pub employees: Option<Option<i32>>,
    /// Turnover in cents.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable, minimum = 0)]
    pub annual_turnover_cents: Option<Option<i64>>,
    /// Description.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub description: Option<Option<String>>,
    /// Joined on.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub joined_on: Option<Option<NaiveDate>>,
}

/// Sort orders of the member list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub enum MemberSort {
    /// By legal name, Spanish collation (default).
    #[default]
    #[serde(rename = "legal_name")]
    Name,
    /// By legal name, Z–A.
    #[serde(rename = "-legal_name")]
    NameDesc,
    /// By joining date, oldest first (unknown dates first).
    #[serde(rename = "joined_on")]
    Joined,
    /// By joining date, newest first.
    #[serde(rename = "-joined_on")]
    JoinedDesc,
}

impl MemberSort {
    /// The name used in cursors.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberSort::Name => "legal_name",
            MemberSort::NameDesc => "-legal_name",
            MemberSort::Joined => "joined_on",
            MemberSort::JoinedDesc => "-joined_on",
        }
    }
}

/// Filters, search and paging of the member list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Spanish full-text search over names and description, accent-insensitive
    /// ("produccion" finds "Producción"); also matches parts of names.
    #[param(max_length = 200, pattern = "^[^\\x00-\\x1F\\x7F]*$")]
    pub q: Option<String>,
    /// Status.
    pub status: Option<MemberStatus>,
    /// Category id.
    pub category_id: Option<Uuid>,
    /// Segment code.
    #[param(max_length = 50, pattern = "^[^\\x00-\\x1F\\x7F]*$")]
    pub segment: Option<String>,
    /// Kind.
    pub kind: Option<MemberKind>,
    /// Size.
    pub size: Option<MemberSize>,
    /// Municipality (exact, case- and accent-insensitive).
    #[param(max_length = 100, pattern = "^[^\\x00-\\x1F\\x7F]*$")]
    pub municipality: Option<String>,
    /// Only members in good standing (`true`) or not (`false`).
    pub in_good_standing: Option<bool>,
    /// Joined on or after.
    pub joined_from: Option<NaiveDate>,
    /// Joined on or before.
    pub joined_to: Option<NaiveDate>,
    /// Include archived members (staff, admins and auditors only).
    pub include_archived: Option<bool>,
    /// `legal_name` (default), `-legal_name`, `joined_on`, `-joined_on`.
    #[param(inline)]
    pub sort: Option<MemberSort>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A status change request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStatusChange {
    /// The new status.
    pub to: MemberStatus,
    /// Why (1–2000 characters), e.g. the assembly's agreement.
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "Admitida por la Asamblea General del 12/03/2025"
    )]
    pub reason: String,
    /// From when (default today).
    pub effective_on: Option<NaiveDate>,
}

/// A recorded status change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusChange {
    /// Id.
    pub id: Uuid,
    /// Member.
    pub member_id: Uuid,
    /// From.
    pub from: MemberStatus,
    /// To.
    pub to: MemberStatus,
    /// Why.
    pub reason: String,
    /// From when.
    pub effective_on: NaiveDate,
    /// Who made it.
    pub actor_id: Option<Uuid>,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
}

impl From<StatusChangeRow> for StatusChange {
    fn from(r: StatusChangeRow) -> Self {
        Self {
            id: r.id,
            member_id: r.member_id,
            from: r.from_status,
            to: r.to_status,
            reason: r.reason,
            effective_on: r.effective_on,
            actor_id: r.actor_id,
            created_at: r.created_at,
        }
    }
}

impl CsvRow for StatusChangeRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "member_id",
            "from",
            "to",
            "reason",
            "effective_on",
            "actor_id",
            "created_at",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.member_id.to_string(),
            self.from_status.to_string(),
            self.to_status.to_string(),
            self.reason.clone(),
            self.effective_on.to_string(),
            self.actor_id.map(|a| a.to_string()).unwrap_or_default(),
            self.created_at.to_rfc3339(),
        ]
    }
}

/// A contact person (personal data: never shown to partners).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    /// Id.
    pub id: Uuid,
    /// Member.
    pub member_id: Uuid,
    /// Name.
    #[schema(example = "Begoña Iñíguez")]
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Position.
    pub position: Option<String>,
    /// The primary contact (exactly one per member with contacts).
    pub is_primary: bool,
    /// Consents to the cluster's communications.
    pub consent_communications: bool,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Self {
        Self {
            id: r.id,
            member_id: r.member_id,
            name: r.name,
            email: r.email,
            phone: r.phone,
            position: r.position,
            is_primary: r.is_primary,
            consent_communications: r.consent_communications,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for ContactRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "member_id",
            "name",
            "email",
            "phone",
            "position",
            "is_primary",
            "consent_communications",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.member_id.to_string(),
            self.name.clone(),
            self.email.clone().unwrap_or_default(),
            self.phone.clone().unwrap_or_default(),
            self.position.clone().unwrap_or_default(),
            self.is_primary.to_string(),
            self.consent_communications.to_string(),
        ]
    }
}

/// A new contact. The first contact of a member becomes its primary contact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// Name.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Position.
    #[schema(max_length = 200)]
    pub position: Option<String>,
    /// Make it the primary contact (the previous primary stops being so).
    pub is_primary: Option<bool>,
    /// Consent to communications (default false).
    pub consent_communications: Option<bool>,
}

/// Changes to a contact. To change the primary contact, set `is_primary: true` on the new one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    /// Name.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// E-mail.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub email: Option<Option<String>>,
    /// Phone.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub phone: Option<Option<String>>,
    /// Position.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub position: Option<Option<String>>,
    /// `true` makes it the primary contact.
    pub is_primary: Option<bool>,
    /// Consent.
    pub consent_communications: Option<bool>,
}

/// A yearly due.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Due {
    /// Id.
    pub id: Uuid,
    /// Member.
    pub member_id: Uuid,
    /// Year.
    pub year: i32,
    /// Amount (the category's fee when issued).
    pub amount_cents: i64,
    /// Issued on.
    pub issued_on: NaiveDate,
    /// Due on.
    pub due_on: NaiveDate,
    /// Paid on.
    pub paid_on: Option<NaiveDate>,
    /// `pending`, `paid`, `overdue` (pending past its due date) or `waived`.
    pub status: DueStatus,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Due {
    /// The due as shown on `today`.
    pub fn from_row(r: DueRow, today: NaiveDate) -> Self {
        Self {
            id: r.id,
            member_id: r.member_id,
            year: r.year,
            amount_cents: r.amount_cents,
            issued_on: r.issued_on,
            due_on: r.due_on,
            paid_on: r.paid_on,
            status: r.status.effective(r.due_on, today),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Settling a due: paid (with its date), waived, or back to pending.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DuePatch {
    /// `paid`, `waived` or `pending`.
    pub status: DueStatus,
    /// For `paid`: the payment date (default today).
    pub paid_on: Option<NaiveDate>,
}

/// Issuing a year's dues to every active member at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DuesIssuance {
    /// The year.
    #[schema(minimum = 1900, maximum = 2999, example = 2025)]
    pub year: i32,
    /// Issue date (default today).
    pub issued_on: Option<NaiveDate>,
    /// Payment deadline.
    pub due_on: NaiveDate,
}

/// What an issuance did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuesIssued {
    /// The year.
    pub year: i32,
    /// Dues created now (one per active member without one for the year).
    pub issued: i64,
    /// Active members that already had the year's due.
    pub already_issued: i64,
    /// Total amount issued now, in cents.
    pub amount_cents: i64,
}

/// One count of a breakdown.
#[derive(Debug, Serialize, ToSchema)]
pub struct Count {
    /// What is counted (a status, a kind, a category name, a segment code, a year …).
    pub key: String,
    /// Display name, where the key is an id or a code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How many members.
    pub count: i64,
}

/// Figures of the register (archived members excluded).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberStats {
    /// Members in the register.
    pub total: i64,
    /// By status (sums to `total`).
    pub by_status: Vec<Count>,
    /// By category (sums to `total`).
    pub by_category: Vec<Count>,
    /// By segment code (a member may be in several, or none).
    pub by_segment: Vec<Count>,
    /// By kind (sums to `total`).
    pub by_kind: Vec<Count>,
    /// By size, `unknown` included (sums to `total`).
    pub by_size: Vec<Count>,
    /// SMEs (micro, small, medium).
    pub sme_count: i64,
    /// SMEs among members of known size, in basis points (10000 = all).
    pub sme_share_bp: Option<i64>,
    /// Universities and technology centres.
    pub knowledge_providers: i64,
    /// Members in good standing.
    pub in_good_standing: i64,
    /// Members by year of joining (`unknown` for no date).
    pub joined_per_year: Vec<Count>,
}
