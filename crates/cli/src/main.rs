//! `depot`: the one binary.
//!
//! - `depot serve`: the HTTP server on the embedded SQLite store (see `serve.rs`).
//! - `depot api METHOD PATH`: a raw call with the client's backoff (see `api.rs`).
//! - `depot migrate-store --from URL --to URL`: SQLite to PostgreSQL and back (see
//!   `migrate.rs`).
//! - `depot clients create|list|delete`: OAuth clients, straight on the data dir, so a
//!   fresh install can be administered before any token exists (see `clients.rs`).
//! - `depot restore FILE --data-dir DIR` and `depot check`: a backup swapped into a
//!   stopped server's data dir, and a data dir's database checked (see `offline.rs`).
//! - `depot export --out FILE` and `depot import FILE`: every record of a running
//!   server as NDJSON, and back (see `export.rs`, `import.rs`; `progress.rs` draws
//!   their progress). `connect.rs`: how `api`, `export` and `import` reach a server.

mod api;
mod clients;
mod connect;
mod export;
mod import;
mod migrate;
mod offline;
mod progress;
mod serve;
mod settings;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
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
    Serve(Box<serve::ServeArgs>),
    /// Call the API: `depot api GET /v1/projects`, with retries and backoff.
    Api(api::ApiArgs),
    /// Copy a deployment between stores (sqlite://<data-dir>, postgres://...).
    MigrateStore(migrate::MigrateArgs),
    /// Manage OAuth clients directly in the store (the data dir's, or --database-url's).
    #[command(subcommand)]
    Clients(clients::ClientsCommand),
    /// Restore a backup into a data dir whose server is stopped (the old database is
    /// kept aside).
    Restore(offline::RestoreArgs),
    /// Check a data dir's database: integrity, schema version, what it holds, sizes.
    Check(offline::CheckArgs),
    /// Write every record of a running server to an NDJSON file.
    Export(export::ExportArgs),
    /// Read an NDJSON export into a running server; run again, it adds only what is
    /// missing.
    Import(import::ImportArgs),
}

/// At most this many I/O readiness events are taken per turn of tokio's I/O driver
/// (tokio's default is 1024).
///
/// Why: each event wakes a connection into the polling worker's local run queue, which
/// holds 256; the rest spill into the global queue. Under a flood of connections (512
/// in the benchmark) every turn spilled hundreds of them there, and the global queue is
/// also where every wake from outside the runtime lands: the SQLite writer's "your
/// write is committed". Those then waited behind a full round of other connections.
/// Taking fewer events per turn leaves the rest with the kernel until the worker has
/// room, so the global queue stays short. Measured at -c512 (bench-load, 2 cores):
/// creates answered 201 went from ~6.5 k/s to ~12.5 k/s with the same 503 rate, and
/// reads' p99 from 24 ms to 16 ms at the same throughput. A server with few
/// connections never has more than 32 events per turn, so it sees no difference.
const IO_EVENTS_PER_TICK: usize = 32;

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_io_events_per_tick(IO_EVENTS_PER_TICK)
        .build()
}

/// The command line, with `depot serve`'s settings file (if any) laid under its flags
/// and environment.
fn parse() -> anyhow::Result<Cli> {
    let cli = Cli::parse();
    let file = match &cli.command {
        Command::Serve(args) => args.config.clone(),
        _ => None,
    };
    let Some(file) = file else { return Ok(cli) };
    let command = Cli::command();
    let serve = command
        .find_subcommand("serve")
        .cloned()
        .expect("depot has a serve command");
    let serve = settings::with_file_defaults(serve, &file)?;
    let command = command.mut_subcommand("serve", |_| serve);
    Ok(Cli::from_arg_matches(&command.get_matches())?)
}

/// jemalloc's background thread returns freed memory to the system after its decay
/// time (10 s), whether or not the process allocates again. Without it, pages freed
/// after a burst (a flood of large bodies, say) were returned only on later allocation
/// activity, and a quiet server kept its peak RSS (1–1.7 GiB after an attack) for good.
fn return_freed_memory() {
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        eprintln!("depot: jemalloc's background purging is off: {e}");
    }
}

fn main() -> ExitCode {
    return_freed_memory();
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("depot: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("depot: can't start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(*args).await,
            Command::Clients(cmd) => clients::run(cmd).await,
            Command::Api(args) => api::run(args).await,
            Command::MigrateStore(args) => migrate::run(args).await,
            Command::Restore(args) => offline::restore(args),
            Command::Check(args) => offline::check(args),
            Command::Export(args) => export::run(args).await,
            Command::Import(args) => import::run(args).await,
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
