//! Load generator for emcee (`harness = false` bench).
//!
//! ```text
//! cargo bench --bench loadgen -- ticks --clients 1000 --round-secs 30
//! cargo bench --bench loadgen -- ticks --smoke
//! cargo bench --bench loadgen -- fanout --clients 10000 --burst 1000 --publishers 4
//! cargo bench --bench loadgen -- fanout --clients 10000 --rate 10 --duration 60
//! cargo bench --bench loadgen -- fanout --smoke
//! ```
//!
//! Starts its own server (the binary cargo built) on 127.0.0.1 with a
//! throw-away SQLite database unless `--url` is given. Progress goes to
//! stderr; stdout gets a readable table and, as its last line, one JSON
//! object with the figures. See docs/benchmarks.md.
//!
//! Layout, so that further scenarios (e.g. `fanout`) reuse the pieces:
//! - `setup` / `server`: start or attach to a server, mint tokens, server PID
//! - `api`: the REST calls
//! - `clients`: connect N WebSockets with bounded concurrency, timestamped reads
//! - `stats`: percentiles; `sys`: /proc CPU and RSS, RLIMIT_NOFILE
//! - `ticks`: the tick-accuracy scenario
//! - `fanout` (+ `fanout_report`): publish → many subscribers; `wire`: the raw
//!   WebSocket / SSE clients it uses (many frames per read syscall)

#[path = "loadgen/api.rs"]
mod api;
#[path = "loadgen/clients.rs"]
mod clients;
#[path = "loadgen/fanout.rs"]
mod fanout;
#[path = "loadgen/fanout_report.rs"]
mod fanout_report;
#[path = "loadgen/server.rs"]
mod server;
#[path = "loadgen/setup.rs"]
mod setup;
#[path = "loadgen/stats.rs"]
mod stats;
#[path = "loadgen/sys.rs"]
mod sys;
#[path = "loadgen/ticks.rs"]
mod ticks;
#[path = "loadgen/wire.rs"]
mod wire;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "loadgen", about = "Load generator for emcee (127.0.0.1 only)")]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long = "bench", hide = true, global = true)]
    _bench: bool,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Tick accuracy: N clients on one round's timer socket; how late is each `timer_update`?
    Ticks(ticks::TicksArgs),
    /// Fan-out: N subscribers, publishes in a burst or at a rate; loss, order, latency, throughput, memory.
    Fanout(Box<fanout::FanoutArgs>),
}

fn main() {
    let cli = Cli::parse();
    let Some(cmd) = cli.command else {
        // A plain `cargo bench` runs every bench target: do nothing heavy here.
        eprintln!(
            "loadgen: no scenario given; try `cargo bench --bench loadgen -- ticks --help` or `-- fanout --help`"
        );
        return;
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the tokio runtime: {e}");
            std::process::exit(2);
        }
    };
    let outcome = rt.block_on(async move {
        match cmd {
            Cmd::Ticks(args) => ticks::run(args).await,
            Cmd::Fanout(args) => fanout::run(*args).await,
        }
    });
    // Don't wait for lingering reader tasks.
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    match outcome {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            std::process::exit(2);
        }
    }
}
