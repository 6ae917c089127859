//! Convening (notice period, frozen roll), attendance (proxies and their cap), the quorum
//! at first and second call, and who sees meetings.

use super::*;
use crate::support::{assert_problem, expect_json, governance::in_days};

#[tokio::test]
async fn quorum_at_first_call_is_one_third_rounded_up_and_counts_proxies_only_of_attending_holders()
{
    let a = assembly(40, json!({})).await;
    let t = &a.admin.token;
    let meeting = id(&a.app.convene(t, a.body, json!([])).await);
    let roll = roll_ids(&a, meeting).await;
    assert_eq!(roll.len(), 40);
    // 12 present, one proxy held by an attendee, one held by an absent member: 13 of 14.
    let mut entries = present(&roll[..12]);
    entries.push(proxy(roll[12], roll[0]));
    entries.push(proxy(roll[13], roll[30]));
    let res = a.app.try_attendance(t, meeting, json!(entries)).await;
    let summary: Value = expect_json(res, 200).await;
    assert_eq!(
        (
            summary["present_count"].as_i64(),
            summary["represented_count"].as_i64()
        ),
        (Some(12), Some(1))
    );
    let res = a.app.try_constitute(t, meeting, "first").await;
    let problem = assert_problem(res, 409, "no_quorum").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("13"),
        "{problem}"
    );
    // The second proxy moves to an attendee: 14 of 40 is exactly one third, rounded up.
    let res = a
        .app
        .try_attendance(t, meeting, json!([proxy(roll[13], roll[1])]))
        .await;
    assert_eq!(res.status(), 200);
    let m: Value = expect_json(a.app.try_constitute(t, meeting, "first").await, 200).await;
    assert_eq!(m["status"], "constituted_first");
    assert_eq!(m["quorum"]["required_count"], 14);
    assert_eq!(m["quorum"]["present_count"], 12);
    assert_eq!(m["quorum"]["represented_count"], 2);
    // Attendance is closed once constituted.
    let res = a
        .app
        .try_attendance(t, meeting, json!(present(&roll[20..21])))
        .await;
    assert_problem(res, 409, "attendance_closed").await;
}

#[tokio::test]
async fn second_call_takes_any_number_and_a_failed_meeting_cannot_vote() {
    let a = assembly(6, json!({})).await;
    let t = &a.admin.token;
    let item = json!([{"title": "Memoria de actividades", "kind": "resolution"}]);
    // One of six attends: no quorum at first call (2 needed), constituted at second.
    let m = a.app.convene(t, a.body, item.clone()).await;
    let meeting = id(&m);
    let roll = roll_ids(&a, meeting).await;
    a.app
        .try_attendance(t, meeting, json!(present(&roll[..1])))
        .await;
    assert_problem(
        a.app.try_constitute(t, meeting, "first").await,
        409,
        "no_quorum",
    )
    .await;
    let m: Value = expect_json(a.app.try_constitute(t, meeting, "second").await, 200).await;
    assert_eq!(m["status"], "constituted_second");
    // Nobody attends: the meeting fails at second call, and nothing is voted.
    let failed = a.app.convene(t, a.body, item).await;
    let meeting = id(&failed);
    let m: Value = expect_json(a.app.try_constitute(t, meeting, "second").await, 200).await;
    assert_eq!(m["status"], "failed");
    let item = id(&failed["agenda"][0]);
    let res = a
        .app
        .try_resolve(
            t,
            meeting,
            item,
            &json!({"totals": {"yes": 0, "no": 0, "abstain": 0}}),
        )
        .await;
    assert_problem(res, 409, "meeting_failed").await;
}

#[tokio::test]
async fn convening_inside_the_notice_period_is_a_422_naming_the_earliest_first_call() {
    let a = assembly(1, json!({})).await;
    let req = json!({"body_id": a.body, "kind": "ordinary", "convened_by": "board",
        "first_call_at": in_days(10)});
    let res = a.app.try_convene(&a.admin.token, &req).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let error = &problem["errors"][0];
    assert_eq!(error["field"], "first_call_at");
    assert_eq!(error["code"], "notice_too_short");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("earliest valid first call is 20"),
        "{message}"
    );
}

#[tokio::test]
async fn convening_freezes_the_roll_and_paying_dues_later_adds_no_one() {
    let a = assembly(3, json!({})).await;
    let t = &a.admin.token;
    // Dues of 2025, overdue: nobody is in good standing until they pay.
    a.app
        .issue_dues(
            t,
            &json!({"year": 2025, "issued_on": "2025-01-15", "due_on": "2025-03-31"}),
        )
        .await;
    a.app
        .update_due(t, a.members[0], 2025, &json!({"status": "paid"}))
        .await;
    let meeting = id(&a.app.convene(t, a.body, json!([])).await);
    let names = |roll: Vec<Value>| -> Vec<String> {
        roll.iter()
            .map(|r| r["member_name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(a.app.roll(t, meeting).await), ["Socia 001, S.L."]);
    a.app
        .update_due(t, a.members[1], 2025, &json!({"status": "paid"}))
        .await;
    assert_eq!(names(a.app.roll(t, meeting).await), ["Socia 001, S.L."]);
    // A meeting convened now has both.
    let later = id(&a.app.convene(t, a.body, json!([])).await);
    assert_eq!(
        names(a.app.roll(t, later).await),
        ["Socia 001, S.L.", "Socia 002, S.L."]
    );
    // The roll as CSV too.
    let csv = a
        .app
        .get_csv(t, &format!("/api/v1/meetings/{meeting}/roll"))
        .await;
    assert!(csv.contains("Socia 001, S.L."), "{csv}");
}

#[tokio::test]
async fn the_cap_on_proxies_per_holder_is_enforced() {
    let a = assembly(4, json!({"max_proxies_per_holder": 1})).await;
    let t = &a.admin.token;
    let meeting = id(&a.app.convene(t, a.body, json!([])).await);
    let roll = roll_ids(&a, meeting).await;
    let mut entries = present(&roll[..1]);
    entries.push(proxy(roll[1], roll[0]));
    entries.push(proxy(roll[2], roll[0]));
    let res = a.app.try_attendance(t, meeting, json!(entries)).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "proxy_cap_exceeded");
    // Nothing was recorded.
    let roll = a.app.roll(t, meeting).await;
    assert!(roll.iter().all(|r| r["attendance"] == "absent"));
}

#[tokio::test]
async fn partners_see_nothing_and_representatives_only_meetings_of_their_bodies() {
    let a = assembly(2, json!({})).await;
    let t = &a.admin.token;
    let meeting = id(&a.app.convene(t, a.body, json!([])).await);
    let path = format!("/api/v1/meetings/{meeting}");
    let partner = a.app.user(&a.admin, "partner").await;
    assert_problem(a.app.get_as(&partner.token, &path).await, 404, "not_found").await;
    let body_path = format!("/api/v1/bodies/{}", a.body);
    assert_problem(
        a.app.get_as(&partner.token, &body_path).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        a.app
            .get_as(&partner.token, "/api/v1/meetings")
            .await
            .status(),
        403
    );
    let on_roll = a.app.representative(&a.admin, a.members[0]).await;
    assert_eq!(a.app.get_as(&on_roll.token, &path).await.status(), 200);
    let roll_path = format!("{path}/roll");
    assert_eq!(a.app.get_as(&on_roll.token, &roll_path).await.status(), 200);
    // An applicant does not belong to the Assembly yet (an active member admitted after
    // convening does: see calendar.rs).
    let tax_id = agrupa::domain::tax_id::make_cif('B', 8_000_050);
    let applicant = crate::support::NewMember::company(a.category, "Solicitante, S.L.", &tax_id);
    let other = a.app.create_member(t, &applicant).await.id;
    let stranger = a.app.representative(&a.admin, other).await;
    assert_problem(a.app.get_as(&stranger.token, &path).await, 404, "not_found").await;
    let page: crate::support::Page<Value> = a.app.get_ok(&stranger.token, "/api/v1/meetings").await;
    assert!(page.items.is_empty());
    let auditor = a.app.user(&a.admin, "auditor").await;
    assert_eq!(a.app.get_as(&auditor.token, &path).await.status(), 200);
}
