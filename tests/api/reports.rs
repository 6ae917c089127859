//! The cluster's record (`/api/v1/cluster`) and the AEI register readiness report.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{NewMember, TestApp, assert_problem, expect_json, spawn_app};

pub fn cluster_body() -> Value {
    json!({
        "legal_name": "Clúster Audiovisual de Madrid 🎬",
        "short_name": "Audiovisual Madrid",
        "tax_id": agrupa::domain::tax_id::make_cif('G', 1_234_567),
        "street": "Calle de la Cámara, 7",
        "postal_code": "28004",
        "city": "Madrid",
        "province": "Madrid",
        "website": "https://audiovisual.madrid",
        "sector_description": "Cine, televisión, animación y videojuegos",
        "cnae_codes": ["59.11", "59.12", "60"],
        "management_fte": 2.5
    })
}

pub async fn put_cluster(
    app: &TestApp,
    token: &str,
    if_match: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .put(app.url("/api/v1/cluster"))
        .bearer_auth(token)
        .json(body);
    if let Some(tag) = if_match {
        req = req.header("If-Match", tag);
    }
    req.send().await.unwrap()
}

pub async fn etag_of(app: &TestApp, token: &str) -> String {
    let res = app.get_as(token, "/api/v1/cluster").await;
    assert_eq!(res.status(), 200);
    res.headers()["etag"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_cluster_record_is_set_up_once_then_replaced_with_if_match() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;

    let missing = app.get_as(t, "/api/v1/cluster").await;
    assert_problem(missing, 404, "not_found").await;
    // If-Match on a record that does not exist matches nothing, not even `*`.
    let res = put_cluster(&app, t, Some("*"), &cluster_body()).await;
    assert_problem(res, 412, "precondition_failed").await;

    let staff = app.user(&admin, "staff").await;
    let res = put_cluster(&app, &staff.token, None, &cluster_body()).await;
    assert_problem(res, 403, "forbidden").await;

    let res = put_cluster(&app, t, None, &cluster_body()).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["location"], "/api/v1/cluster");
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["legal_name"], "Clúster Audiovisual de Madrid 🎬");
    assert_eq!(created["country_code"], "ES");
    assert_eq!(created["management_fte"], 2.5);
    assert_eq!(created["cnae_codes"], json!(["59.11", "59.12", "60"]));
    assert_eq!(created["aei_registration"], Value::Null);

    // Everyone signed in reads it, with its ETag; staff too.
    let read: Value = expect_json(app.get_as(&staff.token, "/api/v1/cluster").await, 200).await;
    assert_eq!(read, created);

    // Replacing needs If-Match now.
    let mut changed = cluster_body();
    changed["aei_registration"] = json!({"register_number": "AEI-MAD-0123",
        "registered_on": "2024-03-15", "expires_on": "2028-03-15"});
    changed["sector_figures"] = json!({"turnover_cents": 420_000_000_000_i64, "companies": 4800,
        "source": "Directorio Central de Empresas (INE), CNAE 59 y 60", "year": 2023});
    let res = put_cluster(&app, t, None, &changed).await;
    assert_problem(res, 428, "precondition_required").await;
    let res = put_cluster(&app, t, Some("\"999\""), &changed).await;
    assert_problem(res, 412, "precondition_failed").await;
    let tag = etag_of(&app, t).await;
    let res = put_cluster(&app, t, Some(&tag), &changed).await;
    assert_eq!(res.status(), 200);
    assert_ne!(res.headers()["etag"].to_str().unwrap(), tag);
    let replaced: Value = res.json().await.unwrap();
    assert_eq!(
        replaced["aei_registration"]["register_number"],
        "AEI-MAD-0123"
    );
    assert_eq!(replaced["sector_figures"]["companies"], 4800);
    assert_eq!(replaced["created_at"], created["created_at"]);

    // A PUT replaces the whole record: what is left out is cleared.
    let tag = etag_of(&app, t).await;
    let minimal = json!({"legal_name": "Clúster", "tax_id": created["tax_id"]});
    let cleared: Value = expect_json(put_cluster(&app, t, Some(&tag), &minimal).await, 200).await;
    assert_eq!(cleared["website"], Value::Null);
    assert_eq!(cleared["aei_registration"], Value::Null);
    assert_eq!(cleared["cnae_codes"], json!([]));

    let events = app
        .audit_events(t, "resource_type=cluster&sort=occurred_at")
        .await;
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "updated", "updated"]);
}

#[tokio::test]
async fn a_bad_cluster_record_is_refused_whole_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    let with = |field: &str, value: Value| {
        let mut b = cluster_body();
        b[field] = value;
        b
    };
    for (body, field) in [
        (with("tax_id", json!("G12345678")), "tax_id"),
        (with("legal_name", json!("  ")), "legal_name"),
        (with("legal_name", json!("x".repeat(201))), "legal_name"),
        (with("postal_code", json!("2804")), "postal_code"),
        (with("country_code", json!("es")), "country_code"),
        (with("website", json!("ftp://x.es")), "website"),
        (with("cnae_codes", json!(["591"])), "cnae_codes"),
        (with("management_fte", json!(2.505)), "management_fte"),
        (with("management_fte", json!(-1)), "management_fte"),
        (
            with(
                "aei_registration",
                json!({"register_number": "AEI-1",
                "registered_on": "2024-03-15", "expires_on": "2028-03-16"}),
            ),
            "aei_registration",
        ),
        (
            with(
                "sector_figures",
                json!({"turnover_cents": 0, "source": "INE", "year": 2023}),
            ),
            "sector_figures",
        ),
    ] {
        let res = put_cluster(&app, t, None, &body).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let res = put_cluster(&app, t, None, &with("role", json!("admin"))).await;
    assert_eq!(res.status(), 400);
    let res = put_cluster(&app, t, None, &with("management_fte", json!("2.5"))).await;
    assert_eq!(res.status(), 400);
    assert_problem(app.get_as(t, "/api/v1/cluster").await, 404, "not_found").await;
}

/// A member of `kind`, active, with a turnover.
async fn member(
    app: &TestApp,
    token: &str,
    category: Uuid,
    n: u32,
    kind: &str,
    turnover: Option<i64>,
) -> Uuid {
    let name = format!("Socia {n:03}");
    let tax_id = agrupa::domain::tax_id::make_cif('B', 7_000_000 + n);
    let m = NewMember {
        kind,
        annual_turnover_cents: turnover,
        ..NewMember::company(category, &name, &tax_id).active()
    };
    app.create_member(token, &m).await.id
}

async fn report(app: &TestApp, token: &str, as_of: &str) -> Value {
    app.get_ok(
        token,
        &format!("/api/v1/reports/aei-register?as_of={as_of}"),
    )
    .await
}

pub fn criterion<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report}"))
}

pub fn status(report: &Value, code: &str) -> String {
    criterion(report, code)["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn aei_readiness_passes_and_fails_each_criterion_on_crafted_data() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;

    // Nothing recorded: no plan fails; the rest is unknown.
    let r = report(&app, t, "2024-06-01").await;
    assert_eq!(status(&r, "strategic_plan"), "fail");
    assert_eq!(status(&r, "critical_mass"), "unknown");
    assert_eq!(status(&r, "knowledge_provider"), "unknown");
    assert_eq!(status(&r, "registration"), "unknown");
    assert_eq!(r["overall"], "fail");
    assert_eq!(r["eligible_for_calls"], false);

    // The plan 2024–2027 covers four years from 2024, not from 2025.
    app.new_approved_plan(&admin, &crate::support::plans::plan_doc(""))
        .await;
    assert_eq!(
        status(&report(&app, t, "2024-06-01").await, "strategic_plan"),
        "pass"
    );
    let r = report(&app, t, "2025-01-01").await;
    assert_eq!(status(&r, "strategic_plan"), "fail");
    assert!(
        criterion(&r, "strategic_plan")["detail"]
            .as_str()
            .unwrap()
            .contains("2025–2028")
    );

    // Critical mass, to the cent: members' turnover 3,000,000 cents against a sector of
    // 10,000,000 is 30%; one cent more in the sector is 29.99%.
    let category = app.new_category(t, 0).await;
    let university = member(&app, t, category, 1, "university", None).await;
    let company = member(&app, t, category, 2, "company", Some(1_000_000)).await;
    member(&app, t, category, 3, "company", Some(2_000_000)).await;
    let mut body = cluster_body();
    body["sector_figures"] = json!({"turnover_cents": 10_000_000, "companies": 1000,
        "source": "Estudio sectorial", "year": 2023});
    body["aei_registration"] = json!({"register_number": "AEI-MAD-0123",
        "registered_on": "2024-03-15", "expires_on": "2028-03-15"});
    assert_eq!(put_cluster(&app, t, None, &body).await.status(), 201);
    let r = report(&app, t, "2024-06-01").await;
    assert_eq!(status(&r, "critical_mass"), "pass", "{r}");
    let figure = |r: &Value, kind: &str| {
        criterion(r, "critical_mass")["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == kind)
            .map(|e| e["value"].clone())
    };
    assert_eq!(figure(&r, "turnover_share_bp"), Some(json!(3000)));
    assert_eq!(figure(&r, "members_turnover_cents"), Some(json!(3_000_000)));
    body["sector_figures"]["turnover_cents"] = json!(10_000_001);
    let tag = etag_of(&app, t).await;
    assert_eq!(put_cluster(&app, t, Some(&tag), &body).await.status(), 200);
    let r = report(&app, t, "2024-06-01").await;
    assert_eq!(status(&r, "critical_mass"), "fail");
    assert_eq!(figure(&r, "turnover_share_bp"), Some(json!(2999)));
    // Two member companies are 10% of a sector of 20 companies.
    body["sector_figures"]["companies"] = json!(20);
    let tag = etag_of(&app, t).await;
    assert_eq!(put_cluster(&app, t, Some(&tag), &body).await.status(), 200);
    let r = report(&app, t, "2024-06-01").await;
    assert_eq!(status(&r, "critical_mass"), "pass");
    assert_eq!(figure(&r, "companies_share_bp"), Some(json!(1000)));
    // A self-employed professional counts as a company; without a turnover recorded, the
    // turnover's figures stay as they were (counted in the database, not in the server).
    member(&app, t, category, 4, "freelancer", None).await;
    let r = report(&app, t, "2024-06-01").await;
    assert_eq!(figure(&r, "companies_share_bp"), Some(json!(1500)));
    assert_eq!(figure(&r, "members_turnover_cents"), Some(json!(3_000_000)));

    // Knowledge provider: the Assembly has the university among its voters; a board with
    // only a company does not, until the university takes a seat.
    app.assembly(t, json!({})).await;
    assert_eq!(
        status(&report(&app, t, "2024-06-01").await, "knowledge_provider"),
        "pass"
    );
    let board = app
        .create_body(t, &json!({"kind": "board", "name": "Junta Directiva"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let seat = |m: Uuid, position: &str| json!({"member_id": m, "person_name": "Persona", "position": position, "starts_on": "2024-01-01"});
    let seats = format!("/api/v1/bodies/{board}/seats");
    assert_eq!(
        app.post_json(t, &seats, &seat(company, "president"))
            .await
            .status(),
        201
    );
    let r = report(&app, t, "2024-06-01").await;
    assert_eq!(status(&r, "knowledge_provider"), "fail");
    assert!(
        criterion(&r, "knowledge_provider")["detail"]
            .as_str()
            .unwrap()
            .contains("Junta Directiva")
    );
    assert_eq!(
        app.post_json(t, &seats, &seat(university, "member"))
            .await
            .status(),
        201
    );
    let r = report(&app, t, "2024-06-01").await;
    assert_eq!(status(&r, "knowledge_provider"), "pass");

    // Registration: valid inside its term, with the window of an inscription made before
    // 31 July (the first two months of 2028); expired after it.
    assert_eq!(r["overall"], "pass", "{r}");
    assert_eq!(r["eligible_for_calls"], true);
    assert_eq!(
        r["registration"]["renewal_window"]["opens_on"],
        "2028-01-01"
    );
    assert_eq!(
        r["registration"]["renewal_window"]["closes_on"],
        "2028-02-29"
    );
    assert_eq!(r["registration"]["renewal_window"]["state"], "before");
    let r = report(&app, t, "2028-02-01").await;
    assert_eq!(r["registration"]["renewal_window"]["state"], "open");
    assert_eq!(r["registration"]["days_to_expiry"], 43);
    let r = report(&app, t, "2028-03-16").await;
    assert_eq!(status(&r, "registration"), "fail");
    assert_eq!(r["eligible_for_calls"], false);
    assert_eq!(r["registration"]["renewal_window"]["state"], "closed");

    // CSV: one row per criterion.
    let res = app
        .client
        .get(app.url("/api/v1/reports/aei-register?as_of=2024-06-01"))
        .bearer_auth(t)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    // With a byte order mark, as every CSV here (spreadsheets read UTF-8 by it).
    let mut lines = text.strip_prefix('\u{feff}').unwrap().lines();
    assert_eq!(lines.next(), Some("code,status,detail,evidence"));
    assert_eq!(lines.count(), 4);

    // Any valid date is a day to compute for (Schemathesis sent year 105); a malformed one
    // is a 400.
    let old = report(&app, t, "0105-09-29").await;
    assert_eq!(old["registration"]["valid"], false);
    assert_eq!(old["eligible_for_calls"], false);
    let res = app
        .get_as(t, "/api/v1/reports/aei-register?as_of=mañana")
        .await;
    assert_eq!(res.status(), 400);
}
