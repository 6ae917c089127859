//! The `agrupa` command line: `serve` (default), `migrate`, `openapi`.

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
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return fail(&e.into()),
    };
    telemetry::init(config.log_format, &config.log_filter);
    let result = actix_web::rt::System::new().block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::Migrate => migrate(config).await,
            Command::Openapi => Ok(()),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let database = Database::resolve(&config).await?;
    let app = Application::build(config.clone(), database).await?;
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
    if let Some(embedded) = database.embedded {
        tokio::task::spawn_blocking(move || embedded.stop()).await?;
    }
    Ok(())
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
