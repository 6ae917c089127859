//! The approval of a budget version (it freezes, and supersedes the version it revises)
//! and its revisions (a draft copy of the approved version). What the endpoints call, and
//! what assembly resolutions will call in their own transaction.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use super::{Budget, BudgetApproval, lock_visible};
use crate::{
    audit::{self, Change},
    auth::Caller,
    budgets::{
        grants,
        model::{BudgetRow, BudgetStatus, LineRow, ShareRow},
        repo,
    },
    domain::{BudgetId, BudgetLineId, UserId, calendar, text},
    error::{ApiError, FieldErrors, on_unique},
    events,
    http::etag::{IfMatch, Precondition},
};

/// Approves a budget version (draft or proposed): records when, by whom and with which
/// reference, and supersedes the version it revises. The admin endpoint and (later)
/// assembly resolutions both call this; inside a resolution's transaction it is a savepoint
/// of it. A fiscal year has one approved budget at a time; a revision must keep every line
/// that has execution entries. Anything else is a 409 and nothing changes.
pub async fn approve(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
    precondition: Precondition,
    input: BudgetApproval,
) -> Result<BudgetRow, ApiError> {
    let mut errors = FieldErrors::default();
    let reference = errors.check("reference", text::name(&input.reference, 500));
    let reference = errors.finish_with(reference)?;
    let approved_on = input.approved_on.unwrap_or_else(calendar::today);
    conn.transaction(async |conn| {
        let budget = lock_visible(conn, caller, id).await?;
        precondition.check(budget.version, IfMatch::Required)?;
        check_approvable(conn, caller, &budget).await?;
        let approved = repo::approve_budget(
            conn,
            id,
            approved_on,
            &reference,
            caller.user_id().map(UserId),
        )
        .await
        .map_err(|e| {
            on_unique(
                e,
                "budgets_one_approved_per_year",
                "approved_budget_exists",
                "The fiscal year has an approved budget already.",
            )
        })?;
        audit::record(
            conn,
            caller,
            Change {
                action: "approved",
                resource_type: "budget",
                resource_id: id.into(),
                before: Some(&Budget::from(budget)),
                after: Some(&Budget::from(approved.clone())),
            },
        )
        .await?;
        events::record(conn, events::kinds::budget_approved(&approved)).await?;
        Ok(approved)
    })
    .await
}

/// The rules of an approval (the budget locked): a draft or a proposal, of a plan that is
/// approved; the only approved version of its year, or the revision of it, which then
/// supersedes it (keeping every line with execution entries).
async fn check_approvable(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    budget: &BudgetRow,
) -> Result<(), ApiError> {
    if !matches!(budget.status, BudgetStatus::Draft | BudgetStatus::Proposed) {
        return Err(ApiError::conflict(
            "budget_not_draft",
            format!(
                "The budget is {} already; only drafts and proposals are approved.",
                budget.status
            ),
        ));
    }
    if let Some(plan_id) = budget.plan_id {
        let plan = crate::plans::repo::share_plan(conn, plan_id).await?;
        if plan.status == crate::plans::model::PlanStatus::Draft {
            return Err(ApiError::conflict(
                "plan_not_approved",
                "The budget executes a plan that is still a draft; approve the plan first.",
            ));
        }
    }
    let current = repo::approved_of_year(conn, budget.fiscal_year).await?;
    match (&current, budget.revises_id) {
        (Some(c), Some(revised)) if c.id == revised => supersede(conn, caller, budget, c.id).await,
        (Some(c), _) => Err(ApiError::conflict(
            "approved_budget_exists",
            format!(
                "{} has an approved budget ({}); revise that one \
                 (POST /api/v1/budgets/{}/revisions).",
                budget.fiscal_year, c.id, c.id
            ),
        )),
        (None, _) => Ok(()),
    }
}

/// Supersedes the approved version `old` that `budget` revises (audited), unless the
/// revision drops a line with execution entries (409).
async fn supersede(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    budget: &BudgetRow,
    old: BudgetId,
) -> Result<(), ApiError> {
    let old = repo::find_budget(conn, old, true).await?;
    let kept: HashSet<Uuid> = repo::all_lines(conn, budget.id)
        .await?
        .into_iter()
        .map(|l| l.line_key)
        .collect();
    let executed = repo::keys_with_entries(conn, budget.fiscal_year).await?;
    let old_lines = repo::all_lines(conn, old.id).await?;
    let dropped: Vec<String> = old_lines
        .iter()
        .filter(|l| executed.contains(&l.line_key) && !kept.contains(&l.line_key))
        .map(|l| l.code.clone())
        .collect();
    if !dropped.is_empty() {
        return Err(ApiError::conflict(
            "executed_line_removed",
            format!(
                "Lines with execution entries cannot leave the budget: {}.",
                dropped.join(", ")
            ),
        ));
    }
    let superseded = repo::set_status(conn, old.id, BudgetStatus::Superseded).await?;
    audit::record(
        conn,
        caller,
        Change {
            action: "superseded",
            resource_type: "budget",
            resource_id: old.id.into(),
            before: Some(&Budget::from(old)),
            after: Some(&Budget::from(superseded)),
        },
    )
    .await
}

/// Creates a draft revision of an approved budget: its lines (same lineage, so execution
/// follows them) and their shares, new ids, the next version number; grant income pending
/// for its year is booked on it. Inside a resolution's transaction it is a savepoint of it.
pub async fn revise(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
) -> Result<BudgetRow, ApiError> {
    conn.transaction(async |conn| {
        let source = lock_visible(conn, caller, id).await?;
        if source.status != BudgetStatus::Approved {
            return Err(ApiError::conflict(
                "budget_not_approved",
                format!(
                    "Only the approved version of a budget is revised; this one is {}.",
                    source.status
                ),
            ));
        }
        let now = Utc::now();
        let copy = BudgetRow {
            id: BudgetId::new(),
            status: BudgetStatus::Draft,
            version_number: source.version_number + 1,
            revises_id: Some(source.id),
            approved_on: None,
            approval_reference: None,
            approved_by: None,
            approved_by_resolution_id: None,
            version: 1,
            created_at: now,
            updated_at: now,
            ..source.clone()
        };
        let created = repo::insert_budget(conn, &copy).await.map_err(|e| {
            on_unique(
                e,
                "budgets_one_open_revision",
                "revision_exists",
                "An open revision of this budget exists already; change that one.",
            )
        })?;
        copy_lines(conn, source.id, created.id).await?;
        grants::apply_pending_income(conn, caller, &created).await?;
        let created = repo::find_budget(conn, created.id, false).await?;
        audit::record(
            conn,
            caller,
            Change {
                action: "revised",
                resource_type: "budget",
                resource_id: created.id.into(),
                before: None,
                after: Some(&Budget::from(created.clone())),
            },
        )
        .await?;
        Ok(created)
    })
    .await
}

/// Copies the lines of budget `from` (with their shares) into budget `to`: new ids, the
/// same lineages.
async fn copy_lines(
    conn: &mut AsyncPgConnection,
    from: BudgetId,
    to: BudgetId,
) -> Result<(), ApiError> {
    let now = Utc::now();
    let lines = repo::all_lines(conn, from).await?;
    let ids: Vec<_> = lines.iter().map(|l| l.id).collect();
    let shares = repo::shares_of(conn, &ids).await?;
    let mut new_ids = HashMap::new();
    let new_lines: Vec<LineRow> = lines
        .into_iter()
        .map(|l| {
            let id = BudgetLineId::new();
            new_ids.insert(l.id, id);
            LineRow {
                id,
                budget_id: to,
                version: 1,
                created_at: now,
                updated_at: now,
                ..l
            }
        })
        .collect();
    let new_shares: Vec<ShareRow> = shares
        .into_iter()
        .filter_map(|s| {
            new_ids
                .get(&s.line_id)
                .map(|id| ShareRow { line_id: *id, ..s })
        })
        .collect();
    repo::insert_lines(conn, &new_lines, &new_shares).await?;
    Ok(())
}
