//! Subsidy applications (solicitudes de ayuda): the cluster prepares one for a call (its
//! amounts, the plan actions it serves, the budget lines it funds, the members taking
//! part), submits it, and the funder decides; the state machine is [`transition`]. Accepting
//! a grant books its income in the budget ([`income`]); a grant never funds an action above
//! its planned cost ([`double_funding`]).
//!
//! Who sees an application: staff and auditors all; partners those made to their funder's
//! calls, once submitted; representatives those their organisation leads or takes part in.

mod content;
pub mod double_funding;
pub mod income;
pub mod transition;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub use content::{create, update};
pub use transition::transition;

use super::{
    funders::opt,
    model::{ApplicationRow, ApplicationStatus, IncomeRow},
    repo::{self, ApplicationFilter},
    scope::Scope,
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    domain::{ApplicationId, BudgetId, BudgetLineId, CallId, Cents, FunderId, MemberId, NodeId},
    error::{ApiError, not_found},
    http::{
        csv::CsvRow,
        etag::{self, Precondition},
        json::Json,
        listing::{self, List},
        pagination::Page,
        patch::nullable,
    },
};

// ---------------------------------------------------------------------------------------
// Types

/// The part of the requested amount for one plan action.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ActionAmount {
    /// A plan action (with a planned budget).
    pub action_id: NodeId,
    /// Euro cents.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub amount_cents: Cents,
}

/// The part of the requested amount for one budget line: an expense line it pays for (its
/// fiscal year is a year the grant funds) or the income line expecting it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LineAmount {
    /// A budget line.
    pub line_id: BudgetLineId,
    /// Euro cents.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub amount_cents: Cents,
}

/// The income an accepted grant brings to one fiscal year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantIncome {
    /// Fiscal year.
    pub fiscal_year: i32,
    /// Euro cents.
    pub amount_cents: Cents,
    /// The budget that received it (a draft), or the approved one it is pending against.
    pub budget_id: Option<BudgetId>,
    /// The income line across versions.
    pub line_key: Option<Uuid>,
    /// `true`: no draft budget of that year existed; the amount is a variance against the
    /// approved budget, to carry into its next revision.
    pub pending: bool,
}

impl From<IncomeRow> for GrantIncome {
    fn from(r: IncomeRow) -> Self {
        Self {
            fiscal_year: r.fiscal_year,
            amount_cents: r.amount_cents,
            budget_id: r.budget_id,
            line_key: r.line_key,
            pending: r.pending,
        }
    }
}

/// A subsidy application (solicitud de ayuda).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Application {
    /// Id.
    pub id: ApplicationId,
    /// The call.
    pub call_id: CallId,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: Option<String>,
    /// The member organisation that leads it; `null`: the cluster itself.
    pub lead_member_id: Option<MemberId>,
    /// Participating member organisations.
    pub participant_ids: Vec<MemberId>,
    /// Where it stands.
    pub status: ApplicationStatus,
    /// The moves possible from here.
    pub next_statuses: Vec<ApplicationStatus>,
    /// Eligible cost, euro cents (= requested + own funding + other aid).
    pub eligible_cost_cents: Cents,
    /// Requested, euro cents.
    pub requested_cents: Cents,
    /// Own funding, euro cents.
    pub own_funding_cents: Cents,
    /// Other aid for the same costs, euro cents.
    pub other_aid_cents: Cents,
    /// Granted, euro cents.
    pub granted_cents: Option<Cents>,
    /// The plan actions it serves.
    pub actions: Vec<ActionAmount>,
    /// The budget lines it funds.
    pub budget_lines: Vec<LineAmount>,
    /// The income of the accepted grant, per fiscal year.
    pub income: Vec<GrantIncome>,
    /// First submission.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Decision date.
    pub decided_on: Option<NaiveDate>,
    /// When the spending must be justified.
    pub justification_due_on: Option<NaiveDate>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// An application in a list (without its links).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationSummary {
    /// Id.
    pub id: ApplicationId,
    /// The call.
    pub call_id: CallId,
    /// Title.
    pub title: String,
    /// The leading member organisation; `null`: the cluster.
    pub lead_member_id: Option<MemberId>,
    /// Where it stands.
    pub status: ApplicationStatus,
    /// Eligible cost, euro cents.
    pub eligible_cost_cents: Cents,
    /// Requested, euro cents.
    pub requested_cents: Cents,
    /// Granted, euro cents.
    pub granted_cents: Option<Cents>,
    /// Decision date.
    pub decided_on: Option<NaiveDate>,
    /// Justification deadline.
    pub justification_due_on: Option<NaiveDate>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<ApplicationRow> for ApplicationSummary {
    fn from(r: ApplicationRow) -> Self {
        Self {
            id: r.id,
            call_id: r.call_id,
            title: r.title,
            lead_member_id: r.lead_member_id,
            status: r.status,
            eligible_cost_cents: r.eligible_cost_cents,
            requested_cents: r.requested_cents,
            granted_cents: r.granted_cents,
            decided_on: r.decided_on,
            justification_due_on: r.justification_due_on,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for ApplicationRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "call_id",
            "title",
            "lead_member_id",
            "status",
            "eligible_cost_cents",
            "requested_cents",
            "own_funding_cents",
            "other_aid_cents",
            "granted_cents",
            "decided_on",
            "justification_due_on",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.call_id.to_string(),
            self.title.clone(),
            opt(self.lead_member_id),
            self.status.to_string(),
            self.eligible_cost_cents.get().to_string(),
            self.requested_cents.get().to_string(),
            self.own_funding_cents.get().to_string(),
            self.other_aid_cents.get().to_string(),
            opt(self.granted_cents.map(Cents::get)),
            opt(self.decided_on),
            opt(self.justification_due_on),
        ]
    }
}

/// A new application (a draft; staff, admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    /// The call.
    pub call_id: CallId,
    /// Title.
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    /// Summary.
    #[schema(max_length = 10000)]
    pub summary: Option<String>,
    /// The leading member organisation; absent: the cluster itself.
    pub lead_member_id: Option<MemberId>,
    /// Participating member organisations.
    #[schema(max_items = 200)]
    pub participant_ids: Option<Vec<MemberId>>,
    /// Eligible cost, euro cents.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub eligible_cost_cents: Cents,
    /// Requested, euro cents (≤ the call's maximum and its rate of the eligible cost).
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub requested_cents: Cents,
    /// Own funding, euro cents.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub own_funding_cents: Cents,
    /// Other aid, euro cents.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub other_aid_cents: Cents,
    /// The plan actions it serves (parts of the requested amount).
    #[schema(max_items = 200)]
    pub actions: Option<Vec<ActionAmount>>,
    /// The budget lines it funds (parts of the requested amount).
    #[schema(max_items = 200)]
    pub budget_lines: Option<Vec<LineAmount>>,
}

/// Changes to an application while the cluster prepares it (`draft`, `changes_requested`).
/// Needs `If-Match`. Lists replace the current ones.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationPatch {
    /// Title.
    #[schema(min_length = 1, max_length = 500)]
    pub title: Option<String>,
    /// Summary; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 10000)]
    pub summary: Option<Option<String>>,
    /// Leading member; `null`: the cluster.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub lead_member_id: Option<Option<MemberId>>,
    /// Participating members.
    #[schema(max_items = 200)]
    pub participant_ids: Option<Vec<MemberId>>,
    /// Eligible cost.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub eligible_cost_cents: Option<Cents>,
    /// Requested.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub requested_cents: Option<Cents>,
    /// Own funding.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub own_funding_cents: Option<Cents>,
    /// Other aid.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub other_aid_cents: Option<Cents>,
    /// Plan actions.
    #[schema(max_items = 200)]
    pub actions: Option<Vec<ActionAmount>>,
    /// Budget lines.
    #[schema(max_items = 200)]
    pub budget_lines: Option<Vec<LineAmount>>,
}

/// Filters of the application list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Only applications to this call.
    pub call_id: Option<CallId>,
    /// Only in this status.
    pub status: Option<ApplicationStatus>,
    /// Page size (1–100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    #[param(max_length = 1000)]
    pub cursor: Option<String>,
}

/// An application with its links, as the services return it.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    /// The application.
    pub row: ApplicationRow,
    /// Participating member organisations.
    pub participant_ids: Vec<MemberId>,
    /// The plan actions it serves.
    pub actions: Vec<ActionAmount>,
    /// The budget lines it funds.
    pub budget_lines: Vec<LineAmount>,
    /// The income of the accepted grant, per fiscal year.
    pub income: Vec<IncomeRow>,
}

impl From<ApplicationView> for Application {
    fn from(v: ApplicationView) -> Self {
        let row = v.row;
        Self {
            next_statuses: row.status.next(),
            id: row.id,
            call_id: row.call_id,
            title: row.title,
            summary: row.summary,
            lead_member_id: row.lead_member_id,
            participant_ids: v.participant_ids,
            status: row.status,
            eligible_cost_cents: row.eligible_cost_cents,
            requested_cents: row.requested_cents,
            own_funding_cents: row.own_funding_cents,
            other_aid_cents: row.other_aid_cents,
            granted_cents: row.granted_cents,
            actions: v.actions,
            budget_lines: v.budget_lines,
            income: v.income.into_iter().map(GrantIncome::from).collect(),
            submitted_at: row.submitted_at,
            decided_on: row.decided_on,
            justification_due_on: row.justification_due_on,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Handlers

/// Subsidy applications, newest first: staff and auditors see all; partners those made to
/// their funder's calls (once submitted); representatives those their organisation leads or
/// takes part in.
#[utoipa::path(tag = "funding", params(ApplicationQuery),
    responses((status = 200, description = "A page of applications (or CSV).",
        content((Page<ApplicationSummary> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/applications")]
pub async fn list_applications(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<ApplicationQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let scope = Scope::of(&caller);
    let filter = ApplicationFilter {
        call_id: query.call_id,
        status: query.status,
    };
    let list = List {
        resource: "applications",
        sort: "-created_at",
        filename: "applications.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| {
            Ok(repo::list_applications(conn, scope, filter, after, n).await?)
        },
        |a: &ApplicationRow| (a.created_at, a.id),
        ApplicationSummary::from,
    )
    .await
}

/// Starts an application to a call, as a draft (staff, admins).
#[utoipa::path(tag = "funding", request_body = NewApplication, responses(
    (status = 201, description = "Created.", body = Application),
    (status = 422, description = "`validation_failed` (unbalanced amounts, above the call's maximum or co-financing rate, unknown members, actions or lines).", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/applications")]
pub async fn create_application(
    caller: Caller,
    body: Json<NewApplication>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    let mut conn = state.conn().await?;
    let view = create(&mut conn, &caller, body.into_inner()).await?;
    Ok(etag::created(
        format!("/api/v1/applications/{}", view.row.id),
        view.row.version,
        &Application::from(view),
    ))
}

/// One application with its participants, actions, lines, income and the moves possible.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id")), responses(
    (status = 200, description = "The application.", body = Application),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/applications/{id}")]
pub async fn get_application(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<ApplicationId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let mut conn = state.conn().await?;
    let view = find(&mut conn, &caller, id.into_inner()).await?;
    Ok(etag::respond(
        &req,
        view.row.version,
        &Application::from(view),
    ))
}

/// Changes an application while the cluster prepares it (`draft`, `changes_requested`;
/// staff, admins). Needs `If-Match`. The rules are checked on the whole result.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id"),
    ("If-Match" = String, Header, description = "ETag from a GET")),
    request_body = ApplicationPatch, responses(
    (status = 200, description = "Changed.", body = Application),
    (status = 409, description = "`application_frozen`: submitted applications are not edited.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/applications/{id}")]
pub async fn update_application(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<ApplicationId>,
    body: Json<ApplicationPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let view = update(
        &mut conn,
        &caller,
        id.into_inner(),
        precondition,
        body.into_inner(),
    )
    .await?;
    Ok(etag::updated(view.row.version, &Application::from(view)))
}

// ---------------------------------------------------------------------------------------
// Reading and visibility

/// An application with its links.
pub async fn view(
    conn: &mut AsyncPgConnection,
    row: ApplicationRow,
) -> Result<ApplicationView, ApiError> {
    let participant_ids = repo::participants(conn, row.id).await?;
    let actions = repo::application_actions(conn, &[row.id])
        .await?
        .into_iter()
        .map(|a| ActionAmount {
            action_id: a.action_id,
            amount_cents: a.amount_cents,
        })
        .collect();
    let budget_lines = repo::application_lines(conn, row.id)
        .await?
        .into_iter()
        .map(|l| LineAmount {
            line_id: l.line_id,
            amount_cents: l.amount_cents,
        })
        .collect();
    let income = repo::income_of(conn, row.id).await?;
    Ok(ApplicationView {
        row,
        participant_ids,
        actions,
        budget_lines,
        income,
    })
}

/// The application if the caller sees it, with its call's funder (an unlocked read).
pub async fn visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ApplicationId,
) -> Result<(ApplicationRow, FunderId), ApiError> {
    let (app, funder_id) = repo::find_application_funder(conn, id).await?;
    if !repo::sees_application(conn, Scope::of(caller), &app, funder_id).await? {
        return Err(not_found());
    }
    Ok((app, funder_id))
}

/// The application locked `FOR UPDATE`, once the caller may see it. Visibility is decided
/// first, on an unlocked read, so a caller who may not see it gets a 404 (never a 412 or a
/// 409 about it) and takes no lock; it is checked again on the locked row, as what decided
/// it (a submission, the members) may have changed in between. Staff see every
/// application: for them, only the lock.
pub(super) async fn lock_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ApplicationId,
) -> Result<ApplicationRow, ApiError> {
    let scope = Scope::of(caller);
    if scope == Scope::All {
        return Ok(repo::find_application(conn, id, true).await?);
    }
    let (_, funder_id) = visible(conn, caller, id).await?;
    let app = repo::find_application(conn, id, true).await?;
    if !repo::sees_application(conn, scope, &app, funder_id).await? {
        return Err(not_found());
    }
    Ok(app)
}

/// One application with its links, if the caller sees it.
pub async fn find(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ApplicationId,
) -> Result<ApplicationView, ApiError> {
    let (row, _) = visible(conn, caller, id).await?;
    view(conn, row).await
}
