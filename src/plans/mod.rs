//! The strategic plan: versions approved by the General Assembly, their tree of axes,
//! areas, objectives and actions, indicators with yearly targets and measurements, the
//! weighted progress roll-up, import/export as one document, revisions and their diff.
//!
//! One file per sub-resource, each with its handlers, its request and response types and
//! its service functions: [`versions`] (plans, their approval and revisions), [`nodes`]
//! (axes, areas, objectives, actions), [`tree`] and [`progress`] (a whole plan in one
//! answer), [`transfer`] (a plan as one document), [`diff`] and [`indicators`] (with targets
//! and measurements). [`model`] holds the rows and the pure rules, [`repo`] the queries.
//!
//! A service function owns its operation in one transaction: visibility (404), the lock,
//! `If-Match`, the rules, the write and its audit event. Every change of a plan's content
//! locks the plan row first (then the node or the indicator), checks that the plan is a
//! draft and bumps the plan's version, so a plan's ETag changes with its content and an
//! approval with `If-Match` approves exactly what was read.

pub mod diff;
pub mod indicators;
pub mod model;
pub mod nodes;
pub mod progress;
pub mod repo;
pub mod transfer;
pub mod tree;
pub mod versions;

use diesel_async::AsyncPgConnection;

pub use versions::approval::{Approval, approve, revise};

use crate::{
    auth::{Caller, policy},
    domain::PlanId,
    error::{ApiError, not_found},
};
use model::{PlanRow, PlanStatus};

/// Registers the plan endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    use indicators::measurements;
    use nodes::actions;
    use versions::approval;
    // Static paths before `{id}` ones: `import` before `{id}` (both /api/v1/plans/<segment>).
    cfg.service(transfer::import_plan)
        .service(versions::list_plans)
        .service(versions::create_plan)
        .service(versions::get_plan)
        .service(versions::update_plan)
        .service(versions::delete_plan)
        .service(approval::approve_plan)
        .service(approval::revise_plan)
        .service(tree::plan_tree)
        .service(progress::plan_progress)
        .service(transfer::export_plan)
        .service(diff::diff_plans)
        .service(nodes::list_axes)
        .service(nodes::create_axis)
        .service(nodes::list_areas)
        .service(nodes::create_area)
        .service(nodes::list_objectives)
        .service(nodes::create_objective)
        .service(nodes::list_objective_actions)
        .service(nodes::create_objective_action)
        .service(nodes::list_area_actions)
        .service(nodes::create_area_action)
        .service(nodes::get_axis)
        .service(nodes::update_axis)
        .service(nodes::delete_axis)
        .service(nodes::get_area)
        .service(nodes::update_area)
        .service(nodes::delete_area)
        .service(nodes::get_objective)
        .service(nodes::update_objective)
        .service(nodes::delete_objective)
        .service(actions::list_actions)
        .service(nodes::get_action)
        .service(nodes::update_action)
        .service(nodes::delete_action)
        .service(indicators::list_indicators)
        .service(indicators::create_indicator)
        .service(indicators::get_indicator)
        .service(indicators::update_indicator)
        .service(indicators::delete_indicator)
        .service(measurements::list_measurements)
        .service(measurements::create_measurement);
}

/// A resource as a service function answers it, with the version its `ETag` comes from.
#[derive(Debug, Clone)]
pub struct Tagged<T> {
    /// The row's version.
    pub version: i64,
    /// The resource.
    pub body: T,
}

/// Whether the caller may see the plan: drafts are for staff, admins and auditors.
fn may_see(caller: &Caller, plan: &PlanRow) -> bool {
    plan.status != PlanStatus::Draft || policy::reads_drafts(caller.role)
}

/// The plan (unlocked) if the caller may see it, else 404.
async fn visible_plan(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PlanId,
) -> Result<PlanRow, ApiError> {
    let plan = repo::find_plan(conn, id, false).await?;
    if !may_see(caller, &plan) {
        return Err(not_found());
    }
    Ok(plan)
}

/// 404 unless the caller may see plan `id`, decided before anything is locked. A caller
/// who reads drafts sees every plan, so this costs no query; everyone else reads the plan.
/// (Everyone who may change plans reads drafts: for writers this check never reads.)
async fn see_plan(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PlanId,
) -> Result<(), ApiError> {
    if policy::reads_drafts(caller.role) {
        return Ok(());
    }
    visible_plan(conn, caller, id).await.map(drop)
}

/// The plan locked `FOR UPDATE`, once the caller was found to see it: 404 otherwise, with
/// no lock taken. Every change of a plan locks the plan first, then its node or indicator.
async fn lock_plan(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PlanId,
) -> Result<PlanRow, ApiError> {
    see_plan(conn, caller, id).await?;
    Ok(repo::find_plan(conn, id, true).await?)
}

/// A node or an indicator and its plan, locked (the plan first), with the caller's
/// `If-Match` checked against the row.
struct Locked<R> {
    plan: PlanRow,
    current: R,
}

/// 409 `plan_frozen` unless the plan is a draft: what the assembly approved is frozen.
fn frozen(plan: &PlanRow) -> Result<(), ApiError> {
    plan.check_editable()
        .map_err(|msg| ApiError::conflict("plan_frozen", msg))
}

/// 409 `plan_frozen` unless the plan is a draft or the approved version: execution (an
/// action's progress, a measurement) is followed on the current version only. `what` is
/// what to do there instead (`record measurements`).
fn followed(plan: &PlanRow, what: &str) -> Result<(), ApiError> {
    if matches!(plan.status, PlanStatus::Draft | PlanStatus::Approved) {
        return Ok(());
    }
    Err(ApiError::conflict(
        "plan_frozen",
        format!(
            "The plan is {}: {what} on its current version.",
            plan.status
        ),
    ))
}

/// A row other rows still refer to (any foreign key) is a 409 with `code`; any other
/// error converts as usual.
fn in_use(err: diesel::result::Error, code: &'static str, detail: &str) -> ApiError {
    match err {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _,
        ) => ApiError::conflict(code, detail),
        other => other.into(),
    }
}
