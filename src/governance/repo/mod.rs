//! Queries of governance: every query on its tables (bodies and the versions of their
//! rules, seats, meetings, agenda items,
//! roll entries, resolutions, votes, minutes, dissents, certificates, meeting requests), and
//! nothing else (members, plans and budgets are read through their repos).
//!
//! Past 600 lines because the ownership rule gives these eleven tables one home: each
//! function is a single short query, grouped by sub-resource below.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::{ApprovedAccountsRow, BodyChanges, BodyRow, RulesVersionRow, SeatRow};
use crate::{
    domain::{BodyId, MemberId, RulesVersionId, SeatId},
    schema::{approved_accounts, bodies, body_rule_versions, seats},
};

mod meeting_queries;
mod records;

pub use meeting_queries::*;
pub use records::*;

// ---------------------------------------------------------------------------------------
// Bodies and seats

/// Inserts a body.
pub async fn insert_body(conn: &mut AsyncPgConnection, row: &BodyRow) -> QueryResult<BodyRow> {
    diesel::insert_into(bodies::table)
        .values(row)
        .returning(BodyRow::as_returning())
        .get_result(conn)
        .await
}

/// One body (`lock`: `FOR UPDATE`).
pub async fn find_body(
    conn: &mut AsyncPgConnection,
    id: BodyId,
    lock: bool,
) -> QueryResult<BodyRow> {
    let q = bodies::table.find(id).select(BodyRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// Bodies by name, after the key `(name, id)`; `member`: only the Assembly and the bodies
/// where that member holds (or held) a seat.
pub async fn list_bodies(
    conn: &mut AsyncPgConnection,
    member: Option<MemberId>,
    after: Option<(String, BodyId)>,
    limit: i64,
) -> QueryResult<Vec<BodyRow>> {
    let mut q = bodies::table.select(BodyRow::as_select()).into_boxed();
    if let Some(m) = member {
        let seated = seats::table
            .filter(seats::member_id.eq(m))
            .select(seats::body_id);
        q = q.filter(bodies::kind.eq("assembly").or(bodies::id.eq_any(seated)));
    }
    if let Some((name, id)) = after {
        q = q.filter(
            bodies::name
                .gt(name.clone())
                .or(bodies::name.eq(name).and(bodies::id.gt(id))),
        );
    }
    q.order((bodies::name, bodies::id))
        .limit(limit)
        .load(conn)
        .await
}

/// Changes a body and bumps its version.
pub async fn update_body(
    conn: &mut AsyncPgConnection,
    id: BodyId,
    changes: &BodyChanges,
) -> QueryResult<BodyRow> {
    diesel::update(bodies::table.find(id))
        .set((changes, bodies::version.eq(bodies::version + 1)))
        .returning(BodyRow::as_returning())
        .get_result(conn)
        .await
}

/// Inserts a version of a body's rules.
pub async fn insert_rules_version(
    conn: &mut AsyncPgConnection,
    row: &RulesVersionRow,
) -> QueryResult<RulesVersionRow> {
    diesel::insert_into(body_rule_versions::table)
        .values(row)
        .returning(RulesVersionRow::as_returning())
        .get_result(conn)
        .await
}

/// A body's latest version of its rules: its current rules.
pub async fn latest_rules(
    conn: &mut AsyncPgConnection,
    body: BodyId,
) -> QueryResult<RulesVersionRow> {
    body_rule_versions::table
        .filter(body_rule_versions::body_id.eq(body))
        .order(body_rule_versions::number.desc())
        .select(RulesVersionRow::as_select())
        .first(conn)
        .await
}

/// One version of rules.
pub async fn find_rules_version(
    conn: &mut AsyncPgConnection,
    id: RulesVersionId,
) -> QueryResult<RulesVersionRow> {
    body_rule_versions::table
        .find(id)
        .select(RulesVersionRow::as_select())
        .first(conn)
        .await
}

/// A body's versions of its rules, latest first, before the number `before`.
pub async fn list_rules_versions(
    conn: &mut AsyncPgConnection,
    body: BodyId,
    before: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<RulesVersionRow>> {
    let mut q = body_rule_versions::table
        .filter(body_rule_versions::body_id.eq(body))
        .select(RulesVersionRow::as_select())
        .into_boxed();
    if let Some(n) = before {
        q = q.filter(body_rule_versions::number.lt(n));
    }
    q.order(body_rule_versions::number.desc())
        .limit(limit)
        .load(conn)
        .await
}

/// Whether a member holds or held a seat on a body.
pub async fn has_seat(
    conn: &mut AsyncPgConnection,
    body: BodyId,
    member: MemberId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        seats::table
            .filter(seats::body_id.eq(body))
            .filter(seats::member_id.eq(member)),
    ))
    .get_result(conn)
    .await
}

/// Inserts a seat.
pub async fn insert_seat(conn: &mut AsyncPgConnection, row: &SeatRow) -> QueryResult<SeatRow> {
    diesel::insert_into(seats::table)
        .values(row)
        .returning(SeatRow::as_returning())
        .get_result(conn)
        .await
}

/// One seat of a body (`lock`: `FOR UPDATE`).
pub async fn find_seat(
    conn: &mut AsyncPgConnection,
    body: BodyId,
    id: SeatId,
    lock: bool,
) -> QueryResult<SeatRow> {
    let q = seats::table
        .filter(seats::body_id.eq(body))
        .filter(seats::id.eq(id))
        .select(SeatRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// Changes a seat's person and end, bumping its version.
pub async fn update_seat(
    conn: &mut AsyncPgConnection,
    id: SeatId,
    person_name: &str,
    ends_on: Option<NaiveDate>,
) -> QueryResult<SeatRow> {
    diesel::update(seats::table.find(id))
        .set((
            seats::person_name.eq(person_name),
            seats::ends_on.eq(ends_on),
            seats::version.eq(seats::version + 1),
        ))
        .returning(SeatRow::as_returning())
        .get_result(conn)
        .await
}

/// A body's seats by start date, after the key `(starts_on, id)`.
pub async fn list_seats(
    conn: &mut AsyncPgConnection,
    body: BodyId,
    after: Option<(NaiveDate, uuid::Uuid)>,
    limit: i64,
) -> QueryResult<Vec<SeatRow>> {
    let mut q = seats::table
        .filter(seats::body_id.eq(body))
        .select(SeatRow::as_select())
        .into_boxed();
    if let Some((on, id)) = after {
        q = q.filter(
            seats::starts_on
                .gt(on)
                .or(seats::starts_on.eq(on).and(seats::id.gt(id))),
        );
    }
    q.order((seats::starts_on, seats::id))
        .limit(limit)
        .load(conn)
        .await
}

/// The seats of a body held on a day.
pub async fn seats_on(
    conn: &mut AsyncPgConnection,
    body: BodyId,
    on: NaiveDate,
) -> QueryResult<Vec<SeatRow>> {
    seats::table
        .filter(seats::body_id.eq(body))
        .filter(seats::starts_on.le(on))
        .filter(seats::ends_on.is_null().or(seats::ends_on.ge(on)))
        .select(SeatRow::as_select())
        .order(seats::starts_on)
        .load(conn)
        .await
}

// ---------------------------------------------------------------------------------------
// Meetings, agenda and roll

/// Records the approval of a year's accounts.
pub async fn insert_approved_accounts(
    conn: &mut AsyncPgConnection,
    row: &ApprovedAccountsRow,
) -> QueryResult<ApprovedAccountsRow> {
    diesel::insert_into(approved_accounts::table)
        .values(row)
        .returning(ApprovedAccountsRow::as_returning())
        .get_result(conn)
        .await
}

/// Approved accounts, latest year first, after the key `fiscal_year`.
pub async fn list_approved_accounts(
    conn: &mut AsyncPgConnection,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<ApprovedAccountsRow>> {
    let mut q = approved_accounts::table
        .select(ApprovedAccountsRow::as_select())
        .into_boxed();
    if let Some(year) = after {
        q = q.filter(approved_accounts::fiscal_year.lt(year));
    }
    q.order(approved_accounts::fiscal_year.desc())
        .limit(limit)
        .load(conn)
        .await
}
