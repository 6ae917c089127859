//! What a caller may see of a member: the full record (staff, admins, auditors, the
//! member's own representatives) or the public register.

use chrono::Utc;
use uuid::Uuid;

use super::{
    dto::{Member, SegmentRef},
    repo::MemberFull,
};
use crate::{
    auth::{Caller, Role, policy},
    http::csv::CsvRow,
};

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
    pub member_id: Option<Uuid>,
}

impl Viewer {
    /// From the caller.
    pub fn of(caller: &Caller) -> Self {
        Self {
            role: caller.role,
            member_id: caller.member_id,
        }
    }

    /// Whether this viewer reads the whole register in full.
    pub fn sees_everything(self) -> bool {
        policy::reads_whole_register(self.role)
    }

    /// The view of one member.
    pub fn view_of(self, member_id: Uuid) -> View {
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
    pub fn may_see(self, m: &MemberFull) -> bool {
        let row = &m.0;
        self.view_of(row.id) == View::Full
            || (row.archived_at.is_none() && row.status == super::model::MemberStatus::Active)
    }
}

/// A member with the view it is shown in.
#[derive(Debug, Clone)]
pub struct Viewed {
    /// The member.
    pub member: MemberFull,
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
pub fn to_dto(m: MemberFull, view: View) -> Member {
    let (row, category_name, segments, good) = m;
    let segments: Vec<SegmentRef> = serde_json::from_value(segments).unwrap_or_default();
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
        tax_id: full.then_some(row.tax_id),
        size: full.then_some(row.size),
        sme: full.then_some(row.size.map(super::model::MemberSize::is_sme)),
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
            flat(m.annual_turnover_cents.map(|v| v.map(|e| e.to_string()))),
            flat(m.joined_on.map(|v| v.map(|d| d.to_string()))),
            flat(
                m.archived_at
                    .map(|v| v.map(|d| d.with_timezone(&Utc).to_rfc3339())),
            ),
        ]
    }
}
