//! The delivery worker, one per replica. It claims due deliveries in batches (`FOR UPDATE
//! SKIP LOCKED`, so replicas never take the same one), leases them, POSTs each signed
//! message with a 15 s timeout and no redirects, and records the attempt: a 2xx delivers,
//! `410 Gone` disables the endpoint, anything else is retried on the schedule (or after the
//! receiver's `Retry-After`) until the eighth attempt; an endpoint failing for 5 days is
//! disabled. It also writes the events of the passing of time (`call.opened`), deletes
//! deliveries older than 30 days and forgets rotated-out secrets.
//!
//! Delivery is at least once: a replica that dies mid-attempt leaves its lease to expire,
//! and another replica attempts again with the same `webhook-id`.

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{TimeDelta, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::StreamExt;
use tokio::sync::watch;
use uuid::Uuid;

use super::{
    guard::{self, GuardedResolver},
    model::{AttemptRow, DeliveryRow, EndpointRow, FAILING_LIMIT, Outcome, retry_after_failure},
    repo, signature,
};
use crate::{
    db::DbPool,
    domain::{WebhookAttemptId, WebhookEndpointId},
    error::ApiError,
    events,
};

/// How long one attempt may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// How long a claimed delivery stays with its worker before another may take it.
const LEASE_SECS: i32 = 60;
/// Deliveries claimed at once.
const BATCH: i64 = 32;
/// Attempts of a batch in flight at once.
pub const PARALLEL: usize = 8;
/// How long deliveries are kept.
const RETENTION: TimeDelta = TimeDelta::days(30);
/// Bytes of a receiver's answer kept.
const KEEP_BYTES: usize = 1024;

/// The worker's settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// How often to look for due deliveries when the last batch was not full.
    pub poll: Duration,
    /// Allow `http` and loopback receivers (development, tests).
    pub allow_loopback: bool,
}

/// A running worker; [`Worker::stop`] ends it after the attempts in flight.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Starts the worker on the current runtime.
    pub fn start(pool: DbPool, settings: Settings) -> anyhow::Result<Self> {
        let client = client(settings.allow_loopback)?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(pool, client, settings, stopped));
        Ok(Self { stop, task })
    }

    /// Asks the worker to stop and waits (at most `wait`) for the attempts in flight.
    pub async fn stop(self, wait: Duration) {
        let _ = self.stop.send(true);
        let abort = self.task.abort_handle();
        if tokio::time::timeout(wait, self.task).await.is_err() {
            abort.abort();
        }
    }
}

/// The HTTP client of deliveries: rustls, no proxies, no redirects, the SSRF guard's
/// resolver, a 15 s timeout for the whole exchange.
pub fn client(allow_loopback: bool) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .use_rustls_tls()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .dns_resolver(Arc::new(GuardedResolver { allow_loopback }))
        .user_agent(concat!("agrupa-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

async fn run(
    pool: DbPool,
    client: reqwest::Client,
    settings: Settings,
    mut stopped: watch::Receiver<bool>,
) {
    let scan_every = settings.poll * 30;
    let mut last_scan: Option<tokio::time::Instant> = None;
    let mut last_sweep: Option<tokio::time::Instant> = None;
    let mut failures: u32 = 0;
    loop {
        if *stopped.borrow() {
            break;
        }
        if last_scan.is_none_or(|t| t.elapsed() >= scan_every) {
            last_scan = Some(tokio::time::Instant::now());
            if let Err(e) = scan(&pool).await {
                tracing::warn!(error = %e, "the events scan failed");
            }
        }
        if last_sweep.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
            last_sweep = Some(tokio::time::Instant::now());
            if let Err(e) = sweep(&pool).await {
                tracing::warn!(error = %e, "the webhooks sweep failed");
            }
        }
        let (claimed, wait) = match deliver_batch(&pool, &client, settings).await {
            Ok(n) => {
                failures = 0;
                (n, settings.poll)
            }
            Err(e) => {
                // The database is down or going away: back off (up to a minute) rather than
                // open a connection every poll against it.
                failures = failures.saturating_add(1);
                tracing::warn!(error = %e, failures, "claiming webhook deliveries failed");
                let backoff = settings.poll.saturating_mul(1 << failures.min(16));
                (
                    0,
                    backoff.clamp(Duration::from_secs(2), Duration::from_secs(60)),
                )
            }
        };
        if claimed < usize::try_from(BATCH).unwrap_or(usize::MAX) {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stopped.changed() => {}
            }
        }
    }
}

async fn scan(pool: &DbPool) -> Result<(), ApiError> {
    let mut conn = crate::db::conn(pool).await?;
    let written = events::scan::calls_opened(&mut conn).await?;
    if written > 0 {
        tracing::info!(written, "call.opened events written");
    }
    let written = events::scan::justifications_due_soon(&mut conn).await?;
    if written > 0 {
        tracing::info!(written, "justification.due_soon events written");
    }
    Ok(())
}

async fn sweep(pool: &DbPool) -> Result<(), ApiError> {
    let mut conn = crate::db::conn(pool).await?;
    let now = Utc::now();
    let deleted = repo::sweep(&mut conn, now - RETENTION).await?;
    let expired = repo::expire_rotations(&mut conn, now).await?;
    tracing::debug!(deleted, expired, "webhooks sweep done");
    Ok(())
}

/// What one attempt got.
struct Answer {
    status: Option<u16>,
    retry_after: Option<Duration>,
    body: Option<String>,
    error: Option<String>,
    duration: Duration,
}

/// Claims a batch, attempts it concurrently, records the results; how many were claimed.
async fn deliver_batch(
    pool: &DbPool,
    client: &reqwest::Client,
    settings: Settings,
) -> Result<usize, ApiError> {
    let (claimed, endpoints) = {
        let mut conn = crate::db::conn(pool).await?;
        let claimed = repo::claim(&mut conn, BATCH, LEASE_SECS).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let mut ids: Vec<WebhookEndpointId> = claimed.iter().map(|d| d.endpoint_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let endpoints: HashMap<WebhookEndpointId, EndpointRow> = repo::endpoints(&mut conn, &ids)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        (claimed, endpoints)
    };
    let n = claimed.len();
    // Each attempt records its result on a connection of its own as soon as it is answered,
    // at most PARALLEL at a time.
    let attempts = claimed.into_iter().filter_map(|d| {
        let endpoint = endpoints.get(&d.endpoint_id)?.clone();
        Some(async move {
            let answer = attempt(client, &endpoint, &d, settings.allow_loopback).await;
            let recorded = match crate::db::conn(pool).await {
                Ok(mut conn) => record(&mut conn, &d, &endpoint, answer).await,
                Err(e) => Err(e),
            };
            if let Err(e) = recorded {
                tracing::warn!(delivery = %d.id, error = %e, "recording a webhook attempt failed");
            }
        })
    });
    futures_util::stream::iter(attempts)
        .buffer_unordered(PARALLEL)
        .collect::<()>()
        .await;
    Ok(n)
}

/// The reason chain of an error, for the delivery log.
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let raw = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    (at.with_timezone(&Utc) - Utc::now()).to_std().ok()
}

/// One signed POST of a delivery.
async fn attempt(
    client: &reqwest::Client,
    endpoint: &EndpointRow,
    delivery: &DeliveryRow,
    allow_loopback: bool,
) -> Answer {
    let started = std::time::Instant::now();
    let failed = |error: String| Answer {
        status: None,
        retry_after: None,
        body: None,
        error: Some(error),
        duration: started.elapsed(),
    };
    if let Some(why) = guard::check_url(&endpoint.url, allow_loopback) {
        return failed(format!("the endpoint's URL {why}"));
    }
    let now = Utc::now();
    let timestamp = now.timestamp();
    let body = delivery.payload.to_string();
    let signatures = signature::header(
        &endpoint.signing_secrets(now),
        &delivery.msg_id,
        timestamp,
        &body,
    );
    let sent = client
        .post(&endpoint.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &delivery.msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signatures)
        .body(body)
        .send()
        .await;
    let mut response = match sent {
        Ok(r) => r,
        Err(e) => return failed(describe(&e)),
    };
    let status = response.status().as_u16();
    let wait = retry_after(response.headers());
    let mut kept: Vec<u8> = Vec::new();
    let mut error = None;
    while kept.len() < KEEP_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(e) => {
                error = Some(describe(&e));
                break;
            }
        }
    }
    kept.truncate(KEEP_BYTES);
    Answer {
        status: Some(status),
        retry_after: wait,
        body: Some(String::from_utf8_lossy(&kept).into_owned()),
        error,
        duration: started.elapsed(),
    }
}

/// A number in [0, 1) from the operating system's generator (a UUIDv4's random bits).
fn jitter() -> f64 {
    let bytes = Uuid::new_v4().into_bytes();
    f64::from(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])) / 4_294_967_296.0
}

/// Records an attempt and its consequences, in one transaction.
async fn record(
    conn: &mut AsyncPgConnection,
    delivery: &DeliveryRow,
    endpoint: &EndpointRow,
    answer: Answer,
) -> Result<(), ApiError> {
    let now = Utc::now();
    let row = AttemptRow {
        id: WebhookAttemptId::new(),
        delivery_id: delivery.id,
        attempted_at: now - TimeDelta::from_std(answer.duration).unwrap_or_default(),
        response_status: answer.status.map(i32::from),
        duration_ms: i32::try_from(answer.duration.as_millis()).unwrap_or(i32::MAX),
        response_body: answer.body,
        error: answer.error,
    };
    let outcome = Outcome::of(answer.status);
    conn.transaction(async |conn| {
        match outcome {
            Outcome::Delivered => {
                repo::finish_attempt(conn, &row, "succeeded", None).await?;
                repo::endpoint_succeeded(conn, endpoint.id).await?;
            }
            Outcome::Gone => {
                repo::finish_attempt(conn, &row, "failed", None).await?;
                let reason = format!(
                    "the endpoint answered 410 Gone at {}",
                    now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
                repo::disable(conn, endpoint.id, &reason).await?;
                tracing::info!(endpoint = %endpoint.id, "webhook endpoint disabled: 410 Gone");
            }
            Outcome::Failed => {
                let wait = retry_after_failure(delivery.attempts, answer.retry_after, jitter());
                match wait {
                    Some(w) => {
                        let next = now + TimeDelta::from_std(w).unwrap_or(TimeDelta::hours(10));
                        repo::finish_attempt(conn, &row, "pending", Some(next)).await?;
                    }
                    None => repo::finish_attempt(conn, &row, "failed", None).await?,
                }
                if repo::endpoint_failed(conn, endpoint.id, now, now - FAILING_LIMIT).await? {
                    tracing::info!(endpoint = %endpoint.id, "webhook endpoint disabled: failing for 5 days");
                }
            }
        }
        Ok::<_, ApiError>(())
    })
    .await
}
