//! Money: exact integer cents of euros.
//!
//! [`Cents`] is what every amount is, in rows, request and response bodies and rules. Its
//! arithmetic is checked ([`Cents::checked_add`] and friends answer `None` on overflow, and
//! [`Overflow`] carries that to a 422), and [`Cents::in_range`] is the one range check
//! amounts get (0 or 1 to 10^15 cents, a quadrillion: far beyond any budget, and far from
//! `i64::MAX` so that sums of many amounts cannot wrap).
//!
//! In the OpenAPI document a `Cents` is a plain `integer` (`int64`): `build.rs` tells utoipa
//! that `Cents` is an alias of `i64`, so the spec keeps its shape.

use std::{fmt, iter::Sum};

use diesel::{
    deserialize::{FromSql, FromSqlRow},
    expression::AsExpression,
    pg::{Pg, PgValue},
    serialize::{Output, ToSql},
    sql_types::BigInt,
};
use serde::{Deserialize, Serialize};

/// An amount of euros in integer cents (may be negative: reversals, balances, variances).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    AsExpression,
    FromSqlRow,
)]
#[diesel(sql_type = BigInt)]
#[serde(transparent)]
pub struct Cents(pub i64);

/// A sum or difference of amounts left the range of `i64` (a 422 where it reaches a client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the amounts add up to more than can be counted")
    }
}

impl std::error::Error for Overflow {}

impl Cents {
    /// Zero euros.
    pub const ZERO: Cents = Cents(0);
    /// The largest amount any single field accepts: 10^15 cents (ten trillion euros).
    pub const MAX: Cents = Cents(1_000_000_000_000_000);

    /// The amount in cents.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// `self + other`, or [`Overflow`].
    pub fn checked_add(self, other: Cents) -> Result<Cents, Overflow> {
        self.0.checked_add(other.0).map(Cents).ok_or(Overflow)
    }

    /// `self - other`, or [`Overflow`].
    pub fn checked_sub(self, other: Cents) -> Result<Cents, Overflow> {
        self.0.checked_sub(other.0).map(Cents).ok_or(Overflow)
    }

    /// The sum of `amounts`, or [`Overflow`].
    pub fn checked_sum(amounts: impl IntoIterator<Item = Cents>) -> Result<Cents, Overflow> {
        amounts
            .into_iter()
            .try_fold(Cents::ZERO, |sum, a| sum.checked_add(a))
    }

    /// `self × numerator / denominator`, exactly (in `i128`), rounded up when `up`, else
    /// down; `None` when the denominator is 0 or the result leaves `i64`.
    pub fn scale(self, numerator: i64, denominator: i64, up: bool) -> Option<Cents> {
        if denominator == 0 {
            return None;
        }
        let product = i128::from(self.0) * i128::from(numerator);
        let d = i128::from(denominator);
        let (q, r) = (product / d, product % d);
        let q = if up && r != 0 && (r > 0) == (d > 0) {
            q + 1
        } else if !up && r != 0 && (r > 0) != (d > 0) {
            q - 1
        } else {
            q
        };
        i64::try_from(q).ok().map(Cents)
    }

    /// Whether the amount is within `min..=Cents::MAX`, the range every amount field
    /// accepts (`min` is 0, or 1 where zero makes no sense, or `-Cents::MAX` for signed
    /// amounts).
    pub fn in_range(self, min: Cents) -> bool {
        (min..=Cents::MAX).contains(&self)
    }

    /// The message of a value outside [`Cents::in_range`].
    pub fn range_message(min: Cents) -> String {
        match min.0 {
            0 | 1 => format!("must be {} to 10^15 cents", min.0),
            _ => "must be between -10^15 and 10^15 cents".to_owned(),
        }
    }

    /// Whether the amount is zero.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

/// Euros as people read them: `1234.50 €`, `-0.05 €`.
impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02} €", abs / 100, abs % 100)
    }
}

impl Cents {
    /// As Spanish documents write it: `-1.234.567,89 €`.
    pub fn spanish(self) -> String {
        let abs = self.0.unsigned_abs();
        let euros = (abs / 100).to_string();
        let mut grouped = String::with_capacity(euros.len() + euros.len() / 3);
        for (i, c) in euros.chars().enumerate() {
            if i > 0 && (euros.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{grouped},{:02} €", abs % 100)
    }
}

impl From<i64> for Cents {
    fn from(value: i64) -> Self {
        Cents(value)
    }
}

impl From<Cents> for i64 {
    fn from(value: Cents) -> Self {
        value.0
    }
}

/// Unchecked sum, for amounts already known to fit (each within [`Cents::MAX`], and fewer
/// than 9,000 of them); use [`Cents::checked_sum`] otherwise.
impl Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Self {
        Cents(iter.map(|c| c.0).sum())
    }
}

impl ToSql<BigInt, Pg> for Cents {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
        <i64 as ToSql<BigInt, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<BigInt, Pg> for Cents {
    fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
        <i64 as FromSql<BigInt, Pg>>::from_sql(bytes).map(Cents)
    }
}

impl utoipa::PartialSchema for Cents {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <i64 as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for Cents {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_euros_with_sign_and_two_decimals() {
        assert_eq!(Cents(123_450).to_string(), "1234.50 €");
        assert_eq!(Cents(-5).to_string(), "-0.05 €");
        assert_eq!(Cents(0).to_string(), "0.00 €");
        assert_eq!(Cents(i64::MIN).to_string(), "-92233720368547758.08 €");
    }

    #[test]
    fn spanish_groups_thousands_with_dots_and_decimals_with_a_comma() {
        assert_eq!(Cents(123_456_789).spanish(), "1.234.567,89 €");
        assert_eq!(Cents(100_000).spanish(), "1.000,00 €");
        assert_eq!(Cents(99_999).spanish(), "999,99 €");
        assert_eq!(Cents(-5).spanish(), "-0,05 €");
        assert_eq!(Cents(i64::MIN).spanish(), "-92.233.720.368.547.758,08 €");
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert_eq!(Cents(i64::MAX).checked_add(Cents(1)), Err(Overflow));
        assert_eq!(Cents(i64::MIN).checked_sub(Cents(1)), Err(Overflow));
        assert_eq!(Cents(2).checked_add(Cents(3)), Ok(Cents(5)));
        assert_eq!(
            Cents::checked_sum([Cents(i64::MAX), Cents(1)]),
            Err(Overflow)
        );
    }

    #[test]
    fn range_is_inclusive_at_both_ends() {
        assert!(Cents::MAX.in_range(Cents::ZERO));
        assert!(!Cents(Cents::MAX.0 + 1).in_range(Cents::ZERO));
        assert!(Cents::ZERO.in_range(Cents::ZERO));
        assert!(!Cents::ZERO.in_range(Cents(1)));
        assert!(Cents(-Cents::MAX.0).in_range(Cents(-Cents::MAX.0)));
    }

    #[test]
    fn scale_rounds_in_the_asked_direction() {
        assert_eq!(Cents(10).scale(1, 3, false), Some(Cents(3)));
        assert_eq!(Cents(10).scale(1, 3, true), Some(Cents(4)));
        assert_eq!(Cents(-10).scale(1, 3, false), Some(Cents(-4)));
        assert_eq!(Cents(-10).scale(1, 3, true), Some(Cents(-3)));
        assert_eq!(Cents(9).scale(1, 3, true), Some(Cents(3)));
        assert_eq!(Cents(1).scale(1, 0, true), None);
        assert_eq!(Cents(i64::MAX).scale(2, 1, false), None);
    }
}
