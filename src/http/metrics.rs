//! Prometheus metrics at `GET /metrics` (text exposition format 0.0.4), per instance:
//! request duration histograms by method, route and status; requests in flight; database
//! pool size, connections in use, waiters, and the time spent waiting for a connection.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    sync::{
        Mutex,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};

use actix_web::{HttpResponse, dev::ServiceRequest, get, web};

use actix_web::FromRequest as _;

use crate::{
    AppState,
    auth::{Caller, Role},
    error::ApiError,
};

/// Histogram bucket upper bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {}",
                self.counts[i]
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// What one route's requests did: a histogram for each method and status it answered with
/// (a handful), and the SQL statements they ran.
#[derive(Debug, Default, Clone)]
struct RouteStats {
    answers: Vec<(String, u16, Histogram)>,
    /// `None` for the pseudo-route of requests that failed before they reached one.
    statements: Option<u64>,
}

/// The metrics of one process.
#[derive(Debug, Default)]
pub struct Metrics {
    /// By route: looked up by the route's text, so that recording a request allocates no key
    /// once its route has been seen (one lock for its histogram and its statements; the
    /// route's text itself is still built by actix for each request).
    routes: Mutex<BTreeMap<String, RouteStats>>,
    in_flight: AtomicI64,
    finished: std::sync::atomic::AtomicU64,
    pool_wait: Mutex<Histogram>,
}

impl Metrics {
    /// Requests finished since start-up, and whether any is being handled now.
    pub fn activity(&self) -> (u64, bool) {
        (
            self.finished.load(Ordering::Relaxed),
            self.in_flight.load(Ordering::Relaxed) > 0,
        )
    }

    /// Records one finished request: its time, and the SQL statements it ran (`None` when it
    /// failed before it reached a route).
    pub fn observe_request(
        &self,
        method: &str,
        route: &str,
        status: u16,
        elapsed: Duration,
        statements: Option<u64>,
    ) {
        self.finished.fetch_add(1, Ordering::Relaxed);
        let mut routes = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let stats = match routes.get_mut(route) {
            Some(stats) => stats,
            None => routes.entry(route.to_owned()).or_default(),
        };
        let seconds = elapsed.as_secs_f64();
        match stats
            .answers
            .iter_mut()
            .find(|(m, s, _)| m == method && *s == status)
        {
            Some((_, _, histogram)) => histogram.observe(seconds),
            None => {
                let mut histogram = Histogram::default();
                histogram.observe(seconds);
                stats.answers.push((method.to_owned(), status, histogram));
            }
        }
        if let Some(count) = statements {
            *stats.statements.get_or_insert(0) += count;
        }
    }

    /// Records a wait for a database connection.
    pub fn observe_pool_wait(&self, elapsed: Duration) {
        self.pool_wait
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .observe(elapsed.as_secs_f64());
    }

    /// The exposition text.
    pub fn render(&self, pools: &crate::db::worker_pools::WorkerPools) -> String {
        let mut out = String::new();
        out.push_str("# HELP agrupa_http_request_duration_seconds Time to answer HTTP requests.\n");
        out.push_str("# TYPE agrupa_http_request_duration_seconds histogram\n");
        let routes = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let mut answers: Vec<_> = routes
            .iter()
            .flat_map(|(route, stats)| {
                stats
                    .answers
                    .iter()
                    .map(move |(method, status, h)| (method, route, *status, h))
            })
            .collect();
        answers.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        for (method, route, status, h) in answers {
            let labels = format!(
                "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                label(route)
            );
            h.write(&mut out, "agrupa_http_request_duration_seconds", &labels);
        }
        out.push_str("# HELP agrupa_http_requests_in_flight Requests being handled now.\n");
        out.push_str("# TYPE agrupa_http_requests_in_flight gauge\n");
        let _ = writeln!(
            out,
            "agrupa_http_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        let status = pools.status();
        for (name, help, value) in [
            (
                "agrupa_db_pool_max_size",
                "Largest number of database connections for requests.",
                status.max_size,
            ),
            (
                "agrupa_db_pool_size",
                "Open database connections for requests.",
                status.size,
            ),
            (
                "agrupa_db_pool_in_use",
                "Connections handed out now.",
                status.size.saturating_sub(status.available),
            ),
            (
                "agrupa_db_pool_waiting",
                "Requests waiting for a connection.",
                status.waiting,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out.push_str(
            "# HELP agrupa_db_statements_total SQL statements run by requests, by route.\n",
        );
        out.push_str("# TYPE agrupa_db_statements_total counter\n");
        for (route, count) in routes
            .iter()
            .filter_map(|(route, s)| s.statements.map(|c| (route, c)))
        {
            let _ = writeln!(
                out,
                "agrupa_db_statements_total{{route=\"{}\"}} {count}",
                label(route)
            );
        }
        out.push_str(
            "# HELP agrupa_db_pool_wait_seconds Time spent waiting for a database connection.\n",
        );
        out.push_str("# TYPE agrupa_db_pool_wait_seconds histogram\n");
        self.pool_wait
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .write(&mut out, "agrupa_db_pool_wait_seconds", "");
        out
    }
}

/// A route for a label: regex constraints dropped (`{id:[0-9a-f-]+}` → `{id}`), escaped.
fn label(route: &str) -> String {
    let mut out = String::with_capacity(route.len());
    let mut skipping = false;
    for c in route.chars() {
        match c {
            ':' if !skipping
                && out.ends_with(|p: char| p.is_alphanumeric() || p == '_')
                && out.contains('{') =>
            {
                skipping = out.rfind('{') > out.rfind('}');
                if !skipping {
                    out.push(c);
                }
            }
            '}' if skipping => {
                skipping = false;
                out.push('}');
            }
            _ if skipping => {}
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
    out
}

/// The middleware (a step of [`super::layers`]): in-flight gauge and duration histogram.
pub async fn measure(
    req: ServiceRequest,
    next: impl AsyncFnOnce(ServiceRequest) -> super::Answer,
) -> super::Answer {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next(req).await;
    };
    let started = Instant::now();
    let method = req.method().clone();
    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let counter = std::cell::Cell::new(0);
    let (result, statements) = crate::db::STATEMENTS_IN_REQUEST
        .scope(counter, async {
            let result = next(req).await;
            (
                result,
                crate::db::STATEMENTS_IN_REQUEST.with(std::cell::Cell::get),
            )
        })
        .await;
    state.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    match result {
        Ok(res) => {
            let res = res.map_into_boxed_body();
            let route = res.request().match_pattern();
            state.metrics.observe_request(
                method.as_str(),
                route.as_deref().unwrap_or("(unmatched)"),
                res.status().as_u16(),
                started.elapsed(),
                Some(statements),
            );
            Ok(res)
        }
        Err(err) => {
            let status = err.as_response_error().status_code().as_u16();
            state.metrics.observe_request(
                method.as_str(),
                "(error)",
                status,
                started.elapsed(),
                None,
            );
            Err(err)
        }
    }
}

/// Prometheus metrics of this instance (text exposition format).
///
/// They name every route and
/// its traffic, so they are not public: the scraper sends `Authorization: Bearer` with the
/// configured `AGRUPA_METRICS_TOKEN`, or an admin's access token. When `AGRUPA_METRICS_ADDR`
/// is set, they are served there (without authentication: keep that address private) and
/// this path answers 404.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Prometheus text format.", body = String, content_type = "text/plain"),
        (status = 404, description = "Served on `AGRUPA_METRICS_ADDR` instead.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn metrics(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if state.config.metrics_addr.is_some() {
        return Err(crate::error::not_found());
    }
    let bearer = super::bearer_token(req.headers());
    let by_token = match (bearer, &state.config.metrics_token) {
        (Some(given), Some(expected)) => {
            use subtle::ConstantTimeEq;
            bool::from(given.as_bytes().ct_eq(expected.trim().as_bytes()))
        }
        _ => false,
    };
    if !by_token {
        let caller = Caller::extract(&req).await?;
        if caller.role != Role::Admin {
            return Err(ApiError::forbidden(
                "Only admins (or the metrics token) may read the metrics.",
            ));
        }
    }
    Ok(render(&state))
}

/// `/metrics` on the separate metrics address (`AGRUPA_METRICS_ADDR`): no authentication.
pub async fn metrics_private(state: web::Data<AppState>) -> HttpResponse {
    render(&state)
}

fn render(state: &AppState) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&state.pools))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_are_counted_by_method_route_and_status_and_statements_by_route() {
        let pools = crate::db::worker_pools::WorkerPools::new(
            "postgres://nobody@127.0.0.1:1/none",
            2,
            1,
            false,
            Duration::from_millis(10),
        )
        .unwrap();
        let m = Metrics::default();
        let ms = Duration::from_millis(3);
        m.observe_request("POST", "/a", 201, ms, Some(1));
        m.observe_request("GET", "/a", 200, ms, Some(2));
        m.observe_request("GET", "/a", 200, ms, Some(0));
        m.observe_request("GET", "/b", 304, ms, Some(0));
        m.observe_request("GET", "(error)", 400, ms, None);
        let text = m.render(&pools);
        let count = |labels: &str| {
            let prefix = format!("agrupa_http_request_duration_seconds_count{{{labels}}} ");
            text.lines()
                .find_map(|l| l.strip_prefix(prefix.as_str()))
                .map(str::to_owned)
        };
        assert_eq!(
            count("method=\"GET\",route=\"/a\",status=\"200\"").as_deref(),
            Some("2")
        );
        assert_eq!(
            count("method=\"POST\",route=\"/a\",status=\"201\"").as_deref(),
            Some("1")
        );
        assert_eq!(
            count("method=\"GET\",route=\"(error)\",status=\"400\"").as_deref(),
            Some("1")
        );
        assert!(
            text.contains("agrupa_db_statements_total{route=\"/a\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("agrupa_db_statements_total{route=\"/b\"} 0\n"),
            "{text}"
        );
        assert!(
            !text.contains("agrupa_db_statements_total{route=\"(error)\"}"),
            "{text}"
        );
        // Ordered by method, route and status, as before.
        let at = |needle: &str| text.find(needle).unwrap();
        assert!(at("method=\"GET\",route=\"(error)\"") < at("method=\"GET\",route=\"/a\""));
        assert!(at("method=\"GET\",route=\"/b\"") < at("method=\"POST\",route=\"/a\""));
        assert_eq!(m.activity(), (5, false));
    }

    #[test]
    fn route_labels_drop_regex_constraints() {
        assert_eq!(
            label("/api/v1/members/{id:[0-9a-fA-F-]+}/dues/{year}"),
            "/api/v1/members/{id}/dues/{year}"
        );
        assert_eq!(label("/swagger-ui/{_:.*}"), "/swagger-ui/{_}");
        assert_eq!(label("/a\"b"), "/a\\\"b");
    }

    #[test]
    fn histograms_are_cumulative() {
        let mut h = Histogram::default();
        h.observe(0.003);
        h.observe(0.2);
        let mut out = String::new();
        h.write(&mut out, "x", "a=\"b\"");
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.0025\"} 0"));
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.005\"} 1"));
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.25\"} 2"));
        assert!(out.contains("x_bucket{a=\"b\",le=\"+Inf\"} 2"));
        assert!(out.contains("x_count{a=\"b\"} 2"));
    }
}
