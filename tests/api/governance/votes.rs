//! Majorities: simple (a tie is rejected), qualified (abstentions count against), custom;
//! weighted named votes; totals above the weight present refused.

use super::*;
use crate::support::{assert_problem, expect_json};

async fn vote(a: &Assembly, meeting: Uuid, item: Uuid, body: Value) -> Value {
    expect_json(
        a.app
            .try_resolve(&a.admin.token, meeting, item, &body)
            .await,
        201,
    )
    .await
}

fn totals(yes: i64, no: i64, abstain: i64) -> Value {
    json!({"totals": {"yes": yes, "no": no, "abstain": abstain}})
}

#[tokio::test]
async fn simple_majority_rejects_a_tie_and_qualified_counts_abstentions_against() {
    let a = assembly(6, json!({})).await;
    let item = |title: &str, majority: &str| json!({"title": title, "kind": "resolution", "majority": majority});
    let agenda = json!([
        item("Empate", "simple"),
        item("Mayoría simple", "simple"),
        item("Cualificada sin mayoría", "qualified"),
        item("Cualificada", "qualified"),
    ]);
    let (meeting, _, items) = constituted(&a, agenda, 6).await;
    let tie = vote(&a, meeting, items[0], totals(3, 3, 0)).await;
    assert_eq!(tie["adopted"], false);
    let simple = vote(&a, meeting, items[1], totals(3, 2, 1)).await;
    assert_eq!(simple["adopted"], true);
    assert_eq!(simple["majority_rule"], "yes above 1/2 of votes_cast");
    // 3 of 6 present is not above half: the abstention counts against.
    let short = vote(&a, meeting, items[2], totals(3, 2, 1)).await;
    assert_eq!(short["adopted"], false);
    let qualified = vote(&a, meeting, items[3], totals(4, 1, 1)).await;
    assert_eq!(qualified["adopted"], true);
    // A resolution is never rewritten.
    let res = a
        .app
        .try_resolve(&a.admin.token, meeting, items[0], &totals(6, 0, 0))
        .await;
    assert_problem(res, 409, "resolution_exists").await;
    let m = a.app.meeting(&a.admin.token, meeting).await;
    assert_eq!(m["agenda"][1]["resolution"]["yes"], 3);
}

#[tokio::test]
async fn named_votes_count_with_the_category_weight() {
    let a = assembly(2, json!({"weighting": "by_category"})).await;
    let t = &a.admin.token;
    let heavy = a
        .app
        .create_category(
            t,
            &json!({"name": "Fundadora", "annual_fee_cents": 0, "voting_weight": 3}),
        )
        .await;
    // "Socia 000" sorts first: the weight-3 founding member.
    let founder = a.app.active_members(t, heavy, 0, 1).await;
    assert_eq!(founder.len(), 1);
    let agenda = json!([{"title": "Plan de actividades", "kind": "resolution"}]);
    let (meeting, roll, items) = constituted(&a, agenda, 3).await;
    let weights: Vec<i64> = a
        .app
        .roll(t, meeting)
        .await
        .iter()
        .map(|r| r["weight"].as_i64().unwrap())
        .collect();
    assert_eq!(weights, [3, 1, 1]);
    let named = json!({"votes": [
        {"roll_entry_id": roll[0], "choice": "yes"},
        {"roll_entry_id": roll[1], "choice": "no"},
        {"roll_entry_id": roll[2], "choice": "no"},
    ]});
    let r = vote(&a, meeting, items[0], named).await;
    assert_eq!((r["yes"].as_i64(), r["no"].as_i64()), (Some(3), Some(2)));
    assert_eq!(r["adopted"], true, "three votes of weight outweigh two");
    assert_eq!(r["named"], true);
}

#[tokio::test]
async fn totals_above_the_weight_present_and_represented_are_refused() {
    let a = assembly(6, json!({})).await;
    let agenda = json!([{"title": "Cuentas anuales", "kind": "resolution"}]);
    let (meeting, _, items) = constituted(&a, agenda, 4).await;
    let res = a
        .app
        .try_resolve(&a.admin.token, meeting, items[0], &totals(3, 2, 0))
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "votes_exceed_present");
    let m = a.app.meeting(&a.admin.token, meeting).await;
    assert!(m["agenda"][0]["resolution"].is_null());
}
