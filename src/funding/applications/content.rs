//! The content of an application and its rules: amounts in range and balanced, parts of
//! the request not above it ([`check_content`], no database), the call's limits, members,
//! plan actions and budget lines that exist ([`check_refs`]), and the links saved with it
//! ([`save_links`]). Creating and changing an application check them on the whole result.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use diesel::OptionalExtension;
use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{
    ActionAmount, Application, ApplicationPatch, ApplicationView, LineAmount, NewApplication,
    lock_visible, view,
};
use crate::{
    audit,
    auth::Caller,
    budgets::model::LineKind,
    domain::{ApplicationId, BudgetLineId, Cents, MemberId, NodeId, UserId, text},
    error::{ApiError, FieldErrors},
    funding::{
        model::{
            ApplicationActionRow, ApplicationChanges, ApplicationLineRow, ApplicationRow,
            ApplicationStatus, CallRow,
        },
        repo,
        scope::staff_only,
    },
    http::etag::{IfMatch, Precondition},
    plans::model::PlanStatus,
};

/// The amounts of an application.
#[derive(Debug, Clone, Copy)]
pub(super) struct Amounts {
    /// The eligible cost: requested + own funding + other aid.
    pub eligible: Cents,
    /// What is asked of the funder.
    pub requested: Cents,
    /// What the cluster pays itself.
    pub own: Cents,
    /// Other aid for the same costs.
    pub other: Cents,
}

/// An application's content, merged from the stored one and a change, to check as a whole.
#[derive(Debug, Clone)]
pub(super) struct Content {
    pub amounts: Amounts,
    pub lead: Option<MemberId>,
    pub participants: Vec<MemberId>,
    pub actions: Vec<ActionAmount>,
    pub lines: Vec<LineAmount>,
}

/// Which links a change replaces (the others stay as they are).
#[derive(Debug, Clone, Copy)]
pub(super) struct Replaced {
    pub participants: bool,
    pub actions: bool,
    pub lines: bool,
}

/// Records `out_of_range` unless `value` is `min` (0 or 1) to 10^15 cents.
fn in_range(errors: &mut FieldErrors, field: &str, value: Cents, min: Cents) {
    if !value.in_range(min) {
        errors.add(field, "out_of_range", Cents::range_message(min));
    }
}

/// The checks that need no database: amounts in range and balanced, no id twice, parts of
/// the request not above it.
pub(super) fn check_content(errors: &mut FieldErrors, c: &Content) {
    let Amounts {
        eligible,
        requested,
        own,
        other,
    } = c.amounts;
    for (field, v) in [
        ("eligible_cost_cents", eligible),
        ("requested_cents", requested),
        ("own_funding_cents", own),
        ("other_aid_cents", other),
    ] {
        in_range(errors, field, v, Cents::ZERO);
    }
    let sum = i128::from(requested.get()) + i128::from(own.get()) + i128::from(other.get());
    if sum != i128::from(eligible.get()) {
        errors.add(
            "eligible_cost_cents",
            "unbalanced",
            format!(
                "requested + own funding + other aid = {sum} cents, not the eligible cost of {} cents",
                eligible.get()
            ),
        );
    }
    let distinct: HashSet<&MemberId> = c.participants.iter().collect();
    if distinct.len() != c.participants.len() {
        errors.add("participant_ids", "duplicate", "a member is listed twice");
    }
    if c.lead.is_some_and(|l| distinct.contains(&l)) {
        errors.add(
            "participant_ids",
            "is_lead",
            "the lead is not also a participant",
        );
    }
    let mut seen = HashSet::new();
    let mut total: i128 = 0;
    for (i, a) in c.actions.iter().enumerate() {
        if !seen.insert(a.action_id) {
            errors.add(
                &format!("actions[{i}].action_id"),
                "duplicate",
                "an action is listed twice",
            );
        }
        in_range(
            errors,
            &format!("actions[{i}].amount_cents"),
            a.amount_cents,
            Cents(1),
        );
        total += i128::from(a.amount_cents.get());
    }
    if total > i128::from(requested.get()) {
        errors.add(
            "actions",
            "above_request",
            "the actions' parts add up to more than the requested amount",
        );
    }
    let mut seen = HashSet::new();
    for (i, l) in c.lines.iter().enumerate() {
        if !seen.insert(l.line_id) {
            errors.add(
                &format!("budget_lines[{i}].line_id"),
                "duplicate",
                "a line is listed twice",
            );
        }
        in_range(
            errors,
            &format!("budget_lines[{i}].amount_cents"),
            l.amount_cents,
            Cents(1),
        );
    }
}

/// The checks against the database: the call's limits, the members, the actions (of an
/// approved plan, with a planned cost) and the lines (income and expense parts each at
/// most the request).
pub(super) async fn check_refs(
    conn: &mut AsyncPgConnection,
    call: &CallRow,
    c: &Content,
) -> Result<(), ApiError> {
    let mut errors = FieldErrors::default();
    let Amounts {
        eligible,
        requested,
        ..
    } = c.amounts;
    if let Err(above) = call.check_limits(eligible, requested) {
        errors.add("requested_cents", above.code, above.message);
    }
    let mut members: Vec<MemberId> = c.participants.clone();
    members.extend(c.lead);
    let known = crate::members::repo::existing(conn, &members).await?;
    if let Some(l) = c.lead
        && !known.contains(&l)
    {
        errors.add(
            "lead_member_id",
            "unknown",
            "no such member in the register",
        );
    }
    for (i, m) in c.participants.iter().enumerate() {
        if !known.contains(m) {
            errors.add(
                &format!("participant_ids[{i}]"),
                "unknown",
                "no such member in the register",
            );
        }
    }
    let ids: Vec<NodeId> = c.actions.iter().map(|a| a.action_id).collect();
    let actions: HashMap<NodeId, (Option<Cents>, PlanStatus)> =
        crate::plans::repo::action_costs(conn, &ids)
            .await?
            .into_iter()
            .map(|(node, status)| (node.id, (node.planned_budget_cents, status)))
            .collect();
    for (i, a) in c.actions.iter().enumerate() {
        let field = format!("actions[{i}].action_id");
        match actions.get(&a.action_id) {
            None => errors.add(&field, "unknown", "no such plan action"),
            Some((_, status)) if *status != PlanStatus::Approved => errors.add(
                &field,
                "not_in_approved_plan",
                "applications serve actions of the approved version of the plan",
            ),
            Some((None, _)) => errors.add(
                &field,
                "action_without_cost",
                "the action has no planned budget, so its funding cannot be checked",
            ),
            Some((Some(_), _)) => {}
        }
    }
    let ids: Vec<BudgetLineId> = c.lines.iter().map(|l| l.line_id).collect();
    let kinds: HashMap<BudgetLineId, LineKind> = crate::budgets::repo::line_lineages(conn, &ids)
        .await?
        .into_iter()
        .map(|l| (l.id, l.kind))
        .collect();
    let mut by_kind: HashMap<LineKind, i128> = HashMap::new();
    for (i, l) in c.lines.iter().enumerate() {
        match kinds.get(&l.line_id) {
            None => errors.add(
                &format!("budget_lines[{i}].line_id"),
                "unknown",
                "no such budget line",
            ),
            Some(k) => *by_kind.entry(*k).or_default() += i128::from(l.amount_cents.get()),
        }
    }
    if by_kind.values().any(|v| *v > i128::from(requested.get())) {
        errors.add(
            "budget_lines",
            "above_request",
            "the parts of the expense lines (or of the income lines) add up to more than the requested amount",
        );
    }
    errors.finish()
}

/// Saves the links of an application that a change replaces.
pub(super) async fn save_links(
    conn: &mut AsyncPgConnection,
    id: ApplicationId,
    c: &Content,
    replaced: Replaced,
) -> Result<(), ApiError> {
    if replaced.participants {
        repo::set_participants(conn, id, &c.participants).await?;
    }
    if replaced.actions {
        let rows: Vec<ApplicationActionRow> = c
            .actions
            .iter()
            .map(|a| ApplicationActionRow {
                application_id: id,
                action_id: a.action_id,
                amount_cents: a.amount_cents,
            })
            .collect();
        repo::set_application_actions(conn, id, &rows).await?;
    }
    if replaced.lines {
        let rows: Vec<ApplicationLineRow> = c
            .lines
            .iter()
            .map(|l| ApplicationLineRow {
                application_id: id,
                line_id: l.line_id,
                amount_cents: l.amount_cents,
            })
            .collect();
        repo::set_application_lines(conn, id, &rows).await?;
    }
    Ok(())
}

/// Starts an application to a call, as a draft (staff, admins): 403, 422 (the content's
/// rules, the call's limits, unknown call, members, actions or lines).
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewApplication,
) -> Result<ApplicationView, ApiError> {
    staff_only(caller)?;
    let mut errors = FieldErrors::default();
    let title = errors.check("title", text::name(&input.title, 500));
    let summary = errors.check("summary", text::optional(input.summary.as_deref(), 10_000));
    let content = Content {
        amounts: Amounts {
            eligible: input.eligible_cost_cents,
            requested: input.requested_cents,
            own: input.own_funding_cents,
            other: input.other_aid_cents,
        },
        lead: input.lead_member_id,
        participants: input.participant_ids.unwrap_or_default(),
        actions: input.actions.unwrap_or_default(),
        lines: input.budget_lines.unwrap_or_default(),
    };
    check_content(&mut errors, &content);
    let (title, summary) = errors.finish_with(title.zip(summary))?;
    let now = Utc::now();
    let row = ApplicationRow {
        id: ApplicationId::new(),
        call_id: input.call_id,
        title,
        summary,
        lead_member_id: input.lead_member_id,
        status: ApplicationStatus::Draft,
        eligible_cost_cents: input.eligible_cost_cents,
        requested_cents: input.requested_cents,
        own_funding_cents: input.own_funding_cents,
        other_aid_cents: input.other_aid_cents,
        granted_cents: None,
        submitted_at: None,
        decided_on: None,
        justification_due_on: None,
        version: 1,
        created_by: caller.user_id().map(UserId),
        created_at: now,
        updated_at: now,
    };
    conn.transaction(async |conn| {
        let Some(call) = repo::find_call(conn, row.call_id, false).await.optional()? else {
            return Err(FieldErrors::one("call_id", "unknown", "no such call"));
        };
        check_refs(conn, &call, &content).await?;
        let row = repo::insert_application(conn, &row).await?;
        let all = Replaced {
            participants: true,
            actions: true,
            lines: true,
        };
        save_links(conn, row.id, &content, all).await?;
        let view = view(conn, row).await?;
        let after = Application::from(view.clone());
        audit::created(conn, caller, "application", after.id.into(), &after).await?;
        Ok(view)
    })
    .await
}

/// Changes an application while the cluster prepares it (`draft`, `changes_requested`;
/// staff, admins): 403, 404, 412, 409 `application_frozen`, 422; the rules are checked on
/// the whole result.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ApplicationId,
    precondition: Precondition,
    p: ApplicationPatch,
) -> Result<ApplicationView, ApiError> {
    staff_only(caller)?;
    let mut errors = FieldErrors::default();
    let title = p
        .title
        .as_deref()
        .and_then(|t| errors.check("title", text::name(t, 500)));
    let summary = p.summary.as_ref().map(|s| {
        errors
            .check("summary", text::optional(s.as_deref(), 10_000))
            .flatten()
    });
    errors.finish()?;
    conn.transaction(async |conn| {
        let current = lock_visible(conn, caller, id).await?;
        precondition.check(current.version, IfMatch::Required)?;
        if !current.status.editable() {
            return Err(ApiError::conflict(
                "application_frozen",
                format!(
                    "The application is {}: the cluster changes it only as a draft or when \
                     the funder requests changes.",
                    current.status
                ),
            ));
        }
        let before = view(conn, current.clone()).await?;
        let content = Content {
            amounts: Amounts {
                eligible: p.eligible_cost_cents.unwrap_or(current.eligible_cost_cents),
                requested: p.requested_cents.unwrap_or(current.requested_cents),
                own: p.own_funding_cents.unwrap_or(current.own_funding_cents),
                other: p.other_aid_cents.unwrap_or(current.other_aid_cents),
            },
            lead: p.lead_member_id.unwrap_or(current.lead_member_id),
            participants: p
                .participant_ids
                .clone()
                .unwrap_or_else(|| before.participant_ids.clone()),
            actions: p.actions.clone().unwrap_or_else(|| before.actions.clone()),
            lines: p
                .budget_lines
                .clone()
                .unwrap_or_else(|| before.budget_lines.clone()),
        };
        let mut errors = FieldErrors::default();
        check_content(&mut errors, &content);
        errors.finish()?;
        let call = repo::find_call(conn, current.call_id, false).await?;
        check_refs(conn, &call, &content).await?;
        let changes = ApplicationChanges {
            title: title.clone(),
            summary: summary.clone(),
            lead_member_id: p.lead_member_id,
            eligible_cost_cents: p.eligible_cost_cents,
            requested_cents: p.requested_cents,
            own_funding_cents: p.own_funding_cents,
            other_aid_cents: p.other_aid_cents,
            ..Default::default()
        };
        let replaced = Replaced {
            participants: p.participant_ids.is_some(),
            actions: p.actions.is_some(),
            lines: p.budget_lines.is_some(),
        };
        save_links(conn, id, &content, replaced).await?;
        let row = repo::update_application(conn, id, &changes).await?;
        let view = view(conn, row).await?;
        let (before, after) = (Application::from(before), Application::from(view.clone()));
        audit::updated(conn, caller, "application", id.into(), &before, &after).await?;
        Ok(view)
    })
    .await
}
