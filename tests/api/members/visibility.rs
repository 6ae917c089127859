//! Who reads what of the register: partners, representatives, sessions ended at once.

use super::*;

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

/// Asserts that `token` reads member `id`, and that once `end` has run it is refused with
/// a 401 at once.
async fn assert_read_until(app: &TestApp, token: &str, id: Uuid, end: impl Future<Output = ()>) {
    assert_eq!(app.try_get_member(token, id).await.status(), 200);
    end.await;
    assert_problem(app.try_get_member(token, id).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_deactivated_user_reads_no_member_at_once() {
    let (app, admin, id) = member_to_read().await;
    let other = app.user(&admin, "staff").await;
    let deactivate = async {
        app.update_user(&admin.token, &other.id, &json!({"active": false}))
            .await;
    };
    assert_read_until(&app, &other.token, id, deactivate).await;
}

#[tokio::test]
async fn a_revoked_access_token_reads_no_member_at_once() {
    let (app, admin, id) = member_to_read().await;
    let auditor = app.user(&admin, "auditor").await;
    let revoke = async {
        assert_eq!(app.revoke_token(&auditor.token).await.status(), 200);
    };
    assert_read_until(&app, &auditor.token, id, revoke).await;
}

#[tokio::test]
async fn a_revoked_access_token_read_with_many_times_before_reads_no_member_at_once() {
    // The server remembers the tokens it has verified (signature and claims only): the
    // revocation is still read on the next request.
    let (app, admin, id) = member_to_read().await;
    let auditor = app.user(&admin, "auditor").await;
    for _ in 0..3 {
        assert_eq!(app.try_get_member(&auditor.token, id).await.status(), 200);
    }
    assert_eq!(app.revoke_token(&auditor.token).await.status(), 200);
    for _ in 0..2 {
        assert_problem(
            app.try_get_member(&auditor.token, id).await,
            401,
            "unauthorized",
        )
        .await;
    }
}

#[tokio::test]
async fn a_changed_password_ends_the_session_at_once() {
    // The token's epoch is stale.
    let (app, admin, id) = member_to_read().await;
    let other = app.user(&admin, "staff").await;
    let change = async {
        let password = json!({"password": "una contraseña nueva y larga"});
        app.update_user(&admin.token, &other.id, &password).await;
    };
    assert_read_until(&app, &other.token, id, change).await;
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
