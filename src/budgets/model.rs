//! Budget rows, the enums of budgets, and their rules: what an approved budget freezes,
//! how a line's amounts are shared among plan actions to the cent, and the report that
//! always reconciles (its totals are the sums of its rows, checked against overflow).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::{
    budget_categories, budget_entries, budget_line_actions, budget_line_totals, budget_lines,
    budgets,
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

/// Most cents any amount may hold (10^15 cents = 10 trillion euros).
pub const MAX_CENTS: i64 = 1_000_000_000_000_000;
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
    pub id: Uuid,
    pub fiscal_year: i32,
    pub plan_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    pub status: BudgetStatus,
    pub version_number: i32,
    pub revises_id: Option<Uuid>,
    pub approved_on: Option<NaiveDate>,
    pub approval_reference: Option<String>,
    pub approved_by: Option<Uuid>,
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
    pub plan_id: Option<Option<Uuid>>,
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
    pub id: Uuid,
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
    pub id: Uuid,
    pub budget_id: Uuid,
    pub line_key: Uuid,
    pub code: String,
    pub kind: LineKind,
    pub category_id: Uuid,
    pub description: String,
    pub planned_cents: i64,
    pub source_member_category_id: Option<Uuid>,
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
    pub category_id: Option<Uuid>,
    pub description: Option<String>,
    pub planned_cents: Option<i64>,
    pub source_member_category_id: Option<Option<Uuid>>,
    pub source_text: Option<Option<String>>,
    pub position: Option<i32>,
}

/// The share of an expense line that serves one plan action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = budget_line_actions, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `budgets` and the DTOs"
)]
pub struct ShareRow {
    pub line_id: Uuid,
    pub action_id: Uuid,
    pub share_bp: i32,
}

/// An execution entry (never edited).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = budget_entries, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `budgets` and the DTOs"
)]
pub struct EntryRow {
    pub id: Uuid,
    pub fiscal_year: i32,
    pub line_key: Uuid,
    pub line_id: Uuid,
    pub entry_date: NaiveDate,
    pub kind: EntryKind,
    pub amount_cents: i64,
    pub description: String,
    pub document_ref: Option<String>,
    pub counterparty: Option<String>,
    pub reverses_id: Option<Uuid>,
    pub recorded_by: Option<Uuid>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
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
    pub committed_cents: i64,
    pub actual_cents: i64,
    pub entries: i64,
}

/// Checks the shares of a line: each 1–10,000 basis points, each action once, adding up
/// to 10,000 (or no shares at all).
pub fn check_shares(shares: &[(Uuid, i32)]) -> Result<(), String> {
    if shares.is_empty() {
        return Ok(());
    }
    let mut seen = std::collections::HashSet::new();
    let mut total: i64 = 0;
    for (action, bp) in shares {
        if !(1..=WHOLE_BP).contains(bp) {
            return Err("each share is 1–10000 basis points".into());
        }
        if !seen.insert(action) {
            return Err("an action is listed twice".into());
        }
        total += i64::from(*bp);
    }
    if total == i64::from(WHOLE_BP) {
        Ok(())
    } else {
        Err(format!(
            "the shares add up to {total} basis points; they must add up to 10000 (100%)"
        ))
    }
}

/// Splits `amount` cents among shares (basis points adding up to 10,000) so that the parts
/// add up to `amount` exactly: each gets the floor of its exact part, and the cents left go
/// to the largest remainders (ties: the order given).
pub fn allocate(amount: i64, shares: &[(Uuid, i32)]) -> Vec<(Uuid, i64)> {
    let weights: Vec<(Uuid, i128)> = shares
        .iter()
        .map(|(id, bp)| (*id, i128::from(*bp)))
        .collect();
    split_by(amount, &weights, i128::from(WHOLE_BP))
}

/// Splits `amount` cents in proportion to `weights` (e.g. the parts of a request each line
/// gets), exactly as [`allocate`] does; nothing when the weights add up to zero.
pub fn split(amount: i64, weights: &[(Uuid, i64)]) -> Vec<(Uuid, i64)> {
    let weights: Vec<(Uuid, i128)> = weights
        .iter()
        .map(|(id, w)| (*id, i128::from(*w)))
        .collect();
    let whole: i128 = weights.iter().map(|w| w.1).sum();
    if whole <= 0 {
        return Vec::new();
    }
    split_by(amount, &weights, whole)
}

fn split_by(amount: i64, weights: &[(Uuid, i128)], whole: i128) -> Vec<(Uuid, i64)> {
    let mut parts: Vec<(Uuid, i128, i128)> = weights
        .iter()
        .map(|(id, w)| {
            let exact = i128::from(amount) * w;
            (*id, exact.div_euclid(whole), exact.rem_euclid(whole))
        })
        .collect();
    let given: i128 = parts.iter().map(|p| p.1).sum();
    let mut left = i128::from(amount) - given;
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
        .map(|(id, cents, _)| (id, i64::try_from(cents).unwrap_or(0)))
        .collect()
}

/// Planned, committed and actual cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// Planned.
    pub planned: i64,
    /// Committed.
    pub committed: i64,
    /// Actually spent or received.
    pub actual: i64,
}

/// A sum went past what 64 bits hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

impl Figures {
    /// Adds `other`, checked.
    pub fn add(&mut self, other: Figures) -> Result<(), Overflow> {
        self.planned = self.planned.checked_add(other.planned).ok_or(Overflow)?;
        self.committed = self
            .committed
            .checked_add(other.committed)
            .ok_or(Overflow)?;
        self.actual = self.actual.checked_add(other.actual).ok_or(Overflow)?;
        Ok(())
    }

    /// Planned minus actual, checked.
    pub fn remaining(&self) -> Result<i64, Overflow> {
        self.planned.checked_sub(self.actual).ok_or(Overflow)
    }

    /// Actual as a percentage of planned (two decimals); `None` when nothing is planned.
    pub fn execution_pct(&self) -> Option<f64> {
        (self.planned != 0).then(|| {
            let pct = self.actual as f64 * 100.0 / self.planned as f64;
            (pct * 100.0).round() / 100.0
        })
    }
}

/// One line's figures, as the report reads them.
#[derive(Debug, Clone)]
pub struct LineFigures {
    /// The line.
    pub line_id: Uuid,
    /// Income or expense.
    pub kind: LineKind,
    /// Category.
    pub category_id: Uuid,
    /// Figures.
    pub figures: Figures,
}

/// The sums of a report: by category, by kind, by action, and what no action takes.
#[derive(Debug, Clone, Default)]
pub struct Sums {
    /// By category.
    pub by_category: BTreeMap<Uuid, Figures>,
    /// Income.
    pub income: Figures,
    /// Expense.
    pub expense: Figures,
    /// Expense shared out to plan actions.
    pub by_action: BTreeMap<Uuid, Figures>,
    /// Expense of lines tied to no action.
    pub unallocated: Figures,
}

/// Sums the lines of a budget. Each expense line's planned, committed and actual amounts
/// are shared among its actions with [`allocate`], so the action rows add up to the line
/// to the cent.
pub fn sums(
    lines: &[LineFigures],
    shares: &HashMap<Uuid, Vec<(Uuid, i32)>>,
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

        fn cents(&mut self) -> i64 {
            // Mostly ordinary amounts, sometimes huge ones, sometimes negative (refunds).
            let magnitude = match self.below(10) {
                0 => MAX_CENTS / 1000,
                1..=2 => 10,
                _ => 100_000_000,
            };
            let v = i64::try_from(self.below(u64::try_from(magnitude).unwrap())).unwrap();
            if self.below(8) == 0 { -v } else { v }
        }
    }

    fn random_shares(rng: &mut Rng, actions: &[Uuid]) -> Vec<(Uuid, i32)> {
        let n = usize::try_from(rng.below(4)).unwrap();
        if n == 0 {
            return Vec::new();
        }
        let mut picked: Vec<Uuid> = Vec::new();
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
                shares.push((picked[i], cut - prev));
                prev = *cut;
            }
        }
        assert!(check_shares(&shares).is_ok(), "{shares:?}");
        shares
    }

    #[test]
    fn report_totals_equal_the_sums_of_their_rows_for_random_budgets() {
        let mut rng = Rng(0x5eed_ca5e_f00d_d00d);
        let actions: Vec<Uuid> = (0..12).map(|i| Uuid::from_u128(1000 + i)).collect();
        let categories: Vec<Uuid> = (0..6).map(|i| Uuid::from_u128(2000 + i)).collect();
        for case in 0..2000 {
            let n_lines = usize::try_from(rng.below(40)).unwrap();
            let mut lines = Vec::new();
            let mut shares = HashMap::new();
            for i in 0..n_lines {
                let id = Uuid::from_u128(u128::try_from(i).unwrap() + 1);
                let kind = if rng.below(3) == 0 {
                    LineKind::Income
                } else {
                    LineKind::Expense
                };
                // Entries, summed as the database does.
                let (mut committed, mut actual) = (0i64, 0i64);
                for _ in 0..rng.below(30) {
                    let amount = rng.cents();
                    if rng.below(2) == 0 {
                        committed += amount;
                    } else {
                        actual += amount;
                    }
                }
                lines.push(LineFigures {
                    line_id: id,
                    kind,
                    category_id: categories[usize::try_from(rng.below(6)).unwrap()],
                    figures: Figures {
                        planned: rng.cents().abs(),
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
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let parts = allocate(100, &[(a, 3333), (b, 3333), (c, 3334)]);
        assert_eq!(parts, vec![(a, 33), (b, 33), (c, 34)]);
        let parts = allocate(1, &[(a, 5000), (b, 5000)]);
        assert_eq!(parts, vec![(a, 1), (b, 0)]);
        let parts = allocate(-101, &[(a, 5000), (b, 5000)]);
        assert_eq!(parts.iter().map(|p| p.1).sum::<i64>(), -101);
        let parts = allocate(MAX_CENTS, &[(a, 1), (b, 9999)]);
        assert_eq!(parts.iter().map(|p| p.1).sum::<i64>(), MAX_CENTS);
    }

    #[test]
    fn shares_must_add_up_to_the_whole_line() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(check_shares(&[]).is_ok());
        assert!(check_shares(&[(a, 6000), (b, 4000)]).is_ok());
        assert!(check_shares(&[(a, 6000), (b, 3000)]).is_err());
        assert!(check_shares(&[(a, 5000), (a, 5000)]).is_err());
        assert!(check_shares(&[(a, 0), (b, 10_000)]).is_err());
    }

    #[test]
    fn sums_refuse_to_overflow() {
        let line = |id| LineFigures {
            line_id: Uuid::from_u128(id),
            kind: LineKind::Income,
            category_id: Uuid::nil(),
            figures: Figures {
                planned: i64::MAX,
                committed: 0,
                actual: 0,
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
            planned: 300,
            committed: 0,
            actual: 100,
        };
        assert_eq!(f.execution_pct(), Some(33.33));
        assert_eq!(Figures::default().execution_pct(), None);
    }
}
