//! Execution entries: what was committed and spent or received on a line of the fiscal
//! year's approved budget. Never edited nor deleted: a correction is a reversing entry.

use actix_web::{HttpRequest, HttpResponse, get, http::header, post, web};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    lines::visible_line,
    model::{BudgetRow, BudgetStatus, EntryKind, EntryRow, LineRow},
    repo,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource, policy},
    domain::{BudgetLineId, Cents, EntryId, TaxId, text},
    error::{ApiError, FieldErrors, not_found, on_unique},
    http::{
        csv::CsvRow,
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
};

/// An execution entry. Never edited: a correction is a reversing entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Entry {
    /// Id.
    pub id: EntryId,
    /// Fiscal year.
    pub fiscal_year: i32,
    /// The line it was recorded against.
    pub line_id: BudgetLineId,
    /// The line across versions.
    pub line_key: Uuid,
    /// Date.
    pub entry_date: NaiveDate,
    /// Commitment or actual.
    pub kind: EntryKind,
    /// Amount, euro cents (negative for refunds and reversals).
    pub amount_cents: Cents,
    /// Description.
    pub description: String,
    /// Document reference (invoice number …).
    pub document_ref: Option<String>,
    /// Counterparty (the creditor of an expense, the payer of an income).
    pub counterparty: Option<String>,
    /// The counterparty's tax id (Spanish NIF/NIE/CIF, normalised, or a foreign VAT number).
    pub counterparty_tax_id: Option<String>,
    /// Date of the document (invoice); null: the entry's date.
    pub issued_on: Option<NaiveDate>,
    /// When it was paid (expenses) or collected (income); null: not yet.
    pub paid_on: Option<NaiveDate>,
    /// The entry this one reverses.
    pub reverses_id: Option<EntryId>,
    /// Who recorded it.
    pub recorded_by: Option<Uuid>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

impl From<EntryRow> for Entry {
    fn from(e: EntryRow) -> Self {
        Self {
            id: e.id,
            fiscal_year: e.fiscal_year,
            line_id: e.line_id,
            line_key: e.line_key,
            entry_date: e.entry_date,
            kind: e.kind,
            amount_cents: e.amount_cents,
            description: e.description,
            document_ref: e.document_ref,
            counterparty: e.counterparty,
            counterparty_tax_id: e.counterparty_tax_id,
            issued_on: e.issued_on,
            paid_on: e.paid_on,
            reverses_id: e.reverses_id,
            recorded_by: e.recorded_by,
            created_at: e.created_at,
        }
    }
}

impl CsvRow for EntryRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "entry_date",
            "kind",
            "amount_cents",
            "description",
            "document_ref",
            "counterparty",
            "counterparty_tax_id",
            "issued_on",
            "paid_on",
            "reverses_id",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.entry_date.to_string(),
            self.kind.to_string(),
            self.amount_cents.get().to_string(),
            self.description.clone(),
            self.document_ref.clone().unwrap_or_default(),
            self.counterparty.clone().unwrap_or_default(),
            self.counterparty_tax_id.clone().unwrap_or_default(),
            self.issued_on.map(|d| d.to_string()).unwrap_or_default(),
            self.paid_on.map(|d| d.to_string()).unwrap_or_default(),
            self.reverses_id.map(|i| i.to_string()).unwrap_or_default(),
        ]
    }
}

/// A new execution entry (staff, admins), on a line of the fiscal year's approved budget.
/// To correct an entry, send `reverses_id` (the amount defaults to its opposite).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// Date, within the fiscal year.
    pub entry_date: NaiveDate,
    /// Commitment or actual (a reversal takes the kind of the entry it reverses).
    pub kind: Option<EntryKind>,
    /// Amount in euro cents, not 0 (negative for refunds).
    #[schema(minimum = -1_000_000_000_000_000_i64, maximum = 1_000_000_000_000_000_i64)]
    pub amount_cents: Option<Cents>,
    /// Description.
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// Document reference (invoice number …).
    #[schema(max_length = 100)]
    pub document_ref: Option<String>,
    /// Counterparty.
    #[schema(max_length = 300)]
    pub counterparty: Option<String>,
    /// The counterparty's tax id: a Spanish NIF, NIE or CIF (checked, normalised), or a
    /// foreign VAT number with its country prefix (`FR40303265045`).
    #[schema(max_length = 30, example = "B12345674")]
    pub counterparty_tax_id: Option<String>,
    /// Date of the document (invoice), if not the entry's date; at most a year before it,
    /// not after it.
    pub issued_on: Option<NaiveDate>,
    /// When it was paid or collected, if it was already (else record it later with
    /// `POST /api/v1/budget-entries/{id}/payment`); not before the document.
    pub paid_on: Option<NaiveDate>,
    /// The entry this one reverses.
    pub reverses_id: Option<EntryId>,
}

/// The execution entries of a line's lineage in its fiscal year, by date (or CSV): the
/// same list from every version of the budget. Staff, admins and auditors.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Line id"), PageQuery),
    responses(
    (status = 200, description = "A page of entries (or CSV).",
        content((Page<Entry> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/budget-lines/{id}/entries")]
pub async fn list_entries(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<BudgetLineId>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Budgets))?;
    if !policy::reads_drafts(caller.role) {
        return Err(not_found());
    }
    let (line, budget) = {
        let mut conn = state.conn().await?;
        visible_line(&mut conn, &caller, id.into_inner()).await?
    };
    let (year, key) = (budget.fiscal_year, line.line_key);
    let list = List {
        resource: "budget_entries",
        sort: "entry_date",
        filename: "budget-entries.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::entries(conn, year, key, after, n).await?),
        |e: &EntryRow| (e.entry_date, e.id),
        Entry::from,
    )
    .await
}

/// Records an execution entry (staff, admins) on a line of the fiscal year's approved
/// budget. Entries are never edited or deleted: to correct one, record a reversing entry
/// (`reverses_id`; its amount is the opposite, its kind the same).
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Line id")),
    request_body = NewEntry, responses(
    (status = 201, description = "Recorded.", body = Entry),
    (status = 409, description = "`budget_not_approved`, `already_reversed`, `not_reversible`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/budget-lines/{id}/entries")]
pub async fn create_entry(
    caller: Caller,
    id: web::Path<BudgetLineId>,
    body: Json<NewEntry>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = record(&mut conn, &caller, id, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/budget-lines/{id}/entries"),
        ))
        .json(Entry::from(row)))
}

/// The checked text of a new entry.
struct EntryText {
    description: String,
    document_ref: Option<String>,
    counterparty: Option<String>,
    counterparty_tax_id: Option<String>,
}

/// The checks that need no database: texts, the amount's range, and what a new entry
/// (not a reversal) must say.
fn check_entry(input: &NewEntry) -> Result<EntryText, ApiError> {
    let mut errors = FieldErrors::default();
    let description = errors.check("description", text::name(&input.description, 500));
    let document_ref = errors
        .check(
            "document_ref",
            text::optional_line(input.document_ref.as_deref(), 100),
        )
        .flatten();
    let counterparty = errors
        .check(
            "counterparty",
            text::optional_line(input.counterparty.as_deref(), 300),
        )
        .flatten();
    let counterparty_tax_id = input
        .counterparty_tax_id
        .as_deref()
        .and_then(|t| errors.check("counterparty_tax_id", check_counterparty_tax_id(t)));
    if let Some(issued) = input.issued_on
        && (issued > input.entry_date || (input.entry_date - issued).num_days() > 366)
    {
        errors.add(
            "issued_on",
            "out_of_range",
            "must not be after `entry_date`, nor more than a year before it",
        );
    }
    if let Some(paid) = input.paid_on
        && paid < input.issued_on.unwrap_or(input.entry_date)
    {
        errors.add(
            "paid_on",
            "before_issue",
            "must not be before the document's date",
        );
    }
    if let Some(a) = input.amount_cents
        && (a.is_zero() || !a.in_range(Cents(-Cents::MAX.get())))
    {
        let max = Cents::MAX.get();
        errors.add(
            "amount_cents",
            "out_of_range",
            format!("must not be 0, and between -{max} and {max}"),
        );
    }
    if input.reverses_id.is_none() {
        if input.amount_cents.is_none() {
            errors.add(
                "amount_cents",
                "required",
                "required (except for a reversal)",
            );
        }
        if input.kind.is_none() {
            errors.add("kind", "required", "required (except for a reversal)");
        }
    }
    let description = errors.finish_with(description)?;
    Ok(EntryText {
        description,
        document_ref,
        counterparty,
        counterparty_tax_id,
    })
}

/// A counterparty's tax id: a Spanish NIF, NIE or CIF (validated, normalised), or a foreign
/// VAT number (two letters of a country other than Spain, then 2 to 13 letters, digits, `+`
/// or `*`).
pub fn check_counterparty_tax_id(raw: &str) -> Result<String, String> {
    if let Ok(t) = TaxId::parse(raw) {
        return Ok(t.to_string());
    }
    let v: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.'))
        .collect::<String>()
        .to_uppercase();
    let b = v.as_bytes();
    let foreign = (4..=15).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && &b[..2] != b"ES"
        && b[2..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, b'+' | b'*'));
    if foreign {
        Ok(v)
    } else {
        Err("must be a valid Spanish NIF, NIE or CIF, or a foreign VAT number with its country prefix".into())
    }
}

/// Records an execution entry on a line of the fiscal year's approved budget (or a
/// reversal of one of its entries): 404, 409 `budget_not_approved`, `already_reversed`,
/// `not_reversible`, 422.
pub async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    line_id: BudgetLineId,
    input: NewEntry,
) -> Result<EntryRow, ApiError> {
    let checked = check_entry(&input)?;
    conn.transaction(async |conn| {
        // Writers (staff, admins) see every line; anyone else is checked first. The budget
        // is read once, locked `FOR SHARE`: held until the entry commits, an approval
        // cannot supersede the budget (or drop this line) under an entry being recorded.
        let line = if policy::reads_drafts(caller.role) {
            repo::find_line(conn, line_id, false).await?
        } else {
            visible_line(conn, caller, line_id).await?.0
        };
        let budget = repo::share_budget(conn, line.budget_id).await?;
        if budget.status != BudgetStatus::Approved {
            return Err(ApiError::conflict(
                "budget_not_approved",
                format!(
                    "Execution is recorded against the approved budget of {}; this \
                     version is {}.",
                    budget.fiscal_year, budget.status
                ),
            ));
        }
        if input.entry_date.year() != budget.fiscal_year {
            return Err(FieldErrors::one(
                "entry_date",
                "out_of_range",
                format!("must fall in {}", budget.fiscal_year),
            ));
        }
        let (kind, amount) = kind_and_amount(conn, &input, &line, &budget).await?;
        let row = EntryRow {
            id: EntryId::new(),
            fiscal_year: budget.fiscal_year,
            line_key: line.line_key,
            line_id: line.id,
            entry_date: input.entry_date,
            kind,
            amount_cents: amount,
            description: checked.description.clone(),
            document_ref: checked.document_ref.clone(),
            counterparty: checked.counterparty.clone(),
            counterparty_tax_id: checked.counterparty_tax_id.clone(),
            issued_on: input.issued_on,
            paid_on: input.paid_on,
            reverses_id: input.reverses_id,
            recorded_by: Some(caller.id()),
            request_id: caller.request_id_text(),
            created_at: Utc::now(),
        };
        let row = repo::insert_entry(conn, &row).await.map_err(|e| {
            on_unique(
                e,
                "budget_entries_reverses_id_key",
                "already_reversed",
                "This entry has been reversed already.",
            )
        })?;
        let after = Entry::from(row.clone());
        audit::created(conn, caller, "budget_entry", row.id.into(), &after).await?;
        Ok(row)
    })
    .await
}

/// The kind and amount of a new entry: what it says, or for a reversal the kind of the
/// entry it reverses and the opposite amount (an entry of the same line and year, not a
/// reversal itself).
async fn kind_and_amount(
    conn: &mut AsyncPgConnection,
    input: &NewEntry,
    line: &LineRow,
    budget: &BudgetRow,
) -> Result<(EntryKind, Cents), ApiError> {
    let Some(target) = input.reverses_id else {
        return Ok((
            input.kind.unwrap_or(EntryKind::Actual),
            input.amount_cents.unwrap_or_default(),
        ));
    };
    let original = repo::find_entry(conn, target)
        .await
        .map_err(|_| FieldErrors::one("reverses_id", "unknown", "no such entry"))?;
    if original.line_key != line.line_key || original.fiscal_year != budget.fiscal_year {
        return Err(FieldErrors::one(
            "reverses_id",
            "other_line",
            "an entry of this line",
        ));
    }
    if original.reverses_id.is_some() {
        return Err(ApiError::conflict(
            "not_reversible",
            "This entry is itself a reversal; record a new entry instead.",
        ));
    }
    let opposite = Cents(-original.amount_cents.get());
    if input.amount_cents.is_some_and(|a| a != opposite)
        || input.kind.is_some_and(|k| k != original.kind)
    {
        return Err(FieldErrors::one(
            "amount_cents",
            "inconsistent",
            format!(
                "a reversal of this entry is {} {}",
                opposite.get(),
                original.kind
            ),
        ));
    }
    Ok((original.kind, opposite))
}
