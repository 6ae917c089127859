//! Who reads which budgets and lines.

use super::*;

/// An approved 2025 budget and a draft for 2026: (fixture, approved, its lines, draft).
async fn approved_and_draft() -> (Fixture, Uuid, HashMap<String, Uuid>, Uuid) {
    let f = fixture().await;
    let (b, lines) = f.approved(2025).await;
    let draft = f.budget(2026).await;
    (f, b, lines, draft)
}

#[tokio::test]
async fn members_read_the_approved_budget_but_not_drafts_or_entries() {
    let (f, b, lines, draft) = approved_and_draft().await;
    let member = f.app.user(&f.admin, "member").await;
    let m = &member.token;
    assert_eq!(f.app.try_budget_report(m, b).await.status(), 200);
    assert_eq!(f.app.try_get_budget(m, draft).await.status(), 404);
    assert_eq!(f.app.try_line_entries(m, lines["G-1"]).await.status(), 404);
    assert_eq!(f.app.list_budgets(m, "").await.len(), 1);
}

#[tokio::test]
async fn partners_read_only_the_budget_lines_they_fund() {
    let (f, b, lines, _) = approved_and_draft().await;
    let partner = f.app.user(&f.admin, "partner").await;
    let p = &partner.token;
    assert_eq!(f.app.try_get_budget(p, b).await.status(), 200);
    assert_eq!(f.app.try_budget_report(p, b).await.status(), 403);
    assert_eq!(f.app.budget_lines(p, b).await.len(), 0);
    assert_eq!(f.app.try_get_line(p, lines["G-1"]).await.status(), 404);
}
