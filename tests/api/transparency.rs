//! Transparency (Ley 19/2013 art. 3.b): the obligation test per year.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Created, TestApp, assert_problem, expect_json, spawn_app};

const YEAR: i32 = 2031;

async fn funder(app: &TestApp, token: &str, name: &str, kind: &str) -> Uuid {
    let res = app
        .try_create_funder(token, &json!({"name": name, "kind": kind}))
        .await;
    expect_json::<Created>(res, 201).await.id
}

/// An agreement of `funder` with one instalment of `cents` in [`YEAR`].
async fn agreement(app: &TestApp, token: &str, funder: Uuid, title: &str, cents: i64) -> Uuid {
    let body = json!({"funder_id": funder, "title": title, "reference": format!("REF-{title}"),
        "starts_on": format!("{YEAR}-01-01"), "ends_on": format!("{YEAR}-12-31"),
        "total_cents": cents, "obligations": "Justificar antes del 31 de marzo",
        "instalments": [{"fiscal_year": YEAR, "amount_cents": cents}]});
    app.create_agreement(token, &body).await.id
}

async fn report(app: &TestApp, token: &str) -> Value {
    expect_json(
        app.get_as(token, &format!("/api/v1/reports/transparency?year={YEAR}"))
            .await,
        200,
    )
    .await
}

fn statuses(r: &Value) -> (bool, &str, &str) {
    (
        r["obliged"].as_bool().unwrap(),
        r["criteria"][0]["status"].as_str().unwrap(),
        r["criteria"][1]["status"].as_str().unwrap(),
    )
}

#[tokio::test]
async fn the_transparency_obligation_follows_public_aid_to_the_cent() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;

    // Nothing recorded: no aid, no budget.
    let r = report(&app, t).await;
    assert_eq!(statuses(&r), (false, "fail", "fail"));
    assert_eq!(r["income"]["basis"], "none");
    assert_eq!(r["public_aid_cents"], 0);

    // Exactly 100,000.00 EUR from the council, and a private foundation's money that
    // does not count.
    let council = funder(&app, t, "Ayuntamiento de Ñora", "city_council").await;
    let foundation = funder(&app, t, "Fundación Privada", "private").await;
    agreement(&app, t, council, "Convenio 2031", 10_000_000).await;
    agreement(&app, t, foundation, "Mecenazgo 2031", 5_000_000).await;
    let r = report(&app, t).await;
    assert_eq!(r["public_aid_cents"], 10_000_000);
    assert_eq!(r["other_funding_cents"], 5_000_000);
    // Not more than 100,000 EUR; without a budget the share is unknown.
    assert_eq!(statuses(&r), (false, "fail", "unknown"));
    assert_eq!(r["by_funder"][0]["funder_name"], "Ayuntamiento de Ñora");
    assert_eq!(r["by_funder"][0]["public"], true);
    assert_eq!(r["by_funder"][0]["agreements_cents"], 10_000_000);
    assert_eq!(r["by_funder"][1]["public"], false);
    assert_eq!(r["items"].as_array().unwrap().len(), 2);

    // An adopted budget with 1,000,000 EUR of planned income and nothing received yet:
    // the planned figure is used, and says so (10%).
    let cats = app.budget_categories(t).await;
    let budget = app
        .create_budget(
            t,
            &json!({"fiscal_year": YEAR, "title": "Presupuesto 2031"}),
        )
        .await
        .id;
    let income = app
        .add_line(
            t,
            budget,
            &json!({"code": "I-1", "kind": "income", "category_id": cats["public_subsidies"],
                "description": "Subvenciones", "planned_cents": 100_000_000, "source_text": "Ayuntamiento"}),
        )
        .await
        .id;
    app.approve_budget(t, budget, &json!({"reference": "Acta de la Asamblea"}))
        .await;
    let r = report(&app, t).await;
    assert_eq!(r["income"]["basis"], "planned");
    assert_eq!(r["income"]["amount_cents"], 100_000_000);
    assert_eq!(r["criteria"][1]["share_bp"], 1_000);
    assert_eq!(statuses(&r), (false, "fail", "fail"));

    // 250,000.00 EUR received: 100,000 / 250,000 is 40% exactly.
    app.add_entry(
        t,
        income,
        &json!({"entry_date": format!("{YEAR}-03-01"), "kind": "actual",
            "amount_cents": 25_000_000, "description": "Cobro"}),
    )
    .await;
    let r = report(&app, t).await;
    assert_eq!(r["income"]["basis"], "executed");
    assert_eq!(r["income"]["amount_cents"], 25_000_000);
    assert_eq!(r["criteria"][1]["share_bp"], 4_000);
    assert_eq!(statuses(&r), (true, "fail", "pass"));
    // One cent less received would be 40.00016%: still pass; one cent more is 39.99%.
    app.add_entry(
        t,
        income,
        &json!({"entry_date": format!("{YEAR}-03-02"), "kind": "actual",
            "amount_cents": 1, "description": "Intereses"}),
    )
    .await;
    let r = report(&app, t).await;
    assert_eq!(r["criteria"][1]["share_bp"], 3_999);
    assert_eq!(statuses(&r), (false, "fail", "fail"));

    // One more cent of public aid: more than 100,000 EUR.
    agreement(&app, t, council, "Adenda 2031", 1).await;
    let r = report(&app, t).await;
    assert_eq!(r["public_aid_cents"], 10_000_001);
    assert_eq!(statuses(&r), (true, "pass", "pass"));
    assert_eq!(r["by_funder"][0]["agreements_cents"], 10_000_001);

    // CSV: one row per criterion.
    let csv = app
        .get_csv(t, &format!("/api/v1/reports/transparency?year={YEAR}"))
        .await;
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows[0].starts_with("code,status,aid_cents"), "{csv}");
    assert!(
        rows[1].starts_with("aid_over_100k,pass,10000001,10000000"),
        "{csv}"
    );

    // Representatives do not see it; a year out of range is a 422.
    let member = app.user(&admin, "member").await;
    let res = app
        .get_as(&member.token, "/api/v1/reports/transparency?year=2031")
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = app
        .get_as(t, "/api/v1/reports/transparency?year=1999")
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app.get_as(t, "/api/v1/reports/transparency").await;
    assert_eq!(res.status(), 400);
}
