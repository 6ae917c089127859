//! Queries on the webhook tables: endpoints, the fan-out of events into deliveries, the
//! workers' claims and their results.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::{AttemptRow, DeliveryRow, EndpointChanges, EndpointRow};
use crate::{
    domain::{ApiClientId, WebhookDeliveryId, WebhookEndpointId},
    events::EventRow,
    schema::{webhook_attempts, webhook_deliveries, webhook_endpoints},
};

/// Whose endpoints a caller sees.
#[derive(Debug, Clone, Copy)]
pub enum Owners {
    /// Every endpoint (auditors).
    All,
    /// The cluster's: those owned by admins.
    Cluster,
    /// One API client's.
    Client(ApiClientId),
}

impl Owners {
    /// Whether `row` is among these owners' endpoints.
    pub fn include(self, row: &EndpointRow) -> bool {
        match self {
            Owners::All => true,
            Owners::Cluster => row.owner_user_id.is_some(),
            Owners::Client(c) => row.owner_client_id == Some(c),
        }
    }
}

/// Creates a delivery for every enabled endpoint that wants `event` and may see it: the
/// cluster's endpoints every event; a partner client's those for every partner and those of
/// its funder. In the transaction that records the event.
pub async fn fan_out(conn: &mut AsyncPgConnection, event: &EventRow) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_seq, msg_id, \
         event_type, object_id, payload, status, attempts, next_attempt_at, created_at) \
         SELECT gen_random_uuid(), e.id, $1, $2, $3, $4, $5, $6, 'pending', 0, now(), now() \
         FROM webhook_endpoints e \
         WHERE e.enabled AND (cardinality(e.event_types) = 0 OR $4 = ANY (e.event_types)) \
           AND (e.owner_user_id IS NOT NULL OR $7 = 'all' \
                OR ($7 = 'funder' AND e.funder_id = $8))",
    )
    .bind::<SqlUuid, _>(event.id)
    .bind::<BigInt, _>(event.seq)
    .bind::<Text, _>(event.msg_id())
    .bind::<Text, _>(&event.type_)
    .bind::<SqlUuid, _>(event.object_id)
    .bind::<Jsonb, _>(event.body())
    .bind::<Text, _>(&event.audience)
    .bind::<Nullable<SqlUuid>, _>(event.funder_id)
    .execute(conn)
    .await
}

/// Inserts an endpoint.
pub async fn insert_endpoint(
    conn: &mut AsyncPgConnection,
    row: &EndpointRow,
) -> QueryResult<EndpointRow> {
    diesel::insert_into(webhook_endpoints::table)
        .values(row)
        .returning(EndpointRow::as_returning())
        .get_result(conn)
        .await
}

fn owned(owners: Owners) -> webhook_endpoints::BoxedQuery<'static, diesel::pg::Pg> {
    let q = webhook_endpoints::table.into_boxed();
    match owners {
        Owners::All => q,
        Owners::Cluster => q.filter(webhook_endpoints::owner_user_id.is_not_null()),
        Owners::Client(c) => q.filter(webhook_endpoints::owner_client_id.eq(c)),
    }
}

/// A page of endpoints, oldest first.
pub async fn list_endpoints(
    conn: &mut AsyncPgConnection,
    owners: Owners,
    after: Option<(DateTime<Utc>, WebhookEndpointId)>,
    limit: i64,
) -> QueryResult<Vec<EndpointRow>> {
    let mut q = owned(owners);
    if let Some((at, id)) = after {
        q = q.filter(
            webhook_endpoints::created_at
                .gt(at)
                .or(webhook_endpoints::created_at
                    .eq(at)
                    .and(webhook_endpoints::id.gt(id))),
        );
    }
    q.order((webhook_endpoints::created_at, webhook_endpoints::id))
        .limit(limit)
        .select(EndpointRow::as_select())
        .load(conn)
        .await
}

/// One endpoint among `owners`' (`NotFound` otherwise); with `lock`, locked after the
/// unlocked read that decides whether the caller sees it (a stranger takes no lock).
pub async fn find_endpoint(
    conn: &mut AsyncPgConnection,
    owners: Owners,
    id: WebhookEndpointId,
    lock: bool,
) -> QueryResult<EndpointRow> {
    let q = webhook_endpoints::table
        .find(id)
        .select(EndpointRow::as_select());
    let row = q.first(conn).await?;
    if !owners.include(&row) {
        return Err(diesel::result::Error::NotFound);
    }
    if lock {
        q.for_update().first(conn).await
    } else {
        Ok(row)
    }
}

/// Changes an endpoint (a new version).
pub async fn update_endpoint(
    conn: &mut AsyncPgConnection,
    id: WebhookEndpointId,
    changes: &EndpointChanges,
) -> QueryResult<EndpointRow> {
    diesel::update(webhook_endpoints::table.find(id))
        .set((
            changes,
            webhook_endpoints::version.eq(webhook_endpoints::version + 1),
        ))
        .returning(EndpointRow::as_returning())
        .get_result(conn)
        .await
}

/// Replaces the secret; the previous one keeps signing until `expires`.
pub async fn rotate_secret(
    conn: &mut AsyncPgConnection,
    id: WebhookEndpointId,
    secret: &str,
    previous: &str,
    expires: DateTime<Utc>,
) -> QueryResult<EndpointRow> {
    diesel::update(webhook_endpoints::table.find(id))
        .set((
            webhook_endpoints::secret.eq(secret),
            webhook_endpoints::previous_secret.eq(previous),
            webhook_endpoints::previous_secret_expires_at.eq(expires),
            webhook_endpoints::version.eq(webhook_endpoints::version + 1),
        ))
        .returning(EndpointRow::as_returning())
        .get_result(conn)
        .await
}

/// Deletes an endpoint and its deliveries.
pub async fn delete_endpoint(
    conn: &mut AsyncPgConnection,
    id: WebhookEndpointId,
) -> QueryResult<usize> {
    diesel::delete(webhook_endpoints::table.find(id))
        .execute(conn)
        .await
}

/// Inserts a delivery (a ping).
pub async fn insert_delivery(
    conn: &mut AsyncPgConnection,
    row: &DeliveryRow,
) -> QueryResult<DeliveryRow> {
    diesel::insert_into(webhook_deliveries::table)
        .values(row)
        .returning(DeliveryRow::as_returning())
        .get_result(conn)
        .await
}

/// A page of an endpoint's deliveries, newest first.
pub async fn list_deliveries(
    conn: &mut AsyncPgConnection,
    endpoint_id: WebhookEndpointId,
    after: Option<(DateTime<Utc>, WebhookDeliveryId)>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let mut q = webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            webhook_deliveries::created_at
                .lt(at)
                .or(webhook_deliveries::created_at
                    .eq(at)
                    .and(webhook_deliveries::id.lt(id))),
        );
    }
    q.order((
        webhook_deliveries::created_at.desc(),
        webhook_deliveries::id.desc(),
    ))
    .limit(limit)
    .select(DeliveryRow::as_select())
    .load(conn)
    .await
}

/// The attempts of `deliveries`, oldest first.
pub async fn attempts_of(
    conn: &mut AsyncPgConnection,
    deliveries: &[WebhookDeliveryId],
) -> QueryResult<Vec<AttemptRow>> {
    webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(deliveries))
        .order((webhook_attempts::attempted_at, webhook_attempts::id))
        .select(AttemptRow::as_select())
        .load(conn)
        .await
}

/// Puts a delivery of `endpoint_id` back in the queue, due now (a redelivery).
pub async fn redeliver(
    conn: &mut AsyncPgConnection,
    endpoint_id: WebhookEndpointId,
    id: WebhookDeliveryId,
) -> QueryResult<DeliveryRow> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(id))
            .filter(webhook_deliveries::endpoint_id.eq(endpoint_id)),
    )
    .set((
        webhook_deliveries::status.eq("pending"),
        webhook_deliveries::next_attempt_at.eq(diesel::dsl::now),
    ))
    .returning(DeliveryRow::as_returning())
    .get_result(conn)
    .await
}

/// Claims up to `limit` due deliveries of enabled endpoints for this worker: each is
/// locked (`FOR UPDATE SKIP LOCKED`, so concurrent workers take different ones), counted as
/// an attempt and leased for `lease_secs` (due again then, should this worker die), in one
/// statement. A delivery waits while an earlier one of the same object to the same endpoint
/// is pending, so each object's events arrive in order.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease_secs: i32,
) -> QueryResult<Vec<DeliveryRow>> {
    diesel::sql_query(
        "WITH due AS ( \
           SELECT d.id FROM webhook_deliveries d \
           JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled \
           WHERE d.status = 'pending' AND d.next_attempt_at <= now() \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
               WHERE p.endpoint_id = d.endpoint_id AND p.object_id = d.object_id \
                 AND p.status = 'pending' AND p.event_seq < d.event_seq) \
           ORDER BY d.next_attempt_at, d.event_seq \
           LIMIT $1 \
           FOR UPDATE OF d SKIP LOCKED) \
         UPDATE webhook_deliveries d \
         SET attempts = d.attempts + 1, last_attempt_at = now(), \
             next_attempt_at = now() + make_interval(secs => $2) \
         FROM due WHERE d.id = due.id \
         RETURNING d.*",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Integer, _>(lease_secs)
    .load(conn)
    .await
}

/// The endpoints of `ids`.
pub async fn endpoints(
    conn: &mut AsyncPgConnection,
    ids: &[WebhookEndpointId],
) -> QueryResult<Vec<EndpointRow>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::id.eq_any(ids))
        .select(EndpointRow::as_select())
        .load(conn)
        .await
}

/// Records an attempt and where it leaves the delivery: `succeeded`, `failed`, or
/// `pending` again at `next`.
pub async fn finish_attempt(
    conn: &mut AsyncPgConnection,
    attempt: &AttemptRow,
    status: &str,
    next: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    diesel::insert_into(webhook_attempts::table)
        .values(attempt)
        .execute(conn)
        .await?;
    diesel::update(webhook_deliveries::table.find(attempt.delivery_id))
        .set((
            webhook_deliveries::status.eq(status),
            webhook_deliveries::next_attempt_at.eq(next),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// An endpoint answered: it is not failing any more.
pub async fn endpoint_succeeded(
    conn: &mut AsyncPgConnection,
    id: WebhookEndpointId,
) -> QueryResult<()> {
    diesel::update(
        webhook_endpoints::table
            .find(id)
            .filter(webhook_endpoints::failing_since.is_not_null()),
    )
    .set(webhook_endpoints::failing_since.eq(None::<DateTime<Utc>>))
    .execute(conn)
    .await?;
    Ok(())
}

/// An endpoint failed at `now`: it is failing since its first failure in a row; failing
/// since before `disable_before`, it is disabled with the reason. Whether it was disabled.
pub async fn endpoint_failed(
    conn: &mut AsyncPgConnection,
    id: WebhookEndpointId,
    now: DateTime<Utc>,
    disable_before: DateTime<Utc>,
) -> QueryResult<bool> {
    let disabled: Option<bool> = diesel::sql_query(
        "UPDATE webhook_endpoints SET \
           failing_since = coalesce(failing_since, $2), \
           enabled = enabled AND coalesce(failing_since, $2) >= $3, \
           disabled_reason = CASE WHEN enabled AND coalesce(failing_since, $2) < $3 \
             THEN 'failing since ' || to_char(failing_since AT TIME ZONE 'UTC', \
               'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') || ': every delivery failed for 5 days' \
             ELSE disabled_reason END, \
           version = version + CASE WHEN enabled AND coalesce(failing_since, $2) < $3 \
             THEN 1 ELSE 0 END \
         WHERE id = $1 RETURNING NOT enabled AS disabled",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(disable_before)
    .get_result::<Disabled>(conn)
    .await
    .optional()?
    .map(|d| d.disabled);
    Ok(disabled.unwrap_or(false))
}

#[derive(QueryableByName)]
struct Disabled {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    disabled: bool,
}

/// Disables an endpoint with the reason its owner will see.
pub async fn disable(
    conn: &mut AsyncPgConnection,
    id: WebhookEndpointId,
    reason: &str,
) -> QueryResult<()> {
    diesel::update(webhook_endpoints::table.find(id))
        .set((
            webhook_endpoints::enabled.eq(false),
            webhook_endpoints::disabled_reason.eq(reason),
            webhook_endpoints::version.eq(webhook_endpoints::version + 1),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes deliveries (and their attempts) created before `before`; how many.
pub async fn sweep(conn: &mut AsyncPgConnection, before: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::created_at.lt(before)))
        .execute(conn)
        .await
}

/// Clears secrets whose rotation window ended (they sign nothing any more).
pub async fn expire_rotations(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        webhook_endpoints::table.filter(webhook_endpoints::previous_secret_expires_at.le(now)),
    )
    .set((
        webhook_endpoints::previous_secret.eq(None::<String>),
        webhook_endpoints::previous_secret_expires_at.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
    .await
}
