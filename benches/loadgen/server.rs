//! Starting (and stopping) an emcee server for a benchmark run, and minting
//! tokens with `emcee token`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// Lines of server output echoed to our stderr before we only count them.
const ECHO_LINES: usize = 100;

/// The binary cargo built for this package (release profile under `cargo bench`).
pub fn default_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_emcee"))
}

/// A server we started: killed on drop, shut down politely by `stop`.
pub struct Server {
    child: Child,
    pub pid: u32,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    bin: PathBuf,
    env: Vec<(String, String)>,
    output_lines: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// `emcee serve --bind 127.0.0.1:0` on a fresh SQLite file in a temp dir,
    /// with `extra_env` on top of the defaults (e.g. raised connection limits);
    /// waits (30 s at most) for `emcee listening on http://…`.
    pub async fn spawn_with_env(bin: &Path, extra_env: &[(String, String)]) -> Result<Server> {
        let dir = tempfile::tempdir().context("creating temp dir")?;
        let db = dir.path().join("emcee.db");
        let secret = format!(
            "bench-{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut env = vec![
            (
                "DATABASE_URL".to_string(),
                format!("sqlite://{}?mode=rwc", db.display()),
            ),
            ("EMCEE_JWT_SECRET".to_string(), secret),
            ("RUST_LOG".to_string(), "warn".to_string()),
        ];
        env.extend(extra_env.iter().cloned());
        let mut child = Command::new(bin)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id().ok_or_else(|| anyhow!("server exited at once"))?;
        let output_lines = Arc::new(AtomicUsize::new(0));

        let stderr = child.stderr.take().ok_or_else(|| anyhow!("no stderr pipe"))?;
        tokio::spawn(drain(stderr, output_lines.clone()));
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout pipe"))?;
        let mut lines = BufReader::new(stdout).lines();

        let wait_listen = async {
            let mut seen = Vec::new();
            loop {
                match lines.next_line().await {
                    Ok(Some(line)) => {
                        if let Some(rest) = line.split("listening on ").nth(1) {
                            return Ok(rest.trim().trim_end_matches('/').to_string());
                        }
                        eprintln!("[emcee] {line}");
                        seen.push(line);
                    }
                    Ok(None) => bail!("server closed stdout before listening; stdout was: {seen:?}"),
                    Err(e) => bail!("reading server stdout: {e}"),
                }
            }
        };
        let base_url = match tokio::time::timeout(Duration::from_secs(30), wait_listen).await {
            Ok(Ok(url)) => url,
            Ok(Err(e)) => {
                let status = child.try_wait().ok().flatten();
                bail!("{e} (exit status: {status:?})");
            }
            Err(_) => bail!("server did not print `emcee listening on …` within 30 s"),
        };
        if !is_loopback_url(&base_url) {
            bail!("server listens on {base_url}, expected 127.0.0.1");
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(drain(lines.into_inner(), output_lines.clone()));
        Ok(Server {
            child,
            pid,
            base_url,
            bin: bin.to_path_buf(),
            env,
            output_lines,
            _dir: dir,
        })
    }

    /// A JWT from `emcee token --user NAME --role ROLE` (same environment as the server).
    pub async fn token(&self, user: &str, role: &str) -> Result<String> {
        mint_token(&self.bin, &self.env, user, role).await
    }

    /// Lines the server printed after startup (stdout + stderr).
    pub fn output_lines(&self) -> usize {
        self.output_lines.load(Ordering::Relaxed)
    }

    /// SIGTERM, wait up to 5 s, then SIGKILL.
    pub async fn stop(mut self) -> Result<()> {
        if let Ok(Some(status)) = self.child.try_wait() {
            bail!("server had already exited: {status}");
        }
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        match tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await {
            Ok(_) => Ok(()),
            Err(_) => {
                eprintln!("warning: server ignored SIGTERM for 5 s; killing it");
                self.child.kill().await.context("killing server")
            }
        }
    }

    /// Whether the process is still alive.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// Runs `BIN token --user USER --role ROLE` with `env`; the JWT is the last
/// non-empty line of its stdout.
pub async fn mint_token(bin: &Path, env: &[(String, String)], user: &str, role: &str) -> Result<String> {
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        Command::new(bin)
            .args(["token", "--user", user, "--role", role])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .map_err(|_| anyhow!("`emcee token` took over 30 s"))?
    .context("running `emcee token`")?;
    if !out.status.success() {
        bail!(
            "`emcee token --user {user} --role {role}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let token = stdout
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .ok_or_else(|| anyhow!("`emcee token` printed nothing"))?;
    if token.split('.').count() != 3 {
        bail!("`emcee token` printed {token:?}, which does not look like a JWT");
    }
    Ok(token.to_string())
}

async fn drain<R: AsyncRead + Unpin>(r: R, count: Arc<AtomicUsize>) {
    let mut lines = BufReader::new(r).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let n = count.fetch_add(1, Ordering::Relaxed);
        if n < ECHO_LINES {
            eprintln!("[emcee] {line}");
        } else if n == ECHO_LINES {
            eprintln!("[emcee] … (further server output counted, not shown)");
        }
    }
}

/// Only 127.0.0.1 / localhost / [::1] are accepted: this tool must not load
/// anything but the local machine.
pub fn is_loopback_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("ws://"))
        .unwrap_or("");
    let host = if rest.starts_with('[') {
        rest.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
    } else {
        rest.split(['/', ':']).next().unwrap_or("").to_string()
    };
    matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]")
}
