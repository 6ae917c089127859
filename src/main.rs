//! The `agrupa` command line: `serve` (default), `migrate`, `openapi`, `seed`, `admin`,
//! `backup`, `restore`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use agrupa::{Application, Database, config::Config, telemetry};

/// agrupa: the open JSON REST API that runs an innovative business cluster.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default). Without DATABASE_URL, starts an embedded PostgreSQL.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (JSON) to standard output.
    Openapi,
    /// Load data: `demo` (an audiovisual cluster in Madrid) or `synthetic` (bulk, for benchmarks).
    Seed {
        #[command(subcommand)]
        what: SeedWhat,
    },
    /// Administration tasks.
    Admin {
        #[command(subcommand)]
        task: AdminTask,
    },
    /// Render one printable document: a job (JSON) on standard input, the PDF on standard
    /// output. Run by the server itself, in a child process per document.
    #[command(hide = true, name = agrupa::http::pdf::SUBCOMMAND)]
    RenderPdf,
    /// Write a consistent backup of the database (pg_dump, custom format) to FILE, and the
    /// row counts and checksums of its tables to FILE.manifest.json. Works while agrupa
    /// serves (on the embedded PostgreSQL too).
    Backup {
        /// Where to write the backup (mode 0600; replaced if it exists).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Restore a backup into an empty database (the embedded one, or DATABASE_URL), in one
    /// transaction, and check every table against the backup's manifest.
    Restore {
        /// The backup written by `agrupa backup`.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Restore into a database that has tables: first drop its `public` schema with
        /// everything in it.
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Debug, Subcommand)]
enum SeedWhat {
    /// The demo register (idempotent: running it again changes nothing).
    Demo,
    /// Synthetic members (with segments, a contact and two years of dues) after the demo data.
    Synthetic {
        /// How many members.
        #[arg(long)]
        members: i64,
    },
}

#[derive(Debug, Subcommand)]
enum AdminTask {
    /// Create an admin user (password from AGRUPA_ADMIN_PASSWORD, or prompted on a
    /// terminal). Does nothing when a user with this e-mail exists.
    Create {
        /// The admin's e-mail (sign-in name).
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        return match serde_json::to_string_pretty(&agrupa::openapi_spec()) {
            Ok(json) => {
                println!("{json}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => fail(&anyhow::anyhow!(e)),
        };
    }
    if let Some(Command::RenderPdf) = cli.command {
        // No configuration, no logging: standard output is the document.
        return match agrupa::http::pdf::serve_job(std::io::stdin().lock(), std::io::stdout().lock())
        {
            Ok(()) => {
                if let Some(report) = agrupa::http::pdf::peak_rss_report() {
                    use std::io::Write as _;
                    // For the server's log; a failure to write it is no failure of the render.
                    let _ = writeln!(std::io::stderr(), "{report}");
                }
                std::process::ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        };
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return fail(&e.into()),
    };
    // Held to the end of `main`: dropping it writes out the queued log lines (after the
    // server stopped on SIGTERM), so none is lost.
    let log_guard = telemetry::init(config.log_format, &config.log_filter);
    let result = actix_web::rt::System::new().block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::Migrate => migrate(config).await,
            Command::Admin {
                task: AdminTask::Create { email, name },
            } => create_admin(config, &email, &name).await,
            Command::Seed { what } => seed(config, what).await,
            Command::Backup { out } => backup(config, &out).await,
            Command::Restore { file, replace } => restore(config, &file, replace).await,
            Command::Openapi | Command::RenderPdf => Ok(()),
        }
    });
    let code = match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => fail(&e),
    };
    drop(log_guard);
    code
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let database = Database::resolve(&config).await?;
    let zero_config = database.embedded.is_some();
    let app = Application::build(config.clone(), database).await?;
    if zero_config && config.env == agrupa::config::Environment::Development {
        ensure_dev_admin(&app).await?;
    }
    tracing::info!(
        addr = %config.addr,
        port = app.port(),
        swagger_ui = format!("http://{}/swagger-ui/", display_addr(&config.addr, app.port())),
        "agrupa is listening"
    );
    app.run_until_stopped().await
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    let database = Database::resolve(&config).await?;
    let applied = agrupa::db::run_migrations(&database.url).await?;
    tracing::info!(count = applied.len(), "migrations applied");
    database.close().await
}

async fn backup(config: Config, out: &std::path::Path) -> anyhow::Result<()> {
    let database = Database::resolve_shared(&config).await?;
    let started = std::time::Instant::now();
    let result = agrupa::db::backup::backup(&database.url, config.pg_bin.as_deref(), out).await;
    database.close().await?;
    let manifest = result?;
    println!(
        "Backup written to {} ({} tables, {} rows, snapshot of {}) in {:.1} s; manifest: {}",
        out.display(),
        manifest.tables.len(),
        manifest.rows(),
        manifest.taken_at,
        started.elapsed().as_secs_f64(),
        agrupa::db::backup::manifest_path(out).display()
    );
    Ok(())
}

async fn restore(config: Config, file: &std::path::Path, replace: bool) -> anyhow::Result<()> {
    let database = Database::resolve_shared(&config).await?;
    let result =
        agrupa::db::backup::restore(&database.url, config.pg_bin.as_deref(), file, replace).await;
    database.close().await?;
    let restored = result?;
    let rows: i64 = restored.tables.iter().map(|t| t.rows).sum();
    println!(
        "Restored {} ({} tables, {} rows); {}",
        file.display(),
        restored.tables.len(),
        rows,
        if restored.verified {
            "every table matches the backup's manifest"
        } else {
            "no manifest next to the backup, so nothing was compared"
        }
    );
    Ok(())
}

async fn seed(config: Config, what: SeedWhat) -> anyhow::Result<()> {
    let database = Database::resolve(&config).await?;
    agrupa::db::run_migrations(&database.url).await?;
    let pool = agrupa::db::build_pool(&database.url, 1, config.db_timeout)?;
    let mut conn = pool.get().await?;
    let demo = agrupa::seed::demo::seed(&mut conn).await?;
    if demo.is_empty() {
        println!("Demo data: already loaded; nothing changed.");
    } else {
        println!("Demo data loaded: {demo:?}");
    }
    if let SeedWhat::Synthetic { members } = what {
        let started = std::time::Instant::now();
        let generated = agrupa::seed::synthetic::generate(&mut conn, members).await?;
        println!(
            "Synthetic members: {} (numbers {} to {}) in {:.1} s",
            generated.members,
            generated.first,
            generated.first + generated.members - 1,
            started.elapsed().as_secs_f64()
        );
    }
    drop(conn);
    pool.close();
    database.close().await
}

/// Zero-config first start: a development admin, its password printed once.
async fn ensure_dev_admin(app: &Application) -> anyhow::Result<()> {
    let mut conn = app.pool().get().await?;
    if !agrupa::users::is_empty(&mut conn).await? {
        return Ok(());
    }
    let demo = agrupa::seed::demo::seed(&mut conn).await?;
    tracing::info!(
        members = demo.members,
        "demo register loaded (first zero-config start)"
    );
    let email = "admin@agrupa.local";
    let password = agrupa::auth::tokens::random_token();
    agrupa::users::bootstrap_admin(
        &mut conn,
        email,
        "Administrador (desarrollo)",
        password.clone(),
    )
    .await?;
    // Printed to the console on purpose (never logged): development, zero-config mode only.
    println!(
        "\n  Development admin created (shown once):\n    e-mail:   {email}\n    password: {password}\n  \
         Sign in through Swagger UI's Authorize button (OAuth2 password flow).\n"
    );
    Ok(())
}

async fn create_admin(config: Config, email: &str, name: &str) -> anyhow::Result<()> {
    let database = Database::resolve(&config).await?;
    agrupa::db::run_migrations(&database.url).await?;
    let password = match std::env::var("AGRUPA_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            use std::io::IsTerminal;
            anyhow::ensure!(
                std::io::stdin().is_terminal(),
                "set AGRUPA_ADMIN_PASSWORD (no terminal to prompt on)"
            );
            let first = rpassword::prompt_password("Password (12+ characters): ")?;
            let again = rpassword::prompt_password("Repeat: ")?;
            anyhow::ensure!(first == again, "the passwords differ");
            first
        }
    };
    let pool = agrupa::db::build_pool(&database.url, 1, config.db_timeout)?;
    let mut conn = pool.get().await?;
    let outcome = agrupa::users::bootstrap_admin(&mut conn, email, name, password).await?;
    drop(conn);
    pool.close();
    match outcome {
        agrupa::users::Bootstrap::Created(id) => println!("Admin {email} created (id {id})."),
        agrupa::users::Bootstrap::Exists(id) => {
            println!("A user with e-mail {email} already exists (id {id}); nothing changed.")
        }
    }
    database.close().await
}

fn display_addr(addr: &str, port: u16) -> String {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    format!("{host}:{port}")
}

#[expect(
    clippy::print_stderr,
    reason = "the error of last resort goes to stderr"
)]
fn fail(e: &anyhow::Error) -> std::process::ExitCode {
    eprintln!("agrupa: {e:#}");
    std::process::ExitCode::FAILURE
}
