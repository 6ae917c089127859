//! Deadlines.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::super::{
    model::{AgreementRow, ApplicationRow, ApplicationStatus, CallRow},
    scope::Scope,
};
use crate::{
    domain::FunderId,
    schema::{agreement_instalments, agreements, applications, calls},
};

/// The calls (of `funder`, or every funder's) closing in `[from, until)`.
pub async fn calls_closing(
    conn: &mut AsyncPgConnection,
    funder: Option<FunderId>,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> QueryResult<Vec<CallRow>> {
    let mut q = calls::table
        .filter(calls::closes_at.ge(from).and(calls::closes_at.lt(until)))
        .select(CallRow::as_select())
        .into_boxed();
    if let Some(f) = funder {
        q = q.filter(calls::funder_id.eq(f));
    }
    q.load(conn).await
}

/// The accepted applications visible in `scope` whose justification is due from `from` to
/// `to` (both included).
pub async fn justifications_due(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<ApplicationRow>> {
    let mut q = applications::table
        .inner_join(calls::table)
        .filter(applications::status.eq(ApplicationStatus::Accepted))
        .filter(applications::justification_due_on.between(from, to))
        .select(ApplicationRow::as_select())
        .into_boxed();
    match scope {
        Scope::All => {}
        Scope::Funder(None) | Scope::Member(None) => return Ok(Vec::new()),
        Scope::Funder(Some(f)) => q = q.filter(calls::funder_id.eq(f)),
        Scope::Member(Some(m)) => {
            q = q.filter(super::applications::of_member(m));
        }
    }
    q.load(conn).await
}

/// Every accepted application whose justification is due from `from` to `to` (both
/// included), with its call's funder (the audience of `justification.due_soon`).
pub async fn justifications_due_with_funder(
    conn: &mut AsyncPgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(ApplicationRow, FunderId)>> {
    applications::table
        .inner_join(calls::table)
        .filter(applications::status.eq(ApplicationStatus::Accepted))
        .filter(applications::justification_due_on.between(from, to))
        .select((ApplicationRow::as_select(), calls::funder_id))
        .order(applications::id)
        .load(conn)
        .await
}

/// The agreements (of `funder`, or every funder's) with a justification (theirs or an
/// instalment's) due, or an end, from `from` to `to` (both included).
pub async fn agreements_due(
    conn: &mut AsyncPgConnection,
    funder: Option<FunderId>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<AgreementRow>> {
    let mut q = agreements::table
        .select(AgreementRow::as_select())
        .into_boxed();
    if let Some(f) = funder {
        q = q.filter(agreements::funder_id.eq(f));
    }
    q.filter(
        agreements::justification_due_on
            .between(from, to)
            .or(agreements::ends_on.between(from, to))
            .or(agreements::id.eq_any(
                agreement_instalments::table
                    .filter(agreement_instalments::justification_due_on.between(from, to))
                    .select(agreement_instalments::agreement_id),
            )),
    )
    .load(conn)
    .await
}
