//! Rows of the webhook tables and the pure rules of delivery: the retry schedule, what an
//! answer means.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    domain::{
        ApiClientId, EventId, FunderId, UserId, WebhookAttemptId, WebhookDeliveryId,
        WebhookEndpointId,
    },
    schema::{webhook_attempts, webhook_deliveries, webhook_endpoints},
};

/// A stored endpoint.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_endpoints)]
#[diesel(check_for_backend(diesel::pg::Pg))]
#[expect(missing_docs, reason = "columns: see the migration `events_webhooks`")]
pub struct EndpointRow {
    pub id: WebhookEndpointId,
    pub owner_user_id: Option<UserId>,
    pub owner_client_id: Option<ApiClientId>,
    pub funder_id: Option<FunderId>,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EndpointRow {
    /// The secrets that sign a message at `now`: the current one, and the previous one
    /// until it expires.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(old), Some(until)) = (&self.previous_secret, self.previous_secret_expires_at)
            && until > now
        {
            secrets.push(old.as_str());
        }
        secrets
    }
}

/// Changes to an endpoint.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = webhook_endpoints)]
#[expect(missing_docs, reason = "columns: see the migration `events_webhooks`")]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
    pub disabled_reason: Option<Option<String>>,
    pub failing_since: Option<Option<DateTime<Utc>>>,
}

/// A stored delivery (one message to one endpoint).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, QueryableByName)]
#[diesel(table_name = webhook_deliveries)]
#[diesel(check_for_backend(diesel::pg::Pg))]
#[expect(missing_docs, reason = "columns: see the migration `events_webhooks`")]
pub struct DeliveryRow {
    pub id: WebhookDeliveryId,
    pub endpoint_id: WebhookEndpointId,
    pub event_id: Option<EventId>,
    pub event_seq: i64,
    pub msg_id: String,
    pub event_type: String,
    pub object_id: Option<Uuid>,
    pub payload: Value,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_attempts)]
#[diesel(check_for_backend(diesel::pg::Pg))]
#[expect(missing_docs, reason = "columns: see the migration `events_webhooks`")]
pub struct AttemptRow {
    pub id: WebhookAttemptId,
    pub delivery_id: WebhookDeliveryId,
    pub attempted_at: DateTime<Utc>,
    pub response_status: Option<i32>,
    pub duration_ms: i32,
    pub response_body: Option<String>,
    pub error: Option<String>,
}

/// The waits after each failed attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 27
/// hours in all); after the eighth attempt the delivery has failed.
pub const RETRY_SCHEDULE: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// Longest `Retry-After` honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// An endpoint failing this long is disabled.
pub const FAILING_LIMIT: chrono::TimeDelta = chrono::TimeDelta::days(5);

/// What to do after a failed attempt (the `attempts`-th): retry after a wait, or give up.
/// `jitter` in [0, 1) spreads the retries by ±10 %; a receiver's `Retry-After` (clamped to
/// 1 s – 24 h) replaces the schedule's wait.
pub fn retry_after_failure(
    attempts: i32,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Option<Duration> {
    let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
    let scheduled = *RETRY_SCHEDULE.get(index)?;
    Some(match retry_after {
        Some(asked) => asked.clamp(Duration::from_secs(1), MAX_RETRY_AFTER),
        None => scheduled.mul_f64(0.9 + 0.2 * jitter.clamp(0.0, 1.0)),
    })
}

/// How an answer ends an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Delivered,
    /// 410 Gone: the receiver asks never to be called again; the endpoint is disabled.
    Gone,
    /// Anything else (other statuses, timeouts, refused connections, redirects).
    Failed,
}

impl Outcome {
    /// The outcome of an answer's status (`None`: no answer).
    pub fn of(status: Option<u16>) -> Self {
        match status {
            Some(s) if (200..300).contains(&s) => Outcome::Delivered,
            Some(410) => Outcome::Gone,
            _ => Outcome::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_waits_5s_5min_30min_2h_5h_10h_10h_then_gives_up() {
        let waits: Vec<u64> = (1..=7)
            .map(|n| retry_after_failure(n, None, 0.5).unwrap().as_secs())
            .collect();
        assert_eq!(waits, [5, 300, 1800, 7200, 18000, 36000, 36000]);
        assert_eq!(retry_after_failure(8, None, 0.5), None);
        let total: u64 = waits.iter().sum();
        assert!((26 * 3600..28 * 3600).contains(&total), "about 27 hours");
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let low = retry_after_failure(2, None, 0.0).unwrap().as_secs_f64();
        let high = retry_after_failure(2, None, 0.999).unwrap().as_secs_f64();
        assert!((270.0..=270.1).contains(&low) && (329.0..=330.0).contains(&high));
    }

    #[test]
    fn retry_after_replaces_the_wait_within_bounds() {
        let asked = |s| retry_after_failure(1, Some(Duration::from_secs(s)), 0.5);
        assert_eq!(asked(120), Some(Duration::from_secs(120)));
        assert_eq!(asked(0), Some(Duration::from_secs(1)));
        assert_eq!(asked(10 * 86_400), Some(MAX_RETRY_AFTER));
        assert_eq!(
            retry_after_failure(8, Some(Duration::from_secs(1)), 0.5),
            None
        );
    }

    #[test]
    fn only_2xx_delivers_and_410_is_gone() {
        assert_eq!(Outcome::of(Some(200)), Outcome::Delivered);
        assert_eq!(Outcome::of(Some(204)), Outcome::Delivered);
        assert_eq!(Outcome::of(Some(301)), Outcome::Failed);
        assert_eq!(Outcome::of(Some(410)), Outcome::Gone);
        assert_eq!(Outcome::of(Some(500)), Outcome::Failed);
        assert_eq!(Outcome::of(None), Outcome::Failed);
    }
}
