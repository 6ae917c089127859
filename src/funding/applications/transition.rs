//! The state machine's one entry point: [`transition`] moves an application (a submission,
//! a decision, an acceptance…) after checking the edge, who may make it, the fields it needs
//! and its rules, and keeps every move in the application's history.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    Application, ApplicationSummary, ApplicationView, double_funding, income, lock_visible, view,
    visible,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Principal, Resource, policy},
    domain::{ApplicationId, Cents, DocumentId, calendar, text},
    error::{ApiError, FieldErrors},
    events,
    funding::{
        documents::Store,
        funders::opt,
        justification,
        model::{ApplicationChanges, ApplicationStatus, CallStatus, Side, TransitionRow},
        repo,
        scope::is_partner_of,
    },
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
};

/// A move of the state machine.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// The new status.
    pub to: ApplicationStatus,
    /// Why (required for `changes_requested`, `rejected`, `renounced` and `withdrawn`).
    #[schema(max_length = 5000)]
    pub comment: Option<String>,
    /// For `granted` (defaults to the requested amount, and must equal it) and
    /// `partially_granted` (required, less than requested).
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub granted_cents: Option<Cents>,
    /// Decisions: the resolution's date (default: today, Europe/Madrid).
    pub decided_on: Option<NaiveDate>,
    /// Grants: the justification deadline (default: the call's).
    pub justification_due_on: Option<NaiveDate>,
    /// `justification_submitted`: attach the justification account, as it is at this
    /// move, to the application as a document (JSON, with its SHA-256), frozen.
    pub attach_justification_account: Option<bool>,
}

/// One move of an application, as kept in its history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Transition {
    /// Id.
    pub id: Uuid,
    /// From.
    pub from_status: ApplicationStatus,
    /// To.
    pub to_status: ApplicationStatus,
    /// Comment.
    pub comment: Option<String>,
    /// Amount granted by this move.
    pub granted_cents: Option<Cents>,
    /// Who: a user or an API client.
    pub actor_id: Uuid,
    /// `user` or `api_client`.
    pub actor_kind: String,
    /// The actor's role at the time.
    pub actor_role: String,
    /// The request that made it.
    pub request_id: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<TransitionRow> for Transition {
    fn from(r: TransitionRow) -> Self {
        Self {
            id: r.id,
            from_status: r.from_status,
            to_status: r.to_status,
            comment: r.comment,
            granted_cents: r.granted_cents,
            actor_id: r.actor_id,
            actor_kind: r.actor_kind,
            actor_role: r.actor_role,
            request_id: r.request_id,
            created_at: r.created_at,
        }
    }
}

impl CsvRow for TransitionRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "from_status",
            "to_status",
            "comment",
            "granted_cents",
            "actor_id",
            "actor_kind",
            "actor_role",
            "created_at",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.from_status.to_string(),
            self.to_status.to_string(),
            opt(self.comment.as_deref()),
            opt(self.granted_cents.map(Cents::get)),
            self.actor_id.to_string(),
            self.actor_kind.clone(),
            self.actor_role.clone(),
            self.created_at.to_rfc3339(),
        ]
    }
}

/// Moves an application along its state machine: `draft` → `submitted` (while the call is
/// open) → `under_review` → `changes_requested` ↔ `submitted`; `under_review` → `granted`
/// / `partially_granted` / `rejected`; a grant → `accepted` or `renounced`; `accepted` →
/// `justification_submitted` → `justified` → `closed`; `draft` / `submitted` → `withdrawn`.
/// The cluster's staff make the cluster's moves; the call's funder (its partner users and
/// API clients), or staff on its behalf, record its decisions. Accepting a grant books its
/// income in the budget of the years it funds. An illegal move is a 409 and changes nothing.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id"),
    ("If-Match" = Option<String>, Header, description = "Optional: ETag from a GET")),
    request_body = TransitionRequest, responses(
    (status = 200, description = "Moved.", body = Application),
    (status = 403, description = "Not this caller's move.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "`illegal_transition`, `call_not_open`, `above_call_limits`, `double_funding`.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "`validation_failed`: a field the move needs or forbids.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/applications/{id}/transitions")]
pub async fn transition_application(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<ApplicationId>,
    body: Json<TransitionRequest>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    let precondition = Precondition::from_request(&req);
    let store = Store::configured(state.config.document_dir.as_deref());
    let mut conn = state.conn().await?;
    let view = transition(
        &mut conn,
        &caller,
        id.into_inner(),
        precondition,
        body.into_inner(),
        &store,
    )
    .await?;
    Ok(etag::updated(view.row.version, &Application::from(view)))
}

/// Every move of an application, oldest first: who (user or API client, and role), when,
/// from and to which status, with the comment and any amount granted.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id"), PageQuery),
    responses(
    (status = 200, description = "A page of moves (or CSV).",
        content((Page<Transition> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/applications/{id}/history")]
pub async fn application_history(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<ApplicationId>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let id = id.into_inner();
    {
        let mut conn = state.conn().await?;
        visible(&mut conn, &caller, id).await?;
    }
    let list = List {
        resource: "application_history",
        sort: "created_at",
        filename: "application-history.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::transitions(conn, id, after, n).await?),
        |t: &TransitionRow| (t.created_at, t.id),
        Transition::from,
    )
    .await
}

// ---------------------------------------------------------------------------------------
// The state machine

/// 409 `illegal_transition`: the move is not an edge of the machine.
fn illegal(from: ApplicationStatus, to: ApplicationStatus) -> ApiError {
    let next: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
    ApiError::conflict(
        "illegal_transition",
        if next.is_empty() {
            format!("The application is {from}, a final status: it does not move to {to}.")
        } else {
            format!(
                "An application that is {from} moves to {}; not to {to}.",
                next.join(", ")
            )
        },
    )
}

/// 403 unless the caller may make a move of `side`: the cluster's staff make every move;
/// the call's funder (`funder`) records its decisions.
fn check_side(
    caller: &Caller,
    side: Side,
    funder: crate::domain::FunderId,
    to: ApplicationStatus,
) -> Result<(), ApiError> {
    let allowed = policy::runs_funding(caller.role)
        || (side == Side::Funder && is_partner_of(caller, funder));
    if allowed {
        return Ok(());
    }
    Err(ApiError::forbidden(match side {
        Side::Cluster => format!("Only the cluster's staff move an application to {to}."),
        Side::Funder => format!(
            "Only the call's funder (or the cluster's staff on its behalf) moves an \
             application to {to}."
        ),
    }))
}

/// The fields a move needs or forbids (422): a comment for changes, rejections,
/// renunciations and withdrawals; an amount and a date only with a decision; a
/// justification deadline only with a grant. Returns the checked comment.
fn check_fields(step: &TransitionRequest) -> Result<Option<String>, ApiError> {
    let to = step.to;
    let comment = text::optional(step.comment.as_deref(), 5000)
        .map_err(|m| FieldErrors::one("comment", "invalid", m))?;
    let needs_comment = matches!(
        to,
        ApplicationStatus::ChangesRequested
            | ApplicationStatus::Rejected
            | ApplicationStatus::Renounced
            | ApplicationStatus::Withdrawn
    );
    if needs_comment && comment.is_none() {
        return Err(FieldErrors::one(
            "comment",
            "required",
            format!("say why the application is {to}"),
        ));
    }
    let decision = matches!(
        to,
        ApplicationStatus::Granted
            | ApplicationStatus::PartiallyGranted
            | ApplicationStatus::Rejected
    );
    if !decision && (step.decided_on.is_some() || step.granted_cents.is_some()) {
        return Err(FieldErrors::one(
            "granted_cents",
            "not_allowed",
            "an amount and a decision date go with a decision (granted, partially_granted, rejected)",
        ));
    }
    if to != ApplicationStatus::JustificationSubmitted
        && step.attach_justification_account.is_some()
    {
        return Err(FieldErrors::one(
            "attach_justification_account",
            "not_allowed",
            "the justification account is attached when the justification is submitted",
        ));
    }
    if !to.grants() && step.justification_due_on.is_some() {
        return Err(FieldErrors::one(
            "justification_due_on",
            "not_allowed",
            "a justification deadline goes with a grant",
        ));
    }
    Ok(comment)
}

/// The amount of a grant: the requested amount for a full grant (the amount sent, if any,
/// must be it), less than it and more than 0 for a partial one (required).
fn granted_amount(step: &TransitionRequest, requested: Cents) -> Result<Cents, ApiError> {
    match (step.to, step.granted_cents) {
        (ApplicationStatus::Granted, None) => Ok(requested),
        (ApplicationStatus::Granted, Some(g)) if g == requested => Ok(g),
        (ApplicationStatus::Granted, Some(_)) => Err(FieldErrors::one(
            "granted_cents",
            "not_requested_amount",
            format!("a full grant is the requested {requested}; use partially_granted for less"),
        )),
        (_, Some(g)) if g >= Cents(1) && g < requested => Ok(g),
        (_, Some(_)) => Err(FieldErrors::one(
            "granted_cents",
            "out_of_range",
            format!("a partial grant is more than 0 and less than the requested {requested}"),
        )),
        (_, None) => Err(FieldErrors::one(
            "granted_cents",
            "required",
            "a partial grant needs its amount",
        )),
    }
}

/// Moves an application along its state machine. The sequence: the amount's range (422,
/// before anything is read); the application the caller may see (404), locked; `If-Match`
/// (412, optional); the edge (409 `illegal_transition`); who may make it (403); the fields
/// it needs (422); its rules (the call open for a first submission, the call's limits,
/// double funding for a grant); the move, kept in the history and the audit log. Accepting
/// a grant books its income; submitting the justification can attach the justification
/// account, frozen, as a document (its bytes in `store`). Anything refused changes nothing.
/// Inside a resolution's transaction it is a savepoint of it.
pub async fn transition(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ApplicationId,
    precondition: Precondition,
    step: TransitionRequest,
    store: &Store,
) -> Result<ApplicationView, ApiError> {
    if let Some(g) = step.granted_cents
        && !g.in_range(Cents(1))
    {
        return Err(FieldErrors::one(
            "granted_cents",
            "out_of_range",
            Cents::range_message(Cents(1)),
        ));
    }
    let frozen_account = DocumentId::new();
    let attach = step.attach_justification_account == Some(true);
    let result = conn
        .transaction(async |conn| {
            let app = lock_visible(conn, caller, id).await?;
            precondition.check(app.version, IfMatch::Optional)?;
            let call = repo::find_call(conn, app.call_id, false).await?;
            let (from, to) = (app.status, step.to);
            let side = from.edge(to).ok_or_else(|| illegal(from, to))?;
            check_side(caller, side, call.funder_id, to)?;
            let comment = check_fields(&step)?;
            let now = Utc::now();
            let mut changes = ApplicationChanges {
                status: Some(to),
                ..Default::default()
            };
            match to {
                // A first submission needs the call open; a resubmission after requested changes
                // does not (the funder asked for it, usually after the call closed).
                ApplicationStatus::Submitted if from == ApplicationStatus::Draft => {
                    if call.status_at(now) != CallStatus::Open {
                        return Err(ApiError::conflict(
                            "call_not_open",
                            format!(
                                "The call accepts applications from {} to {}; it is {} now.",
                                calendar::local(call.opens_at).to_rfc3339(),
                                calendar::local(call.closes_at).to_rfc3339(),
                                call.status_at(now)
                            ),
                        ));
                    }
                    call.check_limits(app.eligible_cost_cents, app.requested_cents)
                        .map_err(|above| ApiError::conflict("above_call_limits", above.message))?;
                    changes.submitted_at = Some(Some(now));
                }
                ApplicationStatus::Submitted => {
                    call.check_limits(app.eligible_cost_cents, app.requested_cents)
                        .map_err(|above| ApiError::conflict("above_call_limits", above.message))?;
                }
                ApplicationStatus::Granted | ApplicationStatus::PartiallyGranted => {
                    let granted = granted_amount(&step, app.requested_cents)?;
                    call.check_limits(app.eligible_cost_cents, granted)
                        .map_err(|above| {
                            FieldErrors::one("granted_cents", "above_call_limits", above.message)
                        })?;
                    double_funding::check(conn, &app, granted).await?;
                    changes.granted_cents = Some(Some(granted));
                    changes.decided_on =
                        Some(Some(step.decided_on.unwrap_or_else(calendar::today)));
                    changes.justification_due_on =
                        Some(step.justification_due_on.or(call.justification_due_on));
                }
                ApplicationStatus::Rejected => {
                    changes.decided_on =
                        Some(Some(step.decided_on.unwrap_or_else(calendar::today)));
                }
                ApplicationStatus::Accepted => {
                    let granted = app.granted_cents.unwrap_or_default();
                    double_funding::check(conn, &app, granted).await?;
                    income::book(conn, caller, &app, &call, granted).await?;
                }
                _ => {}
            }
            let updated = repo::update_application(conn, id, &changes).await?;
            if attach {
                justification::freeze(
                    conn,
                    caller,
                    updated.clone(),
                    call.funder_id,
                    store,
                    frozen_account,
                )
                .await?;
            }
            let (actor_kind, actor_id) = match caller.principal {
                Principal::User(id) => ("user", id),
                Principal::Client(id) => ("api_client", id),
            };
            repo::insert_transition(
                conn,
                &TransitionRow {
                    id: Uuid::now_v7(),
                    application_id: id,
                    from_status: from,
                    to_status: to,
                    comment,
                    granted_cents: if to.grants() {
                        updated.granted_cents
                    } else {
                        None
                    },
                    actor_id,
                    actor_kind: actor_kind.into(),
                    actor_role: caller.role.to_string(),
                    request_id: caller.request_id_text(),
                    created_at: now,
                },
            )
            .await?;
            let moved = events::kinds::application_moved(&updated, call.funder_id, from, to);
            events::record_all(conn, moved).await?;
            let before = ApplicationSummary::from(app);
            let after = ApplicationSummary::from(updated.clone());
            audit::updated(conn, caller, "application", id.into(), &before, &after).await?;
            view(conn, updated).await
        })
        .await;
    if result.is_err() && attach {
        store.discard(frozen_account).await;
    }
    result
}
