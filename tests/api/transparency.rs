//! Transparency (Ley 19/2013 art. 3.b): the obligation test per year, publishing a year,
//! and the public feed (no token, only published years, nothing confidential).

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    Created, NewMember, TestApp, assert_problem, expect_json, spawn_app, spawn_app_with,
};

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
    assert!(
        rows[0]
            .trim_start_matches('\u{feff}')
            .starts_with("code,status,aid_cents"),
        "{csv}"
    );
    assert!(
        rows[1].starts_with("aid_over_100k,pass,10000001,10000000"),
        "{csv}"
    );

    // Representatives do not see it; a year out of range is a query the schema refuses (400).
    let member = app.user(&admin, "member").await;
    let res = app
        .get_as(&member.token, "/api/v1/reports/transparency?year=2031")
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = app
        .get_as(t, "/api/v1/reports/transparency?year=1999")
        .await;
    assert_problem(res, 400, "invalid_query").await;
    let res = app.get_as(t, "/api/v1/reports/transparency").await;
    assert_eq!(res.status(), 400);
}

/// Planted where the records hold them; none may leave through the public feed.
const CONFIDENTIAL: [&str; 4] = [
    "Persona Confidencial",
    "confidencial@socia.es",
    "600 111 222",
    "Mecenazgo Secreto",
];

async fn public(app: &TestApp, path: &str, accept: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    if let Some(a) = accept {
        req = req.header("Accept", a);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_published_year_is_served_without_a_token_and_leaks_nothing_confidential() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    let staff = app.user(&admin, "staff").await;

    // The records: a council agreement with markup in its obligations, a private patron,
    // a board seat held by a member organisation through a named person, and that
    // member's contact with an e-mail and a phone.
    let council = funder(&app, t, "Ayuntamiento de Ñora", "city_council").await;
    let patron = funder(&app, t, "Mecenazgo Secreto", "private").await;
    let body = json!({"funder_id": council, "title": "Convenio de promoción 2031",
        "reference": "CONV-2031", "starts_on": "2031-01-01", "ends_on": "2031-12-31",
        "total_cents": 12_000_000, "obligations": "Justificar <script>alert(1)</script> antes de marzo",
        "instalments": [{"fiscal_year": YEAR, "amount_cents": 12_000_000}]});
    app.create_agreement(t, &body).await;
    agreement(&app, t, patron, "Donación 2031", 300_000).await;
    let category = app.new_category(t, 0).await;
    let member = app
        .create_member(
            t,
            &NewMember::company(
                category,
                "Estudio Ñandú, S.L.",
                &agrupa::domain::tax_id::make_cif('B', 7_654_321),
            )
            .active(),
        )
        .await
        .id;
    let res = app
        .post_json(
            t,
            &format!("/api/v1/members/{member}/contacts"),
            &json!({"name": "Persona Confidencial", "email": "confidencial@socia.es",
                "phone": "+34 600 111 222"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let board = app
        .create_body(t, &json!({"kind": "board", "name": "Junta Directiva"}))
        .await;
    let seat = json!({"member_id": member, "person_name": "Persona Confidencial",
        "position": "president", "starts_on": "2024-01-01"});
    let res = app
        .post_json(
            t,
            &format!("/api/v1/bodies/{}/seats", board["id"].as_str().unwrap()),
            &seat,
        )
        .await;
    assert_eq!(res.status(), 201);

    // Not published: 404 to anyone, as for a year that does not exist.
    let res = public(&app, "/public/v1/transparency/2031", None).await;
    assert_problem(res, 404, "not_found").await;
    let res = public(
        &app,
        "/public/v1/transparency/2031/agreements",
        Some("text/csv"),
    )
    .await;
    assert_eq!(res.status(), 404);

    // Representatives may not publish; staff do, once.
    let member_user = app.user(&admin, "member").await;
    let new = json!({"fiscal_year": YEAR, "note": "Cuentas aprobadas por la Asamblea General"});
    let res = app
        .post_json(
            &member_user.token,
            "/api/v1/transparency-publications",
            &new,
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = app
        .post_json(&staff.token, "/api/v1/transparency-publications", &new)
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.headers()["location"],
        "/api/v1/transparency-publications/2031"
    );
    let publication: Value = res.json().await.unwrap();
    assert_eq!(publication["fiscal_year"], YEAR);
    assert!(publication["published_by"].is_string());
    let res = app
        .post_json(&staff.token, "/api/v1/transparency-publications", &new)
        .await;
    assert_problem(res, 409, "already_published").await;
    let res = app
        .post_json(
            t,
            "/api/v1/transparency-publications",
            &json!({"fiscal_year": 1999}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;

    // Published: anyone reads it, cacheable, with a tag that answers 304.
    let res = public(&app, "/public/v1/transparency/2031", None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=300");
    assert!(
        res.headers().contains_key("ratelimit-remaining"),
        "rate limited like /api/"
    );
    let tag = res.headers()["etag"].to_str().unwrap().to_owned();
    let text = res.text().await.unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["fiscal_year"], YEAR);
    assert_eq!(doc["note"], "Cuentas aprobadas por la Asamblea General");
    assert_eq!(doc["public_aid_cents"], 12_000_000);
    assert_eq!(doc["agreements"].as_array().unwrap().len(), 1, "{text}");
    assert_eq!(doc["agreements"][0]["parties"][1], "Ayuntamiento de Ñora");
    assert_eq!(doc["agreements"][0]["year_cents"], 12_000_000);
    assert_eq!(doc["subsidies"][0]["grantor"], "Ayuntamiento de Ñora");
    let board_doc = doc["governing_bodies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "Junta Directiva")
        .unwrap();
    assert_eq!(board_doc["seats"][0]["organisation"], "Estudio Ñandú, S.L.");
    assert_eq!(board_doc["seats"][0]["position"], "president");
    for secret in CONFIDENTIAL {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let res = app
        .client
        .get(app.url("/public/v1/transparency/2031"))
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert_eq!(res.headers()["etag"].to_str().unwrap(), tag);

    // Every section, JSON and CSV, leaks nothing either.
    for section in ["agreements", "subsidies", "budget", "governing-bodies"] {
        let path = format!("/public/v1/transparency/2031/{section}");
        for accept in [None, Some("text/csv")] {
            let res = public(&app, &path, accept).await;
            assert_eq!(res.status(), 200, "{path}");
            assert!(res.headers().contains_key("etag"));
            let text = res.text().await.unwrap();
            for secret in CONFIDENTIAL {
                assert!(!text.contains(secret), "{secret} leaked by {path}: {text}");
            }
        }
    }
    let csv = public(
        &app,
        "/public/v1/transparency/2031/governing-bodies",
        Some("text/csv"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        csv.contains("Junta Directiva,\"Estudio Ñandú, S.L.\",president"),
        "{csv}"
    );

    // The HTML page escapes what it shows.
    let res = public(&app, "/public/v1/transparency/2031", Some("text/html")).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // Its own style, by hash, and nothing else.
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-"),
        "{csp}"
    );
    let html = res.text().await.unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");
    for secret in CONFIDENTIAL {
        assert!(!html.contains(secret), "{secret} leaked: {html}");
    }

    // The list of published years.
    let years: Value = expect_json(public(&app, "/public/v1/transparency", None).await, 200).await;
    assert_eq!(years["items"][0]["fiscal_year"], YEAR);

    // Withdrawn: 404 again; publish and withdrawal are audited.
    let res = app
        .send_as(
            "DELETE",
            &staff.token,
            "/api/v1/transparency-publications/2031",
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = public(&app, "/public/v1/transparency/2031", None).await;
    assert_eq!(res.status(), 404);
    let events = app
        .audit_events(t, "resource_type=transparency_publication&sort=occurred_at")
        .await;
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "deleted"]);
}

#[tokio::test]
async fn the_public_feed_is_rate_limited_per_address() {
    crate::contract::away_from_a_minute_boundary().await;
    let app = spawn_app_with(|c| c.rate_limit = 2).await;
    for _ in 0..2 {
        let res = public(&app, "/public/v1/transparency", None).await;
        assert_eq!(res.status(), 200);
    }
    let res = public(&app, "/public/v1/transparency", None).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429, "too_many_requests").await;
}
