//! The diff of two budget versions: the lines one adds, removes and changes against the
//! other, lines matched across versions by their lineage.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::{HttpResponse, get, web};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    lines::sees_lines,
    model::{LineKind, LineRow, ShareRow},
    repo,
    versions::visible_budget,
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    domain::{BudgetId, Cents},
    error::ApiError,
    plans::{self, model::FieldChange},
};

/// A line added or removed between two versions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineRef {
    /// The line across versions.
    pub line_key: Uuid,
    /// Code.
    pub code: String,
    /// Description.
    pub description: String,
}

/// A line present in both versions with different content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineChange {
    /// The line across versions.
    pub line_key: Uuid,
    /// Code (in this version).
    pub code: String,
    /// What differs.
    pub changes: Vec<FieldChange>,
}

/// What this version adds, removes and changes against another, lines matched across
/// versions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BudgetDiff {
    /// This version.
    pub budget_id: BudgetId,
    /// The other.
    pub against: BudgetId,
    /// Lines only in this version.
    pub added: Vec<LineRef>,
    /// Lines only in the other.
    pub removed: Vec<LineRef>,
    /// Lines in both, changed.
    pub changed: Vec<LineChange>,
    /// Planned total of this version minus the other's, by kind.
    pub planned_income_delta_cents: Cents,
    /// Same for expense.
    pub planned_expense_delta_cents: Cents,
}

/// `against` of the diff.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The other version.
    pub against: BudgetId,
}

/// What this version adds, removes and changes against another, lines matched across
/// versions.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Budget id"), DiffQuery),
    responses(
    (status = 200, description = "The differences.", body = BudgetDiff),
    (status = 403, description = "Partners.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/budgets/{id}/diff")]
pub async fn diff_budgets(
    caller: Caller,
    id: web::Path<BudgetId>,
    query: web::Query<DiffQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Budgets))?;
    let mut conn = state.conn().await?;
    let diff = diff(&mut conn, &caller, id.into_inner(), query.against).await?;
    Ok(HttpResponse::Ok().json(diff))
}

/// The comparable content of a line.
fn comparable(l: &LineRow, shares: &[ShareRow]) -> BTreeMap<&'static str, serde_json::Value> {
    use serde_json::json;
    let mut s: Vec<(Uuid, i32)> = shares
        .iter()
        .filter(|s| s.line_id == l.id)
        .map(|s| (s.action_id.uuid(), s.share_bp))
        .collect();
    s.sort();
    BTreeMap::from([
        ("code", json!(l.code)),
        ("kind", json!(l.kind)),
        ("category_id", json!(l.category_id)),
        ("description", json!(l.description)),
        ("planned_cents", json!(l.planned_cents)),
        (
            "source_member_category_id",
            json!(l.source_member_category_id),
        ),
        ("source_text", json!(l.source_text)),
        (
            "actions",
            json!(
                s.iter()
                    .map(|(a, bp)| json!({"action_id": a, "share_bp": bp}))
                    .collect::<Vec<_>>()
            ),
        ),
    ])
}

/// The planned total of the lines of a kind (clamped to what 64 bits hold).
fn planned(lines: &[LineRow], kind: LineKind) -> Cents {
    let sum: i128 = lines
        .iter()
        .filter(|l| l.kind == kind)
        .map(|l| i128::from(l.planned_cents.get()))
        .sum();
    Cents(i64::try_from(sum.clamp(i128::from(i64::MIN), i128::from(i64::MAX))).unwrap_or_default())
}

fn line_ref(l: &LineRow) -> LineRef {
    LineRef {
        line_key: l.line_key,
        code: l.code.clone(),
        description: l.description.clone(),
    }
}

/// What budget `id` adds, removes and changes against budget `against` (both visible to
/// the caller; partners: 403).
pub async fn diff(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
    against: BudgetId,
) -> Result<BudgetDiff, ApiError> {
    if !sees_lines(caller) {
        return Err(ApiError::forbidden(
            "Partners see the budget lines their institution funds only.",
        ));
    }
    let this = visible_budget(conn, caller, id).await?;
    let other = visible_budget(conn, caller, against).await?;
    let mine = repo::all_lines(conn, this.id).await?;
    let theirs = repo::all_lines(conn, other.id).await?;
    let ids: Vec<_> = mine.iter().chain(&theirs).map(|l| l.id).collect();
    let shares = repo::shares_of(conn, &ids).await?;
    let theirs_by: HashMap<Uuid, &LineRow> = theirs.iter().map(|l| (l.line_key, l)).collect();
    let mine_keys: HashSet<Uuid> = mine.iter().map(|l| l.line_key).collect();
    let delta = |k: LineKind| {
        Cents(
            planned(&mine, k)
                .get()
                .saturating_sub(planned(&theirs, k).get()),
        )
    };
    let mut diff = BudgetDiff {
        budget_id: id,
        against,
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        planned_income_delta_cents: delta(LineKind::Income),
        planned_expense_delta_cents: delta(LineKind::Expense),
    };
    for l in &mine {
        match theirs_by.get(&l.line_key) {
            None => diff.added.push(line_ref(l)),
            Some(before) => {
                let changes =
                    plans::model::field_diff(&comparable(before, &shares), &comparable(l, &shares));
                if !changes.is_empty() {
                    diff.changed.push(LineChange {
                        line_key: l.line_key,
                        code: l.code.clone(),
                        changes,
                    });
                }
            }
        }
    }
    diff.removed = theirs
        .iter()
        .filter(|l| !mine_keys.contains(&l.line_key))
        .map(line_ref)
        .collect();
    Ok(diff)
}
