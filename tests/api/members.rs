//! The member register.

use agrupa::domain::tax_id::make_cif;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    NewMember, TestApp, TestUser, assert_problem,
    members::{Contact, Member, member_path},
    spawn_app,
};

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

#[tokio::test]
async fn create_member_normalises_the_tax_id() {
    let (app, admin, cat) = setup().await;
    for (raw, norm) in [
        ("b-12345674", "B12345674"),
        ("12.345.678-z", "12345678Z"),
        ("x1234567l", "X1234567L"),
    ] {
        let name = format!("Socia {raw}");
        let m = app
            .create_member(&admin.token, &NewMember::company(cat, &name, raw))
            .await;
        assert_eq!(m.tax_id.as_deref(), Some(norm));
    }
}

#[tokio::test]
async fn create_member_returns_422_for_an_invalid_tax_id() {
    let (app, admin, cat) = setup().await;
    for bad in ["B12345675", "12345678A", "X1234567A", "ABC"] {
        let res = app
            .try_create_member(&admin.token, &NewMember::company(cat, "Mala", bad))
            .await;
        let body = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "tax_id", "{bad}");
    }
}

#[tokio::test]
async fn create_member_returns_409_for_a_duplicate_tax_id() {
    let (app, admin, cat) = setup().await;
    let first = NewMember::company(cat, "Socia b-12345674", "b-12345674");
    app.create_member(&admin.token, &first).await;
    let res = app
        .try_create_member(
            &admin.token,
            &NewMember::company(cat, "Duplicada", "B 1234567-4"),
        )
        .await;
    assert_problem(res, 409, "member_tax_id_taken").await;
}

#[tokio::test]
async fn an_archived_member_frees_its_tax_id() {
    let (app, admin, cat) = setup().await;
    let first = NewMember::company(cat, "Socia b-12345674", "b-12345674");
    let id = app.create_member(&admin.token, &first).await.id;
    app.archive_member(&admin.token, id).await;
    let again = NewMember::company(cat, "Reutiliza el NIF", "B12345674");
    app.create_member(&admin.token, &again).await;
}

const MEMBER_STATUSES: [&str; 5] = ["applicant", "active", "suspended", "withdrawn", "expelled"];

const LEGAL_MEMBER_MOVES: [(&str, &str); 7] = [
    ("applicant", "active"),
    ("active", "suspended"),
    ("suspended", "active"),
    ("active", "withdrawn"),
    ("active", "expelled"),
    ("suspended", "withdrawn"),
    ("suspended", "expelled"),
];

/// The moves that lead from `applicant` to `status`.
fn member_path_to(status: &str) -> Vec<&'static str> {
    match status {
        "applicant" => vec![],
        "active" => vec!["active"],
        "suspended" => vec!["active", "suspended"],
        "withdrawn" => vec!["active", "withdrawn"],
        _ => vec!["active", "expelled"],
    }
}

async fn move_to(app: &TestApp, admin: &TestUser, id: Uuid, to: &str) -> reqwest::Response {
    app.try_change_member_status(
        &admin.token,
        id,
        &json!({"to": to, "reason": "Acuerdo de la Asamblea"}),
    )
    .await
}

/// The `n`th member of a test, moved from applicant to `status`.
async fn member_in(app: &TestApp, admin: &TestUser, cat: Uuid, n: u32, status: &str) -> Uuid {
    let (name, tax_id) = (format!("Ciclo {n}"), make_cif('B', 7_000_000 + n));
    let m = app
        .create_member(&admin.token, &NewMember::company(cat, &name, &tax_id))
        .await;
    for step in member_path_to(status) {
        assert_eq!(move_to(app, admin, m.id, step).await.status(), 201);
    }
    m.id
}

#[tokio::test]
async fn every_legal_member_status_move_is_kept_as_history() {
    let (app, admin, cat) = setup().await;
    for (n, (from, to)) in (1..).zip(LEGAL_MEMBER_MOVES) {
        let id = member_in(&app, &admin, cat, n, from).await;
        let res = move_to(&app, &admin, id, to).await;
        let now = app.get_member(&admin.token, id).await;
        let history = app.member_status_changes(&admin.token, id).await;
        assert_eq!(res.status(), 201, "{from} → {to}");
        assert_eq!(now.status.as_deref(), Some(to));
        let last = history.last().unwrap();
        assert_eq!((last.from.as_str(), last.to.as_str()), (from, to));
        assert_eq!(last.reason, "Acuerdo de la Asamblea");
    }
}

#[tokio::test]
async fn every_other_member_status_move_is_a_409_that_changes_nothing() {
    let (app, admin, cat) = setup().await;
    let mut n = 0;
    for from in MEMBER_STATUSES {
        for to in MEMBER_STATUSES {
            if LEGAL_MEMBER_MOVES.contains(&(from, to)) {
                continue;
            }
            n += 1;
            let id = member_in(&app, &admin, cat, n, from).await;
            let history_before = app.member_status_changes(&admin.token, id).await.len();
            let res = move_to(&app, &admin, id, to).await;
            let now = app.get_member(&admin.token, id).await;
            let history = app.member_status_changes(&admin.token, id).await;
            assert_problem(res, 409, "illegal_status_transition").await;
            assert_eq!(
                now.status.as_deref(),
                Some(from),
                "{from} → {to} changed nothing"
            );
            assert_eq!(history.len(), history_before);
        }
    }
}

#[tokio::test]
async fn admission_sets_the_joining_date() {
    let (app, admin, cat) = setup().await;
    let new = NewMember::company(cat, "Nueva Socia", "B12345674");
    let m = app.create_member(&admin.token, &new).await;
    assert_eq!(m.status.as_deref(), Some("applicant"));
    assert!(m.joined_on.is_none());
    app.change_member_status(
        &admin.token,
        m.id,
        &json!({"to": "active", "reason": "Admitida", "effective_on": "2025-03-12"}),
    )
    .await;
    let m = app.get_member(&admin.token, m.id).await;
    assert_eq!(m.joined_on.as_deref(), Some("2025-03-12"));
}

/// A test's app, admin and an applicant member "Contactos, S.A.".
async fn member_for_contacts() -> (TestApp, TestUser, Uuid) {
    let (app, admin, cat) = setup().await;
    let new = NewMember::company(cat, "Contactos, S.A.", "A58818501");
    let id = app.create_member(&admin.token, &new).await.id;
    (app, admin, id)
}

#[tokio::test]
async fn a_member_keeps_exactly_one_primary_contact() {
    let (app, admin, id) = member_for_contacts().await;
    let t = &admin.token;
    let first = app
        .add_contact(
            t,
            id,
            &json!({"name": "Begoña Iñíguez", "email": "Begona@Ejemplo.ES"}),
        )
        .await;
    assert!(first.is_primary, "the first contact is primary");
    assert_eq!(first.email.as_deref(), Some("begona@ejemplo.es"));
    let second = app
        .add_contact(
            t,
            id,
            &json!({"name": "Íñigo Ruiz", "is_primary": true, "phone": "+34 910 000 000"}),
        )
        .await;
    assert!(second.is_primary);
    let primaries = |list: &[Contact]| list.iter().filter(|c| c.is_primary).count();
    assert_eq!(primaries(&app.contacts(t, id).await), 1);
    let res = app
        .try_update_contact(t, id, second.id, &json!({"is_primary": false}))
        .await;
    assert_problem(res, 409, "primary_contact_required").await;
    app.delete_contact(t, id, second.id).await;
    let list = app.contacts(t, id).await;
    assert_eq!(primaries(&list), 1);
    assert_eq!(list[0].id, first.id, "the remaining contact became primary");
}

#[tokio::test]
async fn a_contact_with_a_bad_email_and_phone_is_a_422_naming_both() {
    let (app, admin, id) = member_for_contacts().await;
    let res = app
        .try_add_contact(
            &admin.token,
            id,
            &json!({"name": "Mala", "email": "no-es-email", "phone": "llámame"}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 2);
}

/// An active member (of a category of 1,200 €) and an applicant: the active one.
async fn dues_setup() -> (TestApp, TestUser, Member) {
    let (app, admin, cat) = setup().await;
    let active = NewMember::company(cat, "Al Corriente, S.L.", "B12345674").active();
    let active = app.create_member(&admin.token, &active).await;
    let applicant = NewMember::company(cat, "Solicitante, S.L.", "A58818501");
    app.create_member(&admin.token, &applicant).await;
    (app, admin, active)
}

fn dues_of_2025() -> Value {
    json!({"year": 2025, "issued_on": "2025-01-15", "due_on": "2025-03-31"})
}

#[tokio::test]
async fn issuing_dues_charges_each_active_member_its_category_fee_once() {
    let (app, admin, active) = dues_setup().await;
    let issued = app.issue_dues(&admin.token, &dues_of_2025()).await;
    assert_eq!(
        issued,
        json!({"year": 2025, "issued": 1, "already_issued": 0, "amount_cents": 120000})
    );
    let again = app.issue_dues(&admin.token, &dues_of_2025()).await;
    assert_eq!(again["issued"], 0);
    assert_eq!(again["already_issued"], 1);
    let dues = app.member_dues(&admin.token, active.id).await;
    assert_eq!(dues[0].status, "overdue");
    assert_eq!(dues[0].amount_cents, 120000);
}

#[tokio::test]
async fn an_overdue_due_ends_good_standing_and_changes_the_etag() {
    let (app, admin, active) = dues_setup().await;
    let t = &admin.token;
    assert_eq!(active.in_good_standing, Some(true));
    let etag_before = app.etag_of(t, &member_path(active.id)).await;
    app.issue_dues(t, &dues_of_2025()).await;
    // The standing changed without the member row changing: the ETag changes all the same.
    let res = app
        .get_if_none_match(t, &member_path(active.id), &etag_before)
        .await;
    assert_eq!(res.status(), 200, "no stale 304");
    let m: Member = res.json().await.unwrap();
    assert_eq!(m.in_good_standing, Some(false));
    assert_eq!(
        names(&app, t, "in_good_standing=false&status=active").await,
        ["Al Corriente, S.L."]
    );
}

#[tokio::test]
async fn paying_the_overdue_due_restores_good_standing() {
    let (app, admin, active) = dues_setup().await;
    let t = &admin.token;
    app.issue_dues(t, &dues_of_2025()).await;
    let due = app
        .update_due(
            t,
            active.id,
            2025,
            &json!({"status": "paid", "paid_on": "2025-04-02"}),
        )
        .await;
    assert_eq!(due.status, "paid");
    let m = app.get_member(t, active.id).await;
    assert_eq!(m.in_good_standing, Some(true));
}

#[tokio::test]
async fn a_paid_due_cannot_be_set_overdue_and_a_year_without_dues_is_404() {
    let (app, admin, active) = dues_setup().await;
    let t = &admin.token;
    app.issue_dues(t, &dues_of_2025()).await;
    let paid = json!({"status": "paid", "paid_on": "2025-04-02"});
    app.update_due(t, active.id, 2025, &paid).await;
    let res = app
        .try_update_due(t, active.id, 2025, &json!({"status": "overdue"}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
    assert_problem(
        app.try_update_due(t, active.id, 2031, &json!({"status": "paid"}))
            .await,
        404,
        "not_found",
    )
    .await;
}

/// Four active members of several places, kinds and sizes; "Nube Estudio" is of the
/// segment `animacion`. The category too.
async fn register_of_four() -> (TestApp, TestUser, Uuid) {
    let (app, admin, cat) = setup().await;
    let seg = app
        .create_segment(&admin.token, "animacion", "Animación")
        .await;
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
    .into_iter()
    .enumerate()
    {
        let tax_id = make_cif('B', 100 + i as u32);
        let nube = name.starts_with("Nube");
        let body = NewMember {
            description: Some(desc),
            municipality: Some(municipality),
            segment_ids: nube.then(|| vec![seg]),
            size: nube.then_some("micro"),
            kind: if nube { "technology_centre" } else { "company" },
            ..NewMember::company(cat, name, &tax_id).active()
        };
        app.create_member(&admin.token, &body).await;
    }
    (app, admin, cat)
}

#[tokio::test]
async fn member_names_sort_the_spanish_way() {
    let (app, admin, _) = register_of_four().await;
    let t = &admin.token;
    assert_eq!(
        names(&app, t, "").await,
        [
            "Árbol Media, S.A.",
            "Nube Estudio, S.L.",
            "Oso Posproducción, S.L.",
            "Producciones Ñandú, S.L."
        ]
    );
    assert_eq!(
        names(&app, t, "sort=-legal_name").await[0],
        "Producciones Ñandú, S.L."
    );
}

#[tokio::test]
async fn member_search_ignores_accents_and_case_and_finds_parts_of_names() {
    let (app, admin, _) = register_of_four().await;
    let t = &admin.token;
    // "produccion" finds "Producciones" (stemmed, unaccented) and "Posproducción" (part of a name).
    assert_eq!(
        names(&app, t, "q=produccion").await,
        ["Oso Posproducción, S.L.", "Producciones Ñandú, S.L."]
    );
    assert_eq!(
        names(&app, t, "q=cine").await,
        ["Producciones Ñandú, S.L."],
        "descriptions are searched"
    );
    assert_eq!(
        names(&app, t, "q=distribucion%20internacional").await,
        ["Árbol Media, S.A."]
    );
    assert_eq!(names(&app, t, "q=ANIMACION").await, ["Nube Estudio, S.L."]);
    assert_eq!(
        names(&app, t, "q=nandu").await,
        ["Producciones Ñandú, S.L."]
    );
    assert_eq!(
        names(&app, t, "q=posprod").await,
        ["Oso Posproducción, S.L."],
        "parts of names match"
    );
    assert!(
        names(&app, t, "q=%25").await.is_empty(),
        "LIKE wildcards are literal"
    );
    assert!(
        names(&app, t, "q=%22%27%3B%20DROP%20TABLE%20members")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn members_filter_by_place_segment_kind_size_category_status_and_joining_date() {
    let (app, admin, cat) = register_of_four().await;
    let t = &admin.token;
    assert_eq!(names(&app, t, "municipality=MADRID").await.len(), 2);
    assert_eq!(
        names(&app, t, "municipality=mostoles").await,
        ["Nube Estudio, S.L."]
    );
    assert_eq!(
        names(&app, t, "segment=animacion").await,
        ["Nube Estudio, S.L."]
    );
    assert_eq!(
        names(&app, t, "kind=technology_centre").await,
        ["Nube Estudio, S.L."]
    );
    assert_eq!(names(&app, t, "size=micro").await, ["Nube Estudio, S.L."]);
    assert_eq!(names(&app, t, &format!("category_id={cat}")).await.len(), 4);
    assert_eq!(names(&app, t, "status=applicant").await.len(), 0);
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        names(&app, t, &format!("joined_from={today}&joined_to={today}"))
            .await
            .len(),
        4
    );
    assert_eq!(names(&app, t, "joined_to=2000-01-01").await.len(), 0);
}

#[tokio::test]
async fn csv_and_stats_agree_with_the_register() {
    let (app, admin, cat) = setup().await;
    for i in 0..5u32 {
        let (name, tax_id) = (format!("Empresa {i}"), make_cif('B', 200 + i));
        let base = NewMember::company(cat, &name, &tax_id);
        let body = NewMember {
            size: Some(["micro", "small", "large", "medium", "micro"][i as usize]),
            kind: if i == 0 { "university" } else { "company" },
            annual_turnover_cents: Some(1_000_000 * i64::from(i)),
            status: (i < 3).then_some("active"),
            ..base
        };
        app.create_member(&admin.token, &body).await;
    }
    let text = app.members_csv(&admin.token).await;
    assert_eq!(text.split("\r\n").filter(|l| !l.is_empty()).count(), 6);
    let stats = app.member_stats(&admin.token).await;
    assert_eq!(stats.total, 5);
    for (breakdown, counts) in [
        ("by_status", &stats.by_status),
        ("by_category", &stats.by_category),
        ("by_kind", &stats.by_kind),
        ("by_size", &stats.by_size),
        ("joined_per_year", &stats.joined_per_year),
    ] {
        let sum: i64 = counts.iter().map(|c| c.count).sum();
        assert_eq!(sum, 5, "{breakdown} sums to the register");
    }
    assert_eq!(stats.sme_count, 4);
    assert_eq!(stats.sme_share_bp, 8000);
    assert_eq!(stats.knowledge_providers, 1);
    assert_eq!(stats.in_good_standing, 3);
}

/// An active member with private data and a contact, an applicant, and a partner user:
/// (app, admin, partner, the active member).
async fn register_with_secrets() -> (TestApp, TestUser, TestUser, Uuid) {
    let (app, admin, cat) = setup().await;
    let body = NewMember {
        annual_turnover_cents: Some(987_654_321),
        municipality: Some("Getafe"),
        description: Some("Prepara en secreto una candidatura al concurso de guiones"),
        ..NewMember::company(cat, "Confidencial, S.L.", "B12345674").active()
    };
    let id = app.create_member(&admin.token, &body).await.id;
    let hidden = NewMember::company(cat, "Solicitante Oculta, S.L.", "A58818501");
    app.create_member(&admin.token, &hidden).await;
    app.add_contact(
        &admin.token,
        id,
        &json!({"name": "Persona", "email": "p@x.es"}),
    )
    .await;
    let partner = app.user(&admin, "partner").await;
    (app, admin, partner, id)
}

#[tokio::test]
async fn partners_read_a_member_without_its_private_fields() {
    let (app, _, partner, id) = register_with_secrets().await;
    let seen: Value = app.get_ok(&partner.token, &member_path(id)).await;
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
    assert_eq!(app.try_contacts(&partner.token, id).await.status(), 404);
    assert_eq!(app.try_member_dues(&partner.token, id).await.status(), 404);
}

#[tokio::test]
async fn partners_list_and_export_the_public_register_only() {
    let (app, _, partner, _) = register_with_secrets().await;
    assert_eq!(
        names(&app, &partner.token, "").await,
        ["Confidencial, S.L."],
        "applicants are not in the public register"
    );
    let csv = app.members_csv(&partner.token).await;
    assert!(
        !csv.contains("987654321") && !csv.contains("B12345674"),
        "{csv}"
    );
}

#[tokio::test]
async fn partners_cannot_filter_sort_or_search_by_private_fields() {
    let (app, admin, partner, _) = register_with_secrets().await;
    assert_problem(
        app.try_list_members(&partner.token, "in_good_standing=true")
            .await,
        403,
        "forbidden",
    )
    .await;
    // Neither the joining date (through sorting) nor the description (through search) leaks.
    let res = app.try_list_members(&partner.token, "sort=joined_on").await;
    assert_problem(res, 403, "forbidden").await;
    assert!(names(&app, &partner.token, "q=concurso").await.is_empty());
    assert_eq!(
        names(&app, &admin.token, "q=concurso").await,
        ["Confidencial, S.L."]
    );
    assert_eq!(
        names(&app, &partner.token, "q=confidencial").await,
        ["Confidencial, S.L."]
    );
}

/// A representative of an applicant, "Mi Productora", and an active competitor:
/// (app, admin, representative, own organisation, the other).
async fn represented() -> (TestApp, TestUser, TestUser, Uuid, Uuid) {
    let (app, admin, cat) = setup().await;
    let own = NewMember {
        annual_turnover_cents: Some(5_000_000),
        ..NewMember::company(cat, "Mi Productora, S.L.", "B12345674")
    };
    // An applicant: not public, but theirs.
    let own = app.create_member(&admin.token, &own).await.id;
    let other = NewMember {
        annual_turnover_cents: Some(7_000_000),
        ..NewMember::company(cat, "La Competencia, S.L.", "A58818501").active()
    };
    let other = app.create_member(&admin.token, &other).await.id;
    let rep = app.representative(&admin, own).await;
    (app, admin, rep, own, other)
}

#[tokio::test]
async fn representatives_read_their_own_organisation_in_full_and_others_in_public() {
    let (app, _, rep, own, other) = represented().await;
    let mine = app.get_member(&rep.token, own).await;
    assert_eq!(mine.visibility, "full");
    assert_eq!(mine.annual_turnover_cents, Some(5_000_000));
    let theirs: Value = app.get_ok(&rep.token, &member_path(other)).await;
    assert_eq!(theirs["visibility"], "public");
    assert!(theirs.get("annual_turnover_cents").is_none());
    assert_eq!(
        names(&app, &rep.token, "").await,
        ["La Competencia, S.L.", "Mi Productora, S.L."]
    );
}

#[tokio::test]
async fn representatives_edit_their_own_organisation_only_and_not_its_tax_id() {
    let (app, _, rep, own, other) = represented().await;
    let t = &rep.token;
    app.update_member(
        t,
        own,
        &json!({"website": "https://miproductora.es", "employees": 12}),
    )
    .await;
    assert_problem(
        app.try_update_member(t, own, &json!({"tax_id": "12345678Z"}))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.try_update_member(t, other, &json!({"website": "https://robada.es"}))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.try_add_contact(t, own, &json!({"name": "Yo misma"}))
            .await
            .status(),
        201
    );
    assert_eq!(app.try_contacts(t, other).await.status(), 404);
    assert_eq!(
        app.try_change_member_status(t, own, &json!({"to": "active", "reason": "yo"}))
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn reading_a_member_costs_at_most_three_sql_statements() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app
        .new_member(&admin.token, "Medida, S.L.", "B12345674")
        .await;
    for _ in 0..10 {
        assert_eq!(app.try_get_member(&admin.token, id).await.status(), 200);
    }
    let statements = app
        .statements_of("/api/v1/members/{id}")
        .await
        .expect("statements of GET /api/v1/members/{id}");
    // 10 reads by a user: the caller check and the member in one statement each.
    assert_eq!(statements, 10, "{statements} statements for 10 reads");
}

/// An active member "Inmediata, S.L.".
async fn member_to_read() -> (TestApp, TestUser, Uuid) {
    let (app, admin, cat) = setup().await;
    let body = NewMember::company(cat, "Inmediata, S.L.", "B12345674").active();
    let id = app.create_member(&admin.token, &body).await.id;
    (app, admin, id)
}

#[tokio::test]
async fn a_role_change_ends_the_session_before_the_member_is_looked_at() {
    let (app, admin, id) = member_to_read().await;
    let unknown = Uuid::new_v4();
    let staff = app.user(&admin, "staff").await;
    let seen = app.get_member(&staff.token, id).await;
    assert_eq!(seen.visibility, "full");
    assert_problem(
        app.try_get_member(&staff.token, unknown).await,
        404,
        "not_found",
    )
    .await;
    // 401 for members that exist and for those that do not (the caller is checked before
    // the member is looked at).
    app.update_user(&admin.token, &staff.id, &json!({"role": "partner"}))
        .await;
    assert_problem(
        app.try_get_member(&staff.token, id).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.try_get_member(&staff.token, unknown).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn a_deactivated_user_reads_no_member_at_once() {
    let (app, admin, id) = member_to_read().await;
    let other = app.user(&admin, "staff").await;
    assert_eq!(app.try_get_member(&other.token, id).await.status(), 200);
    app.update_user(&admin.token, &other.id, &json!({"active": false}))
        .await;
    assert_problem(
        app.try_get_member(&other.token, id).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn a_revoked_access_token_reads_no_member_at_once() {
    let (app, admin, id) = member_to_read().await;
    let auditor = app.user(&admin, "auditor").await;
    assert_eq!(app.try_get_member(&auditor.token, id).await.status(), 200);
    assert_eq!(app.revoke_token(&auditor.token).await.status(), 200);
    assert_problem(
        app.try_get_member(&auditor.token, id).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn a_changed_password_ends_the_session_at_once() {
    // The token's epoch is stale.
    let (app, admin, id) = member_to_read().await;
    let other = app.user(&admin, "staff").await;
    assert_eq!(app.try_get_member(&other.token, id).await.status(), 200);
    app.update_user(
        &admin.token,
        &other.id,
        &json!({"password": "una contraseña nueva y larga"}),
    )
    .await;
    assert_problem(
        app.try_get_member(&other.token, id).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn a_revoked_api_client_reads_no_member_at_once() {
    // API clients are checked in a statement of their own.
    let (app, admin, id) = member_to_read().await;
    let client = app
        .create_api_client(
            &admin.token,
            &json!({"name": "Integración", "scopes": ["members:read"]}),
        )
        .await;
    let token = app.client_token(&client).await;
    let seen = app.get_member(&token, id).await;
    assert_eq!(seen.visibility, "public", "{seen:?}");
    assert_problem(
        app.try_get_member(&token, Uuid::new_v4()).await,
        404,
        "not_found",
    )
    .await;
    app.revoke_api_client(&admin.token, client.id).await;
    assert_problem(app.try_get_member(&token, id).await, 401, "unauthorized").await;
}
