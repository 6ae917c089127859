//! HTTP handlers of the strategic plan. Structure changes lock the plan row first (then the
//! node), check that the plan is a draft and bump the plan's version, so a plan's ETag
//! changes with its content and an approval with `If-Match` approves exactly what was read.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use super::{
    document::{
        self, PlanDocument, check_action, check_labels, check_period, children_of, targets_by,
    },
    dto::{
        ActionInput, ActionQuery, DiffQuery, FieldChange, Indicator, IndicatorPatch,
        IndicatorProgress, IndicatorQuery, Measurement, NewApproval, NewIndicator, NewMeasurement,
        NewNode, NewPlan, Node, NodeChange, NodePatch, NodeRef, Plan, PlanDiff, PlanPatch,
        PlanQuery, Progress, ProgressNode, StatusCounts, Target, Tree, TreeNode, YearAttainment,
    },
    model::{
        self, ActionStatus, IndicatorChanges, IndicatorRow, MeasurementRow, NodeChanges, NodeKind,
        NodeRow, PlanChanges, PlanRow, PlanStatus, TargetRow, check_code, check_value,
    },
    repo,
};
use crate::{
    AppState,
    audit::{self, Change},
    auth::{Action, Caller, Resource, Role, policy},
    domain::calendar::today,
    domain::text,
    error::{ApiError, FieldErrors, not_found, on_unique},
    http::{
        csv::{self, CsvRow},
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
};

const CODE_TAKEN: &str = "Another node of this plan has this code.";

/// The plan if the caller may see it (drafts: staff, admins, auditors), else 404.
async fn visible_plan(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<PlanRow, ApiError> {
    let plan = repo::find_plan(conn, id, false).await?;
    if plan.status == PlanStatus::Draft && !policy::reads_drafts(caller.role) {
        return Err(not_found());
    }
    Ok(plan)
}

/// A node of `kind` and its plan, if the caller may see them, else 404.
async fn visible_node(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    kind: NodeKind,
) -> Result<(NodeRow, PlanRow), ApiError> {
    let node = node_of_kind(conn, id, kind).await?;
    let plan = visible_plan(conn, caller, node.plan_id).await?;
    Ok((node, plan))
}

/// A node of this kind (a node of another kind answers 404). Writers use it alone: whoever
/// may write sees every plan.
async fn node_of_kind(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    kind: NodeKind,
) -> Result<NodeRow, ApiError> {
    let node = repo::find_node(conn, id, false).await?;
    if node.kind != kind {
        return Err(not_found());
    }
    Ok(node)
}

/// Nodes with their participants, as DTOs.
async fn with_participants(
    conn: &mut AsyncPgConnection,
    rows: Vec<NodeRow>,
) -> Result<Vec<Node>, ApiError> {
    let actions: Vec<Uuid> = rows
        .iter()
        .filter(|n| n.kind == NodeKind::Action)
        .map(|n| n.id)
        .collect();
    let mut by_action: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if !actions.is_empty() {
        for p in repo::participants_of(conn, &actions).await? {
            by_action.entry(p.action_id).or_default().push(p.member_id);
        }
    }
    let today = today();
    Ok(rows
        .into_iter()
        .map(|n| {
            let participants = by_action.remove(&n.id).unwrap_or_default();
            Node::new(n, participants, today)
        })
        .collect())
}

/// One node with its participants, as its DTO.
async fn node_dto(conn: &mut AsyncPgConnection, row: NodeRow) -> Result<Node, ApiError> {
    with_participants(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(not_found)
}

/// Checks the references of an action: the responsible is an active staff user, the
/// participants are members of the register.
async fn check_action_refs(
    conn: &mut AsyncPgConnection,
    input: &ActionInput,
) -> Result<(), ApiError> {
    let mut problems = FieldErrors::default();
    if let Some(Some(r)) = input.responsible_id
        && !repo::active_staff(conn, &[r]).await?.contains(&r)
    {
        problems.add(
            "action.responsible_id",
            "unknown",
            "not an active staff or admin user",
        );
    }
    if let Some(ids) = &input.participant_ids {
        let known = repo::existing_members(conn, ids).await?;
        let mut seen = HashSet::new();
        for (i, id) in ids.iter().enumerate() {
            let path = format!("action.participant_ids[{i}]");
            if !seen.insert(id) {
                problems.add(&path, "duplicate", "listed twice");
            } else if !known.contains(id) {
                problems.add(&path, "unknown", "no such member in the register");
            }
        }
    }
    problems.finish()
}

fn frozen(plan: &PlanRow) -> Result<(), ApiError> {
    plan.check_editable()
        .map_err(|msg| ApiError::conflict("plan_frozen", msg))
}

fn node_location(kind: NodeKind, id: Uuid) -> String {
    format!("/api/v1/{}/{id}", kind.plural())
}

// ---------------------------------------------------------------------------------------
// Plans

/// Plan versions, newest first. Members and partners see approved, superseded and closed
/// versions; staff, admins and auditors see drafts too.
#[utoipa::path(tag = "plans", params(PlanQuery),
    responses((status = 200, description = "A page of plans (or CSV).",
        content((Page<Plan> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/plans")]
pub async fn list_plans(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PlanQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let status = query.status;
    let public = !policy::reads_drafts(caller.role);
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::list_plans(&mut conn, status, public, after, n).await?)
        }
    };
    let list = List {
        resource: "plans",
        sort: "-created_at",
        filename: "plans.csv",
    };
    let key_of = |r: &PlanRow| (r.created_at, r.id);
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        Plan::from,
    )
    .await
}

/// Creates a draft plan (staff, admins). Fill it node by node, or import a whole document
/// with `POST /api/v1/plans/import`.
#[utoipa::path(tag = "plans", request_body = NewPlan, responses(
    (status = 201, description = "Created.", body = Plan)))]
#[post("/api/v1/plans")]
pub async fn create_plan(
    caller: Caller,
    body: Json<NewPlan>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let input = body.into_inner();
    let doc = PlanDocument {
        title: input.title,
        description: input.description,
        start_year: input.start_year,
        end_year: input.end_year,
        depth: input.depth.unwrap_or(4),
        labels: input.labels.unwrap_or_default(),
        axes: Vec::new(),
    };
    let mut problems = FieldErrors::default();
    let row = document::header(&mut problems, &doc, Uuid::now_v7());
    problems.finish()?;
    let mut conn = state.conn().await?;
    let plan = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let plan = repo::insert_plan(conn, &row).await?;
            let after = Plan::from(plan.clone());
            audit::created(conn, &caller, "plan", plan.id, &after).await?;
            Ok(plan)
        })
        .await?;
    Ok(etag::created(
        format!("/api/v1/plans/{}", plan.id),
        plan.version,
        &Plan::from(plan),
    ))
}

/// One plan version.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id")), responses(
    (status = 200, description = "The plan.", body = Plan),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/plans/{id:[0-9a-fA-F-]+}")]
pub async fn get_plan(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let mut conn = state.conn().await?;
    let plan = visible_plan(&mut conn, &caller, id.into_inner()).await?;
    Ok(etag::respond(&req, plan.version, &Plan::from(plan)))
}

/// Changes a draft plan (staff, admins). Needs `If-Match`; an approved plan is frozen (409).
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id"),
    ("If-Match" = String, Header, description = "ETag from a GET")),
    request_body = PlanPatch, responses(
    (status = 200, description = "Changed.", body = Plan),
    (status = 409, description = "`plan_frozen`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/plans/{id:[0-9a-fA-F-]+}")]
pub async fn update_plan(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<PlanPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let precondition = Precondition::from_request(&req);
    let patch = body.into_inner();
    let id = id.into_inner();
    // What can be checked without the plan first, so a bad body is a 422 whatever the tag.
    let mut problems = FieldErrors::default();
    let title = patch
        .title
        .as_deref()
        .and_then(|t| problems.check("title", text::name(t, 300)));
    let description = match &patch.description {
        Some(d) => problems.check("description", text::optional(d.as_deref(), 10_000)),
        None => None,
    };
    for (field, year) in [
        ("start_year", patch.start_year),
        ("end_year", patch.end_year),
    ] {
        if year.is_some_and(|y| !(1900..=2219).contains(&y)) {
            problems.add(field, "out_of_range", "must be between 1900 and 2219");
        }
    }
    let labels = patch
        .labels
        .as_ref()
        .map(|l| check_labels(&mut problems, "", l));
    problems.finish()?;
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_plan(conn, id, true).await?;
            precondition.check(current.version, IfMatch::Required)?;
            frozen(&current)?;
            let mut problems = FieldErrors::default();
            let (start, end) = (
                patch.start_year.unwrap_or(current.start_year),
                patch.end_year.unwrap_or(current.end_year),
            );
            check_period(&mut problems, "", start, end);
            if (start, end) != (current.start_year, current.end_year) {
                // Nothing the plan holds may fall outside its new years.
                let years = start..=end;
                for n in repo::plan_nodes(conn, id).await? {
                    for d in [n.start_date, n.end_date].into_iter().flatten() {
                        if !years.contains(&chrono::Datelike::year(&d)) {
                            problems.add(
                                "end_year",
                                "outside",
                                format!("action {} has a date ({d}) outside {start}–{end}", n.code),
                            );
                        }
                    }
                }
                let years_with_targets = repo::target_years(conn, id).await?;
                if years_with_targets.iter().any(|y| !years.contains(y)) {
                    problems.add(
                        "end_year",
                        "outside",
                        format!("indicator targets fall outside {start}–{end}"),
                    );
                }
            }
            problems.finish()?;
            let changes = PlanChanges {
                title,
                description,
                start_year: patch.start_year,
                end_year: patch.end_year,
                label_axis: labels.as_ref().map(|l| l.axis.clone()),
                label_area: labels.as_ref().map(|l| l.area.clone()),
                label_objective: labels.as_ref().map(|l| l.objective.clone()),
                label_action: labels.map(|l| l.action),
            };
            let updated = repo::update_plan(conn, id, &changes).await?;
            let (before, after) = (Plan::from(current), Plan::from(updated.clone()));
            audit::updated(conn, &caller, "plan", id, &before, &after).await?;
            Ok(updated)
        })
        .await?;
    Ok(etag::updated(row.version, &Plan::from(row)))
}

/// Deletes a draft plan with its content (staff, admins). Needs `If-Match`. Approved
/// versions are never deleted (409).
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id"),
    ("If-Match" = String, Header, description = "ETag from a GET")), responses(
    (status = 204, description = "Deleted."),
    (status = 409, description = "`plan_frozen`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/plans/{id:[0-9a-fA-F-]+}")]
pub async fn delete_plan(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let precondition = Precondition::from_request(&req);
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let current = repo::find_plan(conn, id, true).await?;
        precondition.check(current.version, IfMatch::Required)?;
        frozen(&current)?;
        repo::delete_plan(conn, id).await.map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                _,
            ) => ApiError::conflict(
                "plan_in_use",
                "Budgets (or a revision) refer to this plan; change them first.",
            ),
            other => other.into(),
        })?;
        audit::deleted(conn, &caller, "plan", id, &Plan::from(current)).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Approves a draft plan version (admins, until assemblies exist): it becomes frozen, and
/// the version it revises becomes `superseded`. Needs `If-Match`: you approve exactly the
/// content you read.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id"),
    ("If-Match" = String, Header, description = "ETag from a GET of the plan")),
    request_body = NewApproval, responses(
    (status = 200, description = "Approved.", body = Plan),
    (status = 403, description = "Not an admin.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "`plan_not_draft`, `plan_empty`, `revised_plan_not_current`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/plans/{id:[0-9a-fA-F-]+}/approval")]
pub async fn approve_plan(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<NewApproval>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    if caller.role != Role::Admin {
        return Err(ApiError::forbidden(
            "Only an admin records the approval of a plan (the General Assembly's decision).",
        ));
    }
    let precondition = Precondition::from_request(&req);
    let input = body.into_inner();
    let mut problems = FieldErrors::default();
    let reference = problems.check("reference", text::name(&input.reference, 500));
    problems.finish()?;
    let reference = reference.unwrap_or_default();
    let on = input.approved_on.unwrap_or_else(today);
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_plan(conn, id, true).await?;
            precondition.check(current.version, IfMatch::Required)?;
            super::approve(conn, &caller, id, on, &reference).await
        })
        .await?;
    Ok(etag::updated(row.version, &Plan::from(row)))
}

/// Creates a draft revision of the approved version (staff, admins): a full copy to
/// change; approving it supersedes this one.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id")), responses(
    (status = 201, description = "The new draft version.", body = Plan),
    (status = 409, description = "`plan_not_approved`, `revision_exists`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/plans/{id:[0-9a-fA-F-]+}/revisions")]
pub async fn revise_plan(
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| super::revise(conn, &caller, id).await)
        .await?;
    Ok(etag::created(
        format!("/api/v1/plans/{}", row.id),
        row.version,
        &Plan::from(row),
    ))
}

/// A flat row of the tree (CSV).
impl CsvRow for TreeNode {
    fn header() -> &'static [&'static str] {
        Node::header()
    }

    fn cells(&self) -> Vec<String> {
        self.node.cells()
    }
}

fn flatten<'a>(nodes: &'a [TreeNode], out: &mut Vec<&'a TreeNode>) {
    for n in nodes {
        out.push(n);
        flatten(&n.children, out);
    }
}

/// Everything a whole-plan answer needs, in a fixed number of statements.
struct Whole {
    plan: PlanRow,
    nodes: Vec<NodeRow>,
    participants: HashMap<Uuid, Vec<Uuid>>,
    indicators: Vec<IndicatorRow>,
    targets: Vec<TargetRow>,
    measurements: Vec<MeasurementRow>,
}

/// The plan, its nodes and participants, and (with `indicators`) its indicators, targets
/// and measurements.
async fn load_whole(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    indicators: bool,
) -> Result<Whole, ApiError> {
    let plan = visible_plan(conn, caller, id).await?;
    let nodes = repo::plan_nodes(conn, id).await?;
    let mut participants: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for p in repo::plan_participants(conn, id).await? {
        participants
            .entry(p.action_id)
            .or_default()
            .push(p.member_id);
    }
    for list in participants.values_mut() {
        list.sort();
    }
    let (indicators, targets, measurements) = if indicators {
        repo::plan_indicators(conn, id).await?
    } else {
        Default::default()
    };
    Ok(Whole {
        plan,
        nodes,
        participants,
        indicators,
        targets,
        measurements,
    })
}

/// The whole plan nested in one answer: axes → areas → objectives → actions, each with
/// its indicators (read in a fixed number of queries, whatever the plan's size). With
/// `Accept: text/csv`, one row per node in tree order.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id")), responses(
    (status = 200, description = "The tree (or CSV).",
        content((Tree = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/plans/{id:[0-9a-fA-F-]+}/tree")]
pub async fn plan_tree(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let mut conn = state.conn().await?;
    let mut w = load_whole(&mut conn, &caller, id.into_inner(), true).await?;
    drop(conn);
    let today = today();
    let children = children_of(&w.nodes);
    let targets = targets_by(&w.targets);
    let mut indicators: HashMap<Uuid, Vec<Indicator>> = HashMap::new();
    for i in w.indicators.drain(..) {
        let t = targets.get(&i.id).cloned().unwrap_or_default();
        indicators
            .entry(i.node_id)
            .or_default()
            .push(Indicator::new(i, t));
    }
    fn build(
        parent: Option<Uuid>,
        children: &HashMap<Option<Uuid>, Vec<&NodeRow>>,
        participants: &HashMap<Uuid, Vec<Uuid>>,
        indicators: &HashMap<Uuid, Vec<Indicator>>,
        today: NaiveDate,
    ) -> Vec<TreeNode> {
        children
            .get(&parent)
            .map(|list| {
                list.iter()
                    .map(|n| TreeNode {
                        node: Node::new(
                            (*n).clone(),
                            participants.get(&n.id).cloned().unwrap_or_default(),
                            today,
                        ),
                        indicators: indicators.get(&n.id).cloned().unwrap_or_default(),
                        children: build(Some(n.id), children, participants, indicators, today),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    let axes = build(None, &children, &w.participants, &indicators, today);
    if csv::wants_csv(&req) {
        let mut flat = Vec::new();
        flatten(&axes, &mut flat);
        let rows: Vec<TreeNode> = flat
            .into_iter()
            .map(|t| TreeNode {
                node: t.node.clone(),
                indicators: Vec::new(),
                children: Vec::new(),
            })
            .collect();
        return Ok(csv::attachment("plan-tree.csv", &rows));
    }
    Ok(HttpResponse::Ok().json(Tree {
        plan: Plan::from(w.plan),
        axes,
    }))
}

/// A flat row of the progress report (CSV).
#[derive(Debug)]
struct ProgressRow {
    depth: usize,
    node: ProgressNode,
}

impl CsvRow for ProgressRow {
    fn header() -> &'static [&'static str] {
        &[
            "level",
            "kind",
            "code",
            "title",
            "weight",
            "progress",
            "not_started",
            "in_progress",
            "completed",
            "delayed",
            "cancelled",
            "overdue_actions",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let n = &self.node;
        vec![
            (self.depth + 1).to_string(),
            n.kind.to_string(),
            n.code.clone(),
            n.title.clone(),
            n.weight.to_string(),
            n.progress.map(|p| p.to_string()).unwrap_or_default(),
            n.actions.not_started.to_string(),
            n.actions.in_progress.to_string(),
            n.actions.completed.to_string(),
            n.actions.delayed.to_string(),
            n.actions.cancelled.to_string(),
            n.overdue_actions.to_string(),
        ]
    }
}

fn flatten_progress(nodes: &[ProgressNode], depth: usize, out: &mut Vec<ProgressRow>) {
    for n in nodes {
        let mut copy = n.clone();
        copy.children = Vec::new();
        copy.indicators = Vec::new();
        out.push(ProgressRow { depth, node: copy });
        flatten_progress(&n.children, depth + 1, out);
    }
}

/// The plan's progress as of today: action progress rolled up the tree by weight
/// (cancelled actions left out), actions by status and overdue actions per node, and each
/// indicator's attainment per year of the plan (computed from the latest measurement of
/// the year; never stored). With `Accept: text/csv`, one row per node.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id")), responses(
    (status = 200, description = "The progress report (or CSV).",
        content((Progress = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/plans/{id:[0-9a-fA-F-]+}/progress")]
pub async fn plan_progress(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let mut conn = state.conn().await?;
    let w = load_whole(&mut conn, &caller, id.into_inner(), true).await?;
    drop(conn);
    let today = today();
    let (rollups, total) = model::rollup(&w.nodes, today);
    let children = children_of(&w.nodes);
    let targets = targets_by(&w.targets);
    let mut measurements: HashMap<Uuid, Vec<MeasurementRow>> = HashMap::new();
    for m in w.measurements {
        measurements.entry(m.indicator_id).or_default().push(m);
    }
    let years: Vec<i32> = (w.plan.start_year..=w.plan.end_year).collect();
    let mut indicators: HashMap<Uuid, Vec<IndicatorProgress>> = HashMap::new();
    for i in &w.indicators {
        let t = targets.get(&i.id).cloned().unwrap_or_default();
        let ms = measurements.get(&i.id).map(Vec::as_slice).unwrap_or(&[]);
        let per_year = years
            .iter()
            .map(|&year| {
                let target = t.iter().find(|t| t.year == year).map(|t| t.value);
                let value = model::value_in_year(ms, year).map(|m| m.value);
                YearAttainment {
                    year,
                    target,
                    value,
                    attainment_pct: target
                        .zip(value)
                        .map(|(t, v)| model::attainment(i.higher_is_better, i.baseline, t, v)),
                }
            })
            .collect();
        indicators
            .entry(i.node_id)
            .or_default()
            .push(IndicatorProgress {
                id: i.id,
                name: i.name.clone(),
                unit: i.unit.clone(),
                higher_is_better: i.higher_is_better,
                baseline: i.baseline,
                years: per_year,
            });
    }
    fn build(
        parent: Option<Uuid>,
        children: &HashMap<Option<Uuid>, Vec<&NodeRow>>,
        rollups: &HashMap<Uuid, model::Rollup>,
        indicators: &HashMap<Uuid, Vec<IndicatorProgress>>,
    ) -> Vec<ProgressNode> {
        children
            .get(&parent)
            .map(|list| {
                list.iter()
                    .map(|n| {
                        let r = rollups.get(&n.id).cloned().unwrap_or_default();
                        ProgressNode {
                            id: n.id,
                            kind: n.kind,
                            code: n.code.clone(),
                            title: n.title.clone(),
                            weight: n.weight,
                            progress: r.progress,
                            actions: StatusCounts::from(r.by_status),
                            overdue_actions: r.overdue,
                            indicators: indicators.get(&n.id).cloned().unwrap_or_default(),
                            children: build(Some(n.id), children, rollups, indicators),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    let axes = build(None, &children, &rollups, &indicators);
    if csv::wants_csv(&req) {
        let mut rows = Vec::new();
        flatten_progress(&axes, 0, &mut rows);
        return Ok(csv::attachment("plan-progress.csv", &rows));
    }
    Ok(HttpResponse::Ok().json(Progress {
        plan: Plan::from(w.plan),
        as_of: today,
        progress: total.progress,
        actions: StatusCounts::from(total.by_status),
        overdue_actions: total.overdue,
        axes,
    }))
}

/// The whole plan as one JSON document (the shape `POST /api/v1/plans/import` takes):
/// import it back and you get an equal plan.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id")), responses(
    (status = 200, description = "The plan document.", body = PlanDocument)))]
#[get("/api/v1/plans/{id:[0-9a-fA-F-]+}/export")]
pub async fn export_plan(
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let mut conn = state.conn().await?;
    let plan = visible_plan(&mut conn, &caller, id.into_inner()).await?;
    let doc = super::load_document(&mut conn, &plan).await?;
    Ok(HttpResponse::Ok().json(doc))
}

/// Creates a draft plan from one document, all or nothing (staff, admins): a document
/// with problems creates nothing, and the 422 lists every problem with its JSON path
/// (`axes[0].children[1].code`).
#[utoipa::path(tag = "plans", request_body = PlanDocument, responses(
    (status = 201, description = "The new draft plan.", body = Plan),
    (status = 422, description = "`invalid_plan_document`, with every problem in `errors`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/plans/import")]
pub async fn import_plan(
    caller: Caller,
    body: Json<PlanDocument>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let doc = body.into_inner();
    let mut conn = state.conn().await?;
    let plan = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let rows = document::build(conn, &doc, Uuid::now_v7(), true).await?;
            repo::insert_rows(conn, &rows).await?;
            let plan = repo::find_plan(conn, rows.plan.id, false).await?;
            let after = Plan::from(plan.clone());
            audit::record(
                conn,
                &caller,
                Change {
                    action: "imported",
                    resource_type: "plan",
                    resource_id: plan.id,
                    before: None,
                    after: Some(&after),
                },
            )
            .await?;
            Ok(plan)
        })
        .await?;
    Ok(etag::created(
        format!("/api/v1/plans/{}", plan.id),
        plan.version,
        &Plan::from(plan),
    ))
}

/// What this version adds, removes and changes against another (`against`), nodes
/// matched by code.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id"), DiffQuery),
    responses(
    (status = 200, description = "The differences.", body = PlanDiff)))]
#[get("/api/v1/plans/{id:[0-9a-fA-F-]+}/diff")]
pub async fn diff_plans(
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<DiffQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    // A diff compares nodes only: no indicators.
    let this = load_whole(&mut conn, &caller, id, false).await?;
    let other = load_whole(&mut conn, &caller, query.against, false).await?;
    drop(conn);
    type Content = std::collections::BTreeMap<&'static str, serde_json::Value>;
    let index = |w: &Whole| -> Vec<(String, NodeKind, String, Content)> {
        let codes: HashMap<Uuid, &str> = w.nodes.iter().map(|n| (n.id, n.code.as_str())).collect();
        w.nodes
            .iter()
            .map(|n| {
                let parent = n.parent_id.and_then(|p| codes.get(&p).copied());
                let participants = w.participants.get(&n.id).cloned().unwrap_or_default();
                (
                    n.code.clone(),
                    n.kind,
                    n.title.clone(),
                    model::comparable(n, parent, &participants),
                )
            })
            .collect()
    };
    let mine = index(&this);
    let theirs = index(&other);
    let theirs_by: HashMap<&str, &Content> =
        theirs.iter().map(|(c, _, _, v)| (c.as_str(), v)).collect();
    let mine_codes: HashSet<&str> = mine.iter().map(|(c, ..)| c.as_str()).collect();
    let mut diff = PlanDiff {
        plan_id: id,
        against: query.against,
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
    };
    for (code, kind, title, content) in &mine {
        match theirs_by.get(code.as_str()) {
            None => diff.added.push(NodeRef {
                code: code.clone(),
                kind: *kind,
                title: title.clone(),
            }),
            Some(before) => {
                let changes = model::field_diff(before, content);
                if !changes.is_empty() {
                    diff.changed.push(NodeChange {
                        code: code.clone(),
                        kind: *kind,
                        changes: changes
                            .into_iter()
                            .map(|(field, before, after)| FieldChange {
                                field,
                                before,
                                after,
                            })
                            .collect(),
                    });
                }
            }
        }
    }
    for (code, kind, title, _) in &theirs {
        if !mine_codes.contains(code.as_str()) {
            diff.removed.push(NodeRef {
                code: code.clone(),
                kind: *kind,
                title: title.clone(),
            });
        }
    }
    diff.added.sort_by(|a, b| a.code.cmp(&b.code));
    diff.removed.sort_by(|a, b| a.code.cmp(&b.code));
    diff.changed.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(HttpResponse::Ok().json(diff))
}

// ---------------------------------------------------------------------------------------
// Nodes

/// Where new children go: the plan (axes) or a node of a given kind.
#[derive(Debug, Clone, Copy)]
enum Parent {
    Plan(Uuid),
    Node(Uuid, NodeKind),
}

/// Resolves a parent the caller may see: its plan and, for nodes, the node.
async fn resolve_parent(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    parent: Parent,
    child: NodeKind,
) -> Result<(PlanRow, Option<NodeRow>), ApiError> {
    let (plan, node) = match parent {
        Parent::Plan(id) => (visible_plan(conn, caller, id).await?, None),
        Parent::Node(id, kind) => {
            let (node, plan) = visible_node(conn, caller, id, kind).await?;
            (plan, Some(node))
        }
    };
    let expected = match &node {
        None => Some(NodeKind::Axis),
        Some(n) => n.kind.child(plan.depth),
    };
    if expected != Some(child) {
        return Err(ApiError::conflict(
            "wrong_level",
            format!(
                "In this plan ({} levels) {} hold {}.",
                plan.depth,
                node.as_ref()
                    .map_or("plans".to_owned(), |n| n.kind.plural().to_owned()),
                expected.map_or("nothing below them".to_owned(), |k| k.plural().to_owned())
            ),
        ));
    }
    Ok((plan, node))
}

async fn list_children(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    parent: Parent,
    child: NodeKind,
    query: PageQuery,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let (plan, node) = {
        let mut conn = state.conn().await?;
        resolve_parent(&mut conn, &caller, parent, child).await?
    };
    let (plan_id, parent_id) = (plan.id, node.map(|n| n.id));
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            let rows = repo::children(&mut conn, plan_id, parent_id, after, n).await?;
            with_participants(&mut conn, rows).await
        }
    };
    let list = List {
        resource: child.plural(),
        sort: "position",
        filename: "nodes.csv",
    };
    let key_of = |n: &Node| (n.position, n.code.clone());
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        std::convert::identity,
    )
    .await
}

/// The node fields of a creation or a patch, checked.
fn check_node_fields(
    problems: &mut FieldErrors,
    code: Option<&str>,
    title: Option<&str>,
    description: Option<Option<&str>>,
    weight: Option<i32>,
) -> (Option<String>, Option<String>, Option<Option<String>>) {
    let code = code.and_then(|c| problems.check("code", check_code(c)));
    let title = title.and_then(|t| problems.check("title", text::name(t, 300)));
    let description =
        description.and_then(|d| problems.check("description", text::optional(d, 10_000)));
    if let Some(w) = weight {
        document::check_weight(problems, "weight", w);
    }
    (code, title, description)
}

async fn create_child(
    caller: Caller,
    state: web::Data<AppState>,
    parent: Parent,
    child: NodeKind,
    body: NewNode,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let mut conn = state.conn().await?;
    let node = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let (plan, parent_node) = resolve_parent(conn, &caller, parent, child).await?;
            let plan = repo::find_plan(conn, plan.id, true).await?;
            frozen(&plan)?;
            if repo::count_nodes(conn, plan.id).await? >= document::MAX_NODES as i64 {
                return Err(ApiError::conflict(
                    "plan_too_large",
                    format!("A plan has at most {} nodes.", document::MAX_NODES),
                ));
            }
            let mut problems = FieldErrors::default();
            let (code, title, description) = check_node_fields(
                &mut problems,
                Some(&body.code),
                Some(&body.title),
                Some(body.description.as_deref()),
                body.weight,
            );
            let action = match (child, &body.action) {
                (NodeKind::Action, a) => Some(a.clone().unwrap_or_default()),
                (_, Some(_)) => {
                    problems.add(
                        "action",
                        "not_allowed",
                        format!("only actions have action fields; this is an {child}"),
                    );
                    None
                }
                (_, None) => None,
            };
            let id = Uuid::now_v7();
            let now = Utc::now();
            let position = match body.position {
                Some(p) => p,
                None => {
                    repo::next_position(conn, plan.id, parent_node.as_ref().map(|n| n.id)).await?
                }
            };
            let mut row = NodeRow {
                id,
                plan_id: plan.id,
                kind: child,
                parent_id: parent_node.as_ref().map(|n| n.id),
                parent_kind: parent_node.as_ref().map(|n| n.kind),
                axis_id: parent_node.as_ref().map_or(id, |n| n.axis_id),
                code: code.unwrap_or_default(),
                title: title.unwrap_or_default(),
                description: description.flatten(),
                position,
                weight: body.weight.unwrap_or(1),
                responsible_id: None,
                start_date: None,
                end_date: None,
                action_status: None,
                progress: None,
                planned_budget_cents: None,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            if let Some(a) = &action {
                let status = a.status.unwrap_or(ActionStatus::NotStarted);
                let progress = a.progress.unwrap_or(if status == ActionStatus::Completed {
                    100
                } else {
                    0
                });
                row.responsible_id = a.responsible_id.flatten();
                row.start_date = a.start_date.flatten();
                row.end_date = a.end_date.flatten();
                row.action_status = Some(status);
                row.progress = Some(progress);
                row.planned_budget_cents = a.planned_budget_cents.flatten();
                check_action(
                    &mut problems,
                    "action.",
                    &plan,
                    row.start_date,
                    row.end_date,
                    status,
                    progress,
                    row.planned_budget_cents,
                );
            }
            problems.finish()?;
            if let Some(a) = &action {
                check_action_refs(conn, a).await?;
            }
            let row = repo::insert_node(conn, &row)
                .await
                .map_err(|e| on_unique(e, "plan_nodes_code_key", "code_taken", CODE_TAKEN))?;
            if let Some(ids) = action.as_ref().and_then(|a| a.participant_ids.as_ref()) {
                repo::set_participants(conn, id, ids).await?;
            }
            repo::touch_plan(conn, plan.id).await?;
            let node = node_dto(conn, row).await?;
            audit::created(conn, &caller, "plan_node", id, &node).await?;
            Ok(node)
        })
        .await?;
    let version = 1;
    Ok(etag::created(node_location(child, node.id), version, &node))
}

async fn get_node(
    caller: Caller,
    state: web::Data<AppState>,
    id: Uuid,
    kind: NodeKind,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let mut conn = state.conn().await?;
    let (row, _) = visible_node(&mut conn, &caller, id, kind).await?;
    let version = row.version;
    let node = node_dto(&mut conn, row).await?;
    // The tag follows the node's version (for If-Match); `overdue` changes with the date
    // without it, so the node is always sent, never a 304.
    Ok(etag::updated(version, &node))
}

async fn update_node(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    id: Uuid,
    kind: NodeKind,
    patch: NodePatch,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let precondition = Precondition::from_request(&req);
    // What can be checked without the node first, so a bad body is a 422 whatever the tag.
    let mut problems = FieldErrors::default();
    let (code, title, description) = check_node_fields(
        &mut problems,
        patch.code.as_deref(),
        patch.title.as_deref(),
        patch.description.as_ref().map(Option::as_deref),
        patch.weight,
    );
    if let Some(a) = &patch.action {
        if a.progress.is_some_and(|p| !(0..=100).contains(&p)) {
            problems.add(
                "action.progress",
                "out_of_range",
                "must be between 0 and 100",
            );
        }
        if a.planned_budget_cents.flatten().is_some_and(|b| b < 0) {
            problems.add(
                "action.planned_budget_cents",
                "out_of_range",
                "must be 0 or more",
            );
        }
    }
    problems.finish()?;
    let mut conn = state.conn().await?;
    let (node, version) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let found = node_of_kind(conn, id, kind).await?;
            // The plan first, then the node: every change of a plan locks in this order.
            let plan = repo::find_plan(conn, found.plan_id, true).await?;
            let current = repo::find_node(conn, id, true).await?;
            precondition.check(current.version, IfMatch::Required)?;
            let mut problems = FieldErrors::default();
            let mut changes = NodeChanges {
                code,
                title,
                description,
                position: patch.position,
                weight: patch.weight,
                ..NodeChanges::default()
            };
            let action = patch.action.clone();
            if let Some(a) = &action {
                if kind != NodeKind::Action {
                    problems.add(
                        "action",
                        "not_allowed",
                        format!("only actions have action fields; this is an {kind}"),
                    );
                } else {
                    changes.responsible_id = a.responsible_id;
                    changes.start_date = a.start_date;
                    changes.end_date = a.end_date;
                    changes.planned_budget_cents = a.planned_budget_cents;
                    changes.action_status = a.status;
                    changes.progress = a
                        .progress
                        .or((a.status == Some(ActionStatus::Completed)).then_some(100));
                    let status = changes
                        .action_status
                        .or(current.action_status)
                        .unwrap_or(ActionStatus::NotStarted);
                    check_action(
                        &mut problems,
                        "action.",
                        &plan,
                        changes.start_date.unwrap_or(current.start_date),
                        changes.end_date.unwrap_or(current.end_date),
                        status,
                        changes.progress.or(current.progress).unwrap_or(0),
                        changes.planned_budget_cents.flatten(),
                    );
                }
            }
            if changes.changes_content() {
                frozen(&plan)?;
            } else if !matches!(plan.status, PlanStatus::Draft | PlanStatus::Approved) {
                return Err(ApiError::conflict(
                    "plan_frozen",
                    format!(
                        "The plan is {}: follow the actions on its current version.",
                        plan.status
                    ),
                ));
            }
            problems.finish()?;
            if let Some(a) = &action {
                check_action_refs(conn, a).await?;
            }
            let before = node_dto(conn, current).await?;
            let updated = repo::update_node(conn, id, &changes)
                .await
                .map_err(|e| on_unique(e, "plan_nodes_code_key", "code_taken", CODE_TAKEN))?;
            if let Some(ids) = action.as_ref().and_then(|a| a.participant_ids.as_ref()) {
                repo::set_participants(conn, id, ids).await?;
            }
            if changes.changes_content() {
                repo::touch_plan(conn, plan.id).await?;
            }
            let version = updated.version;
            let after = node_dto(conn, updated).await?;
            audit::updated(conn, &caller, "plan_node", id, &before, &after).await?;
            Ok((after, version))
        })
        .await?;
    Ok(etag::updated(version, &node))
}

async fn delete_node(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    id: Uuid,
    kind: NodeKind,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let found = node_of_kind(conn, id, kind).await?;
        let plan = repo::find_plan(conn, found.plan_id, true).await?;
        let current = repo::find_node(conn, id, true).await?;
        precondition.check(current.version, IfMatch::Required)?;
        frozen(&plan)?;
        if repo::has_children(conn, id).await? {
            return Err(ApiError::conflict(
                "node_has_children",
                format!(
                    "This {kind} still has {}; delete or move them first.",
                    kind.child(plan.depth).map_or("children", NodeKind::plural)
                ),
            ));
        }
        let before = node_dto(conn, current).await?;
        repo::delete_node(conn, id).await.map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                _,
            ) => ApiError::conflict(
                "node_in_use",
                "Budget lines are tied to this action; change their shares first.",
            ),
            other => other.into(),
        })?;
        repo::touch_plan(conn, plan.id).await?;
        audit::deleted(conn, &caller, "plan_node", id, &before).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Declares the list and create endpoints of one level's children.
macro_rules! children_endpoints {
    ($list:ident, $create:ident, $path:literal, $parent:expr, $child:expr, $what:literal, $of:literal) => {
        #[doc = concat!("The ", $what, " of ", $of, ", by position and code (or CSV).")]
        #[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Parent id"), PageQuery),
            responses(
            (status = 200, description = "A page of nodes (or CSV).",
                content((Page<Node> = "application/json"), (String = "text/csv"))),
            (status = 404, description = "No such parent.", body = crate::error::Problem, content_type = "application/problem+json"),
            (status = 409, description = "`wrong_level`: the plan's levels put other nodes here.", body = crate::error::Problem, content_type = "application/problem+json")))]
        #[get($path)]
        pub async fn $list(
            req: HttpRequest,
            caller: Caller,
            id: web::Path<Uuid>,
            query: web::Query<PageQuery>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            let parent = ($parent)(id.into_inner());
            list_children(req, caller, state, parent, $child, query.into_inner()).await
        }

        #[doc = concat!("Adds one of the ", $what, " of ", $of, " (staff, admins; draft plans only).")]
        #[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Parent id")),
            request_body = NewNode, responses(
            (status = 201, description = "Created.", body = Node),
            (status = 404, description = "No such parent.", body = crate::error::Problem, content_type = "application/problem+json"),
            (status = 409, description = "`plan_frozen`, `code_taken`, `wrong_level`.", body = crate::error::Problem, content_type = "application/problem+json")))]
        #[post($path)]
        pub async fn $create(
            caller: Caller,
            id: web::Path<Uuid>,
            body: Json<NewNode>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            let parent = ($parent)(id.into_inner());
            create_child(caller, state, parent, $child, body.into_inner()).await
        }
    };
}

/// Declares the read, change and delete endpoints of one level's nodes.
macro_rules! node_endpoints {
    ($get:ident, $update:ident, $delete:ident, $path:literal, $kind:expr, $what:literal) => {
        #[doc = concat!("One ", $what, ".")]
        #[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Node id")), responses(
            (status = 200, description = "The node.", body = Node),
            (status = 304, description = "Not modified.")))]
        #[get($path)]
        pub async fn $get(
            caller: Caller,
            id: web::Path<Uuid>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            get_node(caller, state, id.into_inner(), $kind).await
        }

        #[doc = concat!("Changes one ", $what, " (staff, admins). Needs `If-Match`. On an approved plan only the execution of an action (status, progress, responsible, participants) changes; the rest is frozen (409).")]
        #[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Node id"),
            ("If-Match" = String, Header, description = "ETag from a GET")),
            request_body = NodePatch, responses(
            (status = 200, description = "Changed.", body = Node),
            (status = 409, description = "`plan_frozen`, `code_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
        #[patch($path)]
        pub async fn $update(
            req: HttpRequest,
            caller: Caller,
            id: web::Path<Uuid>,
            body: Json<NodePatch>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            update_node(req, caller, state, id.into_inner(), $kind, body.into_inner()).await
        }

        #[doc = concat!("Deletes one ", $what, " without children (staff, admins; draft plans only). Needs `If-Match`.")]
        #[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Node id"),
            ("If-Match" = String, Header, description = "ETag from a GET")), responses(
            (status = 204, description = "Deleted."),
            (status = 409, description = "`plan_frozen`, `node_has_children`.", body = crate::error::Problem, content_type = "application/problem+json")))]
        #[delete($path)]
        pub async fn $delete(
            req: HttpRequest,
            caller: Caller,
            id: web::Path<Uuid>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            delete_node(req, caller, state, id.into_inner(), $kind).await
        }
    };
}

children_endpoints!(
    list_axes,
    create_axis,
    "/api/v1/plans/{id:[0-9a-fA-F-]+}/axes",
    Parent::Plan,
    NodeKind::Axis,
    "axes",
    "a plan"
);
children_endpoints!(
    list_areas,
    create_area,
    "/api/v1/axes/{id}/areas",
    |id| Parent::Node(id, NodeKind::Axis),
    NodeKind::Area,
    "areas",
    "an axis"
);
children_endpoints!(
    list_objectives,
    create_objective,
    "/api/v1/areas/{id}/objectives",
    |id| Parent::Node(id, NodeKind::Area),
    NodeKind::Objective,
    "objectives",
    "an area (four-level plans)"
);
children_endpoints!(
    list_objective_actions,
    create_objective_action,
    "/api/v1/objectives/{id}/actions",
    |id| Parent::Node(id, NodeKind::Objective),
    NodeKind::Action,
    "actions",
    "an objective"
);
children_endpoints!(
    list_area_actions,
    create_area_action,
    "/api/v1/areas/{id}/actions",
    |id| Parent::Node(id, NodeKind::Area),
    NodeKind::Action,
    "actions",
    "an area (three-level plans)"
);
node_endpoints!(
    get_axis,
    update_axis,
    delete_axis,
    "/api/v1/axes/{id}",
    NodeKind::Axis,
    "axis"
);
node_endpoints!(
    get_area,
    update_area,
    delete_area,
    "/api/v1/areas/{id}",
    NodeKind::Area,
    "area"
);
node_endpoints!(
    get_objective,
    update_objective,
    delete_objective,
    "/api/v1/objectives/{id}",
    NodeKind::Objective,
    "objective"
);
node_endpoints!(
    get_action,
    update_action,
    delete_action,
    "/api/v1/actions/{id:[0-9a-fA-F-]+}",
    NodeKind::Action,
    "action"
);

/// Actions across plans, by code, with filters (or CSV). A member representative sees the
/// actions their organisation takes part in; partners see the actions of approved plans.
#[utoipa::path(tag = "plans", params(ActionQuery),
    responses((status = 200, description = "A page of actions (or CSV).",
        content((Page<Node> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/actions")]
pub async fn list_actions(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<ActionQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let q = query.into_inner();
    let mut filter = repo::ActionFilter {
        plan_id: q.plan_id,
        axis_id: q.axis_id,
        status: q.status,
        responsible_id: q.responsible_id,
        member_id: q.member_id,
        overdue: q.overdue,
        today: Some(today()),
        public: !policy::reads_drafts(caller.role),
    };
    if caller.role == Role::Member {
        match (caller.member_id, q.member_id) {
            (Some(own), None) => filter.member_id = Some(own),
            (Some(own), Some(asked)) if own == asked => {}
            // Another organisation's actions, or no organisation: nothing.
            _ => filter.member_id = Some(Uuid::nil()),
        }
    }
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        let filter = filter.clone();
        async move {
            let mut conn = db.conn().await?;
            let rows = repo::list_actions(&mut conn, &filter, after, n).await?;
            with_participants(&mut conn, rows).await
        }
    };
    let list = List {
        resource: "actions",
        sort: "code",
        filename: "actions.csv",
    };
    let key_of = |n: &Node| (n.code.clone(), n.id);
    listing::respond(
        &req,
        &state,
        list,
        q.limit,
        q.cursor.as_deref(),
        fetch,
        key_of,
        std::convert::identity,
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Indicators

async fn with_targets(
    conn: &mut AsyncPgConnection,
    rows: Vec<IndicatorRow>,
) -> Result<Vec<Indicator>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut by = targets_by(&repo::targets_of(conn, &ids).await?);
    Ok(rows
        .into_iter()
        .map(|r| {
            let t = by.remove(&r.id).unwrap_or_default();
            Indicator::new(r, t)
        })
        .collect())
}

/// One indicator with its targets, as its DTO.
async fn indicator_dto(
    conn: &mut AsyncPgConnection,
    row: IndicatorRow,
) -> Result<Indicator, ApiError> {
    with_targets(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(not_found)
}

/// The indicator and its plan, if the caller may see them.
async fn visible_indicator(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<(IndicatorRow, PlanRow), ApiError> {
    let ind = repo::find_indicator(conn, id, false).await?;
    let plan = visible_plan(conn, caller, ind.plan_id).await?;
    Ok((ind, plan))
}

fn target_rows(indicator_id: Uuid, targets: &[Target]) -> Vec<TargetRow> {
    targets
        .iter()
        .map(|t| TargetRow {
            indicator_id,
            year: t.year,
            value: t.value,
        })
        .collect()
}

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
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            let rows = repo::list_indicators(&mut conn, plan_id, node_id, public, after, n).await?;
            with_targets(&mut conn, rows).await
        }
    };
    let list = List {
        resource: "indicators",
        sort: "node",
        filename: "indicators.csv",
    };
    let key_of = |i: &Indicator| (i.node_id, i.position, i.name.clone());
    listing::respond(
        &req,
        &state,
        list,
        q.limit,
        q.cursor.as_deref(),
        fetch,
        key_of,
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
    caller.require(Action::write(Resource::Plans))?;
    let input = body.into_inner();
    let mut conn = state.conn().await?;
    let ind = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let node = repo::find_node(conn, input.node_id, false)
                .await
                .map_err(|_| {
                    ApiError::unprocessable("validation_failed", "No such node.").with_errors(vec![
                        crate::error::FieldError::new(
                            "node_id",
                            "unknown",
                            "no such objective or action",
                        ),
                    ])
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
            document::check_targets(&mut problems, "", &plan, &targets);
            problems.finish()?;
            let now = Utc::now();
            let row = IndicatorRow {
                id: Uuid::now_v7(),
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
            let row = repo::insert_indicator(conn, &row).await.map_err(|e| {
                on_unique(
                    e,
                    "indicators_name_key",
                    "indicator_name_taken",
                    "Another indicator of this node has this name.",
                )
            })?;
            repo::set_targets(conn, row.id, &target_rows(row.id, &targets)).await?;
            repo::touch_plan(conn, plan.id).await?;
            let ind = Indicator::new(row, targets);
            audit::created(conn, &caller, "indicator", ind.id, &ind).await?;
            Ok(ind)
        })
        .await?;
    Ok(etag::created(
        format!("/api/v1/indicators/{}", ind.id),
        1,
        &ind,
    ))
}

/// One indicator.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Indicator id")), responses(
    (status = 200, description = "The indicator.", body = Indicator),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/indicators/{id}")]
pub async fn get_indicator(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let mut conn = state.conn().await?;
    let (row, _) = visible_indicator(&mut conn, &caller, id.into_inner()).await?;
    let version = row.version;
    let ind = indicator_dto(&mut conn, row).await?;
    Ok(etag::respond(&req, version, &ind))
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
    id: web::Path<Uuid>,
    body: Json<IndicatorPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let precondition = Precondition::from_request(&req);
    let patch = body.into_inner();
    let id = id.into_inner();
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
    problems.finish()?;
    let mut conn = state.conn().await?;
    let (ind, version) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let found = repo::find_indicator(conn, id, false).await?;
            let plan = repo::find_plan(conn, found.plan_id, true).await?;
            let current = repo::find_indicator(conn, id, true).await?;
            precondition.check(current.version, IfMatch::Required)?;
            frozen(&plan)?;
            let mut problems = FieldErrors::default();
            if let Some(t) = &patch.targets {
                document::check_targets(&mut problems, "", &plan, t);
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
                .map_err(|e| {
                    on_unique(
                        e,
                        "indicators_name_key",
                        "indicator_name_taken",
                        "Another indicator of this node has this name.",
                    )
                })?;
            if let Some(t) = &patch.targets {
                repo::set_targets(conn, id, &target_rows(id, t)).await?;
            }
            repo::touch_plan(conn, plan.id).await?;
            let version = updated.version;
            let after = indicator_dto(conn, updated).await?;
            audit::updated(conn, &caller, "indicator", id, &before, &after).await?;
            Ok((after, version))
        })
        .await?;
    Ok(etag::updated(version, &ind))
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
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let precondition = Precondition::from_request(&req);
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let found = repo::find_indicator(conn, id, false).await?;
        let plan = repo::find_plan(conn, found.plan_id, true).await?;
        let current = repo::find_indicator(conn, id, true).await?;
        precondition.check(current.version, IfMatch::Required)?;
        frozen(&plan)?;
        let before = indicator_dto(conn, current).await?;
        repo::delete_indicator(conn, id).await?;
        repo::touch_plan(conn, plan.id).await?;
        audit::deleted(conn, &caller, "indicator", id, &before).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Measurements of an indicator, by date (or CSV).
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Indicator id"), PageQuery),
    responses(
    (status = 200, description = "A page of measurements (or CSV).",
        content((Page<Measurement> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/indicators/{id}/measurements")]
pub async fn list_measurements(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let id = id.into_inner();
    {
        let mut conn = state.conn().await?;
        visible_indicator(&mut conn, &caller, id).await?;
    }
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::list_measurements(&mut conn, id, after, n).await?)
        }
    };
    let list = List {
        resource: "measurements",
        sort: "measured_on",
        filename: "measurements.csv",
    };
    let key_of = |m: &MeasurementRow| (m.measured_on, m.id);
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        Measurement::from,
    )
    .await
}

/// Records a measurement (staff, admins). Measuring is execution: it works on approved
/// plans too (not on superseded or closed ones).
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Indicator id")),
    request_body = NewMeasurement, responses(
    (status = 201, description = "Recorded.", body = Measurement),
    (status = 409, description = "`plan_frozen`: the plan is superseded or closed.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/indicators/{id}/measurements")]
pub async fn create_measurement(
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<NewMeasurement>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let input = body.into_inner();
    let mut problems = FieldErrors::default();
    problems.check("value", check_value(input.value));
    let source = problems.check("source", text::optional_line(input.source.as_deref(), 300));
    let note = problems.check("note", text::optional(input.note.as_deref(), 2000));
    problems.finish()?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let ind = repo::find_indicator(conn, id, false).await?;
            // Held until the measurement commits: the plan cannot be superseded under it.
            let plan = repo::share_plan(conn, ind.plan_id).await?;
            if !matches!(plan.status, PlanStatus::Draft | PlanStatus::Approved) {
                return Err(ApiError::conflict(
                    "plan_frozen",
                    format!(
                        "The plan is {}: record measurements on its current version.",
                        plan.status
                    ),
                ));
            }
            let row = MeasurementRow {
                id: Uuid::now_v7(),
                indicator_id: ind.id,
                measured_on: input.measured_on,
                value: input.value,
                source: source.flatten(),
                note: note.flatten(),
                recorded_by: Some(caller.id()),
                created_at: Utc::now(),
            };
            let row = repo::insert_measurement(conn, &row).await?;
            let after = Measurement::from(row.clone());
            audit::created(conn, &caller, "indicator_measurement", row.id, &after).await?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/indicators/{id}/measurements"),
        ))
        .json(Measurement::from(row)))
}
