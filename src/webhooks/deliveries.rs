//! An endpoint's delivery log (kept 30 days), redelivery, and the `ping` that tests an
//! endpoint.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, SecondsFormat, Utc};
use diesel::OptionalExtension;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{
    endpoints::owners,
    model::{AttemptRow, DeliveryRow},
    repo,
};
use crate::{
    AppState,
    auth::Caller,
    domain::{EventId, WebhookDeliveryId, WebhookEndpointId},
    error::{ApiError, not_found},
    http::{
        csv::CsvRow,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
};

/// One attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    /// When it was made.
    pub attempted_at: DateTime<Utc>,
    /// The receiver's status code (`null`: no answer: see `error`).
    pub response_status: Option<i32>,
    /// How long it took, in milliseconds.
    pub duration_ms: i32,
    /// The first KiB of the receiver's answer.
    pub response_body: Option<String>,
    /// What went wrong without an answer (timeout, refused connection, forbidden address).
    pub error: Option<String>,
}

impl From<AttemptRow> for DeliveryAttempt {
    fn from(a: AttemptRow) -> Self {
        Self {
            attempted_at: a.attempted_at,
            response_status: a.response_status,
            duration_ms: a.duration_ms,
            response_body: a.response_body,
            error: a.error,
        }
    }
}

/// One message to an endpoint, with its attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    /// Id.
    pub id: WebhookDeliveryId,
    /// The message's `webhook-id` (the same on every attempt).
    pub msg_id: String,
    /// The event (`null` for a ping).
    pub event_id: Option<EventId>,
    /// The event type.
    #[schema(example = "application.submitted")]
    pub event_type: String,
    /// `pending` (queued or being retried), `succeeded` (a 2xx), `failed` (retries
    /// exhausted, or the endpoint answered 410).
    #[schema(example = "succeeded")]
    pub status: String,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The body sent.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Every attempt, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

/// A delivery and its attempts, as loaded for a page.
#[derive(Debug)]
pub struct DeliveryLog {
    row: DeliveryRow,
    attempts: Vec<AttemptRow>,
}

impl From<DeliveryLog> for Delivery {
    fn from(d: DeliveryLog) -> Self {
        let r = d.row;
        Self {
            id: r.id,
            msg_id: r.msg_id,
            event_id: r.event_id,
            event_type: r.event_type,
            status: r.status,
            next_attempt_at: r.next_attempt_at,
            payload: r.payload,
            attempts: d.attempts.into_iter().map(DeliveryAttempt::from).collect(),
            created_at: r.created_at,
        }
    }
}

impl CsvRow for DeliveryLog {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "msg_id",
            "event_type",
            "status",
            "attempts",
            "last_status",
            "created_at",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let last = self.attempts.last().and_then(|a| a.response_status);
        vec![
            self.row.id.to_string(),
            self.row.msg_id.clone(),
            self.row.event_type.clone(),
            self.row.status.clone(),
            self.attempts.len().to_string(),
            last.map(|s| s.to_string()).unwrap_or_default(),
            self.row.created_at.to_rfc3339(),
        ]
    }
}

/// Loads a page of deliveries with their attempts.
async fn page(
    conn: &mut AsyncPgConnection,
    endpoint_id: WebhookEndpointId,
    after: Option<(DateTime<Utc>, WebhookDeliveryId)>,
    limit: i64,
) -> Result<Vec<DeliveryLog>, ApiError> {
    let rows = repo::list_deliveries(conn, endpoint_id, after, limit).await?;
    let ids: Vec<WebhookDeliveryId> = rows.iter().map(|r| r.id).collect();
    let mut attempts = repo::attempts_of(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (mine, rest): (Vec<_>, Vec<_>) =
                attempts.drain(..).partition(|a| a.delivery_id == row.id);
            attempts = rest;
            DeliveryLog {
                row,
                attempts: mine,
            }
        })
        .collect())
}

/// Queues a `ping` to an endpoint of the caller's: 403, 404.
pub async fn ping(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    endpoint_id: WebhookEndpointId,
) -> Result<DeliveryLog, ApiError> {
    let owners = owners(caller, true)?;
    conn.transaction(async |conn| {
        repo::find_endpoint(conn, owners, endpoint_id, false).await?;
        let now = Utc::now();
        let id = WebhookDeliveryId::new();
        let row = DeliveryRow {
            id,
            endpoint_id,
            event_id: None,
            event_seq: 0,
            msg_id: format!("msg_{}", id.uuid().simple()),
            event_type: "ping".into(),
            object_id: None,
            payload: json!({
                "type": "ping",
                "timestamp": now.to_rfc3339_opts(SecondsFormat::Millis, true),
                "data": {"id": endpoint_id, "url": format!("/api/v1/webhook-endpoints/{endpoint_id}")},
            }),
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: Some(now),
            last_attempt_at: None,
            created_at: now,
        };
        let row = repo::insert_delivery(conn, &row).await?;
        Ok(DeliveryLog {
            row,
            attempts: Vec::new(),
        })
    })
    .await
}

/// Queues a delivery again, due now (same `webhook-id`): 403, 404.
pub async fn redeliver(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    endpoint_id: WebhookEndpointId,
    delivery_id: WebhookDeliveryId,
) -> Result<DeliveryLog, ApiError> {
    let owners = owners(caller, true)?;
    conn.transaction(async |conn| {
        repo::find_endpoint(conn, owners, endpoint_id, false).await?;
        let row = repo::redeliver(conn, endpoint_id, delivery_id)
            .await
            .optional()?
            .ok_or_else(not_found)?;
        let attempts = repo::attempts_of(conn, &[row.id]).await?;
        Ok(DeliveryLog { row, attempts })
    })
    .await
}

/// An endpoint's deliveries, newest first, each with its attempts.
///
/// Each attempt has its time, the receiver's status code, its duration and the first KiB
/// of its answer. Deliveries are kept 30 days.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path, description = "Endpoint id"), PageQuery),
    responses(
    (status = 200, description = "A page of deliveries (or CSV).",
        content((Page<Delivery> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/webhook-endpoints/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<WebhookEndpointId>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let owners = owners(&caller, false)?;
    let endpoint_id = id.into_inner();
    repo::find_endpoint(&mut *state.conn().await?, owners, endpoint_id, false).await?;
    let list = List {
        resource: "webhook_deliveries",
        sort: "-created_at",
        filename: "webhook-deliveries.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| page(conn, endpoint_id, after, n).await,
        |d: &DeliveryLog| (d.row.created_at, d.row.id),
        Delivery::from,
    )
    .await
}

/// Delivers a message again.
///
/// A new attempt, due now, with the same `webhook-id` (receivers that dedupe on it see it
/// once).
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path, description = "Endpoint id"),
    ("delivery_id" = Uuid, Path, description = "Delivery id")), responses(
    (status = 202, description = "Queued.", body = Delivery)))]
#[post("/api/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/attempts")]
pub async fn redeliver_webhook(
    caller: Caller,
    path: web::Path<(WebhookEndpointId, WebhookDeliveryId)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (endpoint_id, delivery_id) = path.into_inner();
    let mut conn = state.conn().await?;
    let log = redeliver(&mut conn, &caller, endpoint_id, delivery_id).await?;
    Ok(HttpResponse::Accepted().json(Delivery::from(log)))
}

/// Sends a `ping` event to an endpoint, to test it.
///
/// The answer is in the endpoint's delivery log.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path, description = "Endpoint id")), responses(
    (status = 202, description = "Queued.", body = Delivery)))]
#[post("/api/v1/webhook-endpoints/{id}/pings")]
pub async fn ping_webhook_endpoint(
    caller: Caller,
    id: web::Path<WebhookEndpointId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let log = ping(&mut conn, &caller, id.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(Delivery::from(log)))
}
