//! The strategic plan: structure, frozen approved versions, revisions and diff,
//! import/export, roll-up, indicators, visibility.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    TestApp, TestUser, assert_problem,
    plans::{
        Level, NodeIds, Plan, PlanNode, axes_path, indicator_path, node_path, plan_doc, plan_path,
    },
    spawn_app, strs,
};

mod progress;
mod rules;
mod structure;
mod versions;
mod visibility;

/// A test's app and admin.
async fn admin_app() -> (TestApp, TestUser) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    (app, admin)
}

/// An imported, draft copy of [`plan_doc`]: (app, admin, plan).
async fn draft_plan() -> (TestApp, TestUser, Uuid) {
    let (app, admin) = admin_app().await;
    let plan = app.import_plan_doc(&admin.token, &plan_doc("")).await.id;
    (app, admin, plan)
}

/// An imported, approved copy of [`plan_doc`]: (app, admin, plan, ids by code).
async fn approved_plan() -> (TestApp, TestUser, Uuid, NodeIds) {
    let (app, admin) = admin_app().await;
    let (plan, ids) = app.new_approved_plan(&admin, &plan_doc("")).await;
    (app, admin, plan, ids)
}
