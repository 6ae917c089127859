//! Queries of meetings: convening, the agenda, the roll and attendance, constitution.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::governance::model::{
    AgendaItemRow, Attendance, BodyKind, MeetingRow, MeetingStatus, RollEntryRow,
};
use crate::{
    domain::{AgendaItemId, BodyId, MeetingId, MemberId, RollEntryId},
    schema::{agenda_items, bodies, meetings, roll_entries, seats},
};

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
