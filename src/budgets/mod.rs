//! Budgets: one fiscal year's income and expense lines, approved by the General Assembly;
//! lines tied to plan actions (by shares) and to their income source; execution entries
//! that are never edited; a report that always reconciles; revisions and their diff.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;

use std::collections::HashSet;

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{
    audit::{self, Change},
    auth::Caller,
    error::{ApiError, on_unique},
};
use model::{BudgetRow, BudgetStatus, LineRow, ShareRow};

/// Registers the budget endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    use handlers::*;
    cfg.service(list_categories)
        .service(create_category)
        .service(update_category)
        .service(list_budgets)
        .service(create_budget)
        .service(get_budget)
        .service(update_budget)
        .service(delete_budget)
        .service(approve_budget)
        .service(revise_budget)
        .service(budget_report)
        .service(diff_budgets)
        .service(list_lines)
        .service(create_line)
        .service(get_line)
        .service(update_line)
        .service(delete_line)
        .service(list_entries)
        .service(create_entry);
}

/// Approves a budget version (draft or proposed), in the caller's transaction: records when,
/// by whom and with which reference, and supersedes the version it revises. The admin
/// endpoint and (later) assembly resolutions both call this. A fiscal year has one approved
/// budget at a time; a revision must keep every line that has execution entries. Anything
/// else is a 409 and nothing changes.
pub async fn approve(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    budget_id: Uuid,
    approved_on: NaiveDate,
    reference: &str,
) -> Result<BudgetRow, ApiError> {
    let budget = repo::find_budget(conn, budget_id, true).await?;
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
        let plan = crate::plans::repo::share_plan(conn, crate::domain::PlanId(plan_id)).await?;
        if plan.status == crate::plans::model::PlanStatus::Draft {
            return Err(ApiError::conflict(
                "plan_not_approved",
                "The budget executes a plan that is still a draft; approve the plan first.",
            ));
        }
    }
    let current = repo::approved_of_year(conn, budget.fiscal_year).await?;
    match (&current, budget.revises_id) {
        (Some(c), Some(revised)) if c.id == revised => {
            let old = repo::find_budget(conn, c.id, true).await?;
            let kept: HashSet<Uuid> = repo::all_lines(conn, budget_id)
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
                    resource_id: old.id,
                    before: Some(&dto::Budget::from(old)),
                    after: Some(&dto::Budget::from(superseded)),
                },
            )
            .await?;
        }
        (Some(c), _) => {
            return Err(ApiError::conflict(
                "approved_budget_exists",
                format!(
                    "{} has an approved budget ({}); revise that one \
                     (POST /api/v1/budgets/{}/revisions).",
                    budget.fiscal_year, c.id, c.id
                ),
            ));
        }
        (None, _) => {}
    }
    let approved = repo::approve_budget(conn, budget_id, approved_on, reference, caller.user_id())
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
            resource_id: budget_id,
            before: Some(&dto::Budget::from(budget)),
            after: Some(&dto::Budget::from(approved.clone())),
        },
    )
    .await?;
    Ok(approved)
}

/// Creates a draft revision of an approved budget, in the caller's transaction: its lines
/// (same lineage, so execution follows them) and their shares, new ids, the next version
/// number.
pub async fn revise(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    budget_id: Uuid,
) -> Result<BudgetRow, ApiError> {
    let source = repo::find_budget(conn, budget_id, true).await?;
    if source.status != BudgetStatus::Approved {
        return Err(ApiError::conflict(
            "budget_not_approved",
            format!(
                "Only the approved version of a budget is revised; this one is {}.",
                source.status
            ),
        ));
    }
    let now = chrono::Utc::now();
    let copy = BudgetRow {
        id: Uuid::now_v7(),
        status: BudgetStatus::Draft,
        version_number: source.version_number + 1,
        revises_id: Some(source.id),
        approved_on: None,
        approval_reference: None,
        approved_by: None,
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
    let lines = repo::all_lines(conn, source.id).await?;
    let ids: Vec<Uuid> = lines.iter().map(|l| l.id).collect();
    let shares = repo::shares_of(conn, &ids).await?;
    let mut new_ids = std::collections::HashMap::new();
    let new_lines: Vec<LineRow> = lines
        .into_iter()
        .map(|l| {
            let id = Uuid::now_v7();
            new_ids.insert(l.id, id);
            LineRow {
                id,
                budget_id: created.id,
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
    apply_pending_income(conn, caller, &created).await?;
    let created = repo::find_budget(conn, created.id, false).await?;
    audit::record(
        conn,
        caller,
        Change {
            action: "revised",
            resource_type: "budget",
            resource_id: created.id,
            before: None,
            after: Some(&dto::Budget::from(created.clone())),
        },
    )
    .await?;
    Ok(created)
}

/// An accepted grant's income for one fiscal year, as the budget books it.
#[derive(Debug, Clone)]
pub struct GrantIncome<'a> {
    /// The application.
    pub application_id: Uuid,
    /// Its title (the line's description).
    pub title: &'a str,
    /// Where the money comes from (`<funder>: <title>`, the line's source).
    pub source: &'a str,
    /// The income of this fiscal year, euro cents.
    pub amount_cents: i64,
}

/// Books a grant's income in a draft budget (the caller holds its lock): on the line
/// `named` (a line key) when the draft has it, whose planned amount becomes everything the
/// grants booked on it add up to; else on a new `public_subsidies` income line. Audited.
/// Returns the line key.
pub async fn book_grant_line(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    budget: &BudgetRow,
    named: Option<Uuid>,
    grant: &GrantIncome<'_>,
) -> Result<Uuid, ApiError> {
    use model::{LineChanges, LineKind};
    if budget.status != BudgetStatus::Draft {
        return Err(ApiError::conflict(
            "budget_frozen",
            "Grant income is booked on a draft budget only.",
        ));
    }
    if let Some(key) = named
        && let Some(line) = repo::line_by_key(conn, budget.id, key).await?
    {
        let others = repo::booked_on(conn, budget.fiscal_year, key, grant.application_id).await?;
        let planned = others
            .checked_add(grant.amount_cents)
            .filter(|p| *p <= model::MAX_CENTS)
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "value_out_of_range",
                    "The grants booked on this income line add up past what can be stored.",
                )
            })?;
        let changes = LineChanges {
            planned_cents: Some(planned),
            ..Default::default()
        };
        let updated = repo::update_line(conn, line.id, &changes).await?;
        let (before, after) = (line_audit(&line), line_audit(&updated));
        audit::updated(conn, caller, "budget_line", line.id, &before, &after).await?;
        repo::touch_budget(conn, budget.id).await?;
        return Ok(key);
    }
    let category = repo::category_by_code(conn, LineKind::Income, "public_subsidies")
        .await?
        .ok_or_else(|| {
            ApiError::conflict(
                "category_missing",
                "The income category `public_subsidies` is needed to book a grant.",
            )
        })?;
    let short: String = grant
        .application_id
        .simple()
        .to_string()
        .chars()
        .rev()
        .take(8)
        .collect();
    let now = chrono::Utc::now();
    let row = LineRow {
        id: Uuid::now_v7(),
        budget_id: budget.id,
        line_key: Uuid::now_v7(),
        code: format!("SUB-{}", short.to_uppercase()),
        kind: LineKind::Income,
        category_id: category.id,
        description: grant.title.chars().take(500).collect(),
        planned_cents: grant.amount_cents,
        source_member_category_id: None,
        source_text: Some(grant.source.chars().take(300).collect()),
        position: repo::next_position(conn, budget.id).await?,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let row = repo::insert_line(conn, &row).await?;
    audit::created(conn, caller, "budget_line", row.id, &line_audit(&row)).await?;
    repo::touch_budget(conn, budget.id).await?;
    Ok(row.line_key)
}

/// What the audit log keeps of a line written by the funding module.
fn line_audit(l: &LineRow) -> serde_json::Value {
    serde_json::json!({
        "id": l.id, "budget_id": l.budget_id, "line_key": l.line_key, "code": l.code,
        "kind": l.kind, "category_id": l.category_id, "description": l.description,
        "planned_cents": l.planned_cents, "source_text": l.source_text,
    })
}

/// Books, in a new draft of a fiscal year, the grant income accepted while that year had no
/// draft (pending variances), and marks it booked. Called when a draft budget or a
/// revision is created.
pub async fn apply_pending_income(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    budget: &BudgetRow,
) -> Result<(), ApiError> {
    for p in repo::pending_grants(conn, budget.fiscal_year).await? {
        let source = format!("{}: {}", p.funder, p.title);
        let grant = GrantIncome {
            application_id: p.application_id,
            title: &p.title,
            source: &source,
            amount_cents: p.amount_cents,
        };
        let key = book_grant_line(conn, caller, budget, p.line_key, &grant).await?;
        repo::mark_booked(conn, p.application_id, budget.fiscal_year, budget.id, key).await?;
    }
    Ok(())
}
