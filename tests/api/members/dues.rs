//! Dues: issued at the category fee, they decide good standing.

use super::*;

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
