//! The accounts of each year, approved by a resolution (an agenda item with the effect
//! `approve_accounts` names the year). Adopting it records the approval in the same
//! transaction, once per year: a second approval of the same year is a 409 and leaves that
//! resolution unadopted. Staff, admins, auditors and representatives read the list.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;

use super::{model::ApprovedAccountsRow, repo, scope};
use crate::{
    AppState,
    auth::Caller,
    domain::ResolutionId,
    error::ApiError,
    http::{
        csv::CsvRow,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
};

/// The accounts of a year, approved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApprovedAccounts {
    /// The year.
    #[schema(example = 2025)]
    pub fiscal_year: i32,
    /// The resolution that approved them.
    pub resolution_id: ResolutionId,
    /// When.
    pub approved_on: NaiveDate,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
}

impl From<ApprovedAccountsRow> for ApprovedAccounts {
    fn from(r: ApprovedAccountsRow) -> Self {
        Self {
            fiscal_year: r.fiscal_year,
            resolution_id: r.resolution_id,
            approved_on: r.approved_on,
            created_at: r.created_at,
        }
    }
}

impl CsvRow for ApprovedAccountsRow {
    fn header() -> &'static [&'static str] {
        &["fiscal_year", "resolution_id", "approved_on"]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.fiscal_year.to_string(),
            self.resolution_id.to_string(),
            self.approved_on.to_string(),
        ]
    }
}

/// The approved accounts, latest year first (JSON, or CSV with `Accept: text/csv`).
#[utoipa::path(tag = "governance", params(PageQuery),
    responses((status = 200, description = "A page of approved accounts (or CSV).",
        content((Page<ApprovedAccounts> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/approved-accounts")]
pub async fn list_approved_accounts(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    scope::narrowed_to(&caller)?;
    let list = List {
        resource: "approved_accounts",
        sort: "-fiscal_year",
        filename: "approved-accounts.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async |conn, after, n| Ok(repo::list_approved_accounts(conn, after, n).await?),
        |a: &ApprovedAccountsRow| a.fiscal_year,
        ApprovedAccounts::from,
    )
    .await
}

/// Records the approval of `year`'s accounts by `resolution` (the effect of an adopted
/// item): 409 `accounts_approved` when that year's are approved already.
pub async fn approve(
    conn: &mut AsyncPgConnection,
    year: i32,
    resolution: ResolutionId,
    on: NaiveDate,
) -> Result<(), ApiError> {
    let row = ApprovedAccountsRow {
        fiscal_year: year,
        resolution_id: resolution,
        approved_on: on,
        created_at: Utc::now(),
    };
    repo::insert_approved_accounts(conn, &row)
        .await
        .map_err(|e| {
            crate::error::on_unique(
                e,
                "approved_accounts_pkey",
                "accounts_approved",
                &format!("The accounts of {year} are approved already; nothing was adopted."),
            )
        })?;
    Ok(())
}
