//! `depot`: the one binary.
//!
//! - `depot serve`: the HTTP server on the embedded SQLite store (see `serve.rs`).
//! - `depot api METHOD PATH`: a raw call with the client's backoff (see `api.rs`).
//! - `depot migrate-store --from URL --to URL`: SQLite to PostgreSQL and back (see
//!   `migrate.rs`).
//! - `depot clients create|list|delete`: OAuth clients, straight on the data dir, so a
//!   fresh install can be administered before any token exists (see `clients.rs`).

mod api;
mod clients;
mod migrate;
mod serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// jemalloc rather than glibc's malloc: a request allocates and frees many small buffers
/// across threads, and glibc's malloc was about a sixth of a list request's CPU. With
/// jemalloc list and POST served about 20 % more requests per CPU second; mimalloc did as
/// well but nearly doubled the peak RSS (bench/README.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "depot",
    version,
    about = "A JSON REST backend whose every response tells the truth"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve(serve::ServeArgs),
    /// Call the API: `depot api GET /v1/projects`, with retries and backoff.
    Api(api::ApiArgs),
    /// Copy a deployment between stores (sqlite://<data-dir>, postgres://...).
    MigrateStore(migrate::MigrateArgs),
    /// Manage OAuth clients directly in the data dir.
    #[command(subcommand)]
    Clients(clients::ClientsCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("depot: can't start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Clients(cmd) => clients::run(cmd).await,
            Command::Api(args) => api::run(args).await,
            Command::MigrateStore(args) => migrate::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("depot: {e:#}");
            ExitCode::FAILURE
        }
    }
}
