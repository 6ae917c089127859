//! A member's contact people.

use super::*;

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
