//! The floor of issue 18: the requests `bench/members.sh` measures, served by running
//! exactly the SQL statements agrupa runs for them (captured from PostgreSQL with
//! `log_statement = all`; see `sql.rs`), with the same parameters, the rows written as JSON,
//! and nothing else: no authentication, middleware or logging.
//!
//! Environment: `DATABASE_URL` (URL or key=value; `host=/var/run/postgresql` for the unix
//! socket), `FLOOR_ADDR` (127.0.0.1:18390), `FLOOR_WORKERS` (the cores), `FLOOR_POOL_SIZE`
//! (16, as agrupa's), and the principal agrupa's caller check reads: `FLOOR_USER_ID` and
//! `FLOOR_JTI` (the benchmark token's subject and id).
//!
//! Routes (agrupa's paths, so that the same wrk scripts run against both):
//! - `GET /api/v1/members/{id}`: agrupa's one statement (caller check and member together);
//! - `GET /bare/api/v1/members/{id}`: the member read alone (`member_cards`), no caller check;
//! - `GET /api/v1/members?…`: the caller check, then the keyset page (filters `status`, `size`,
//!   `municipality`, `q`, `limit`, `cursor`, sorted by name, as agrupa builds it);
//! - `GET /api/v1/plans/{id}/tree`: the caller check and the plan's statements;
//! - `GET /api/v1/budgets/{id}/report`: the caller check and the report's statements.

mod db;
mod sql;

use std::{str::FromStr, time::Duration};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, get, web};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use db::{Conn, DbResult, Manager, Pool, write_rows};
use serde::Deserialize;
use tokio_postgres::Row;
use uuid::Uuid;

struct State {
    pool: Pool,
    user_id: Uuid,
    jti: Uuid,
}

type Data = web::Data<State>;

fn fail(e: String) -> HttpResponse {
    HttpResponse::InternalServerError().body(e)
}

fn json(body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}

async fn conn(state: &State) -> DbResult<deadpool::managed::Object<Manager>> {
    state.pool.get().await.map_err(|e| e.to_string())
}

/// agrupa's caller check of a user's token (one statement).
async fn caller_check(c: &mut Conn, state: &State) -> DbResult<()> {
    let rows = c
        .cached(sql::USER_PRINCIPAL, &[&state.jti, &state.user_id, &1_i64])
        .await?;
    match rows.first() {
        Some(_) => Ok(()),
        None => Err("no such user".into()),
    }
}

/// GET member by id as agrupa runs it: the caller check and the member, one statement.
#[get("/api/v1/members/{id}")]
async fn member(state: Data, id: web::Path<Uuid>) -> HttpResponse {
    let run = async {
        let mut c = conn(&state).await?;
        let id = id.into_inner();
        c.cached(
            sql::MEMBER_WITH_USER,
            &[&state.jti, &id, &state.user_id],
        )
        .await
    };
    match run.await {
        Ok(rows) => match rows.first() {
            Some(row) => {
                let mut out = Vec::with_capacity(1024);
                db::write_row(&mut out, row);
                json(out)
            }
            None => HttpResponse::NotFound().finish(),
        },
        Err(e) => fail(e),
    }
}

/// GET member by id, the member read alone (no caller check).
#[get("/bare/api/v1/members/{id}")]
async fn member_bare(state: Data, id: web::Path<Uuid>) -> HttpResponse {
    let run = async {
        let mut c = conn(&state).await?;
        let id = id.into_inner();
        c.cached(sql::MEMBER, &[&id, &1_i64]).await
    };
    match run.await {
        Ok(rows) => match rows.first() {
            Some(row) => {
                let mut out = Vec::with_capacity(1024);
                db::write_row(&mut out, row);
                json(out)
            }
            None => HttpResponse::NotFound().finish(),
        },
        Err(e) => fail(e),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    size: Option<String>,
    municipality: Option<String>,
    q: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// The key in agrupa's cursor (its MAC is not checked: no authentication here).
#[derive(Deserialize)]
struct Envelope {
    k: Key,
}

#[derive(Deserialize)]
enum Key {
    Name(String, Uuid),
}

fn like_pattern(q: &str) -> String {
    let escaped = q
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A page of members sorted by name, for the four lists benchmarked: agrupa's caller check,
/// then its keyset statement (not cached by diesel: it carries SQL fragments, so it is
/// prepared on every request, as here).
#[get("/api/v1/members")]
async fn members(state: Data, req: HttpRequest) -> HttpResponse {
    let Ok(query) = web::Query::<ListQuery>::from_query(req.query_string()) else {
        return HttpResponse::BadRequest().finish();
    };
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(25);
    let fetch = limit + 1;
    let after = match q.cursor.as_deref().map(|c| {
        let payload = c.split_once('.').map_or(c, |(p, _)| p);
        URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|b| serde_json::from_slice::<Envelope>(&b).ok())
    }) {
        None => None,
        Some(Some(Envelope {
            k: Key::Name(n, id),
        })) => Some((n, id)),
        Some(None) => return HttpResponse::BadRequest().finish(),
    };
    let run = async {
        let mut c = conn(&state).await?;
        caller_check(&mut c, &state).await?;
        match (q.status, q.size, q.municipality, &q.q, after) {
            (Some(status), Some(size), Some(m), None, None) => {
                c.uncached(sql::LIST_FILTERED, &[&status, &size, &m, &fetch])
                    .await
            }
            (None, None, None, Some(text), None) => {
                let pattern = like_pattern(text);
                c.uncached(sql::LIST_SEARCH, &[text, &pattern, &fetch])
                    .await
            }
            (None, None, None, None, Some((name, id))) => {
                c.uncached(sql::LIST_DEEP, &[&name, &id, &fetch]).await
            }
            (None, None, None, None, None) => c.uncached(sql::LIST_PAGE1, &[&fetch]).await,
            _ => Err("not a benchmarked list".into()),
        }
    };
    match run.await {
        Ok(mut rows) => {
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let mut out = Vec::with_capacity(1024 * rows.len().max(1));
            out.extend_from_slice(b"{\"items\":");
            write_rows(&mut out, &rows);
            out.extend_from_slice(b",\"next_cursor\":");
            match rows.last().filter(|_| more) {
                Some(last) => {
                    let name: &str = last.get("legal_name");
                    let id: Uuid = last.get("id");
                    let payload =
                        serde_json::json!({"r": "members", "s": "name", "k": {"Name": [name, id]}});
                    let cursor = format!(
                        "{}.{}",
                        URL_SAFE_NO_PAD.encode(payload.to_string()),
                        URL_SAFE_NO_PAD.encode([0_u8; 16])
                    );
                    let _ = serde_json::to_writer(&mut out, &cursor);
                }
                None => out.extend_from_slice(b"null"),
            }
            out.push(b'}');
            json(out)
        }
        Err(e) => fail(e),
    }
}

/// Writes `"name":[rows…]` (after a comma unless first).
fn field(out: &mut Vec<u8>, name: &str, rows: &[Row]) {
    if out.last() != Some(&b'{') {
        out.push(b',');
    }
    let _ = serde_json::to_writer(&mut *out, name);
    out.push(b':');
    write_rows(out, rows);
}

fn uuids(rows: &[Row], column: &str) -> Vec<Uuid> {
    rows.iter().map(|r| r.get(column)).collect()
}

/// The plan tree: agrupa's caller check and its five statements (the plan, its nodes,
/// participants, indicators, and the indicators' targets).
#[get("/api/v1/plans/{id}/tree")]
async fn plan_tree(state: Data, id: web::Path<Uuid>) -> HttpResponse {
    let id = id.into_inner();
    let mut out = Vec::with_capacity(64 * 1024);
    let run = async {
        let mut c = conn(&state).await?;
        caller_check(&mut c, &state).await?;
        let plan = c.cached(sql::PLAN, &[&id, &1_i64]).await?;
        if plan.is_empty() {
            return Ok(false);
        }
        out.push(b'{');
        field(&mut out, "plan", &plan);
        let nodes = c.cached(sql::PLAN_NODES, &[&id]).await?;
        field(&mut out, "nodes", &nodes);
        let participants = c.cached(sql::PLAN_PARTICIPANTS, &[&id]).await?;
        field(&mut out, "participants", &participants);
        let indicators = c.cached(sql::PLAN_INDICATORS, &[&id]).await?;
        field(&mut out, "indicators", &indicators);
        let ids = uuids(&indicators, "id");
        let targets = c.cached(sql::INDICATOR_TARGETS, &[&ids]).await?;
        field(&mut out, "targets", &targets);
        out.push(b'}');
        Ok(true)
    };
    match run.await {
        Ok(true) => json(out),
        Ok(false) => HttpResponse::NotFound().finish(),
        Err(e) => fail(e),
    }
}

/// Statuses of the applications whose lines name an income source (agrupa's constant).
const GRANTED: [&str; 6] = [
    "granted",
    "partially_granted",
    "accepted",
    "justification_submitted",
    "justified",
    "closed",
];

/// The budget report: agrupa's caller check, the budget, then in one REPEATABLE READ, READ
/// ONLY transaction the lines, totals, shares, categories, the year's approved version, the
/// actions and axes named by the shares, the income lines' lineages and their sources, fee
/// categories and pending income; the ids each statement binds come from the rows before,
/// as in agrupa.
#[get("/api/v1/budgets/{id}/report")]
async fn budget_report(state: Data, id: web::Path<Uuid>) -> HttpResponse {
    let id = id.into_inner();
    let mut out = Vec::with_capacity(256 * 1024);
    let run = async {
        let mut c = conn(&state).await?;
        caller_check(&mut c, &state).await?;
        let budget = c.cached(sql::BUDGET, &[&id, &1_i64]).await?;
        let Some(year) = budget.first().map(|b| b.get::<_, i32>("fiscal_year")) else {
            return Ok(false);
        };
        out.push(b'{');
        field(&mut out, "budget", &budget);
        c.simple(sql::BEGIN).await?;
        let result = async {
            let lines = c.cached(sql::BUDGET_LINES, &[&id]).await?;
            field(&mut out, "lines", &lines);
            // Totals and shares are read but not written: agrupa folds them into the lines,
            // actions and axes it answers (the floor's body stays about the size of agrupa's).
            let _totals = c.cached(sql::BUDGET_TOTALS, &[&id, &year]).await?;
            let shares = c.cached(sql::BUDGET_SHARES, &[&id]).await?;
            let categories = c.cached(sql::BUDGET_CATEGORIES, &[&i64::MAX]).await?;
            field(&mut out, "categories", &categories);
            let approved = c
                .cached(sql::APPROVED_OF_YEAR, &[&year, &"approved", &1_i64])
                .await?;
            field(&mut out, "approved", &approved);
            if let Some(a) = approved.first().map(|a| a.get::<_, Uuid>("id"))
                && a != id
            {
                let approved_lines = c.cached(sql::BUDGET_LINES, &[&a]).await?;
                field(&mut out, "approved_lines", &approved_lines);
            }
            let mut actions = uuids(&shares, "action_id");
            actions.sort();
            actions.dedup();
            let action_rows = c.cached(sql::NODES_BY_IDS, &[&actions]).await?;
            field(&mut out, "actions", &action_rows);
            let axes = uuids(&action_rows, "axis_id");
            let axis_rows = c.cached(sql::NODES_BY_IDS, &[&axes]).await?;
            field(&mut out, "axes", &axis_rows);
            let income: Vec<Uuid> = lines
                .iter()
                .filter(|l| l.get::<_, &str>("kind") == "income")
                .map(|l| l.get("line_key"))
                .collect();
            let lineages = c.cached(sql::LINES_OF_LINEAGES, &[&income]).await?;
            let (ids, keys) = (uuids(&lineages, "id"), uuids(&lineages, "line_key"));
            let agreements = c.cached(sql::AGREEMENT_INSTALMENTS, &[&year, &ids]).await?;
            field(&mut out, "agreements", &agreements);
            let booked = c.cached(sql::APPLICATION_INCOME, &[&year, &keys]).await?;
            field(&mut out, "booked", &booked);
            let granted = &GRANTED[..];
            let applied = c.cached(sql::APPLICATION_LINES, &[&ids, &granted]).await?;
            field(&mut out, "applied", &applied);
            let fees: Vec<Uuid> = lines
                .iter()
                .filter_map(|l| l.get::<_, Option<Uuid>>("source_member_category_id"))
                .collect();
            if !fees.is_empty() {
                let names = c.cached(sql::CATEGORY_NAMES, &[&fees]).await?;
                field(&mut out, "fees", &names);
            }
            let pending = c.cached(sql::PENDING_INCOME, &[&year]).await?;
            field(&mut out, "pending_income", &pending);
            Ok::<_, String>(())
        }
        .await;
        match result {
            Ok(()) => c.simple("COMMIT").await?,
            Err(e) => {
                let _ = c.simple("ROLLBACK").await;
                return Err(e);
            }
        }
        out.push(b'}');
        Ok(true)
    };
    match run.await {
        Ok(true) => json(out),
        Ok(false) => HttpResponse::NotFound().finish(),
        Err(e) => fail(e),
    }
}

fn env_or<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> std::io::Result<()> {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let config = tokio_postgres::Config::from_str(&url)
        .map_err(|e| std::io::Error::other(format!("DATABASE_URL: {e}")))?;
    let addr = std::env::var("FLOOR_ADDR").unwrap_or_else(|_| "127.0.0.1:18390".into());
    let workers = env_or(
        "FLOOR_WORKERS",
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    );
    let pool_size = env_or("FLOOR_POOL_SIZE", 16_usize);
    let user_id = env_or("FLOOR_USER_ID", Uuid::nil());
    let jti = env_or("FLOOR_JTI", Uuid::nil());
    actix_web::rt::System::new().block_on(async move {
        let pool = Pool::builder(Manager { config })
            .max_size(pool_size)
            .wait_timeout(Some(Duration::from_secs(3)))
            .create_timeout(Some(Duration::from_secs(3)))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(std::io::Error::other)?;
        let state = web::Data::new(State { pool, user_id, jti });
        HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .service(member)
                .service(member_bare)
                .service(members)
                .service(plan_tree)
                .service(budget_report)
        })
        .workers(workers)
        .bind(&addr)?
        .run()
        .await
    })
}
