//! Governance: bodies and their rules, convening (the notice period, the frozen roll),
//! attendance with proxies, the quorum at each call, majorities, enactment of what a
//! resolution approves, and who sees what.

mod calendar;
mod enactment;
mod meetings;
mod minutes;
mod printing;
mod records;
mod rule_versions;
mod votes;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{TestApp, TestUser, spawn_app};

/// An assembly of `n` active members (one full-membership category) and its body.
struct Assembly {
    app: TestApp,
    admin: TestUser,
    category: Uuid,
    members: Vec<Uuid>,
    body: Uuid,
}

async fn assembly(n: u32, rules: Value) -> Assembly {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let category = app
        .create_category(
            &admin.token,
            &json!({"name": "De número", "annual_fee_cents": 120000}),
        )
        .await;
    let members = app.active_members(&admin.token, category, 1, n).await;
    let body = app.assembly(&admin.token, rules).await;
    Assembly {
        app,
        admin,
        category,
        members,
        body,
    }
}

fn id(v: &Value) -> Uuid {
    v["id"].as_str().unwrap().parse().unwrap()
}

/// The roll entry ids of a meeting, by member name.
async fn roll_ids(a: &Assembly, meeting: Uuid) -> Vec<Uuid> {
    a.app
        .roll(&a.admin.token, meeting)
        .await
        .iter()
        .map(id)
        .collect()
}

/// `entries` present.
fn present(entries: &[Uuid]) -> Vec<Value> {
    entries
        .iter()
        .map(|e| json!({"roll_entry_id": e, "attendance": "present"}))
        .collect()
}

/// `entry` represented by `holder`.
fn proxy(entry: Uuid, holder: Uuid) -> Value {
    json!({"roll_entry_id": entry, "attendance": "represented", "proxy_holder_id": holder,
        "proxy_document": "Delegación firmada"})
}

/// A meeting of the assembly with `agenda`, constituted at first call with the first
/// `attending` entries of the roll present; its id, the roll and the agenda's item ids.
async fn constituted(
    a: &Assembly,
    agenda: Value,
    attending: usize,
) -> (Uuid, Vec<Uuid>, Vec<Uuid>) {
    let t = &a.admin.token;
    let m = a.app.convene(t, a.body, agenda).await;
    let meeting = id(&m);
    let items = m["agenda"].as_array().unwrap().iter().map(id).collect();
    let roll = roll_ids(a, meeting).await;
    let res = a
        .app
        .try_attendance(t, meeting, json!(present(&roll[..attending])))
        .await;
    assert_eq!(res.status(), 200);
    let res = a.app.try_constitute(t, meeting, "first").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    (meeting, roll, items)
}
