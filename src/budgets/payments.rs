//! The payment of an execution entry: `POST /api/v1/budget-entries/{id}/payment` records the
//! day an expense was paid (or an income collected). Entries are never edited; the payment
//! date is the one thing recorded after the entry (an invoice is booked when it arrives and
//! paid weeks later), once, and the table's trigger allows nothing else. A justification
//! account lists unpaid expenses as not eligible (RLGS art. 72: the expense must be paid).

use actix_web::{HttpResponse, post, web};
use chrono::NaiveDate;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{entries::Entry, repo};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{EntryId, calendar},
    error::{ApiError, FieldErrors},
    http::json::Json,
};

/// When an entry was paid.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// The day it was paid or collected: not before the document's date, not in the future.
    pub paid_on: NaiveDate,
}

/// Records when an entry was paid (staff, admins): once; the same date again changes
/// nothing (200); another date is a 409 `already_paid` (a wrong date is corrected with a
/// reversing entry and a new one). A reversal is not paid itself (409 `not_payable`).
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Entry id")),
    request_body = Payment, responses(
    (status = 200, description = "Recorded (or already recorded with this date).", body = Entry),
    (status = 404, description = "No such entry.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "`already_paid`, `not_payable`.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "`validation_failed`: before the document, or in the future.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/budget-entries/{id}/payment")]
pub async fn pay_entry(
    caller: Caller,
    id: web::Path<EntryId>,
    body: Json<Payment>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let mut conn = state.conn().await?;
    let entry = pay(&mut conn, &caller, id.into_inner(), body.paid_on).await?;
    Ok(HttpResponse::Ok().json(entry))
}

/// Records the payment date of an entry: 404, 409 `already_paid` / `not_payable`, 422.
/// Audited; the same date twice is a no-op.
pub async fn pay(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: EntryId,
    paid_on: NaiveDate,
) -> Result<Entry, ApiError> {
    if paid_on > calendar::today() {
        return Err(FieldErrors::one(
            "paid_on",
            "in_the_future",
            "a payment is recorded once made",
        ));
    }
    conn.transaction(async |conn| {
        let entry = repo::lock_entry(conn, id).await?;
        if entry.reverses_id.is_some() {
            return Err(ApiError::conflict(
                "not_payable",
                "This entry is a reversal: it is not paid itself.",
            ));
        }
        match entry.paid_on {
            Some(d) if d == paid_on => return Ok(Entry::from(entry)),
            Some(d) => {
                return Err(ApiError::conflict(
                    "already_paid",
                    format!(
                        "This entry was paid on {d}. A payment date is not changed: reverse \
                         the entry and record it again."
                    ),
                ));
            }
            None => {}
        }
        let issued = entry.issued_on.unwrap_or(entry.entry_date);
        if paid_on < issued {
            return Err(FieldErrors::one(
                "paid_on",
                "before_issue",
                format!("must not be before the document's date, {issued}"),
            ));
        }
        let before = Entry::from(entry);
        let after = Entry::from(repo::set_paid_on(conn, id, paid_on).await?);
        audit::updated(conn, caller, "budget_entry", id.into(), &before, &after).await?;
        Ok(after)
    })
    .await
}
