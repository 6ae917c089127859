//! Execution entries: never edited; a correction is a reversal.

use super::*;

/// An approved 2025 budget with an entry of 400 € on G-2: (fixture, G-2, the entry).
async fn entry_to_correct() -> (Fixture, Uuid, Uuid) {
    let f = fixture().await;
    let (_, lines) = f.approved(2025).await;
    let line = lines["G-2"];
    let first = f
        .app
        .add_entry(
            &f.admin.token,
            line,
            &json!({"entry_date": "2025-03-01", "kind": "actual", "amount_cents": 40_000,
            "description": "Factura duplicada"}),
        )
        .await;
    (f, line, first.id)
}

#[tokio::test]
async fn a_correction_is_a_reversal_of_the_same_kind_and_the_opposite_amount() {
    let (f, line, id) = entry_to_correct().await;
    // A reversal takes the opposite amount and the same kind.
    let res = f
        .entry(line, json!({"entry_date": "2025-03-02", "amount_cents": 40_000, "description": "Anulación", "reverses_id": id}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = f
        .entry(
            line,
            json!({"entry_date": "2025-03-02", "description": "Anulación", "reverses_id": id}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let reversal: Entry = res.json().await.unwrap();
    assert_eq!(
        (reversal.amount_cents, reversal.kind.as_str()),
        (-40_000, "actual")
    );
    let res = f
        .entry(
            line,
            json!({"entry_date": "2025-03-03", "description": "Otra vez", "reverses_id": id}),
        )
        .await;
    assert_problem(res, 409, "already_reversed").await;
    let res = f
        .entry(line, json!({"entry_date": "2025-03-03", "description": "Otra vez", "reverses_id": reversal.id}))
        .await;
    assert_problem(res, 409, "not_reversible").await;
    let l = f.app.get_line(&f.admin.token, line).await;
    assert_eq!(l.actual_cents, 0);
    let list = f.app.line_entries(&f.admin.token, line).await;
    assert_eq!(list.len(), 2, "both stay");
}

#[tokio::test]
async fn entries_are_never_edited_or_deleted_even_in_sql() {
    let (f, line, id) = entry_to_correct().await;
    // No route edits or deletes an entry, and the database refuses it too.
    let res = f
        .app
        .send_as("DELETE", &f.admin.token, &entries_path(line), None, None)
        .await;
    assert_eq!(res.status(), 405);
    let err = f
        .app
        .sql_result(&format!(
            "UPDATE budget_entries SET amount_cents = 1 WHERE id = '{id}'"
        ))
        .await
        .unwrap_err();
    assert!(err.contains("never changed"), "{err}");
}

#[tokio::test]
async fn entries_outside_the_year_of_zero_or_on_drafts_are_refused() {
    let (f, line, _) = entry_to_correct().await;
    let res = f.entry(line, json!({"entry_date": "2026-01-01", "kind": "actual", "amount_cents": 1, "description": "x"})).await;
    assert_problem(res, 422, "validation_failed").await;
    let res = f.entry(line, json!({"entry_date": "2025-01-01", "kind": "actual", "amount_cents": 0, "description": "x"})).await;
    assert_problem(res, 422, "validation_failed").await;
    let draft = f.budget(2026).await;
    let draft_line = f.line(draft, f.income("I-9", 1)).await;
    let res = f
        .entry(draft_line.id, json!({"entry_date": "2026-01-01", "kind": "actual", "amount_cents": 1, "description": "x"}))
        .await;
    assert_problem(res, 409, "budget_not_approved").await;
}
