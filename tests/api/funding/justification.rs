//! The justification account of a grant (cuenta justificativa): computed from the budget's
//! execution entries, reconciled to them to the cent, simplified or ordinary, printable,
//! and frozen as a document when the justification is submitted. And the payment date an
//! entry gains after it is recorded.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{World, world};
use crate::support::{assert_problem, expect_json};

/// The ministry's call for 2025 (execution February–December, justification by 31 March
/// 2026), with `extra`; a 2025 budget approved with its expense line G-1 (10,000 €); an
/// application of 8,000 € on 10,000 € eligible, all of it on G-1 (10,000 € of cost) and serving an
/// action, granted and accepted: (call, line, application).
async fn accepted_grant(w: &World, extra: Value) -> (Uuid, Uuid, Uuid) {
    let t = &w.admin.token;
    let mut call = json!({
        "execution_starts_on": "2025-02-01", "execution_ends_on": "2025-12-31",
        "justification_due_on": "2026-03-31",
    });
    call.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let call = w.app.new_call_with(t, w.ministry, (-5, 30), &call).await;
    let (budget, line) = w.budget_with_expense(2025).await;
    w.app
        .approve_budget(
            t,
            budget,
            &json!({"approved_on": "2024-12-15", "reference": "Asamblea General 2024"}),
        )
        .await;
    let a = w
        .app
        .new_application(
            t,
            call,
            &json!({
                "budget_lines": [{"line_id": line, "amount_cents": 800_000}],
                "actions": [{"action_id": w.actions["E1.1.1.1"], "amount_cents": 800_000}],
            }),
        )
        .await
        .id;
    for to in ["submitted", "under_review", "granted", "accepted"] {
        w.app.transition_to(t, a, to).await;
    }
    (call, line, a)
}

fn account_path(a: Uuid) -> String {
    format!("/api/v1/applications/{a}/justification-account")
}

async fn account(w: &World, token: &str, a: Uuid) -> Value {
    w.app.get_ok(token, &account_path(a)).await
}

/// Records an actual entry on `line`.
async fn entry(w: &World, line: Uuid, body: Value) -> Uuid {
    let mut b = json!({"kind": "actual", "description": "Gasto de la actividad"});
    b.as_object_mut()
        .unwrap()
        .extend(body.as_object().unwrap().clone());
    w.app.add_entry(&w.admin.token, line, &b).await.id
}

fn pay_path(entry: Uuid) -> String {
    format!("/api/v1/budget-entries/{entry}/payment")
}

#[tokio::test]
async fn the_account_reconciles_to_the_entries_to_the_cent() {
    let w = world().await;
    let t = &w.admin.token;
    let (_, line, a) = accepted_grant(&w, json!({})).await;
    // Paid invoices in the period, one unpaid, one dated before the period, one recorded
    // twice and reversed, and a credit note.
    entry(
        &w,
        line,
        json!({"entry_date": "2025-03-10", "amount_cents": 412_345,
        "document_ref": "F-2025-001", "counterparty": "Eventos Castellana, S.L.",
        "counterparty_tax_id": "b-8612345-2", "paid_on": "2025-03-30"}),
    )
    .await;
    entry(
        &w,
        line,
        json!({"entry_date": "2025-06-02", "issued_on": "2025-05-28",
        "amount_cents": 299_999, "document_ref": "F-2025-002",
        "counterparty": "Reed MIDEM", "counterparty_tax_id": "FR40303265045",
        "paid_on": "2025-06-20"}),
    )
    .await;
    let unpaid = entry(
        &w,
        line,
        json!({"entry_date": "2025-07-01", "amount_cents": 150_001,
        "document_ref": "F-2025-003", "counterparty": "Platós del Sur, S.L."}),
    )
    .await;
    entry(
        &w,
        line,
        json!({"entry_date": "2025-01-20", "amount_cents": 100_000,
        "document_ref": "F-2025-000", "paid_on": "2025-01-25"}),
    )
    .await;
    let twice = entry(
        &w,
        line,
        json!({"entry_date": "2025-03-11", "amount_cents": 412_345,
        "document_ref": "F-2025-001", "paid_on": "2025-03-30"}),
    )
    .await;
    entry(
        &w,
        line,
        json!({"entry_date": "2025-03-12", "reverses_id": twice,
        "description": "Anulación: registrada dos veces"}),
    )
    .await;
    entry(
        &w,
        line,
        json!({"entry_date": "2025-09-01", "amount_cents": -12_345,
        "document_ref": "R-2025-001", "description": "Abono"}),
    )
    .await;

    let acc = account(&w, t, a).await;
    let entries = w.app.line_entries(t, line).await;
    let sum: i64 = entries.iter().map(|e| e.amount_cents).sum();
    let totals = &acc["totals"];
    assert_eq!(acc["expenses"].as_array().unwrap().len(), entries.len());
    assert_eq!(totals["listed_cents"], sum);
    // Counted: 4,123.45 + 2,999.99 − 123.45 (the pair nets to zero in the eligible column).
    assert_eq!(totals["direct_cents"], 412_345 + 299_999 - 12_345);
    assert_eq!(totals["ineligible_cents"], 150_001 + 100_000);
    assert_eq!(
        totals["listed_cents"].as_i64().unwrap(),
        totals["direct_cents"].as_i64().unwrap() + totals["ineligible_cents"].as_i64().unwrap()
    );
    assert_eq!(totals["indirect_cents"], 0);
    let justified: i64 = 412_345 + 299_999 - 12_345;
    assert_eq!(totals["justified_cents"], justified);
    // 80 % of the justified cost (rounded down) of the 8,000 € granted; the rest returned.
    let supported = justified * 8000 / 10_000;
    assert_eq!(totals["supported_cents"], supported);
    assert_eq!(totals["to_return_cents"], 800_000 - supported);
    let reasons: Vec<&str> = acc["expenses"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["ineligible_reason"].as_str())
        .collect();
    assert_eq!(reasons, ["outside_period", "unpaid"]);
    let line_fig = &acc["lines"][0];
    assert_eq!(line_fig["budgeted_cents"], 1_000_000);
    assert_eq!(line_fig["deviation_cents"], justified - 1_000_000);
    assert_eq!(acc["categories"][0]["category_code"], "activities_events");
    assert_eq!(acc["categories"][0]["eligible_cents"], justified);
    // The tax ids are kept normalised; the document's date is the one listed.
    let first = &acc["expenses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["document_ref"] == "F-2025-002")
        .unwrap();
    assert_eq!(first["issued_on"], "2025-05-28");
    assert_eq!(first["creditor_tax_id"], "FR40303265045");
    assert!(
        acc["expenses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["creditor_tax_id"] == "B86123452")
    );
    // The activity report names the action served.
    assert_eq!(acc["activity"][0]["code"], "E1.1.1.1");
    assert_eq!(acc["activity"][0]["budgeted_cents"], 800_000);

    // Paying the unpaid invoice makes it count; the same date again is a no-op; another
    // date is refused, and so is a date before the invoice or in the future.
    let res = w
        .app
        .post_json(t, &pay_path(unpaid), &json!({"paid_on": "2025-06-30"}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = w
        .app
        .post_json(t, &pay_path(unpaid), &json!({"paid_on": "2099-01-01"}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let paid: Value = expect_json(
        w.app
            .post_json(t, &pay_path(unpaid), &json!({"paid_on": "2025-07-15"}))
            .await,
        200,
    )
    .await;
    assert_eq!(paid["paid_on"], "2025-07-15");
    let again = w
        .app
        .post_json(t, &pay_path(unpaid), &json!({"paid_on": "2025-07-15"}))
        .await;
    assert_eq!(again.status(), 200);
    let res = w
        .app
        .post_json(t, &pay_path(unpaid), &json!({"paid_on": "2025-07-16"}))
        .await;
    assert_problem(res, 409, "already_paid").await;
    let reversal = w
        .app
        .line_entries(t, line)
        .await
        .into_iter()
        .find(|e| e.amount_cents == -412_345)
        .unwrap();
    let res = w
        .app
        .post_json(t, &pay_path(reversal.id), &json!({"paid_on": "2025-07-16"}))
        .await;
    assert_problem(res, 409, "not_payable").await;
    let acc = account(&w, t, a).await;
    assert_eq!(acc["totals"]["direct_cents"], justified + 150_001);
    // Only the payment date can ever change, and only from nothing.
    let refused = w
        .app
        .sql_result(&format!(
            "UPDATE budget_entries SET amount_cents = 1 WHERE id = '{unpaid}'"
        ))
        .await;
    assert!(refused.unwrap_err().contains("never changed"));
    let refused = w
        .app
        .sql_result(&format!(
            "UPDATE budget_entries SET paid_on = '2025-07-20' WHERE id = '{unpaid}'"
        ))
        .await;
    assert!(refused.unwrap_err().contains("never changed"));
}

#[tokio::test]
async fn simplified_when_the_call_allows_it_and_the_grant_is_under_60000_euros() {
    let w = world().await;
    let t = &w.admin.token;
    let (call, line, a) = accepted_grant(&w, json!({"simplified_justification": true})).await;
    entry(
        &w,
        line,
        json!({"entry_date": "2025-04-01", "amount_cents": 1_600_000,
        "description": "Producción del foro", "paid_on": "2025-04-15"}),
    )
    .await;
    let acc = account(&w, t, a).await;
    assert_eq!(acc["variant"], "simplified");
    // The simplified account does not ask for documents or tax ids.
    assert_eq!(acc["warnings"], json!([]));
    assert_eq!(acc["totals"]["to_return_cents"], 0);
    // The same grant under a call that does not allow it: ordinary, with what is missing.
    w.app
        .update_call(t, call, &json!({"simplified_justification": false}))
        .await;
    let acc = account(&w, t, a).await;
    assert_eq!(acc["variant"], "ordinary");
    let codes: Vec<&str> = acc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "missing_document",
            "missing_creditor_tax_id",
            "three_quotes"
        ]
    );
}

#[tokio::test]
async fn a_flat_rate_of_indirect_costs_and_other_income_enter_the_account() {
    let w = world().await;
    let t = &w.admin.token;
    let (_, line, a) = accepted_grant(&w, json!({"indirect_cost_rate_bp": 1500})).await;
    entry(
        &w,
        line,
        json!({"entry_date": "2025-04-01", "amount_cents": 600_000,
        "document_ref": "F-1", "counterparty_tax_id": "B86123452", "paid_on": "2025-04-15"}),
    )
    .await;
    let acc = account(&w, t, a).await;
    assert_eq!(acc["indirect_costs"]["method"], "flat_rate");
    assert_eq!(acc["indirect_costs"]["base_cents"], 600_000);
    assert_eq!(acc["indirect_costs"]["amount_cents"], 90_000);
    assert_eq!(acc["totals"]["justified_cents"], 690_000);
    // 80 % of 6,900 € supports 5,520 € of the 8,000 €: 2,480 € to return.
    assert_eq!(acc["totals"]["supported_cents"], 552_000);
    assert_eq!(acc["totals"]["to_return_cents"], 248_000);
    assert_eq!(acc["other_income"]["total_cents"], 0);
}

#[tokio::test]
async fn who_reads_the_account_and_when() {
    let w = world().await;
    let t = &w.admin.token;
    let (_, _, a) = accepted_grant(&w, json!({})).await;
    assert_eq!(
        w.app
            .get_as(&w.partner_a.token, &account_path(a))
            .await
            .status(),
        200
    );
    let auditor = w.app.user_with(&w.admin, "auditor", json!({})).await;
    assert_eq!(
        w.app
            .get_as(&auditor.token, &account_path(a))
            .await
            .status(),
        200
    );
    assert_eq!(
        w.app
            .get_as(&w.partner_b.token, &account_path(a))
            .await
            .status(),
        404
    );
    assert_eq!(
        w.app.get_as(&w.rep.token, &account_path(a)).await.status(),
        404
    );
    let draft = w.app_in("under_review").await;
    let res = w.app.get_as(t, &account_path(draft)).await;
    assert_problem(res, 409, "not_accepted").await;
    let res = w.app.get_as(t, &account_path(Uuid::now_v7())).await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn the_account_prints_and_exports_its_list_of_expenses() {
    let w = world().await;
    let t = &w.admin.token;
    let (_, line, a) = accepted_grant(&w, json!({})).await;
    let hostile = r#"#panic("x") [nota] *negrita* $x^2$ ñandú 🎬"#;
    entry(
        &w,
        line,
        json!({"entry_date": "2025-04-01", "amount_cents": 123_456,
        "description": hostile, "document_ref": "F-77", "paid_on": "2025-04-15"}),
    )
    .await;
    let csv = w.app.get_csv(t, &account_path(a)).await;
    let mut rows = csv.trim_start_matches('\u{feff}').lines();
    assert!(
        rows.next()
            .unwrap()
            .starts_with("entry_id,line_code,category_code,creditor")
    );
    assert!(
        rows.next()
            .unwrap()
            .contains(",123456,2025-04-01,2025-04-15,")
    );
    let text = w.app.pdf_text(t, &account_path(a)).await;
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for needle in [
        "Cuentajustificativa",
        "1.234,56€",
        "Importeareintegrar",
        "F-77",
        "SHA-256",
    ] {
        assert!(squeezed.contains(needle), "{needle} not in:\n{text}");
    }
    assert!(squeezed.contains(&hostile.replace(' ', "")), "{text}");
}

#[tokio::test]
async fn submitting_the_justification_freezes_the_account_as_a_document() {
    let w = world().await;
    let t = &w.admin.token;
    let (_, line, a) = accepted_grant(&w, json!({})).await;
    entry(
        &w,
        line,
        json!({"entry_date": "2025-04-01", "amount_cents": 500_000,
        "document_ref": "F-1", "paid_on": "2025-04-15"}),
    )
    .await;
    // Only the submission of the justification attaches it.
    let res = w
        .app
        .try_transition(
            t,
            a,
            &json!({"to": "justification_submitted", "attach_justification_account": "sí"}),
        )
        .await;
    assert_eq!(res.status(), 400);
    let before = account(&w, t, a).await;
    w.app
        .transition_with(
            t,
            a,
            &json!({"to": "justification_submitted", "attach_justification_account": true}),
        )
        .await;
    let docs = w.app.documents(t, a).await;
    assert_eq!(docs.len(), 1);
    assert!(
        docs[0].filename.starts_with("cuenta-justificativa-"),
        "{:?}",
        docs[0]
    );
    let res = w.app.download(t, &docs[0]).await;
    assert_eq!(res.status(), 200);
    let frozen: Value = res.json().await.unwrap();
    assert_eq!(frozen["grant"]["status"], "justification_submitted");
    assert_eq!(frozen["totals"], before["totals"]);
    // Later entries change the live account, not what was submitted.
    entry(
        &w,
        line,
        json!({"entry_date": "2025-05-01", "amount_cents": 1_000,
        "document_ref": "F-2", "paid_on": "2025-05-15"}),
    )
    .await;
    let now = account(&w, t, a).await;
    assert_ne!(now["totals"], before["totals"]);
    let again: Value = w.app.download(t, &docs[0]).await.json().await.unwrap();
    assert_eq!(again["totals"], before["totals"]);
    // Any other move with the flag is refused.
    let res = w
        .app
        .try_transition(
            t,
            a,
            &json!({"to": "justified", "attach_justification_account": true}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
}
