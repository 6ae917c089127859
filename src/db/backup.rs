//! `agrupa backup` and `agrupa restore`: a consistent `pg_dump` of the database (custom
//! format), and its restore into an empty database, checked table by table.
//!
//! The backup exports a snapshot (`pg_export_snapshot`) and holds it while
//! `pg_dump --snapshot` reads it; in the same snapshot it counts the rows of every table
//! and computes a checksum of their contents. Those go into a manifest next to the dump
//! (`FILE.manifest.json`), so a restore can prove it holds exactly what the snapshot held,
//! however many writes happened while the backup ran.
//!
//! The restore refuses a database that already has tables unless told to replace them,
//! restores in one transaction (all or nothing), then compares every table with the
//! manifest. The client programs come from the same PostgreSQL installation as the embedded
//! server's (`AGRUPA_PG_BIN`, the newest `/usr/lib/postgresql/*/bin`, then `PATH`).

use std::{
    fs,
    io::Write,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
    process::{Command, Output},
};

use anyhow::{Context, bail};
use diesel::{QueryableByName, sql_types::Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde::{Deserialize, Serialize};

use super::embedded::find_tool;

/// One table as the backup's snapshot saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, QueryableByName)]
pub struct TableSum {
    /// `schema.table`, quoted where needed.
    #[diesel(sql_type = Text)]
    pub table: String,
    /// Its rows.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub rows: i64,
    /// md5 of the sorted md5s of its rows' text forms (empty for an empty table).
    #[diesel(sql_type = Text)]
    pub checksum: String,
}

/// What a backup holds: written next to the dump as `FILE.manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// When the snapshot was taken (the server's clock, UTC).
    pub taken_at: String,
    /// Every table of the database, by name.
    pub tables: Vec<TableSum>,
}

impl Manifest {
    /// The rows of every table together.
    pub fn rows(&self) -> i64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// The manifest's path for a backup file.
pub fn manifest_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".manifest.json");
    PathBuf::from(name)
}

/// Writes a consistent backup of the database behind `url` to `out` (mode 0600: it holds
/// personal data and password hashes) and its manifest, and returns the manifest. A failed
/// backup leaves no file at `out`.
pub async fn backup(url: &str, pg_bin: Option<&Path>, out: &Path) -> anyhow::Result<Manifest> {
    let pg_dump = find_tool("pg_dump", pg_bin)?;
    let mut conn = AsyncPgConnection::establish(url).await?;
    conn.batch_execute(STABLE_TEXT).await?;
    conn.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    #[derive(QueryableByName)]
    struct Snapshot {
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = Text)]
        taken_at: String,
    }
    let snapshot: Snapshot = diesel::sql_query(
        "SELECT pg_export_snapshot() AS id, \
         to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS taken_at",
    )
    .get_result(&mut conn)
    .await?;

    let partial = with_suffix(out, ".partial");
    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let (conninfo, password) = split_password(url);
    let mut dump = Command::new(&pg_dump);
    dump.args(["--format=custom", "--no-password"])
        .arg(format!("--snapshot={}", snapshot.id))
        .arg(format!("--dbname={conninfo}"))
        .stdout(file);
    if let Some(p) = password {
        dump.env("PGPASSWORD", p);
    }
    // pg_dump reads the snapshot while this transaction, which holds it, sums the tables.
    let dumping = tokio::task::spawn_blocking(move || dump.output());
    let sums = table_sums(&mut conn).await;
    let dumped = dumping.await?;
    conn.batch_execute("COMMIT").await?;
    let outcome = check_tool("pg_dump", dumped).and(sums);
    let tables = match outcome {
        Ok(tables) => tables,
        Err(e) => {
            let _ = fs::remove_file(&partial);
            return Err(e);
        }
    };
    let manifest = Manifest {
        taken_at: snapshot.taken_at,
        tables,
    };
    write_new(&manifest_path(out), &serde_json::to_vec_pretty(&manifest)?)?;
    fs::rename(&partial, out).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(manifest)
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// The tables now in the database, with their rows.
    pub tables: Vec<TableSum>,
    /// Whether a manifest was found and every table matched it.
    pub verified: bool,
}

/// Restores the backup `file` into the database behind `url`, which must have no tables
/// unless `replace` (then its `public` schema is dropped with everything in it first), and
/// checks every table against the backup's manifest when there is one.
pub async fn restore(
    url: &str,
    pg_bin: Option<&Path>,
    file: &Path,
    replace: bool,
) -> anyhow::Result<Restored> {
    let pg_restore = find_tool("pg_restore", pg_bin)?;
    anyhow::ensure!(file.is_file(), "no backup at {}", file.display());
    let manifest: Option<Manifest> = match fs::read(manifest_path(file)) {
        Ok(bytes) => Some(
            serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a manifest", manifest_path(file).display()))?,
        ),
        Err(_) => None,
    };
    let mut conn = AsyncPgConnection::establish(url).await?;
    let existing = user_tables(&mut conn).await?;
    if existing > 0 {
        if !replace {
            bail!(
                "the database already has {existing} tables; restore into an empty database, \
                 or pass --replace to drop its public schema and everything in it first"
            );
        }
        conn.batch_execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
            .await?;
        let left = user_tables(&mut conn).await?;
        anyhow::ensure!(
            left == 0,
            "{left} tables outside the public schema were kept; the restore needs an empty database"
        );
    }
    let (conninfo, password) = split_password(url);
    let mut cmd = Command::new(&pg_restore);
    cmd.args([
        "--exit-on-error",
        "--single-transaction",
        "--no-owner",
        "--no-privileges",
        "--no-password",
    ])
    .arg(format!("--dbname={conninfo}"))
    .arg(file);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    check_tool(
        "pg_restore",
        tokio::task::spawn_blocking(move || cmd.output()).await?,
    )?;
    conn.batch_execute(STABLE_TEXT).await?;
    let tables = table_sums(&mut conn).await?;
    let Some(manifest) = manifest else {
        return Ok(Restored {
            tables,
            verified: false,
        });
    };
    let differ: Vec<String> = manifest
        .tables
        .iter()
        .filter(|want| !tables.contains(want))
        .map(|want| want.table.clone())
        .chain(
            tables
                .iter()
                .filter(|got| !manifest.tables.iter().any(|w| w.table == got.table))
                .map(|got| format!("{} (not in the backup)", got.table)),
        )
        .collect();
    anyhow::ensure!(
        differ.is_empty(),
        "the restored database differs from the backup's manifest in: {}",
        differ.join(", ")
    );
    Ok(Restored {
        tables,
        verified: true,
    })
}

/// Session settings that make a row's text form the same on every server (time zone,
/// date, interval and float formats).
const STABLE_TEXT: &str = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; \
    SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex'";

/// Rows and a checksum of every table (user schemas), by name. The checksum is over the
/// sorted md5s of the rows' text forms: 33 bytes a row in memory, whatever the row's size.
pub async fn table_sums(conn: &mut AsyncPgConnection) -> anyhow::Result<Vec<TableSum>> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let names: Vec<Name> = diesel::sql_query(
        "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    )
    .load(conn)
    .await?;
    let mut sums = Vec::with_capacity(names.len());
    for Name { name } in names {
        // `name` comes from format('%I.%I'): quoted by the server itself.
        let sum: TableSum = diesel::sql_query(format!(
            "SELECT $1 AS table, count(*) AS rows, \
             coalesce(md5(string_agg(md5(t::text), ',' ORDER BY md5(t::text))), '') AS checksum \
             FROM {name} t"
        ))
        .bind::<Text, _>(&name)
        .get_result(conn)
        .await?;
        sums.push(sum);
    }
    Ok(sums)
}

/// Relations (tables, views, sequences…) in the database's own schemas.
async fn user_tables(conn: &mut AsyncPgConnection) -> anyhow::Result<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace \
         WHERE s.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND s.nspname NOT LIKE 'pg\\_toast%' AND s.nspname NOT LIKE 'pg\\_temp%' \
           AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')",
    )
    .get_result(conn)
    .await?;
    Ok(count.n)
}

fn check_tool(name: &str, output: std::io::Result<Output>) -> anyhow::Result<()> {
    let output = output.with_context(|| format!("cannot run {name}"))?;
    if !output.status.success() {
        bail!(
            "{name} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}

/// The connection string without its password, and the password: the client programs get
/// it through `PGPASSWORD`, so it never shows in the process list.
fn split_password(url: &str) -> (String, Option<String>) {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, tail) = rest
            .find(['/', '?'])
            .map_or((rest, ""), |i| rest.split_at(i));
        if let Some((userinfo, host)) = authority.rsplit_once('@')
            && let Some((user, password)) = userinfo.split_once(':')
        {
            return (
                format!("{scheme}://{user}@{host}{tail}"),
                Some(percent_decode(password)),
            );
        }
        return (url.to_owned(), None);
    }
    let mut password = None;
    let kept: Vec<&str> = url
        .split_whitespace()
        .filter(|kv| match kv.strip_prefix("password=") {
            Some(p) => {
                password = Some(p.trim_matches('\'').to_owned());
                false
            }
            None => true,
        })
        .collect();
    (kept.join(" "), password)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_connection_string() {
        assert_eq!(
            split_password("postgres://agrupa:s%40cret@db:5432/agrupa?sslmode=require"),
            (
                "postgres://agrupa@db:5432/agrupa?sslmode=require".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://agrupa@db/agrupa"),
            ("postgres://agrupa@db/agrupa".to_owned(), None)
        );
        assert_eq!(
            split_password("host=/run/pg user=a password=pw dbname=x"),
            (
                "host=/run/pg user=a dbname=x".to_owned(),
                Some("pw".to_owned())
            )
        );
        assert_eq!(
            manifest_path(Path::new("/b/agrupa.dump")),
            PathBuf::from("/b/agrupa.dump.manifest.json")
        );
    }
}
