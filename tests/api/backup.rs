//! `agrupa backup` while writes run, and `agrupa restore` into an empty database: every table
//! of the restored database holds what the backup's snapshot held (row counts and checksums,
//! recomputed here from the manifest), the snapshot is consistent across tables, and a
//! database that has tables is refused unless `--replace`.

use std::{
    collections::HashMap,
    process::Command,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use diesel::{QueryableByName, sql_types::Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

/// Runs the binary with `DATABASE_URL`; its success and what it printed.
async fn agrupa(args: &[&str], database_url: &str) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agrupa"));
    cmd.args(args)
        .env("DATABASE_URL", database_url)
        .env("AGRUPA_LOG", "warn");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Sum {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    rows: i64,
    #[diesel(sql_type = Text)]
    checksum: String,
}

#[tokio::test]
async fn a_backup_taken_under_write_load_restores_table_for_table() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agrupa.dump");
    let file_arg = file.to_str().unwrap().to_owned();

    // Writes all along the backup: each a category and its audit event, in one transaction.
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (client, url, token) = (
                app.client.clone(),
                app.url("/api/v1/member-categories"),
                admin.token.clone(),
            );
            let (stop, acknowledged) = (stop.clone(), acknowledged.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !AtomicBool::load(&stop, Ordering::Relaxed) {
                    i += 1;
                    let name = format!("carga-{w}-{i}");
                    let res = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({"name": name, "annual_fee_cents": i}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 201);
                    acknowledged.lock().unwrap().push(name);
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < 30 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    let (ok, out) = agrupa(&["backup", "--out", &file_arg], &app.db_url).await;
    let after_backup = acknowledged.lock().unwrap().len();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    assert!(ok, "{out}");
    assert!(out.contains("Backup written"), "{out}");
    assert!(
        after_backup > before.len(),
        "writes went on while the backup ran"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a backup holds personal data");
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("agrupa.dump.manifest.json")).unwrap(),
    )
    .unwrap();
    let tables = manifest["tables"].as_array().unwrap();
    assert!(tables.len() > 30, "every table: {manifest}");

    // An empty database of the same server.
    let target = format!("{}_restored", app.db_name);
    app.admin_sql(&format!("CREATE DATABASE {target}")).await;
    let target_url = app.db_url.replace(&app.db_name, &target);
    let (ok, out) = agrupa(&["restore", &file_arg], &target_url).await;
    assert!(ok, "{out}");
    assert!(out.contains("every table matches"), "{out}");

    // Table for table, as the snapshot saw them.
    let mut conn = AsyncPgConnection::establish(&target_url).await.unwrap();
    conn.batch_execute(
        "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; \
         SET extra_float_digits = 3; SET bytea_output = 'hex'",
    )
    .await
    .unwrap();
    let mut rows = HashMap::new();
    for table in tables {
        let name = table["table"].as_str().unwrap();
        let sum: Sum = diesel::sql_query(format!(
            "SELECT count(*) AS rows, \
             coalesce(md5(string_agg(md5(t::text), ',' ORDER BY md5(t::text))), '') AS checksum \
             FROM {name} t"
        ))
        .get_result(&mut conn)
        .await
        .unwrap();
        let want = Sum {
            rows: table["rows"].as_i64().unwrap(),
            checksum: table["checksum"].as_str().unwrap().to_owned(),
        };
        assert_eq!(sum, want, "{name}");
        rows.insert(name.to_owned(), sum.rows);
    }
    assert_eq!(rows["public.users"], 1);

    // Consistent: every write acknowledged before the backup is there, and each category
    // has its audit event (the two tables come from one snapshot).
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let restored: Vec<String> =
        diesel::sql_query("SELECT name FROM member_categories WHERE name LIKE 'carga-%'")
            .load::<Name>(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.name)
            .collect();
    assert!(before.iter().all(|n| restored.contains(n)));
    assert!(restored.len() <= after_backup);
    let orphans: Sum = diesel::sql_query(
        "SELECT (SELECT count(*) FROM member_categories c WHERE c.name LIKE 'carga-%' \
                   AND NOT EXISTS (SELECT 1 FROM audit_events e \
                                   WHERE e.resource_id = c.id AND e.action = 'created')) \
              + (SELECT count(*) FROM audit_events e \
                 WHERE e.resource_type = 'member_category' AND e.action = 'created' \
                   AND NOT EXISTS (SELECT 1 FROM member_categories c WHERE c.id = e.resource_id)) \
                AS rows, '' AS checksum",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        orphans.rows, 0,
        "categories and audit events from one snapshot"
    );
    drop(conn);

    // The database has tables now: refused, unless told to replace them.
    let (ok, out) = agrupa(&["restore", &file_arg], &target_url).await;
    assert!(!ok && out.contains("--replace"), "{out}");
    let (ok, out) = agrupa(&["restore", "--replace", &file_arg], &target_url).await;
    assert!(ok && out.contains("every table matches"), "{out}");
    app.admin_sql(&format!("DROP DATABASE {target} WITH (FORCE)"))
        .await;
}
