//! The strategic plan: versions approved by the General Assembly, their tree of axes,
//! areas, objectives and actions, indicators with yearly targets and measurements, the
//! weighted progress roll-up, import/export as one document, revisions and their diff.

pub mod document;
pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{
    audit::{self, Change},
    auth::Caller,
    error::{ApiError, on_unique},
};
use model::{PlanRow, PlanStatus};

/// Registers the plan endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    use handlers::*;
    // `import` before `{id}`: both are /api/v1/plans/<segment>.
    cfg.service(import_plan)
        .service(list_plans)
        .service(create_plan)
        .service(get_plan)
        .service(update_plan)
        .service(delete_plan)
        .service(approve_plan)
        .service(revise_plan)
        .service(plan_tree)
        .service(plan_progress)
        .service(export_plan)
        .service(diff_plans)
        .service(list_axes)
        .service(create_axis)
        .service(list_areas)
        .service(create_area)
        .service(list_objectives)
        .service(create_objective)
        .service(list_objective_actions)
        .service(create_objective_action)
        .service(list_area_actions)
        .service(create_area_action)
        .service(get_axis)
        .service(update_axis)
        .service(delete_axis)
        .service(get_area)
        .service(update_area)
        .service(delete_area)
        .service(get_objective)
        .service(update_objective)
        .service(delete_objective)
        .service(list_actions)
        .service(get_action)
        .service(update_action)
        .service(delete_action)
        .service(list_indicators)
        .service(create_indicator)
        .service(get_indicator)
        .service(update_indicator)
        .service(delete_indicator)
        .service(list_measurements)
        .service(create_measurement);
}

/// Approves a draft plan version, in the caller's transaction: records when, by whom and
/// with which reference, and supersedes the version it revises. The admin endpoint and
/// (later) assembly resolutions both call this. A plan that is not a draft, or a revision
/// of a version that is no longer the approved one, is a 409 and nothing changes.
pub async fn approve(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    plan_id: Uuid,
    approved_on: NaiveDate,
    reference: &str,
) -> Result<PlanRow, ApiError> {
    let plan = repo::find_plan(conn, plan_id, true).await?;
    if plan.status != PlanStatus::Draft {
        return Err(ApiError::conflict(
            "plan_not_draft",
            format!(
                "The plan is {} already; only drafts are approved.",
                plan.status
            ),
        ));
    }
    if !repo::has_actions(conn, plan_id).await? {
        return Err(ApiError::conflict(
            "plan_empty",
            "A plan without actions cannot be approved.",
        ));
    }
    if let Some(old_id) = plan.revises_id {
        let old = repo::find_plan(conn, old_id, true).await?;
        if old.status != PlanStatus::Approved {
            return Err(ApiError::conflict(
                "revised_plan_not_current",
                format!(
                    "This draft revises version {} ({}), which is {} now; only a revision of \
                     the approved version can replace it.",
                    old.version_number, old.id, old.status
                ),
            ));
        }
        let superseded = repo::set_plan_status(conn, old_id, PlanStatus::Superseded).await?;
        audit::record(
            conn,
            caller,
            Change {
                action: "superseded",
                resource_type: "plan",
                resource_id: old_id,
                before: Some(&dto::Plan::from(old)),
                after: Some(&dto::Plan::from(superseded)),
            },
        )
        .await?;
    }
    let approved =
        repo::approve_plan(conn, plan_id, approved_on, reference, caller.user_id()).await?;
    audit::record(
        conn,
        caller,
        Change {
            action: "approved",
            resource_type: "plan",
            resource_id: plan_id,
            before: Some(&dto::Plan::from(plan)),
            after: Some(&dto::Plan::from(approved.clone())),
        },
    )
    .await?;
    Ok(approved)
}

/// Creates a draft revision of an approved plan, in the caller's transaction: a copy of
/// its whole content (nodes, participants, indicators, targets, measurements) with new
/// ids, the next version number, and a link to the version it revises.
pub async fn revise(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    plan_id: Uuid,
) -> Result<PlanRow, ApiError> {
    let source = repo::find_plan(conn, plan_id, true).await?;
    if source.status != PlanStatus::Approved {
        return Err(ApiError::conflict(
            "plan_not_approved",
            format!(
                "Only the approved version of a plan is revised; this one is {}.",
                source.status
            ),
        ));
    }
    let doc = load_document(conn, &source).await?;
    let mut rows = document::build(conn, &doc, Uuid::now_v7(), false).await?;
    rows.plan.revises_id = Some(source.id);
    rows.plan.version_number = source.version_number + 1;
    repo::insert_rows(conn, &rows).await.map_err(|e| {
        on_unique(
            e,
            "plans_one_draft_revision",
            "revision_exists",
            "A draft revision of this plan exists already; change that one.",
        )
    })?;
    let created = repo::find_plan(conn, rows.plan.id, false).await?;
    audit::record(
        conn,
        caller,
        Change {
            action: "revised",
            resource_type: "plan",
            resource_id: created.id,
            before: None,
            after: Some(&dto::Plan::from(created.clone())),
        },
    )
    .await?;
    Ok(created)
}

/// The whole plan as a document.
pub async fn load_document(
    conn: &mut AsyncPgConnection,
    plan: &PlanRow,
) -> Result<document::PlanDocument, ApiError> {
    let nodes = repo::plan_nodes(conn, plan.id).await?;
    let participants = repo::plan_participants(conn, plan.id).await?;
    let (indicators, targets, measurements) = repo::plan_indicators(conn, plan.id).await?;
    Ok(document::export(
        plan,
        &nodes,
        &participants,
        &indicators,
        &targets,
        &measurements,
    ))
}
