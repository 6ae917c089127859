//! Demo and synthetic data.

use crate::support::spawn_app;

#[tokio::test]
async fn the_demo_register_loads_once_with_valid_data() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    let mut conn = app.db().await;
    let first = agrupa::seed::demo::seed(&mut conn).await.unwrap();
    assert_eq!(first.members, 40);
    assert_eq!(first.categories, 5);
    assert_eq!(first.segments, 12);
    assert_eq!(first.plans, 1);
    assert_eq!(first.budgets, 1);
    assert_eq!(first.funding, 1);
    assert_eq!(first.governance, 1);
    assert_eq!(first.cluster, 1);
    assert_eq!(first.transparency, 1);
    let again = agrupa::seed::demo::seed(&mut conn).await.unwrap();
    assert!(again.is_empty(), "idempotent: {again:?}");

    let members = app.list_members(t, "limit=100").await.items;
    assert_eq!(members.len(), 40);
    for m in &members {
        let tax_id = m.tax_id.as_deref().unwrap();
        assert!(
            agrupa::domain::TaxId::parse(tax_id).is_ok(),
            "{} has a valid tax id",
            m.legal_name
        );
    }
    let council = members
        .iter()
        .find(|m| m.legal_name == "Ayuntamiento de Madrid")
        .unwrap();
    assert_eq!(council.kind, "public_institution");
    assert_eq!(
        council.category_name.as_deref(),
        Some("Socio institucional")
    );
    let stats = app.member_stats(t).await;
    assert_eq!(stats.total, 40);
    assert!(stats.knowledge_providers >= 2);
    assert!(stats.in_good_standing < stats.total, "some owe dues");
    let q = app.list_members(t, "q=animacion").await;
    assert!(q.items.len() >= 2, "{q:?}");
    // The AEI register dossier of the demo, on a day inside its inscription and its plan.
    let report: serde_json::Value = app
        .get_ok(t, "/api/v1/reports/aei-register?as_of=2024-06-01")
        .await;
    let statuses: Vec<(&str, &str)> = report["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("strategic_plan", "pass"),
            ("critical_mass", "pass"),
            ("knowledge_provider", "pass"),
            ("registration", "pass")
        ],
        "{report}"
    );
    assert_eq!(report["eligible_for_calls"], true);
    // The plan and the 2025 budget show the resolutions that approved them.
    let plans: crate::support::Page<serde_json::Value> = app.get_ok(t, "/api/v1/plans").await;
    let budgets: crate::support::Page<serde_json::Value> = app.get_ok(t, "/api/v1/budgets").await;
    let budget = budgets
        .items
        .iter()
        .find(|b| b["fiscal_year"] == 2025)
        .unwrap();
    for approved in [&plans.items[0], budget] {
        assert!(
            approved["approved_by_resolution_id"].is_string(),
            "{approved}"
        );
    }
    let meetings: crate::support::Page<serde_json::Value> = app.get_ok(t, "/api/v1/meetings").await;
    assert_eq!(meetings.items.len(), 2);
    assert_eq!(meetings.items[0]["status"], "constituted_first");
    // The 2025 budget's resolution carries a voto particular and a certificate issued
    // before the minutes were approved.
    let resolution = budget["approved_by_resolution_id"].as_str().unwrap();
    let meeting: serde_json::Value = app
        .get_ok(
            t,
            &format!(
                "/api/v1/meetings/{}",
                meetings.items[0]["id"].as_str().unwrap()
            ),
        )
        .await;
    let dissents = &meeting["agenda"][1]["resolution"]["dissents"];
    assert_eq!(dissents[0]["kind"], "written", "{meeting}");
    let certificates: crate::support::Page<serde_json::Value> = app
        .get_ok(t, &format!("/api/v1/resolutions/{resolution}/certificates"))
        .await;
    assert_eq!(certificates.items[0]["minutes_pending"], true);
    assert_eq!(
        certificates.items[0]["secretary"]["person_name"],
        "Dra. Begoña Muñoz Ayala"
    );
    // The ordinary Assembly that approved the plan admitted the four members who joined
    // in 2024; its minutes were approved at its close, and the plan's approval was
    // certified after them.
    let ordinary = meetings.items[1]["id"].as_str().unwrap();
    let meeting: serde_json::Value = app.get_ok(t, &format!("/api/v1/meetings/{ordinary}")).await;
    assert_eq!(meeting["rules"]["number"], 1, "{meeting}");
    let admissions: Vec<&serde_json::Value> = meeting["agenda"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["effect"] == "admit_member")
        .collect();
    assert_eq!(admissions.len(), 4, "{meeting}");
    let admitted = admissions[0]["target_id"].as_str().unwrap();
    assert!(
        admissions
            .iter()
            .all(|i| i["resolution"]["adopted"] == true)
    );
    let roll = app
        .get_csv(t, &format!("/api/v1/meetings/{ordinary}/roll"))
        .await;
    assert!(!roll.contains(admitted), "an applicant is on no roll");
    let history: crate::support::Page<serde_json::Value> = app
        .get_ok(t, &format!("/api/v1/members/{admitted}/status-changes"))
        .await;
    assert_eq!(
        history.items[0]["resolution_id"], admissions[0]["resolution"]["id"],
        "{history:?}"
    );
    let minutes: serde_json::Value = app
        .get_ok(t, &format!("/api/v1/meetings/{ordinary}/minutes"))
        .await;
    assert_eq!(minutes["status"], "approved");
    assert_eq!(minutes["content_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        minutes["content"]["body"]["statutes_reference"],
        "Estatutos de la agrupación (2023), arts. 10–22"
    );
    let plan_resolution = plans.items[0]["approved_by_resolution_id"]
        .as_str()
        .unwrap();
    let certificates: crate::support::Page<serde_json::Value> = app
        .get_ok(
            t,
            &format!("/api/v1/resolutions/{plan_resolution}/certificates"),
        )
        .await;
    assert_eq!(certificates.items[0]["minutes_pending"], false);
}

#[tokio::test]
async fn synthetic_members_are_addressable_by_number() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut conn = app.db().await;
    agrupa::seed::demo::seed(&mut conn).await.unwrap();
    let run = agrupa::seed::synthetic::generate(&mut conn, 250)
        .await
        .unwrap();
    assert_eq!((run.members, run.first), (250, 1));
    let next = agrupa::seed::synthetic::generate(&mut conn, 10)
        .await
        .unwrap();
    assert_eq!(next.first, 251, "a second run continues the numbering");
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: uuid::Uuid,
    }
    let Id { id } = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query("SELECT md5('agrupa-synthetic-7')::uuid AS id"),
        &mut conn,
    )
    .await
    .unwrap();
    let m = app.get_member(&admin.token, id).await;
    assert_eq!(m.legal_name, "Empresa sintética 7, S.L.");
    assert!(agrupa::domain::TaxId::parse(m.tax_id.as_deref().unwrap()).is_ok());
    let stats = app.member_stats(&admin.token).await;
    assert_eq!(stats.total, 300);
}
