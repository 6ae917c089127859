//! The pure rules of a meeting: the quorum at each call (who counts as present or
//! represented), the cap on proxies, the tallies and the majorities. No database: the
//! services feed them the frozen roll and the body's rules.
//!
//! Defaults are the law's (LO 1/2002): one third of the members present or represented at
//! first call (rounding up: 40 on the roll → 14), any number at second call; simple
//! majority is more yes than no (a tie is rejected); qualified is yes above half of those
//! present or represented (abstentions count against).

use std::collections::HashMap;

use super::model::{Attendance, MajorityBase};

/// A fraction `num / den` (`0 ≤ num ≤ den`, `den ≥ 1`, as the database checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fraction {
    /// Numerator.
    pub num: i64,
    /// Denominator.
    pub den: i64,
}

impl Fraction {
    /// `num / den`, or `None` unless `0 ≤ num ≤ den` and `den ≥ 1`.
    pub fn new(num: i64, den: i64) -> Option<Self> {
        (den >= 1 && (0..=den).contains(&num)).then_some(Self { num, den })
    }

    /// The smallest whole number not below `self × of` (one third of 40 is 14).
    pub fn ceil_of(self, of: i64) -> i64 {
        (of * self.num + self.den - 1) / self.den
    }
}

/// One entry of the roll as the quorum sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seat<K> {
    /// The entry.
    pub id: K,
    /// Its vote weight.
    pub weight: i64,
    /// How it attends.
    pub attendance: Attendance,
    /// The entry holding its proxy, when represented.
    pub proxy_holder: Option<K>,
}

/// Who is present or represented: heads (for the quorum) and weight (for the votes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Presence {
    /// Entries on the roll.
    pub roll_count: i64,
    /// Their total weight.
    pub roll_weight: i64,
    /// Attending in person or remotely.
    pub present_count: i64,
    /// Represented by a holder who attends (a proxy whose holder is absent does not count).
    pub represented_count: i64,
    /// The weight of those present and represented.
    pub present_weight: i64,
}

impl Presence {
    /// Those present or represented (heads).
    pub fn counted(&self) -> i64 {
        self.present_count + self.represented_count
    }
}

/// Counts the roll: a proxy counts only if its holder attends.
pub fn presence<K: Copy + Eq + std::hash::Hash>(roll: &[Seat<K>]) -> Presence {
    let attends: HashMap<K, bool> = roll
        .iter()
        .map(|s| (s.id, s.attendance.attends()))
        .collect();
    let mut p = Presence::default();
    for s in roll {
        p.roll_count += 1;
        p.roll_weight += s.weight;
        let counted = match s.attendance {
            Attendance::Present | Attendance::Remote => {
                p.present_count += 1;
                true
            }
            Attendance::Represented => {
                let holder_attends = s
                    .proxy_holder
                    .and_then(|h| attends.get(&h).copied())
                    .unwrap_or(false);
                if holder_attends {
                    p.represented_count += 1;
                }
                holder_attends
            }
            Attendance::Absent => false,
        };
        if counted {
            p.present_weight += s.weight;
        }
    }
    p
}

/// The members needed at a call: the fraction of the roll, rounded up; with no fraction
/// ("any number") one member present or represented.
pub fn required(roll_count: i64, quorum: Option<Fraction>) -> i64 {
    match quorum {
        Some(f) => f.ceil_of(roll_count),
        None => 1.min(roll_count),
    }
}

/// Whether the meeting is validly constituted at a call with this quorum.
pub fn quorate(p: &Presence, quorum: Option<Fraction>) -> bool {
    p.roll_count > 0 && p.counted() >= required(p.roll_count, quorum)
}

/// The holders of more proxies than `max` allows (`None`: no cap), with their count.
pub fn over_proxy_cap<K: Copy + Eq + std::hash::Hash + Ord>(
    roll: &[Seat<K>],
    max: Option<i64>,
) -> Vec<(K, i64)> {
    let Some(max) = max else {
        return Vec::new();
    };
    let mut held: HashMap<K, i64> = HashMap::new();
    for s in roll {
        if let (Attendance::Represented, Some(h)) = (s.attendance, s.proxy_holder) {
            *held.entry(h).or_default() += 1;
        }
    }
    let mut over: Vec<(K, i64)> = held.into_iter().filter(|(_, n)| *n > max).collect();
    over.sort();
    over
}

/// Yes, no and abstain, in vote weight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// In favour.
    pub yes: i64,
    /// Against.
    pub no: i64,
    /// Abstentions.
    pub abstain: i64,
}

impl Tally {
    /// Votes cast (yes and no; abstentions are not votes cast).
    pub fn cast(&self) -> i64 {
        self.yes + self.no
    }

    /// Every vote, abstentions included.
    pub fn total(&self) -> i64 {
        self.yes + self.no + self.abstain
    }

    /// `Err` when a figure is negative or the votes exceed the weight present and
    /// represented.
    pub fn check(&self, present_weight: i64) -> Result<(), String> {
        if self.yes < 0 || self.no < 0 || self.abstain < 0 {
            return Err("votes are never negative".into());
        }
        if self.total() > present_weight {
            return Err(format!(
                "{} votes exceed the {present_weight} present and represented",
                self.total()
            ));
        }
        Ok(())
    }
}

/// A majority: yes must be strictly above `share` of `base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Majority {
    /// The share of the base yes must exceed.
    pub share: Fraction,
    /// What the share is of.
    pub base: MajorityBase,
}

impl Majority {
    /// Simple: more yes than no (yes above half of the votes cast).
    pub const SIMPLE: Majority = Majority {
        share: Fraction { num: 1, den: 2 },
        base: MajorityBase::VotesCast,
    };
    /// Qualified: yes above half of those present and represented.
    pub const QUALIFIED: Majority = Majority {
        share: Fraction { num: 1, den: 2 },
        base: MajorityBase::PresentAndRepresented,
    };

    /// Whether `tally` adopts the resolution (a tie is rejected).
    pub fn adopts(&self, tally: &Tally, present_weight: i64, roll_weight: i64) -> bool {
        let base = match self.base {
            MajorityBase::VotesCast => tally.cast(),
            MajorityBase::PresentAndRepresented => present_weight,
            MajorityBase::WholeRoll => roll_weight,
        };
        tally.yes > 0 && tally.yes * self.share.den > self.share.num * base
    }

    /// How the rule reads in a resolution ("more than 1/2 of votes_cast").
    pub fn describe(&self) -> String {
        format!(
            "yes above {}/{} of {}",
            self.share.num, self.share.den, self.base
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Attendance::*;

    fn seat(id: u32, attendance: Attendance, holder: Option<u32>) -> Seat<u32> {
        Seat {
            id,
            weight: 1,
            attendance,
            proxy_holder: holder,
        }
    }

    fn third() -> Option<Fraction> {
        Fraction::new(1, 3)
    }

    /// A roll of `n` where the first `present` attend and the rest are absent.
    fn roll(n: u32, present: u32) -> Vec<Seat<u32>> {
        (0..n)
            .map(|i| seat(i, if i < present { Present } else { Absent }, None))
            .collect()
    }

    #[test]
    fn one_third_rounds_up() {
        assert_eq!(required(40, third()), 14);
        assert_eq!(required(39, third()), 13);
        assert_eq!(required(3, third()), 1);
        assert_eq!(required(0, third()), 0);
        assert!(!quorate(&presence(&roll(40, 13)), third()));
        assert!(quorate(&presence(&roll(40, 14)), third()));
    }

    #[test]
    fn second_call_takes_any_number_but_none() {
        assert!(quorate(&presence(&roll(40, 1)), None));
        assert!(!quorate(&presence(&roll(40, 0)), None));
        assert!(!quorate(&presence(&roll(0, 0)), None));
    }

    #[test]
    fn a_proxy_counts_only_when_its_holder_attends() {
        let mut r = roll(40, 12);
        r[20] = seat(20, Represented, Some(0));
        r[21] = seat(21, Represented, Some(1));
        let p = presence(&r);
        assert_eq!((p.present_count, p.represented_count), (12, 2));
        assert!(
            quorate(&p, third()),
            "12 present + 2 represented = 14 of 40"
        );
        // The holder of one proxy is absent: 13, one short.
        r[1] = seat(1, Absent, None);
        let p = presence(&r);
        assert_eq!((p.present_count, p.represented_count), (11, 1));
        assert!(!quorate(&p, third()));
        // A proxy held by another represented member does not count either.
        r[22] = seat(22, Represented, Some(21));
        assert_eq!(presence(&r).represented_count, 1);
    }

    #[test]
    fn remote_attendance_counts_as_present() {
        let r = vec![seat(1, Remote, None), seat(2, Represented, Some(1))];
        let p = presence(&r);
        assert_eq!(
            (p.present_count, p.represented_count, p.present_weight),
            (1, 1, 2)
        );
    }

    #[test]
    fn the_proxy_cap_names_the_holders_over_it() {
        let r = vec![
            seat(1, Present, None),
            seat(2, Represented, Some(1)),
            seat(3, Represented, Some(1)),
            seat(4, Represented, Some(5)),
            seat(5, Present, None),
        ];
        assert_eq!(over_proxy_cap(&r, Some(1)), vec![(1, 2)]);
        assert!(over_proxy_cap(&r, Some(2)).is_empty());
        assert!(over_proxy_cap(&r, None).is_empty());
    }

    fn tally(yes: i64, no: i64, abstain: i64) -> Tally {
        Tally { yes, no, abstain }
    }

    #[test]
    fn simple_majority_rejects_a_tie() {
        let s = Majority::SIMPLE;
        assert!(s.adopts(&tally(6, 5, 10), 21, 40));
        assert!(!s.adopts(&tally(5, 5, 0), 10, 40));
        assert!(!s.adopts(&tally(0, 0, 3), 3, 40));
    }

    #[test]
    fn qualified_majority_counts_abstentions_against() {
        let q = Majority::QUALIFIED;
        // 20 present: 10 yes is not above half; 11 is.
        assert!(!q.adopts(&tally(10, 2, 8), 20, 40));
        assert!(q.adopts(&tally(11, 2, 7), 20, 40));
        // The same tally passes a simple majority.
        assert!(Majority::SIMPLE.adopts(&tally(10, 2, 8), 20, 40));
    }

    #[test]
    fn custom_majorities_over_the_whole_roll() {
        let two_thirds = Majority {
            share: Fraction::new(2, 3).unwrap(),
            base: MajorityBase::WholeRoll,
        };
        assert!(!two_thirds.adopts(&tally(26, 0, 0), 26, 39));
        assert!(two_thirds.adopts(&tally(27, 0, 0), 27, 39));
    }

    #[test]
    fn weights_decide_not_heads() {
        let r = vec![
            Seat {
                id: 1,
                weight: 3,
                attendance: Present,
                proxy_holder: None,
            },
            seat(2, Present, None),
            seat(3, Present, None),
        ];
        let p = presence(&r);
        assert_eq!((p.present_count, p.present_weight), (3, 5));
        // The weight-3 member alone outvotes the other two.
        assert!(Majority::QUALIFIED.adopts(&tally(3, 2, 0), p.present_weight, p.roll_weight));
    }

    #[test]
    fn totals_never_exceed_the_present_weight() {
        assert!(tally(5, 3, 2).check(10).is_ok());
        assert!(tally(5, 3, 3).check(10).is_err());
        assert!(tally(-1, 0, 0).check(10).is_err());
    }

    #[test]
    fn fractions_are_checked() {
        assert!(Fraction::new(1, 0).is_none());
        assert!(Fraction::new(4, 3).is_none());
        assert!(Fraction::new(-1, 3).is_none());
        assert_eq!(Fraction::new(2, 3).map(|f| f.ceil_of(10)), Some(7));
    }
}
