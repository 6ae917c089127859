//! Spanish tax identifiers (NIF of people, NIE of foreigners, CIF/NIF of organisations),
//! validated with their control character and normalised (uppercase, no spaces, dots or
//! hyphens): `12345678Z`, `X1234567L`, `B12345674`.

use std::fmt;

use diesel::{
    deserialize::{FromSql, FromSqlRow},
    expression::AsExpression,
    pg::{Pg, PgValue},
    serialize::{Output, ToSql},
    sql_types::Text,
};

const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
const CIF_LETTERS: &[u8; 10] = b"JABCDEFGHI";
/// The longest tax id read, separators (spaces, dots, hyphens) and an `ES` prefix included
/// (as the OpenAPI document says).
pub const MAX_RAW_LEN: usize = 20;

/// What kind of identifier it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaxIdKind {
    /// A person's NIF (DNI number and letter, or K/L/M special NIFs).
    Nif,
    /// A foreigner's NIE (X, Y or Z, seven digits and letter).
    Nie,
    /// An organisation's NIF (formerly CIF): a letter, seven digits, a control.
    Cif,
}

/// A valid, normalised Spanish tax id. Rows hold it as it is (stored as `text`; a stored id
/// is parsed again when read, so a row never holds a bad one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct TaxId {
    value: String,
    kind: TaxIdKind,
}

impl TaxId {
    /// Normalises and validates.
    pub fn parse(raw: &str) -> Result<Self, String> {
        // Separators make room for a few more characters, not for any number of them.
        if raw.chars().count() > MAX_RAW_LEN {
            return Err(format!("must be at most {MAX_RAW_LEN} characters"));
        }
        // Already normal (every stored id, read back on each row): the same value, one copy.
        let normal = raw.len() == 9
            && !raw.starts_with("ES")
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        let value = if normal {
            raw.to_owned()
        } else {
            let value: String = raw
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '.' | '\u{a0}'))
                .collect::<String>()
                .to_uppercase();
            value
                .strip_prefix("ES")
                .map_or_else(|| value.clone(), str::to_owned)
        };
        if value.len() != 9 || !value.is_ascii() {
            return Err("must be a Spanish NIF, NIE or CIF (9 characters)".into());
        }
        let b = value.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        let number = |s: &[u8]| s.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        let kind = match b[0] {
            b'0'..=b'9' if digits(0..8) => {
                check(DNI_LETTERS[(number(&b[0..8]) % 23) as usize] == b[8], "NIF")?;
                TaxIdKind::Nif
            }
            b'X' | b'Y' | b'Z' if digits(1..8) => {
                let prefix = u32::from(b[0] - b'X');
                let n = prefix * 10_000_000 + number(&b[1..8]);
                check(DNI_LETTERS[(n % 23) as usize] == b[8], "NIE")?;
                TaxIdKind::Nie
            }
            b'K' | b'L' | b'M' if digits(1..8) => {
                check(DNI_LETTERS[(number(&b[1..8]) % 23) as usize] == b[8], "NIF")?;
                TaxIdKind::Nif
            }
            b'A'..=b'W' if b"ABCDEFGHJNPQRSUVW".contains(&b[0]) && digits(1..8) => {
                let control = cif_control(&b[1..8]);
                let letter_form = CIF_LETTERS[control as usize];
                let digit_form = b'0' + control;
                let ok = match b[0] {
                    b'P' | b'Q' | b'R' | b'S' | b'N' | b'W' => b[8] == letter_form,
                    b'A' | b'B' | b'E' | b'H' => b[8] == digit_form,
                    _ => b[8] == letter_form || b[8] == digit_form,
                };
                check(ok, "CIF")?;
                TaxIdKind::Cif
            }
            _ => return Err("must be a Spanish NIF, NIE or CIF".into()),
        };
        Ok(Self { value, kind })
    }

    /// The normalised value.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The kind of id.
    pub fn kind(&self) -> TaxIdKind {
        self.kind
    }
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!(
            "is not a valid {what}: its control character does not match"
        ))
    }
}

/// The CIF control value (0–9) of its seven digits.
fn cif_control(digits: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, d) in digits.iter().enumerate() {
        let d = u32::from(d - b'0');
        if i % 2 == 0 {
            let doubled = d * 2;
            sum += doubled / 10 + doubled % 10;
        } else {
            sum += d;
        }
    }
    ((10 - sum % 10) % 10) as u8
}

/// Builds a valid id (for demo and synthetic data): a NIF from an 8-digit number, or a
/// CIF from an organisation letter and a 7-digit number.
pub fn make_nif(number: u32) -> String {
    let n = number % 100_000_000;
    format!("{n:08}{}", DNI_LETTERS[(n % 23) as usize] as char)
}

/// See [`make_nif`].
pub fn make_cif(letter: char, number: u32) -> String {
    let digits = format!("{:07}", number % 10_000_000);
    let control = cif_control(digits.as_bytes());
    let tail = match letter {
        'P' | 'Q' | 'R' | 'S' | 'N' | 'W' => CIF_LETTERS[control as usize] as char,
        _ => (b'0' + control) as char,
    };
    format!("{letter}{digits}{tail}")
}

impl ToSql<Text, Pg> for TaxId {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
        <str as ToSql<Text, Pg>>::to_sql(&self.value, out)
    }
}

impl FromSql<Text, Pg> for TaxId {
    fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let raw = std::str::from_utf8(bytes.as_bytes())?;
        Ok(Self::parse(raw).map_err(|e| format!("stored tax id {e}"))?)
    }
}

impl From<TaxId> for String {
    fn from(value: TaxId) -> Self {
        value.value
    }
}

impl fmt::Display for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_nifs_nies_and_cifs_are_accepted_and_normalised() {
        for (raw, norm, kind) in [
            ("12345678Z", "12345678Z", TaxIdKind::Nif),
            ("12.345.678-z", "12345678Z", TaxIdKind::Nif),
            ("00000000T", "00000000T", TaxIdKind::Nif),
            ("X1234567L", "X1234567L", TaxIdKind::Nie),
            ("y 1234567 x", "Y1234567X", TaxIdKind::Nie),
            ("Z7654321H", "Z7654321H", TaxIdKind::Nie),
            ("B12345674", "B12345674", TaxIdKind::Cif),
            ("ESA58818501", "A58818501", TaxIdKind::Cif),
            ("Q2826000H", "Q2826000H", TaxIdKind::Cif),
            ("P2807900B", "P2807900B", TaxIdKind::Cif),
            ("G28029643", "G28029643", TaxIdKind::Cif),
        ] {
            let t = TaxId::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(t.as_str(), norm);
            assert_eq!(t.kind(), kind, "{raw}");
        }
    }

    #[test]
    fn wrong_controls_and_shapes_are_refused() {
        for bad in [
            "12345678A",
            "X1234567A",
            "B12345675",
            "Q2826000A",
            "A5881850B",
            "1234567Z",
            "",
            "ÑÑÑÑÑÑÑÑÑ",
            "I12345674",
        ] {
            assert!(TaxId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_ids_are_valid() {
        for n in [0, 1, 42, 9_999_999, 12_345_678] {
            assert!(TaxId::parse(&make_nif(n)).is_ok());
            for l in ['A', 'B', 'G', 'P', 'Q', 'S', 'U'] {
                assert!(TaxId::parse(&make_cif(l, n)).is_ok(), "{}", make_cif(l, n));
            }
        }
    }

    #[test]
    fn an_id_already_normal_parses_as_it_does_written_loosely() {
        for normal in [
            "12345678Z",
            "X1234567L",
            "B12345674",
            "A58818501",
            "12345678A",
            "ES1234567",
        ] {
            let loose = format!("es {}", normal.to_lowercase().replace('5', "5."));
            let (a, b) = (TaxId::parse(normal), TaxId::parse(&loose));
            assert_eq!(a.is_ok(), b.is_ok(), "{normal} / {loose}");
            if let (Ok(a), Ok(b)) = (a, b) {
                assert_eq!(a, b);
            }
        }
        assert_eq!(
            TaxId::parse("ES1234567").unwrap_err(),
            "must be a Spanish NIF, NIE or CIF (9 characters)"
        );
    }
}
