//! The arithmetic of a justification account, pure and property-tested: which expenses are
//! eligible, the direct and indirect costs, the deviations against the budget, and what
//! has to be returned. Every total is a sum of the listed entries, so the account
//! reconciles to its entries to the cent.
//!
//! The rules (Ley 38/2003 General de Subvenciones, LGS, and its Reglamento, RLGS):
//! - an expense counts when its document falls in the execution period and it was paid by
//!   the end of the justification period (LGS art. 31.1 and 31.2); a refund or credit note
//!   (a negative entry) counts when it falls in the period; a reversal counts exactly as the
//!   entry it reverses, so the two cancel in the same column;
//! - indirect costs (the lines of the `overheads` category) are either justified by their own
//!   entries or, when the call sets a flat rate, that rate of the direct costs (RLGS art. 83;
//!   the overheads' own entries are then listed as covered by the rate);
//! - the grant is reduced to the call's co-financing rate of the justified cost, and any
//!   excess of the grant plus the other income over the cost is returned (LGS art. 19.3 and
//!   37.3); rates round down, in favour of the public purse.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{Cents, EntryId};

/// Why an expense does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ineligible {
    /// Its document is dated outside the execution period.
    OutsidePeriod,
    /// Not paid yet.
    Unpaid,
    /// Paid after the end of the justification period.
    PaidAfterDeadline,
    /// An indirect cost covered by the call's flat rate (not listed as a direct cost).
    CoveredByFlatRate,
}

impl Ineligible {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Ineligible::OutsidePeriod => "outside_period",
            Ineligible::Unpaid => "unpaid",
            Ineligible::PaidAfterDeadline => "paid_after_deadline",
            Ineligible::CoveredByFlatRate => "covered_by_flat_rate",
        }
    }
}

/// A budget line the grant funds.
#[derive(Debug, Clone)]
pub struct LineIn {
    /// Its lineage.
    pub line_key: Uuid,
    /// What the application budgeted on it.
    pub budgeted: Cents,
    /// An indirect cost line (`overheads` category).
    pub indirect: bool,
}

/// An actual entry on one of those lines.
#[derive(Debug, Clone)]
pub struct EntryIn {
    /// Id.
    pub id: EntryId,
    /// Its line's lineage.
    pub line_key: Uuid,
    /// Amount (negative for refunds and reversals).
    pub amount: Cents,
    /// The document's date (the entry's date when it has none).
    pub issued_on: NaiveDate,
    /// When it was paid.
    pub paid_on: Option<NaiveDate>,
    /// The entry it reverses.
    pub reverses: Option<EntryId>,
}

/// What the account is computed from.
#[derive(Debug, Clone)]
pub struct Input {
    /// The grant.
    pub granted: Cents,
    /// The call's co-financing rate, basis points.
    pub rate_bp: i32,
    /// The call's flat rate of indirect costs, basis points.
    pub indirect_rate_bp: Option<i32>,
    /// The execution period (open ends: unbounded).
    pub period: (Option<NaiveDate>, Option<NaiveDate>),
    /// The end of the justification period.
    pub due_on: Option<NaiveDate>,
    /// Other income that funded the same activity.
    pub other_income: Cents,
    /// The lines.
    pub lines: Vec<LineIn>,
    /// Their actual entries.
    pub entries: Vec<EntryIn>,
}

/// A line's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFigures {
    /// Its lineage.
    pub line_key: Uuid,
    /// Budgeted by the application.
    pub budgeted: Cents,
    /// Every listed entry.
    pub listed: Cents,
    /// The eligible entries.
    pub eligible: Cents,
    /// Eligible minus budgeted.
    pub deviation: Cents,
}

/// The account's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// Per entry, in the input's order: why it does not count (`None`: it counts).
    pub entries: Vec<Option<Ineligible>>,
    /// Per line, in the input's order.
    pub lines: Vec<LineFigures>,
    /// Every listed entry.
    pub listed: Cents,
    /// The entries that do not count.
    pub ineligible: Cents,
    /// Eligible direct costs.
    pub direct: Cents,
    /// Indirect costs (their eligible entries, or the flat rate of `direct`).
    pub indirect: Cents,
    /// `direct + indirect`.
    pub justified: Cents,
    /// Budgeted on the lines.
    pub budgeted: Cents,
    /// What the justified cost supports of the grant: the co-financing rate of it, at most
    /// the grant.
    pub supported: Cents,
    /// Grant plus other income above the justified cost.
    pub excess: Cents,
    /// To return: the grant not supported, or the excess, whichever is larger (at most the
    /// grant).
    pub to_return: Cents,
}

/// A sum too large to keep (beyond 10^15 cents per figure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

fn cents(v: i128) -> Result<Cents, TooLarge> {
    i64::try_from(v)
        .ok()
        .filter(|v| v.unsigned_abs() <= Cents::MAX.get().unsigned_abs() * 1000)
        .map(Cents)
        .ok_or(TooLarge)
}

/// `part × bp / 10,000`, rounded down.
fn rate(part: i128, bp: i32) -> i128 {
    (part * i128::from(bp)).div_euclid(10_000)
}

/// Why an entry (not a reversal) does not count, on its own.
fn own_status(e: &EntryIn, input: &Input, indirect: bool) -> Option<Ineligible> {
    let (from, to) = input.period;
    if from.is_some_and(|f| e.issued_on < f) || to.is_some_and(|t| e.issued_on > t) {
        return Some(Ineligible::OutsidePeriod);
    }
    if indirect && input.indirect_rate_bp.is_some() {
        return Some(Ineligible::CoveredByFlatRate);
    }
    if e.amount.get() > 0 {
        match e.paid_on {
            None => return Some(Ineligible::Unpaid),
            Some(p) if input.due_on.is_some_and(|d| p > d) => {
                return Some(Ineligible::PaidAfterDeadline);
            }
            Some(_) => {}
        }
    }
    None
}

/// Computes the account's figures.
pub fn compute(input: &Input) -> Result<Figures, TooLarge> {
    let indirect_line = |key: Uuid| input.lines.iter().any(|l| l.line_key == key && l.indirect);
    let own: Vec<Option<Ineligible>> = input
        .entries
        .iter()
        .map(|e| own_status(e, input, indirect_line(e.line_key)))
        .collect();
    let statuses: Vec<Option<Ineligible>> = input
        .entries
        .iter()
        .zip(&own)
        .map(|(e, s)| {
            e.reverses
                .and_then(|r| input.entries.iter().position(|o| o.id == r))
                .map_or(*s, |i| own[i])
        })
        .collect();
    let mut lines = Vec::with_capacity(input.lines.len());
    let (mut listed, mut ineligible, mut direct, mut indirect_actual, mut budgeted) =
        (0i128, 0i128, 0i128, 0i128, 0i128);
    for l in &input.lines {
        let (mut l_listed, mut l_eligible) = (0i128, 0i128);
        for (e, s) in input.entries.iter().zip(&statuses) {
            if e.line_key != l.line_key {
                continue;
            }
            let a = i128::from(e.amount.get());
            l_listed += a;
            if s.is_none() {
                l_eligible += a;
            }
        }
        listed += l_listed;
        ineligible += l_listed - l_eligible;
        if l.indirect {
            indirect_actual += l_eligible;
        } else {
            direct += l_eligible;
        }
        budgeted += i128::from(l.budgeted.get());
        lines.push(LineFigures {
            line_key: l.line_key,
            budgeted: l.budgeted,
            listed: cents(l_listed)?,
            eligible: cents(l_eligible)?,
            deviation: cents(l_eligible - i128::from(l.budgeted.get()))?,
        });
    }
    let indirect = match input.indirect_rate_bp {
        Some(bp) => rate(direct.max(0), bp),
        None => indirect_actual,
    };
    let justified = (direct + indirect).max(0);
    let granted = i128::from(input.granted.get());
    let supported = rate(justified, input.rate_bp).min(granted);
    let excess = (granted + i128::from(input.other_income.get()) - justified).max(0);
    let to_return = (granted - supported).max(excess).min(granted);
    Ok(Figures {
        entries: statuses,
        lines,
        listed: cents(listed)?,
        ineligible: cents(ineligible)?,
        direct: cents(direct)?,
        indirect: cents(indirect)?,
        justified: cents(justified)?,
        budgeted: cents(budgeted)?,
        supported: cents(supported)?,
        excess: cents(excess)?,
        to_return: cents(to_return)?,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, d).unwrap()
    }

    fn key(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn entry(
        n: u128,
        line: u128,
        amount: i64,
        issued: NaiveDate,
        paid: Option<NaiveDate>,
    ) -> EntryIn {
        EntryIn {
            id: EntryId(Uuid::from_u128(1000 + n)),
            line_key: key(line),
            amount: Cents(amount),
            issued_on: issued,
            paid_on: paid,
            reverses: None,
        }
    }

    fn base() -> Input {
        Input {
            granted: Cents(8_000_000),
            rate_bp: 8000,
            indirect_rate_bp: None,
            period: (Some(day(1, 1)), Some(day(12, 31))),
            due_on: Some(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()),
            other_income: Cents::ZERO,
            lines: vec![
                LineIn {
                    line_key: key(1),
                    budgeted: Cents(6_000_000),
                    indirect: false,
                },
                LineIn {
                    line_key: key(2),
                    budgeted: Cents(4_000_000),
                    indirect: false,
                },
            ],
            entries: Vec::new(),
        }
    }

    #[test]
    fn a_fully_spent_budget_keeps_the_whole_grant() {
        let mut i = base();
        i.entries = vec![
            entry(1, 1, 6_000_000, day(3, 1), Some(day(3, 20))),
            entry(2, 2, 4_000_000, day(6, 1), Some(day(7, 1))),
        ];
        let f = compute(&i).unwrap();
        assert_eq!(f.justified, Cents(10_000_000));
        assert_eq!(f.supported, Cents(8_000_000));
        assert_eq!(f.to_return, Cents::ZERO);
        assert_eq!(f.lines[0].deviation, Cents::ZERO);
    }

    #[test]
    fn unpaid_late_and_outside_expenses_do_not_count_and_the_grant_shrinks() {
        let mut i = base();
        i.entries = vec![
            entry(1, 1, 5_000_000, day(3, 1), Some(day(3, 20))),
            entry(2, 1, 1_000_000, day(4, 1), None),
            entry(
                3,
                2,
                2_000_000,
                day(5, 1),
                Some(NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()),
            ),
            entry(
                4,
                2,
                1_500_000,
                NaiveDate::from_ymd_opt(2024, 12, 30).unwrap(),
                Some(day(1, 10)),
            ),
            entry(5, 2, 500_000, day(9, 1), Some(day(9, 2))),
        ];
        let f = compute(&i).unwrap();
        assert_eq!(
            f.entries,
            vec![
                None,
                Some(Ineligible::Unpaid),
                Some(Ineligible::PaidAfterDeadline),
                Some(Ineligible::OutsidePeriod),
                None
            ]
        );
        assert_eq!(f.direct, Cents(5_500_000));
        assert_eq!(f.ineligible, Cents(4_500_000));
        // 80 % of 55,000.00 = 44,000.00 supported of 80,000.00 granted.
        assert_eq!(f.supported, Cents(4_400_000));
        assert_eq!(f.to_return, Cents(3_600_000));
        assert_eq!(f.lines[1].deviation, Cents(500_000 - 4_000_000));
    }

    #[test]
    fn a_reversal_follows_the_entry_it_reverses() {
        let mut i = base();
        let original = entry(1, 1, 1_000_000, day(4, 1), None);
        let mut reversal = entry(2, 1, -1_000_000, day(4, 2), None);
        reversal.reverses = Some(original.id);
        i.entries = vec![original, reversal];
        let f = compute(&i).unwrap();
        assert_eq!(
            f.entries,
            vec![Some(Ineligible::Unpaid), Some(Ineligible::Unpaid)]
        );
        assert_eq!(
            (f.listed, f.ineligible, f.direct),
            (Cents::ZERO, Cents::ZERO, Cents::ZERO)
        );
    }

    #[test]
    fn a_flat_rate_replaces_the_overheads_entries() {
        let mut i = base();
        i.indirect_rate_bp = Some(1500);
        i.lines.push(LineIn {
            line_key: key(3),
            budgeted: Cents(900_000),
            indirect: true,
        });
        i.entries = vec![
            entry(1, 1, 6_000_000, day(3, 1), Some(day(3, 2))),
            entry(2, 3, 700_000, day(3, 1), Some(day(3, 2))),
        ];
        let f = compute(&i).unwrap();
        assert_eq!(f.entries[1], Some(Ineligible::CoveredByFlatRate));
        assert_eq!(f.indirect, Cents(900_000));
        assert_eq!(f.justified, Cents(6_900_000));
        // Without the rate, the overheads' own entries count.
        i.indirect_rate_bp = None;
        let g = compute(&i).unwrap();
        assert_eq!(
            (g.indirect, g.justified),
            (Cents(700_000), Cents(6_700_000))
        );
    }

    #[test]
    fn other_income_above_the_cost_is_returned() {
        let mut i = base();
        i.other_income = Cents(3_000_000);
        i.entries = vec![entry(1, 1, 10_000_000, day(3, 1), Some(day(3, 2)))];
        let f = compute(&i).unwrap();
        // 80,000 + 30,000 against a cost of 100,000: 10,000 too much.
        assert_eq!(
            (f.supported, f.excess, f.to_return),
            (Cents(8_000_000), Cents(1_000_000), Cents(1_000_000))
        );
    }

    fn arb_input() -> impl Strategy<Value = Input> {
        let lines = prop::collection::vec((0i64..500_000_000, any::<bool>()), 1..5);
        let entries = prop::collection::vec(
            (
                0usize..5,
                -200_000_000_i64..500_000_000,
                0u32..400,
                prop::option::of(0u32..500),
                any::<bool>(),
            ),
            0..40,
        );
        (
            0i64..1_000_000_000,
            1i32..=10_000,
            prop::option::of(0i32..=2500),
            0i64..100_000_000,
            lines,
            entries,
        )
            .prop_map(
                |(granted, rate_bp, indirect_rate_bp, other, lines, entries)| {
                    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
                    let lines: Vec<LineIn> = lines
                        .into_iter()
                        .enumerate()
                        .map(|(n, (b, indirect))| LineIn {
                            line_key: Uuid::from_u128(n as u128 + 1),
                            budgeted: Cents(b),
                            indirect,
                        })
                        .collect();
                    let mut out: Vec<EntryIn> = Vec::new();
                    for (n, (line, amount, issued, paid, reverse)) in
                        entries.into_iter().enumerate()
                    {
                        let line_key = lines[line % lines.len()].line_key;
                        let id = EntryId(Uuid::from_u128(10_000 + n as u128));
                        let issued_on = start + chrono::Days::new(u64::from(issued));
                        // Every third entry, when asked, reverses an earlier one of its line.
                        let target = out
                            .iter()
                            .rev()
                            .find(|e| {
                                e.line_key == line_key && e.reverses.is_none() && amount % 3 == 0
                            })
                            .filter(|_| reverse);
                        let e = match target {
                            Some(t) => EntryIn {
                                id,
                                line_key,
                                amount: Cents(-t.amount.get()),
                                issued_on,
                                paid_on: None,
                                reverses: Some(t.id),
                            },
                            None => EntryIn {
                                id,
                                line_key,
                                amount: Cents(if amount == 0 { 1 } else { amount }),
                                issued_on,
                                paid_on: paid.map(|p| issued_on + chrono::Days::new(u64::from(p))),
                                reverses: None,
                            },
                        };
                        out.push(e);
                    }
                    Input {
                        granted: Cents(granted),
                        rate_bp,
                        indirect_rate_bp,
                        period: (
                            Some(start + chrono::Days::new(30)),
                            Some(start + chrono::Days::new(330)),
                        ),
                        due_on: Some(start + chrono::Days::new(450)),
                        other_income: Cents(other),
                        lines,
                        entries: out,
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The account reconciles to its entries to the cent, whatever they are.
        #[test]
        fn the_account_reconciles_to_its_entries(input in arb_input()) {
            let f = compute(&input).unwrap();
            let sum = |pick: &dyn Fn(usize) -> bool| -> i64 {
                input.entries.iter().enumerate().filter(|(i, _)| pick(*i)).map(|(_, e)| e.amount.get()).sum()
            };
            // Every entry is listed once, on its line; listed = eligible + ineligible.
            prop_assert_eq!(f.listed.get(), sum(&|_| true));
            prop_assert_eq!(f.ineligible.get(), sum(&|i| f.entries[i].is_some()));
            prop_assert_eq!(f.lines.iter().map(|l| l.listed.get()).sum::<i64>(), f.listed.get());
            prop_assert_eq!(
                f.lines.iter().map(|l| l.eligible.get()).sum::<i64>(),
                f.listed.get() - f.ineligible.get()
            );
            for (l, lf) in input.lines.iter().zip(&f.lines) {
                let on_line = |i: usize| input.entries[i].line_key == l.line_key;
                prop_assert_eq!(lf.listed.get(), sum(&|i| on_line(i)));
                prop_assert_eq!(lf.eligible.get(), sum(&|i| on_line(i) && f.entries[i].is_none()));
                prop_assert_eq!(lf.deviation.get(), lf.eligible.get() - l.budgeted.get());
            }
            // Direct costs are the eligible entries of the direct lines; indirect ones the
            // rate of them, or the eligible entries of the overheads.
            let eligible_of = |indirect: bool| -> i64 {
                input.lines.iter().zip(&f.lines).filter(|(l, _)| l.indirect == indirect).map(|(_, lf)| lf.eligible.get()).sum()
            };
            prop_assert_eq!(f.direct.get(), eligible_of(false));
            match input.indirect_rate_bp {
                Some(bp) => {
                    prop_assert_eq!(eligible_of(true), 0);
                    prop_assert_eq!(f.indirect.get(), (i128::from(f.direct.get().max(0)) * i128::from(bp) / 10_000) as i64);
                }
                None => prop_assert_eq!(f.indirect.get(), eligible_of(true)),
            }
            // A reversal lands in the same column as its entry: the pair nets to zero there.
            for (i, e) in input.entries.iter().enumerate() {
                if let Some(r) = e.reverses {
                    let j = input.entries.iter().position(|o| o.id == r).unwrap();
                    prop_assert_eq!(f.entries[i], f.entries[j]);
                }
            }
            // The grant: never more than granted is supported or returned; what is kept plus
            // what is returned is the grant when nothing is in excess.
            prop_assert!(f.supported.get() <= input.granted.get());
            prop_assert!(f.to_return.get() >= 0 && f.to_return.get() <= input.granted.get());
            prop_assert!(f.to_return.get() >= input.granted.get() - f.supported.get());
            prop_assert_eq!(f.justified.get(), (f.direct.get() + f.indirect.get()).max(0));
        }
    }
}
