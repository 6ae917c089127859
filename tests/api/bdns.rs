//! BDNS interchange: a call imported from the national subsidy database's export (idempotent,
//! with the changes reported field by field, a dry run, bad files refused whole), and the
//! year's grants exported as its grant records (JSON and CSV). The sample files are in
//! `tests/fixtures/bdns/` (made up, in the BDNS's shape: see their `advertencia`; the grant
//! record `concesion.json` names the fields an export may use).

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    TestApp, TestUser, assert_problem, expect_json, funding::call_path, spawn_app,
};

const IMPORTS: &str = "/api/v1/bdns-call-imports";

/// A sample file of `tests/fixtures/bdns/`.
fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/bdns/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// An import of `file` with the settings of a new call.
fn import_of(file: &str) -> Value {
    json!({"convocatoria": fixture(file), "new_call": {"cofinancing_rate_bp": 8000,
        "max_grant_cents": 15_000_000, "programme": "Programa de apoyo a las AEI"}})
}

struct Setup {
    app: TestApp,
    admin: TestUser,
    ministry: Uuid,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ministry = app
        .new_funder(&admin.token, "Ministerio de Industria y Turismo")
        .await;
    app.new_funder(&admin.token, "Ayuntamiento de Madrid").await;
    Setup {
        app,
        admin,
        ministry,
    }
}

impl Setup {
    async fn import(&self, body: &Value, status: u16) -> Value {
        let res = self.app.post_json(&self.admin.token, IMPORTS, body).await;
        expect_json(res, status).await
    }

    async fn call_audit(&self) -> Vec<String> {
        self.app
            .audit_events(&self.admin.token, "resource_type=call&sort=occurred_at")
            .await
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn calls(&self) -> Vec<Value> {
        let page: Value = self.app.get_ok(&self.admin.token, "/api/v1/calls").await;
        page["items"].as_array().unwrap().clone()
    }
}

/// The changed fields of an answer, by name.
fn changed(answer: &Value) -> Vec<&str> {
    answer["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn importing_a_bdns_call_twice_creates_it_once_and_then_changes_nothing() {
    let s = setup().await;
    let res = s
        .app
        .post_json(&s.admin.token, IMPORTS, &import_of("convocatoria_aei.json"))
        .await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let first: Value = res.json().await.unwrap();
    assert_eq!(first["outcome"], "created");
    assert_eq!(first["dry_run"], false);
    let call = &first["call"];
    assert_eq!(
        location,
        call_path(call["id"].as_str().unwrap().parse().unwrap())
    );
    assert_eq!(
        call["funder_id"],
        s.ministry.to_string(),
        "matched by organo"
    );
    assert_eq!(call["bdns_code"], "900123");
    assert!(
        call["title"]
            .as_str()
            .unwrap()
            .starts_with("Ayudas de apoyo a Agrupaciones")
    );
    assert_eq!(call["opens_at"], "2025-03-13T00:00:00+01:00");
    assert_eq!(call["closes_at"], "2025-04-14T23:59:59+02:00");
    assert_eq!(call["total_budget_cents"], 700_000_000);
    assert_eq!(call["journal_reference"], "BOE-B-2025-00000");
    assert_eq!(
        call["instruments"],
        json!(["SUBVENCIÓN Y ENTREGA DINERARIA SIN CONTRAPRESTACIÓN"])
    );
    assert_eq!(call["cofinancing_rate_bp"], 8000);
    assert_eq!(call["max_grant_cents"], 15_000_000);
    assert_eq!(call["status"], "closed");
    assert!(changed(&first).contains(&"closes_at"));
    assert!(first["changes"][0]["before"].is_null());
    let tag = s.app.etag_of(&s.admin.token, &location).await;
    assert_eq!(s.call_audit().await, ["created"]);

    // The same file again: nothing changes, nothing is written.
    let second = s.import(&import_of("convocatoria_aei.json"), 200).await;
    assert_eq!(second["outcome"], "unchanged");
    assert_eq!(second["changes"], json!([]));
    assert_eq!(second["call"], first["call"]);
    assert_eq!(s.app.etag_of(&s.admin.token, &location).await, tag);
    assert_eq!(s.call_audit().await, ["created"]);
    assert_eq!(s.calls().await.len(), 1);
}

#[tokio::test]
async fn a_changed_bdns_file_reports_exactly_the_changed_fields_and_updates_the_call() {
    let s = setup().await;
    let created = s.import(&import_of("convocatoria_aei.json"), 201).await;
    let path = call_path(created["call"]["id"].as_str().unwrap().parse().unwrap());

    // What the BDNS does not publish is never touched by an update, whatever `new_call` says.
    let mut body = import_of("convocatoria_aei_ampliada.json");
    body["new_call"]["cofinancing_rate_bp"] = json!(5000);
    let updated = s.import(&body, 200).await;
    assert_eq!(updated["outcome"], "updated");
    assert_eq!(
        updated["changes"],
        json!([
            {"field": "closes_at", "before": "2025-04-14T23:59:59+02:00",
                "after": "2025-04-28T23:59:59+02:00"},
            {"field": "total_budget_cents", "before": 700_000_000, "after": 750_000_050}
        ])
    );
    let call: Value = s.app.get_ok(&s.admin.token, &path).await;
    assert_eq!(call["closes_at"], "2025-04-28T23:59:59+02:00");
    assert_eq!(call["total_budget_cents"], 750_000_050);
    assert_eq!(call["cofinancing_rate_bp"], 8000);
    assert_eq!(
        call["journal_reference"], "BOE-B-2025-00000",
        "the first announcement"
    );
    assert_eq!(call, updated["call"]);
    assert_eq!(s.call_audit().await, ["created", "updated"]);
    let events = s
        .app
        .audit_events(&s.admin.token, "resource_type=call&action=updated")
        .await;
    assert_eq!(events[0]["before"]["total_budget_cents"], 700_000_000);
    assert_eq!(events[0]["after"]["total_budget_cents"], 750_000_050);

    // Imported again, the changed file changes nothing more.
    let again = s.import(&body, 200).await;
    assert_eq!(again["outcome"], "unchanged");
    assert_eq!(s.call_audit().await, ["created", "updated"]);
}

#[tokio::test]
async fn a_dry_run_reports_what_an_import_would_do_and_writes_nothing() {
    let s = setup().await;
    let mut body = import_of("convocatoria_aei.json");
    body["dry_run"] = json!(true);
    let preview = s.import(&body, 200).await;
    assert_eq!(preview["outcome"], "created");
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["call"]["bdns_code"], "900123");
    assert!(s.calls().await.is_empty());
    assert!(s.call_audit().await.is_empty());

    let created = s.import(&import_of("convocatoria_aei.json"), 201).await;
    let path = call_path(created["call"]["id"].as_str().unwrap().parse().unwrap());
    let tag = s.app.etag_of(&s.admin.token, &path).await;
    let mut body = import_of("convocatoria_aei_ampliada.json");
    body["dry_run"] = json!(true);
    let preview = s.import(&body, 200).await;
    assert_eq!(preview["outcome"], "updated");
    assert_eq!(changed(&preview), ["closes_at", "total_budget_cents"]);
    assert_eq!(preview["call"]["closes_at"], "2025-04-28T23:59:59+02:00");
    let call: Value = s.app.get_ok(&s.admin.token, &path).await;
    assert_eq!(call["closes_at"], "2025-04-14T23:59:59+02:00");
    assert_eq!(s.app.etag_of(&s.admin.token, &path).await, tag);
    assert_eq!(s.call_audit().await, ["created"]);
}

#[tokio::test]
async fn a_bad_bdns_file_is_refused_whole_and_writes_nothing() {
    let s = setup().await;
    let res = s
        .app
        .post_json(
            &s.admin.token,
            IMPORTS,
            &import_of("convocatoria_aei_erronea.json"),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "convocatoria.fechaInicioSolicitud",
            "convocatoria.presupuestoTotal",
            "convocatoria.anuncios[0].datPublicacion"
        ]
    );

    // A funder the organ does not name, and a new call without its co-financing rate.
    let mut unknown = import_of("convocatoria_aei.json");
    unknown["convocatoria"]["organo"] =
        json!({"nivel1": "ESTADO", "nivel2": "MINISTERIO DE CULTURA", "nivel3": null});
    let res = s.app.post_json(&s.admin.token, IMPORTS, &unknown).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "convocatoria.organo");
    let without_rate = json!({"convocatoria": fixture("convocatoria_aei.json")});
    let res = s
        .app
        .post_json(&s.admin.token, IMPORTS, &without_rate)
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(
        problem["errors"][0]["field"],
        "new_call.cofinancing_rate_bp"
    );
    let mut missing_funder = import_of("convocatoria_aei.json");
    missing_funder["funder_id"] = json!(Uuid::now_v7());
    let res = s
        .app
        .post_json(&s.admin.token, IMPORTS, &missing_funder)
        .await;
    assert_problem(res, 422, "validation_failed").await;

    assert!(s.calls().await.is_empty());
    assert!(s.call_audit().await.is_empty());

    // An existing call's funder does not change.
    s.import(&import_of("convocatoria_aei.json"), 201).await;
    let council = s
        .app
        .new_funder(&s.admin.token, "Diputación de Prueba")
        .await;
    let mut other = import_of("convocatoria_aei_ampliada.json");
    other["funder_id"] = json!(council);
    let res = s.app.post_json(&s.admin.token, IMPORTS, &other).await;
    assert_problem(res, 409, "bdns_call_of_other_funder").await;
    assert_eq!(s.call_audit().await, ["created"]);
}

#[tokio::test]
async fn unknown_bdns_fields_are_accepted_but_the_envelope_is_strict() {
    let s = setup().await;
    let mut body = import_of("convocatoria_aei.json");
    body["convocatoria"]["campoNuevoDeLaBdns"] = json!({"lista": [1, 2, 3], "texto": "ñ"});
    body["convocatoria"]["organo"]["nivelInventado"] = json!("X");
    body["convocatoria"]["urlBasesReguladoras"] = json!("pendiente de publicación");
    body["funder_id"] = json!(s.ministry);
    let created = s.import(&body, 201).await;
    assert_eq!(created["call"]["regulatory_basis_url"], Value::Null);
    assert_eq!(
        created["warnings"][0]["field"],
        "convocatoria.urlBasesReguladoras"
    );

    let mut strict = import_of("convocatoria_aei.json");
    strict["prioridad"] = json!("alta");
    let res = s.app.post_json(&s.admin.token, IMPORTS, &strict).await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn only_staff_and_admins_import_bdns_calls() {
    let s = setup().await;
    let member = s
        .app
        .new_member(
            &s.admin.token,
            "Producciones Añil, S.L.",
            &agrupa::domain::tax_id::make_cif('B', 7_100_001),
        )
        .await;
    let rep = s.app.representative(&s.admin, member).await;
    let partner = s
        .app
        .user_with(&s.admin, "partner", json!({"funder_id": s.ministry}))
        .await;
    let auditor = s.app.user(&s.admin, "auditor").await;
    for who in [&rep, &partner, &auditor] {
        let res = s
            .app
            .post_json(&who.token, IMPORTS, &import_of("convocatoria_aei.json"))
            .await;
        assert_problem(res, 403, "forbidden").await;
    }
    let staff = s.app.user(&s.admin, "staff").await;
    let res = s
        .app
        .post_json(&staff.token, IMPORTS, &import_of("convocatoria_aei.json"))
        .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn an_import_retried_with_its_idempotency_key_replays_the_first_answer() {
    let s = setup().await;
    let send = |body: Value| {
        s.app
            .client
            .post(s.app.url(IMPORTS))
            .bearer_auth(&s.admin.token)
            .header("Idempotency-Key", "bdns-900123-1")
            .json(&body)
            .send()
    };
    let first = send(import_of("convocatoria_aei.json")).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let replay = send(import_of("convocatoria_aei.json")).await.unwrap();
    assert_eq!(replay.status(), 201, "the first answer, replayed");
    assert_eq!(replay.json::<Value>().await.unwrap(), first);
    let other = send(import_of("convocatoria_aei_ampliada.json"))
        .await
        .unwrap();
    assert_problem(other, 422, "idempotency_key_reused").await;
    assert_eq!(s.call_audit().await, ["created"]);
}

/// The cluster's record and an open call with a BDNS code, with applications decided on
/// the given days: `(status, decided_on, granted_cents)`.
async fn grants_world(s: &Setup, decisions: &[(&str, &str, Option<i64>)]) -> Vec<Uuid> {
    let t = &s.admin.token;
    let res = s
        .app
        .client
        .put(s.app.url("/api/v1/cluster"))
        .bearer_auth(t)
        .json(&json!({"legal_name": "Clúster Audiovisual de Madrid",
            "tax_id": agrupa::domain::tax_id::make_cif('G', 1_234_567)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let call = s
        .app
        .new_call_with(t, s.ministry, (-5, 30), &json!({"bdns_code": "900777"}))
        .await;
    let mut ids = Vec::new();
    for (status, day, granted) in decisions {
        let a = s.app.new_application(t, call, &json!({})).await.id;
        for to in ["submitted", "under_review"] {
            s.app.transition_to(t, a, to).await;
        }
        let mut body = json!({"to": status, "decided_on": day});
        if let Some(g) = granted {
            body["granted_cents"] = json!(g);
        }
        if *status == "rejected" {
            body["comment"] = json!("No alcanza la puntuación mínima");
        }
        s.app.transition_with(t, a, &body).await;
        ids.push(a);
    }
    ids
}

#[tokio::test]
async fn the_bdns_grant_export_lists_the_years_grants_as_bdns_records() {
    let s = setup().await;
    let t = &s.admin.token;
    let ids = grants_world(
        &s,
        &[
            ("granted", "2025-06-30", None),
            ("partially_granted", "2025-02-14", Some(500_050)),
            ("granted", "2024-12-31", None),
            ("rejected", "2025-07-01", None),
        ],
    )
    .await;
    s.app.transition_to(t, ids[0], "accepted").await;

    let report: Value = s
        .app
        .get_ok(t, "/api/v1/reports/bdns-grants?year=2025")
        .await;
    assert_eq!(report["year"], 2025);
    let cif = agrupa::domain::tax_id::make_cif('G', 1_234_567);
    let beneficiary = format!("{cif} Clúster Audiovisual de Madrid");
    assert_eq!(report["beneficiary"], beneficiary.as_str());
    assert_eq!(report["total_cents"], 800_000 + 500_050);
    let items = report["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        2,
        "the two grants of 2025, not the rejection nor 2024's"
    );
    assert_eq!(
        items[0],
        json!({
            "codConcesion": ids[1].to_string(),
            "numeroConvocatoria": "900777",
            "convocatoria": "Ayudas a Agrupaciones Empresariales Innovadoras",
            "nivel1": "ESTATAL",
            "nivel2": "Ministerio de Industria y Turismo",
            "nivel3": null,
            "fechaConcesion": "2025-02-14",
            "beneficiario": beneficiary,
            "instrumento": "SUBVENCIÓN Y ENTREGA DINERARIA SIN CONTRAPRESTACIÓN",
            "importe": 5000.5,
            "ayudaEquivalente": 5000.5
        })
    );
    // Every field is one the BDNS's own grant records have (a sample in the fixtures).
    let sample = fixture("concesion.json");
    for key in items[0].as_object().unwrap().keys() {
        assert!(sample.get(key).is_some(), "{key} is not a BDNS field");
    }
    assert_eq!(items[1]["codConcesion"], ids[0].to_string());
    assert_eq!(items[1]["fechaConcesion"], "2025-06-30");
    assert_eq!(items[1]["importe"], 8000.0);

    let csv = s
        .app
        .get_csv(t, "/api/v1/reports/bdns-grants?year=2025")
        .await;
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "codConcesion,numeroConvocatoria,convocatoria,nivel1,nivel2,nivel3,fechaConcesion,\
         beneficiario,instrumento,importe,ayudaEquivalente"
    );
    assert_eq!(lines.len(), 3);
    assert!(lines[1].starts_with(&ids[1].to_string()));
    assert!(lines[1].ends_with(",5000.50,5000.50"), "{}", lines[1]);
    assert!(lines[2].ends_with(",8000.00,8000.00"), "{}", lines[2]);

    let last_year: Value = s
        .app
        .get_ok(t, "/api/v1/reports/bdns-grants?year=2024")
        .await;
    assert_eq!(last_year["items"].as_array().unwrap().len(), 1);
    assert_eq!(last_year["items"][0]["codConcesion"], ids[2].to_string());
    let none: Value = s
        .app
        .get_ok(t, "/api/v1/reports/bdns-grants?year=2023")
        .await;
    assert_eq!(none["items"], json!([]));
    assert_eq!(none["total_cents"], 0);

    let res = s
        .app
        .get_as(t, "/api/v1/reports/bdns-grants?year=1999")
        .await;
    assert_problem(res, 400, "invalid_query").await;
    let partner = s
        .app
        .user_with(&s.admin, "partner", json!({"funder_id": s.ministry}))
        .await;
    let res = s
        .app
        .get_as(&partner.token, "/api/v1/reports/bdns-grants?year=2025")
        .await;
    assert_problem(res, 403, "forbidden").await;
    let auditor = s.app.user(&s.admin, "auditor").await;
    let res = s
        .app
        .get_as(&auditor.token, "/api/v1/reports/bdns-grants?year=2025")
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_bdns_grant_export_needs_the_clusters_record() {
    let s = setup().await;
    let res = s
        .app
        .get_as(&s.admin.token, "/api/v1/reports/bdns-grants?year=2025")
        .await;
    assert_problem(res, 409, "cluster_record_missing").await;
}
