//! The test database server and its migrated template.
//!
//! The server is `AGRUPA_TEST_DATABASE_URL` when set (a connection string to any database of
//! a server where the user may create databases), otherwise a private, throw-away PostgreSQL
//! started from the installed binaries (the mechanism of the zero-config mode), shared by all
//! tests of this process and shut down when it exits. Each test's database is a copy of one
//! migrated template, which costs a file copy instead of the migrations.

use std::{path::PathBuf, sync::OnceLock};

use agrupa::db::{
    self,
    embedded::{EmbeddedOptions, EmbeddedPostgres},
};
use tokio::sync::OnceCell;

/// Where test databases are created.
struct Server {
    /// Connection string to the maintenance database.
    admin_url: String,
    /// Builds a connection string for another database of the same server.
    url_for: Box<dyn Fn(&str) -> String + Send + Sync>,
    _embedded: Option<EmbeddedPostgres>,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static TEMPLATE: OnceCell<String> = OnceCell::const_new();

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("AGRUPA_TEST_DATABASE_URL") {
            let base = url.clone();
            return Server {
                admin_url: url,
                url_for: Box::new(move |db| replace_dbname(&base, db)),
                _embedded: None,
            };
        }
        let root = test_cluster_dir();
        let pg = EmbeddedPostgres::start(&EmbeddedOptions {
            root,
            bin_dir: std::env::var_os("AGRUPA_PG_BIN").map(PathBuf::from),
            ephemeral: true,
        })
        .expect("start the test PostgreSQL (install PostgreSQL or set AGRUPA_TEST_DATABASE_URL)");
        let admin_url = pg.database_url("postgres");
        let template = pg.database_url("");
        Server {
            admin_url,
            url_for: Box::new(move |db| template.replace("dbname=", &format!("dbname={db}"))),
            _embedded: Some(pg),
        }
    })
}

/// A per-process cluster folder; folders of processes that are gone are removed.
fn test_cluster_dir() -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("test-pg");
    std::fs::create_dir_all(&base).unwrap();
    for entry in std::fs::read_dir(&base).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(pid) = name.strip_prefix("pid-")
            && !PathBuf::from(format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    base.join(format!("pid-{}", std::process::id()))
}

fn replace_dbname(url: &str, db: &str) -> String {
    if url.contains("://") {
        let (head, tail) = url
            .split_once('?')
            .map_or((url, None), |(h, t)| (h, Some(t)));
        let cut = head.rfind('/').unwrap();
        let mut out = format!("{}/{db}", &head[..cut]);
        if let Some(t) = tail {
            out.push('?');
            out.push_str(t);
        }
        out
    } else {
        let mut parts: Vec<String> = url
            .split_whitespace()
            .filter(|kv| !kv.starts_with("dbname="))
            .map(str::to_owned)
            .collect();
        parts.push(format!("dbname={db}"));
        parts.join(" ")
    }
}

/// Creates (once per process) the migrated template database.
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let server = server();
            let name = format!("agrupa_tpl_{}", std::process::id());
            db::create_database(&server.admin_url, &name, None)
                .await
                .unwrap();
            db::run_migrations(&(server.url_for)(&name)).await.unwrap();
            name
        })
        .await
}

/// A fresh database copied from the template: its name and connection string.
pub(super) async fn fresh_database() -> (String, String) {
    let template = template().await;
    let server = server();
    let name = format!("agrupa_test_{}", uuid::Uuid::new_v4().simple());
    db::create_database(&server.admin_url, &name, Some(template))
        .await
        .unwrap();
    let url = (server.url_for)(&name);
    (name, url)
}

/// The connection string of the server's maintenance database.
pub(super) fn admin_url() -> &'static str {
    &server().admin_url
}
