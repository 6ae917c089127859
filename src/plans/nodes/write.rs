//! Changing the nodes of a plan: adding, changing and deleting axes, areas, objectives and
//! actions. The content of a node changes on draft plans only; the execution of an action
//! (status, progress, responsible, participants) on the approved version too.

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{
    NewNode, Node, NodePatch, Parent, Place,
    actions::{ActionFields, check_action, check_budget, check_people, check_progress},
    node_dto, node_of_kind, place_of,
};
use crate::{
    audit,
    auth::{Action, Caller, Resource},
    domain::{NodeId, text},
    error::{ApiError, FieldErrors, on_unique},
    http::etag::{IfMatch, Precondition},
    plans::{
        Locked, Tagged, followed, frozen, in_use, lock_plan,
        model::{ActionStatus, NodeChanges, NodeKind, NodeRow, check_code},
        repo,
        transfer::MAX_NODES,
    },
};

const CODE_TAKEN: &str = "Another node of this plan has this code.";

/// Checks a weight (0–10000).
pub fn check_weight(problems: &mut FieldErrors, path: &str, weight: i32) {
    if !(0..=10_000).contains(&weight) {
        problems.add(path, "out_of_range", "must be between 0 and 10000");
    }
}

/// The checked text fields of a new or changed node (`None`: not given, or invalid and
/// recorded).
struct NodeFields {
    code: Option<String>,
    title: Option<String>,
    description: Option<Option<String>>,
}

/// The node fields of a creation or a patch, checked.
fn check_node_fields(
    problems: &mut FieldErrors,
    code: Option<&str>,
    title: Option<&str>,
    description: Option<Option<&str>>,
    weight: Option<i32>,
) -> NodeFields {
    let code = code.and_then(|c| problems.check("code", check_code(c)));
    let title = title.and_then(|t| problems.check("title", text::name(t, 300)));
    let description =
        description.and_then(|d| problems.check("description", text::optional(d, 10_000)));
    if let Some(w) = weight {
        check_weight(problems, "weight", w);
    }
    NodeFields {
        code,
        title,
        description,
    }
}

/// Adds a node of level `child` under `parent` (staff, admins): 404 for a parent the
/// caller may not see, 409 `wrong_level`, `plan_frozen`, `plan_too_large`, 422 with every
/// problem of its fields, then of the people it names, 409 `code_taken`.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    parent: Parent,
    child: NodeKind,
    body: NewNode,
) -> Result<Node, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let Place { plan, node: parent } = place_of(conn, caller, parent, child).await?;
        let plan = repo::find_plan(conn, plan.id, true).await?;
        frozen(&plan)?;
        if repo::count_nodes(conn, plan.id).await? >= MAX_NODES as i64 {
            return Err(ApiError::conflict(
                "plan_too_large",
                format!("A plan has at most {MAX_NODES} nodes."),
            ));
        }
        let mut problems = FieldErrors::default();
        let fields = check_node_fields(
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
        let mut row = NodeRow::new(plan.id, child, parent.as_ref(), Utc::now());
        let id = row.id;
        row.position = match body.position {
            Some(p) => p,
            None => repo::next_position(conn, plan.id, parent.as_ref().map(|n| n.id)).await?,
        };
        row.code = fields.code.unwrap_or_default();
        row.title = fields.title.unwrap_or_default();
        row.description = fields.description.flatten();
        row.weight = body.weight.unwrap_or(1);
        if let Some(a) = &action {
            let fields = ActionFields::new(
                a.start_date.flatten(),
                a.end_date.flatten(),
                a.status,
                a.progress,
                a.planned_budget_cents.flatten(),
            );
            fields.apply(&mut row);
            row.responsible_id = a.responsible_id.flatten();
            check_action(&mut problems, "action.", &plan, &fields);
        }
        problems.finish()?;
        if let Some(a) = &action {
            check_people(conn, a).await?;
        }
        let row = repo::insert_node(conn, &row)
            .await
            .map_err(|e| on_unique(e, "plan_nodes_code_key", "code_taken", CODE_TAKEN))?;
        if let Some(ids) = action.as_ref().and_then(|a| a.participant_ids.as_ref()) {
            repo::set_participants(conn, id, ids).await?;
        }
        repo::touch_plan(conn, plan.id).await?;
        let node = node_dto(conn, row).await?;
        audit::created(conn, caller, "plan_node", id.uuid(), &node).await?;
        Ok(node)
    })
    .await
}

/// Changes a node of `kind` (staff, admins): 422 for bad values (before anything is read),
/// 404, 428/412, 409 `plan_frozen` (content of a plan that is not a draft, or anything of
/// a superseded or closed one), 422 for the action's rules and the people it names, 409
/// `code_taken`.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: NodeId,
    kind: NodeKind,
    precondition: Precondition,
    patch: NodePatch,
) -> Result<Tagged<Node>, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    // What can be checked without the node first, so a bad body is a 422 whatever the tag.
    let mut problems = FieldErrors::default();
    let fields = check_node_fields(
        &mut problems,
        patch.code.as_deref(),
        patch.title.as_deref(),
        patch.description.as_ref().map(Option::as_deref),
        patch.weight,
    );
    if let Some(a) = &patch.action {
        check_progress(&mut problems, "action.", a.progress);
        check_budget(&mut problems, "action.", a.planned_budget_cents.flatten());
    }
    problems.finish()?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let Locked { plan, current } = lock(conn, caller, id, kind, &precondition).await?;
        let mut problems = FieldErrors::default();
        let mut changes = NodeChanges {
            code: fields.code,
            title: fields.title,
            description: fields.description,
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
                let merged = ActionFields {
                    start: changes.start_date.unwrap_or(current.start_date),
                    end: changes.end_date.unwrap_or(current.end_date),
                    status: changes
                        .action_status
                        .or(current.action_status)
                        .unwrap_or(ActionStatus::NotStarted),
                    progress: changes.progress.or(current.progress).unwrap_or(0),
                    budget: changes.planned_budget_cents.flatten(),
                };
                check_action(&mut problems, "action.", &plan, &merged);
            }
        }
        if changes.changes_content() {
            frozen(&plan)?;
        } else {
            followed(&plan, "follow the actions")?;
        }
        problems.finish()?;
        if let Some(a) = &action {
            check_people(conn, a).await?;
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
        audit::updated(conn, caller, "plan_node", id.uuid(), &before, &after).await?;
        Ok(Tagged {
            version,
            body: after,
        })
    })
    .await
}

/// Deletes a node of `kind` without children (staff, admins; draft plans only): 404,
/// 428/412, 409 `plan_frozen`, `node_has_children`, `node_in_use` (budget lines are tied to
/// the action).
pub async fn delete(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: NodeId,
    kind: NodeKind,
    precondition: Precondition,
) -> Result<(), ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let Locked { plan, current } = lock(conn, caller, id, kind, &precondition).await?;
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
        repo::delete_node(conn, id).await.map_err(|e| {
            in_use(
                e,
                "node_in_use",
                "Budget lines are tied to this action; change their shares first.",
            )
        })?;
        repo::touch_plan(conn, plan.id).await?;
        audit::deleted(conn, caller, "plan_node", id.uuid(), &before).await
    })
    .await
}

/// The plan and the node of `kind`, locked in that order once the caller was found to see
/// them, and the caller's `If-Match` checked against the node.
async fn lock(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: NodeId,
    kind: NodeKind,
    precondition: &Precondition,
) -> Result<Locked<NodeRow>, ApiError> {
    let found = node_of_kind(conn, id, kind).await?;
    let plan = lock_plan(conn, caller, found.plan_id).await?;
    let current = repo::find_node(conn, id, true).await?;
    precondition.check(current.version, IfMatch::Required)?;
    Ok(Locked { plan, current })
}
