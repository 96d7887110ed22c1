//! Shared by every scenario: which server to load (ours or `--url`), the
//! tokens to use, and where its process is for CPU/RSS figures.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::api::Api;
use crate::server::{self, Server};

#[derive(clap::Args, Debug, Clone)]
pub struct Target {
    /// Load an already running server (127.0.0.1 only) instead of starting one.
    /// Needs --organizer-token.
    #[arg(long, env = "EMCEE_BENCH_URL")]
    pub url: Option<String>,
    /// With --url: a token that may create events (organizer or admin).
    #[arg(long, env = "EMCEE_BENCH_ORGANIZER_TOKEN", hide_env_values = true)]
    pub organizer_token: Option<String>,
    /// With --url: the token the clients connect with (default: the organizer token).
    #[arg(long, env = "EMCEE_BENCH_ATTENDEE_TOKEN", hide_env_values = true)]
    pub attendee_token: Option<String>,
    /// With --url: PID of the server, for its CPU and memory figures.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// The emcee binary to start (default: the one cargo built for this bench).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
}

/// A server we start admits a whole room: one machine, a few users, and
/// many thousands of connections, past the per-user and per-address
/// defaults that protect a real one.
pub fn room_limits() -> Vec<(String, String)> {
    [
        ("EMCEE_MAX_CONNECTIONS_PER_USER", "100000"),
        ("EMCEE_MAX_CONNECTIONS_PER_IP", "100000"),
        ("EMCEE_MAX_CONNECTIONS", "100000"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

pub struct Setup {
    pub api: Api,
    /// Present when we started the server; `finish` stops it.
    pub server: Option<Server>,
    pub server_pid: Option<u32>,
    pub organizer_token: String,
    pub attendee_token: String,
}

impl Setup {
    /// Connects to `--url`, or starts a server with `extra_env` on top of
    /// the defaults.
    pub async fn with_env(t: &Target, extra_env: &[(String, String)]) -> Result<Setup> {
        if let Some(url) = &t.url {
            if !server::is_loopback_url(url) {
                bail!("--url must point at 127.0.0.1 / localhost (got {url})");
            }
            let Some(org) = t.organizer_token.clone() else {
                bail!("--url needs --organizer-token (e.g. from `emcee token --user bench --role organizer`)");
            };
            let api = Api::new(url)?;
            api.wait_healthy(Duration::from_secs(10)).await?;
            let attendee = t.attendee_token.clone().unwrap_or_else(|| org.clone());
            return Ok(Setup {
                api,
                server: None,
                server_pid: t.server_pid,
                organizer_token: org,
                attendee_token: attendee,
            });
        }
        let bin = t.server_bin.clone().unwrap_or_else(server::default_bin);
        let srv = Server::spawn_with_env(&bin, extra_env).await?;
        eprintln!("started {} (pid {}) at {}", bin.display(), srv.pid, srv.base_url);
        let api = Api::new(&srv.base_url)?;
        api.wait_healthy(Duration::from_secs(10)).await?;
        let organizer_token = srv.token("bench-organizer", "organizer").await?;
        let attendee_token = srv.token("bench-attendee", "attendee").await?;
        let pid = Some(srv.pid);
        Ok(Setup {
            api,
            server: Some(srv),
            server_pid: pid,
            organizer_token,
            attendee_token,
        })
    }

    /// A token from `emcee token` for the server we started (not with --url).
    pub async fn mint(&self, user: &str, role: &str) -> Result<String> {
        match &self.server {
            Some(srv) => srv.token(user, role).await,
            None => bail!("cannot mint tokens for a server given with --url"),
        }
    }

    /// `mint`, retried a few times (concurrent `emcee token` runs may find
    /// the SQLite file locked).
    pub async fn mint_retry(&self, user: &str, role: &str) -> Result<String> {
        let mut last = None;
        for attempt in 0..5u64 {
            match self.mint(user, role).await {
                Ok(t) => return Ok(t),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100 * (attempt + 1))).await;
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("minting a token for {user} failed")))
    }

    pub fn pid_str(&self) -> Option<String> {
        self.server_pid.map(|p| p.to_string())
    }

    /// Whether the server we started is still running (true for --url).
    pub fn server_alive(&mut self) -> bool {
        self.server.as_mut().is_none_or(Server::alive)
    }

    /// Stops the server if we started it.
    pub async fn finish(self) -> Result<()> {
        if let Some(srv) = self.server {
            let lines = srv.output_lines();
            if lines > 0 {
                eprintln!("note: the server printed {lines} line(s) on stdout/stderr during the run (RUST_LOG=warn)");
            }
            srv.stop().await?;
        }
        Ok(())
    }
}
