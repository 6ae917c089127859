//! A member's status: the legal moves, their history, admission.

use super::*;

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
