//! Member rows, the enums of the register, and its rules: the membership lifecycle, SME,
//! overdue dues.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::{
        Cents, ContactId, DueId, Email, MemberCategoryId, MemberId, SegmentId, StatusChangeId,
        TaxId,
    },
    schema::{member_contacts, member_dues, member_status_changes, members},
};

crate::text_enum!(
    /// What kind of organisation a member is.
    MemberKind {
        /// A company.
        Company => "company",
        /// A self-employed professional.
        Freelancer => "freelancer",
        /// A university (knowledge provider).
        University => "university",
        /// A technology centre (knowledge provider).
        TechnologyCentre => "technology_centre",
        /// A training centre or film school.
        TrainingCentre => "training_centre",
        /// A public institution.
        PublicInstitution => "public_institution",
        /// An association.
        Association => "association",
        /// Anything else.
        Other => "other",
    }
);

impl MemberKind {
    /// Universities and technology centres: the AEI register wants one in every governing body.
    pub fn is_knowledge_provider(self) -> bool {
        Self::KNOWLEDGE_PROVIDERS.contains(&self)
    }

    /// The kinds that count as companies (for critical mass): companies and self-employed
    /// professionals.
    pub const COMPANIES: [MemberKind; 2] = [MemberKind::Company, MemberKind::Freelancer];

    /// The kinds that are knowledge providers.
    pub const KNOWLEDGE_PROVIDERS: [MemberKind; 2] =
        [MemberKind::University, MemberKind::TechnologyCentre];
}

crate::text_enum!(
    /// Company size (EU definition).
    MemberSize {
        /// Fewer than 10 people.
        Micro => "micro",
        /// Fewer than 50 people.
        Small => "small",
        /// Fewer than 250 people.
        Medium => "medium",
        /// 250 or more.
        Large => "large",
    }
);

impl MemberSize {
    /// Small and medium-sized enterprises (micro, small, medium).
    pub fn is_sme(self) -> bool {
        !matches!(self, MemberSize::Large)
    }
}

crate::text_enum!(
    /// Where a membership stands.
    MemberStatus {
        /// Applied; not yet admitted.
        Applicant => "applicant",
        /// A member with full rights.
        Active => "active",
        /// Rights suspended (e.g. unpaid dues); may return to active.
        Suspended => "suspended",
        /// Left the cluster.
        Withdrawn => "withdrawn",
        /// Expelled by the assembly.
        Expelled => "expelled",
    }
);

/// The membership lifecycle: `applicant → active → suspended ↔ active`, and from `active`
/// or `suspended` to `withdrawn` or `expelled`, which are final. The one rule both the
/// HTTP API and (later) assembly resolutions go through.
pub fn check_transition(from: MemberStatus, to: MemberStatus) -> Result<(), String> {
    use MemberStatus::*;
    let legal = matches!(
        (from, to),
        (Applicant, Active)
            | (Active, Suspended)
            | (Suspended, Active)
            | (Active | Suspended, Withdrawn | Expelled)
    );
    if legal {
        Ok(())
    } else {
        Err(format!("A member cannot go from `{from}` to `{to}`."))
    }
}

crate::text_enum!(
    /// Where a yearly due stands (`overdue` is derived: pending past its due date).
    DueStatus {
        /// Issued, not yet paid, not yet due.
        Pending => "pending",
        /// Paid.
        Paid => "paid",
        /// Pending past its due date.
        Overdue => "overdue",
        /// Forgiven.
        Waived => "waived",
    }
);

impl DueStatus {
    /// The status shown on `today`: a pending due past its date is overdue.
    pub fn effective(self, due_on: NaiveDate, today: NaiveDate) -> DueStatus {
        if self == DueStatus::Pending && due_on < today {
            DueStatus::Overdue
        } else {
            self
        }
    }
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

    /// Whether it sorts by joining date (which the public register does not show).
    pub fn by_joining_date(self) -> bool {
        matches!(self, MemberSort::Joined | MemberSort::JoinedDesc)
    }
}

/// A member as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = members)]
pub struct MemberRow {
    /// Id.
    pub id: MemberId,
    /// Legal name.
    pub legal_name: String,
    /// Trade name.
    pub trade_name: Option<String>,
    /// Normalised tax id.
    pub tax_id: TaxId,
    /// Kind.
    pub kind: MemberKind,
    /// Size.
    pub size: Option<MemberSize>,
    /// Category.
    pub category_id: MemberCategoryId,
    /// Status.
    pub status: MemberStatus,
    /// Street address.
    pub address: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// Municipality.
    pub municipality: Option<String>,
    /// Province.
    pub province: Option<String>,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// Website.
    pub website: Option<String>,
    /// Employees.
    pub employees: Option<i32>,
    /// Yearly turnover (confidential).
    pub annual_turnover_cents: Option<Cents>,
    /// Description.
    pub description: Option<String>,
    /// When the member joined.
    pub joined_on: Option<NaiveDate>,
    /// When it was archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i64,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Changes to a member (`None` = leave as is; `Some(None)` clears).
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = members)]
pub struct MemberChanges {
    /// Legal name.
    pub legal_name: Option<String>,
    /// Trade name.
    pub trade_name: Option<Option<String>>,
    /// Tax id.
    pub tax_id: Option<TaxId>,
    /// Kind.
    pub kind: Option<MemberKind>,
    /// Size.
    pub size: Option<Option<MemberSize>>,
    /// Category.
    pub category_id: Option<MemberCategoryId>,
    /// Address.
    pub address: Option<Option<String>>,
    /// Postcode.
    pub postcode: Option<Option<String>>,
    /// Municipality.
    pub municipality: Option<Option<String>>,
    /// Province.
    pub province: Option<Option<String>>,
    /// Country.
    pub country: Option<String>,
    /// Website.
    pub website: Option<Option<String>>,
    /// Employees.
    pub employees: Option<Option<i32>>,
    /// Turnover.
    pub annual_turnover_cents: Option<Option<Cents>>,
    /// Description.
    pub description: Option<Option<String>>,
    /// Joined on.
    pub joined_on: Option<Option<NaiveDate>>,
}

/// A status change, kept as history.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = member_status_changes)]
pub struct StatusChangeRow {
    /// Id.
    pub id: StatusChangeId,
    /// Member.
    pub member_id: MemberId,
    /// From.
    pub from_status: MemberStatus,
    /// To.
    pub to_status: MemberStatus,
    /// Why.
    pub reason: String,
    /// From when.
    pub effective_on: NaiveDate,
    /// Who (a user's or an API client's id).
    pub actor_id: Option<Uuid>,
    /// Which request.
    pub request_id: Option<String>,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
    /// The General Assembly resolution that made it, if any.
    pub resolution_id: Option<crate::domain::ResolutionId>,
}

/// A contact person of a member.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = member_contacts)]
pub struct ContactRow {
    /// Id.
    pub id: ContactId,
    /// Member.
    pub member_id: MemberId,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: Option<Email>,
    /// Phone.
    pub phone: Option<String>,
    /// Position.
    pub position: Option<String>,
    /// The primary contact.
    pub is_primary: bool,
    /// Consent to communications.
    pub consent_communications: bool,
    /// Version.
    pub version: i64,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Changes to a contact.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = member_contacts)]
pub struct ContactChanges {
    /// Name.
    pub name: Option<String>,
    /// E-mail.
    pub email: Option<Option<Email>>,
    /// Phone.
    pub phone: Option<Option<String>>,
    /// Position.
    pub position: Option<Option<String>>,
    /// Primary.
    pub is_primary: Option<bool>,
    /// Consent.
    pub consent_communications: Option<bool>,
}

/// A yearly due.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = member_dues)]
pub struct DueRow {
    /// Id.
    pub id: DueId,
    /// Member.
    pub member_id: MemberId,
    /// Year.
    pub year: i32,
    /// Amount.
    pub amount_cents: Cents,
    /// Issued on.
    pub issued_on: NaiveDate,
    /// Due on.
    pub due_on: NaiveDate,
    /// Paid on.
    pub paid_on: Option<NaiveDate>,
    /// Stored status (`pending`, `paid`, `waived`).
    pub status: DueStatus,
    /// Version.
    pub version: i64,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A segment as shown on a member.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct SegmentRef {
    /// Id.
    pub id: SegmentId,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// A member with what is read along with it, in one statement: its category's name, its
/// segments and whether it is in good standing.
#[derive(Debug, Clone)]
pub struct MemberCard {
    /// The member.
    pub row: MemberRow,
    /// Its category's name.
    pub category_name: String,
    /// Its segments, in value-chain order.
    pub segments: Vec<SegmentRef>,
    /// Active with no overdue due.
    pub in_good_standing: bool,
}

impl MemberCard {
    /// The number its ETag is made of: its version, and its good standing, which changes
    /// with dues and the calendar without the member row changing.
    pub fn tag_version(&self) -> i64 {
        self.row.version * 2 + i64::from(self.in_good_standing)
    }
}

/// Phone numbers: digits, spaces, `+ ( ) -`, 6–20 characters.
pub fn check_phone(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    let ok = (6..=20).contains(&v.len())
        && v.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " ()-".contains(c) || (i == 0 && c == '+'));
    if ok {
        Ok(v.to_owned())
    } else {
        Err("must be a phone number like +34 910 000 000".into())
    }
}

/// Websites: `http(s)://` and a host.
pub fn check_website(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        r.split('/')
            .next()
            .is_some_and(|h| h.contains('.') && !h.contains(' '))
    }) && v.len() <= 300
        && !v.chars().any(char::is_whitespace);
    if ok {
        Ok(v.to_owned())
    } else {
        Err("must be a web address like https://example.es".into())
    }
}

/// Countries: ISO 3166-1 alpha-2, uppercase.
pub fn check_country(raw: &str) -> Result<String, String> {
    let v = raw.trim().to_uppercase();
    if v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(v)
    } else {
        Err("must be a two-letter ISO country code like ES".into())
    }
}

/// Postcodes: 3–10 letters, digits, spaces or hyphens.
pub fn check_postcode(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if (3..=10).contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
    {
        Ok(v.to_owned())
    } else {
        Err("must be a postcode like 28004".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_allows_exactly_the_documented_moves() {
        use MemberStatus::*;
        let legal = [
            (Applicant, Active),
            (Active, Suspended),
            (Suspended, Active),
            (Active, Withdrawn),
            (Active, Expelled),
            (Suspended, Withdrawn),
            (Suspended, Expelled),
        ];
        for from in MemberStatus::ALL {
            for to in MemberStatus::ALL {
                let expected = legal.contains(&(*from, *to));
                assert_eq!(
                    check_transition(*from, *to).is_ok(),
                    expected,
                    "{from} → {to}"
                );
            }
        }
    }

    #[test]
    fn pending_dues_past_their_date_are_overdue() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            DueStatus::Pending.effective(d("2025-03-31"), d("2025-04-01")),
            DueStatus::Overdue
        );
        assert_eq!(
            DueStatus::Pending.effective(d("2025-03-31"), d("2025-03-31")),
            DueStatus::Pending
        );
        assert_eq!(
            DueStatus::Paid.effective(d("2025-03-31"), d("2026-01-01")),
            DueStatus::Paid
        );
    }

    #[test]
    fn contact_and_address_values_are_checked() {
        assert!(check_phone("+34 910 000 000").is_ok());
        assert!(check_phone("llámame").is_err());
        assert!(check_website("https://clúster.es/socios").is_ok());
        assert!(check_website("javascript:alert(1)").is_err());
        assert_eq!(check_country(" es ").unwrap(), "ES");
        assert!(check_country("ESP").is_err());
        assert!(check_postcode("28004").is_ok());
    }
}
