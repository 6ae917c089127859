//! Dissents from a resolution: a roll entry's vote against the outcome with its reasons,
//! recorded at the vote on the member's request (`dissents` of the vote), or written
//! afterwards (voto particular): attached by staff, or by the representative of the roll
//! entry's organisation, within 48 hours of the meeting (Ley 40/2015 art. 19.5, the model the
//! statutes follow) and before the minutes are approved. Both appear in the meeting's
//! resolutions and in the minutes; neither is ever changed (a trigger refuses it).
//!
//! Who may dissent: an entry that counted at the vote (present, or represented by an
//! attending holder) and, when the votes were named, did not vote for the outcome.

use std::collections::HashSet;

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Duration, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    meetings,
    model::{
        AgendaItemRow, Choice, DissentKind, DissentRow, MeetingRow, MinutesStatus, ResolutionRow,
        RollEntryRow, VoteRow,
    },
    repo,
};
use crate::{
    AppState,
    audit::{self},
    auth::{Action, Caller, Resource, Role},
    domain::{DissentId, ResolutionId, RollEntryId, text},
    error::{ApiError, FieldErrors},
    http::json::Json,
};

/// How long after the meeting a written dissent may be attached.
pub const WRITTEN_WITHIN_HOURS: i64 = 48;

/// A dissent from a resolution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dissent {
    /// Id.
    pub id: DissentId,
    /// The roll entry dissenting.
    pub roll_entry_id: RollEntryId,
    /// Its organisation's name as on the roll.
    pub member_name: String,
    /// `recorded` at the vote, or `written` after it (voto particular).
    pub kind: DissentKind,
    /// The reasons (recorded) or the text of the written dissent.
    pub text: String,
    /// When recorded.
    pub created_at: DateTime<Utc>,
}

impl Dissent {
    /// The answer's shape of a row and the member's name.
    pub fn new(row: DissentRow, member_name: String) -> Self {
        Self {
            id: row.id,
            roll_entry_id: row.roll_entry_id,
            member_name,
            kind: row.kind,
            text: row.text,
            created_at: row.created_at,
        }
    }
}

/// A dissent recorded at the vote.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDissent {
    /// The roll entry asking for its dissent to be recorded.
    pub roll_entry_id: RollEntryId,
    /// Its reasons, 1–10000 characters.
    #[schema(min_length = 1, max_length = 10000)]
    pub reason: String,
}

/// A written dissent (voto particular).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWrittenDissent {
    /// The roll entry dissenting (a representative: its own organisation's).
    pub roll_entry_id: RollEntryId,
    /// The text, 1–10000 characters.
    #[schema(
        min_length = 1,
        max_length = 10000,
        example = "Voto en contra porque la cuota propuesta excluye a las pymes."
    )]
    pub text: String,
}

/// Why an entry may not dissent from a resolution, if it may not: it did not count at the
/// vote, or (named votes) it voted for the outcome.
pub fn dissent_refusal(
    roll: &[RollEntryRow],
    votes: &[VoteRow],
    adopted: bool,
    entry: RollEntryId,
) -> Option<&'static str> {
    let attends: HashSet<RollEntryId> = roll
        .iter()
        .filter(|r| r.attendance.attends())
        .map(|r| r.id)
        .collect();
    let Some(row) = roll.iter().find(|r| r.id == entry) else {
        return Some("not on this meeting's roll");
    };
    let counted =
        attends.contains(&row.id) || row.proxy_holder_id.is_some_and(|h| attends.contains(&h));
    if !counted {
        return Some("neither present nor validly represented at the vote");
    }
    if votes.is_empty() {
        return None;
    }
    let outcome = if adopted { Choice::Yes } else { Choice::No };
    match votes.iter().find(|v| v.roll_entry_id == entry) {
        Some(v) if v.choice == outcome => Some("voted for the outcome"),
        None => Some("cast no named vote"),
        Some(_) => None,
    }
}

/// Checks the dissents asked for at a vote; the rows to insert.
pub fn recorded(
    errors: &mut FieldErrors,
    roll: &[RollEntryRow],
    votes: &[VoteRow],
    resolution: &ResolutionRow,
    asked: &[NewDissent],
) -> Vec<DissentRow> {
    if asked.len() > 1000 {
        errors.add("dissents", "too_many", "at most 1000 dissents");
    }
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    for (i, d) in asked.iter().enumerate() {
        let field = |f: &str| format!("dissents[{i}].{f}");
        let reason = errors.check(&field("reason"), text::name(&d.reason, 10000));
        if let Some(why) = dissent_refusal(roll, votes, resolution.adopted, d.roll_entry_id) {
            errors.add(&field("roll_entry_id"), "cannot_dissent", why);
            continue;
        }
        if !seen.insert(d.roll_entry_id) {
            errors.add(&field("roll_entry_id"), "duplicate", "dissents once");
            continue;
        }
        if let Some(text) = reason {
            rows.push(DissentRow {
                id: DissentId::new(),
                resolution_id: resolution.id,
                roll_entry_id: d.roll_entry_id,
                kind: DissentKind::Recorded,
                text,
                submitted_by: resolution.recorded_by,
                created_at: resolution.created_at,
            });
        }
    }
    rows
}

/// A resolution, its item and its meeting, if the caller sees the meeting (404 otherwise).
pub async fn context(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ResolutionId,
) -> Result<(ResolutionRow, AgendaItemRow, MeetingRow), ApiError> {
    let resolution = repo::find_resolution(conn, id).await?;
    let item = repo::find_item_by_id(conn, resolution.item_id).await?;
    let meeting = meetings::visible(conn, caller, item.meeting_id).await?;
    Ok((resolution, item, meeting))
}

/// Attaches a written dissent (voto particular) to a resolution.
///
/// Staff and admins for any roll entry, a representative for its organisation's, within 48
/// hours of the meeting and before the minutes are approved.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Resolution id")),
    request_body = NewWrittenDissent, responses(
    (status = 201, description = "Attached; it appears with the resolution and in the minutes.", body = Dissent),
    (status = 403, description = "A representative for another organisation's entry; partners, auditors.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "`minutes_approved` (frozen), `dissent_exists` (one written dissent per entry).", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "`dissent_deadline_passed` (names the deadline), `cannot_dissent`, an empty or too long text.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/resolutions/{id}/dissents")]
pub async fn create_dissent(
    caller: Caller,
    id: web::Path<ResolutionId>,
    body: Json<NewWrittenDissent>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let dissent = write(&mut conn, &caller, id, body.into_inner(), Utc::now()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/resolutions/{id}/dissents")))
        .json(dissent))
}

/// Attaches a written dissent at `now`: 403, 404, 409 `minutes_approved`, `dissent_exists`,
/// 422 `dissent_deadline_passed`, `cannot_dissent`.
pub async fn write(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ResolutionId,
    input: NewWrittenDissent,
    now: DateTime<Utc>,
) -> Result<Dissent, ApiError> {
    if caller.role != Role::Member {
        caller.require(Action::write(Resource::Governance))?;
    }
    let text =
        text::name(&input.text, 10000).map_err(|m| FieldErrors::one("text", "invalid", m))?;
    conn.transaction(async |conn| {
        let (resolution, _, meeting) = context(conn, caller, id).await?;
        let meeting = repo::find_meeting(conn, meeting.id, true).await?;
        let roll = repo::roll(conn, meeting.id).await?;
        if caller.role == Role::Member {
            let own = roll
                .iter()
                .find(|r| r.id == input.roll_entry_id)
                .is_some_and(|r| Some(r.member_id.uuid()) == caller.member_id);
            if !own {
                return Err(ApiError::forbidden(
                    "A representative attaches written dissents for its own organisation only.",
                ));
            }
        }
        let held = meeting.constituted_at.unwrap_or(meeting.first_call_at);
        let deadline = held + Duration::hours(WRITTEN_WITHIN_HOURS);
        if now > deadline {
            return Err(ApiError::unprocessable(
                "dissent_deadline_passed",
                format!(
                    "Written dissents are attached within {WRITTEN_WITHIN_HOURS} hours of the \
                     meeting: the deadline was {}.",
                    deadline.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            ));
        }
        if repo::find_minutes(conn, meeting.id, true)
            .await?
            .is_some_and(|m| m.status == MinutesStatus::Approved)
        {
            return Err(ApiError::conflict(
                "minutes_approved",
                "The minutes are approved and frozen: no dissent can be added to them.",
            ));
        }
        let votes = repo::votes_of(conn, resolution.id).await?;
        if let Some(why) = dissent_refusal(&roll, &votes, resolution.adopted, input.roll_entry_id) {
            return Err(FieldErrors::one("roll_entry_id", "cannot_dissent", why));
        }
        let row = DissentRow {
            id: DissentId::new(),
            resolution_id: resolution.id,
            roll_entry_id: input.roll_entry_id,
            kind: DissentKind::Written,
            text,
            submitted_by: caller.user_id(),
            created_at: now,
        };
        let row = repo::insert_dissents(conn, std::slice::from_ref(&row))
            .await
            .map_err(|e| {
                crate::error::on_unique(
                    e,
                    "dissents_entry_kind_key",
                    "dissent_exists",
                    "This roll entry has attached its written dissent already.",
                )
            })?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no row returned")))?;
        let name = roll
            .iter()
            .find(|r| r.id == row.roll_entry_id)
            .map(|r| r.member_name.clone())
            .unwrap_or_default();
        let dissent = Dissent::new(row, name);
        repo::touch_meeting(conn, meeting.id).await?;
        audit::created(conn, caller, "dissent", dissent.id.into(), &dissent).await?;
        Ok(dissent)
    })
    .await
}
