//! Budget rows, the enums of budgets, and their rules: what an approved budget freezes,
//! how a line's amounts are shared among plan actions to the cent, and the report that
//! always reconciles (its totals are the sums of its rows, checked against overflow).
//!
//! Past 600 lines with its unit tests, which are a third of it (the property test of the
//! report's sums among them): the rules and their tests stay side by side.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::{
        BudgetCategoryId, BudgetId, BudgetLineId, Cents, EntryId, MemberCategoryId, NodeId,
        Overflow, PlanId, ResolutionId, UserId,
    },
    schema::{
        budget_categories, budget_entries, budget_line_actions, budget_line_totals, budget_lines,
        budgets,
    },
};

crate::text_enum!(
    /// Where a budget version stands.
    BudgetStatus {
        /// Being written; the only status in which its lines change.
        Draft => "draft",
        /// Put to the assembly; frozen unless sent back to draft.
        Proposed => "proposed",
        /// Approved by the General Assembly: frozen; execution is recorded against it.
        Approved => "approved",
        /// Replaced by an approved revision; still readable.
        Superseded => "superseded",
        /// The fiscal year is closed.
        Closed => "closed",
    }
);

crate::text_enum!(
    /// Income or expense.
    LineKind {
        /// Money in.
        Income => "income",
        /// Money out.
        Expense => "expense",
    }
);

crate::text_enum!(
    /// What an execution entry records.
    EntryKind {
        /// Money committed (an order, a contract, an award).
        Commitment => "commitment",
        /// Money actually spent or received (an invoice, a payment, a transfer).
        Actual => "actual",
    }
);

/// A whole line, in basis points.
pub const WHOLE_BP: i32 = 10_000;

/// A budget version.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = budgets, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `budgets` and the DTOs"
)]
pub struct BudgetRow {
    pub id: BudgetId,
    pub fiscal_year: i32,
    pub plan_id: Option<PlanId>,
    pub title: String,
    pub description: Option<String>,
    pub status: BudgetStatus,
    pub version_number: i32,
    pub revises_id: Option<BudgetId>,
    pub approved_on: Option<NaiveDate>,
    pub approval_reference: Option<String>,
    pub approved_by: Option<UserId>,
    pub approved_by_resolution_id: Option<ResolutionId>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl BudgetRow {
    /// 409 unless the budget is a draft.
    pub fn check_editable(&self) -> Result<(), String> {
        match self.status {
            BudgetStatus::Draft => Ok(()),
            BudgetStatus::Proposed => Err(
                "The budget is proposed to the assembly and frozen; send it back to draft \
                 (PATCH status: draft) to change it."
                    .into(),
            ),
            status => Err(format!(
                "The budget is {status} and frozen: what the assembly approved is never \
                 edited. Create a revision (POST /api/v1/budgets/{}/revisions) and change that.",
                self.id
            )),
        }
    }
}

/// Changes to a budget.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = budgets)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `budgets` and the DTOs"
)]
pub struct BudgetChanges {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub plan_id: Option<Option<PlanId>>,
    pub status: Option<BudgetStatus>,
}

/// A budget category (data).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = budget_categories, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `budgets` and the DTOs"
)]
pub struct CategoryRow {
    pub id: BudgetCategoryId,
    pub kind: LineKind,
    pub code: String,
    pub name: String,
    pub position: i32,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Changes to a budget category.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = budget_categories)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `budgets` and the DTOs"
)]
pub struct CategoryChanges {
    pub name: Option<String>,
    pub position: Option<i32>,
}

/// A budget line.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = budget_lines, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `budgets` and the DTOs"
)]
pub struct LineRow {
    pub id: BudgetLineId,
    pub budget_id: BudgetId,
    pub line_key: Uuid,
    pub code: String,
    pub kind: LineKind,
    pub category_id: BudgetCategoryId,
    pub description: String,
    pub planned_cents: Cents,
    pub source_member_category_id: Option<MemberCategoryId>,
    pub source_text: Option<String>,
    pub position: i32,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Changes to a line (draft budgets).
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = budget_lines)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `budgets` and the DTOs"
)]
pub struct LineChanges {
    pub code: Option<String>,
    pub category_id: Option<BudgetCategoryId>,
    pub description: Option<String>,
    pub planned_cents: Option<Cents>,
    pub source_member_category_id: Option<Option<MemberCategoryId>>,
    pub source_text: Option<Option<String>>,
    pub position: Option<i32>,
}

/// A line with what other modules need of it: its kind, its lineage and its budget's
/// fiscal year (an agreement's instalment or an application names lines by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct LineLineage {
    /// The line.
    pub id: BudgetLineId,
    /// Income or expense.
    pub kind: LineKind,
    /// The line across versions of its budget.
    pub line_key: Uuid,
    /// The fiscal year of its budget.
    pub fiscal_year: i32,
}

/// The share of an expense line a plan action gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionShare {
    /// The plan action.
    pub action_id: NodeId,
    /// Share in basis points (10000 = 100%); a line's shares add up to 10000.
    #[schema(minimum = 1, maximum = 10000, example = 5000)]
    pub share_bp: i32,
}

/// The share of an expense line that serves one plan action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = budget_line_actions, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `budgets` and the DTOs"
)]
pub struct ShareRow {
    pub line_id: BudgetLineId,
    pub action_id: NodeId,
    pub share_bp: i32,
}

impl ShareRow {
    /// The share as the API shows it.
    pub fn share(&self) -> ActionShare {
        ActionShare {
            action_id: self.action_id,
            share_bp: self.share_bp,
        }
    }
}

/// An execution entry (never edited).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = budget_entries, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `budgets` and the DTOs"
)]
pub struct EntryRow {
    pub id: EntryId,
    pub fiscal_year: i32,
    pub line_key: Uuid,
    pub line_id: BudgetLineId,
    pub entry_date: NaiveDate,
    pub kind: EntryKind,
    pub amount_cents: Cents,
    pub description: String,
    pub document_ref: Option<String>,
    pub counterparty: Option<String>,
    pub reverses_id: Option<EntryId>,
    pub recorded_by: Option<Uuid>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub counterparty_tax_id: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub paid_on: Option<NaiveDate>,
}

/// The execution totals of a line lineage in a fiscal year.
#[derive(Debug, Clone, Copy, Default, Queryable, Selectable)]
#[diesel(table_name = budget_line_totals, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `budgets` and the DTOs"
)]
pub struct TotalsRow {
    pub fiscal_year: i32,
    pub line_key: Uuid,
    pub committed_cents: Cents,
    pub actual_cents: Cents,
    pub entries: i64,
}

/// Checks the shares of a line: each 1–10,000 basis points, each action once, adding up
/// to 10,000 (or no shares at all).
pub fn check_shares(shares: &[ActionShare]) -> Result<(), String> {
    if shares.is_empty() {
        return Ok(());
    }
    let mut seen = std::collections::HashSet::new();
    let mut total: i64 = 0;
    for s in shares {
        if !(1..=WHOLE_BP).contains(&s.share_bp) {
            return Err("each share is 1–10000 basis points".into());
        }
        if !seen.insert(s.action_id) {
            return Err("an action is listed twice".into());
        }
        total += i64::from(s.share_bp);
    }
    if total == i64::from(WHOLE_BP) {
        Ok(())
    } else {
        Err(format!(
            "the shares add up to {total} basis points; they must add up to 10000 (100%)"
        ))
    }
}

/// Splits `amount` among shares (basis points adding up to 10,000) so that the parts add
/// up to `amount` exactly: each gets the floor of its exact part, and the cents left go to
/// the largest remainders (ties: the order given).
pub fn allocate(amount: Cents, shares: &[ActionShare]) -> Vec<(NodeId, Cents)> {
    let weights: Vec<(NodeId, i128)> = shares
        .iter()
        .map(|s| (s.action_id, i128::from(s.share_bp)))
        .collect();
    split_by(amount, &weights, i128::from(WHOLE_BP))
}

/// Splits `amount` in proportion to `weights` (e.g. the parts of a request each line gets),
/// exactly as [`allocate`] does; nothing when the weights add up to zero.
pub fn split<K: Copy>(amount: Cents, weights: &[(K, Cents)]) -> Vec<(K, Cents)> {
    let weights: Vec<(K, i128)> = weights
        .iter()
        .map(|(id, w)| (*id, i128::from(w.get())))
        .collect();
    let whole: i128 = weights.iter().map(|w| w.1).sum();
    if whole <= 0 {
        return Vec::new();
    }
    split_by(amount, &weights, whole)
}

fn split_by<K: Copy>(amount: Cents, weights: &[(K, i128)], whole: i128) -> Vec<(K, Cents)> {
    let amount = i128::from(amount.get());
    let mut parts: Vec<(K, i128, i128)> = weights
        .iter()
        .map(|(id, w)| {
            let exact = amount * w;
            (*id, exact.div_euclid(whole), exact.rem_euclid(whole))
        })
        .collect();
    let given: i128 = parts.iter().map(|p| p.1).sum();
    let mut left = amount - given;
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| parts[*b].2.cmp(&parts[*a].2).then(a.cmp(b)));
    for i in order {
        if left <= 0 {
            break;
        }
        parts[i].1 += 1;
        left -= 1;
    }
    parts
        .into_iter()
        .map(|(id, cents, _)| (id, Cents(i64::try_from(cents).unwrap_or(0))))
        .collect()
}

/// Planned, committed and actual amounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// Planned.
    pub planned: Cents,
    /// Committed.
    pub committed: Cents,
    /// Actually spent or received.
    pub actual: Cents,
}

impl Figures {
    /// Adds `other`, checked.
    pub fn add(&mut self, other: Figures) -> Result<(), Overflow> {
        self.planned = self.planned.checked_add(other.planned)?;
        self.committed = self.committed.checked_add(other.committed)?;
        self.actual = self.actual.checked_add(other.actual)?;
        Ok(())
    }

    /// Planned minus actual, checked.
    pub fn remaining(&self) -> Result<Cents, Overflow> {
        self.planned.checked_sub(self.actual)
    }

    /// Actual as a percentage of planned (two decimals); `None` when nothing is planned.
    pub fn execution_pct(&self) -> Option<f64> {
        (!self.planned.is_zero()).then(|| {
            let pct = self.actual.get() as f64 * 100.0 / self.planned.get() as f64;
            (pct * 100.0).round() / 100.0
        })
    }
}

/// One line's figures, as the report reads them.
#[derive(Debug, Clone)]
pub struct LineFigures {
    /// The line.
    pub line_id: BudgetLineId,
    /// Income or expense.
    pub kind: LineKind,
    /// Category.
    pub category_id: BudgetCategoryId,
    /// Figures.
    pub figures: Figures,
}

/// The sums of a report: by category, by kind, by action, and what no action takes.
#[derive(Debug, Clone, Default)]
pub struct Sums {
    /// By category.
    pub by_category: BTreeMap<BudgetCategoryId, Figures>,
    /// Income.
    pub income: Figures,
    /// Expense.
    pub expense: Figures,
    /// Expense shared out to plan actions.
    pub by_action: BTreeMap<NodeId, Figures>,
    /// Expense of lines tied to no action.
    pub unallocated: Figures,
}

/// Sums the lines of a budget. Each expense line's planned, committed and actual amounts
/// are shared among its actions with [`allocate`], so the action rows add up to the line
/// to the cent.
pub fn sums(
    lines: &[LineFigures],
    shares: &HashMap<BudgetLineId, Vec<ActionShare>>,
) -> Result<Sums, Overflow> {
    let mut s = Sums::default();
    for l in lines {
        s.by_category
            .entry(l.category_id)
            .or_default()
            .add(l.figures)?;
        match l.kind {
            LineKind::Income => s.income.add(l.figures)?,
            LineKind::Expense => {
                s.expense.add(l.figures)?;
                match shares.get(&l.line_id).filter(|v| !v.is_empty()) {
                    None => s.unallocated.add(l.figures)?,
                    Some(sh) => {
                        let planned = allocate(l.figures.planned, sh);
                        let committed = allocate(l.figures.committed, sh);
                        let actual = allocate(l.figures.actual, sh);
                        for ((a, p), ((_, c), (_, x))) in
                            planned.into_iter().zip(committed.into_iter().zip(actual))
                        {
                            s.by_action.entry(a).or_default().add(Figures {
                                planned: p,
                                committed: c,
                                actual: x,
                            })?;
                        }
                    }
                }
            }
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(n: u128) -> NodeId {
        NodeId(Uuid::from_u128(n))
    }

    fn share(action_id: NodeId, share_bp: i32) -> ActionShare {
        ActionShare {
            action_id,
            share_bp,
        }
    }

    /// A small deterministic generator (xorshift), so the property test needs no crate.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn cents(&mut self) -> Cents {
            // Mostly ordinary amounts, sometimes huge ones, sometimes negative (refunds).
            let magnitude = match self.below(10) {
                0 => Cents::MAX.get() / 1000,
                1..=2 => 10,
                _ => 100_000_000,
            };
            let v = i64::try_from(self.below(u64::try_from(magnitude).unwrap())).unwrap();
            Cents(if self.below(8) == 0 { -v } else { v })
        }
    }

    fn random_shares(rng: &mut Rng, actions: &[NodeId]) -> Vec<ActionShare> {
        let n = usize::try_from(rng.below(4)).unwrap();
        if n == 0 {
            return Vec::new();
        }
        let mut picked: Vec<NodeId> = Vec::new();
        while picked.len() < n {
            let a = actions[usize::try_from(rng.below(actions.len() as u64)).unwrap()];
            if !picked.contains(&a) {
                picked.push(a);
            }
        }
        // Random cut points of 10,000 basis points.
        let mut cuts: Vec<i32> = (0..n - 1)
            .map(|_| i32::try_from(rng.below(9_999)).unwrap() + 1)
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut shares = Vec::new();
        let mut prev = 0;
        for (i, cut) in cuts.iter().chain(std::iter::once(&WHOLE_BP)).enumerate() {
            if *cut > prev {
                shares.push(share(picked[i], cut - prev));
                prev = *cut;
            }
        }
        assert!(check_shares(&shares).is_ok(), "{shares:?}");
        shares
    }

    #[test]
    fn report_totals_equal_the_sums_of_their_rows_for_random_budgets() {
        let mut rng = Rng(0x5eed_ca5e_f00d_d00d);
        let actions: Vec<NodeId> = (0..12).map(|i| NodeId(Uuid::from_u128(1000 + i))).collect();
        let categories: Vec<BudgetCategoryId> = (0..6)
            .map(|i| BudgetCategoryId(Uuid::from_u128(2000 + i)))
            .collect();
        for case in 0..2000 {
            let n_lines = usize::try_from(rng.below(40)).unwrap();
            let mut lines = Vec::new();
            let mut shares = HashMap::new();
            for i in 0..n_lines {
                let id = BudgetLineId(Uuid::from_u128(u128::try_from(i).unwrap() + 1));
                let kind = if rng.below(3) == 0 {
                    LineKind::Income
                } else {
                    LineKind::Expense
                };
                // Entries, summed as the database does.
                let (mut committed, mut actual) = (Cents::ZERO, Cents::ZERO);
                for _ in 0..rng.below(30) {
                    let amount = rng.cents();
                    if rng.below(2) == 0 {
                        committed = Cents(committed.get() + amount.get());
                    } else {
                        actual = Cents(actual.get() + amount.get());
                    }
                }
                lines.push(LineFigures {
                    line_id: id,
                    kind,
                    category_id: categories[usize::try_from(rng.below(6)).unwrap()],
                    figures: Figures {
                        planned: Cents(rng.cents().get().abs()),
                        committed,
                        actual,
                    },
                });
                if kind == LineKind::Expense {
                    shares.insert(id, random_shares(&mut rng, &actions));
                }
            }
            let s = sums(&lines, &shares).unwrap();
            let mut all = Figures::default();
            for l in &lines {
                all.add(l.figures).unwrap();
            }
            let mut by_cat = Figures::default();
            for f in s.by_category.values() {
                by_cat.add(*f).unwrap();
            }
            let mut kinds = s.income;
            kinds.add(s.expense).unwrap();
            assert_eq!(by_cat, all, "case {case}: categories");
            assert_eq!(kinds, all, "case {case}: income + expense");
            let mut by_action = s.unallocated;
            for f in s.by_action.values() {
                by_action.add(*f).unwrap();
            }
            assert_eq!(by_action, s.expense, "case {case}: actions + unallocated");
        }
    }

    #[test]
    fn allocation_adds_up_to_the_cent() {
        let (a, b, c) = (node(1), node(2), node(3));
        let parts = allocate(
            Cents(100),
            &[share(a, 3333), share(b, 3333), share(c, 3334)],
        );
        assert_eq!(parts, vec![(a, Cents(33)), (b, Cents(33)), (c, Cents(34))]);
        let parts = allocate(Cents(1), &[share(a, 5000), share(b, 5000)]);
        assert_eq!(parts, vec![(a, Cents(1)), (b, Cents(0))]);
        let parts = allocate(Cents(-101), &[share(a, 5000), share(b, 5000)]);
        assert_eq!(parts.iter().map(|p| p.1).sum::<Cents>(), Cents(-101));
        let parts = allocate(Cents::MAX, &[share(a, 1), share(b, 9999)]);
        assert_eq!(parts.iter().map(|p| p.1).sum::<Cents>(), Cents::MAX);
    }

    #[test]
    fn shares_must_add_up_to_the_whole_line() {
        let (a, b) = (node(1), node(2));
        assert!(check_shares(&[]).is_ok());
        assert!(check_shares(&[share(a, 6000), share(b, 4000)]).is_ok());
        assert!(check_shares(&[share(a, 6000), share(b, 3000)]).is_err());
        assert!(check_shares(&[share(a, 5000), share(a, 5000)]).is_err());
        assert!(check_shares(&[share(a, 0), share(b, 10_000)]).is_err());
    }

    #[test]
    fn sums_refuse_to_overflow() {
        let line = |id| LineFigures {
            line_id: BudgetLineId(Uuid::from_u128(id)),
            kind: LineKind::Income,
            category_id: BudgetCategoryId::default(),
            figures: Figures {
                planned: Cents(i64::MAX),
                committed: Cents::ZERO,
                actual: Cents::ZERO,
            },
        };
        assert_eq!(
            sums(&[line(1), line(2)], &HashMap::new()).unwrap_err(),
            Overflow
        );
    }

    #[test]
    fn execution_is_a_percentage_of_plan() {
        let f = Figures {
            planned: Cents(300),
            committed: Cents::ZERO,
            actual: Cents(100),
        };
        assert_eq!(f.execution_pct(), Some(33.33));
        assert_eq!(Figures::default().execution_pct(), None);
    }
}
