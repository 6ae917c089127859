//! Funding: funders, their calls for subsidies, agreements with yearly instalments, and the
//! cluster's subsidy applications. An application moves only along its state machine
//! ([`transition`] is the one place where it moves: a grant, a rejection, an acceptance);
//! accepting a grant books its money as income of the years it funds.

pub mod documents;
pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{
    audit,
    auth::{Caller, Role, policy},
    budgets::{
        self,
        model::{BudgetStatus, LineKind},
    },
    domain::calendar,
    domain::text,
    error::{ApiError, FieldError, FieldErrors},
    schema::{budget_lines, budgets as budgets_t, plan_nodes},
};
use model::{
    ApplicationChanges, ApplicationRow, ApplicationStatus, CallRow, IncomeRow, Side, TransitionRow,
};
use repo::Scope;

/// Registers the funding endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    use handlers::*;
    cfg.service(list_funders)
        .service(create_funder)
        .service(get_funder)
        .service(update_funder)
        .service(list_calls)
        .service(create_call)
        .service(get_call)
        .service(update_call)
        .service(list_agreements)
        .service(create_agreement)
        .service(get_agreement)
        .service(update_agreement)
        .service(list_applications)
        .service(create_application)
        .service(get_application)
        .service(update_application)
        .service(transition_application)
        .service(application_history)
        .service(list_documents)
        .service(upload_document)
        .service(get_document)
        .service(document_content)
        .service(deadlines);
}

/// What the caller sees of funding.
pub fn scope(caller: &Caller) -> Scope {
    match caller.role {
        Role::Admin | Role::Staff | Role::Auditor => Scope::All,
        // Without a funder or an organisation, the nil id matches nothing.
        Role::Partner => Scope::Funder(caller.funder_id.unwrap_or_default()),
        Role::Member => Scope::Member(caller.member_id.unwrap_or_default()),
    }
}

/// A move requested of the state machine.
#[derive(Debug, Clone)]
pub struct Move {
    /// The new status.
    pub to: ApplicationStatus,
    /// Why.
    pub comment: Option<String>,
    /// The amount of a grant.
    pub granted_cents: Option<i64>,
    /// The decision's date.
    pub decided_on: Option<NaiveDate>,
    /// The justification deadline of a grant.
    pub justification_due_on: Option<NaiveDate>,
}

fn euros(cents: i64) -> String {
    format!("{}.{:02} €", cents / 100, (cents % 100).abs())
}

fn invalid(field: &str, code: &str, message: &str) -> ApiError {
    FieldErrors::one(field, code, message)
}

/// Moves an application along its state machine, in the caller's transaction: checks the
/// edge (409 `illegal_transition`), who may make it (403), the fields it needs (422) and its
/// rules (the call open for a submission, the call's limits and double funding for a grant),
/// then records it in the history and the audit log. Accepting a grant books its income.
/// Anything refused changes nothing.
pub async fn transition(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    step: Move,
) -> Result<ApplicationRow, ApiError> {
    let app = repo::find_application(conn, id, true).await?;
    let call = repo::find_call(conn, app.call_id, false).await?;
    if !repo::sees_application(conn, scope(caller), &app, call.funder_id).await? {
        return Err(crate::error::not_found());
    }
    let from = app.status;
    let to = step.to;
    let Some(side) = from.edge(to) else {
        let next: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
        return Err(ApiError::conflict(
            "illegal_transition",
            if next.is_empty() {
                format!("The application is {from}, a final status: it does not move to {to}.")
            } else {
                format!(
                    "An application that is {from} moves to {}; not to {to}.",
                    next.join(", ")
                )
            },
        ));
    };
    let allowed = policy::runs_funding(caller.role)
        || (side == Side::Funder
            && caller.role == Role::Partner
            && caller.funder_id == Some(call.funder_id));
    if !allowed {
        return Err(ApiError::forbidden(match side {
            Side::Cluster => format!("Only the cluster's staff move an application to {to}."),
            Side::Funder => format!(
                "Only the call's funder (or the cluster's staff on its behalf) moves an \
                 application to {to}."
            ),
        }));
    }
    let comment = text::optional(step.comment.as_deref(), 5000)
        .map_err(|m| invalid("comment", "invalid", &m))?;
    let needs_comment = matches!(
        to,
        ApplicationStatus::ChangesRequested
            | ApplicationStatus::Rejected
            | ApplicationStatus::Renounced
            | ApplicationStatus::Withdrawn
    );
    if needs_comment && comment.is_none() {
        return Err(invalid(
            "comment",
            "required",
            &format!("say why the application is {to}"),
        ));
    }
    let decision = matches!(
        to,
        ApplicationStatus::Granted
            | ApplicationStatus::PartiallyGranted
            | ApplicationStatus::Rejected
    );
    if !decision && (step.decided_on.is_some() || step.granted_cents.is_some()) {
        return Err(invalid(
            "granted_cents",
            "not_allowed",
            "an amount and a decision date go with a decision (granted, partially_granted, rejected)",
        ));
    }
    let grant = matches!(
        to,
        ApplicationStatus::Granted | ApplicationStatus::PartiallyGranted
    );
    if !grant && step.justification_due_on.is_some() {
        return Err(invalid(
            "justification_due_on",
            "not_allowed",
            "a justification deadline goes with a grant",
        ));
    }
    let now = Utc::now();
    let mut changes = ApplicationChanges {
        status: Some(to),
        ..Default::default()
    };
    match to {
        // A first submission needs the call open; a resubmission after requested changes
        // does not (the funder asked for it, usually after the call closed).
        ApplicationStatus::Submitted if from == ApplicationStatus::Draft => {
            if call.status_at(now) != model::CallStatus::Open {
                return Err(ApiError::conflict(
                    "call_not_open",
                    format!(
                        "The call accepts applications from {} to {}; it is {} now.",
                        calendar::local(call.opens_at).to_rfc3339(),
                        calendar::local(call.closes_at).to_rfc3339(),
                        call.status_at(now)
                    ),
                ));
            }
            check_limits(&call, app.eligible_cost_cents, app.requested_cents)
                .map_err(|(_, m)| ApiError::conflict("above_call_limits", m))?;
            changes.submitted_at = Some(Some(now));
        }
        ApplicationStatus::Submitted => {
            check_limits(&call, app.eligible_cost_cents, app.requested_cents)
                .map_err(|(_, m)| ApiError::conflict("above_call_limits", m))?;
        }
        ApplicationStatus::Granted | ApplicationStatus::PartiallyGranted => {
            let granted = match (to, step.granted_cents) {
                (ApplicationStatus::Granted, None) => app.requested_cents,
                (ApplicationStatus::Granted, Some(g)) if g == app.requested_cents => g,
                (ApplicationStatus::Granted, Some(_)) => {
                    return Err(invalid(
                        "granted_cents",
                        "not_requested_amount",
                        &format!(
                            "a full grant is the requested {}; use partially_granted for less",
                            euros(app.requested_cents)
                        ),
                    ));
                }
                (_, Some(g)) if g >= 1 && g < app.requested_cents => g,
                (_, Some(_)) => {
                    return Err(invalid(
                        "granted_cents",
                        "out_of_range",
                        &format!(
                            "a partial grant is more than 0 and less than the requested {}",
                            euros(app.requested_cents)
                        ),
                    ));
                }
                (_, None) => {
                    return Err(invalid(
                        "granted_cents",
                        "required",
                        "a partial grant needs its amount",
                    ));
                }
            };
            check_limits(&call, app.eligible_cost_cents, granted)
                .map_err(|(_, m)| invalid("granted_cents", "above_call_limits", &m))?;
            check_double_funding(conn, &app, granted).await?;
            changes.granted_cents = Some(Some(granted));
            changes.decided_on = Some(Some(step.decided_on.unwrap_or_else(calendar::today)));
            changes.justification_due_on =
                Some(step.justification_due_on.or(call.justification_due_on));
        }
        ApplicationStatus::Rejected => {
            changes.decided_on = Some(Some(step.decided_on.unwrap_or_else(calendar::today)));
        }
        ApplicationStatus::Accepted => {
            let granted = app.granted_cents.unwrap_or_default();
            check_double_funding(conn, &app, granted).await?;
            book_income(conn, caller, &app, &call, granted).await?;
        }
        _ => {}
    }
    let updated = repo::update_application(conn, id, &changes).await?;
    let (actor_kind, actor_id) = match caller.principal {
        crate::auth::Principal::User(id) => ("user", id),
        crate::auth::Principal::Client(id) => ("api_client", id),
    };
    repo::insert_transition(
        conn,
        &TransitionRow {
            id: Uuid::now_v7(),
            application_id: id,
            from_status: from,
            to_status: to,
            comment,
            granted_cents: if grant { updated.granted_cents } else { None },
            actor_id,
            actor_kind: actor_kind.into(),
            actor_role: caller.role.to_string(),
            request_id: caller.request_id.clone(),
            created_at: now,
        },
    )
    .await?;
    let before = dto::ApplicationSummary::from(app);
    let after = dto::ApplicationSummary::from(updated.clone());
    audit::updated(conn, caller, "application", id, &before, &after).await?;
    Ok(updated)
}

/// The call's limits for an amount asked or granted of an `eligible` cost: its maximum
/// grant (`above_call_maximum`) and its co-financing rate (`above_cofinancing_rate`).
pub fn check_limits(
    call: &CallRow,
    eligible: i64,
    amount: i64,
) -> Result<(), (&'static str, String)> {
    if let Some(max) = call.max_grant_cents
        && amount > max
    {
        return Err((
            "above_call_maximum",
            format!(
                "{} is above the call's maximum grant of {}.",
                euros(amount),
                euros(max)
            ),
        ));
    }
    if !model::within_rate(amount, eligible, call.cofinancing_rate_bp) {
        return Err((
            "above_cofinancing_rate",
            format!(
                "{} is above the call's co-financing rate of {}.{:02}% of the eligible {} \
             (at most {}).",
                euros(amount),
                call.cofinancing_rate_bp / 100,
                call.cofinancing_rate_bp % 100,
                euros(eligible),
                euros(model::ceiling(call, eligible))
            ),
        ));
    }
    Ok(())
}

/// 409 `double_funding` when a grant of `granted` would fund one of the application's plan
/// actions above its planned cost, with the grants other applications already hold on the
/// same action (by code, in any version of its plan). Each application's part of an action
/// scales with its grant and is rounded up, so the sum is never under-counted. The actions
/// are locked, so two grants decided at once cannot both pass.
async fn check_double_funding(
    conn: &mut AsyncPgConnection,
    app: &ApplicationRow,
    granted: i64,
) -> Result<(), ApiError> {
    let mine = repo::application_actions(conn, &[app.id]).await?;
    if mine.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = mine.iter().map(|a| a.action_id).collect();
    let nodes: HashMap<Uuid, (Uuid, String, String, Option<i64>)> = plan_nodes::table
        .filter(plan_nodes::id.eq_any(&ids))
        .select((
            plan_nodes::id,
            plan_nodes::plan_id,
            plan_nodes::code,
            plan_nodes::title,
            plan_nodes::planned_budget_cents,
        ))
        .load::<(Uuid, Uuid, String, String, Option<i64>)>(conn)
        .await?
        .into_iter()
        .map(|(id, plan, code, title, planned)| (id, (plan, code, title, planned)))
        .collect();
    // Every node that is the same action as one of ours, keyed by (our plan, code).
    let mut same: HashMap<Uuid, (Uuid, String)> = HashMap::new();
    let mut by_plan: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    for (plan, code, ..) in nodes.values() {
        by_plan.entry(*plan).or_default().push(code.clone());
    }
    for (plan, codes) in &by_plan {
        for (id, code) in repo::action_twins(conn, *plan, codes).await? {
            same.insert(id, (*plan, code));
        }
    }
    let mut all: Vec<Uuid> = same.keys().copied().collect();
    all.sort();
    plan_nodes::table
        .filter(plan_nodes::id.eq_any(&all))
        .select(plan_nodes::id)
        .order(plan_nodes::id)
        .for_no_key_update()
        .load::<Uuid>(conn)
        .await?;
    let others = repo::grants_on_actions(conn, &all, app.id).await?;
    for a in &mine {
        let Some((plan, code, title, planned)) = nodes.get(&a.action_id).cloned() else {
            continue;
        };
        let planned = planned.unwrap_or(0);
        let this = model::scale_up(a.amount_cents, granted, app.requested_cents);
        let mut total = i128::from(this);
        let mut names = Vec::new();
        for (action, other, other_title, requested, other_granted, amount) in &others {
            if same.get(action) == Some(&(plan, code.clone())) {
                total += i128::from(model::scale_up(
                    *amount,
                    other_granted.unwrap_or(0),
                    *requested,
                ));
                names.push(format!("«{other_title}» ({other})"));
            }
        }
        if total > i128::from(planned) {
            let total = i64::try_from(total).unwrap_or(i64::MAX);
            let share = if planned > 0 {
                format!("{}%", i128::from(total) * 100 / i128::from(planned))
            } else {
                "∞".into()
            };
            let detail = format!(
                "Action {code} «{title}» would be funded with {} of its planned {} ({share}) by \
                 granted applications: this one ({}){}{}.",
                euros(total),
                euros(planned),
                euros(this),
                if names.is_empty() { "" } else { " and " },
                names.join(", ")
            );
            return Err(ApiError::conflict("double_funding", detail.clone())
                .with_errors(vec![FieldError::new("actions", "double_funding", detail)]));
        }
    }
    Ok(())
}

/// Books the income of an accepted grant: splits it among the fiscal years of the budget
/// lines it funds (expense lines first, else its income lines, else the decision's year)
/// and, per year, creates or updates the income line of the newest draft budget, or records
/// a pending variance against the approved budget when no draft exists.
async fn book_income(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    app: &ApplicationRow,
    call: &CallRow,
    granted: i64,
) -> Result<(), ApiError> {
    let links = repo::application_lines(conn, app.id).await?;
    let line_ids: Vec<Uuid> = links.iter().map(|l| l.line_id).collect();
    let lines: HashMap<Uuid, (LineKind, Uuid, i32)> = budget_lines::table
        .inner_join(budgets_t::table)
        .filter(budget_lines::id.eq_any(&line_ids))
        .select((
            budget_lines::id,
            budget_lines::kind,
            budget_lines::line_key,
            budgets_t::fiscal_year,
        ))
        .load::<(Uuid, LineKind, Uuid, i32)>(conn)
        .await?
        .into_iter()
        .map(|(id, kind, key, year)| (id, (kind, key, year)))
        .collect();
    let weights_of = |kind: LineKind| -> Vec<(Uuid, i64)> {
        links
            .iter()
            .filter(|l| lines.get(&l.line_id).is_some_and(|x| x.0 == kind))
            .map(|l| (l.line_id, l.amount_cents))
            .collect()
    };
    let mut weights = weights_of(LineKind::Expense);
    if weights.is_empty() {
        weights = weights_of(LineKind::Income);
    }
    let mut by_year: BTreeMap<i32, i64> = BTreeMap::new();
    if weights.is_empty() {
        let year = app.decided_on.unwrap_or_else(calendar::today).year();
        by_year.insert(year, granted);
    } else {
        for (line, cents) in budgets::model::split(granted, &weights) {
            if let Some((_, _, year)) = lines.get(&line) {
                *by_year.entry(*year).or_default() += cents;
            }
        }
    }
    // The income lines the application named, by year (the line each year's money goes to).
    let named: HashMap<i32, Uuid> = links
        .iter()
        .filter_map(|l| lines.get(&l.line_id))
        .filter(|(kind, _, _)| *kind == LineKind::Income)
        .map(|(_, key, year)| (*year, *key))
        .collect();
    let funder = repo::find_funder(conn, call.funder_id, false).await?;
    let source = format!("{}: {}", funder.name, app.title);
    for (year, amount) in by_year {
        let grant = budgets::GrantIncome {
            application_id: app.id,
            title: &app.title,
            source: &source,
            amount_cents: amount,
        };
        let named_key = named.get(&year).copied();
        let draft = budgets_t::table
            .filter(budgets_t::fiscal_year.eq(year))
            .filter(budgets_t::status.eq(BudgetStatus::Draft))
            .order((budgets_t::created_at.desc(), budgets_t::id.desc()))
            .select(budgets_t::id)
            .first::<Uuid>(conn)
            .await
            .optional()?;
        let (budget_id, line_key, pending) = match draft {
            Some(budget_id) => {
                let budget = budgets::repo::find_budget(conn, budget_id, true).await?;
                let key =
                    budgets::book_grant_line(conn, caller, &budget, named_key, &grant).await?;
                (Some(budget_id), Some(key), false)
            }
            None => {
                // No draft: a variance against the approved budget, unless the line it
                // named already plans exactly what the grants booked on it bring.
                let approved = budgets::repo::approved_of_year(conn, year).await?;
                let mut pending = true;
                if let (Some(a), Some(key)) = (&approved, named_key)
                    && let Some(line) = budgets::repo::line_by_key(conn, a.id, key).await?
                {
                    let others = budgets::repo::booked_on(conn, year, key, app.id).await?;
                    pending = others.checked_add(amount) != Some(line.planned_cents);
                }
                (approved.map(|b| b.id), named_key, pending)
            }
        };
        repo::insert_income(
            conn,
            &IncomeRow {
                application_id: app.id,
                fiscal_year: year,
                amount_cents: amount,
                line_key,
                budget_id,
                pending,
                created_at: Utc::now(),
            },
        )
        .await?;
    }
    Ok(())
}
