//! agrupa: the open JSON REST API that runs an innovative business cluster.
//!
//! [`Application::build`] wires configuration, database, routes and middleware;
//! `main.rs` only parses the command line. Tests build the same application on port 0.

pub mod config;
pub mod db;
pub mod error;
pub mod health;
pub mod http;
pub mod openapi;
pub mod telemetry;

use std::{net::TcpListener, sync::Arc};

use actix_web::{App, HttpResponse, dev::Server, middleware::from_fn, web};
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi as _;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    config::{Config, Environment},
    db::{
        DbPool,
        embedded::{EmbeddedOptions, EmbeddedPostgres},
    },
    http::{extract, fallback, request_id, telemetry::AgrupaRootSpan},
};

/// Shared state handed to handlers as `web::Data<AppState>`.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub pool: DbPool,
    /// Versions of the migrations this build carries (for readiness).
    pub expected_migrations: Arc<Vec<String>>,
    /// The configuration the process started with.
    pub config: Arc<Config>,
}

/// Registers every API route. The same function feeds the router and the OpenAPI document,
/// so the two cannot disagree.
pub fn configure_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    health::configure(cfg);
}

/// The complete OpenAPI document of this build.
pub fn openapi_spec() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(configure_routes)
        .split_for_parts();
    openapi::add_common_responses(&mut api);
    api
}

/// Where the database comes from: the configured URL, or the embedded server.
pub struct Database {
    /// Connection string for the application database.
    pub url: String,
    /// The embedded server, when one was started (stopped when dropped).
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Uses `DATABASE_URL`, or starts the embedded PostgreSQL (development only) and makes
    /// sure its `agrupa` database exists.
    pub async fn resolve(config: &Config) -> anyhow::Result<Self> {
        if let Some(url) = &config.database_url {
            return Ok(Self {
                url: url.clone(),
                embedded: None,
            });
        }
        anyhow::ensure!(
            config.env == Environment::Development,
            "the embedded PostgreSQL is only for development; set DATABASE_URL"
        );
        let opts = EmbeddedOptions {
            root: config.data_dir.join("pg"),
            bin_dir: config.pg_bin.clone(),
            ephemeral: false,
        };
        tracing::info!(data_dir = %opts.root.display(), "starting the embedded PostgreSQL");
        // Blocking for the second or two the server takes to start, once at start-up.
        let embedded = EmbeddedPostgres::start(&opts)?;
        db::create_database(&embedded.database_url("postgres"), "agrupa", None).await?;
        Ok(Self {
            url: embedded.database_url("agrupa"),
            embedded: Some(embedded),
        })
    }
}

/// A built, listening application.
pub struct Application {
    port: u16,
    server: Server,
    pool: DbPool,
    embedded: Option<EmbeddedPostgres>,
}

impl Application {
    /// Connects to the database, applies migrations, binds the listener and builds the
    /// server (not yet running: call [`Application::run_until_stopped`]).
    pub async fn build(config: Config, database: Database) -> anyhow::Result<Self> {
        let applied = db::run_migrations(&database.url).await?;
        if !applied.is_empty() {
            tracing::info!(count = applied.len(), "migrations applied");
        }
        let pool = db::build_pool(&database.url, config.db_pool_size, config.db_timeout)?;
        let listener = TcpListener::bind(&config.addr)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
        let port = listener.local_addr()?.port();

        let spec = openapi_spec();
        let routes = web::Data::new(fallback::RouteTable::from_openapi(&spec));
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            expected_migrations: db::expected_migrations(),
            config: Arc::new(config.clone()),
        });
        let body_limit = config.body_limit;
        let mut server = actix_web::HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .configure(configure_routes)
                .split_for_parts();
            app.app_data(state.clone())
                .app_data(routes.clone())
                .app_data(extract::json_config(body_limit))
                .app_data(extract::form_config(body_limit))
                .app_data(extract::payload_config(body_limit))
                .app_data(extract::query_config())
                .app_data(extract::path_config())
                .service(
                    SwaggerUi::new("/swagger-ui/{_:.*}")
                        .url("/api-docs/openapi.json", spec.clone()),
                )
                .route(
                    "/swagger-ui",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect()
                            .insert_header(("Location", "/swagger-ui/"))
                            .finish()
                    }),
                )
                .default_service(web::to(fallback::not_routed))
                .wrap(from_fn(request_id::finalize))
                .wrap(TracingLogger::<AgrupaRootSpan>::new())
        })
        .listen(listener)?
        .shutdown_timeout(config.shutdown_timeout.as_secs());
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            pool,
            embedded: database.embedded,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/SIGINT, lets in-flight requests finish (bounded by
    /// `AGRUPA_SHUTDOWN_TIMEOUT_SECS`), closes the pool and stops the embedded database.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let result = self.server.await;
        tracing::info!("HTTP server stopped; closing the database pool");
        self.pool.close();
        if let Some(embedded) = self.embedded {
            tokio::task::spawn_blocking(move || embedded.stop()).await?;
            tracing::info!("embedded PostgreSQL stopped");
        }
        Ok(result?)
    }
}
