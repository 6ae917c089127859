//! Minutes: a draft with the debate's summary, approved and frozen with its SHA-256, by
//! the application and by a trigger.

use super::*;
use crate::support::{assert_problem, expect_json};

#[tokio::test]
async fn approved_minutes_are_frozen_by_the_application_and_by_a_trigger() {
    let a = assembly(3, json!({})).await;
    let t = &a.admin.token;
    let agenda = json!([{"title": "Cuentas de 2025", "kind": "resolution"}]);
    let (meeting, _, items) = constituted(&a, agenda, 3).await;
    let yes = json!({"totals": {"yes": 2, "no": 1, "abstain": 0}});
    assert_eq!(
        a.app.try_resolve(t, meeting, items[0], &yes).await.status(),
        201
    );
    let path = format!("/api/v1/meetings/{meeting}/minutes");
    let summary =
        json!({"debate_summary": "La tesorera presentó las cuentas; debate sobre la cuota."});
    let draft: Value = expect_json(
        a.app.send_as("PUT", t, &path, None, Some(&summary)).await,
        200,
    )
    .await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["content"]["agenda"][0]["resolution"]["yes"], 2);
    assert_eq!(draft["content"]["attendance"].as_array().unwrap().len(), 3);
    // Representatives read approved minutes only.
    let rep = a.app.representative(&a.admin, a.members[0]).await;
    assert_eq!(a.app.get_as(&rep.token, &path).await.status(), 404);
    let approval = format!("{path}/approval");
    let approved: Value = expect_json(a.app.post_json(t, &approval, &json!({})).await, 200).await;
    assert_eq!(approved["status"], "approved");
    let hash = approved["content_sha256"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    assert_eq!(a.app.get_as(&rep.token, &path).await.status(), 200);
    // The application refuses any change…
    let res = a.app.send_as("PUT", t, &path, None, Some(&summary)).await;
    assert_problem(res, 409, "minutes_approved").await;
    assert_problem(
        a.app.post_json(t, &approval, &json!({})).await,
        409,
        "minutes_approved",
    )
    .await;
    // …and so does the database.
    let tamper = a
        .app
        .sql_result(&format!(
            "UPDATE minutes SET debate_summary = 'Otra cosa' WHERE meeting_id = '{meeting}'"
        ))
        .await;
    assert!(tamper.unwrap_err().contains("frozen"));
    let delete = a
        .app
        .sql_result(&format!(
            "DELETE FROM minutes WHERE meeting_id = '{meeting}'"
        ))
        .await;
    assert!(delete.is_err());
    let again: Value = a.app.get_ok(t, &path).await;
    assert_eq!(again["content_sha256"], hash);
}
