//! Sign-in attempts, counted in PostgreSQL (so the limits hold across replicas). An attempt is
//! counted *before* the password is checked, so that parallel guesses are counted too. After
//! `max` failed attempts within the window, the next ones are refused (429) for the window's
//! length.
//!
//! Three counts, following the OWASP Authentication Cheat Sheet ("Account Lockout": lock out
//! the attacker, not the user; an attacker who can lock any account at will has a denial of
//! service against it, starting with the administrators):
//!
//! - **account + client address** (`AGRUPA_LOGIN_MAX_FAILURES`, 5): the ordinary lockout. Six
//!   wrong passwords from one address lock that address out of that account, and nobody else:
//!   the real user, elsewhere, still signs in. A success clears it.
//! - **account, from every address** (`AGRUPA_LOGIN_MAX_FAILURES_PER_ACCOUNT`, 100): stops a
//!   guessing attack spread over many addresses, at a threshold far above what typos reach,
//!   so that locking a user out takes a botnet's effort and is visible in the logs. A success
//!   takes back only its own attempt (clearing it would hand an attacker a fresh budget each
//!   time the user signs in).
//! - **client address, for any account** (`AGRUPA_LOGIN_MAX_FAILURES_PER_ADDRESS`, 20):
//!   stops one address from spraying one password over many accounts.
//!
//! Addresses are what `http::client_addr` finds (forwarding headers only from
//! `AGRUPA_TRUSTED_PROXIES`), so that behind a proxy each user has their own. A password change
//! (`POST /me/password`) counts its wrong current passwords per user with the first limit.

use std::time::Duration;

use diesel::{
    QueryableByName,
    sql_types::{Array, BigInt, Double, Integer, Nullable, Text},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// A limit: at most `max` failed attempts within `window`, then locked for `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Failed attempts allowed within the window.
    pub max: u32,
    /// The window, and how long a lock lasts.
    pub window: Duration,
}

#[derive(QueryableByName)]
struct Wait {
    #[diesel(sql_type = Nullable<Double>)]
    seconds: Option<f64>,
}

/// Seconds until the longest lock among `keys` ends, when any is locked.
pub async fn locked_for(
    conn: &mut AsyncPgConnection,
    keys: &[String],
) -> diesel::QueryResult<Option<u64>> {
    let wait: Wait = diesel::sql_query(
        "SELECT EXTRACT(EPOCH FROM max(locked_until) - now())::float8 AS seconds \
         FROM login_throttle WHERE key = ANY($1) AND locked_until > now()",
    )
    .bind::<Array<Text>, _>(keys)
    .get_result(conn)
    .await?;
    Ok(wait.seconds.map(|s| s.ceil().max(1.0) as u64))
}

/// Counts one failure for `key`; locks it when the count reaches `max` within `window`.
pub async fn record_failure(
    conn: &mut AsyncPgConnection,
    key: &str,
    max: u32,
    window: Duration,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO login_throttle AS t (key, failures, window_started_at) VALUES ($1, 1, now()) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN t.window_started_at < now() - make_interval(secs => $3) THEN 1 ELSE t.failures + 1 END, \
           window_started_at = CASE WHEN t.window_started_at < now() - make_interval(secs => $3) THEN now() ELSE t.window_started_at END, \
           locked_until = CASE \
             WHEN (CASE WHEN t.window_started_at < now() - make_interval(secs => $3) THEN 1 ELSE t.failures + 1 END) >= $2 \
             THEN now() + make_interval(secs => $3) ELSE t.locked_until END",
    )
    .bind::<Text, _>(key)
    .bind::<Integer, _>(i32::try_from(max).unwrap_or(i32::MAX))
    .bind::<BigInt, _>(i64::try_from(window.as_secs()).unwrap_or(i64::MAX))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct Attempt {
    #[diesel(sql_type = Nullable<Double>)]
    wait: Option<f64>,
}

/// Counts one attempt for `key`; returns the seconds to wait when `key` is now locked
/// (more than `max` attempts in `window`).
pub async fn attempt(
    conn: &mut AsyncPgConnection,
    key: &str,
    max: u32,
    window: Duration,
) -> diesel::QueryResult<Option<u64>> {
    let row: Attempt = diesel::sql_query(
        "INSERT INTO login_throttle AS t (key, failures, window_started_at) VALUES ($1, 1, now()) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN t.window_started_at < now() - make_interval(secs => $3) THEN 1 ELSE t.failures + 1 END, \
           window_started_at = CASE WHEN t.window_started_at < now() - make_interval(secs => $3) THEN now() ELSE t.window_started_at END, \
           locked_until = CASE \
             WHEN t.locked_until > now() THEN t.locked_until \
             WHEN (CASE WHEN t.window_started_at < now() - make_interval(secs => $3) THEN 1 ELSE t.failures + 1 END) > $2 \
             THEN now() + make_interval(secs => $3) ELSE NULL END \
         RETURNING CASE WHEN t.locked_until > now() \
           THEN EXTRACT(EPOCH FROM t.locked_until - now())::float8 END AS wait",
    )
    .bind::<Text, _>(key)
    .bind::<Integer, _>(i32::try_from(max).unwrap_or(i32::MAX))
    .bind::<BigInt, _>(i64::try_from(window.as_secs()).unwrap_or(i64::MAX))
    .get_result(conn)
    .await?;
    Ok(row.wait.map(|s| s.ceil().max(1.0) as u64))
}

/// Takes back one attempt of `key` (a sign-in that succeeded).
pub async fn forgive(conn: &mut AsyncPgConnection, key: &str) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = $1",
    )
    .bind::<Text, _>(key)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets the failures of `key`.
pub async fn clear(conn: &mut AsyncPgConnection, key: &str) -> diesel::QueryResult<()> {
    diesel::sql_query("DELETE FROM login_throttle WHERE key = $1")
        .bind::<Text, _>(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets counts whose window and lock are over (housekeeping).
pub async fn purge_stale(
    conn: &mut AsyncPgConnection,
    window: Duration,
) -> diesel::QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM login_throttle WHERE window_started_at < now() - make_interval(secs => $1) \
         AND (locked_until IS NULL OR locked_until < now())",
    )
    .bind::<BigInt, _>(i64::try_from(window.as_secs()).unwrap_or(i64::MAX))
    .execute(conn)
    .await
}
