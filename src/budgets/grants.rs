//! Grant income in the budget: an accepted grant's money booked on an income line of a
//! draft budget (funding calls [`book_grant_line`] when a grant is accepted), the income
//! pending while a year has no draft (booked by [`apply_pending_income`] when its next
//! draft or revision is created), and that pending income as the report shows it.

use std::collections::HashMap;

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    model::{BudgetRow, BudgetStatus, LineChanges, LineKind, LineRow},
    repo,
};
use crate::{
    audit,
    auth::Caller,
    domain::{ApplicationId, BudgetLineId, Cents},
    error::ApiError,
    funding,
};

/// An accepted grant's income for one fiscal year, as the budget books it.
#[derive(Debug, Clone)]
pub struct GrantIncome<'a> {
    /// The application.
    pub application_id: ApplicationId,
    /// Its title (the line's description).
    pub title: &'a str,
    /// Where the money comes from (`<funder>: <title>`, the line's source).
    pub source: &'a str,
    /// The income of this fiscal year.
    pub amount_cents: Cents,
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
    if budget.status != BudgetStatus::Draft {
        return Err(ApiError::conflict(
            "budget_frozen",
            "Grant income is booked on a draft budget only.",
        ));
    }
    if let Some(key) = named
        && let Some(line) = repo::line_by_key(conn, budget.id, key).await?
    {
        let others =
            funding::repo::booked_on(conn, budget.fiscal_year, key, grant.application_id).await?;
        let planned = others
            .checked_add(grant.amount_cents)
            .ok()
            .filter(|p| *p <= Cents::MAX)
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
        audit::updated(conn, caller, "budget_line", line.id.into(), &before, &after).await?;
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
        .uuid()
        .simple()
        .to_string()
        .chars()
        .rev()
        .take(8)
        .collect();
    let now = Utc::now();
    let row = LineRow {
        id: BudgetLineId::new(),
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
    audit::created(
        conn,
        caller,
        "budget_line",
        row.id.into(),
        &line_audit(&row),
    )
    .await?;
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
    for p in funding::repo::pending_grants(conn, budget.fiscal_year).await? {
        let source = format!("{}: {}", p.funder, p.title);
        let grant = GrantIncome {
            application_id: p.application_id,
            title: &p.title,
            source: &source,
            amount_cents: p.amount_cents,
        };
        let key = book_grant_line(conn, caller, budget, p.line_key, &grant).await?;
        funding::repo::mark_booked(conn, p.application_id, budget.fiscal_year, budget.id, key)
            .await?;
    }
    Ok(())
}

/// An accepted grant whose income is not in the budget yet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PendingIncome {
    /// The application.
    pub application_id: ApplicationId,
    /// Its title.
    pub title: String,
    /// The grant's income for this fiscal year, euro cents.
    pub amount_cents: Cents,
    /// The income line it was expected on (its lineage), if it named one.
    pub line_key: Option<Uuid>,
    /// What this version plans on that line, euro cents.
    pub planned_cents: Option<Cents>,
    /// Grant minus what is planned on that line (the whole grant without a line), euro cents.
    pub variance_cents: Cents,
}

/// The grants of the budget's fiscal year whose income is still pending, against what
/// this version plans on the lines they named.
pub(super) async fn pending_income(
    conn: &mut AsyncPgConnection,
    budget: &BudgetRow,
    lines: &[LineRow],
) -> Result<Vec<PendingIncome>, ApiError> {
    let planned: HashMap<Uuid, Cents> = lines
        .iter()
        .map(|l| (l.line_key, l.planned_cents))
        .collect();
    Ok(funding::repo::pending_grants(conn, budget.fiscal_year)
        .await?
        .into_iter()
        .map(|p| {
            let planned_cents = p.line_key.and_then(|k| planned.get(&k).copied());
            PendingIncome {
                application_id: p.application_id,
                title: p.title,
                amount_cents: p.amount_cents,
                line_key: p.line_key,
                planned_cents,
                variance_cents: Cents(
                    p.amount_cents
                        .get()
                        .saturating_sub(planned_cents.unwrap_or_default().get()),
                ),
            }
        })
        .collect())
}
