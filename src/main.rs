//! The `emcee` command: parse the CLI, then call the library.

use clap::{Parser, Subcommand};
use emcee::config::Config;
use emcee::model::{Role, UserId};
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "emcee", version, about = "Real-time server for live events")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server.
    Serve {
        /// Address to listen on (default 0.0.0.0:8000, or EMCEE_BIND).
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Also create a demo event and print tokens and URLs.
        #[arg(long)]
        demo: bool,
    },
    /// Print a signed token for scripts and tests (creates the user if missing).
    Token {
        #[arg(long)]
        user: String,
        #[arg(long)]
        role: Role,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 12 * 3600)]
        ttl: u64,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // A script calling `emcee token` wants the token, not migration chatter.
    let default_filter = match cli.command {
        Command::Serve { .. } => "info",
        Command::Token { .. } => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = actix_web::rt::System::new().block_on(async move {
        match cli.command {
            Command::Serve { bind, demo } => serve(bind, demo).await,
            Command::Token { user, role, ttl } => token(&user, role, ttl).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("emcee: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(bind: Option<SocketAddr>, demo: bool) -> anyhow::Result<()> {
    let config = Config::from_env(bind)?;
    if !config.production && config.jwt_secret.expose() == emcee::config::DEV_JWT_SECRET {
        tracing::warn!("using the built-in development JWT secret; set EMCEE_JWT_SECRET");
    }
    let app = emcee::Application::build(config).await?;
    let addr = app.addr();
    let mut out = std::io::stdout().lock();
    writeln!(out, "emcee listening on http://{addr}")?;
    if demo {
        let info = emcee::demo::create(&app.state()).await?;
        let host = if addr.ip().is_unspecified() {
            format!("127.0.0.1:{}", addr.port())
        } else {
            addr.to_string()
        };
        writeln!(
            out,
            "\nDemo event `Demo Night` ({}) — its countdown is running now.",
            info.event_id
        )?;
        for (role, token) in &info.tokens {
            writeln!(out, "  {role:<9} token: {token}")?;
        }
        let attendee = info
            .tokens
            .iter()
            .find(|(r, _)| *r == Role::Attendee)
            .map(|(_, t)| t.as_str())
            .unwrap_or("");
        writeln!(
            out,
            "\nOpen:  http://{host}/static/timer-demo.html?event={}&round={}&token={attendee}",
            info.event_id, info.first_round
        )?;
        writeln!(
            out,
            "Watch: websocat 'ws://{host}/ws/event/{}?token={attendee}'",
            info.event_id
        )?;
    }
    out.flush()?;
    drop(out);
    app.run_until_stopped().await?;
    Ok(())
}

async fn token(user: &str, role: Role, ttl: u64) -> anyhow::Result<()> {
    let config = Config::from_env(None)?;
    let db = emcee::store::connect(&config.database_url).await?;
    let u = emcee::store::users::ensure(&db, user, role).await?;
    let stored: Role = u.role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let keys = emcee::auth::JwtKeys::new(&config.jwt_secret);
    let (token, _) = keys.issue(UserId(u.id), &u.name, stored, Duration::from_secs(ttl))?;
    println!("{token}");
    Ok(())
}
