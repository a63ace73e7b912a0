//! The `tessera` command: `start` serves the API and web app (and runs background jobs),
//! `worker` runs background jobs only, `migrate` prepares the database.

use clap::{Parser, Subcommand};
use mimalloc::MiMalloc;
use tessera_server::config::{Config, ServeArgs};
use tessera_server::startup::Application;

/// mimalloc instead of glibc's allocator: imports and exports allocate many small values across
/// threads, where glibc's arenas fragment and hold on to freed memory.
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "Tessera: a Label Studio-compatible data-labeling server"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (the default).
    Start(ServeArgs),
    /// Run background jobs and maintenance without serving HTTP (same options as `start`;
    /// `--workers` sets how many jobs run at once).
    Worker(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(ServeArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tessera_server::telemetry::init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Migrate(args)) => {
            let config = Config::from_args(args)?;
            let db = tessera_db::Db::connect(&config.database_url, 2).await?;
            db.migrate().await?;
            println!(
                "migrations applied to {}",
                tessera_db::redact_url(&config.database_url)
            );
            Ok(())
        }
        Some(Command::Start(args)) => serve(args).await,
        Some(Command::Worker(args)) => {
            tessera_server::startup::run_worker(Config::from_args(args)?).await
        }
        None => serve(cli.serve).await,
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::from_args(args)?;
    let app = Application::build(config).await?;
    app.run_until_stopped().await
}
