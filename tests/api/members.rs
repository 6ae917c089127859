//! The member register.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem, spawn_app};

async fn setup() -> (TestApp, TestUser, String) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let category = app.category(&admin, 120_000).await;
    (app, admin, category)
}

fn member(category: &str, name: &str, tax_id: &str) -> Value {
    json!({"legal_name": name, "tax_id": tax_id, "kind": "company", "category_id": category})
}

async fn create(app: &TestApp, admin: &TestUser, body: &Value) -> Value {
    let res = app.post_json(&admin.token, "/api/v1/members", body).await;
    assert_eq!(res.status(), 201, "{body}");
    res.json().await.unwrap()
}

async fn ids(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let page: Value = app
        .get_as(token, &format!("/api/v1/members?limit=100&{query}"))
        .await
        .json()
        .await
        .unwrap();
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|m| m["legal_name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn tax_ids_are_validated_normalised_and_unique_among_living_members() {
    let (app, admin, cat) = setup().await;
    for (raw, norm) in [
        ("b-12345674", "B12345674"),
        ("12.345.678-z", "12345678Z"),
        ("x1234567l", "X1234567L"),
    ] {
        let m = create(&app, &admin, &member(&cat, &format!("Socia {raw}"), raw)).await;
        assert_eq!(m["tax_id"], norm);
    }
    for bad in ["B12345675", "12345678A", "X1234567A", "ABC"] {
        let res = app
            .post_json(&admin.token, "/api/v1/members", &member(&cat, "Mala", bad))
            .await;
        let body = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "tax_id", "{bad}");
    }
    let res = app
        .post_json(
            &admin.token,
            "/api/v1/members",
            &member(&cat, "Duplicada", "B 1234567-4"),
        )
        .await;
    assert_problem(res, 409, "member_tax_id_taken").await;
    // Once archived, the tax id is free again.
    let page: Value = app
        .get_as(&admin.token, "/api/v1/members?q=b-12345674")
        .await
        .json()
        .await
        .unwrap();
    let id = app
        .get_as(&admin.token, "/api/v1/members?limit=100")
        .await
        .json::<Value>()
        .await
        .unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["tax_id"] == "B12345674")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let _ = page;
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/members/{id}")))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    create(&app, &admin, &member(&cat, "Reutiliza el NIF", "B12345674")).await;
}

async fn move_to(app: &TestApp, admin: &TestUser, id: &str, to: &str) -> reqwest::Response {
    app.post_json(
        &admin.token,
        &format!("/api/v1/members/{id}/status-changes"),
        &json!({"to": to, "reason": "Acuerdo de la Asamblea"}),
    )
    .await
}

#[tokio::test]
async fn every_lifecycle_move_is_checked_and_kept_as_history() {
    let (app, admin, cat) = setup().await;
    let path_to = |s: &str| -> Vec<&'static str> {
        match s {
            "applicant" => vec![],
            "active" => vec!["active"],
            "suspended" => vec!["active", "suspended"],
            "withdrawn" => vec!["active", "withdrawn"],
            _ => vec!["active", "expelled"],
        }
    };
    let statuses = ["applicant", "active", "suspended", "withdrawn", "expelled"];
    let legal = [
        ("applicant", "active"),
        ("active", "suspended"),
        ("suspended", "active"),
        ("active", "withdrawn"),
        ("active", "expelled"),
        ("suspended", "withdrawn"),
        ("suspended", "expelled"),
    ];
    let mut n = 0;
    for from in statuses {
        for to in statuses {
            n += 1;
            let m = create(
                &app,
                &admin,
                &member(
                    &cat,
                    &format!("Ciclo {n}"),
                    &agrupa::domain::tax_id::make_cif('B', 7_000_000 + n),
                ),
            )
            .await;
            let id = m["id"].as_str().unwrap();
            for step in path_to(from) {
                assert_eq!(move_to(&app, &admin, id, step).await.status(), 201);
            }
            let history_before = app
                .get_as(
                    &admin.token,
                    &format!("/api/v1/members/{id}/status-changes"),
                )
                .await
                .json::<Value>()
                .await
                .unwrap()["items"]
                .as_array()
                .unwrap()
                .len();
            let res = move_to(&app, &admin, id, to).await;
            let now: Value = app
                .get_as(&admin.token, &format!("/api/v1/members/{id}"))
                .await
                .json()
                .await
                .unwrap();
            let history: Value = app
                .get_as(
                    &admin.token,
                    &format!("/api/v1/members/{id}/status-changes"),
                )
                .await
                .json()
                .await
                .unwrap();
            if legal.contains(&(from, to)) {
                assert_eq!(res.status(), 201, "{from} → {to}");
                assert_eq!(now["status"], to);
                let last = history["items"].as_array().unwrap().last().unwrap().clone();
                assert_eq!(
                    (last["from"].as_str().unwrap(), last["to"].as_str().unwrap()),
                    (from, to)
                );
                assert_eq!(last["reason"], "Acuerdo de la Asamblea");
            } else {
                assert_problem(res, 409, "illegal_status_transition").await;
                assert_eq!(now["status"], from, "{from} → {to} changed nothing");
                assert_eq!(history["items"].as_array().unwrap().len(), history_before);
            }
        }
    }
}

#[tokio::test]
async fn admission_sets_the_joining_date() {
    let (app, admin, cat) = setup().await;
    let m = create(&app, &admin, &member(&cat, "Nueva Socia", "B12345674")).await;
    assert_eq!(m["status"], "applicant");
    assert!(m["joined_on"].is_null());
    let id = m["id"].as_str().unwrap();
    let res = app
        .post_json(
            &admin.token,
            &format!("/api/v1/members/{id}/status-changes"),
            &json!({"to": "active", "reason": "Admitida", "effective_on": "2025-03-12"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let m: Value = app
        .get_as(&admin.token, &format!("/api/v1/members/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["joined_on"], "2025-03-12");
}

#[tokio::test]
async fn a_member_keeps_exactly_one_primary_contact() {
    let (app, admin, cat) = setup().await;
    let id = create(&app, &admin, &member(&cat, "Contactos, S.A.", "A58818501")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = format!("/api/v1/members/{id}/contacts");
    let first: Value = app
        .post_json(
            &admin.token,
            &base,
            &json!({"name": "Begoña Iñíguez", "email": "Begona@Ejemplo.ES"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["is_primary"], true, "the first contact is primary");
    assert_eq!(first["email"], "begona@ejemplo.es");
    let second: Value = app
        .post_json(
            &admin.token,
            &base,
            &json!({"name": "Íñigo Ruiz", "is_primary": true, "phone": "+34 910 000 000"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["is_primary"], true);
    let primaries = |list: &Value| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["is_primary"] == true)
            .count()
    };
    let list: Value = app.get_as(&admin.token, &base).await.json().await.unwrap();
    assert_eq!(primaries(&list), 1);
    let res = app
        .patch_json(
            &admin.token,
            &format!("{base}/{}", second["id"].as_str().unwrap()),
            &json!({"is_primary": false}),
        )
        .await;
    assert_problem(res, 409, "primary_contact_required").await;
    let res = app
        .client
        .delete(app.url(&format!("{base}/{}", second["id"].as_str().unwrap())))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let list: Value = app.get_as(&admin.token, &base).await.json().await.unwrap();
    assert_eq!(primaries(&list), 1);
    assert_eq!(
        list["items"][0]["id"], first["id"],
        "the remaining contact became primary"
    );
    let res = app
        .post_json(
            &admin.token,
            &base,
            &json!({"name": "Mala", "email": "no-es-email", "phone": "llámame"}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn dues_follow_the_category_fee_and_decide_good_standing() {
    let (app, admin, cat) = setup().await;
    let active = create(
        &app,
        &admin,
        &json!({"legal_name": "Al Corriente, S.L.", "tax_id": "B12345674",
        "kind": "company", "category_id": cat, "status": "active"}),
    )
    .await;
    create(
        &app,
        &admin,
        &member(&cat, "Solicitante, S.L.", "A58818501"),
    )
    .await;
    let id = active["id"].as_str().unwrap();
    assert_eq!(active["in_good_standing"], true);
    let etag_before = app
        .get_as(&admin.token, &format!("/api/v1/members/{id}"))
        .await
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let res = app
        .post_json(
            &admin.token,
            "/api/v1/dues-issuances",
            &json!({"year": 2025, "issued_on": "2025-01-15", "due_on": "2025-03-31"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let issued: Value = res.json().await.unwrap();
    assert_eq!(
        issued,
        json!({"year": 2025, "issued": 1, "already_issued": 0, "amount_cents": 120000})
    );
    let again: Value = app
        .post_json(
            &admin.token,
            "/api/v1/dues-issuances",
            &json!({"year": 2025, "issued_on": "2025-01-15", "due_on": "2025-03-31"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["issued"], 0);
    assert_eq!(again["already_issued"], 1);

    let dues: Value = app
        .get_as(&admin.token, &format!("/api/v1/members/{id}/dues"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dues["items"][0]["status"], "overdue");
    assert_eq!(dues["items"][0]["amount_cents"], 120000);
    // The standing changed without the member row changing: the ETag changes all the same.
    let res = app
        .client
        .get(app.url(&format!("/api/v1/members/{id}")))
        .bearer_auth(&admin.token)
        .header("if-none-match", &etag_before)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "no stale 304");
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["in_good_standing"], false);
    assert_eq!(
        ids(&app, &admin.token, "in_good_standing=false&status=active").await,
        ["Al Corriente, S.L."]
    );

    let res = app
        .patch_json(
            &admin.token,
            &format!("/api/v1/members/{id}/dues/2025"),
            &json!({"status": "paid", "paid_on": "2025-04-02"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "paid");
    let m: Value = app
        .get_as(&admin.token, &format!("/api/v1/members/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["in_good_standing"], true);
    let res = app
        .patch_json(
            &admin.token,
            &format!("/api/v1/members/{id}/dues/2025"),
            &json!({"status": "overdue"}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    assert_problem(
        app.patch_json(
            &admin.token,
            &format!("/api/v1/members/{id}/dues/2031"),
            &json!({"status": "paid"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn search_is_spanish_accent_insensitive_and_names_sort_the_spanish_way() {
    let (app, admin, cat) = setup().await;
    let seg: Value = app
        .post_json(
            &admin.token,
            "/api/v1/segments",
            &json!({"code": "animacion", "name": "Animación"}),
        )
        .await
        .json()
        .await
        .unwrap();
    for (i, (name, desc, municipality)) in [
        (
            "Producciones Ñandú, S.L.",
            "Producción de cine y series",
            "Madrid",
        ),
        ("Nube Estudio, S.L.", "Animación 3D", "Móstoles"),
        (
            "Árbol Media, S.A.",
            "Distribución internacional",
            "Alcalá de Henares",
        ),
        ("Oso Posproducción, S.L.", "Color y sonido", "madrid"),
    ]
    .iter()
    .enumerate()
    {
        let mut body = member(
            &cat,
            name,
            &agrupa::domain::tax_id::make_cif('B', 100 + i as u32),
        );
        body["description"] = json!(desc);
        body["municipality"] = json!(municipality);
        body["status"] = json!("active");
        if name.starts_with("Nube") {
            body["segment_ids"] = json!([seg["id"]]);
            body["size"] = json!("micro");
            body["kind"] = json!("technology_centre");
        }
        create(&app, &admin, &body).await;
    }
    let t = &admin.token;
    assert_eq!(
        ids(&app, t, "").await,
        [
            "Árbol Media, S.A.",
            "Nube Estudio, S.L.",
            "Oso Posproducción, S.L.",
            "Producciones Ñandú, S.L."
        ]
    );
    assert_eq!(
        ids(&app, t, "sort=-legal_name").await[0],
        "Producciones Ñandú, S.L."
    );
    // "produccion" finds "Producciones" (stemmed, unaccented) and "Posproducción" (part of a name).
    assert_eq!(
        ids(&app, t, "q=produccion").await,
        ["Oso Posproducción, S.L.", "Producciones Ñandú, S.L."]
    );
    assert_eq!(
        ids(&app, t, "q=cine").await,
        ["Producciones Ñandú, S.L."],
        "descriptions are searched"
    );
    assert_eq!(
        ids(&app, t, "q=distribucion%20internacional").await,
        ["Árbol Media, S.A."]
    );
    assert_eq!(ids(&app, t, "q=ANIMACION").await, ["Nube Estudio, S.L."]);
    assert_eq!(ids(&app, t, "q=nandu").await, ["Producciones Ñandú, S.L."]);
    assert_eq!(
        ids(&app, t, "q=posprod").await,
        ["Oso Posproducción, S.L."],
        "parts of names match"
    );
    assert_eq!(ids(&app, t, "municipality=MADRID").await.len(), 2);
    assert_eq!(
        ids(&app, t, "municipality=mostoles").await,
        ["Nube Estudio, S.L."]
    );
    assert_eq!(
        ids(&app, t, "segment=animacion").await,
        ["Nube Estudio, S.L."]
    );
    assert_eq!(
        ids(&app, t, "kind=technology_centre").await,
        ["Nube Estudio, S.L."]
    );
    assert_eq!(ids(&app, t, "size=micro").await, ["Nube Estudio, S.L."]);
    assert_eq!(ids(&app, t, &format!("category_id={cat}")).await.len(), 4);
    assert_eq!(ids(&app, t, "status=applicant").await.len(), 0);
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        ids(&app, t, &format!("joined_from={today}&joined_to={today}"))
            .await
            .len(),
        4
    );
    assert_eq!(ids(&app, t, "joined_to=2000-01-01").await.len(), 0);
    assert!(
        ids(&app, t, "q=%25").await.is_empty(),
        "LIKE wildcards are literal"
    );
    assert!(
        ids(&app, t, "q=%22%27%3B%20DROP%20TABLE%20members")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn csv_and_stats_agree_with_the_register() {
    let (app, admin, cat) = setup().await;
    for i in 0..5u32 {
        let mut body = member(
            &cat,
            &format!("Empresa {i}"),
            &agrupa::domain::tax_id::make_cif('B', 200 + i),
        );
        body["size"] = json!(["micro", "small", "large", "medium", "micro"][i as usize]);
        body["kind"] = json!(if i == 0 { "university" } else { "company" });
        body["annual_turnover_cents"] = json!(1_000_000 * i64::from(i));
        if i < 3 {
            body["status"] = json!("active");
        }
        create(&app, &admin, &body).await;
    }
    let res = app
        .client
        .get(app.url("/api/v1/members"))
        .bearer_auth(&admin.token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert_eq!(text.split("\r\n").filter(|l| !l.is_empty()).count(), 6);
    let stats: Value = app
        .get_as(&admin.token, "/api/v1/members/stats")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stats["total"], 5);
    for breakdown in [
        "by_status",
        "by_category",
        "by_kind",
        "by_size",
        "joined_per_year",
    ] {
        let sum: i64 = stats[breakdown]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["count"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 5, "{breakdown} sums to the register");
    }
    assert_eq!(stats["sme_count"], 4);
    assert_eq!(stats["sme_share_bp"], 8000);
    assert_eq!(stats["knowledge_providers"], 1);
    assert_eq!(stats["in_good_standing"], 3);
}

#[tokio::test]
async fn partners_see_the_public_register_only() {
    let (app, admin, cat) = setup().await;
    let mut body = member(&cat, "Confidencial, S.L.", "B12345674");
    body["annual_turnover_cents"] = json!(987_654_321);
    body["status"] = json!("active");
    body["municipality"] = json!("Getafe");
    body["description"] = json!("Prepara en secreto una candidatura al concurso de guiones");
    let m = create(&app, &admin, &body).await;
    create(
        &app,
        &admin,
        &member(&cat, "Solicitante Oculta, S.L.", "A58818501"),
    )
    .await;
    let id = m["id"].as_str().unwrap();
    app.post_json(
        &admin.token,
        &format!("/api/v1/members/{id}/contacts"),
        &json!({"name": "Persona", "email": "p@x.es"}),
    )
    .await;
    let partner = app.user(&admin, "partner").await;
    let seen: Value = app
        .get_as(&partner.token, &format!("/api/v1/members/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["visibility"], "public");
    assert_eq!(seen["municipality"], "Getafe");
    for hidden in [
        "annual_turnover_cents",
        "tax_id",
        "status",
        "address",
        "employees",
        "in_good_standing",
    ] {
        assert!(
            seen.get(hidden).is_none(),
            "{hidden} is hidden from partners"
        );
    }
    assert_eq!(
        ids(&app, &partner.token, "").await,
        ["Confidencial, S.L."],
        "applicants are not in the public register"
    );
    let csv = app.get_csv(&partner.token, "/api/v1/members").await;
    assert!(
        !csv.contains("987654321") && !csv.contains("B12345674"),
        "{csv}"
    );
    assert_eq!(
        app.get_as(&partner.token, &format!("/api/v1/members/{id}/contacts"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get_as(&partner.token, &format!("/api/v1/members/{id}/dues"))
            .await
            .status(),
        404
    );
    assert_problem(
        app.get_as(&partner.token, "/api/v1/members?in_good_standing=true")
            .await,
        403,
        "forbidden",
    )
    .await;
    // Neither the joining date (through sorting) nor the description (through search) leaks.
    let res = app
        .get_as(&partner.token, "/api/v1/members?sort=joined_on")
        .await;
    assert_problem(res, 403, "forbidden").await;
    assert!(ids(&app, &partner.token, "q=concurso").await.is_empty());
    assert_eq!(
        ids(&app, &admin.token, "q=concurso").await,
        ["Confidencial, S.L."]
    );
    assert_eq!(
        ids(&app, &partner.token, "q=confidencial").await,
        ["Confidencial, S.L."]
    );
}

#[tokio::test]
async fn representatives_see_and_edit_only_their_own_organisation_in_full() {
    let (app, admin, cat) = setup().await;
    let mut own = member(&cat, "Mi Productora, S.L.", "B12345674");
    own["annual_turnover_cents"] = json!(5_000_000);
    let own = create(&app, &admin, &own).await; // an applicant: not public, but theirs
    let mut other = member(&cat, "La Competencia, S.L.", "A58818501");
    other["status"] = json!("active");
    other["annual_turnover_cents"] = json!(7_000_000);
    let other = create(&app, &admin, &other).await;
    let (own_id, other_id) = (own["id"].as_str().unwrap(), other["id"].as_str().unwrap());
    let rep = app.user(&admin, "member").await;
    let res = app
        .patch_json(
            &admin.token,
            &format!("/api/v1/users/{}", rep.id),
            &json!({"member_id": own_id}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let rep_token = app.login(&rep.email, &rep.password).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let mine: Value = app
        .get_as(&rep_token, &format!("/api/v1/members/{own_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["visibility"], "full");
    assert_eq!(mine["annual_turnover_cents"], 5_000_000);
    let theirs: Value = app
        .get_as(&rep_token, &format!("/api/v1/members/{other_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["visibility"], "public");
    assert!(theirs.get("annual_turnover_cents").is_none());
    assert_eq!(
        ids(&app, &rep_token, "").await,
        ["La Competencia, S.L.", "Mi Productora, S.L."]
    );

    let res = app
        .patch_json(
            &rep_token,
            &format!("/api/v1/members/{own_id}"),
            &json!({"website": "https://miproductora.es", "employees": 12}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(
        app.patch_json(
            &rep_token,
            &format!("/api/v1/members/{own_id}"),
            &json!({"tax_id": "12345678Z"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.patch_json(
            &rep_token,
            &format!("/api/v1/members/{other_id}"),
            &json!({"website": "https://robada.es"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let contacts = format!("/api/v1/members/{own_id}/contacts");
    assert_eq!(
        app.post_json(&rep_token, &contacts, &json!({"name": "Yo misma"}))
            .await
            .status(),
        201
    );
    assert_eq!(
        app.get_as(&rep_token, &format!("/api/v1/members/{other_id}/contacts"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.post_json(
            &rep_token,
            &format!("/api/v1/members/{own_id}/status-changes"),
            &json!({"to": "active", "reason": "yo"})
        )
        .await
        .status(),
        403
    );
}

#[tokio::test]
async fn reading_a_member_costs_at_most_three_sql_statements() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app.member(&admin, "Medida, S.L.", "B12345674").await;
    for _ in 0..10 {
        assert_eq!(
            app.get_as(&admin.token, &format!("/api/v1/members/{id}"))
                .await
                .status(),
            200
        );
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    let statements: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("agrupa_db_statements_total{route=\"/api/v1/members/{id}\"} "))
        .unwrap_or_else(|| panic!("{text}"))
        .parse()
        .unwrap();
    // 10 reads by a user: the caller check and the member in one statement each.
    assert_eq!(statements, 10, "{statements} statements for 10 reads");
}

#[tokio::test]
async fn reading_a_member_sees_role_changes_deactivation_and_revocation_at_once() {
    let (app, admin, cat) = setup().await;
    let mut body = member(&cat, "Inmediata, S.L.", "B12345674");
    body["status"] = json!("active");
    let id = create(&app, &admin, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/members/{id}");
    let unknown = format!("/api/v1/members/{}", uuid::Uuid::new_v4());
    let staff = app.user(&admin, "staff").await;
    let seen: Value = app.get_as(&staff.token, &path).await.json().await.unwrap();
    assert_eq!(seen["visibility"], "full");
    assert_problem(app.get_as(&staff.token, &unknown).await, 404, "not_found").await;

    // A role change ends the user's sessions: 401 for members that exist and for those
    // that do not (the caller is checked before the member is looked at).
    let res = app
        .patch_json(
            &admin.token,
            &format!("/api/v1/users/{}", staff.id),
            &json!({"role": "partner"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get_as(&staff.token, &path).await, 401, "unauthorized").await;
    assert_problem(
        app.get_as(&staff.token, &unknown).await,
        401,
        "unauthorized",
    )
    .await;

    // Deactivation.
    let other = app.user(&admin, "staff").await;
    assert_eq!(app.get_as(&other.token, &path).await.status(), 200);
    let res = app
        .patch_json(
            &admin.token,
            &format!("/api/v1/users/{}", other.id),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get_as(&other.token, &path).await, 401, "unauthorized").await;

    // A revoked access token.
    let auditor = app.user(&admin, "auditor").await;
    assert_eq!(app.get_as(&auditor.token, &path).await.status(), 200);
    let res = app
        .client
        .post(app.url("/api/v1/auth/revoke"))
        .form(&[("token", auditor.token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_problem(app.get_as(&auditor.token, &path).await, 401, "unauthorized").await;

    // A changed password ends the session (the token's epoch is stale).
    let other = app.user(&admin, "staff").await;
    assert_eq!(app.get_as(&other.token, &path).await.status(), 200);
    let res = app
        .patch_json(
            &admin.token,
            &format!("/api/v1/users/{}", other.id),
            &json!({"password": "una contraseña nueva y larga"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get_as(&other.token, &path).await, 401, "unauthorized").await;

    // API clients (checked in a statement of their own): a revoked client stops at once.
    let res = app
        .post_json(
            &admin.token,
            "/api/v1/api-clients",
            &json!({"name": "Integración", "scopes": ["members:read"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let client: Value = res.json().await.unwrap();
    let tokens: Value = app
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
        ])
        .await
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    let seen: Value = app.get_as(token, &path).await.json().await.unwrap();
    assert_eq!(seen["visibility"], "public", "{seen}");
    assert_problem(app.get_as(token, &unknown).await, 404, "not_found").await;
    let res = app
        .post_json(
            &admin.token,
            &format!(
                "/api/v1/api-clients/{}/revocation",
                client["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get_as(token, &path).await, 401, "unauthorized").await;
}
