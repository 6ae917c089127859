//! The member register.

use agrupa::domain::tax_id::make_cif;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    NewMember, TestApp, TestUser, assert_problem,
    members::{Contact, Member, member_path},
    spawn_app,
};

mod contacts;
mod dues;
mod lifecycle;
mod register;
mod rules;
mod visibility;

async fn setup() -> (TestApp, TestUser, Uuid) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let category = app.new_category(&admin.token, 120_000).await;
    (app, admin, category)
}

/// The legal names of the first 100 members of the register that `query` selects.
async fn names(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let page = app.list_members(token, &format!("limit=100&{query}")).await;
    page.items.into_iter().map(|m| m.legal_name).collect()
}
