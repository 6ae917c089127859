//! An accepted grant's income: split among the fiscal years of the budget lines it funds,
//! and booked, per year, on the income line of the newest draft budget (through budgets'
//! own function), or recorded as a variance pending against the approved budget.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Utc};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{
    auth::Caller,
    budgets::{
        self,
        model::{LineKind, LineLineage},
    },
    domain::{BudgetId, BudgetLineId, Cents, calendar},
    error::ApiError,
    funding::{
        model::{ApplicationRow, CallRow, IncomeRow},
        repo,
    },
};

/// Where a year's income went.
struct Booked {
    /// The draft it was booked on, or the approved budget it is pending against.
    budget_id: Option<BudgetId>,
    /// The income line lineage.
    line_key: Option<Uuid>,
    /// No draft received it: a variance to carry into the next revision.
    pending: bool,
}

/// Books the income of an accepted grant: splits it among the fiscal years of the budget
/// lines it funds (expense lines first, else its income lines, else the decision's year)
/// and, per year, creates or updates the income line of the newest draft budget, or records
/// a pending variance against the approved budget when no draft exists.
pub async fn book(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    app: &ApplicationRow,
    call: &CallRow,
    granted: Cents,
) -> Result<(), ApiError> {
    let links = repo::application_lines(conn, app.id).await?;
    let line_ids: Vec<BudgetLineId> = links.iter().map(|l| l.line_id).collect();
    let lines: HashMap<BudgetLineId, LineLineage> = budgets::repo::line_lineages(conn, &line_ids)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let weights_of = |kind: LineKind| -> Vec<(BudgetLineId, Cents)> {
        links
            .iter()
            .filter(|l| lines.get(&l.line_id).is_some_and(|x| x.kind == kind))
            .map(|l| (l.line_id, l.amount_cents))
            .collect()
    };
    let mut weights = weights_of(LineKind::Expense);
    if weights.is_empty() {
        weights = weights_of(LineKind::Income);
    }
    let mut by_year: BTreeMap<i32, Cents> = BTreeMap::new();
    if weights.is_empty() {
        let year = app.decided_on.unwrap_or_else(calendar::today).year();
        by_year.insert(year, granted);
    } else {
        for (line, cents) in budgets::model::split(granted, &weights) {
            if let Some(l) = lines.get(&line) {
                let year = by_year.entry(l.fiscal_year).or_default();
                // The parts add up to the grant, which fits.
                *year = Cents(year.get() + cents.get());
            }
        }
    }
    // The income lines the application named, by year (the line each year's money goes to).
    let named: HashMap<i32, Uuid> = links
        .iter()
        .filter_map(|l| lines.get(&l.line_id))
        .filter(|l| l.kind == LineKind::Income)
        .map(|l| (l.fiscal_year, l.line_key))
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
        let booked = book_year(conn, caller, &grant, year, named.get(&year).copied()).await?;
        repo::insert_income(
            conn,
            &IncomeRow {
                application_id: app.id,
                fiscal_year: year,
                amount_cents: amount,
                line_key: booked.line_key,
                budget_id: booked.budget_id,
                pending: booked.pending,
                created_at: Utc::now(),
            },
        )
        .await?;
    }
    Ok(())
}

/// Books one year's income on the newest draft budget of the year (on the line the
/// application named, `named`, when the draft has it); without a draft, a variance against
/// the approved budget, unless the line it named already plans exactly what the grants
/// booked on it bring.
async fn book_year(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    grant: &budgets::GrantIncome<'_>,
    year: i32,
    named: Option<Uuid>,
) -> Result<Booked, ApiError> {
    if let Some(draft) = budgets::repo::newest_draft_of_year(conn, year).await? {
        let budget = budgets::repo::find_budget(conn, draft, true).await?;
        let key = budgets::book_grant_line(conn, caller, &budget, named, grant).await?;
        return Ok(Booked {
            budget_id: Some(draft),
            line_key: Some(key),
            pending: false,
        });
    }
    let approved = budgets::repo::approved_of_year(conn, year).await?;
    let mut pending = true;
    if let (Some(a), Some(key)) = (&approved, named)
        && let Some(line) = budgets::repo::line_by_key(conn, a.id, key).await?
    {
        let others = repo::booked_on(conn, year, key, grant.application_id).await?;
        pending = others.checked_add(grant.amount_cents).ok() != Some(line.planned_cents);
    }
    Ok(Booked {
        budget_id: approved.map(|b| b.id),
        line_key: named,
        pending,
    })
}
