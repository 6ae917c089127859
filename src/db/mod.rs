//! Database access: the connection pool, embedded migrations, readiness, backups, and the
//! embedded PostgreSQL used when no `DATABASE_URL` is configured.
//!
//! A connection that dies with the server (a restart, a failover) answers 503 with
//! `Retry-After`, never 500 ([`connection_lost`]); once one has, every pooled connection is
//! checked with one cheap statement before it is handed out again, so the requests after an
//! outage start on connections that work (a dead one is dropped and the checkout takes
//! another, or opens a fresh one).

pub mod backup;
pub mod embedded;
pub mod ownership;
pub mod prebuilt;
pub mod worker_pools;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use diesel::{QueryableByName, sql_types::Text};
use diesel_async::{
    AsyncConnection, AsyncPgConnection, RunQueryDsl,
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{
        AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
        deadpool::{Hook, HookError, Object, Pool},
    },
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::ApiError;

/// The migrations compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The connection pool type used everywhere.
pub type DbPool = Pool<AsyncPgConnection>;
/// One pooled connection.
pub type DbConn = Object<AsyncPgConnection>;

tokio::task_local! {
    /// SQL statements started while handling the current request (set by the metrics
    /// middleware; read into `agrupa_db_statements_total` by route).
    pub static STATEMENTS_IN_REQUEST: std::cell::Cell<u64>;
}

/// Whether `err` says the connection to PostgreSQL is gone or unusable (the server shut down
/// or restarted, or the socket died) rather than that the statement was refused: the same
/// request may work when retried. Recognises tokio-postgres' client-side errors and the
/// server's own messages for SQLSTATE classes 57P (shutdown, crash, start-up, idle timeout),
/// which diesel does not expose as codes (in English, the language of the embedded server).
pub fn connection_lost(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    const CLIENT_SIDE: [&str; 5] = [
        "connection closed",
        "error communicating with the server",
        "timeout waiting for server",
        "error connecting to server",
        "channel closed",
    ];
    const SERVER_SIDE: [&str; 2] = ["terminating connection", "the database system is"];
    match err {
        E::BrokenTransactionManager | E::DatabaseError(K::ClosedConnection, _) => true,
        E::DatabaseError(K::UnableToSendCommand, info) => {
            CLIENT_SIDE.iter().any(|m| info.message().starts_with(m))
        }
        E::DatabaseError(K::Unknown, info) => {
            SERVER_SIDE.iter().any(|m| info.message().starts_with(m))
        }
        E::RollbackErrorOnCommit {
            rollback_error,
            commit_error,
        } => connection_lost(rollback_error) || connection_lost(commit_error),
        _ => false,
    }
}

/// When a connection of one pool last reported a lost connection, as milliseconds after the
/// pool was built (0: never).
#[derive(Clone)]
struct Outages {
    since: Instant,
    last: Arc<AtomicU64>,
}

impl Outages {
    fn new() -> Self {
        Self {
            since: Instant::now(),
            last: Arc::default(),
        }
    }

    fn record(&self) {
        let at = self.since.elapsed().as_millis() as u64 + 1;
        self.last.fetch_max(at, Ordering::Relaxed);
    }

    /// Whether an outage was seen after `instant`.
    fn after(&self, instant: Instant) -> bool {
        let last = AtomicU64::load(&self.last, Ordering::Relaxed);
        last > 0 && self.since + Duration::from_millis(last - 1) >= instant
    }
}

/// Watches every statement of a pooled connection: counts them for the request being handled,
/// and records a lost connection for the pool.
struct Watcher(Outages);

impl diesel::connection::Instrumentation for Watcher {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        use diesel::connection::InstrumentationEvent as Event;
        match event {
            Event::StartQuery { .. } => {
                let _ = STATEMENTS_IN_REQUEST.try_with(|c| c.set(c.get() + 1));
            }
            Event::FinishQuery {
                error: Some(err), ..
            } if connection_lost(err) => self.0.record(),
            _ => {}
        }
    }
}

/// Builds a pool whose waits are bounded by `timeout`: when the database is away, callers
/// get a 503 after `timeout`, never a hang.
pub fn build_pool(url: &str, max_size: usize, timeout: Duration) -> anyhow::Result<DbPool> {
    let outages = Outages::new();
    let mut config = ManagerConfig::default();
    // Checking a connection out costs no query: a closed socket is noticed without one
    // (`is_broken`), and a query per checkout would double the statements per request. Only
    // after a connection was lost are the others verified (the hook below).
    config.recycling_method = RecyclingMethod::Fast;
    let watched = outages.clone();
    config.custom_setup = Box::new(move |url| {
        let watcher = Watcher(watched.clone());
        Box::pin(async move {
            let mut conn = AsyncPgConnection::establish(url).await?;
            conn.set_instrumentation(watcher);
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    let verify = Hook::async_fn(move |conn: &mut AsyncPgConnection, metrics| {
        let suspect = outages.after(metrics.recycled.unwrap_or(metrics.created));
        Box::pin(async move {
            if !suspect {
                return Ok(());
            }
            let ping = diesel::sql_query("SELECT 1").execute(conn);
            match tokio::time::timeout(timeout, ping).await {
                Ok(Ok(_)) => Ok(()),
                _ => Err(HookError::message("connection lost in a database outage")),
            }
        })
    });
    let pool = Pool::builder(manager)
        .max_size(max_size)
        // The most recently returned connection is handed out first: light traffic keeps
        // reusing a few warm connections, and the rest stay unused long enough for
        // `close_idle` to close them.
        .queue_mode(deadpool::managed::QueueMode::Lifo)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .post_recycle(verify)
        .runtime(deadpool::Runtime::Tokio1)
        .build()?;
    Ok(pool)
}

/// Closes the connections of `pool` that have not been handed out for `idle`, except its
/// `keep` most recently returned; returns how many it closed. A connection's read and write
/// buffers grow to the largest result it ever carried (a report over a large register) and
/// are only given back when it closes. Connections in use are never touched.
pub fn close_idle<M: deadpool::managed::Manager>(
    pool: &deadpool::managed::Pool<M>,
    idle: Duration,
    keep: usize,
) -> usize {
    // The idle connections are queued oldest first (LIFO hands out from the back). Two passes,
    // each under the pool's lock: a connection taken or returned between them makes this
    // interval keep one more or one fewer, which the next corrects.
    let mut queued = 0;
    pool.retain(|_, _| {
        queued += 1;
        true
    });
    let mut seen = 0;
    pool.retain(|_, metrics| {
        seen += 1;
        seen + keep > queued || metrics.last_used() < idle
    })
    .removed
    .len()
}

/// Takes a connection from the pool; a pool timeout or an unreachable database is a 503.
pub async fn conn(pool: &DbPool) -> Result<DbConn, ApiError> {
    Ok(pool.get().await?)
}

/// Applies pending migrations (blocking work, so it runs off the async workers).
pub async fn run_migrations(url: &str) -> anyhow::Result<Vec<String>> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        let mut conn =
            <AsyncConnectionWrapper<AsyncPgConnection> as diesel::Connection>::establish(&url)?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    })
    .await?
}

/// The versions of every embedded migration, oldest first.
pub fn expected_migrations() -> Arc<Vec<String>> {
    use diesel::migration::MigrationSource;
    let mut versions: Vec<String> = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .map(|ms| ms.iter().map(|m| m.name().version().to_string()).collect())
        .unwrap_or_default();
    versions.sort();
    Arc::new(versions)
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

/// Why the service is not ready.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    /// No connection within the pool timeout.
    #[error("database unreachable")]
    Unreachable,
    /// Migrations missing from the database.
    #[error("{0} migration(s) not applied")]
    MigrationsPending(usize),
}

/// Readiness: the database answers and every embedded migration is applied.
pub async fn check_ready(pool: &DbPool, expected: &[String]) -> Result<(), NotReady> {
    let mut conn = pool.get().await.map_err(|_| NotReady::Unreachable)?;
    let applied: Vec<Version> =
        diesel::sql_query("SELECT version::text AS version FROM __diesel_schema_migrations")
            .load(&mut conn)
            .await
            .map_err(|_| NotReady::MigrationsPending(expected.len()))?;
    let missing = expected
        .iter()
        .filter(|v| !applied.iter().any(|a| &a.version == *v))
        .count();
    if missing > 0 {
        return Err(NotReady::MigrationsPending(missing));
    }
    Ok(())
}

/// Creates `database` on the server behind `admin_url` (a connection to another database
/// of the same server) unless it exists; optionally as a copy of `template`.
pub async fn create_database(
    admin_url: &str,
    database: &str,
    template: Option<&str>,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        is_plain_identifier(database) && template.is_none_or(is_plain_identifier),
        "database names must be lowercase letters, digits and underscores"
    );
    let mut conn = AsyncPgConnection::establish(admin_url).await?;
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let exists: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(database)
            .get_result(&mut conn)
            .await?;
    if !exists.exists {
        let sql = match template {
            Some(t) => format!("CREATE DATABASE {database} TEMPLATE {t}"),
            None => format!("CREATE DATABASE {database}"),
        };
        diesel::sql_query(sql).execute(&mut conn).await?;
    }
    Ok(())
}

fn is_plain_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() < 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Stores a Rust enum as PostgreSQL `text` (backed by a CHECK constraint in the
/// migration). The enum needs `as_str()`, `FromStr`, and
/// `#[derive(diesel::AsExpression, diesel::FromSqlRow)] #[diesel(sql_type = diesel::sql_types::Text)]`.
#[macro_export]
macro_rules! text_enum_sql {
    ($ty:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    &mut out.reborrow(),
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(bytes)?;
                text.parse::<$ty>().map_err(Into::into)
            }
        }
    };
}

/// Declares a snake_case text enum stored as `text` (with a CHECK in the migration).
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and serialised name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($text => Ok($name::$variant),)+ _ => Err(format!("unknown value `{s}`")) }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }

        $crate::text_enum_sql!($name);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out numbered objects: 1, 2, 3…
    struct Numbered(AtomicU64);

    impl deadpool::managed::Manager for Numbered {
        type Type = u64;
        type Error = std::convert::Infallible;

        async fn create(&self) -> Result<u64, Self::Error> {
            Ok(self.0.fetch_add(1, Ordering::Relaxed) + 1)
        }

        async fn recycle(
            &self,
            _: &mut u64,
            _: &deadpool::managed::Metrics,
        ) -> deadpool::managed::RecycleResult<Self::Error> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn closing_idle_connections_keeps_the_most_recently_returned_and_those_in_use() {
        let pool: deadpool::managed::Pool<Numbered> =
            deadpool::managed::Pool::builder(Numbered(AtomicU64::new(0)))
                .max_size(4)
                .queue_mode(deadpool::managed::QueueMode::Lifo)
                .build()
                .unwrap();
        let (one, two, three, four) = (
            pool.get().await.unwrap(),
            pool.get().await.unwrap(),
            pool.get().await.unwrap(),
            pool.get().await.unwrap(),
        );
        assert_eq!((*one, *two, *three, *four), (1, 2, 3, 4));
        // Returned in the order 2, 1, 3; 4 stays in use.
        drop(two);
        drop(one);
        drop(three);
        assert_eq!(
            close_idle(&pool, Duration::from_secs(3600), 0),
            0,
            "none idle long"
        );
        assert_eq!(close_idle(&pool, Duration::ZERO, 1), 2);
        assert_eq!(pool.status().size, 2, "the one kept and the one in use");
        assert_eq!(
            *pool.get().await.unwrap(),
            3,
            "the last one returned is kept"
        );
        drop(four);
        assert_eq!(close_idle(&pool, Duration::ZERO, 0), 2);
        assert_eq!(pool.status().size, 0);
    }

    #[test]
    fn connections_handed_out_before_a_lost_connection_are_suspect_after_it() {
        let outages = Outages::new();
        let handed_out = Instant::now();
        assert!(!outages.after(handed_out), "no outage yet");
        std::thread::sleep(Duration::from_millis(3));
        outages.record();
        assert!(outages.after(handed_out));
        std::thread::sleep(Duration::from_millis(3));
        assert!(
            !outages.after(Instant::now()),
            "verified (handed out) since: no longer suspect"
        );
    }
}
