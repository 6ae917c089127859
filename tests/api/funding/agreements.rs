//! Agreements with funders, and the deadlines of calls, agreements and grants.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{Calls, World, calls, world};
use crate::support::assert_problem;

/// A draft 2033 budget and an agreement with the council for 2032–2033 whose 2033
/// instalment funds its income line: (budget, income line, expense line, agreement body).
async fn agreement_for_2033(w: &Calls) -> (Uuid, Uuid, Uuid, Value) {
    let (budget, expense) = w.budget_with_expense(2033).await;
    let income = w.line_of(budget, "I-1").await;
    let body = json!({"funder_id": w.council, "title": "Convenio 2032/2033", "reference": "CONV-2032",
        "starts_on": "2032-01-01", "ends_on": "2033-12-31", "total_cents": 600_000,
        "instalments": [{"fiscal_year": 2032, "amount_cents": 300_000},
                        {"fiscal_year": 2033, "amount_cents": 300_000, "budget_line_id": income,
                         "justification_due_on": "2034-03-31"}]});
    (budget, income, expense, body)
}

#[tokio::test]
async fn instalments_keep_to_income_lines_of_their_year_and_to_the_total() {
    let w = calls().await;
    let (_, income, expense, body) = agreement_for_2033(&w).await;
    // An expense line, a line of another year, instalments above the total: 422.
    for (i, key, value) in [
        (1, "budget_line_id", json!(expense)),
        (0, "budget_line_id", json!(income)),
        (1, "amount_cents", json!(300_001)),
        (1, "fiscal_year", json!(2034)),
    ] {
        let mut bad = body.clone();
        bad["instalments"][i][key] = value;
        let res = w.app.try_create_agreement(&w.admin.token, &bad).await;
        assert_problem(res, 422, "validation_failed").await;
    }
}

/// An amount out of range is refused before the agreement is locked or its If-Match read:
/// 422 even with a stale tag (Schemathesis found it answering 412).
#[tokio::test]
async fn an_out_of_range_amount_is_a_422_before_the_precondition() {
    let w = calls().await;
    let t = &w.admin.token;
    let (_, _, _, body) = agreement_for_2033(&w).await;
    let agreement = w.app.create_agreement(t, &body).await;
    let path = format!("/api/v1/agreements/{}", agreement.id);
    for bad in [
        json!({"total_cents": 1_000_000_000_000_001_i64}),
        json!({"instalments": [{"fiscal_year": 2032, "amount_cents": -1}]}),
    ] {
        let res = w
            .app
            .send_as("PATCH", t, &path, Some("\"999\""), Some(&bad))
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["code"], "out_of_range", "{problem}");
    }
}

#[tokio::test]
async fn an_agreement_funds_an_income_line_and_shows_as_its_source() {
    let w = calls().await;
    let t = &w.admin.token;
    let (budget, _, _, body) = agreement_for_2033(&w).await;
    let agreement = w.app.create_agreement(t, &body).await;
    assert_eq!(agreement.instalments.len(), 2);
    let res = w.app.try_create_agreement(t, &body).await;
    assert_problem(res, 409, "reference_taken").await;
    let r = w.app.budget_report(t, budget).await;
    let sources = &r.income_by_source;
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].kind, "agreement");
    assert_eq!(sources[0].source_id, Some(agreement.id));
}

#[tokio::test]
async fn partners_see_their_own_agreements_and_representatives_none() {
    let w = world().await;
    let (_, _, _, body) = agreement_for_2033(&w).await;
    let agreement = w.app.create_agreement(&w.admin.token, &body).await;
    // Partners see their own agreements only.
    let mine = w.app.list_agreements(&w.partner_b.token).await;
    assert_eq!(mine.len(), 1);
    let theirs = w.app.list_agreements(&w.partner_a.token).await;
    assert!(theirs.is_empty());
    let res = w
        .app
        .try_get_agreement(&w.partner_a.token, agreement.id)
        .await;
    assert_eq!(res.status(), 404);
    // Member representatives do not see agreements.
    let listed = w.app.list_agreements(&w.rep.token).await;
    assert!(listed.is_empty());
    assert_eq!(
        w.app
            .try_get_agreement(&w.rep.token, agreement.id)
            .await
            .status(),
        404
    );
}

/// A call of the ministry closing in 5 days, an agreement instalment with the council due in
/// 10 and an accepted grant of the ministry due in 20: the call.
async fn due_soon(w: &World) -> Uuid {
    let t = &w.admin.token;
    let today = chrono::Utc::now().date_naive();
    let day = |n: u64| (today + chrono::Days::new(n)).to_string();
    let call = w.app.new_call(t, w.ministry, -1, 5).await;
    let res = w
        .app
        .try_create_agreement(t, &json!({"funder_id": w.council,
            "title": "Convenio con plazos", "starts_on": "2020-01-01", "ends_on": day(400), "total_cents": 100,
            "instalments": [{"fiscal_year": 2020, "amount_cents": 100, "justification_due_on": day(10)}]}))
        .await;
    assert_eq!(res.status(), 201);
    let a = w.app_in("under_review").await;
    let res = w
        .app
        .try_transition(
            &w.partner_a.token,
            a,
            &json!({"to": "granted", "justification_due_on": day(20)}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = w.app.try_transition(t, a, &json!({"to": "accepted"})).await;
    assert_eq!(res.status(), 200);
    call
}

#[tokio::test]
async fn deadlines_list_what_is_due_in_the_window_by_date_for_the_caller() {
    let w = world().await;
    let call = due_soon(&w).await;
    let t = &w.admin.token;
    let d = w.app.deadlines(t, 15).await;
    let kinds: Vec<&str> = d.iter().map(|x| x.kind.as_str()).collect();
    assert_eq!(kinds, ["call_closes", "instalment_justification"], "{d:?}");
    assert_eq!(d[0].resource_id, call);
    let d = w.app.deadlines(t, 25).await;
    let kinds: Vec<&str> = d.iter().map(|x| x.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "call_closes",
            "instalment_justification",
            "application_justification"
        ]
    );
    let dates: Vec<&str> = d.iter().map(|x| x.date.as_str()).collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted);
    // Each partner sees its own institution's.
    let d = w.app.deadlines(&w.partner_b.token, 25).await;
    let kinds: Vec<&str> = d.iter().map(|x| x.kind.as_str()).collect();
    assert_eq!(kinds, ["instalment_justification"]);
    let d = w.app.deadlines(&w.partner_a.token, 25).await;
    let kinds: Vec<&str> = d.iter().map(|x| x.kind.as_str()).collect();
    assert_eq!(kinds, ["call_closes", "application_justification"]);
}

#[tokio::test]
async fn deadlines_come_as_csv_too_and_refuse_a_window_out_of_range() {
    let w = world().await;
    due_soon(&w).await;
    let t = &w.admin.token;
    let csv = w.app.deadlines_csv(t, 25).await;
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(rows[1].contains("call_closes"), "{csv}");
    let res = w.app.try_deadlines(t, "-1").await;
    assert_eq!(res.status(), 400);
    let res = w.app.try_deadlines(t, "99999999999999999999").await;
    assert_eq!(res.status(), 400);
}
