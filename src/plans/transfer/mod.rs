//! A whole plan as one JSON document: what `GET /plans/{id}/export` writes and
//! `POST /plans/import` reads, and what revisions and the demo seed are built from. A
//! document is checked as a whole ([`build`]): every problem is listed with its JSON path,
//! and nothing is written unless there are none.

mod build;

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use build::{Rows, build, header};

use super::{
    indicators::{Target, targets_by},
    model::{
        ActionStatus, IndicatorRow, Indicators, MeasurementRow, NodeRow, ParticipantRow, PlanRow,
    },
    repo::{self, PlanIndicators},
    tree::children_of,
    versions::{Labels, Plan, location},
    visible_plan,
};
use crate::{
    AppState,
    audit::{self, Change},
    auth::{Action, Caller, Resource},
    domain::{Cents, IdMap, IndicatorId, MemberId, NodeId, PlanId, UserId},
    error::ApiError,
    http::{etag, json::Json},
};

/// Most nodes in one plan (so also in one list of axes or children of a document).
pub const MAX_NODES: usize = 5000;
/// Most indicators of one node in a document.
pub const MAX_INDICATORS: usize = 100;
/// Most measurements of one indicator in a document.
pub const MAX_MEASUREMENTS: usize = 1000;

fn default_depth() -> i16 {
    4
}

/// A whole plan: its header and its axes, each with its children down to the actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDocument {
    /// Title.
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// Description.
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// First year.
    #[schema(minimum = 1900, maximum = 2200)]
    pub start_year: i32,
    /// Last year.
    #[schema(minimum = 1900, maximum = 2219)]
    pub end_year: i32,
    /// Levels: 4 (default) or 3.
    #[serde(default = "default_depth")]
    #[schema(minimum = 3, maximum = 4)]
    pub depth: i16,
    /// Level names.
    #[serde(default)]
    pub labels: Labels,
    /// The axes (a plan has at most 5000 nodes).
    #[serde(default)]
    #[schema(max_items = 5000)]
    pub axes: Vec<NodeDocument>,
}

/// A node and everything below it. The level follows from the depth in the tree; the
/// leaves are actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeDocument {
    /// Code, unique in the plan.
    #[schema(min_length = 1, max_length = 30)]
    pub code: String,
    /// Title.
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// Description.
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// Order among siblings (default: the order in the document).
    #[serde(default)]
    pub position: Option<i32>,
    /// Weight in the roll-up (default 1).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000)]
    pub weight: Option<i32>,
    /// Action fields (leaves only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionDocument>,
    /// Indicators (objectives and actions), at most 100.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100)]
    pub indicators: Vec<IndicatorDocument>,
    /// Children (a plan has at most 5000 nodes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion, max_items = 5000)]
    pub children: Vec<NodeDocument>,
}

/// The action fields of a leaf.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionDocument {
    /// Responsible staff user.
    #[serde(default)]
    pub responsible_id: Option<UserId>,
    /// Member organisations taking part (at most 500).
    #[serde(default)]
    #[schema(max_items = 500)]
    pub participant_ids: Vec<MemberId>,
    /// Start.
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// End.
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    /// Status (default `not_started`).
    #[serde(default)]
    pub status: Option<ActionStatus>,
    /// Progress 0–100 (default 0, or 100 when completed).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub progress: Option<i16>,
    /// Planned budget in euro cents.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub planned_budget_cents: Option<Cents>,
}

/// An indicator with its targets and measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDocument {
    /// Name (unique on its node).
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    /// Unit.
    #[schema(min_length = 1, max_length = 50)]
    pub unit: String,
    /// Whether higher is better (default true).
    #[serde(default = "yes")]
    pub higher_is_better: bool,
    /// Baseline.
    pub baseline: f64,
    /// Targets per year (at most 50).
    #[serde(default)]
    #[schema(max_items = 50)]
    pub targets: Vec<Target>,
    /// Measurements (at most 1000).
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub measurements: Vec<MeasurementDocument>,
}

fn yes() -> bool {
    true
}

/// A measurement in a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasurementDocument {
    /// Date.
    pub measured_on: NaiveDate,
    /// Value.
    pub value: f64,
    /// Source.
    #[serde(default)]
    #[schema(max_length = 300)]
    pub source: Option<String>,
    /// Note.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// The whole plan as one JSON document (the shape `POST /api/v1/plans/import` takes):
/// import it back and you get an equal plan.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id")), responses(
    (status = 200, description = "The plan document.", body = PlanDocument)))]
#[get("/api/v1/plans/{id}/export")]
pub async fn export_plan(
    caller: Caller,
    id: web::Path<PlanId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let doc = export_document(&mut conn, &caller, id.into_inner()).await?;
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
    let mut conn = state.conn().await?;
    let plan = import(&mut conn, &caller, &body.into_inner()).await?;
    Ok(etag::created(
        location(plan.id),
        plan.version,
        &Plan::from(plan),
    ))
}

/// A plan the caller may see, as one document (404 otherwise).
pub async fn export_document(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PlanId,
) -> Result<PlanDocument, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let plan = visible_plan(conn, caller, id).await?;
    document_of(conn, &plan).await
}

/// Creates a draft plan from a document (staff, admins), in one transaction: 422
/// `invalid_plan_document` with every problem, and nothing written, unless it has none.
/// The members and staff users it names must exist.
pub async fn import(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    doc: &PlanDocument,
) -> Result<PlanRow, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let rows = build(conn, doc, PlanId::new(), true).await?;
        repo::insert_rows(conn, &rows).await?;
        let plan = repo::find_plan(conn, rows.plan.id, false).await?;
        let after = Plan::from(plan.clone());
        let change = Change {
            action: "imported",
            resource_type: "plan",
            resource_id: plan.id.uuid(),
            before: None,
            after: Some(&after),
        };
        audit::record(conn, caller, change).await?;
        Ok(plan)
    })
    .await
}

/// The whole plan as a document (whoever calls has checked that it may be read).
pub async fn document_of(
    conn: &mut AsyncPgConnection,
    plan: &PlanRow,
) -> Result<PlanDocument, ApiError> {
    let nodes = repo::plan_nodes(conn, plan.id).await?;
    let participants = repo::plan_participants(conn, plan.id).await?;
    let indicators = repo::plan_indicators(conn, plan.id, Indicators::WithMeasurements).await?;
    Ok(export(plan, &nodes, &participants, &indicators))
}

/// A plan's rows, indexed for writing the document.
struct Index<'a> {
    children: &'a IdMap<Option<NodeId>, Vec<&'a NodeRow>>,
    by_action: &'a IdMap<NodeId, Vec<MemberId>>,
    ind_by_node: &'a IdMap<NodeId, Vec<&'a IndicatorRow>>,
    targets_by: &'a IdMap<IndicatorId, Vec<Target>>,
    measures_by: &'a IdMap<IndicatorId, Vec<&'a MeasurementRow>>,
}

/// Writes a plan document back from the rows of a plan.
pub fn export(
    plan: &PlanRow,
    nodes: &[NodeRow],
    participants: &[ParticipantRow],
    indicators: &PlanIndicators,
) -> PlanDocument {
    let PlanIndicators {
        indicators,
        targets,
        measurements,
    } = indicators;
    let children = children_of(nodes);
    let mut by_action: IdMap<NodeId, Vec<MemberId>> = IdMap::default();
    for p in participants {
        by_action.entry(p.action_id).or_default().push(p.member_id);
    }
    let mut ind_by_node: IdMap<NodeId, Vec<&IndicatorRow>> = IdMap::default();
    for i in indicators {
        ind_by_node.entry(i.node_id).or_default().push(i);
    }
    let targets_by = targets_by(targets);
    let mut measures_by: IdMap<IndicatorId, Vec<&MeasurementRow>> = IdMap::default();
    for m in measurements {
        measures_by.entry(m.indicator_id).or_default().push(m);
    }
    fn node_doc(n: &NodeRow, ctx: &Index<'_>) -> NodeDocument {
        let Index {
            children,
            by_action,
            ind_by_node,
            targets_by,
            measures_by,
        } = ctx;
        let action = n.action_status.map(|status| {
            let mut participant_ids = by_action.get(&n.id).cloned().unwrap_or_default();
            participant_ids.sort();
            ActionDocument {
                responsible_id: n.responsible_id,
                participant_ids,
                start_date: n.start_date,
                end_date: n.end_date,
                status: Some(status),
                progress: n.progress,
                planned_budget_cents: n.planned_budget_cents,
            }
        });
        let mut inds: Vec<&IndicatorRow> = ind_by_node.get(&n.id).cloned().unwrap_or_default();
        inds.sort_by(|a, b| (a.position, &a.name).cmp(&(b.position, &b.name)));
        let indicators = inds
            .into_iter()
            .map(|i| {
                let mut targets = targets_by.get(&i.id).cloned().unwrap_or_default();
                targets.sort_by_key(|t| t.year);
                let mut ms = measures_by.get(&i.id).cloned().unwrap_or_default();
                ms.sort_by(|a, b| {
                    (a.measured_on, a.created_at, a.id).cmp(&(b.measured_on, b.created_at, b.id))
                });
                IndicatorDocument {
                    name: i.name.clone(),
                    unit: i.unit.clone(),
                    higher_is_better: i.higher_is_better,
                    baseline: i.baseline,
                    targets,
                    measurements: ms
                        .into_iter()
                        .map(|m| MeasurementDocument {
                            measured_on: m.measured_on,
                            value: m.value,
                            source: m.source.clone(),
                            note: m.note.clone(),
                        })
                        .collect(),
                }
            })
            .collect();
        NodeDocument {
            code: n.code.clone(),
            title: n.title.clone(),
            description: n.description.clone(),
            position: Some(n.position),
            weight: Some(n.weight),
            action,
            indicators,
            children: children
                .get(&Some(n.id))
                .map(|c| c.iter().map(|c| node_doc(c, ctx)).collect())
                .unwrap_or_default(),
        }
    }
    let ctx = Index {
        children: &children,
        by_action: &by_action,
        ind_by_node: &ind_by_node,
        targets_by: &targets_by,
        measures_by: &measures_by,
    };
    PlanDocument {
        title: plan.title.clone(),
        description: plan.description.clone(),
        start_year: plan.start_year,
        end_year: plan.end_year,
        depth: plan.depth,
        labels: Labels::of(plan),
        axes: children
            .get(&None)
            .map(|c| c.iter().map(|n| node_doc(n, &ctx)).collect())
            .unwrap_or_default(),
    }
}
