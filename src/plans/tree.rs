//! A whole plan nested in one answer: axes → areas → objectives → actions, each with its
//! indicators, read in a fixed number of queries (one per table) whatever the plan's size.
//! [`load_whole`] is that read, for the tree, the progress report and the diff.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    indicators::{Indicator, targets_by},
    model::{Indicators, NodeRow, PlanRow},
    nodes::Node,
    repo::{self, PlanIndicators},
    versions::Plan,
    visible_plan,
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    domain::{IdMap, MemberId, NodeId, PlanId, calendar::today},
    error::ApiError,
    http::csv::{self, CsvRow},
};

/// A node of the plan tree, with its indicators and children.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TreeNode {
    /// The node.
    #[serde(flatten)]
    pub node: Node,
    /// Its indicators.
    pub indicators: Vec<Indicator>,
    /// Children, by position and code.
    #[schema(no_recursion)]
    pub children: Vec<TreeNode>,
}

/// A whole plan, nested.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tree {
    /// The plan.
    pub plan: Plan,
    /// The axes.
    pub axes: Vec<TreeNode>,
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

/// The nodes of a tree in tree order, without their indicators and children (CSV rows).
fn flatten(nodes: &[TreeNode], out: &mut Vec<TreeNode>) {
    for n in nodes {
        out.push(TreeNode {
            node: n.node.clone(),
            indicators: Vec::new(),
            children: Vec::new(),
        });
        flatten(&n.children, out);
    }
}

/// The whole plan nested in one answer: axes → areas → objectives → actions, each with
/// its indicators (read in a fixed number of queries, whatever the plan's size). With
/// `Accept: text/csv`, one row per node in tree order.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id")), responses(
    (status = 200, description = "The tree (or CSV).",
        content((Tree = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/plans/{id}/tree")]
pub async fn plan_tree(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<PlanId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tree = {
        let mut conn = state.conn().await?;
        tree(&mut conn, &caller, id.into_inner()).await?
    };
    if csv::wants_csv(&req) {
        let mut rows = Vec::new();
        flatten(&tree.axes, &mut rows);
        return Ok(csv::attachment("plan-tree.csv", &rows));
    }
    Ok(HttpResponse::Ok().json(tree))
}

/// The tree of a plan the caller may see (404 otherwise), as of today. Built by moving the
/// rows into place, never copying them (the copies were a tenth of the request's work).
pub async fn tree(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PlanId,
) -> Result<Tree, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let w = load_whole(conn, caller, id, Indicators::WithTargets).await?;
    let mut targets = targets_by(&w.indicators.targets);
    let mut indicators: IdMap<NodeId, Vec<Indicator>> = IdMap::default();
    for i in w.indicators.indicators {
        let t = targets.remove(&i.id).unwrap_or_default();
        indicators
            .entry(i.node_id)
            .or_default()
            .push(Indicator::new(i, t));
    }
    let mut parts = Parts {
        children: children_of(w.nodes),
        participants: w.participants,
        indicators,
        today: today(),
    };
    Ok(Tree {
        axes: parts.build(None),
        plan: Plan::from(w.plan),
    })
}

/// A plan's rows, by parent, taken out as they are placed.
struct Parts {
    children: IdMap<Option<NodeId>, Vec<NodeRow>>,
    participants: IdMap<NodeId, Vec<MemberId>>,
    indicators: IdMap<NodeId, Vec<Indicator>>,
    today: NaiveDate,
}

impl Parts {
    /// The children of `parent` (`None`: the axes), each with everything below it.
    fn build(&mut self, parent: Option<NodeId>) -> Vec<TreeNode> {
        let Some(list) = self.children.remove(&parent) else {
            return Vec::new();
        };
        list.into_iter()
            .map(|n| {
                let id = n.id;
                let participants = self.participants.remove(&id).unwrap_or_default();
                TreeNode {
                    node: Node::new(n, participants, self.today),
                    indicators: self.indicators.remove(&id).unwrap_or_default(),
                    children: self.build(Some(id)),
                }
            })
            .collect()
    }
}

/// Everything a whole-plan answer needs, in a fixed number of statements.
pub struct Whole {
    /// The plan.
    pub plan: PlanRow,
    /// Its nodes.
    pub nodes: Vec<NodeRow>,
    /// The participants of each action, sorted.
    pub participants: IdMap<NodeId, Vec<MemberId>>,
    /// Its indicators, targets and measurements (empty unless asked for).
    pub indicators: PlanIndicators,
}

/// A plan the caller may see (404 otherwise), its nodes and participants, and as much of its
/// indicators as asked for.
pub async fn load_whole(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PlanId,
    indicators: Indicators,
) -> Result<Whole, ApiError> {
    let plan = visible_plan(conn, caller, id).await?;
    let nodes = repo::plan_nodes(conn, id).await?;
    let mut participants: IdMap<NodeId, Vec<MemberId>> = IdMap::default();
    for p in repo::plan_participants(conn, id).await? {
        participants
            .entry(p.action_id)
            .or_default()
            .push(p.member_id);
    }
    for list in participants.values_mut() {
        list.sort();
    }
    let indicators = repo::plan_indicators(conn, id, indicators).await?;
    Ok(Whole {
        plan,
        nodes,
        participants,
        indicators,
    })
}

/// The nodes by parent (`None`: the axes), each list in [`tree_order`]: the order of the
/// progress report and the document.
/// Takes the rows or references to them (the tree moves its rows; the others borrow).
pub fn children_of<N: std::borrow::Borrow<NodeRow>>(
    nodes: impl IntoIterator<Item = N>,
) -> IdMap<Option<NodeId>, Vec<N>> {
    let mut children: IdMap<Option<NodeId>, Vec<N>> = IdMap::default();
    for n in nodes {
        children.entry(n.borrow().parent_id).or_default().push(n);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| tree_order(a.borrow(), b.borrow()));
    }
    children
}

/// Siblings' order: by position, then code.
fn tree_order(a: &NodeRow, b: &NodeRow) -> std::cmp::Ordering {
    (a.position, &a.code).cmp(&(b.position, &b.code))
}
