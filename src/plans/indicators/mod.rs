//! Indicators (KPIs) of objectives and actions, with a target per year of the plan. They
//! are content: they change on draft plans only. Their measurements, recorded all year,
//! are in [`measurements`].

pub mod measurements;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    Locked, Tagged, frozen, lock_plan,
    model::{IndicatorChanges, IndicatorRow, PlanRow, TargetRow, check_value},
    repo, see_plan, visible_plan,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource, policy},
    domain::{IdMap, IndicatorId, NodeId, PlanId, text},
    error::{ApiError, FieldErrors, not_found, on_unique},
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::Page,
    },
};

/// The target of an indicator for one year of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Year, within the plan.
    #[schema(example = 2025)]
    pub year: i32,
    /// Target value.
    #[schema(example = 40.0)]
    pub value: f64,
}

impl From<TargetRow> for Target {
    fn from(t: TargetRow) -> Self {
        Self {
            year: t.year,
            value: t.value,
        }
    }
}

/// An indicator (KPI) of an objective or an action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Indicator {
    /// Id.
    pub id: IndicatorId,
    /// The plan.
    pub plan_id: PlanId,
    /// The objective or action it measures.
    pub node_id: NodeId,
    /// Name.
    #[schema(example = "Empresas socias con actividad internacional")]
    pub name: String,
    /// Unit.
    #[schema(example = "empresas")]
    pub unit: String,
    /// Whether higher values are better (false: lower is better).
    pub higher_is_better: bool,
    /// Value at the start.
    pub baseline: f64,
    /// Targets per year.
    pub targets: Vec<Target>,
    /// Order on its node.
    pub position: i32,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Indicator {
    /// The indicator with its targets.
    pub fn new(r: IndicatorRow, targets: Vec<Target>) -> Self {
        Self {
            id: r.id,
            plan_id: r.plan_id,
            node_id: r.node_id,
            name: r.name,
            unit: r.unit,
            higher_is_better: r.higher_is_better,
            baseline: r.baseline,
            targets,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for Indicator {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "plan_id",
            "node_id",
            "name",
            "unit",
            "higher_is_better",
            "baseline",
            "targets",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.plan_id.to_string(),
            self.node_id.to_string(),
            self.name.clone(),
            self.unit.clone(),
            self.higher_is_better.to_string(),
            self.baseline.to_string(),
            self.targets
                .iter()
                .map(|t| format!("{}:{}", t.year, t.value))
                .collect::<Vec<_>>()
                .join(" "),
        ]
    }
}

/// A new indicator (draft plans).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIndicator {
    /// The objective or action it measures.
    pub node_id: NodeId,
    /// Name (unique on its node).
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    /// Unit.
    #[schema(min_length = 1, max_length = 50, example = "%")]
    pub unit: String,
    /// Whether higher values are better (default true).
    pub higher_is_better: Option<bool>,
    /// Value at the start.
    pub baseline: f64,
    /// Targets per year of the plan.
    #[schema(max_items = 50)]
    pub targets: Option<Vec<Target>>,
    /// Order on its node.
    pub position: Option<i32>,
}

/// Changes to an indicator (draft plans). Needs `If-Match`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorPatch {
    /// Name.
    #[schema(min_length = 1, max_length = 300)]
    pub name: Option<String>,
    /// Unit.
    #[schema(min_length = 1, max_length = 50)]
    pub unit: Option<String>,
    /// Direction.
    pub higher_is_better: Option<bool>,
    /// Baseline.
    pub baseline: Option<f64>,
    /// Targets (replace the list).
    #[schema(max_items = 50)]
    pub targets: Option<Vec<Target>>,
    /// Order.
    pub position: Option<i32>,
}

/// Filters of the indicator list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// Plan.
    pub plan_id: Option<PlanId>,
    /// Objective or action.
    pub node_id: Option<NodeId>,
    /// Page size (1–100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    #[param(max_length = 1000)]
    pub cursor: Option<String>,
}

/// The most targets an indicator has (as the OpenAPI document says).
pub(crate) const MAX_TARGETS: usize = 50;

/// Checks the number of targets, which needs no database: before any lock or precondition.
fn check_target_count(problems: &mut FieldErrors, targets: Option<&[Target]>) {
    if targets.is_some_and(|t| t.len() > MAX_TARGETS) {
        problems.add(
            "targets",
            "too_many",
            format!("at most {MAX_TARGETS} targets"),
        );
    }
}

/// Checks targets: years within the plan, each once, finite values.
pub fn check_targets(problems: &mut FieldErrors, prefix: &str, plan: &PlanRow, targets: &[Target]) {
    let mut seen = std::collections::HashSet::new();
    for (i, t) in targets.iter().enumerate() {
        let path = format!("{prefix}targets[{i}]");
        if !(plan.start_year..=plan.end_year).contains(&t.year) {
            problems.add(
                &format!("{path}.year"),
                "out_of_range",
                format!(
                    "must be a year of the plan ({}–{})",
                    plan.start_year, plan.end_year
                ),
            );
        } else if !seen.insert(t.year) {
            problems.add(&format!("{path}.year"), "duplicate", "one target per year");
        }
        problems.check(&format!("{path}.value"), check_value(t.value));
    }
}

/// The targets of each indicator, as the API shows them.
pub fn targets_by(targets: &[TargetRow]) -> IdMap<IndicatorId, Vec<Target>> {
    let mut by: IdMap<IndicatorId, Vec<Target>> = IdMap::default();
    for t in targets {
        by.entry(t.indicator_id).or_default().push(Target::from(*t));
    }
    by
}

fn target_rows(indicator_id: IndicatorId, targets: &[Target]) -> Vec<TargetRow> {
    targets
        .iter()
        .map(|t| TargetRow {
            indicator_id,
            year: t.year,
            value: t.value,
        })
        .collect()
}

fn name_taken(e: diesel::result::Error) -> ApiError {
    on_unique(
        e,
        "indicators_name_key",
        "indicator_name_taken",
        "Another indicator of this node has this name.",
    )
}

// ---------------------------------------------------------------------------------------
// Handlers

/// Indicators, by node (or CSV). Members and partners see those of approved plans.
#[utoipa::path(tag = "plans", params(IndicatorQuery),
    responses((status = 200, description = "A page of indicators (or CSV).",
        content((Page<Indicator> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/indicators")]
pub async fn list_indicators(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<IndicatorQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let q = query.into_inner();
    let (plan_id, node_id) = (q.plan_id, q.node_id);
    let public = !policy::reads_drafts(caller.role);
    let list = List {
        resource: "indicators",
        sort: "node",
        filename: "indicators.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        q.limit,
        q.cursor.as_deref(),
        async move |conn, after, n| {
            let rows = repo::list_indicators(conn, plan_id, node_id, public, after, n).await?;
            with_targets(conn, rows).await
        },
        |i: &Indicator| (i.node_id, i.position, i.name.clone()),
        std::convert::identity,
    )
    .await
}

/// Adds an indicator to an objective or an action (staff, admins; draft plans only).
#[utoipa::path(tag = "plans", request_body = NewIndicator, responses(
    (status = 201, description = "Created.", body = Indicator),
    (status = 404, description = "No such node (`node_id`).", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "`plan_frozen`, `indicator_name_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/indicators")]
pub async fn create_indicator(
    caller: Caller,
    body: Json<NewIndicator>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let ind = create(&mut conn, &caller, body.into_inner()).await?;
    Ok(etag::created(location(ind.id), 1, &ind))
}

/// One indicator.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Indicator id")), responses(
    (status = 200, description = "The indicator.", body = Indicator),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/indicators/{id}")]
pub async fn get_indicator(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<IndicatorId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let ind = get(&mut conn, &caller, id.into_inner()).await?;
    Ok(etag::respond(&req, ind.version, &ind.body))
}

/// Changes an indicator (staff, admins; draft plans only). Needs `If-Match`.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Indicator id"),
    ("If-Match" = String, Header, description = "ETag from a GET")),
    request_body = IndicatorPatch, responses(
    (status = 200, description = "Changed.", body = Indicator),
    (status = 409, description = "`plan_frozen`, `indicator_name_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/indicators/{id}")]
pub async fn update_indicator(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<IndicatorId>,
    body: Json<IndicatorPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let (id, patch) = (id.into_inner(), body.into_inner());
    let ind = update(&mut conn, &caller, id, precondition, patch).await?;
    Ok(etag::updated(ind.version, &ind.body))
}

/// Deletes an indicator with its measurements (staff, admins; draft plans only). Needs
/// `If-Match`.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Indicator id"),
    ("If-Match" = String, Header, description = "ETag from a GET")), responses(
    (status = 204, description = "Deleted."),
    (status = 409, description = "`plan_frozen`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/indicators/{id}")]
pub async fn delete_indicator(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<IndicatorId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    delete(&mut conn, &caller, id.into_inner(), precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Where an indicator is read.
fn location(id: IndicatorId) -> String {
    format!("/api/v1/indicators/{id}")
}

// ---------------------------------------------------------------------------------------
// Services

/// Adds an indicator to an objective or an action (staff, admins): 422 `node_id` unknown
/// for a node that does not exist or that the caller may not see, 409 `plan_frozen`, 422
/// with every problem of its fields, 409 `indicator_name_taken`.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewIndicator,
) -> Result<Indicator, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let mut counted = FieldErrors::default();
    check_target_count(&mut counted, input.targets.as_deref());
    counted.finish()?;
    let unknown = || FieldErrors::one("node_id", "unknown", "no such objective or action");
    conn.transaction::<_, ApiError, _>(async |conn| {
        let node = match repo::find_node(conn, input.node_id, false).await {
            Err(diesel::result::Error::NotFound) => return Err(unknown()),
            found => found?,
        };
        see_plan(conn, caller, node.plan_id).await.map_err(|e| {
            if e.code() == "not_found" {
                unknown()
            } else {
                e
            }
        })?;
        let plan = repo::find_plan(conn, node.plan_id, true).await?;
        frozen(&plan)?;
        let mut problems = FieldErrors::default();
        if !node.kind.has_indicators() {
            problems.add(
                "node_id",
                "not_allowed",
                "indicators belong to objectives and actions",
            );
        }
        let name = problems.check("name", text::name(&input.name, 300));
        let unit = problems.check("unit", text::name(&input.unit, 50));
        problems.check("baseline", check_value(input.baseline));
        let targets = input.targets.clone().unwrap_or_default();
        check_targets(&mut problems, "", &plan, &targets);
        problems.finish()?;
        let now = Utc::now();
        let row = IndicatorRow {
            id: IndicatorId::new(),
            plan_id: plan.id,
            node_id: node.id,
            node_kind: node.kind,
            name: name.unwrap_or_default(),
            unit: unit.unwrap_or_default(),
            higher_is_better: input.higher_is_better.unwrap_or(true),
            baseline: input.baseline,
            position: input.position.unwrap_or(0),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let row = repo::insert_indicator(conn, &row)
            .await
            .map_err(name_taken)?;
        repo::set_targets(conn, row.id, &target_rows(row.id, &targets)).await?;
        repo::touch_plan(conn, plan.id).await?;
        let ind = Indicator::new(row, targets);
        audit::created(conn, caller, "indicator", ind.id.uuid(), &ind).await?;
        Ok(ind)
    })
    .await
}

/// One indicator with its targets, if the caller may see its plan (404 otherwise).
pub async fn get(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: IndicatorId,
) -> Result<Tagged<Indicator>, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let row = visible_indicator(conn, caller, id).await?;
    let version = row.version;
    let body = indicator_dto(conn, row).await?;
    Ok(Tagged { version, body })
}

/// Changes an indicator (staff, admins): 422 for bad values (before anything is read), 404,
/// 428/412, 409 `plan_frozen`, 422 for targets outside the plan, 409
/// `indicator_name_taken`.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: IndicatorId,
    precondition: Precondition,
    patch: IndicatorPatch,
) -> Result<Tagged<Indicator>, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let mut problems = FieldErrors::default();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| problems.check("name", text::name(n, 300)));
    let unit = patch
        .unit
        .as_deref()
        .and_then(|u| problems.check("unit", text::name(u, 50)));
    if let Some(b) = patch.baseline {
        problems.check("baseline", check_value(b));
    }
    check_target_count(&mut problems, patch.targets.as_deref());
    problems.finish()?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let Locked { plan, current } = lock(conn, caller, id, &precondition).await?;
        frozen(&plan)?;
        let mut problems = FieldErrors::default();
        if let Some(t) = &patch.targets {
            check_targets(&mut problems, "", &plan, t);
        }
        problems.finish()?;
        let before = indicator_dto(conn, current).await?;
        let changes = IndicatorChanges {
            name,
            unit,
            higher_is_better: patch.higher_is_better,
            baseline: patch.baseline,
            position: patch.position,
        };
        let updated = repo::update_indicator(conn, id, &changes)
            .await
            .map_err(name_taken)?;
        if let Some(t) = &patch.targets {
            repo::set_targets(conn, id, &target_rows(id, t)).await?;
        }
        repo::touch_plan(conn, plan.id).await?;
        let version = updated.version;
        let after = indicator_dto(conn, updated).await?;
        audit::updated(conn, caller, "indicator", id.uuid(), &before, &after).await?;
        Ok(Tagged {
            version,
            body: after,
        })
    })
    .await
}

/// Deletes an indicator with its targets and measurements (staff, admins): 404, 428/412,
/// 409 `plan_frozen`.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: IndicatorId,
    precondition: Precondition,
) -> Result<(), ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let Locked { plan, current } = lock(conn, caller, id, &precondition).await?;
        frozen(&plan)?;
        let before = indicator_dto(conn, current).await?;
        repo::delete_indicator(conn, id).await?;
        repo::touch_plan(conn, plan.id).await?;
        audit::deleted(conn, caller, "indicator", id.uuid(), &before).await
    })
    .await
}

/// The plan and the indicator, locked in that order after the caller was found to see
/// them, and the caller's `If-Match` checked against the indicator.
async fn lock(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: IndicatorId,
    precondition: &Precondition,
) -> Result<Locked<IndicatorRow>, ApiError> {
    let found = repo::find_indicator(conn, id, false).await?;
    let plan = lock_plan(conn, caller, found.plan_id).await?;
    let current = repo::find_indicator(conn, id, true).await?;
    precondition.check(current.version, IfMatch::Required)?;
    Ok(Locked { plan, current })
}

/// The indicator, if the caller may see its plan (unlocked; 404 otherwise).
async fn visible_indicator(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: IndicatorId,
) -> Result<IndicatorRow, ApiError> {
    let ind = repo::find_indicator(conn, id, false).await?;
    visible_plan(conn, caller, ind.plan_id).await?;
    Ok(ind)
}

/// Indicators with their targets, as the API shows them.
async fn with_targets(
    conn: &mut AsyncPgConnection,
    rows: Vec<IndicatorRow>,
) -> Result<Vec<Indicator>, ApiError> {
    let ids: Vec<IndicatorId> = rows.iter().map(|r| r.id).collect();
    let mut by = targets_by(&repo::targets_of(conn, &ids).await?);
    Ok(rows
        .into_iter()
        .map(|r| {
            let t = by.remove(&r.id).unwrap_or_default();
            Indicator::new(r, t)
        })
        .collect())
}

/// One indicator with its targets, as the API shows it.
async fn indicator_dto(
    conn: &mut AsyncPgConnection,
    row: IndicatorRow,
) -> Result<Indicator, ApiError> {
    with_targets(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(not_found)
}
