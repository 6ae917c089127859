//! Budgets: categories, budgets and their versions, lines, entries, reports.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Page, TestApp, expect_json, with_query};

/// A budget (one version of it).
#[derive(Debug, Deserialize)]
pub struct Budget {
    pub id: Uuid,
    pub status: String,
    pub version_number: i64,
}

/// A line of a budget, with what has been executed on it.
#[derive(Debug, Deserialize)]
pub struct BudgetLine {
    pub id: Uuid,
    pub code: String,
    pub planned_cents: i64,
    pub actual_cents: i64,
}

/// An execution entry of a line.
#[derive(Debug, Deserialize)]
pub struct Entry {
    pub id: Uuid,
    pub kind: String,
    pub amount_cents: i64,
}

/// Planned, committed, actual and remaining amounts.
#[derive(Debug, Deserialize)]
pub struct Amounts {
    pub planned_cents: i64,
    pub committed_cents: i64,
    pub actual_cents: i64,
    pub remaining_cents: i64,
    pub execution_pct: Option<f64>,
}

impl Amounts {
    /// An amount by its field name (`planned_cents`…).
    pub fn get(&self, field: &str) -> i64 {
        match field {
            "planned_cents" => self.planned_cents,
            "committed_cents" => self.committed_cents,
            "actual_cents" => self.actual_cents,
            "remaining_cents" => self.remaining_cents,
            other => panic!("no amount {other}"),
        }
    }
}

/// A row of a report (a line, category, action or axis) and its amounts.
#[derive(Debug, Deserialize)]
pub struct ReportRow {
    pub code: String,
    #[serde(flatten)]
    pub amounts: Amounts,
    pub approved_planned_cents: Option<i64>,
    pub variance_cents: Option<i64>,
}

/// Income and expense totals.
#[derive(Debug, Deserialize)]
pub struct Totals {
    pub income: Amounts,
    pub expense: Amounts,
    pub planned_balance_cents: i64,
    pub actual_balance_cents: i64,
}

/// Where a budget's income comes from.
#[derive(Debug, Deserialize)]
pub struct IncomeSource {
    pub kind: String,
    pub source_id: Option<Uuid>,
    pub planned_cents: i64,
}

/// Income a grant adds to a year whose budget is approved, waiting for a revision.
#[derive(Debug, Deserialize)]
pub struct PendingIncome {
    pub application_id: Uuid,
    pub amount_cents: i64,
    pub variance_cents: i64,
}

/// A budget's report.
#[derive(Debug, Deserialize)]
pub struct Report {
    pub lines: Vec<ReportRow>,
    pub categories: Vec<ReportRow>,
    pub actions: Vec<ReportRow>,
    pub axes: Vec<ReportRow>,
    pub totals: Totals,
    pub unallocated: Amounts,
    pub income_by_source: Vec<IncomeSource>,
    pub pending_income: Vec<PendingIncome>,
}

impl Report {
    /// The line with `code`.
    pub fn line(&self, code: &str) -> &ReportRow {
        self.lines.iter().find(|l| l.code == code).unwrap()
    }
}

/// The path of a budget.
pub fn budget_path(id: Uuid) -> String {
    format!("/api/v1/budgets/{id}")
}

/// The path of a budget's lines.
pub fn lines_path(budget: Uuid) -> String {
    format!("{}/lines", budget_path(budget))
}

/// The path of a line's entries.
pub fn entries_path(line: Uuid) -> String {
    format!("{}/entries", line_path(line))
}

/// The path of a budget line.
pub fn line_path(id: Uuid) -> String {
    format!("/api/v1/budget-lines/{id}")
}

/// Budgets.
impl TestApp {
    /// The budget categories' ids by code.
    pub async fn budget_categories(&self, token: &str) -> HashMap<String, Uuid> {
        #[derive(Deserialize)]
        struct Category {
            id: Uuid,
            code: String,
        }
        let page: Page<Category> = self
            .get_ok(token, "/api/v1/budget-categories?limit=100")
            .await;
        page.items.into_iter().map(|c| (c.code, c.id)).collect()
    }

    /// Creates a budget.
    pub async fn create_budget(&self, token: &str, body: &Value) -> Budget {
        expect_json(self.post_json(token, "/api/v1/budgets", body).await, 201).await
    }

    /// A budget.
    pub async fn get_budget(&self, token: &str, id: Uuid) -> Budget {
        self.get_ok(token, &budget_path(id)).await
    }

    /// A budget (raw).
    pub async fn try_get_budget(&self, token: &str, id: Uuid) -> reqwest::Response {
        self.get_as(token, &budget_path(id)).await
    }

    /// The budgets the caller sees; `query` is the query string.
    pub async fn list_budgets(&self, token: &str, query: &str) -> Vec<Budget> {
        let path = with_query("/api/v1/budgets", query);
        self.get_ok::<Page<_>>(token, &path).await.items
    }

    /// Changes a budget (raw).
    pub async fn try_update_budget(
        &self,
        token: &str,
        id: Uuid,
        if_match: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        self.send_as("PATCH", token, &budget_path(id), if_match, Some(body))
            .await
    }

    /// Deletes a draft budget (raw).
    pub async fn try_delete_budget(&self, token: &str, id: Uuid) -> reqwest::Response {
        self.send_as("DELETE", token, &budget_path(id), Some("*"), None)
            .await
    }

    /// Approves a budget.
    pub async fn approve_budget(&self, token: &str, id: Uuid, body: &Value) -> Budget {
        expect_json(self.try_approve_budget(token, id, body).await, 200).await
    }

    /// Approves a budget (raw).
    pub async fn try_approve_budget(
        &self,
        token: &str,
        id: Uuid,
        body: &Value,
    ) -> reqwest::Response {
        let path = format!("{}/approval", budget_path(id));
        self.send_as("POST", token, &path, Some("*"), Some(body))
            .await
    }

    /// Starts a revision of an approved budget: the new draft version.
    pub async fn revise_budget(&self, token: &str, id: Uuid) -> Budget {
        expect_json(self.try_revise_budget(token, id).await, 201).await
    }

    /// Starts a revision of a budget (raw).
    pub async fn try_revise_budget(&self, token: &str, id: Uuid) -> reqwest::Response {
        let path = format!("{}/revisions", budget_path(id));
        self.post_json(token, &path, &json!({})).await
    }

    /// A budget's report.
    pub async fn budget_report(&self, token: &str, id: Uuid) -> Report {
        self.get_ok(token, &format!("{}/report", budget_path(id)))
            .await
    }

    /// A budget's report (raw).
    pub async fn try_budget_report(&self, token: &str, id: Uuid) -> reqwest::Response {
        self.get_as(token, &format!("{}/report", budget_path(id)))
            .await
    }

    /// A budget's report as CSV.
    pub async fn budget_report_csv(&self, token: &str, id: Uuid) -> String {
        self.get_csv(token, &format!("{}/report", budget_path(id)))
            .await
    }

    /// What changed from `against` to `id`, as JSON.
    pub async fn budget_diff(&self, token: &str, id: Uuid, against: Uuid) -> Value {
        let path = format!("{}/diff?against={against}", budget_path(id));
        self.get_ok(token, &path).await
    }
}

/// Lines and entries.
impl TestApp {
    /// Adds a line to a draft budget.
    pub async fn add_line(&self, token: &str, budget: Uuid, body: &Value) -> BudgetLine {
        let res = self.try_add_line(token, budget, Some("*"), body).await;
        expect_json(res, 201).await
    }

    /// Adds a line to a budget (raw).
    pub async fn try_add_line(
        &self,
        token: &str,
        budget: Uuid,
        if_match: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let path = lines_path(budget);
        self.send_as("POST", token, &path, if_match, Some(body))
            .await
    }

    /// A budget's lines.
    pub async fn budget_lines(&self, token: &str, budget: Uuid) -> Vec<BudgetLine> {
        let path = lines_path(budget);
        self.get_ok::<Page<_>>(token, &path).await.items
    }

    /// A budget's lines (raw).
    pub async fn try_budget_lines(&self, token: &str, budget: Uuid) -> reqwest::Response {
        self.get_as(token, &lines_path(budget)).await
    }

    /// A line.
    pub async fn get_line(&self, token: &str, id: Uuid) -> BudgetLine {
        self.get_ok(token, &line_path(id)).await
    }

    /// A line (raw).
    pub async fn try_get_line(&self, token: &str, id: Uuid) -> reqwest::Response {
        self.get_as(token, &line_path(id)).await
    }

    /// Changes a line (raw).
    pub async fn try_update_line(
        &self,
        token: &str,
        id: Uuid,
        if_match: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        self.send_as("PATCH", token, &line_path(id), if_match, Some(body))
            .await
    }

    /// Removes a line (raw).
    pub async fn try_delete_line(&self, token: &str, id: Uuid) -> reqwest::Response {
        self.send_as("DELETE", token, &line_path(id), Some("*"), None)
            .await
    }

    /// Records an entry on a line.
    pub async fn add_entry(&self, token: &str, line: Uuid, body: &Value) -> Entry {
        expect_json(self.try_add_entry(token, line, body).await, 201).await
    }

    /// Records an entry on a line (raw).
    pub async fn try_add_entry(&self, token: &str, line: Uuid, body: &Value) -> reqwest::Response {
        let path = entries_path(line);
        self.post_json(token, &path, body).await
    }

    /// A line's entries.
    pub async fn line_entries(&self, token: &str, line: Uuid) -> Vec<Entry> {
        let path = entries_path(line);
        self.get_ok::<Page<_>>(token, &path).await.items
    }

    /// A line's entries (raw).
    pub async fn try_line_entries(&self, token: &str, line: Uuid) -> reqwest::Response {
        self.get_as(token, &entries_path(line)).await
    }
}
