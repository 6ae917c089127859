//! The changes of a line (add, change, delete, on draft budgets only) and the rules they
//! check: its fields, what it refers to (category, income source, plan actions), and the
//! budget's totals staying within what can be added up.

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use super::{Line, LinePatch, LineView, NewLine, lock_visible_line, view_of};
use crate::{
    audit,
    auth::Caller,
    budgets::{
        model::{self, ActionShare, BudgetRow, LineChanges, LineKind, LineRow, ShareRow},
        repo,
        versions::{frozen, lock_visible},
    },
    domain::{BudgetCategoryId, BudgetId, BudgetLineId, Cents, MemberCategoryId, NodeId, text},
    error::{ApiError, FieldErrors, on_reference, on_unique},
    http::etag::{IfMatch, Precondition},
    plans::model::NodeKind,
};

const CODE_TAKEN: &str = "Another line of this budget has this code.";

fn code_taken(e: diesel::result::Error) -> ApiError {
    on_unique(e, "budget_lines_code_key", "code_taken", CODE_TAKEN)
}

/// 409 `line_in_use` for a line (or a budget's line) a subsidy application funds.
pub(in crate::budgets) fn line_in_use(e: diesel::result::Error) -> ApiError {
    on_reference(
        e,
        "application_lines_line_id_fkey",
        "line_in_use",
        "A subsidy application funds this line: change the application's budget lines \
         first.",
    )
}

/// The fields of a line to check before anything is read (absent: unchanged).
#[derive(Debug, Clone, Copy)]
struct LineFields<'a> {
    code: Option<&'a str>,
    description: Option<&'a str>,
    planned: Option<Cents>,
    source_text: Option<Option<&'a str>>,
    shares: Option<&'a [ActionShare]>,
}

/// Validated line content.
struct LineInput {
    code: Option<String>,
    description: Option<String>,
    source_text: Option<Option<String>>,
}

/// Checks the fields of a line that need no database: one 422 with every problem.
fn check_line_fields(f: LineFields<'_>) -> Result<LineInput, ApiError> {
    let mut errors = FieldErrors::default();
    let code = f
        .code
        .and_then(|c| errors.check("code", crate::plans::model::check_code(c)));
    let description = f
        .description
        .and_then(|d| errors.check("description", text::name(d, 500)));
    if f.planned.is_some_and(|p| !p.in_range(Cents::ZERO)) {
        errors.add(
            "planned_cents",
            "out_of_range",
            format!("must be between 0 and {}", Cents::MAX.get()),
        );
    }
    let source_text = f.source_text.map(|s| {
        errors
            .check("source_text", text::optional_line(s, 300))
            .flatten()
    });
    if let Some(s) = f.shares {
        errors.check("actions", model::check_shares(s));
    }
    errors.finish()?;
    Ok(LineInput {
        code,
        description,
        source_text,
    })
}

/// What a line refers to, as it will be after the change.
#[derive(Debug, Clone, Copy)]
struct LineRefs<'a> {
    kind: LineKind,
    category_id: Option<BudgetCategoryId>,
    source_category: Option<MemberCategoryId>,
    source_text: Option<&'a str>,
    shares: Option<&'a [ActionShare]>,
}

/// Checks what a line refers to: its category (of its kind), the income source (income
/// only), and the actions (expense only; actions of the budget's plan).
async fn check_line_refs(
    conn: &mut AsyncPgConnection,
    budget: &BudgetRow,
    r: LineRefs<'_>,
) -> Result<(), ApiError> {
    let kind = r.kind;
    let mut errors = FieldErrors::default();
    if let Some(c) = r.category_id {
        match repo::find_category(conn, c, false).await {
            Ok(cat) if cat.kind == kind => {}
            Ok(cat) => errors.add(
                "category_id",
                "wrong_kind",
                format!(
                    "`{}` is an {} category; the line is {kind}",
                    cat.code, cat.kind
                ),
            ),
            Err(_) => errors.add("category_id", "unknown", "no such budget category"),
        }
    }
    if kind == LineKind::Expense && (r.source_category.is_some() || r.source_text.is_some()) {
        errors.add(
            "source_text",
            "not_allowed",
            "only income lines have a source",
        );
    }
    if r.source_category.is_some() && r.source_text.is_some() {
        errors.add(
            "source_text",
            "not_allowed",
            "one source: a member category or a text",
        );
    }
    if let Some(s) = r.shares.filter(|s| !s.is_empty()) {
        if kind == LineKind::Income {
            errors.add("actions", "not_allowed", "only expense lines serve actions");
        } else {
            let ids: Vec<NodeId> = s.iter().map(|a| a.action_id).collect();
            let found = crate::plans::repo::nodes_by_ids(conn, &ids).await?;
            for (i, a) in s.iter().enumerate() {
                let ok = found.iter().any(|n| {
                    a.action_id == n.id
                        && budget.plan_id == Some(n.plan_id)
                        && n.kind == NodeKind::Action
                });
                if !ok {
                    errors.add(
                        &format!("actions[{i}].action_id"),
                        "unknown",
                        "not an action of the plan this budget executes",
                    );
                }
            }
        }
    }
    errors.finish()
}

/// 422 when the planned total of a kind would pass what the report can add up: the lines
/// of the budget (but `except`), plus `planned`.
async fn check_total(
    conn: &mut AsyncPgConnection,
    budget_id: BudgetId,
    kind: LineKind,
    except: Option<BudgetLineId>,
    planned: Cents,
) -> Result<(), ApiError> {
    let total: i128 = repo::all_lines(conn, budget_id)
        .await?
        .iter()
        .filter(|l| l.kind == kind && Some(l.id) != except)
        .map(|l| i128::from(l.planned_cents.get()))
        .sum::<i128>()
        + i128::from(planned.get());
    let mut errors = FieldErrors::default();
    if total > i128::from(i64::MAX) {
        errors.add(
            "planned_cents",
            "out_of_range",
            "the budget's total would overflow",
        );
    }
    errors.finish_as("value_out_of_range", |_| {
        format!("The budget's planned {kind} would pass what can be added up.")
    })
}

fn share_rows(line_id: BudgetLineId, shares: &[ActionShare]) -> Vec<ShareRow> {
    shares
        .iter()
        .map(|a| ShareRow {
            line_id,
            action_id: a.action_id,
            share_bp: a.share_bp,
        })
        .collect()
}

/// Adds a line to a draft budget: 404, 412, 409 `budget_frozen`, `code_taken`, 422.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    budget_id: BudgetId,
    precondition: Precondition,
    input: NewLine,
) -> Result<LineView, ApiError> {
    let checked = check_line_fields(LineFields {
        code: Some(&input.code),
        description: Some(&input.description),
        planned: Some(input.planned_cents),
        source_text: Some(input.source_text.as_deref()),
        shares: input.actions.as_deref(),
    })?;
    conn.transaction(async |conn| {
        let budget = lock_visible(conn, caller, budget_id).await?;
        precondition.check(budget.version, IfMatch::Required)?;
        frozen(&budget)?;
        let source_text = checked.source_text.clone().flatten();
        let refs = LineRefs {
            kind: input.kind,
            category_id: Some(input.category_id),
            source_category: input.source_member_category_id,
            source_text: source_text.as_deref(),
            shares: input.actions.as_deref(),
        };
        check_line_refs(conn, &budget, refs).await?;
        check_total(conn, budget_id, input.kind, None, input.planned_cents).await?;
        let now = Utc::now();
        let position = match input.position {
            Some(p) => p,
            None => repo::next_position(conn, budget_id).await?,
        };
        let row = LineRow {
            id: BudgetLineId::new(),
            budget_id,
            line_key: Uuid::now_v7(),
            code: checked.code.clone().unwrap_or_default(),
            kind: input.kind,
            category_id: input.category_id,
            description: checked.description.clone().unwrap_or_default(),
            planned_cents: input.planned_cents,
            source_member_category_id: input.source_member_category_id,
            source_text,
            position,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let row = repo::insert_line(conn, &row).await.map_err(code_taken)?;
        if let Some(s) = input.actions.as_deref().filter(|s| !s.is_empty()) {
            repo::set_shares(conn, row.id, &share_rows(row.id, s)).await?;
        }
        repo::touch_budget(conn, budget_id).await?;
        let view = view_of(conn, budget.fiscal_year, row).await?;
        let after = Line::from(view.clone());
        audit::created(conn, caller, "budget_line", after.id.into(), &after).await?;
        Ok(view)
    })
    .await
}

/// Changes a line of a draft budget: 404, 412, 409 `budget_frozen`, `code_taken`, 422.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetLineId,
    precondition: Precondition,
    patch: LinePatch,
) -> Result<LineView, ApiError> {
    let checked = check_line_fields(LineFields {
        code: patch.code.as_deref(),
        description: patch.description.as_deref(),
        planned: patch.planned_cents,
        source_text: patch.source_text.as_ref().map(Option::as_deref),
        shares: patch.actions.as_deref(),
    })?;
    conn.transaction(async |conn| {
        let (current, budget) = lock_visible_line(conn, caller, id).await?;
        precondition.check(current.version, IfMatch::Required)?;
        frozen(&budget)?;
        let source_category = patch
            .source_member_category_id
            .unwrap_or(current.source_member_category_id);
        let source_text = checked
            .source_text
            .clone()
            .unwrap_or(current.source_text.clone());
        let before = view_of(conn, budget.fiscal_year, current.clone()).await?;
        let shares = patch.actions.clone().unwrap_or(before.actions.clone());
        let refs = LineRefs {
            kind: current.kind,
            category_id: patch.category_id,
            source_category,
            source_text: source_text.as_deref(),
            shares: Some(&shares),
        };
        check_line_refs(conn, &budget, refs).await?;
        if let Some(p) = patch.planned_cents {
            check_total(conn, budget.id, current.kind, Some(id), p).await?;
        }
        let changes = LineChanges {
            code: checked.code.clone(),
            category_id: patch.category_id,
            description: checked.description.clone(),
            planned_cents: patch.planned_cents,
            source_member_category_id: patch.source_member_category_id,
            source_text: checked.source_text.clone(),
            position: patch.position,
        };
        let updated = repo::update_line(conn, id, &changes)
            .await
            .map_err(code_taken)?;
        if let Some(s) = &patch.actions {
            repo::set_shares(conn, id, &share_rows(id, s)).await?;
        }
        repo::touch_budget(conn, budget.id).await?;
        let view = view_of(conn, budget.fiscal_year, updated).await?;
        let (before, after) = (Line::from(before), Line::from(view.clone()));
        audit::updated(conn, caller, "budget_line", id.into(), &before, &after).await?;
        Ok(view)
    })
    .await
}

/// Deletes a line of a draft budget: 404, 412, 409 `budget_frozen`, `line_in_use`.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetLineId,
    precondition: Precondition,
) -> Result<(), ApiError> {
    conn.transaction(async |conn| {
        let (current, budget) = lock_visible_line(conn, caller, id).await?;
        precondition.check(current.version, IfMatch::Required)?;
        frozen(&budget)?;
        let before = Line::from(view_of(conn, budget.fiscal_year, current).await?);
        repo::delete_line(conn, id).await.map_err(line_in_use)?;
        repo::touch_budget(conn, budget.id).await?;
        audit::deleted(conn, caller, "budget_line", id.into(), &before).await
    })
    .await
}
