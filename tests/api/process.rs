//! The real binary in zero-config mode: embedded PostgreSQL, graceful shutdown, data kept.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

struct Service {
    child: Child,
    port: u16,
    log: PathBuf,
}

/// A failed assertion must not leave the service (and its PostgreSQL) running.
impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(dir: &Path, run: u32) -> Service {
    start_with(dir, run, &[])
}

fn start_with(dir: &Path, run: u32, env: &[(&str, &str)]) -> Service {
    let port = free_port();
    let log = dir.join(format!("agrupa-{run}.log"));
    let out = std::fs::File::create(&log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_agrupa"))
        .env_remove("DATABASE_URL")
        .env("AGRUPA_DATA_DIR", dir.join("data"))
        .env("AGRUPA_ADDR", format!("127.0.0.1:{port}"))
        .env("AGRUPA_LOG_FORMAT", "json")
        .env("AGRUPA_WORKERS", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    Service { child, port, log }
}

async fn wait_ready(svc: &mut Service) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let url = format!("http://127.0.0.1:{}/readyz", svc.port);
    loop {
        if let Ok(res) = reqwest::get(&url).await
            && res.status() == 200
        {
            return;
        }
        if let Ok(Some(status)) = svc.child.try_wait() {
            panic!(
                "agrupa exited early ({status}): {}",
                std::fs::read_to_string(&svc.log).unwrap()
            );
        }
        assert!(
            Instant::now() < deadline,
            "not ready: {}",
            std::fs::read_to_string(&svc.log).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn signal(svc: &Service, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &svc.child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

async fn wait_exit(svc: &mut Service) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = svc.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "agrupa did not exit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// PostgreSQL processes whose command line mentions `dir`.
fn postgres_processes_on(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (text.contains("postgres") && text.contains(&needle)).then_some(text)
        })
        .collect()
}

async fn wait_no_postgres(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !postgres_processes_on(dir).is_empty() {
        assert!(
            Instant::now() < deadline,
            "left behind: {:?}",
            postgres_processes_on(dir)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn socket_url(dir: &Path) -> String {
    let root = std::path::absolute(dir.join("data").join("pg")).unwrap();
    let sock = root.join("run");
    assert!(sock.exists(), "socket folder {sock:?}");
    format!(
        "host='{}' port=5432 user=agrupa dbname=agrupa",
        sock.display()
    )
}

#[tokio::test]
async fn zero_config_run_keeps_data_and_leaves_no_postgres_behind() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("zero-config-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();

    // First run: create the cluster, serve, commit a row, stop with SIGTERM.
    let mut svc = start(&dir, 1);
    wait_ready(&mut svc).await;
    let res = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/healthz", svc.port))
        .header("x-request-id", "process-test-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut conn = AsyncPgConnection::establish(&socket_url(&dir))
        .await
        .unwrap();
    conn.batch_execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('año ñandú')")
        .await
        .unwrap();
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let members: Count = diesel::sql_query("SELECT count(*) AS n FROM members")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        members.n, 40,
        "the first zero-config start loads the demo register"
    );
    drop(conn);
    signal(&svc, "-TERM");
    assert!(wait_exit(&mut svc).await.success(), "clean exit on SIGTERM");
    wait_no_postgres(&dir).await;
    assert!(
        !dir.join("data/pg/data/postmaster.pid").exists(),
        "postgres shut down cleanly"
    );

    // The access log line carries the caller's request id, in JSON.
    let log = std::fs::read_to_string(&svc.log).unwrap();
    let access: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.to_string().contains("process-test-1"))
        .collect();
    assert!(
        access.iter().any(|v| v["message"] == "access"
            && v["status"] == 200
            && v["span"]["route"] == "/healthz"
            && v["span"]["method"] == "GET"
            && v["latency_ms"].is_number()),
        "{log}"
    );

    // The first zero-config start created a development admin and printed it, once.
    assert_eq!(log.matches("Development admin created").count(), 1, "{log}");

    // Second run: the committed row survived; then SIGKILL still stops PostgreSQL.
    let mut svc = start(&dir, 2);
    wait_ready(&mut svc).await;
    let log2 = std::fs::read_to_string(&svc.log).unwrap();
    assert!(
        !log2.contains("Development admin created"),
        "printed only on the first start"
    );
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let mut conn = AsyncPgConnection::establish(&socket_url(&dir))
        .await
        .unwrap();
    let rows: Vec<Row> = diesel::sql_query("SELECT v FROM kept")
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].v, "año ñandú");
    drop(conn);
    signal(&svc, "-KILL");
    wait_exit(&mut svc).await;
    wait_no_postgres(&dir).await;

    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn openapi_command_prints_the_spec() {
    let out = Command::new(env!("CARGO_BIN_EXE_agrupa"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(out.status.success());
    let spec: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(spec["info"]["title"], "agrupa");
}

#[test]
fn production_without_database_url_refuses_to_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_agrupa"))
        .env_remove("DATABASE_URL")
        .env("AGRUPA_ENV", "production")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DATABASE_URL"), "{err}");
}

#[test]
fn missing_postgres_binaries_name_both_ways_out() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("nobin-{}", uuid::Uuid::new_v4().simple()));
    let out = Command::new(env!("CARGO_BIN_EXE_agrupa"))
        .env_remove("DATABASE_URL")
        .env("AGRUPA_DATA_DIR", &dir)
        .env("AGRUPA_PG_BIN", "/nonexistent")
        .env("AGRUPA_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("AGRUPA_PG_BIN"), "{err}");
    assert!(err.contains("install PostgreSQL"), "{err}");
    assert!(
        err.contains("DATABASE_URL") && err.contains("docker compose up"),
        "{err}"
    );
}

fn admin_create(dir: &Path, email: &str, password: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_agrupa"))
        .args([
            "admin",
            "create",
            "--email",
            email,
            "--name",
            "Gestora del clúster",
        ])
        .env_remove("DATABASE_URL")
        .env("AGRUPA_DATA_DIR", dir.join("data"))
        .env("AGRUPA_ADMIN_PASSWORD", password)
        .env("AGRUPA_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(!text.contains(password), "the password is never printed");
    text
}

#[tokio::test]
async fn admin_create_is_idempotent_and_no_secret_reaches_the_logs() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("secrets-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let password = "contraseña-secreta-del-clúster";
    assert!(admin_create(&dir, "gestora@cluster.es", password).contains("created"));
    let again = admin_create(&dir, "Gestora@Cluster.es", password);
    assert!(
        again.contains("already exists") && again.contains("nothing changed"),
        "{again}"
    );

    let mut svc = start_with(&dir, 1, &[("AGRUPA_LOG", "debug")]);
    wait_ready(&mut svc).await;
    let base = format!("http://127.0.0.1:{}", svc.port);
    let http = reqwest::Client::new();
    let form = |pairs: &[(&str, &str)]| serde_urlencoded::to_string(pairs).unwrap();
    let post_form = |body: String| {
        http.post(format!("{base}/api/v1/auth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let bad = post_form(form(&[
        ("grant_type", "password"),
        ("username", "gestora@cluster.es"),
        ("password", "adivina-adivinanza"),
    ]))
    .await
    .unwrap();
    assert_eq!(bad.status(), 400);
    let tokens: serde_json::Value = post_form(form(&[
        ("grant_type", "password"),
        ("username", "gestora@cluster.es"),
        ("password", password),
    ]))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let client: serde_json::Value = http
        .post(format!("{base}/api/v1/api-clients"))
        .bearer_auth(&access)
        .json(&serde_json::json!({"name": "Ministerio"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = client["client_secret"].as_str().unwrap().to_owned();
    let client_tokens: serde_json::Value = post_form(form(&[
        ("grant_type", "client_credentials"),
        ("client_id", client["client_id"].as_str().unwrap()),
        ("client_secret", &secret),
    ]))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let client_access = client_tokens["access_token"].as_str().unwrap().to_owned();
    let refreshed: serde_json::Value = post_form(form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &refresh),
    ]))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let refresh2 = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        http.get(format!("{base}/api/v1/me"))
            .bearer_auth(&client_access)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    signal(&svc, "-TERM");
    wait_exit(&mut svc).await;

    let log = std::fs::read_to_string(&svc.log).unwrap();
    assert!(
        log.contains("sign-in failed") && log.contains("signed in"),
        "sign-ins are logged: {log}"
    );
    for (what, secret) in [
        ("password", password),
        ("wrong password", "adivina-adivinanza"),
        ("access token", access.as_str()),
        ("refresh token", refresh.as_str()),
        ("second refresh token", refresh2.as_str()),
        ("client secret", secret.as_str()),
        ("client access token", client_access.as_str()),
    ] {
        assert!(!log.contains(secret), "the {what} appears in the log");
    }
    assert!(
        !log.contains("gestora@cluster.es"),
        "no personal data (e-mails) in the log"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
