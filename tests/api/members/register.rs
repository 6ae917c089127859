//! The register: tax ids, search, filters and order, CSV and figures, the cost of a read.

use super::*;

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
    // The record stays readable: archiving it again is a conflict, not a 404.
    let res = app
        .send_as(
            "DELETE",
            &admin.token,
            &format!("/api/v1/members/{id}"),
            None,
            None,
        )
        .await;
    assert_problem(res, 409, "member_archived").await;
    let again = NewMember::company(cat, "Reutiliza el NIF", "B12345674");
    app.create_member(&admin.token, &again).await;
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
