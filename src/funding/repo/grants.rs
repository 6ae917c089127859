//! Read by the BDNS grant export: the grants decided in a year.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::super::model::{ApplicationStatus, FunderKind};
use crate::{
    domain::{ApplicationId, CallId, Cents},
    schema::{applications, calls, funders},
};

/// A grant with its call and funder.
#[derive(Debug, Clone, Queryable)]
pub struct DecidedGrant {
    /// The application.
    pub application_id: ApplicationId,
    /// Where it stands now (a status that holds the grant).
    pub status: ApplicationStatus,
    /// The amount granted.
    pub granted_cents: Option<Cents>,
    /// The day of the decision.
    pub decided_on: Option<NaiveDate>,
    /// The call.
    pub call_id: CallId,
    /// The call's title.
    pub call_title: String,
    /// The call's BDNS code.
    pub bdns_code: Option<String>,
    /// The call's aid instruments.
    pub instruments: Vec<String>,
    /// The funder's name.
    pub funder_name: String,
    /// The funder's kind.
    pub funder_kind: FunderKind,
}

/// The applications that hold a grant (granted, partially granted, or later: accepted,
/// justification submitted, justified, closed) whose decision falls in `year`, by decision
/// day, then id.
pub async fn grants_decided_in(
    conn: &mut AsyncPgConnection,
    year: i32,
) -> QueryResult<Vec<DecidedGrant>> {
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(Vec::new());
    };
    applications::table
        .inner_join(calls::table.inner_join(funders::table))
        .filter(applications::status.eq_any(ApplicationStatus::granted_statuses()))
        .filter(applications::decided_on.between(first, last))
        .select((
            applications::id,
            applications::status,
            applications::granted_cents,
            applications::decided_on,
            calls::id,
            calls::title,
            calls::bdns_code,
            calls::instruments,
            funders::name,
            funders::kind,
        ))
        .order((applications::decided_on, applications::id))
        .load(conn)
        .await
}
