//! Queries of what a meeting leaves: resolutions and votes, minutes, dissents,
//! certificates and the requests that open them.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::governance::model::{
    AgendaItemRow, BodyKind, CertificateRow, DissentRow, MeetingRequestRow, MinutesRow,
    MinutesStatus, Position, ResolutionRow, SeatRow, VoteRow,
};
use crate::{
    domain::{AgendaItemId, BodyId, CertificateId, MeetingId, ResolutionId},
    schema::{
        agenda_items, bodies, certificates, dissents, meeting_requests, minutes, resolutions,
        roll_entries, seats, votes,
    },
};

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
