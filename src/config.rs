//! Configuration, read once from the environment.
//!
//! Every variable agrupa reads is listed here and in the README (keep both in step):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `AGRUPA_ENV` | `development` | `development` allows conveniences (embedded database, generated keys); `production` refuses to start without explicit settings |
//! | `AGRUPA_ADDR` | `127.0.0.1:8080` | listen address (`host:port`; port `0` picks a free one) |
//! | `DATABASE_URL` | unset | PostgreSQL URL (or libpq key=value string); unset = embedded PostgreSQL (development only) |
//! | `AGRUPA_DATA_DIR` | `.agrupa` | where the embedded PostgreSQL keeps its data (`<dir>/pg`) |
//! | `AGRUPA_PG_BIN` | auto | folder with the PostgreSQL server binaries for the embedded mode |
//! | `AGRUPA_LOG_FORMAT` | `pretty` | `pretty` (human-readable) or `json` (one JSON object per line) |
//! | `AGRUPA_LOG` | `info` | log filter, `tracing_subscriber::EnvFilter` syntax (e.g. `agrupa=debug,info`) |
//! | `AGRUPA_WORKERS` | cores | number of HTTP worker threads |
//! | `AGRUPA_DB_POOL_SIZE` | `16` | maximum database connections for requests, per instance (the background tasks open a few of their own, at most 9) |
//! | `AGRUPA_DB_POOL_PER_WORKER` | `false` | `true`: each HTTP worker keeps its own share of those connections: more requests per second, but where the database shares the server's cores, a longer tail of slow requests (docs/BENCHMARKS.md) |
//! | `AGRUPA_DB_TIMEOUT_MS` | `3000` | longest wait for a database connection before answering 503 |
//! | `AGRUPA_DB_IDLE_TIMEOUT_SECS` | `30` | a connection not handed out for this long is closed (each pool keeps its most recently returned one), which gives back the memory its buffers grew to; a burst after a quiet spell opens connections again, and the pool metrics count requests waiting for them |
//! | `AGRUPA_BODY_LIMIT` | `1048576` | largest accepted request body in bytes (413 above it) |
//! | `AGRUPA_DOCUMENT_MAX_BYTES` | `10485760` | largest application document accepted, in bytes (413 above it) |
//! | `AGRUPA_DOCUMENT_DIR` | unset | directory for application documents; unset = kept in PostgreSQL |
//! | `AGRUPA_SHUTDOWN_TIMEOUT_SECS` | `20` | how long in-flight requests may finish after SIGTERM/SIGINT |
//! | `AGRUPA_SHUTDOWN_DRAIN_SECS` | `0` | on SIGTERM, how long to keep serving with `/readyz` answering 503 before refusing new connections, so a load balancer takes the instance out first (set it above the balancer's health-check interval × failures to mark down) |
//! | `AGRUPA_JWT_KEYS` | generated (development) | token signing keys `kid:base64secret[,kid:base64secret…]` (≥ 32 bytes each); the first signs, all verify; required in production |
//! | `AGRUPA_JWT_ISSUER` | `agrupa` | `iss` of access tokens |
//! | `AGRUPA_JWT_AUDIENCE` | `agrupa-api` | `aud` of access tokens |
//! | `AGRUPA_ACCESS_TOKEN_TTL_SECS` | `900` | access token lifetime |
//! | `AGRUPA_REFRESH_TOKEN_TTL_SECS` | `2592000` | refresh token lifetime (30 days) |
//! | `AGRUPA_LOGIN_MAX_FAILURES` | `5` | failed sign-ins per account *from one client address* within the lockout window before 429 (also: wrong current passwords on a password change, per user) |
//! | `AGRUPA_LOGIN_MAX_FAILURES_PER_ACCOUNT` | `100` | failed sign-ins per account from all addresses together within the window before 429 (stops a guessing attack spread over many addresses) |
//! | `AGRUPA_LOGIN_MAX_FAILURES_PER_ADDRESS` | `20` | failed sign-ins per client address within the window before 429 |
//! | `AGRUPA_LOGIN_LOCKOUT_SECS` | `900` | the window, and how long a lock lasts |
//! | `AGRUPA_RATE_LIMIT` | `600` | requests per minute per caller (token subject, or address when anonymous), per instance; `0` turns it off |
//! | `AGRUPA_TOKEN_RATE_LIMIT` | `60` | requests per minute per address to the token and revocation endpoints, per instance; `0` turns it off |
//! | `AGRUPA_REQUEST_TIMEOUT_SECS` | `30` | longest a request may take before it is abandoned (503) |
//! | `AGRUPA_TRUSTED_PROXIES` | unset | comma-separated addresses or networks (`10.0.0.0/8`) of reverse proxies whose `Forwarded` / `X-Forwarded-For` name the client address; unset = the headers are ignored and the peer address is the client's |
//! | `AGRUPA_METRICS_ADDR` | unset | serve `/metrics` on this separate address (`host:port`, no authentication: keep it private) instead of on the API's |
//! | `AGRUPA_METRICS_TOKEN` | unset | a bearer token (≥ 16 characters) that may read `/metrics` on the API's address; without it only an admin's access token may |
//! | `AGRUPA_CORS_ORIGINS` | unset | comma-separated origins allowed to call the API from a browser (e.g. `https://app.example.org`); unset = same origin only |
//! | `AGRUPA_PASSWORD_HASH_WAIT_MS` | `2000` | how long a password check (sign-in, password change, new user) waits for one of the per-core hashing slots before answering 503 with `Retry-After` |
//! | `AGRUPA_PDF_RENDERER` | this executable | the program run as `PROGRAM render-pdf` to render each printable document in a child process (set it only where the server's executable cannot run itself, e.g. in-process tests) |
//! | `AGRUPA_WEBHOOKS_POLL_MS` | `1000` | how often each replica's webhook worker looks for due deliveries (when the last batch was not full) |
//! | `AGRUPA_WEBHOOKS_ALLOW_LOOPBACK` | `true` in development, `false` in production | allow `http` URLs and loopback addresses (`http://127.0.0.1:9000/hook`) for webhook receivers; private, link-local and metadata addresses are refused regardless |
//! | `AGRUPA_ADMIN_PASSWORD` | unset | password for `agrupa admin create` (prompted when unset on a terminal) |
//!
//! Secrets (the database password, the signing keys) are never printed: `Debug` redacts them.

use std::{fmt, path::PathBuf, time::Duration};

/// Where the service runs; decides which conveniences are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Local work: embedded database and generated keys allowed.
    Development,
    /// Real deployments: every secret and the database must be configured explicitly.
    Production,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// A configuration problem, reported before anything starts.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// All settings of one agrupa process.
#[derive(Clone)]
pub struct Config {
    /// `AGRUPA_ENV`.
    pub env: Environment,
    /// `AGRUPA_ADDR`.
    pub addr: String,
    /// `DATABASE_URL`; `None` selects the embedded PostgreSQL.
    pub database_url: Option<String>,
    /// `AGRUPA_DATA_DIR`.
    pub data_dir: PathBuf,
    /// `AGRUPA_PG_BIN`.
    pub pg_bin: Option<PathBuf>,
    /// `AGRUPA_LOG_FORMAT`.
    pub log_format: LogFormat,
    /// `AGRUPA_LOG`.
    pub log_filter: String,
    /// `AGRUPA_WORKERS`.
    pub workers: Option<usize>,
    /// `AGRUPA_DB_POOL_SIZE`.
    pub db_pool_size: usize,
    /// `AGRUPA_DB_POOL_PER_WORKER`.
    pub db_pool_per_worker: bool,
    /// `AGRUPA_DB_TIMEOUT_MS`.
    pub db_timeout: Duration,
    /// `AGRUPA_DB_IDLE_TIMEOUT_SECS`.
    pub db_idle_timeout: Duration,
    /// `AGRUPA_BODY_LIMIT`.
    pub body_limit: usize,
    /// `AGRUPA_DOCUMENT_MAX_BYTES`.
    pub document_max_bytes: usize,
    /// `AGRUPA_DOCUMENT_DIR`; `None` keeps documents in PostgreSQL.
    pub document_dir: Option<PathBuf>,
    /// `AGRUPA_SHUTDOWN_TIMEOUT_SECS`.
    pub shutdown_timeout: Duration,
    /// `AGRUPA_SHUTDOWN_DRAIN_SECS`.
    pub shutdown_drain: Duration,
    /// `AGRUPA_JWT_KEYS` (secret).
    pub jwt_keys: Option<String>,
    /// `AGRUPA_JWT_ISSUER`.
    pub jwt_issuer: String,
    /// `AGRUPA_JWT_AUDIENCE`.
    pub jwt_audience: String,
    /// `AGRUPA_ACCESS_TOKEN_TTL_SECS`.
    pub access_token_ttl: Duration,
    /// `AGRUPA_REFRESH_TOKEN_TTL_SECS`.
    pub refresh_token_ttl: Duration,
    /// `AGRUPA_LOGIN_MAX_FAILURES`.
    pub login_max_failures: u32,
    /// `AGRUPA_LOGIN_MAX_FAILURES_PER_ACCOUNT`.
    pub login_max_failures_per_account: u32,
    /// `AGRUPA_LOGIN_MAX_FAILURES_PER_ADDRESS`.
    pub login_max_failures_per_address: u32,
    /// `AGRUPA_LOGIN_LOCKOUT_SECS`.
    pub login_lockout: Duration,
    /// `AGRUPA_RATE_LIMIT`.
    pub rate_limit: u32,
    /// `AGRUPA_TOKEN_RATE_LIMIT`.
    pub token_rate_limit: u32,
    /// `AGRUPA_REQUEST_TIMEOUT_SECS`.
    pub request_timeout: Duration,
    /// `AGRUPA_CORS_ORIGINS`.
    pub cors_origins: Vec<String>,
    /// `AGRUPA_PASSWORD_HASH_WAIT_MS`.
    pub password_hash_wait: Duration,
    /// `AGRUPA_PDF_RENDERER`; `None` runs this executable.
    pub pdf_renderer: Option<PathBuf>,
    /// `AGRUPA_TRUSTED_PROXIES`.
    pub trusted_proxies: Vec<crate::http::client_addr::Cidr>,
    /// `AGRUPA_METRICS_ADDR`.
    pub metrics_addr: Option<String>,
    /// `AGRUPA_METRICS_TOKEN` (secret).
    pub metrics_token: Option<String>,
    /// `AGRUPA_WEBHOOKS_POLL_MS`.
    pub webhooks_poll: Duration,
    /// `AGRUPA_WEBHOOKS_ALLOW_LOOPBACK`.
    pub webhooks_allow_loopback: bool,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("env", &self.env)
            .field("addr", &self.addr)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_database_url),
            )
            .field("data_dir", &self.data_dir)
            .field("log_format", &self.log_format)
            .field("workers", &self.workers)
            .field("db_pool_size", &self.db_pool_size)
            .field("db_pool_per_worker", &self.db_pool_per_worker)
            .field("db_timeout", &self.db_timeout)
            .field("db_idle_timeout", &self.db_idle_timeout)
            .field("body_limit", &self.body_limit)
            .field("document_max_bytes", &self.document_max_bytes)
            .field("document_dir", &self.document_dir)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("shutdown_drain", &self.shutdown_drain)
            .field("jwt_keys", &self.jwt_keys.as_ref().map(|_| "***"))
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("metrics_addr", &self.metrics_addr)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("pdf_renderer", &self.pdf_renderer)
            .field("webhooks_poll", &self.webhooks_poll)
            .field("webhooks_allow_loopback", &self.webhooks_allow_loopback)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            env: Environment::Development,
            addr: "127.0.0.1:8080".into(),
            database_url: None,
            data_dir: PathBuf::from(".agrupa"),
            pg_bin: None,
            log_format: LogFormat::Pretty,
            log_filter: "info".into(),
            workers: None,
            db_pool_size: 16,
            db_pool_per_worker: false,
            db_timeout: Duration::from_millis(3000),
            db_idle_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            document_max_bytes: 10 * 1024 * 1024,
            document_dir: None,
            shutdown_timeout: Duration::from_secs(20),
            shutdown_drain: Duration::ZERO,
            jwt_keys: None,
            jwt_issuer: "agrupa".into(),
            jwt_audience: "agrupa-api".into(),
            access_token_ttl: Duration::from_secs(900),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            login_max_failures: 5,
            login_max_failures_per_account: 100,
            login_max_failures_per_address: 20,
            login_lockout: Duration::from_secs(900),
            rate_limit: 600,
            token_rate_limit: 60,
            request_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            password_hash_wait: Duration::from_secs(2),
            pdf_renderer: None,
            trusted_proxies: Vec::new(),
            metrics_addr: None,
            metrics_token: None,
            webhooks_poll: Duration::from_secs(1),
            webhooks_allow_loopback: true,
        }
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let d = Self::default();
        let env = match get("AGRUPA_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(ConfigError(format!(
                    "AGRUPA_ENV must be `development` or `production`, not `{other}`"
                )));
            }
        };
        let log_format = match get("AGRUPA_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError(format!(
                    "AGRUPA_LOG_FORMAT must be `pretty` or `json`, not `{other}`"
                )));
            }
        };
        let config = Self {
            env,
            addr: get("AGRUPA_ADDR").unwrap_or(d.addr),
            database_url: get("DATABASE_URL"),
            data_dir: get("AGRUPA_DATA_DIR").map_or(d.data_dir, PathBuf::from),
            pg_bin: get("AGRUPA_PG_BIN").map(PathBuf::from),
            log_format,
            log_filter: get("AGRUPA_LOG").unwrap_or(d.log_filter),
            workers: parse_opt(&get, "AGRUPA_WORKERS", 1, 1024)?,
            db_pool_size: parse_opt(&get, "AGRUPA_DB_POOL_SIZE", 1, 1000)?
                .unwrap_or(d.db_pool_size),
            db_pool_per_worker: parse_flag(&get, "AGRUPA_DB_POOL_PER_WORKER")?
                .unwrap_or(d.db_pool_per_worker),
            db_timeout: parse_opt(&get, "AGRUPA_DB_TIMEOUT_MS", 1, 600_000)?
                .map_or(d.db_timeout, |ms| Duration::from_millis(ms as u64)),
            db_idle_timeout: parse_opt(&get, "AGRUPA_DB_IDLE_TIMEOUT_SECS", 1, 86_400)?
                .map_or(d.db_idle_timeout, |s| Duration::from_secs(s as u64)),
            body_limit: parse_opt(&get, "AGRUPA_BODY_LIMIT", 1024, 1 << 30)?
                .unwrap_or(d.body_limit),
            document_max_bytes: parse_opt(&get, "AGRUPA_DOCUMENT_MAX_BYTES", 1, 1 << 30)?
                .unwrap_or(d.document_max_bytes),
            document_dir: get("AGRUPA_DOCUMENT_DIR").map(PathBuf::from),
            shutdown_timeout: parse_opt(&get, "AGRUPA_SHUTDOWN_TIMEOUT_SECS", 0, 3600)?
                .map_or(d.shutdown_timeout, |s| Duration::from_secs(s as u64)),
            shutdown_drain: parse_opt(&get, "AGRUPA_SHUTDOWN_DRAIN_SECS", 0, 600)?
                .map_or(d.shutdown_drain, |s| Duration::from_secs(s as u64)),
            jwt_keys: get("AGRUPA_JWT_KEYS"),
            jwt_issuer: get("AGRUPA_JWT_ISSUER").unwrap_or(d.jwt_issuer),
            jwt_audience: get("AGRUPA_JWT_AUDIENCE").unwrap_or(d.jwt_audience),
            access_token_ttl: parse_opt(&get, "AGRUPA_ACCESS_TOKEN_TTL_SECS", 30, 86_400)?
                .map_or(d.access_token_ttl, |s| Duration::from_secs(s as u64)),
            refresh_token_ttl: parse_opt(&get, "AGRUPA_REFRESH_TOKEN_TTL_SECS", 60, 365 * 86_400)?
                .map_or(d.refresh_token_ttl, |s| Duration::from_secs(s as u64)),
            login_max_failures: parse_opt(&get, "AGRUPA_LOGIN_MAX_FAILURES", 1, 1000)?
                .map_or(d.login_max_failures, |v| v as u32),
            login_max_failures_per_account: parse_opt(
                &get,
                "AGRUPA_LOGIN_MAX_FAILURES_PER_ACCOUNT",
                1,
                1_000_000,
            )?
            .map_or(d.login_max_failures_per_account, |v| v as u32),
            login_max_failures_per_address: parse_opt(
                &get,
                "AGRUPA_LOGIN_MAX_FAILURES_PER_ADDRESS",
                1,
                100_000,
            )?
            .map_or(d.login_max_failures_per_address, |v| v as u32),
            login_lockout: parse_opt(&get, "AGRUPA_LOGIN_LOCKOUT_SECS", 1, 86_400)?
                .map_or(d.login_lockout, |s| Duration::from_secs(s as u64)),
            rate_limit: parse_opt(&get, "AGRUPA_RATE_LIMIT", 0, 1_000_000)?
                .map_or(d.rate_limit, |v| v as u32),
            token_rate_limit: parse_opt(&get, "AGRUPA_TOKEN_RATE_LIMIT", 0, 1_000_000)?
                .map_or(d.token_rate_limit, |v| v as u32),
            request_timeout: parse_opt(&get, "AGRUPA_REQUEST_TIMEOUT_SECS", 1, 3600)?
                .map_or(d.request_timeout, |s| Duration::from_secs(s as u64)),
            cors_origins: parse_origins(get("AGRUPA_CORS_ORIGINS").as_deref())?,
            password_hash_wait: parse_opt(&get, "AGRUPA_PASSWORD_HASH_WAIT_MS", 1, 60_000)?
                .map_or(d.password_hash_wait, |ms| Duration::from_millis(ms as u64)),
            pdf_renderer: get("AGRUPA_PDF_RENDERER")
                .filter(|p| !p.trim().is_empty())
                .map(PathBuf::from),
            trusted_proxies: get("AGRUPA_TRUSTED_PROXIES")
                .map(|raw| crate::http::client_addr::parse_list(&raw))
                .transpose()
                .map_err(|e| ConfigError(format!("AGRUPA_TRUSTED_PROXIES: {e}")))?
                .unwrap_or_default(),
            metrics_addr: get("AGRUPA_METRICS_ADDR"),
            metrics_token: get("AGRUPA_METRICS_TOKEN"),
            webhooks_poll: parse_opt(&get, "AGRUPA_WEBHOOKS_POLL_MS", 10, 60_000)?
                .map_or(d.webhooks_poll, |ms| Duration::from_millis(ms as u64)),
            webhooks_allow_loopback: parse_flag(&get, "AGRUPA_WEBHOOKS_ALLOW_LOOPBACK")?
                .unwrap_or(env == Environment::Development),
        };
        config.check()?;
        Ok(config)
    }

    /// Rules that involve several settings.
    fn check(&self) -> Result<(), ConfigError> {
        if self.env == Environment::Production && self.database_url.is_none() {
            return Err(ConfigError(
                "AGRUPA_ENV=production requires DATABASE_URL (the embedded PostgreSQL is for development)"
                    .into(),
            ));
        }
        if self.env == Environment::Production && self.jwt_keys.is_none() {
            return Err(ConfigError(
                "AGRUPA_ENV=production requires AGRUPA_JWT_KEYS (token signing keys)".into(),
            ));
        }
        if self
            .metrics_token
            .as_ref()
            .is_some_and(|t| t.trim().len() < 16)
        {
            return Err(ConfigError(
                "AGRUPA_METRICS_TOKEN must be at least 16 characters".into(),
            ));
        }
        if let Some(keys) = &self.jwt_keys {
            crate::auth::tokens::KeySet::parse(keys, &self.jwt_issuer, &self.jwt_audience)
                .map_err(|e| ConfigError(format!("AGRUPA_JWT_KEYS: {e}")))?;
        }
        Ok(())
    }
}

fn parse_origins(raw: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| {
            let ok = (o.starts_with("https://") || o.starts_with("http://"))
                && !o.contains('*')
                && !o.trim_end_matches('/').contains(['?', '#'])
                && o.matches('/').count() == 2;
            if ok {
                Ok(o.trim_end_matches('/').to_owned())
            } else {
                Err(ConfigError(format!(
                    "AGRUPA_CORS_ORIGINS: `{o}` is not an origin like https://app.example.org (no wildcards, no paths)"
                )))
            }
        })
        .collect()
}

/// A `true`/`false` (or `1`/`0`) variable; `None` when unset.
fn parse_flag(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<bool>, ConfigError> {
    match get(name).as_deref() {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(other) => Err(ConfigError(format!(
            "{name} must be `true` or `false`, not `{other}`"
        ))),
    }
}

fn parse_opt(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    min: usize,
    max: usize,
) -> Result<Option<usize>, ConfigError> {
    get(name)
        .map(|raw| match raw.trim().parse::<usize>() {
            Ok(v) if (min..=max).contains(&v) => Ok(v),
            _ => Err(ConfigError(format!(
                "{name} must be an integer between {min} and {max}"
            ))),
        })
        .transpose()
}

/// Hides the password of a database URL (both URL and key=value forms).
pub fn redact_database_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((userinfo, host)) = rest.split_once('@') {
            let user = userinfo.split(':').next().unwrap_or_default();
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            return format!("{scheme}://{masked}@{host}");
        }
        return url.to_owned();
    }
    url.split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***".to_owned()
            } else {
                kv.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.addr, "127.0.0.1:8080");
        assert_eq!(c.env, Environment::Development);
        assert!(c.database_url.is_none());
    }

    #[test]
    fn production_requires_a_database_url_and_signing_keys() {
        assert!(cfg(&[("AGRUPA_ENV", "production")]).is_err());
        let db = ("DATABASE_URL", "postgres://x@h/db");
        assert!(cfg(&[("AGRUPA_ENV", "production"), db]).is_err());
        let key = format!("k1:{}", crate::auth::tokens::random_token());
        assert!(cfg(&[("AGRUPA_ENV", "production"), db, ("AGRUPA_JWT_KEYS", &key)]).is_ok());
        assert!(cfg(&[("AGRUPA_JWT_KEYS", "k1:tooshort")]).is_err());
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(cfg(&[("AGRUPA_ENV", "prod")]).is_err());
        assert!(cfg(&[("AGRUPA_DB_POOL_SIZE", "0")]).is_err());
        assert!(cfg(&[("AGRUPA_LOG_FORMAT", "xml")]).is_err());
        assert!(cfg(&[("AGRUPA_DB_IDLE_TIMEOUT_SECS", "0")]).is_err());
    }

    #[test]
    fn idle_connections_close_after_thirty_seconds_unless_told() {
        assert_eq!(cfg(&[]).unwrap().db_idle_timeout, Duration::from_secs(30));
        let c = cfg(&[("AGRUPA_DB_IDLE_TIMEOUT_SECS", "600")]).unwrap();
        assert_eq!(c.db_idle_timeout, Duration::from_secs(600));
    }

    #[test]
    fn debug_output_hides_the_database_password() {
        let key = crate::auth::tokens::random_token();
        let c = cfg(&[("AGRUPA_JWT_KEYS", &format!("k1:{key}"))]).unwrap();
        assert!(!format!("{c:?}").contains(&key));
        let c = cfg(&[("DATABASE_URL", "postgres://agrupa:s3cret@db:5432/agrupa")]).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        let key = crate::auth::tokens::random_token();
        let c = cfg(&[("AGRUPA_JWT_KEYS", &format!("k1:{key}"))]).unwrap();
        assert!(!format!("{c:?}").contains(&key));
        assert!(shown.contains("agrupa:***@db:5432/agrupa"));
        assert_eq!(
            redact_database_url("host=/tmp user=a password=pw dbname=x"),
            "host=/tmp user=a password=*** dbname=x"
        );
    }
}
