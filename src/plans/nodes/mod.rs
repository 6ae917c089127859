//! The nodes of a plan: axes, areas, objectives and actions, one table and one set of
//! endpoints per level (`/plans/{id}/axes`, `/axes/{id}/areas` …). Reading them is here;
//! changing them in [`write`]; what only actions have in [`actions`].

pub mod actions;
pub mod write;

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use write::{check_weight, create, delete, update};

use super::{
    Tagged,
    model::{NodeKind, NodeRow, PlanRow},
    repo, visible_plan,
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    domain::{MemberId, NodeId, PlanId, calendar::today},
    error::{ApiError, not_found},
    http::{
        csv::CsvRow,
        etag::{self, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
        patch::nullable,
    },
};
use actions::{ActionDetails, ActionInput};

/// A node of a plan: an axis, area, objective or action. `action` is present on actions
/// only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Node {
    /// Id.
    pub id: NodeId,
    /// The plan.
    pub plan_id: PlanId,
    /// Level.
    pub kind: NodeKind,
    /// The parent node (none for axes).
    pub parent_id: Option<NodeId>,
    /// The axis it belongs to.
    pub axis_id: NodeId,
    /// Code, unique in the plan.
    #[schema(example = "E1.2.1.3")]
    pub code: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Order among its siblings.
    pub position: i32,
    /// Weight in the progress roll-up (0 leaves it out).
    pub weight: i32,
    /// Action fields (actions only).
    pub action: Option<ActionDetails>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Node {
    /// The node with its participants (actions), as of `today`.
    pub fn new(r: NodeRow, participant_ids: Vec<MemberId>, today: NaiveDate) -> Self {
        let overdue = r.is_overdue(today);
        let action = r.action_status.map(|status| ActionDetails {
            responsible_id: r.responsible_id,
            participant_ids,
            start_date: r.start_date,
            end_date: r.end_date,
            status,
            progress: r.progress.unwrap_or(0),
            planned_budget_cents: r.planned_budget_cents,
            overdue,
        });
        Self {
            id: r.id,
            plan_id: r.plan_id,
            kind: r.kind,
            parent_id: r.parent_id,
            axis_id: r.axis_id,
            code: r.code,
            title: r.title,
            description: r.description,
            position: r.position,
            weight: r.weight,
            action,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for Node {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "plan_id",
            "kind",
            "code",
            "title",
            "position",
            "weight",
            "status",
            "progress",
            "start_date",
            "end_date",
            "planned_budget_cents",
            "responsible_id",
            "participant_ids",
            "overdue",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let a = self.action.as_ref();
        let opt = |v: Option<String>| v.unwrap_or_default();
        vec![
            self.id.to_string(),
            self.plan_id.to_string(),
            self.kind.to_string(),
            self.code.clone(),
            self.title.clone(),
            self.position.to_string(),
            self.weight.to_string(),
            opt(a.map(|a| a.status.to_string())),
            opt(a.map(|a| a.progress.to_string())),
            opt(a.and_then(|a| a.start_date).map(|d| d.to_string())),
            opt(a.and_then(|a| a.end_date).map(|d| d.to_string())),
            // Cents, not euros: the column is named so.
            opt(a
                .and_then(|a| a.planned_budget_cents)
                .map(|c| c.get().to_string())),
            opt(a.and_then(|a| a.responsible_id).map(|u| u.to_string())),
            opt(a.map(|a| {
                a.participant_ids
                    .iter()
                    .map(MemberId::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            })),
            opt(a.map(|a| a.overdue.to_string())),
        ]
    }
}

/// A new node. `action` is only for actions (and optional there).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNode {
    /// Code, unique in the plan (`E1.2`): 1–30 letters, digits, `.`, `_`, `-`.
    #[schema(min_length = 1, max_length = 30, example = "E1.2")]
    pub code: String,
    /// Title (1–300 characters).
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// Description.
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// Order among siblings (default: after the last).
    pub position: Option<i32>,
    /// Weight in the roll-up, 0–10000 (default 1).
    #[schema(minimum = 0, maximum = 10000)]
    pub weight: Option<i32>,
    /// Action fields.
    pub action: Option<ActionInput>,
}

/// Changes to a node. Needs `If-Match`. On an approved plan only an action's `status`,
/// `progress`, `responsible_id` and `participant_ids` change (execution); the rest is
/// frozen.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodePatch {
    /// Code.
    #[schema(min_length = 1, max_length = 30)]
    pub code: Option<String>,
    /// Title.
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// Description; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 10000)]
    pub description: Option<Option<String>>,
    /// Position.
    pub position: Option<i32>,
    /// Weight, 0–10000.
    #[schema(minimum = 0, maximum = 10000)]
    pub weight: Option<i32>,
    /// Action fields (actions only).
    pub action: Option<ActionInput>,
}

/// Where new children go: the plan (axes) or a node of a given kind.
#[derive(Debug, Clone, Copy)]
pub enum Parent {
    /// The axes of a plan.
    Plan(PlanId),
    /// The children of a node of this kind.
    Node(NodeId, NodeKind),
}

/// Where new children go, as the caller may see it: the plan and, but for axes, the node.
#[derive(Debug)]
pub struct Place {
    /// The plan (unlocked).
    pub plan: PlanRow,
    /// The parent node, for all but axes.
    pub node: Option<NodeRow>,
}

/// Where a node is read.
fn location(kind: NodeKind, id: NodeId) -> String {
    format!("/api/v1/{}/{id}", kind.plural())
}

// ---------------------------------------------------------------------------------------
// Handlers (declared per level by two macros)

async fn list_children(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    parent: Parent,
    child: NodeKind,
    query: PageQuery,
) -> Result<HttpResponse, ApiError> {
    let place = {
        let mut conn = state.conn().await?;
        children_place(&mut conn, &caller, parent, child).await?
    };
    let (plan_id, parent_id) = (place.plan.id, place.node.map(|n| n.id));
    let list = List {
        resource: child.plural(),
        sort: "position",
        filename: "nodes.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| {
            let rows = repo::children(conn, plan_id, parent_id, after, n).await?;
            with_participants(conn, rows).await
        },
        |n: &Node| (n.position, n.code.clone()),
        std::convert::identity,
    )
    .await
}

/// Declares the list and create endpoints of one level's children.
macro_rules! children_endpoints {
    ($list:ident, $create:ident, $path:literal, $id:ty, $parent:expr, $child:expr, $what:literal, $of:literal) => {
        #[doc = concat!("The ", $what, " of ", $of, ", by position and code (or CSV).")]
        #[utoipa::path(tag = "plans", summary = concat!("The ", $what, " of ", $of, ", by position and code (or CSV)."), params(("id" = Uuid, Path, description = "Parent id"), PageQuery),
            responses(
            (status = 200, description = "A page of nodes (or CSV).",
                content((Page<Node> = "application/json"), (String = "text/csv"))),
            (status = 404, description = "No such parent.", body = crate::error::Problem, content_type = "application/problem+json"),
            (status = 409, description = "`wrong_level`: the plan's levels put other nodes here.", body = crate::error::Problem, content_type = "application/problem+json")))]
        #[get($path)]
        pub async fn $list(
            req: HttpRequest,
            caller: Caller,
            id: web::Path<$id>,
            query: web::Query<PageQuery>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            let parent = ($parent)(id.into_inner());
            list_children(req, caller, state, parent, $child, query.into_inner()).await
        }

        #[doc = concat!("Adds one of the ", $what, " of ", $of, " (staff, admins; draft plans only).")]
        #[utoipa::path(tag = "plans", summary = concat!("Adds one of the ", $what, " of ", $of, " (staff, admins; draft plans only)."), params(("id" = Uuid, Path, description = "Parent id")),
            request_body = NewNode, responses(
            (status = 201, description = "Created.", body = Node),
            (status = 404, description = "No such parent.", body = crate::error::Problem, content_type = "application/problem+json"),
            (status = 409, description = "`plan_frozen`, `code_taken`, `wrong_level`.", body = crate::error::Problem, content_type = "application/problem+json")))]
        #[post($path)]
        pub async fn $create(
            caller: Caller,
            id: web::Path<$id>,
            body: Json<NewNode>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            let parent = ($parent)(id.into_inner());
            let mut conn = state.conn().await?;
            let node = create(&mut conn, &caller, parent, $child, body.into_inner()).await?;
            Ok(etag::created(location($child, node.id), 1, &node))
        }
    };
}

/// Declares the read, change and delete endpoints of one level's nodes.
macro_rules! node_endpoints {
    ($get:ident, $update:ident, $delete:ident, $path:literal, $kind:expr, $what:literal) => {
        #[doc = concat!("One ", $what, ".")]
        #[utoipa::path(tag = "plans", summary = concat!("One ", $what, "."), params(("id" = Uuid, Path, description = "Node id")), responses(
            (status = 200, description = "The node.", body = Node),
            (status = 304, description = "Not modified.")))]
        #[get($path)]
        pub async fn $get(
            caller: Caller,
            id: web::Path<NodeId>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            let mut conn = state.conn().await?;
            let node = get(&mut conn, &caller, id.into_inner(), $kind).await?;
            // The tag follows the node's version (for If-Match); `overdue` changes with
            // the date without it, so the node is always sent, never a 304.
            Ok(etag::updated(node.version, &node.body))
        }

        #[doc = concat!("Changes one ", $what, " (staff, admins). Needs `If-Match`. On an approved plan only the execution of an action (status, progress, responsible, participants) changes; the rest is frozen (409).")]
        #[utoipa::path(tag = "plans", summary = concat!("Changes one ", $what, " (staff, admins)."),
            description = "Needs `If-Match`. On an approved plan only the execution of an action (status, progress, responsible, participants) changes; the rest is frozen (409).",
            params(("id" = Uuid, Path, description = "Node id"),
            ("If-Match" = String, Header, description = "ETag from a GET")),
            request_body = NodePatch, responses(
            (status = 200, description = "Changed.", body = Node),
            (status = 409, description = "`plan_frozen`, `code_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
        #[patch($path)]
        pub async fn $update(
            req: HttpRequest,
            caller: Caller,
            id: web::Path<NodeId>,
            body: Json<NodePatch>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            let precondition = Precondition::from_request(&req);
            let mut conn = state.conn().await?;
            let (id, patch) = (id.into_inner(), body.into_inner());
            let node = update(&mut conn, &caller, id, $kind, precondition, patch).await?;
            Ok(etag::updated(node.version, &node.body))
        }

        #[doc = concat!("Deletes one ", $what, " without children (staff, admins; draft plans only). Needs `If-Match`.")]
        #[utoipa::path(tag = "plans", summary = concat!("Deletes one ", $what, " without children (staff, admins; draft plans only)."),
            description = "Needs `If-Match`.",
            params(("id" = Uuid, Path, description = "Node id"),
            ("If-Match" = String, Header, description = "ETag from a GET")), responses(
            (status = 204, description = "Deleted."),
            (status = 409, description = "`plan_frozen`, `node_has_children`.", body = crate::error::Problem, content_type = "application/problem+json")))]
        #[delete($path)]
        pub async fn $delete(
            req: HttpRequest,
            caller: Caller,
            id: web::Path<NodeId>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            let precondition = Precondition::from_request(&req);
            let mut conn = state.conn().await?;
            delete(&mut conn, &caller, id.into_inner(), $kind, precondition).await?;
            Ok(HttpResponse::NoContent().finish())
        }
    };
}

children_endpoints!(
    list_axes,
    create_axis,
    "/api/v1/plans/{id}/axes",
    PlanId,
    Parent::Plan,
    NodeKind::Axis,
    "axes",
    "a plan"
);
children_endpoints!(
    list_areas,
    create_area,
    "/api/v1/axes/{id}/areas",
    NodeId,
    |id| Parent::Node(id, NodeKind::Axis),
    NodeKind::Area,
    "areas",
    "an axis"
);
children_endpoints!(
    list_objectives,
    create_objective,
    "/api/v1/areas/{id}/objectives",
    NodeId,
    |id| Parent::Node(id, NodeKind::Area),
    NodeKind::Objective,
    "objectives",
    "an area (four-level plans)"
);
children_endpoints!(
    list_objective_actions,
    create_objective_action,
    "/api/v1/objectives/{id}/actions",
    NodeId,
    |id| Parent::Node(id, NodeKind::Objective),
    NodeKind::Action,
    "actions",
    "an objective"
);
children_endpoints!(
    list_area_actions,
    create_area_action,
    "/api/v1/areas/{id}/actions",
    NodeId,
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
    "/api/v1/actions/{id}",
    NodeKind::Action,
    "action"
);

// ---------------------------------------------------------------------------------------
// Services: reading

/// One node of `kind` with its participants, if the caller may see its plan (404
/// otherwise, and for a node of another kind).
pub async fn get(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: NodeId,
    kind: NodeKind,
) -> Result<Tagged<Node>, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let node = node_of_kind(conn, id, kind).await?;
    visible_plan(conn, caller, node.plan_id).await?;
    let version = node.version;
    let body = node_dto(conn, node).await?;
    Ok(Tagged { version, body })
}

/// Where children of level `child` go under `parent`, if the caller may see it: 404
/// otherwise, 409 `wrong_level` when the plan's levels put other nodes there.
pub async fn children_place(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    parent: Parent,
    child: NodeKind,
) -> Result<Place, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    place_of(conn, caller, parent, child).await
}

/// [`children_place`] for a caller already allowed.
async fn place_of(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    parent: Parent,
    child: NodeKind,
) -> Result<Place, ApiError> {
    let place = match parent {
        Parent::Plan(id) => Place {
            plan: visible_plan(conn, caller, id).await?,
            node: None,
        },
        Parent::Node(id, kind) => {
            let node = node_of_kind(conn, id, kind).await?;
            Place {
                plan: visible_plan(conn, caller, node.plan_id).await?,
                node: Some(node),
            }
        }
    };
    let (plan, node) = (&place.plan, &place.node);
    let expected = match node {
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
    Ok(place)
}

/// A node of this kind, unlocked (a node of another kind answers 404).
async fn node_of_kind(
    conn: &mut AsyncPgConnection,
    id: NodeId,
    kind: NodeKind,
) -> Result<NodeRow, ApiError> {
    let node = repo::find_node(conn, id, false).await?;
    if node.kind != kind {
        return Err(not_found());
    }
    Ok(node)
}

/// Nodes with their participants, as the API shows them.
pub async fn with_participants(
    conn: &mut AsyncPgConnection,
    rows: Vec<NodeRow>,
) -> Result<Vec<Node>, ApiError> {
    let actions: Vec<NodeId> = rows
        .iter()
        .filter(|n| n.kind == NodeKind::Action)
        .map(|n| n.id)
        .collect();
    let mut by_action: HashMap<NodeId, Vec<MemberId>> = HashMap::new();
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

/// One node with its participants, as the API shows it.
async fn node_dto(conn: &mut AsyncPgConnection, row: NodeRow) -> Result<Node, ApiError> {
    with_participants(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(not_found)
}
