//! E-mail addresses, normalised (trimmed, lowercase) so that uniqueness is case-insensitive.

use std::fmt;

use diesel::{
    deserialize::{FromSql, FromSqlRow},
    expression::AsExpression,
    pg::{Pg, PgValue},
    serialize::{Output, ToSql},
    sql_types::Text,
};

/// A syntactically plausible, normalised e-mail address. Rows hold it as it is (stored as
/// `text`; a stored address is parsed again when read, so a row never holds a bad one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Email(String);

impl Email {
    /// Trims, lowercases and checks the shape `local@domain.tld` (at most 254 characters).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim().to_lowercase();
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err("must be an e-mail address (name@domain)".into());
        };
        let ok = !local.is_empty()
            && local.len() <= 64
            && value.chars().count() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !value.chars().any(|c| c.is_whitespace() || c.is_control())
            && !local.contains('@');
        if ok {
            Ok(Self(value))
        } else {
            Err("must be an e-mail address (name@domain)".into())
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl ToSql<Text, Pg> for Email {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
        <str as ToSql<Text, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<Text, Pg> for Email {
    fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let raw = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
        Ok(Self::parse(&raw).map_err(|e| format!("stored e-mail {e}"))?)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised() {
        assert_eq!(
            Email::parse("  Ana.Núñez@Cluster.ES ").unwrap().as_str(),
            "ana.núñez@cluster.es"
        );
    }

    #[test]
    fn bad_addresses_are_refused() {
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.es",
            "ana@localhost",
            "a b@x.es",
            "ana@.es",
            "ana@x.es.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
