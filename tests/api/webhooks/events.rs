//! The outbox: an event exists if and only if its change committed; the feed shows it to
//! whom it concerns.

use agrupa::error::ApiError;
use agrupa::events::{self, Audience, Event};
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use serde_json::json;
use uuid::Uuid;

use super::{admitted_member, open_call, partner_client, spawn_fast_app, submitted_application};
use crate::support::{TestApp, assert_problem};

fn probe(id: Uuid) -> Event {
    Event::new(
        "member.status_changed",
        "member",
        id,
        format!("/api/v1/members/{id}"),
        Audience::Partners,
        json!({"to": "active"}),
    )
}

async fn events_of(app: &TestApp, object: Uuid) -> i64 {
    app.count_rows(&format!("events WHERE object_id = '{object}'"))
        .await
}

#[tokio::test]
async fn an_event_is_written_if_and_only_if_its_transaction_commits() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    // An endpoint, so that the fan-out is part of what must roll back too.
    app.create_endpoint(&admin.token, "http://127.0.0.1:9/nadie", &[])
        .await;
    let mut conn = app.db().await;

    let rolled_back = Uuid::now_v7();
    let result = conn
        .transaction(async |conn| {
            assert!(events::record(conn, probe(rolled_back)).await?);
            Err::<(), _>(ApiError::conflict(
                "later_step_failed",
                "the change fails after",
            ))
        })
        .await;
    assert!(result.is_err());
    assert_eq!(
        events_of(&app, rolled_back).await,
        0,
        "rolled back: no event"
    );
    assert_eq!(
        app.count_rows("webhook_deliveries").await,
        0,
        "and no delivery"
    );

    let committed = Uuid::now_v7();
    conn.transaction(async |conn| events::record(conn, probe(committed)).await)
        .await
        .unwrap();
    assert_eq!(events_of(&app, committed).await, 1, "committed: one event");
    assert_eq!(app.count_rows("webhook_deliveries").await, 1, "fanned out");
}

#[tokio::test]
async fn a_refused_move_writes_no_event_and_an_accepted_one_writes_its_events() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    let (_, call) = open_call(&app, &admin.token, "Ministerio de Industria y Turismo").await;
    let id = app.new_application(&admin.token, call, &json!({})).await.id;
    let refused = app
        .try_transition(&admin.token, id, &json!({"to": "granted"}))
        .await;
    assert_problem(refused, 409, "illegal_transition").await;
    assert_eq!(events_of(&app, id).await, 0);

    app.transition_to(&admin.token, id, "submitted").await;
    let feed = app
        .feed_when(&admin.token, |f| {
            f.iter().filter(|e| e.data["id"] == json!(id)).count() >= 2
        })
        .await;
    let kinds: Vec<&str> = feed
        .iter()
        .filter(|e| e.data["id"] == json!(id))
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        ["application.status_changed", "application.submitted"]
    );
    let moved = feed
        .iter()
        .find(|e| e.kind == "application.status_changed")
        .unwrap();
    assert_eq!(moved.data["from"], "draft");
    assert_eq!(moved.data["to"], "submitted");
    assert_eq!(moved.data["url"], format!("/api/v1/applications/{id}"));
    assert_eq!(moved.data["requested_cents"], 800_000);
}

#[tokio::test]
async fn the_feed_pages_with_a_cursor_that_keeps_its_place_at_the_end() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    for n in 0..3 {
        admitted_member(&app, &admin, n).await;
    }
    // Each admission: member.status_changed and member.admitted.
    app.feed_when(&admin.token, |f| f.len() >= 6).await;
    let first = app.feed(&admin.token, "limit=4").await;
    assert_eq!(first.items.len(), 4);
    let rest = app
        .feed(
            &admin.token,
            &format!("limit=4&after={}", first.next_cursor),
        )
        .await;
    assert_eq!(rest.items.len(), 2);
    let end = app
        .feed(&admin.token, &format!("limit=4&after={}", rest.next_cursor))
        .await;
    assert!(end.items.is_empty());
    let member = admitted_member(&app, &admin, 9).await;
    app.feed_when(&admin.token, |f| {
        f.iter().any(|e| e.data["id"] == json!(member))
    })
    .await;
    let later = app
        .feed(&admin.token, &format!("limit=4&after={}", end.next_cursor))
        .await;
    let kinds: Vec<&str> = later.items.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["member.status_changed", "member.admitted"]);
    let mut ids: Vec<Uuid> = first
        .items
        .iter()
        .chain(&rest.items)
        .map(|e| e.id)
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 6, "no event twice");
    let bad = app.get_as(&admin.token, "/api/v1/events?after=abc").await;
    assert_problem(bad, 400, "invalid_cursor").await;
}

#[tokio::test]
async fn partners_read_their_funders_events_and_the_public_ones_only() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    let (funder_a, call_a) = open_call(&app, &admin.token, "Ayuntamiento de Madrid").await;
    let (_, call_b) = open_call(&app, &admin.token, "Comunidad de Madrid").await;
    let (_, token_a) = partner_client(&app, &admin, funder_a).await;
    let app_a = submitted_application(&app, &admin.token, call_a).await;
    let app_b = submitted_application(&app, &admin.token, call_b).await;
    let member = admitted_member(&app, &admin, 1).await;

    let seen = app
        .feed_when(&token_a, |f| {
            f.iter().filter(|e| e.data["id"] == json!(member)).count() >= 2
        })
        .await;
    let about = |id: Uuid| seen.iter().filter(|e| e.data["id"] == json!(id)).count();
    assert_eq!(about(app_a), 2, "its funder's application");
    assert_eq!(about(app_b), 0, "never another funder's");
    assert_eq!(about(member), 2, "the public register");
    let all = app
        .feed_when(&admin.token, |f| {
            f.iter().filter(|e| e.data["id"] == json!(app_b)).count() >= 2
        })
        .await;
    assert_eq!(
        all.iter().filter(|e| e.data["id"] == json!(app_b)).count(),
        2,
        "staff, admins and auditors read every event"
    );

    let representative = app.user(&admin, "member").await;
    let res = app.get_as(&representative.token, "/api/v1/events").await;
    assert_problem(res, 403, "forbidden").await;
}

/// The `justification.due_soon` events of the feed the caller sees, as
/// (object id, threshold_days, days_left), once there are `n` (the feed shows a committed
/// event when every transaction older than it has ended: it may take a moment), or after 10 s.
async fn due_soon_seen(app: &TestApp, token: &str, n: usize) -> Vec<(Uuid, i64, i64)> {
    let due = |f: &[crate::support::webhooks::FeedEvent]| {
        f.iter()
            .filter(|e| e.kind == "justification.due_soon")
            .count()
            >= n
    };
    let mut seen: Vec<(Uuid, i64, i64)> = app
        .feed_when(token, due)
        .await
        .into_iter()
        .filter(|e| e.kind == "justification.due_soon")
        .map(|e| {
            let n = |f: &str| e.data[f].as_i64().unwrap();
            (
                e.data["id"].as_str().unwrap().parse().unwrap(),
                n("threshold_days"),
                n("days_left"),
            )
        })
        .collect();
    seen.sort();
    seen
}

#[tokio::test]
async fn justifications_coming_due_are_announced_once_per_deadline_and_threshold() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    let (ministry, call) = open_call(&app, t, "Ministerio de Industria").await;
    let (council, _) = open_call(&app, t, "Ayuntamiento de Madrid").await;
    let today = agrupa::domain::calendar::today();
    let day = |n: u64| (today + chrono::Days::new(n)).to_string();

    // A grant accepted 5 days before its justification is due: the 7-day notice.
    let grant = submitted_application(&app, t, call).await;
    app.transition_to(t, grant, "under_review").await;
    app.transition_with(
        t,
        grant,
        &json!({"to": "granted", "justification_due_on": day(5)}),
    )
    .await;
    app.transition_to(t, grant, "accepted").await;
    // An agreement with the council: an instalment due in 20 days (the 30-day notice), its
    // own justification in 45 (no notice yet).
    let res = app
        .try_create_agreement(t, &json!({"funder_id": council, "title": "Convenio anual 2026",
            "starts_on": "2026-01-01", "ends_on": day(400), "total_cents": 100,
            "justification_due_on": day(45),
            "instalments": [{"fiscal_year": 2026, "amount_cents": 100, "justification_due_on": day(20)}]}))
        .await;
    assert_eq!(res.status(), 201);
    let agreement: Uuid = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    // The workers scan too; scanning here again and again writes each notice once.
    let mut conn = app.db().await;
    for _ in 0..3 {
        events::scan::justifications_due_soon(&mut conn)
            .await
            .unwrap();
    }
    let mut expected = vec![(grant, 7, 5), (agreement, 30, 20)];
    expected.sort();
    assert_eq!(due_soon_seen(&app, t, expected.len()).await, expected);

    // Four days later, as if (the deadline moved to tomorrow, past the trigger that keeps a
    // decision's fields to the moves): the 1-day notice, once.
    conn.batch_execute(&format!(
        "BEGIN; SET LOCAL session_replication_role = replica; \
         UPDATE applications SET justification_due_on = '{}' WHERE id = '{grant}'; COMMIT;",
        day(1)
    ))
    .await
    .unwrap();
    for _ in 0..2 {
        events::scan::justifications_due_soon(&mut conn)
            .await
            .unwrap();
    }
    expected.push((grant, 1, 1));
    expected.sort();
    assert_eq!(due_soon_seen(&app, t, expected.len()).await, expected);

    // Each funder's partners hear of their own deadlines only.
    let (_, ministry_token) = partner_client(&app, &admin, ministry).await;
    let (_, council_token) = partner_client(&app, &admin, council).await;
    let mine = |all: &[(Uuid, i64, i64)], id: Uuid| all.iter().all(|e| e.0 == id);
    let heard = due_soon_seen(&app, &ministry_token, 2).await;
    assert!(heard.len() == 2 && mine(&heard, grant), "{heard:?}");
    let heard = due_soon_seen(&app, &council_token, 1).await;
    assert!(heard.len() == 1 && mine(&heard, agreement), "{heard:?}");
}
