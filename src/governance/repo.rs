//! Queries of governance: every query on its tables (bodies and the versions of their
//! rules, seats, meetings, agenda items,
//! roll entries, resolutions, votes, minutes, dissents, certificates, meeting requests), and
//! nothing else (members, plans and budgets are read through their repos).
//!
//! Past 600 lines because the ownership rule gives these eleven tables one home: each
//! function is a single short query, grouped by sub-resource below.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::{
    AgendaItemRow, ApprovedAccountsRow, Attendance, BodyChanges, BodyKind, BodyRow, CertificateRow,
    DissentRow, MeetingRequestRow, MeetingRow, MeetingStatus, MinutesRow, MinutesStatus, Position,
    ResolutionRow, RollEntryRow, RulesVersionRow, SeatRow, VoteRow,
};
use crate::{
    domain::{
        AgendaItemId, BodyId, CertificateId, MeetingId, MemberId, ResolutionId, RollEntryId,
        RulesVersionId, SeatId,
    },
    schema::{
        agenda_items, approved_accounts, bodies, body_rule_versions, certificates, dissents,
        meeting_requests, meetings, minutes, resolutions, roll_entries, seats, votes,
    },
};

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

/// Inserts a meeting with its agenda and roll.
pub async fn insert_meeting(
    conn: &mut AsyncPgConnection,
    meeting: &MeetingRow,
    items: &[AgendaItemRow],
    roll: &[RollEntryRow],
) -> QueryResult<MeetingRow> {
    let row = diesel::insert_into(meetings::table)
        .values(meeting)
        .returning(MeetingRow::as_returning())
        .get_result(conn)
        .await?;
    if !items.is_empty() {
        diesel::insert_into(agenda_items::table)
            .values(items)
            .execute(conn)
            .await?;
    }
    for chunk in roll.chunks(1000) {
        diesel::insert_into(roll_entries::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    Ok(row)
}

/// One meeting (`lock`: `FOR UPDATE`).
pub async fn find_meeting(
    conn: &mut AsyncPgConnection,
    id: MeetingId,
    lock: bool,
) -> QueryResult<MeetingRow> {
    let q = meetings::table.find(id).select(MeetingRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// Meetings, latest first call first, after the key `(first_call_at, id)`; `body`: only
/// that body's; `member`: only those a representative sees (see [`MemberView`]).
pub async fn list_meetings(
    conn: &mut AsyncPgConnection,
    member: Option<MemberView>,
    body: Option<BodyId>,
    after: Option<(DateTime<Utc>, MeetingId)>,
    limit: i64,
) -> QueryResult<Vec<MeetingRow>> {
    let mut q = meetings::table.select(MeetingRow::as_select()).into_boxed();
    if let Some(b) = body {
        q = q.filter(meetings::body_id.eq(b));
    }
    if let Some(v) = member {
        let listed = roll_entries::table
            .filter(roll_entries::member_id.eq(v.member))
            .select(roll_entries::meeting_id);
        let seated = seats::table
            .filter(seats::member_id.eq(v.member))
            .select(seats::body_id);
        let seen = meetings::id
            .eq_any(listed)
            .or(meetings::body_id.eq_any(seated));
        q = if v.assembly {
            let assembly = bodies::table
                .filter(bodies::kind.eq(BodyKind::Assembly))
                .select(bodies::id);
            q.filter(seen.or(meetings::body_id.eq_any(assembly)))
        } else {
            q.filter(seen)
        };
    }
    if let Some((at, id)) = after {
        q = q.filter(
            meetings::first_call_at
                .lt(at)
                .or(meetings::first_call_at.eq(at).and(meetings::id.lt(id))),
        );
    }
    q.order((meetings::first_call_at.desc(), meetings::id.desc()))
        .limit(limit)
        .load(conn)
        .await
}

/// What a representative sees of meetings: those of the bodies its organisation belongs
/// to (the Assembly while it is an active member, a board where it holds or held a seat)
/// and those whose roll lists it.
#[derive(Debug, Clone, Copy)]
pub struct MemberView {
    /// The organisation.
    pub member: MemberId,
    /// Whether it belongs to the Assembly (an active member).
    pub assembly: bool,
}

/// Records the constitution (or failure) of a meeting and bumps its version.
pub async fn constitute(
    conn: &mut AsyncPgConnection,
    id: MeetingId,
    status: MeetingStatus,
    counts: (i32, i32, i32),
) -> QueryResult<MeetingRow> {
    let (present, represented, required) = counts;
    diesel::update(meetings::table.find(id))
        .set((
            meetings::status.eq(status),
            meetings::present_count.eq(present),
            meetings::represented_count.eq(represented),
            meetings::required_count.eq(required),
            meetings::constituted_at.eq(Utc::now()),
            meetings::version.eq(meetings::version + 1),
        ))
        .returning(MeetingRow::as_returning())
        .get_result(conn)
        .await
}

/// Bumps a meeting's version (its attendance changed).
pub async fn touch_meeting(conn: &mut AsyncPgConnection, id: MeetingId) -> QueryResult<MeetingRow> {
    diesel::update(meetings::table.find(id))
        .set(meetings::version.eq(meetings::version + 1))
        .returning(MeetingRow::as_returning())
        .get_result(conn)
        .await
}

/// A meeting's agenda, in order.
pub async fn agenda(
    conn: &mut AsyncPgConnection,
    meeting: MeetingId,
) -> QueryResult<Vec<AgendaItemRow>> {
    agenda_items::table
        .filter(agenda_items::meeting_id.eq(meeting))
        .select(AgendaItemRow::as_select())
        .order(agenda_items::position)
        .load(conn)
        .await
}

/// One agenda item of a meeting.
pub async fn find_item(
    conn: &mut AsyncPgConnection,
    meeting: MeetingId,
    id: AgendaItemId,
) -> QueryResult<AgendaItemRow> {
    agenda_items::table
        .filter(agenda_items::meeting_id.eq(meeting))
        .filter(agenda_items::id.eq(id))
        .select(AgendaItemRow::as_select())
        .first(conn)
        .await
}

/// A meeting's whole roll, by member name.
pub async fn roll(
    conn: &mut AsyncPgConnection,
    meeting: MeetingId,
) -> QueryResult<Vec<RollEntryRow>> {
    roll_entries::table
        .filter(roll_entries::meeting_id.eq(meeting))
        .select(RollEntryRow::as_select())
        .order((roll_entries::member_name, roll_entries::id))
        .load(conn)
        .await
}

/// A page of a meeting's roll, by member name, after the key `(member_name, id)`;
/// `member`: only that member's entry.
pub async fn roll_page(
    conn: &mut AsyncPgConnection,
    meeting: MeetingId,
    member: Option<MemberId>,
    after: Option<(String, RollEntryId)>,
    limit: i64,
) -> QueryResult<Vec<RollEntryRow>> {
    let mut q = roll_entries::table
        .filter(roll_entries::meeting_id.eq(meeting))
        .select(RollEntryRow::as_select())
        .into_boxed();
    if let Some(m) = member {
        q = q.filter(roll_entries::member_id.eq(m));
    }
    if let Some((name, id)) = after {
        q = q.filter(
            roll_entries::member_name
                .gt(name.clone())
                .or(roll_entries::member_name
                    .eq(name)
                    .and(roll_entries::id.gt(id))),
        );
    }
    q.order((roll_entries::member_name, roll_entries::id))
        .limit(limit)
        .load(conn)
        .await
}

/// Whether a member is on a meeting's roll.
pub async fn on_roll(
    conn: &mut AsyncPgConnection,
    meeting: MeetingId,
    member: MemberId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        roll_entries::table
            .filter(roll_entries::meeting_id.eq(meeting))
            .filter(roll_entries::member_id.eq(member)),
    ))
    .get_result(conn)
    .await
}

/// Sets one roll entry's attendance.
pub async fn set_attendance(
    conn: &mut AsyncPgConnection,
    id: RollEntryId,
    attendance: Attendance,
    proxy_holder: Option<RollEntryId>,
    proxy_document: Option<&str>,
) -> QueryResult<()> {
    diesel::update(roll_entries::table.find(id))
        .set((
            roll_entries::attendance.eq(attendance),
            roll_entries::proxy_holder_id.eq(proxy_holder),
            roll_entries::proxy_document.eq(proxy_document),
            roll_entries::version.eq(roll_entries::version + 1),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

// ---------------------------------------------------------------------------------------
// Resolutions

/// Inserts a resolution and its named votes.
pub async fn insert_resolution(
    conn: &mut AsyncPgConnection,
    row: &ResolutionRow,
    named: &[VoteRow],
) -> QueryResult<ResolutionRow> {
    let row = diesel::insert_into(resolutions::table)
        .values(row)
        .returning(ResolutionRow::as_returning())
        .get_result(conn)
        .await?;
    if !named.is_empty() {
        diesel::insert_into(votes::table)
            .values(named)
            .execute(conn)
            .await?;
    }
    Ok(row)
}

/// The resolutions of a meeting's items.
pub async fn resolutions_of(
    conn: &mut AsyncPgConnection,
    items: &[AgendaItemId],
) -> QueryResult<Vec<ResolutionRow>> {
    resolutions::table
        .filter(resolutions::item_id.eq_any(items))
        .select(ResolutionRow::as_select())
        .load(conn)
        .await
}

// ---------------------------------------------------------------------------------------
// Minutes

/// A meeting's minutes, if any (`lock`: `FOR UPDATE`).
pub async fn find_minutes(
    conn: &mut AsyncPgConnection,
    meeting: MeetingId,
    lock: bool,
) -> QueryResult<Option<MinutesRow>> {
    let q = minutes::table.find(meeting).select(MinutesRow::as_select());
    if lock {
        q.for_update().first(conn).await.optional()
    } else {
        q.first(conn).await.optional()
    }
}

/// Writes the draft's summary of the debate (creating the draft), bumping its version.
pub async fn save_draft(
    conn: &mut AsyncPgConnection,
    meeting: MeetingId,
    summary: &str,
) -> QueryResult<MinutesRow> {
    diesel::insert_into(minutes::table)
        .values((
            minutes::meeting_id.eq(meeting),
            minutes::status.eq(MinutesStatus::Draft),
            minutes::debate_summary.eq(summary),
        ))
        .on_conflict(minutes::meeting_id)
        .do_update()
        .set((
            minutes::debate_summary.eq(summary),
            minutes::version.eq(minutes::version + 1),
        ))
        .returning(MinutesRow::as_returning())
        .get_result(conn)
        .await
}

/// Inserts minutes as they stand (the seed's historical, approved minutes).
pub async fn insert_minutes(conn: &mut AsyncPgConnection, row: &MinutesRow) -> QueryResult<()> {
    diesel::insert_into(minutes::table)
        .values(row)
        .execute(conn)
        .await?;
    Ok(())
}

/// Approves minutes: their content and its SHA-256 are frozen.
pub async fn approve_minutes(
    conn: &mut AsyncPgConnection,
    meeting: MeetingId,
    content: &str,
    sha256: &str,
    by: Option<uuid::Uuid>,
) -> QueryResult<MinutesRow> {
    diesel::update(minutes::table.find(meeting))
        .set((
            minutes::status.eq(MinutesStatus::Approved),
            minutes::content.eq(content),
            minutes::content_sha256.eq(sha256),
            minutes::approved_at.eq(Utc::now()),
            minutes::approved_by.eq(by),
            minutes::version.eq(minutes::version + 1),
        ))
        .returning(MinutesRow::as_returning())
        .get_result(conn)
        .await
}

/// One resolution.
pub async fn find_resolution(
    conn: &mut AsyncPgConnection,
    id: ResolutionId,
) -> QueryResult<ResolutionRow> {
    resolutions::table
        .find(id)
        .select(ResolutionRow::as_select())
        .first(conn)
        .await
}

/// One agenda item, whatever its meeting.
pub async fn find_item_by_id(
    conn: &mut AsyncPgConnection,
    id: AgendaItemId,
) -> QueryResult<AgendaItemRow> {
    agenda_items::table
        .find(id)
        .select(AgendaItemRow::as_select())
        .first(conn)
        .await
}

/// A resolution's named votes.
pub async fn votes_of(
    conn: &mut AsyncPgConnection,
    resolution: ResolutionId,
) -> QueryResult<Vec<VoteRow>> {
    votes::table
        .filter(votes::resolution_id.eq(resolution))
        .select(VoteRow::as_select())
        .load(conn)
        .await
}

// ---------------------------------------------------------------------------------------
// Dissents and certificates

/// Inserts dissents.
pub async fn insert_dissents(
    conn: &mut AsyncPgConnection,
    rows: &[DissentRow],
) -> QueryResult<Vec<DissentRow>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    diesel::insert_into(dissents::table)
        .values(rows)
        .returning(DissentRow::as_returning())
        .get_results(conn)
        .await
}

/// The dissents from some resolutions with the dissenting member's name, oldest first.
pub async fn dissents_of(
    conn: &mut AsyncPgConnection,
    resolutions: &[ResolutionId],
) -> QueryResult<Vec<(DissentRow, String)>> {
    dissents::table
        .inner_join(roll_entries::table)
        .filter(dissents::resolution_id.eq_any(resolutions))
        .select((DissentRow::as_select(), roll_entries::member_name))
        .order((dissents::created_at, dissents::id))
        .load(conn)
        .await
}

/// Inserts a certificate.
pub async fn insert_certificate(
    conn: &mut AsyncPgConnection,
    row: &CertificateRow,
) -> QueryResult<CertificateRow> {
    diesel::insert_into(certificates::table)
        .values(row)
        .returning(CertificateRow::as_returning())
        .get_result(conn)
        .await
}

/// A resolution's certificates, oldest first, after the key `(created_at, id)`.
pub async fn list_certificates(
    conn: &mut AsyncPgConnection,
    resolution: ResolutionId,
    after: Option<(DateTime<Utc>, CertificateId)>,
    limit: i64,
) -> QueryResult<Vec<CertificateRow>> {
    let mut q = certificates::table
        .filter(certificates::resolution_id.eq(resolution))
        .select(CertificateRow::as_select())
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            certificates::created_at
                .gt(at)
                .or(certificates::created_at.eq(at).and(certificates::id.gt(id))),
        );
    }
    q.order((certificates::created_at, certificates::id))
        .limit(limit)
        .load(conn)
        .await
}

/// One certificate of a resolution.
pub async fn find_certificate(
    conn: &mut AsyncPgConnection,
    resolution: ResolutionId,
    id: CertificateId,
) -> QueryResult<CertificateRow> {
    certificates::table
        .filter(certificates::resolution_id.eq(resolution))
        .filter(certificates::id.eq(id))
        .select(CertificateRow::as_select())
        .first(conn)
        .await
}

/// The seat holding `position` on a day, on the first of `bodies` that has one.
pub async fn seat_holding(
    conn: &mut AsyncPgConnection,
    bodies: &[BodyId],
    position: Position,
    on: NaiveDate,
) -> QueryResult<Option<SeatRow>> {
    let held = seats::table
        .filter(seats::body_id.eq_any(bodies))
        .filter(seats::position.eq(position))
        .filter(seats::starts_on.le(on))
        .filter(seats::ends_on.is_null().or(seats::ends_on.ge(on)))
        .select(SeatRow::as_select())
        .order((seats::starts_on.desc(), seats::id))
        .load(conn)
        .await?;
    Ok(bodies
        .iter()
        .find_map(|b| held.iter().find(|s| s.body_id == *b).cloned()))
}

/// The boards, by name.
pub async fn boards(conn: &mut AsyncPgConnection) -> QueryResult<Vec<BodyId>> {
    bodies::table
        .filter(bodies::kind.eq(BodyKind::Board))
        .select(bodies::id)
        .order(bodies::name)
        .load(conn)
        .await
}

/// Records the members whose request convened a meeting.
pub async fn insert_requests(
    conn: &mut AsyncPgConnection,
    rows: &[MeetingRequestRow],
) -> QueryResult<()> {
    for chunk in rows.chunks(1000) {
        diesel::insert_into(meeting_requests::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The members whose request convened a meeting, by name.
pub async fn requests_of(
    conn: &mut AsyncPgConnection,
    meeting: MeetingId,
) -> QueryResult<Vec<MeetingRequestRow>> {
    meeting_requests::table
        .filter(meeting_requests::meeting_id.eq(meeting))
        .select(MeetingRequestRow::as_select())
        .order((meeting_requests::member_name, meeting_requests::member_id))
        .load(conn)
        .await
}

// ---------------------------------------------------------------------------------------
// Approved accounts

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
