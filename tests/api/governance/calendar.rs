//! iCalendar of meetings, extraordinary meetings at the members' request, and what a
//! representative reads.

use std::collections::BTreeMap;

use super::*;
use crate::support::{assert_problem, expect_json, governance::in_days};

/// A strict reading of an RFC 5545 stream: CRLF only, physical lines of at most 75 octets,
/// continuation lines starting with a space, `NAME[;params]:value` content lines, balanced
/// components. Returns the components' properties (name → unescaped-free raw value).
fn parse(ics: &str) -> Vec<(String, BTreeMap<String, String>)> {
    assert!(ics.ends_with("\r\n"));
    assert!(!ics.replace("\r\n", "").contains('\n'), "a bare LF");
    let mut logical: Vec<String> = Vec::new();
    for physical in ics.trim_end_matches("\r\n").split("\r\n") {
        assert!(
            physical.len() <= 75,
            "{} octets: {physical}",
            physical.len()
        );
        match physical.strip_prefix(' ') {
            Some(rest) => logical.last_mut().unwrap().push_str(rest),
            None => logical.push(physical.to_owned()),
        }
    }
    let mut stack: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let mut done = Vec::new();
    for l in logical {
        let (name, value) = l.split_once(':').expect("NAME:value");
        let name = name.split(';').next().unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_uppercase() || c == '-'),
            "{name}"
        );
        match name {
            "BEGIN" => stack.push((value.to_owned(), BTreeMap::new())),
            "END" => {
                let (component, props) = stack.pop().expect("END without BEGIN");
                assert_eq!(component, value);
                done.push((component, props));
            }
            _ => {
                stack
                    .last_mut()
                    .expect("a property outside a component")
                    .1
                    .insert(name.to_owned(), value.to_owned());
            }
        }
    }
    assert!(stack.is_empty(), "unbalanced components");
    done
}

async fn calendar(app: &crate::support::TestApp, token: &str, path: &str) -> String {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .header("Accept", "text/calendar")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/calendar"), "{ct}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn meetings_are_served_as_rfc_5545_calendars_with_stable_uids() {
    let a = assembly(2, json!({})).await;
    let t = &a.admin.token;
    let long = "Aprobación de las cuentas anuales, del informe de gestión; y de la memoria \
                de actividades del ejercicio 2025";
    let req = json!({"body_id": a.body, "kind": "ordinary", "convened_by": "board",
        "first_call_at": in_days(16), "place": "Sede, sala 1; Madrid",
        "agenda": [{"title": long, "kind": "informative"}]});
    let m: Value = expect_json(a.app.try_convene(t, &req).await, 201).await;
    let meeting = id(&m);
    let one = calendar(&a.app, t, &format!("/api/v1/meetings/{meeting}")).await;
    let parsed = parse(&one);
    let (kind, event) = &parsed[0];
    assert_eq!(kind, "VEVENT");
    assert_eq!(event["UID"], format!("meeting-{meeting}@agrupa"));
    assert_eq!(event["LOCATION"], "Sede\\, sala 1\\; Madrid");
    assert!(event["DTSTART"].ends_with('Z') && event["DTSTAMP"].ends_with('Z'));
    assert!(event["DESCRIPTION"].contains("informe de gestión\\; y de la memoria"));
    let (kind, cal) = &parsed[1];
    assert_eq!(kind, "VCALENDAR");
    assert_eq!(cal["VERSION"], "2.0");
    assert!(cal.contains_key("PRODID"));
    // The UID is the same tomorrow: the body's calendar lists the meeting under it.
    a.app.convene(t, a.body, json!([])).await;
    let all = calendar(&a.app, t, &format!("/api/v1/bodies/{}/meetings", a.body)).await;
    let events: Vec<_> = parse(&all)
        .into_iter()
        .filter(|(k, _)| k == "VEVENT")
        .collect();
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .any(|(_, e)| e["UID"] == format!("meeting-{meeting}@agrupa"))
    );
    // JSON stays the default.
    let page: Value = a
        .app
        .get_ok(t, &format!("/api/v1/bodies/{}/meetings", a.body))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_extraordinary_meeting_needs_a_tenth_of_the_roll_and_reserved_matters_need_one() {
    let a = assembly(20, json!({})).await;
    let t = &a.admin.token;
    let statutes = json!([{"title": "Reforma de los estatutos", "kind": "resolution",
        "matter": "statutes", "majority": "qualified"}]);
    // Statutes at an ordinary meeting: 422.
    let ordinary = json!({"body_id": a.body, "kind": "ordinary", "convened_by": "board",
        "first_call_at": in_days(16), "agenda": statutes});
    let problem = assert_problem(
        a.app.try_convene(t, &ordinary).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "agenda[0].matter");
    assert_eq!(problem["errors"][0]["code"], "needs_extraordinary_meeting");
    // One member of 20 is below 10% (2 needed).
    let request = |members: &[Uuid]| {
        json!({"body_id": a.body, "kind": "extraordinary", "convened_by": "members_request",
            "first_call_at": in_days(16), "agenda": statutes, "requested_by": members})
    };
    let problem = assert_problem(
        a.app.try_convene(t, &request(&a.members[..1])).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "request_too_small");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2 of 20")
    );
    let m: Value = expect_json(a.app.try_convene(t, &request(&a.members[..2])).await, 201).await;
    assert_eq!(m["kind"], "extraordinary");
    assert_eq!(m["requested_by"].as_array().unwrap().len(), 2);
    assert_eq!(m["agenda"][0]["matter"], "statutes");
    // The requesters are the convening reason the minutes state.
    let meeting = id(&m);
    let roll = roll_ids(&a, meeting).await;
    let res = a
        .app
        .try_attendance(t, meeting, json!(present(&roll[..10])))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        a.app.try_constitute(t, meeting, "first").await.status(),
        200
    );
    let path = format!("/api/v1/meetings/{meeting}/minutes");
    let summary = json!({"debate_summary": "Debate de la reforma."});
    let draft: Value = expect_json(
        a.app.send_as("PUT", t, &path, None, Some(&summary)).await,
        200,
    )
    .await;
    assert_eq!(
        draft["content"]["requested_by"].as_array().unwrap().len(),
        2
    );
    // The share is a rule: a quarter of the roll needs 5.
    let patch = json!({"rules": {"members_request_share": {"num": 1, "den": 4}}});
    let res = a
        .app
        .send_as(
            "PATCH",
            t,
            &format!("/api/v1/bodies/{}", a.body),
            Some("*"),
            Some(&patch),
        )
        .await;
    assert_eq!(res.status(), 200);
    let problem = assert_problem(
        a.app.try_convene(t, &request(&a.members[..4])).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("5 of 20")
    );
}

#[tokio::test]
async fn a_representative_reads_its_own_roll_entry_and_the_meetings_of_its_bodies() {
    let a = assembly(3, json!({})).await;
    let t = &a.admin.token;
    let (meeting, roll, _) = constituted(&a, json!([]), 3).await;
    let rep = a.app.representative(&a.admin, a.members[1]).await;
    let own: Value = a
        .app
        .get_ok(&rep.token, &format!("/api/v1/meetings/{meeting}/roll"))
        .await;
    let items = own["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], roll[1].to_string());
    // Staff read the whole roll.
    assert_eq!(a.app.roll(t, meeting).await.len(), 3);
    // A member admitted after convening belongs to the Assembly: it sees its meetings,
    // though not on that roll.
    let late = a.app.active_members(t, a.category, 50, 1).await[0];
    let late_rep = a.app.representative(&a.admin, late).await;
    let list: Value = a.app.get_ok(&late_rep.token, "/api/v1/meetings").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let own: Value = a
        .app
        .get_ok(&late_rep.token, &format!("/api/v1/meetings/{meeting}/roll"))
        .await;
    assert!(own["items"].as_array().unwrap().is_empty());
    // A board's meetings stay with the board's members.
    let board = a
        .app
        .create_body(t, &json!({"kind": "board", "name": "Junta Directiva"}))
        .await;
    let seat = json!({"member_id": a.members[0], "person_name": "Ana", "position": "president",
        "starts_on": "2024-01-01"});
    let board = id(&board);
    let res = a
        .app
        .post_json(t, &format!("/api/v1/bodies/{board}/seats"), &seat)
        .await;
    assert_eq!(res.status(), 201);
    let board_meeting = id(&a.app.convene(t, board, json!([])).await);
    let path = format!("/api/v1/meetings/{board_meeting}");
    assert_eq!(a.app.get_as(&rep.token, &path).await.status(), 404);
    let seated = a.app.representative(&a.admin, a.members[0]).await;
    assert_eq!(a.app.get_as(&seated.token, &path).await.status(), 200);
    // Partners see nothing.
    let partner = a.app.user(&a.admin, "partner").await;
    assert_eq!(
        a.app
            .get_as(&partner.token, "/api/v1/meetings")
            .await
            .status(),
        403
    );
    assert_eq!(a.app.get_as(&partner.token, &path).await.status(), 404);
}
