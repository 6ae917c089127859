//! What one plan version adds, removes and changes against another, nodes matched by
//! code (a revision keeps the codes of what it copies).

use std::collections::{HashMap, HashSet};

use actix_web::{HttpResponse, get, web};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    model::{Comparable, FieldChange, Indicators, NodeKind, NodeRow, field_diff},
    tree::{Whole, load_whole},
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    domain::{MemberId, NodeId, PlanId},
    error::ApiError,
};

/// A node added or removed between two versions.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct NodeRef {
    /// Code.
    pub code: String,
    /// Level.
    pub kind: NodeKind,
    /// Title.
    pub title: String,
}

/// A node present in both versions with different content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NodeChange {
    /// Code.
    pub code: String,
    /// Level.
    pub kind: NodeKind,
    /// What differs.
    pub changes: Vec<FieldChange>,
}

/// The differences between two plan versions, nodes matched by code: what this version
/// (`plan_id`) adds, removes and changes against the other (`against`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanDiff {
    /// This version.
    pub plan_id: PlanId,
    /// The version compared against.
    pub against: PlanId,
    /// Nodes only in this version.
    pub added: Vec<NodeRef>,
    /// Nodes only in the other version.
    pub removed: Vec<NodeRef>,
    /// Nodes in both, changed.
    pub changed: Vec<NodeChange>,
}

/// `against` of the diff.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The other version.
    pub against: PlanId,
}

/// What this version adds, removes and changes against another (`against`), nodes
/// matched by code.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id"), DiffQuery),
    responses(
    (status = 200, description = "The differences.", body = PlanDiff)))]
#[get("/api/v1/plans/{id}/diff")]
pub async fn diff_plans(
    caller: Caller,
    id: web::Path<PlanId>,
    query: web::Query<DiffQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let diff = {
        let mut conn = state.conn().await?;
        diff(&mut conn, &caller, id.into_inner(), query.against).await?
    };
    Ok(HttpResponse::Ok().json(diff))
}

/// What plan `id` adds, removes and changes against plan `against`; 404 unless the caller
/// may see both.
pub async fn diff(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PlanId,
    against: PlanId,
) -> Result<PlanDiff, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    // A diff compares nodes only: no indicators.
    let this = load_whole(conn, caller, id, Indicators::Without).await?;
    let other = load_whole(conn, caller, against, Indicators::Without).await?;
    let mine = entries(&this);
    let theirs = entries(&other);
    let theirs_by: HashMap<&str, &Comparable> = theirs
        .iter()
        .map(|e| (e.node.code.as_str(), &e.content))
        .collect();
    let mine_codes: HashSet<&str> = mine.iter().map(|e| e.node.code.as_str()).collect();
    let mut diff = PlanDiff {
        plan_id: id,
        against,
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
    };
    for e in &mine {
        match theirs_by.get(e.node.code.as_str()) {
            None => diff.added.push(e.node.clone()),
            Some(before) => {
                let changes = field_diff(before, &e.content);
                if !changes.is_empty() {
                    diff.changed.push(NodeChange {
                        code: e.node.code.clone(),
                        kind: e.node.kind,
                        changes,
                    });
                }
            }
        }
    }
    for e in &theirs {
        if !mine_codes.contains(e.node.code.as_str()) {
            diff.removed.push(e.node.clone());
        }
    }
    diff.added.sort_by(|a, b| a.code.cmp(&b.code));
    diff.removed.sort_by(|a, b| a.code.cmp(&b.code));
    diff.changed.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(diff)
}

/// A node of one version, as the diff compares it.
struct Entry {
    node: NodeRef,
    content: Comparable,
}

/// The nodes of a version with their comparable content.
fn entries(w: &Whole) -> Vec<Entry> {
    let codes: HashMap<NodeId, &str> = w.nodes.iter().map(|n| (n.id, n.code.as_str())).collect();
    w.nodes
        .iter()
        .map(|n| {
            let parent = n.parent_id.and_then(|p| codes.get(&p).copied());
            let participants = w.participants.get(&n.id).cloned().unwrap_or_default();
            Entry {
                node: NodeRef {
                    code: n.code.clone(),
                    kind: n.kind,
                    title: n.title.clone(),
                },
                content: comparable(n, parent, &participants),
            }
        })
        .collect()
}

/// The comparable content of a node: everything but ids and timestamps.
pub fn comparable(
    node: &NodeRow,
    parent_code: Option<&str>,
    participants: &[MemberId],
) -> Comparable {
    use serde_json::json;
    let mut m = Comparable::new();
    m.insert("kind", json!(node.kind));
    m.insert("parent_code", json!(parent_code));
    m.insert("title", json!(node.title));
    m.insert("description", json!(node.description));
    m.insert("position", json!(node.position));
    m.insert("weight", json!(node.weight));
    if node.kind == NodeKind::Action {
        let mut p = participants.to_vec();
        p.sort();
        m.insert("responsible_id", json!(node.responsible_id));
        m.insert("start_date", json!(node.start_date));
        m.insert("end_date", json!(node.end_date));
        m.insert("status", json!(node.action_status));
        m.insert("progress", json!(node.progress));
        m.insert("planned_budget_cents", json!(node.planned_budget_cents));
        m.insert("participant_ids", json!(p));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plans::model::test_node;

    #[test]
    fn a_changed_title_is_one_change() {
        let a = test_node(1, None, NodeKind::Axis, 1, None);
        let mut b = a.clone();
        b.title = "otro".into();
        let diff = field_diff(&comparable(&a, None, &[]), &comparable(&b, None, &[]));
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].field, "title");
    }
}
