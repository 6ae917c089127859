//! Dissents (recorded at the vote, written within 48 hours) and certificates of a
//! resolution (secretary and president from the seats held that day; "pending approval of
//! the minutes" until they are approved).

use super::*;
use crate::support::{assert_problem, expect_json};

/// A board with a president and a secretary (the first two members).
pub(super) async fn board_with_officers(a: &Assembly) -> Uuid {
    let t = &a.admin.token;
    let board = a
        .app
        .create_body(t, &json!({"kind": "board", "name": "Junta Directiva"}))
        .await;
    let board = id(&board);
    for (member, person, position) in [
        (a.members[0], "Ana Presidenta", "president"),
        (a.members[1], "Luis Secretario", "secretary"),
    ] {
        let seat = json!({"member_id": member, "person_name": person, "position": position,
            "starts_on": "2024-01-01"});
        let res = a
            .app
            .post_json(t, &format!("/api/v1/bodies/{board}/seats"), &seat)
            .await;
        assert_eq!(res.status(), 201);
    }
    board
}

fn named(roll: &[Uuid], choices: &[&str]) -> Value {
    let votes: Vec<Value> = roll
        .iter()
        .zip(choices)
        .map(|(e, c)| json!({"roll_entry_id": e, "choice": c}))
        .collect();
    json!(votes)
}

#[tokio::test]
async fn dissents_are_recorded_at_the_vote_and_written_within_48_hours_into_the_minutes() {
    let a = assembly(4, json!({})).await;
    let t = &a.admin.token;
    let agenda = json!([{"title": "Cuota de 2026", "kind": "resolution"}]);
    let (meeting, roll, items) = constituted(&a, agenda, 4).await;
    // An entry that voted for the outcome cannot dissent from it.
    let wrong = json!({"votes": named(&roll, &["yes", "yes", "yes", "no"]),
        "dissents": [{"roll_entry_id": roll[0], "reason": "No estoy de acuerdo"}]});
    let res = a.app.try_resolve(t, meeting, items[0], &wrong).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "cannot_dissent");
    let vote = json!({"votes": named(&roll, &["yes", "yes", "yes", "no"]),
        "dissents": [{"roll_entry_id": roll[3], "reason": "La cuota excluye a las pymes."}]});
    let resolution: Value =
        expect_json(a.app.try_resolve(t, meeting, items[0], &vote).await, 201).await;
    assert_eq!(resolution["adopted"], true);
    assert_eq!(resolution["dissents"][0]["kind"], "recorded");
    assert_eq!(
        resolution["dissents"][0]["roll_entry_id"],
        roll[3].to_string()
    );
    let rid = id(&resolution);
    let path = format!("/api/v1/resolutions/{rid}/dissents");

    // The representative of the dissenting entry writes its voto particular…
    let rep = a.app.representative(&a.admin, a.members[3]).await;
    let written =
        json!({"roll_entry_id": roll[3], "text": "Voto particular: la cuota debe ser progresiva."});
    let d: Value = expect_json(a.app.post_json(&rep.token, &path, &written).await, 201).await;
    assert_eq!(d["kind"], "written");
    // …once; not for another organisation's entry.
    assert_problem(
        a.app.post_json(&rep.token, &path, &written).await,
        409,
        "dissent_exists",
    )
    .await;
    let other = json!({"roll_entry_id": roll[2], "text": "Ajeno"});
    assert_eq!(
        a.app.post_json(&rep.token, &path, &other).await.status(),
        403
    );

    // Both appear in the meeting and in the minutes.
    let m = a.app.meeting(t, meeting).await;
    assert_eq!(
        m["agenda"][0]["resolution"]["dissents"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let minutes = format!("/api/v1/meetings/{meeting}/minutes");
    let summary = json!({"debate_summary": "Debate sobre la cuota."});
    let draft: Value = expect_json(
        a.app
            .send_as("PUT", t, &minutes, None, Some(&summary))
            .await,
        200,
    )
    .await;
    let in_minutes = &draft["content"]["agenda"][0]["resolution"]["dissents"];
    assert_eq!(
        in_minutes[1]["text"],
        "Voto particular: la cuota debe ser progresiva."
    );

    // 48 hours after the meeting the deadline has passed, and the answer names it.
    a.app
        .sql(&format!(
            "UPDATE meetings SET constituted_at = now() - interval '49 hours' WHERE id = '{meeting}'"
        ))
        .await;
    let late = json!({"roll_entry_id": roll[3], "text": "Tarde"});
    let res = a.app.post_json(t, &path, &late).await;
    let problem = assert_problem(res, 422, "dissent_deadline_passed").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("the deadline was 20"),
        "{problem}"
    );
    // A dissent is never changed.
    let tamper = a
        .app
        .sql_result(&format!(
            "UPDATE dissents SET text = 'Otra' WHERE resolution_id = '{rid}'"
        ))
        .await;
    assert!(tamper.is_err());
}

#[tokio::test]
async fn certificates_name_the_officers_of_the_day_and_say_when_the_minutes_are_pending() {
    let a = assembly(3, json!({})).await;
    let t = &a.admin.token;
    let agenda = json!([
        {"title": "Cuentas de 2025", "kind": "resolution"},
        {"title": "Propuesta rechazada", "kind": "resolution"}
    ]);
    let (meeting, _, items) = constituted(&a, agenda, 3).await;
    let yes = json!({"totals": {"yes": 3, "no": 0, "abstain": 0}});
    let adopted: Value =
        expect_json(a.app.try_resolve(t, meeting, items[0], &yes).await, 201).await;
    let no = json!({"totals": {"yes": 0, "no": 3, "abstain": 0}});
    let rejected: Value =
        expect_json(a.app.try_resolve(t, meeting, items[1], &no).await, 201).await;
    let path = format!("/api/v1/resolutions/{}/certificates", id(&adopted));
    let body = json!({"purpose": "su presentación ante el Ministerio"});

    // No secretary yet: 422 naming the seat.
    let problem = assert_problem(
        a.app.post_json(t, &path, &body).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "no_secretary");
    board_with_officers(&a).await;

    let pending: Value = expect_json(a.app.post_json(t, &path, &body).await, 201).await;
    assert_eq!(pending["minutes_pending"], true);
    assert_eq!(pending["secretary"]["person_name"], "Luis Secretario");
    assert_eq!(pending["president"]["person_name"], "Ana Presidenta");
    let text = pending["content"]["text"].as_str().unwrap();
    assert!(text.contains("antes de la aprobación del acta"), "{text}");
    assert!(
        text.contains("su presentación ante el Ministerio"),
        "{text}"
    );
    assert_eq!(pending["content_sha256"].as_str().unwrap().len(), 64);

    // After the minutes are approved, a new certificate says so.
    let minutes = format!("/api/v1/meetings/{meeting}/minutes");
    let summary = json!({"debate_summary": "Sin debate."});
    a.app
        .send_as("PUT", t, &minutes, None, Some(&summary))
        .await;
    let res = a
        .app
        .post_json(t, &format!("{minutes}/approval"), &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    let approved: Value = expect_json(a.app.post_json(t, &path, &json!({})).await, 201).await;
    assert_eq!(approved["minutes_pending"], false);
    assert!(
        approved["content"]["text"]
            .as_str()
            .unwrap()
            .contains("El acta de la reunión fue aprobada")
    );

    let list: Value = a.app.get_ok(t, &path).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let one: Value = a.app.get_ok(t, &format!("{path}/{}", id(&pending))).await;
    assert_eq!(one["minutes_pending"], true);
    // A rejected resolution is not certified; certificates never change.
    let rejected_path = format!("/api/v1/resolutions/{}/certificates", id(&rejected));
    assert_problem(
        a.app.post_json(t, &rejected_path, &json!({})).await,
        409,
        "resolution_not_adopted",
    )
    .await;
    let tamper = a
        .app
        .sql_result("UPDATE certificates SET minutes_pending = false")
        .await;
    assert!(tamper.is_err());
    // Representatives not on the roll do not see them.
    let outsider = a.app.user(&a.admin, "member").await;
    assert_eq!(a.app.get_as(&outsider.token, &path).await.status(), 404);
}

#[tokio::test]
async fn adopting_an_accounts_item_records_the_year_once() {
    let a = assembly(3, json!({})).await;
    let t = &a.admin.token;
    let accounts = |year: Value| {
        json!([{"title": "Aprobación de las cuentas anuales", "kind": "resolution",
            "effect": "approve_accounts", "fiscal_year": year}])
    };
    // The year is required with this effect.
    let req = json!({"body_id": a.body, "kind": "ordinary", "convened_by": "board",
        "first_call_at": crate::support::governance::in_days(16), "agenda": accounts(Value::Null)});
    let problem = assert_problem(a.app.try_convene(t, &req).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "agenda[0].fiscal_year");
    let yes = json!({"totals": {"yes": 3, "no": 0, "abstain": 0}});
    let (meeting, _, items) = constituted(&a, accounts(json!(2025)), 3).await;
    let adopted: Value =
        expect_json(a.app.try_resolve(t, meeting, items[0], &yes).await, 201).await;
    let list: Value = a.app.get_ok(t, "/api/v1/approved-accounts").await;
    assert_eq!(list["items"][0]["fiscal_year"], 2025);
    assert_eq!(list["items"][0]["resolution_id"], adopted["id"]);
    // A second approval of 2025 is refused, and that resolution is not recorded.
    let (again, _, items) = constituted(&a, accounts(json!(2025)), 3).await;
    let res = a.app.try_resolve(t, again, items[0], &yes).await;
    assert_problem(res, 409, "accounts_approved").await;
    let m = a.app.meeting(t, again).await;
    assert!(m["agenda"][0]["resolution"].is_null());
    assert_eq!(m["agenda"][0]["fiscal_year"], 2025);
}

#[tokio::test]
async fn a_seat_changes_with_if_match_and_an_ended_seat_leaves_later_rolls() {
    let a = assembly(3, json!({})).await;
    let t = &a.admin.token;
    let board = board_with_officers(&a).await;
    let seats: Value = a
        .app
        .get_ok(t, &format!("/api/v1/bodies/{board}/seats"))
        .await;
    let secretary = seats["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["position"] == "secretary")
        .unwrap();
    let path = format!("/api/v1/bodies/{board}/seats/{}", id(secretary));
    let res = a.app.get_as(t, &path).await;
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let change = json!({"person_name": "Marta Secretaria"});
    // If-Match is required, and must be current.
    let res = a.app.send_as("PATCH", t, &path, None, Some(&change)).await;
    assert_eq!(res.status(), 428);
    let changed: Value = expect_json(
        a.app
            .send_as("PATCH", t, &path, Some(&etag), Some(&change))
            .await,
        200,
    )
    .await;
    assert_eq!(changed["person_name"], "Marta Secretaria");
    let res = a
        .app
        .send_as("PATCH", t, &path, Some(&etag), Some(&change))
        .await;
    assert_eq!(res.status(), 412);
    // Ended before it started: 422. Ended yesterday: the next meeting's roll leaves it out.
    let etag = a.app.get_as(t, &path).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let early = json!({"ends_on": "2023-12-31"});
    let res = a
        .app
        .send_as("PATCH", t, &path, Some(&etag), Some(&early))
        .await;
    assert_eq!(res.status(), 422);
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    let end = json!({"ends_on": yesterday});
    let res = a
        .app
        .send_as("PATCH", t, &path, Some(&etag), Some(&end))
        .await;
    assert_eq!(res.status(), 200);
    let meeting = id(&a.app.convene(t, board, json!([])).await);
    let roll = a.app.roll(t, meeting).await;
    assert_eq!(roll.len(), 1);
    assert_eq!(roll[0]["person_name"], "Ana Presidenta");
}
