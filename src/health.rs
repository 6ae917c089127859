//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{AppState, db, error::ApiError};

/// The answer of a health probe.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the probe passed.
    #[schema(example = "ok")]
    pub status: String,
}

/// Registers the probes.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(healthz).service(readyz);
}

/// Liveness: the process is up and answering. Never touches the database.
#[utoipa::path(
    tag = "health",
    security(()),
    responses((status = 200, description = "The process is alive.", body = Health))
)]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// Readiness: the database is reachable within the pool timeout and every migration this
/// build knows is applied. Load balancers route traffic only to ready instances.
#[utoipa::path(
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Ready to serve.", body = Health),
        (status = 503, description = "Database unreachable or migrations pending.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // A stopping instance (draining after SIGTERM) is taken out of load balancers.
    if state.stopping.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(ApiError::unavailable("Not ready: shutting down."));
    }
    db::check_ready(&state.pool, &state.expected_migrations)
        .await
        .map_err(|e| ApiError::unavailable(format!("Not ready: {e}.")))?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
    }))
}
