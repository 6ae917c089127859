//! What a caller may see of a member: the full record (staff, admins, auditors, the
//! member's own representatives) or the public register; the member's response body in
//! each view; and the visibility checks every sub-resource makes before anything else.

use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    model::{MemberCard, MemberKind, MemberSize, MemberStatus, SegmentRef},
    repo,
};
use crate::{
    auth::{Action, Caller, Resource, Role, policy},
    domain::{Cents, MemberCategoryId, MemberId},
    error::{ApiError, not_found},
    http::csv::CsvRow,
};

/// A member organisation. Everyone signed in sees the public register (`visibility:
/// "public"`: name, kind, segments, municipality, website); staff, admins, auditors and the
/// member's own representatives also see the rest (`visibility: "full"`), including the
/// confidential turnover. Fields outside your view are absent, not null.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    /// Id.
    pub id: MemberId,
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
    pub category_id: Option<MemberCategoryId>,
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
    pub annual_turnover_cents: Option<Option<Cents>>,
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

/// The two views of a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Everything.
    Full,
    /// Name, kind, segments, municipality, website.
    Public,
}

/// Who is looking (a cheap copy of what matters of the caller).
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    /// Role.
    pub role: Role,
    /// The organisation a representative represents.
    pub member_id: Option<MemberId>,
}

impl Viewer {
    /// From the caller.
    pub fn of(caller: &Caller) -> Self {
        Self {
            role: caller.role,
            member_id: caller.member_id.map(MemberId),
        }
    }

    /// Whether this viewer reads the whole register in full.
    pub fn sees_everything(self) -> bool {
        policy::reads_whole_register(self.role)
    }

    /// The view of one member.
    pub fn view_of(self, member_id: MemberId) -> View {
        if self.sees_everything()
            || (self.role == Role::Member && self.member_id == Some(member_id))
        {
            View::Full
        } else {
            View::Public
        }
    }

    /// Whether this viewer may see this member at all (the public register shows active,
    /// unarchived members; a representative always sees their own organisation).
    pub fn may_see(self, m: &MemberCard) -> bool {
        let row = &m.row;
        self.view_of(row.id) == View::Full
            || (row.archived_at.is_none() && row.status == MemberStatus::Active)
    }

    /// `Ok` when this viewer sees the member in full; 404 otherwise (decided without
    /// reading anything, so a viewer of the public register learns nothing and locks
    /// nothing).
    pub fn full_or_404(self, member_id: MemberId) -> Result<(), ApiError> {
        if self.view_of(member_id) == View::Full {
            Ok(())
        } else {
            Err(not_found())
        }
    }

    /// The member as this viewer may see it; 404 when they may not see it at all.
    pub fn show(self, member: MemberCard) -> Result<Viewed, ApiError> {
        if !self.may_see(&member) {
            return Err(not_found());
        }
        let view = self.view_of(member.row.id);
        Ok(Viewed { member, view })
    }
}

/// The member as the caller may see it; 404 when they may not see it at all.
pub async fn visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: MemberId,
) -> Result<Viewed, ApiError> {
    Viewer::of(caller).show(repo::find(conn, id).await?)
}

/// Checks that the caller sees the member in full (its contacts, dues and history are not
/// public): 404 otherwise, without reading anything for a representative of another
/// organisation or a viewer of the public register.
pub async fn require_full(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: MemberId,
) -> Result<(), ApiError> {
    Viewer::of(caller).full_or_404(id)?;
    visible(conn, caller, id).await.map(|_| ())
}

/// For the lists of a member's contacts, dues and history: the caller reads the register
/// and sees this member in full; 403 or 404 otherwise.
pub async fn require_full_read(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: MemberId,
) -> Result<(), ApiError> {
    caller.require(Action::read(Resource::Members))?;
    require_full(conn, caller, id).await
}

/// A member with the view it is shown in.
#[derive(Debug, Clone)]
pub struct Viewed {
    /// The member.
    pub member: MemberCard,
    /// The view.
    pub view: View,
}

impl Viewed {
    /// The response body.
    pub fn into_dto(self) -> Member {
        to_dto(self.member, self.view)
    }
}

/// The response body of a member in a view.
pub fn to_dto(m: MemberCard, view: View) -> Member {
    let MemberCard {
        row,
        category_name,
        segments,
        in_good_standing: good,
    } = m;
    let full = view == View::Full;
    let some = |b: bool| full.then_some(b);
    Member {
        id: row.id,
        visibility: if full { "full" } else { "public" },
        legal_name: row.legal_name,
        trade_name: row.trade_name,
        kind: row.kind,
        segments,
        municipality: row.municipality,
        website: row.website,
        tax_id: full.then(|| row.tax_id.into()),
        size: full.then_some(row.size),
        sme: full.then_some(row.size.map(MemberSize::is_sme)),
        category_id: full.then_some(row.category_id),
        category_name: full.then_some(category_name),
        status: full.then_some(row.status),
        in_good_standing: some(good),
        address: full.then_some(row.address),
        postcode: full.then_some(row.postcode),
        province: full.then_some(row.province),
        country: full.then_some(row.country),
        employees: full.then_some(row.employees),
        annual_turnover_cents: full.then_some(row.annual_turnover_cents),
        description: full.then_some(row.description),
        joined_on: full.then_some(row.joined_on),
        archived_at: full.then_some(row.archived_at),
        created_at: full.then_some(row.created_at),
        updated_at: full.then_some(row.updated_at),
    }
}

impl CsvRow for Viewed {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "legal_name",
            "trade_name",
            "kind",
            "segments",
            "municipality",
            "website",
            "tax_id",
            "size",
            "category",
            "status",
            "in_good_standing",
            "address",
            "postcode",
            "province",
            "country",
            "employees",
            "annual_turnover_cents",
            "joined_on",
            "archived_at",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let m = self.clone().into_dto();
        let s = |v: Option<String>| v.unwrap_or_default();
        let flat = |v: Option<Option<String>>| v.flatten().unwrap_or_default();
        vec![
            m.id.to_string(),
            m.legal_name,
            s(m.trade_name),
            m.kind.to_string(),
            m.segments
                .iter()
                .map(|g| g.code.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            s(m.municipality),
            s(m.website),
            s(m.tax_id),
            flat(m.size.map(|v| v.map(|z| z.to_string()))),
            s(m.category_name),
            s(m.status.map(|v| v.to_string())),
            s(m.in_good_standing.map(|v| v.to_string())),
            flat(m.address),
            flat(m.postcode),
            flat(m.province),
            s(m.country),
            flat(m.employees.map(|v| v.map(|e| e.to_string()))),
            flat(
                m.annual_turnover_cents
                    .map(|v| v.map(|e| e.get().to_string())),
            ),
            flat(m.joined_on.map(|v| v.map(|d| d.to_string()))),
            flat(
                m.archived_at
                    .map(|v| v.map(|d| d.with_timezone(&Utc).to_rfc3339())),
            ),
        ]
    }
}
