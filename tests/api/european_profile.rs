//! The European profile (`/api/v1/reports/european-profile`) on crafted data, and the three
//! reports as PDF: the cluster's name, a figure, and the SHA-256 of the JSON they print.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::reports::{cluster_body, criterion, etag_of, put_cluster, status};
use crate::support::{
    Created, NewMember, TestApp, assert_problem, expect_json,
    pdf::{assert_holds, sha256_hex},
    spawn_app,
};

const YEAR: i32 = 2031;

fn profile_path() -> String {
    format!("/api/v1/reports/european-profile?year={YEAR}")
}

async fn profile(app: &TestApp, token: &str) -> Value {
    app.get_ok(token, &profile_path()).await
}

/// An active member of `kind` (and `size`); an applicant when `active` is false.
async fn member(
    app: &TestApp,
    token: &str,
    category: Uuid,
    n: u32,
    kind: &str,
    size: Option<&str>,
) -> Uuid {
    let name = format!("Entidad {n:03}");
    let tax_id = agrupa::domain::tax_id::make_cif('B', 8_100_000 + n);
    let m = NewMember {
        kind,
        size,
        ..NewMember::company(category, &name, &tax_id).active()
    };
    app.create_member(token, &m).await.id
}

async fn funder(app: &TestApp, token: &str, name: &str, kind: &str) -> Uuid {
    let res = app
        .try_create_funder(token, &json!({"name": name, "kind": kind}))
        .await;
    expect_json::<Created>(res, 201).await.id
}

/// An agreement of `funder` with one instalment of `cents` in [`YEAR`].
async fn agreement(app: &TestApp, token: &str, funder: Uuid, title: &str, cents: i64) {
    let body = json!({"funder_id": funder, "title": title, "reference": format!("REF-{title}"),
        "starts_on": format!("{YEAR}-01-01"), "ends_on": format!("{YEAR}-12-31"),
        "total_cents": cents, "obligations": "Justificar antes del 31 de marzo",
        "instalments": [{"fiscal_year": YEAR, "amount_cents": cents}]});
    app.create_agreement(token, &body).await;
}

fn figure(report: &Value, code: &str, kind: &str) -> Value {
    criterion(report, code)["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind)
        .map(|e| e["value"].clone())
        .unwrap_or_else(|| panic!("no {kind} in {code}"))
}

fn source(report: &Value, source: &str) -> (i64, Value) {
    let s = report["financing"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == source)
        .unwrap_or_else(|| panic!("no {source}"));
    (s["amount_cents"].as_i64().unwrap(), s["share_bp"].clone())
}

#[tokio::test]
async fn the_european_profile_checks_fifteen_committed_members_and_the_triple_helix() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;

    // Nothing recorded.
    let r = profile(&app, t).await;
    assert_eq!(r["organisation"], Value::Null);
    assert_eq!(r["members"]["committed"], 0);
    assert_eq!(status(&r, "committed_members"), "fail");
    assert_eq!(status(&r, "triple_helix"), "fail");
    assert_eq!(status(&r, "management_fte"), "unknown");
    assert_eq!(r["overall"], "fail");
    assert_eq!(r["financing"]["income_basis"], "none");
    assert_eq!(r["financing"]["total_cents"], 0);
    assert_eq!(r["services"], json!([]));

    // 13 companies (8 SMEs, 2 large, 3 of unknown size) and a university: 14 committed
    // members; an applicant does not count.
    let category = app.new_category(t, 60_000).await;
    for n in 0..13 {
        let size = match n {
            0..=7 => Some("small"),
            8 | 9 => Some("large"),
            _ => None,
        };
        member(&app, t, category, n, "company", size).await;
    }
    member(&app, t, category, 13, "university", None).await;
    let tax_id = agrupa::domain::tax_id::make_cif('B', 8_199_999);
    app.create_member(t, &NewMember::company(category, "Aspirante, S.L.", &tax_id))
        .await;
    let r = profile(&app, t).await;
    assert_eq!(r["members"]["committed"], 14);
    assert_eq!(status(&r, "committed_members"), "fail");
    assert_eq!(figure(&r, "committed_members", "committed_members"), 14);
    assert_eq!(
        r["members"]["industry"],
        json!({"total": 13, "smes": 8, "large": 2, "size_unknown": 3})
    );
    assert_eq!(r["members"]["research_and_education"]["universities"], 1);
    // Industry and research, but no public body among the members nor public money.
    assert_eq!(status(&r, "triple_helix"), "fail");
    assert!(
        criterion(&r, "triple_helix")["detail"]
            .as_str()
            .unwrap()
            .contains("no public institution")
    );

    // Public funding of the year stands for public bodies among the members.
    let council = funder(&app, t, "Ayuntamiento de Ñora", "city_council").await;
    agreement(&app, t, council, "Convenio 2031", 10_000_000).await;
    let r = profile(&app, t).await;
    assert_eq!(status(&r, "triple_helix"), "pass", "{r}");
    assert_eq!(
        figure(&r, "triple_helix", "public_funding_cents"),
        10_000_000
    );

    // The 15th committed member, a public institution: both checks pass.
    member(&app, t, category, 14, "public_institution", None).await;
    let r = profile(&app, t).await;
    assert_eq!(r["members"]["committed"], 15);
    assert_eq!(status(&r, "committed_members"), "pass");
    assert_eq!(status(&r, "triple_helix"), "pass");
    assert_eq!(r["members"]["public_and_other"]["public_institutions"], 1);
    let kinds: Vec<(&str, i64)> = r["members"]["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kind"].as_str().unwrap(), k["count"].as_i64().unwrap()))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        kinds,
        [
            ("company", 13),
            ("university", 1),
            ("public_institution", 1)
        ]
    );
    // No management figure yet: unknown overall.
    assert_eq!(r["overall"], "unknown");

    // The cluster record: 0.49 FTE fails, 0.5 passes; services and founding come along.
    let mut body = cluster_body();
    body["management_fte"] = json!(0.49);
    body["founded_on"] = json!("2019-06-12");
    body["services"] = json!([
        "Proyectos colaborativos",
        "Internacionalización",
        "Proyectos colaborativos"
    ]);
    body["aei_registration"] = json!({"register_number": "AEI-MAD-0123",
        "registered_on": "2028-03-15", "expires_on": "2032-03-15"});
    let saved: Value = expect_json(put_cluster(&app, t, None, &body).await, 201).await;
    assert_eq!(
        saved["services"],
        json!(["Proyectos colaborativos", "Internacionalización"])
    );
    assert_eq!(saved["founded_on"], "2019-06-12");
    let r = profile(&app, t).await;
    assert_eq!(status(&r, "management_fte"), "fail");
    assert_eq!(r["overall"], "fail");
    body["management_fte"] = json!(0.5);
    let tag = etag_of(&app, t).await;
    assert_eq!(put_cluster(&app, t, Some(&tag), &body).await.status(), 200);
    let r = profile(&app, t).await;
    assert_eq!(status(&r, "management_fte"), "pass");
    assert_eq!(r["overall"], "pass", "{r}");
    assert_eq!(r["management"]["fte"], 0.5);
    let org = &r["organisation"];
    assert_eq!(org["legal_name"], "Clúster Audiovisual de Madrid 🎬");
    assert_eq!(org["province"], "Madrid");
    assert_eq!(org["founded_on"], "2019-06-12");
    assert_eq!(org["aei_registration"]["register_number"], "AEI-MAD-0123");
    assert_eq!(r["services"][1], "Internacionalización");

    // Governance: the Assembly's voters include the university.
    app.assembly(t, json!({})).await;
    let r = profile(&app, t).await;
    let assembly = &r["governance"]["bodies"][0];
    assert_eq!(assembly["kind"], "assembly");
    assert_eq!(assembly["voting_members"], 15);
    assert_eq!(assembly["knowledge_providers"], json!(["Entidad 013"]));
    assert_eq!(
        r["governance"]["knowledge_providers_vote"]["status"],
        "pass"
    );

    // The financing mix of the year: fees 30,000 EUR and services 20,000 EUR in the adopted
    // budget, with the council's 100,000 EUR; a private foundation's 10,000 EUR outside it.
    let foundation = funder(&app, t, "Fundación Privada", "private").await;
    agreement(&app, t, foundation, "Mecenazgo 2031", 1_000_000).await;
    let cats = app.budget_categories(t).await;
    let budget = app
        .create_budget(
            t,
            &json!({"fiscal_year": YEAR, "title": "Presupuesto 2031"}),
        )
        .await
        .id;
    for line in [
        json!({"code": "I-1", "kind": "income", "category_id": cats["membership_fees"],
            "description": "Cuotas", "planned_cents": 3_000_000,
            "source_member_category_id": category}),
        json!({"code": "I-2", "kind": "income", "category_id": cats["institutional_agreement"],
            "description": "Convenio del Ayuntamiento", "planned_cents": 10_000_000,
            "source_text": "Ayuntamiento"}),
        json!({"code": "I-3", "kind": "income", "category_id": cats["services"],
            "description": "Servicios a socios", "planned_cents": 2_000_000}),
    ] {
        app.add_line(t, budget, &line).await;
    }
    app.approve_budget(t, budget, &json!({"reference": "Acta de la Asamblea"}))
        .await;
    let r = profile(&app, t).await;
    let f = &r["financing"];
    assert_eq!(f["year"], YEAR);
    assert_eq!(f["income_basis"], "planned");
    assert_eq!(f["budget_income_cents"], 15_000_000);
    assert_eq!(source(&r, "membership_fees"), (3_000_000, json!(2_000)));
    assert_eq!(source(&r, "public_funding"), (10_000_000, json!(6_666)));
    assert_eq!(source(&r, "private_funding"), (1_000_000, json!(666)));
    // What the budget has beyond fees and funding: 15,000,000 − 14,000,000 cents.
    assert_eq!(source(&r, "other_income"), (1_000_000, json!(666)));
    assert_eq!(f["total_cents"], 15_000_000);

    // CSV: one row per check, the governance one last.
    let csv = app.get_csv(t, &profile_path()).await;
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 5, "{csv}");
    assert!(rows[4].starts_with("knowledge_provider,pass"), "{csv}");

    // The year is bounded as everywhere.
    let res = app
        .get_as(t, "/api/v1/reports/european-profile?year=1999")
        .await;
    assert_problem(res, 400, "invalid_query").await;
    let res = app
        .get_as(
            t,
            "/api/v1/reports/european-profile?year=2031&as_of=2031-01-01",
        )
        .await;
    assert_eq!(res.status(), 400);
}

/// GETs `path` as JSON (its bytes) and as PDF (its text); the PDF prints the SHA-256 of
/// those bytes.
async fn json_and_pdf(app: &TestApp, token: &str, path: &str) -> (Value, String) {
    let res = app.get_with_accept(token, path, "application/json").await;
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(res.headers()["vary"], "Accept");
    let bytes = res.bytes().await.unwrap();
    let text = app.pdf_text(token, path).await;
    assert_holds(
        &text,
        &format!("SHA-256 de los datos: {}", sha256_hex(&bytes)),
    );
    assert_holds(&text, "Página 1 de");
    (serde_json::from_slice(&bytes).unwrap(), text)
}

#[tokio::test]
async fn the_reports_print_as_pdf_with_the_cluster_name_a_figure_and_the_hash_of_their_json() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    let aei = "/api/v1/reports/aei-register?as_of=2030-06-01";
    let transparency = format!("/api/v1/reports/transparency?year={YEAR}");

    // No cluster record yet: the pages say who prints them all the same.
    let (_, text) = json_and_pdf(&app, t, &profile_path()).await;
    assert_holds(&text, "agrupa");
    assert_holds(&text, "Perfil europeo del clúster");
    assert_holds(
        &text,
        "El registro del clúster no se ha dado de alta todavía.",
    );

    let mut body = cluster_body();
    body["aei_registration"] = json!({"register_number": "AEI-MAD-0123",
        "registered_on": "2028-03-15", "expires_on": "2032-03-15"});
    body["services"] = json!(["Vigilancia tecnológica"]);
    assert_eq!(put_cluster(&app, t, None, &body).await.status(), 201);
    let council = funder(&app, t, "Ayuntamiento de Ñora", "city_council").await;
    agreement(&app, t, council, "Convenio 2031", 12_345_678).await;
    let category = app.new_category(t, 0).await;
    let company = member(&app, t, category, 1, "company", Some("micro")).await;
    member(&app, t, category, 2, "technology_centre", None).await;

    // The AEI register dossier.
    let (r, text) = json_and_pdf(&app, t, aei).await;
    let days = r["registration"]["days_to_expiry"].as_i64().unwrap();
    for fact in [
        "Clúster Audiovisual de Madrid 🎬",
        "Registro de Agrupaciones Empresariales Innovadoras",
        // (A label-value list prints its labels, then its values.)
        "AEI-MAD-0123",
        "15/03/2032",
        "01/01/2032 – 29/02/2032 (aún no abierto)",
        &format!("Días hasta la caducidad: {days}"),
        "Plan estratégico aprobado que cubra cuatro años",
        "NO CUMPLE",
    ] {
        assert_holds(&text, fact);
    }

    // The transparency report: the council's 123,456.78 EUR binds the cluster.
    let (r, text) = json_and_pdf(&app, t, &transparency).await;
    assert_eq!(r["obliged"], true);
    for fact in [
        "Clúster Audiovisual de Madrid 🎬",
        "Obligación de transparencia · ejercicio 2031",
        "Ayudas públicas del ejercicio",
        "123.456,78 €",
        "Ayuntamiento de Ñora",
        "Más de 100.000 € de ayudas públicas en el ejercicio",
    ] {
        assert_holds(&text, fact);
    }

    // The European profile.
    let (r, text) = json_and_pdf(&app, t, &profile_path()).await;
    assert_eq!(r["members"]["committed"], 2);
    for fact in [
        "Clúster Audiovisual de Madrid 🎬",
        "Al menos 15 socios comprometidos",
        "Socios comprometidos (activos): 2",
        "Centros tecnológicos 1",
        "Financiación pública (subvenciones y convenios) 123.456,78 €",
        "Vigilancia tecnológica",
        "AEI-MAD-0123, del 15/03/2028 al 15/03/2032",
    ] {
        assert_holds(&text, fact);
    }

    // Other Accept headers keep the JSON answer; people outside the cluster's staff get
    // no report in any format.
    let res = app
        .get_with_accept(t, aei, "application/json, application/pdf;q=0.5")
        .await;
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let rep = app.representative(&admin, company).await;
    for path in [aei, transparency.as_str(), profile_path().as_str()] {
        let res = app
            .get_with_accept(&rep.token, path, "application/pdf")
            .await;
        assert_problem(res, 403, "forbidden").await;
    }
}
