//! Webhook endpoints: where events are sent. The cluster's admins keep the cluster's
//! endpoints (every event); a partner's API client keeps its own (the events its funder may
//! read); auditors read every endpoint; nobody else has any. The secret is shown once, on
//! creation and on each rotation.

use actix_web::{
    HttpRequest, HttpResponse, delete, get,
    http::header::{CACHE_CONTROL, HeaderValue},
    patch, post, web,
};
use chrono::{DateTime, TimeDelta, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    guard,
    model::{EndpointChanges, EndpointRow},
    repo::{self, Owners},
    signature,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Principal, Resource, Role},
    domain::{ApiClientId, FunderId, UserId, WebhookEndpointId, text},
    error::{ApiError, FieldErrors},
    events,
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
        patch::nullable,
    },
};

/// The audit log's name for endpoints.
const RESOURCE: &str = "webhook_endpoint";
/// How long a rotated-out secret keeps signing.
pub const ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);

/// An endpoint (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookEndpoint {
    /// Id.
    pub id: WebhookEndpointId,
    /// Where events are POSTed.
    #[schema(example = "https://partner.example.org/agrupa/webhooks")]
    pub url: String,
    /// The event types sent (empty: every type the owner may receive). `ping` is always sent.
    pub event_types: Vec<String>,
    /// What it is for.
    pub description: Option<String>,
    /// Whether events are sent. An endpoint that answers `410 Gone`, or fails every
    /// delivery for 5 days, is disabled by the service (see `disabled_reason`); enabling it
    /// again resumes its pending deliveries.
    pub enabled: bool,
    /// Why the service disabled it.
    pub disabled_reason: Option<String>,
    /// Failing since (every delivery since then failed; cleared by a success).
    pub failing_since: Option<DateTime<Utc>>,
    /// `cluster` (an admin's) or `api_client` (a partner's).
    #[schema(example = "cluster")]
    pub owner: String,
    /// The funder whose events a partner's endpoint receives.
    pub funder_id: Option<FunderId>,
    /// While a rotated-out secret still signs (24 hours after a rotation): until when.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<EndpointRow> for WebhookEndpoint {
    fn from(r: EndpointRow) -> Self {
        Self {
            id: r.id,
            url: r.url,
            event_types: r.event_types,
            description: r.description,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            failing_since: r.failing_since,
            owner: if r.owner_client_id.is_some() {
                "api_client".into()
            } else {
                "cluster".into()
            },
            funder_id: r.funder_id,
            previous_secret_expires_at: r
                .previous_secret_expires_at
                .filter(|until| *until > Utc::now()),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for EndpointRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "url",
            "event_types",
            "description",
            "enabled",
            "disabled_reason",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.url.clone(),
            self.event_types.join(" "),
            self.description.clone().unwrap_or_default(),
            self.enabled.to_string(),
            self.disabled_reason.clone().unwrap_or_default(),
        ]
    }
}

/// An endpoint with its signing secret: shown only on creation and rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointWithSecret {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// The signing secret (`whsec_` + base64 of 32 bytes), for Standard Webhooks libraries.
    /// Shown only now: keep it.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// Event types as the OpenAPI document describes them: the known types, at most 20.
fn event_types_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, Type};
    let array = ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(crate::events::TYPES.iter().copied())),
        )
        .max_items(Some(20))
        .build();
    crate::openapi::or_null(array)
}

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookEndpoint {
    /// Where to POST events: `https` (in development also `http://127.0.0.1`), never a
    /// private, loopback, link-local or metadata address.
    #[schema(min_length = 8, max_length = 2000)]
    pub url: String,
    /// The event types wanted (absent or empty: every type).
    #[schema(schema_with = event_types_schema)]
    pub event_types: Option<Vec<String>>,
    /// What it is for.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Default `true`.
    pub enabled: Option<bool>,
}

/// Changes to an endpoint.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointPatch {
    /// Where to POST events.
    #[schema(min_length = 8, max_length = 2000)]
    pub url: Option<String>,
    /// The event types wanted (empty: every type).
    #[schema(schema_with = event_types_schema)]
    pub event_types: Option<Vec<String>>,
    /// What it is for.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 500)]
    pub description: Option<Option<String>>,
    /// `true` enables it again (clearing `disabled_reason`); `false` pauses it.
    pub enabled: Option<bool>,
}

/// Whose endpoints the caller keeps (writes) or reads: 403 for anyone else.
pub fn owners(caller: &Caller, write: bool) -> Result<Owners, ApiError> {
    let action = if write {
        Action::write(Resource::Webhooks)
    } else {
        Action::read(Resource::Webhooks)
    };
    caller.require(action)?;
    match (caller.role, &caller.principal) {
        (Role::Admin, Principal::User(_)) => Ok(Owners::Cluster),
        (Role::Auditor, _) if !write => Ok(Owners::All),
        (Role::Partner, Principal::Client(id)) => Ok(Owners::Client(ApiClientId::from(*id))),
        _ => Err(ApiError::forbidden(
            "Webhook endpoints belong to the cluster's admins or to partners' API clients.",
        )),
    }
}

fn check_types(errors: &mut FieldErrors, types: Option<&[String]>) -> Option<Vec<String>> {
    let types = types?;
    let mut out: Vec<String> = Vec::with_capacity(types.len());
    if types.len() > 20 {
        errors.add("event_types", "too_many", "at most 20 event types");
    }
    for t in types {
        if !events::TYPES.contains(&t.as_str()) {
            errors.add(
                "event_types",
                "unknown",
                format!("`{t}` is not an event type ({})", events::TYPES.join(", ")),
            );
        } else if !out.contains(t) {
            out.push(t.clone());
        }
    }
    Some(out)
}

fn check_url(errors: &mut FieldErrors, url: Option<&str>, allow_loopback: bool) -> Option<String> {
    let url = url?.trim();
    if url.chars().count() > 2000 {
        errors.add("url", "too_long", "at most 2000 characters");
    } else if let Some(why) = guard::check_url(url, allow_loopback) {
        errors.add("url", "forbidden_url", why);
    }
    Some(url.to_owned())
}

/// Creates an endpoint (admins for the cluster, partners' API clients for themselves): 403,
/// 422 (URL, event types). Returns it with its secret.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewWebhookEndpoint,
    allow_loopback: bool,
) -> Result<(EndpointRow, String), ApiError> {
    let owners = owners(caller, true)?;
    let mut errors = FieldErrors::default();
    let url = check_url(&mut errors, Some(&input.url), allow_loopback);
    let types = check_types(&mut errors, input.event_types.as_deref()).unwrap_or_default();
    let description = errors.check(
        "description",
        text::optional(input.description.as_deref(), 500),
    );
    let (url, description) = errors.finish_with(url.zip(description))?;
    let now = Utc::now();
    let secret = signature::new_secret();
    let row = EndpointRow {
        id: WebhookEndpointId::new(),
        owner_user_id: caller.user_id().map(UserId::from),
        owner_client_id: match owners {
            Owners::Client(id) => Some(id),
            _ => None,
        },
        funder_id: match owners {
            Owners::Client(_) => caller.funder_id.map(FunderId::from),
            _ => None,
        },
        url,
        event_types: types,
        description,
        enabled: input.enabled.unwrap_or(true),
        disabled_reason: None,
        secret: secret.clone(),
        previous_secret: None,
        previous_secret_expires_at: None,
        failing_since: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    conn.transaction(async |conn| {
        let row = repo::insert_endpoint(conn, &row).await?;
        let after = WebhookEndpoint::from(row.clone());
        audit::created(conn, caller, RESOURCE, row.id.uuid(), &after).await?;
        Ok((row, secret))
    })
    .await
}

/// Changes an endpoint: 403, 404 (not the caller's), 412, 422. Enabling it clears the reason
/// it was disabled and its failing streak.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: WebhookEndpointId,
    precondition: Precondition,
    patch: WebhookEndpointPatch,
    allow_loopback: bool,
) -> Result<EndpointRow, ApiError> {
    let owners = owners(caller, true)?;
    let mut errors = FieldErrors::default();
    let url = check_url(&mut errors, patch.url.as_deref(), allow_loopback);
    let event_types = check_types(&mut errors, patch.event_types.as_deref());
    let description = match &patch.description {
        None => None,
        Some(d) => errors.check("description", text::optional(d.as_deref(), 500)),
    };
    errors.finish()?;
    conn.transaction(async |conn| {
        let current = repo::find_endpoint(conn, owners, id, true).await?;
        precondition.check(current.version, IfMatch::Optional)?;
        let enabling = patch.enabled == Some(true) && !current.enabled;
        let changes = EndpointChanges {
            url,
            event_types,
            description,
            enabled: patch.enabled,
            disabled_reason: enabling.then_some(None),
            failing_since: enabling.then_some(None),
        };
        let updated = repo::update_endpoint(conn, id, &changes).await?;
        let (b, a) = (
            WebhookEndpoint::from(current),
            WebhookEndpoint::from(updated.clone()),
        );
        audit::updated(conn, caller, RESOURCE, id.uuid(), &b, &a).await?;
        Ok(updated)
    })
    .await
}

/// Deletes an endpoint and its delivery log: 403, 404, 412.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: WebhookEndpointId,
    precondition: Precondition,
) -> Result<(), ApiError> {
    let owners = owners(caller, true)?;
    conn.transaction(async |conn| {
        let current = repo::find_endpoint(conn, owners, id, true).await?;
        precondition.check(current.version, IfMatch::Optional)?;
        repo::delete_endpoint(conn, id).await?;
        audit::deleted(
            conn,
            caller,
            RESOURCE,
            id.uuid(),
            &WebhookEndpoint::from(current),
        )
        .await
    })
    .await
}

/// Rotates the secret: the new one signs from now on, the previous one too for 24 hours
/// (receivers switch without losing a message). 403, 404, 412.
pub async fn rotate(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: WebhookEndpointId,
    precondition: Precondition,
) -> Result<(EndpointRow, String), ApiError> {
    let owners = owners(caller, true)?;
    let secret = signature::new_secret();
    conn.transaction(async |conn| {
        let current = repo::find_endpoint(conn, owners, id, true).await?;
        precondition.check(current.version, IfMatch::Optional)?;
        let until = Utc::now() + ROTATION_OVERLAP;
        let row = repo::rotate_secret(conn, id, &secret, &current.secret, until).await?;
        let change = audit::Change {
            action: "secret_rotated",
            resource_type: RESOURCE,
            resource_id: id.uuid(),
            before: None,
            after: Some(&WebhookEndpoint::from(row.clone())),
        };
        audit::record(conn, caller, change).await?;
        Ok((row, secret))
    })
    .await
}

fn location(id: WebhookEndpointId) -> String {
    format!("/api/v1/webhook-endpoints/{id}")
}

fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The caller's webhook endpoints, oldest first.
///
/// Admins: the cluster's; a partner's API client: its own; auditors: every endpoint.
#[utoipa::path(tag = "webhooks", params(PageQuery), responses(
    (status = 200, description = "A page of endpoints (or CSV).",
        content((Page<WebhookEndpoint> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/webhook-endpoints")]
pub async fn list_webhook_endpoints(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let owners = owners(&caller, false)?;
    let list = List {
        resource: "webhook_endpoints",
        sort: "created_at",
        filename: "webhook-endpoints.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::list_endpoints(conn, owners, after, n).await?),
        |r: &EndpointRow| (r.created_at, r.id),
        WebhookEndpoint::from,
    )
    .await
}

/// Creates a webhook endpoint; its signing secret is shown only now.
///
/// Admins create the cluster's endpoints (every event); a partner's API client its own (the
/// events about what its funder may read). Send a `ping` to test it.
#[utoipa::path(tag = "webhooks", request_body = NewWebhookEndpoint, responses(
    (status = 201, description = "Created; `secret` is shown only now.", body = WebhookEndpointWithSecret,
        headers(("Location" = String, description = "URL of the new endpoint"))),
    (status = 422, description = "`validation_failed`: `forbidden_url` (not https, or a private address), an unknown event type.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/webhook-endpoints")]
pub async fn create_webhook_endpoint(
    caller: Caller,
    body: Json<NewWebhookEndpoint>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let allow = state.config.webhooks_allow_loopback;
    let (row, secret) = create(&mut conn, &caller, body.into_inner(), allow).await?;
    Ok(no_store(etag::created(
        location(row.id),
        row.version,
        &WebhookEndpointWithSecret {
            endpoint: row.into(),
            secret,
        },
    )))
}

/// One webhook endpoint (never its secret).
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path, description = "Endpoint id")), responses(
    (status = 200, description = "The endpoint, with its `ETag`.", body = WebhookEndpoint),
    (status = 304, description = "Not modified (`If-None-Match` matched).")))]
#[get("/api/v1/webhook-endpoints/{id}")]
pub async fn get_webhook_endpoint(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<WebhookEndpointId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let owners = owners(&caller, false)?;
    let mut conn = state.conn().await?;
    let row = repo::find_endpoint(&mut conn, owners, id.into_inner(), false).await?;
    Ok(etag::respond(
        &req,
        row.version,
        &WebhookEndpoint::from(row),
    ))
}

/// Changes a webhook endpoint (`If-Match` honoured).
///
/// `enabled: true` resumes a disabled one, clearing why it was disabled.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path, description = "Endpoint id"),
    ("If-Match" = Option<String>, Header, description = "Optional: ETag from a GET")),
    request_body = WebhookEndpointPatch, responses(
    (status = 200, description = "Changed.", body = WebhookEndpoint)))]
#[patch("/api/v1/webhook-endpoints/{id}")]
pub async fn update_webhook_endpoint(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<WebhookEndpointId>,
    body: Json<WebhookEndpointPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let allow = state.config.webhooks_allow_loopback;
    let row = update(
        &mut conn,
        &caller,
        id.into_inner(),
        precondition,
        body.into_inner(),
        allow,
    )
    .await?;
    Ok(etag::updated(row.version, &WebhookEndpoint::from(row)))
}

/// Deletes a webhook endpoint and its delivery log (`If-Match` honoured).
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path, description = "Endpoint id"),
    ("If-Match" = Option<String>, Header, description = "Optional: ETag from a GET")), responses(
    (status = 204, description = "Deleted.")))]
#[delete("/api/v1/webhook-endpoints/{id}")]
pub async fn delete_webhook_endpoint(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<WebhookEndpointId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    remove(&mut conn, &caller, id.into_inner(), precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotates an endpoint's signing secret; the new one is shown only now.
///
/// The previous secret keeps signing for 24 hours: each message then carries both
/// signatures, space-separated in `webhook-signature`, so receivers switch without losing
/// one.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path, description = "Endpoint id"),
    ("If-Match" = Option<String>, Header, description = "Optional: ETag from a GET")), responses(
    (status = 200, description = "Rotated; `secret` is shown only now.", body = WebhookEndpointWithSecret)))]
#[post("/api/v1/webhook-endpoints/{id}/secret-rotations")]
pub async fn rotate_webhook_secret(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<WebhookEndpointId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let (row, secret) = rotate(&mut conn, &caller, id.into_inner(), precondition).await?;
    Ok(no_store(etag::updated(
        row.version,
        &WebhookEndpointWithSecret {
            endpoint: row.into(),
            secret,
        },
    )))
}
