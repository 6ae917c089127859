//! Database access: the connection pool, embedded migrations, readiness, and the
//! embedded PostgreSQL used when no `DATABASE_URL` is configured.

pub mod embedded;
pub mod ownership;

use std::{sync::Arc, time::Duration};

use diesel::{QueryableByName, sql_types::Text};
use diesel_async::{
    AsyncConnection, AsyncPgConnection, RunQueryDsl,
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{
        AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
        deadpool::{Object, Pool},
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

/// Counts every statement a pooled connection starts, for the request being handled.
struct StatementCounter;

impl diesel::connection::Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
            let _ = STATEMENTS_IN_REQUEST.try_with(|c| c.set(c.get() + 1));
        }
    }
}

/// Builds a pool whose waits are bounded by `timeout`: when the database is away, callers
/// get a 503 after `timeout`, never a hang.
pub fn build_pool(url: &str, max_size: usize, timeout: Duration) -> anyhow::Result<DbPool> {
    let mut config = ManagerConfig::default();
    // Checking a connection out costs no query: a closed socket is noticed without one
    // (`is_broken`), and a query per checkout would double the statements per request.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(|url| {
        Box::pin(async move {
            let mut conn = AsyncPgConnection::establish(url).await?;
            conn.set_instrumentation(StatementCounter);
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    let pool = Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()?;
    Ok(pool)
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
