//! A small pool of tokio-postgres connections (deadpool, as agrupa's), each with its own
//! cache of prepared statements (as diesel-async keeps one per connection), and rows written
//! straight to JSON by column type.

use std::{collections::HashMap, error::Error as _, fmt::Write as _};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use tokio_postgres::{
    Client, NoTls, Row, Statement,
    types::{FromSql, ToSql, Type},
};
use uuid::Uuid;

/// A pooled connection.
pub type Pool = managed::Pool<Manager>;

/// Connections to one database.
pub struct Manager {
    pub config: tokio_postgres::Config,
}

/// A connection and the statements prepared on it.
pub struct Conn {
    client: Client,
    cache: HashMap<&'static str, Statement>,
}

impl managed::Manager for Manager {
    type Type = Conn;
    type Error = tokio_postgres::Error;

    async fn create(&self) -> Result<Conn, tokio_postgres::Error> {
        let (client, connection) = self.config.connect(NoTls).await?;
        tokio::spawn(connection);
        Ok(Conn {
            client,
            cache: HashMap::new(),
        })
    }

    // As agrupa's pool (`RecyclingMethod::Fast`): no query on checkout.
    async fn recycle(&self, conn: &mut Conn, _: &Metrics) -> RecycleResult<tokio_postgres::Error> {
        if conn.client.is_closed() {
            return Err(RecycleError::message("connection closed"));
        }
        Ok(())
    }
}

/// What a handler answers when the database fails.
pub type DbResult<T> = Result<T, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Conn {
    /// Runs a statement prepared once per connection (what diesel caches: a query with no
    /// SQL fragment).
    pub async fn cached(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> DbResult<Vec<Row>> {
        let statement = match self.cache.get(sql) {
            Some(s) => s.clone(),
            None => {
                let s = self.client.prepare(sql).await.map_err(err)?;
                self.cache.insert(sql, s.clone());
                s
            }
        };
        self.client.query(&statement, params).await.map_err(err)
    }

    /// Prepares, runs and closes a statement (what diesel does with a query it does not
    /// cache: one built with SQL fragments or a variable number of binds).
    pub async fn uncached(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> DbResult<Vec<Row>> {
        self.client.query(sql, params).await.map_err(|e| {
            let mut s = e.to_string();
            if let Some(source) = e.source() {
                let _ = write!(s, ": {source}");
            }
            s
        })
    }

    /// A simple-protocol statement (BEGIN, COMMIT).
    pub async fn simple(&mut self, sql: &str) -> DbResult<()> {
        self.client.batch_execute(sql).await.map_err(err)
    }
}

/// Any value as its binary bytes (enums and unknown types: their text is their binary form).
struct Raw<'a>(&'a [u8]);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

fn put<T: serde::Serialize>(out: &mut Vec<u8>, v: Option<T>) {
    match v {
        Some(v) => {
            let _ = serde_json::to_writer(&mut *out, &v);
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// Writes one row as a JSON object keyed by column name.
pub fn write_row(out: &mut Vec<u8>, row: &Row) {
    out.push(b'{');
    for (i, column) in row.columns().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = serde_json::to_writer(&mut *out, column.name());
        out.push(b':');
        write_cell(out, row, i, column.type_());
    }
    out.push(b'}');
}

fn write_cell(out: &mut Vec<u8>, row: &Row, i: usize, ty: &Type) {
    match *ty {
        Type::UUID => put(out, row.get::<_, Option<Uuid>>(i)),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            put(out, row.get::<_, Option<&str>>(i))
        }
        Type::INT2 => put(out, row.get::<_, Option<i16>>(i)),
        Type::INT4 => put(out, row.get::<_, Option<i32>>(i)),
        Type::INT8 => put(out, row.get::<_, Option<i64>>(i)),
        Type::FLOAT4 => put(out, row.get::<_, Option<f32>>(i)),
        Type::FLOAT8 => put(out, row.get::<_, Option<f64>>(i)),
        Type::BOOL => put(out, row.get::<_, Option<bool>>(i)),
        Type::DATE => put(out, row.get::<_, Option<NaiveDate>>(i)),
        Type::TIMESTAMP => put(out, row.get::<_, Option<NaiveDateTime>>(i)),
        Type::TIMESTAMPTZ => put(out, row.get::<_, Option<DateTime<Utc>>>(i)),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY => put(out, row.get::<_, Option<Vec<&str>>>(i)),
        Type::UUID_ARRAY => put(out, row.get::<_, Option<Vec<Uuid>>>(i)),
        // JSON is copied as PostgreSQL wrote it (jsonb: after its version byte).
        Type::JSON | Type::JSONB => match row.get::<_, Option<Raw>>(i) {
            Some(Raw(bytes)) if *ty == Type::JSONB => out.extend_from_slice(&bytes[1..]),
            Some(Raw(bytes)) => out.extend_from_slice(bytes),
            None => out.extend_from_slice(b"null"),
        },
        // Enums (their binary form is their label) and anything else, as a string.
        _ => put(
            out,
            row.get::<_, Option<Raw>>(i)
                .map(|Raw(b)| String::from_utf8_lossy(b).into_owned()),
        ),
    }
}

/// Rows as a JSON array.
pub fn write_rows(out: &mut Vec<u8>, rows: &[Row]) {
    out.push(b'[');
    for (n, row) in rows.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_row(out, row);
    }
    out.push(b']');
}
