//! Resolutions: an agenda item's vote, as named votes per roll entry (weighted) or as
//! recorded totals, never more than the weight present and represented. The body's rule
//! for the item's majority decides; a tie is rejected under a simple majority.
//!
//! **Enactment**: adopting a resolution performs its effect in the same transaction,
//! through the services that do it without an assembly (`plans::approve`,
//! `budgets::approve`, `members::change_status`), with the version the item tabled as the
//! precondition. If that version changed since convening, or the effect fails for any other
//! reason, the whole transaction rolls back: nothing is adopted and nothing recorded.

use std::collections::HashSet;

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    dissents::{self, Dissent, NewDissent},
    meetings,
    model::{
        AgendaItemRow, Choice, Effect, ItemKind, MajorityKind, MeetingRow, MeetingStatus,
        ResolutionRow, VoteRow,
    },
    repo,
    roll::seats,
    rules::{self, Tally},
};
use crate::{
    AppState,
    audit::{self, Change},
    auth::{Action, Caller, Resource},
    domain::{
        AgendaItemId, BudgetId, MeetingId, MemberId, PlanId, ResolutionId, RollEntryId, calendar,
    },
    error::{ApiError, FieldErrors},
    events,
    http::{etag::Precondition, json::Json},
    members::{lifecycle::NewStatusChange, model::MemberStatus},
};

/// A resolution with its tallies (vote weights).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Resolution {
    /// Id.
    pub id: ResolutionId,
    /// The agenda item.
    pub item_id: AgendaItemId,
    /// Whether it was adopted (and its effect enacted).
    pub adopted: bool,
    /// Yes.
    pub yes: i64,
    /// No.
    pub no: i64,
    /// Abstentions.
    pub abstain: i64,
    /// The weight present and represented when voted.
    pub present_weight: i64,
    /// The weight of the whole roll.
    pub roll_weight: i64,
    /// The majority the item needed.
    pub majority: MajorityKind,
    /// The rule applied, in words (e.g. "yes above 1/2 of votes_cast").
    pub majority_rule: String,
    /// Whether the votes were named per roll entry (else recorded totals).
    pub named: bool,
    /// When adopted.
    pub adopted_at: Option<DateTime<Utc>>,
    /// Dissents: recorded at the vote on request, and written ones (votos particulares)
    /// attached within 48 hours; oldest first.
    pub dissents: Vec<Dissent>,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
}

impl From<ResolutionRow> for Resolution {
    fn from(r: ResolutionRow) -> Self {
        Self {
            id: r.id,
            item_id: r.item_id,
            adopted: r.adopted,
            yes: r.yes_weight,
            no: r.no_weight,
            abstain: r.abstain_weight,
            present_weight: r.present_weight,
            roll_weight: r.roll_weight,
            majority: r.majority,
            majority_rule: r.majority_rule,
            named: r.named,
            adopted_at: r.adopted_at,
            dissents: Vec::new(),
            created_at: r.created_at,
        }
    }
}

/// Recorded totals (vote weights).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteTotals {
    /// Yes.
    pub yes: i64,
    /// No.
    pub no: i64,
    /// Abstentions.
    pub abstain: i64,
}

/// A named vote.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedVote {
    /// The roll entry voting (present, or represented by an attending holder).
    pub roll_entry_id: RollEntryId,
    /// Its vote; it counts with the entry's weight.
    pub choice: Choice,
}

/// The vote of an item: `totals` or `votes`, one of them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewResolution {
    /// Recorded totals.
    pub totals: Option<VoteTotals>,
    /// Named votes per roll entry (at most 10000, as many as a roll has entries).
    #[schema(max_items = 10000)]
    pub votes: Option<Vec<NamedVote>>,
    /// Dissents to record on request: entries that counted and (with named votes) did not
    /// vote for the outcome, with their reasons (at most 1000).
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub dissents: Vec<NewDissent>,
}

/// Records the vote of an agenda item (staff, admins); adopting it enacts its effect in
/// the same transaction.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Meeting id"),
    ("item_id" = Uuid, Path, description = "Agenda item id")),
    request_body = NewResolution, responses(
    (status = 201, description = "Recorded (adopted or rejected).", body = Resolution),
    (status = 409, description = "`meeting_not_constituted`, `meeting_failed`, `item_informative`, `resolution_exists`, `tabled_version_changed` (nothing adopted), or the effect's own conflict (nothing adopted).", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "`votes_exceed_present`, a vote of an entry not present, `cannot_dissent` (a dissent of an entry that did not count or voted for the outcome).", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/meetings/{id}/items/{item_id}/resolution")]
pub async fn create_resolution(
    caller: Caller,
    path: web::Path<(MeetingId, AgendaItemId)>,
    body: Json<NewResolution>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (id, item) = path.into_inner();
    let mut conn = state.conn().await?;
    let resolution = resolve(&mut conn, &caller, id, item, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/meetings/{id}")))
        .json(resolution))
}

/// The tally of named votes: each entry once, counted (present or validly represented).
fn named_tally(
    errors: &mut FieldErrors,
    roll: &[super::model::RollEntryRow],
    votes: &[NamedVote],
) -> (Tally, Vec<(RollEntryId, Choice, i32)>) {
    let counted: HashSet<RollEntryId> = {
        let attends: HashSet<RollEntryId> = roll
            .iter()
            .filter(|r| r.attendance.attends())
            .map(|r| r.id)
            .collect();
        roll.iter()
            .filter(|r| {
                attends.contains(&r.id) || r.proxy_holder_id.is_some_and(|h| attends.contains(&h))
            })
            .map(|r| r.id)
            .collect()
    };
    let mut seen = HashSet::new();
    let mut tally = Tally::default();
    let mut rows = Vec::new();
    for (i, v) in votes.iter().enumerate() {
        let field = format!("votes[{i}].roll_entry_id");
        let Some(entry) = roll.iter().find(|r| r.id == v.roll_entry_id) else {
            errors.add(&field, "unknown", "not on this meeting's roll");
            continue;
        };
        if !counted.contains(&entry.id) {
            errors.add(
                &field,
                "not_present",
                "neither present nor validly represented",
            );
            continue;
        }
        if !seen.insert(entry.id) {
            errors.add(&field, "duplicate", "votes once");
            continue;
        }
        let w = i64::from(entry.weight);
        match v.choice {
            Choice::Yes => tally.yes += w,
            Choice::No => tally.no += w,
            Choice::Abstain => tally.abstain += w,
        }
        rows.push((entry.id, v.choice, entry.weight));
    }
    (tally, rows)
}

/// Records an item's vote (staff, admins): 403, 404, 409 (see the endpoint), 422. Adopting
/// it enacts its effect in the same transaction; if the effect fails, nothing is recorded.
pub async fn resolve(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: MeetingId,
    item_id: AgendaItemId,
    input: NewResolution,
) -> Result<Resolution, ApiError> {
    caller.require(Action::write(Resource::Governance))?;
    if input.totals.is_some() == input.votes.is_some() {
        return Err(FieldErrors::one(
            "totals",
            "one_of",
            "send either `totals` or `votes`",
        ));
    }
    if input.votes.as_ref().is_some_and(|v| v.len() > 10_000) {
        return Err(FieldErrors::one("votes", "too_many", "at most 10000 votes"));
    }
    conn.transaction(async |conn| {
        meetings::visible(conn, caller, id).await?;
        let meeting = repo::find_meeting(conn, id, true).await?;
        let item = repo::find_item(conn, id, item_id).await?;
        match meeting.status {
            MeetingStatus::ConstitutedFirst | MeetingStatus::ConstitutedSecond => {}
            MeetingStatus::Failed => {
                return Err(ApiError::conflict(
                    "meeting_failed",
                    "The meeting failed for want of quorum: nothing can be voted.",
                ));
            }
            s => {
                return Err(ApiError::conflict(
                    "meeting_not_constituted",
                    format!("The meeting is {s}: votes are taken once it is constituted."),
                ));
            }
        }
        if item.kind == ItemKind::Informative {
            return Err(ApiError::conflict(
                "item_informative",
                "The item is informative: nothing is voted.",
            ));
        }
        if !repo::resolutions_of(conn, &[item.id]).await?.is_empty() {
            return Err(ApiError::conflict(
                "resolution_exists",
                "The item has its resolution already; resolutions are never rewritten.",
            ));
        }
        let body = repo::find_body(conn, meeting.body_id, false).await?;
        // The majorities of the rules the meeting was convened under.
        let frozen = repo::find_rules_version(conn, meeting.rules_version_id).await?;
        let roll = repo::roll(conn, id).await?;
        let presence = rules::presence(&seats(&roll));
        let mut errors = FieldErrors::default();
        let (tally, named) = match (&input.totals, &input.votes) {
            (Some(t), _) => (
                Tally {
                    yes: t.yes,
                    no: t.no,
                    abstain: t.abstain,
                },
                Vec::new(),
            ),
            (None, Some(v)) => named_tally(&mut errors, &roll, v),
            (None, None) => (Tally::default(), Vec::new()),
        };
        errors.finish()?;
        tally
            .check(presence.present_weight)
            .map_err(|msg| FieldErrors::one("totals", "votes_exceed_present", msg))?;
        let majority = frozen.majority(item.majority);
        let adopted = majority.adopts(&tally, presence.present_weight, presence.roll_weight);
        let now = Utc::now();
        let resolution_id = ResolutionId::new();
        let row = ResolutionRow {
            id: resolution_id,
            item_id: item.id,
            adopted,
            yes_weight: tally.yes,
            no_weight: tally.no,
            abstain_weight: tally.abstain,
            present_weight: presence.present_weight,
            roll_weight: presence.roll_weight,
            majority: item.majority,
            majority_rule: majority.describe(),
            named: input.votes.is_some(),
            adopted_at: adopted.then_some(now),
            recorded_by: caller.user_id(),
            created_at: now,
        };
        let votes: Vec<VoteRow> = named
            .into_iter()
            .map(|(roll_entry_id, choice, weight)| VoteRow {
                resolution_id,
                roll_entry_id,
                choice,
                weight,
            })
            .collect();
        let mut errors = FieldErrors::default();
        let dissents = dissents::recorded(&mut errors, &roll, &votes, &row, &input.dissents);
        errors.finish()?;
        let row = repo::insert_resolution(conn, &row, &votes).await?;
        let names: std::collections::HashMap<RollEntryId, String> =
            roll.iter().map(|r| (r.id, r.member_name.clone())).collect();
        let dissents: Vec<Dissent> = repo::insert_dissents(conn, &dissents)
            .await?
            .into_iter()
            .map(|d| {
                let name = names.get(&d.roll_entry_id).cloned().unwrap_or_default();
                Dissent::new(d, name)
            })
            .collect();
        if adopted {
            enact(conn, caller, &meeting, &body.name, &item, resolution_id).await?;
            events::record(conn, events::kinds::resolution_adopted(&row, &item)).await?;
        }
        repo::touch_meeting(conn, id).await?;
        let resolution = Resolution {
            dissents,
            ..Resolution::from(row)
        };
        audit::record(
            conn,
            caller,
            Change {
                action: if adopted { "adopted" } else { "rejected" },
                resource_type: "resolution",
                resource_id: resolution_id.uuid(),
                before: None,
                after: Some(&resolution),
            },
        )
        .await?;
        Ok(resolution)
    })
    .await
}

/// Performs an adopted item's effect through the owning module's service, with the tabled
/// version as the precondition, and links the result to the resolution. A tabled version
/// that changed is a 409 `tabled_version_changed`.
async fn enact(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    meeting: &MeetingRow,
    body_name: &str,
    item: &AgendaItemRow,
    resolution: ResolutionId,
) -> Result<(), ApiError> {
    if let (Effect::ApproveAccounts, Some(year)) = (item.effect, item.fiscal_year) {
        return super::accounts::approve(conn, year, resolution, calendar::today()).await;
    }
    let (Some(target), Some(tabled)) = (item.target_id, item.tabled_etag.clone()) else {
        return Ok(());
    };
    let precondition = Precondition::new(Some(tabled.clone()));
    let day = calendar::today();
    let reference = format!(
        "{body_name}, {}, punto {}: {}",
        calendar::date_of(meeting.first_call_at),
        item.position,
        item.title
    );
    let reference: String = reference.chars().take(500).collect();
    let changed = |e: ApiError| {
        if e.code() == "precondition_failed" {
            ApiError::conflict(
                "tabled_version_changed",
                format!(
                    "The {} changed after the meeting was convened (it was tabled as {tabled}); \
                     nothing was adopted.",
                    item.effect.target_noun()
                ),
            )
        } else {
            e
        }
    };
    match item.effect {
        Effect::None | Effect::ApproveAccounts => {}
        Effect::ApprovePlan => {
            let id = PlanId(target);
            let approval = crate::plans::Approval {
                approved_on: day,
                reference,
            };
            crate::plans::approve(conn, caller, id, precondition, approval)
                .await
                .map_err(changed)?;
            crate::plans::repo::set_approving_resolution(conn, id, resolution).await?;
        }
        Effect::ApproveBudget => {
            let id = BudgetId(target);
            let approval = crate::budgets::versions::BudgetApproval {
                reference,
                approved_on: Some(day),
            };
            crate::budgets::approve(conn, caller, id, precondition, approval)
                .await
                .map_err(changed)?;
            crate::budgets::repo::set_approving_resolution(conn, id, resolution).await?;
        }
        Effect::AdmitMember | Effect::ExpelMember => {
            let to = if item.effect == Effect::AdmitMember {
                MemberStatus::Active
            } else {
                MemberStatus::Expelled
            };
            let change = NewStatusChange {
                to,
                reason: reference,
                effective_on: Some(day),
            };
            let row =
                crate::members::change_status(conn, caller, MemberId(target), precondition, change)
                    .await
                    .map_err(changed)?;
            crate::members::repo::set_status_change_resolution(conn, row.id, resolution).await?;
        }
    }
    Ok(())
}
