//! Shared harness for the emcee integration tests.
//!
//! Every test spawns its own `emcee serve` on `127.0.0.1:0` with a fresh
//! SQLite database in a temp dir, talks to it over plain HTTP and WebSocket,
//! and kills it on drop. Nothing here knows about the server's internals:
//! the contract is `docs/api.md` and `docs/protocol.md`.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The HS256 secret every test server is started with.
pub const JWT_SECRET: &str = "emcee-integration-tests-secret-0123456789abcdef";
/// A different secret, for forged tokens.
pub const WRONG_SECRET: &str = "not-the-emcee-secret-but-long-enough-0123456789";

/// Upper bound for any single HTTP request or startup step.
pub const STEP: Duration = Duration::from_secs(10);
/// Default wait for a frame that should arrive promptly.
pub const FRAME: Duration = Duration::from_secs(3);

const BIN: &str = env!("CARGO_BIN_EXE_emcee");
const LOG_LINES: usize = 400;

// ---------------------------------------------------------------------------
// Server process
// ---------------------------------------------------------------------------

/// One running `emcee serve` with its own database.
pub struct TestApp {
    pub base_url: String,
    pub ws_url: String,
    pub http: reqwest::Client,
    pub db_url: String,
    child: Option<Child>,
    log: Arc<Mutex<Vec<String>>>,
    // Declared last so the database directory outlives the child.
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// Starts a server on a fresh, empty database.
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().expect("create temp dir");
        let db_url = fresh_database(&dir);
        let log = Arc::new(Mutex::new(Vec::new()));
        let http = reqwest::Client::builder()
            .timeout(STEP)
            .no_proxy()
            .build()
            .expect("build reqwest client");
        let (child, base_url) = start_server(&db_url, &log).await;
        let ws_url = base_url.replacen("http://", "ws://", 1);
        TestApp {
            base_url,
            ws_url,
            http,
            db_url,
            child: Some(child),
            log,
            _dir: dir,
        }
    }

    /// SIGKILLs the server (no graceful shutdown) and waits for it to die.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Some(pid) = child.id() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            let _ = tokio::time::timeout(STEP, child.wait())
                .await
                .expect("server did not die after SIGKILL");
        }
    }

    /// Sends SIGTERM (graceful shutdown) without waiting.
    pub fn send_sigterm(&self) {
        let pid = self.child.as_ref().and_then(Child::id).expect("server is running");
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .expect("send SIGTERM");
    }

    /// Waits for the server to exit (after `send_sigterm`), panicking if it
    /// does not exit within `within`.
    pub async fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("server is running");
        match tokio::time::timeout(within, child.wait()).await {
            Ok(status) => status.expect("wait for server"),
            Err(_) => {
                let _ = child.start_kill();
                panic!("server did not exit within {within:?}\n{}", self.server_log());
            }
        }
    }

    /// Starts the server again on the same database after `kill` or `send_sigterm` + `wait_exit`.
    pub async fn start_again(&mut self) {
        assert!(self.child.is_none(), "server still running");
        self.log_line("---- start again ----".to_string());
        let (child, base_url) = start_server(&self.db_url, &self.log).await;
        self.ws_url = base_url.replacen("http://", "ws://", 1);
        self.base_url = base_url;
        self.child = Some(child);
    }

    /// Kills the server and starts a new one on the same database.
    /// `base_url`/`ws_url` change (new ephemeral port).
    pub async fn restart(&mut self) {
        self.kill().await;
        self.log_line("---- restart ----".to_string());
        let (child, base_url) = start_server(&self.db_url, &self.log).await;
        self.ws_url = base_url.replacen("http://", "ws://", 1);
        self.base_url = base_url;
        self.child = Some(child);
    }

    fn log_line(&self, line: String) {
        push_log(&self.log, line);
    }

    /// The server's captured stdout/stderr (last lines).
    pub fn server_log(&self) -> String {
        self.log.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    /// `emcee token --user NAME --role ROLE` against this server's database.
    pub async fn token(&self, user: &str, role: &str) -> String {
        self.token_with(&["--user", user, "--role", role]).await
    }

    /// `emcee token ... --ttl SECS`.
    pub async fn token_ttl(&self, user: &str, role: &str, ttl_secs: u64) -> String {
        let ttl = ttl_secs.to_string();
        self.token_with(&["--user", user, "--role", role, "--ttl", &ttl]).await
    }

    async fn token_with(&self, args: &[&str]) -> String {
        let mut cmd = Command::new(BIN);
        cmd.arg("token")
            .args(args)
            .env("DATABASE_URL", &self.db_url)
            .env("EMCEE_JWT_SECRET", JWT_SECRET)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let out = tokio::time::timeout(STEP, cmd.output())
            .await
            .expect("`emcee token` timed out")
            .expect("run `emcee token`");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            out.status.success(),
            "`emcee token {args:?}` failed: {}\nstdout: {stdout}\nstderr: {stderr}",
            out.status
        );
        stdout
            .lines()
            .map(str::trim)
            .rev()
            .find(|l| l.split('.').count() == 3 && !l.contains(' '))
            .unwrap_or_else(|| panic!("no JWT in `emcee token` output: {stdout:?}"))
            .to_string()
    }

    /// The user id (`sub`) behind a token, via `GET /api/me`.
    pub async fn user_id(&self, token: &str) -> String {
        let (s, me) = self.get("/api/me", Some(token)).await;
        assert_eq!(s, 200, "GET /api/me: {me}");
        me["id"].as_str().expect("me.id").to_string()
    }

    // ---- HTTP -------------------------------------------------------------

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.send(self.http.get(self.url(path)), token).await
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.send(self.http.post(self.url(path)).json(&body), token).await
    }

    /// POST without a body (start/end/stop endpoints).
    pub async fn post(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.send(self.http.post(self.url(path)), token).await
    }

    /// POST a raw body with `Content-Type: application/json`.
    pub async fn post_raw(&self, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
        self.send(
            self.http
                .post(self.url(path))
                .header("content-type", "application/json")
                .body(body.to_string()),
            token,
        )
        .await
    }

    pub async fn patch_json(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.send(self.http.patch(self.url(path)).json(&body), token).await
    }

    /// GET with an arbitrary `Authorization` header value.
    pub async fn get_with_auth(&self, path: &str, authorization: &str) -> (u16, Value) {
        self.send(
            self.http.get(self.url(path)).header("authorization", authorization),
            None,
        )
        .await
    }

    async fn send(&self, req: reqwest::RequestBuilder, token: Option<&str>) -> (u16, Value) {
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("HTTP request failed: {e}\n{}", self.server_log()));
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("read response body");
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    // ---- domain shortcuts (each asserts its documented success status) ----

    pub async fn create_user(&self, admin: &str, name: &str, password: &str, role: &str) -> Value {
        let (s, b) = self
            .post_json(
                "/api/users",
                Some(admin),
                json!({"name": name, "password": password, "role": role}),
            )
            .await;
        assert_eq!(s, 201, "POST /api/users: {b}");
        b
    }

    pub async fn create_event(&self, token: &str, body: Value) -> Value {
        let (s, b) = self.post_json("/api/events", Some(token), body).await;
        assert_eq!(s, 201, "POST /api/events: {b}");
        b
    }

    /// A private event named `name` owned by `token`'s user.
    pub async fn private_event(&self, token: &str, name: &str) -> String {
        let e = self
            .create_event(token, json!({"name": name, "visibility": "private"}))
            .await;
        e["id"].as_str().expect("event.id").to_string()
    }

    pub async fn add_member(&self, token: &str, event_id: &str, user: &str, role: &str) -> Value {
        let (s, b) = self
            .post_json(
                &format!("/api/events/{event_id}/members"),
                Some(token),
                json!({"user": user, "role": role}),
            )
            .await;
        assert_eq!(s, 201, "POST members: {b}");
        b
    }

    pub async fn create_round(&self, token: &str, event_id: &str, duration_secs: i64, break_secs: i64) -> Value {
        let (s, b) = self
            .post_json(
                &format!("/api/events/{event_id}/rounds"),
                Some(token),
                json!({"duration_secs": duration_secs, "break_secs": break_secs}),
            )
            .await;
        assert_eq!(s, 201, "POST rounds: {b}");
        b
    }

    pub async fn get_round(&self, token: &str, round_id: &str) -> Value {
        let (s, b) = self.get(&format!("/api/rounds/{round_id}"), Some(token)).await;
        assert_eq!(s, 200, "GET round: {b}");
        b
    }

    pub async fn start_round(&self, token: &str, round_id: &str) -> Value {
        let (s, b) = self.post(&format!("/api/rounds/{round_id}/start"), Some(token)).await;
        assert_eq!(s, 200, "POST start: {b}");
        b
    }

    pub async fn start_countdown_secs(&self, token: &str, event_id: &str, secs: i64) -> Value {
        let (s, b) = self
            .post_json(
                &format!("/api/events/{event_id}/countdown/start"),
                Some(token),
                json!({"duration_seconds": secs, "message": "Starting soon"}),
            )
            .await;
        assert_eq!(s, 201, "POST countdown/start: {b}");
        b
    }

    // ---- WebSocket ----------------------------------------------------------

    /// Connects `path` (e.g. `/ws/event/ID`) with `?token=` when given.
    pub async fn try_ws(&self, path: &str, token: Option<&str>) -> Result<Ws, String> {
        let url = match token {
            Some(t) => format!("{}{}?token={}", self.ws_url, path, t),
            None => format!("{}{}", self.ws_url, path),
        };
        Ws::connect_url(&url, None).await
    }

    /// Like `try_ws` but panics when the handshake fails.
    pub async fn ws(&self, path: &str, token: Option<&str>) -> Ws {
        self.try_ws(path, token)
            .await
            .unwrap_or_else(|e| panic!("WebSocket connect {path}: {e}"))
    }

    /// Connects with `Authorization: Bearer` instead of `?token=`.
    pub async fn ws_bearer(&self, path: &str, token: &str) -> Ws {
        let url = format!("{}{}", self.ws_url, path);
        Ws::connect_url(&url, Some(&format!("Bearer {token}")))
            .await
            .unwrap_or_else(|e| panic!("WebSocket connect {path}: {e}"))
    }

    /// Expects the documented refusal: one `error` frame with `code`, then a
    /// close frame with `close_code`.
    pub async fn assert_ws_refused(&self, path: &str, token: Option<&str>, code: &str, close_code: u16) {
        let mut ws = self
            .try_ws(path, token)
            .await
            .unwrap_or_else(|e| panic!("refused connection must still be upgraded ({path}): handshake failed: {e}"));
        let (frames, close) = ws.read_until_close(FRAME).await;
        let err = frames
            .iter()
            .find(|f| f["type"] == "error")
            .unwrap_or_else(|| panic!("{path}: expected an `error` frame before close, got {frames:?}"));
        assert_eq!(err["data"]["code"], code, "{path}: error frame {err}");
        assert!(
            err["data"]["message"].is_string(),
            "{path}: error frame needs a message: {err}"
        );
        assert_eq!(close, Some(close_code), "{path}: close code (frames: {frames:?})");
    }
}

/// The server's database: a SQLite file in `dir`, or, with
/// `EMCEE_TEST_POSTGRES=postgres://user@host:port` set, a new PostgreSQL
/// database of its own (so the whole suite runs against PostgreSQL too).
fn fresh_database(dir: &tempfile::TempDir) -> String {
    let Ok(server) = std::env::var("EMCEE_TEST_POSTGRES") else {
        return format!("sqlite://{}/emcee.db?mode=rwc", dir.path().display());
    };
    let server = server.trim_end_matches('/').to_owned();
    let name = format!("emcee_test_{}", uuid::Uuid::new_v4().simple());
    psql(&server, &format!("CREATE DATABASE {name}"));
    format!("{server}/{name}")
}

fn drop_postgres_database(name: &str) {
    if let Ok(server) = std::env::var("EMCEE_TEST_POSTGRES") {
        psql(
            server.trim_end_matches('/'),
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        );
    }
}

fn psql(server: &str, sql: &str) {
    let out = std::process::Command::new("psql")
        .args([&format!("{server}/postgres"), "-q", "-c", sql])
        .output()
        .expect("run psql (EMCEE_TEST_POSTGRES needs the PostgreSQL client)");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        if std::thread::panicking() {
            eprintln!("==== emcee server log ====\n{}\n==== end ====", self.server_log());
        }
        if let Some(name) = self.db_url.strip_prefix("postgres").and_then(|u| u.rsplit('/').next()) {
            drop_postgres_database(name);
        }
    }
}

fn push_log(log: &Arc<Mutex<Vec<String>>>, line: String) {
    if let Ok(mut l) = log.lock() {
        if l.len() >= LOG_LINES {
            l.remove(0);
        }
        l.push(line);
    }
}

fn drain<R: AsyncRead + Unpin + Send + 'static>(reader: R, log: Arc<Mutex<Vec<String>>>, tag: &'static str) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(reader).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            push_log(&log, format!("[{tag}] {line}"));
        }
    });
}

async fn start_server(db_url: &str, log: &Arc<Mutex<Vec<String>>>) -> (Child, String) {
    start_server_env(db_url, log, &[]).await
}

// ---------------------------------------------------------------------------
// WebSocket client
// ---------------------------------------------------------------------------

/// What the socket produced next.
#[derive(Debug)]
pub enum WsEvent {
    /// A JSON text frame and the local time it was read.
    Json(Value, DateTime<Utc>),
    /// A close frame (code, if any).
    Close(Option<u16>),
    /// Stream ended or errored without a close frame.
    Ended(String),
    /// Nothing within the timeout.
    Timeout,
}

pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every JSON frame read so far (for failure messages).
    pub seen: Vec<Value>,
}

impl Ws {
    pub async fn connect_url(url: &str, authorization: Option<&str>) -> Result<Ws, String> {
        let mut req = url
            .into_client_request()
            .map_err(|e| format!("bad request {url}: {e}"))?;
        if let Some(a) = authorization {
            req.headers_mut()
                .insert("authorization", HeaderValue::from_str(a).map_err(|e| e.to_string())?);
        }
        let (stream, _resp) = tokio::time::timeout(STEP, tokio_tungstenite::connect_async(req))
            .await
            .map_err(|_| "handshake timed out".to_string())?
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Http(resp) => {
                    format!("HTTP {} instead of upgrade", resp.status())
                }
                other => other.to_string(),
            })?;
        Ok(Ws {
            stream,
            seen: Vec::new(),
        })
    }

    /// Next text frame (parsed), close, end, or timeout. Ping/pong frames are
    /// skipped (tungstenite answers pings itself).
    pub async fn next_event(&mut self, timeout: Duration) -> WsEvent {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let msg = match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return WsEvent::Timeout,
                Ok(None) => return WsEvent::Ended("stream ended".into()),
                Ok(Some(Err(e))) => return WsEvent::Ended(e.to_string()),
                Ok(Some(Ok(m))) => m,
            };
            let now = Utc::now();
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t)
                        .unwrap_or_else(|e| panic!("server sent non-JSON text frame {t:?}: {e}"));
                    assert!(v.is_object(), "every frame must be a JSON object: {t}");
                    self.seen.push(v.clone());
                    return WsEvent::Json(v, now);
                }
                Message::Close(f) => return WsEvent::Close(f.map(|f| u16::from(f.code))),
                Message::Binary(b) => panic!("server sent a binary frame ({} bytes)", b.len()),
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            }
        }
    }

    /// Waits for a WebSocket-level Ping from the server (heartbeat), skipping
    /// JSON frames. Returns false on timeout.
    pub async fn wait_for_server_ping(&mut self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return false,
                Ok(Some(Ok(Message::Ping(_)))) => return true,
                Ok(Some(Ok(Message::Text(t)))) => {
                    if let Ok(v) = serde_json::from_str::<Value>(&t) {
                        self.seen.push(v);
                    }
                }
                Ok(Some(Ok(Message::Close(f)))) => panic!("closed while waiting for a ping: {f:?}"),
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(e))) => panic!("socket error while waiting for a ping: {e}"),
                Ok(None) => panic!("socket ended while waiting for a ping"),
            }
        }
    }

    /// Next JSON frame with its local receipt time; panics on anything else.
    pub async fn next_json_timed(&mut self, timeout: Duration) -> (Value, DateTime<Utc>) {
        match self.next_event(timeout).await {
            WsEvent::Json(v, at) => (v, at),
            other => panic!(
                "expected a JSON frame within {timeout:?}, got {other:?}; frames so far: {:?}",
                self.seen
            ),
        }
    }

    pub async fn next_json(&mut self, timeout: Duration) -> Value {
        self.next_json_timed(timeout).await.0
    }

    /// Skips frames until one of type `ty` arrives (within `timeout` total).
    pub async fn next_of_type_timed(&mut self, ty: &str, timeout: Duration) -> (Value, DateTime<Utc>) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_event(left).await {
                WsEvent::Json(v, at) if v["type"] == ty => return (v, at),
                WsEvent::Json(..) => continue,
                other => panic!(
                    "expected a `{ty}` frame within {timeout:?}, got {other:?}; frames so far: {:?}",
                    self.seen
                ),
            }
        }
    }

    pub async fn next_of_type(&mut self, ty: &str, timeout: Duration) -> Value {
        self.next_of_type_timed(ty, timeout).await.0
    }

    /// Skips frames until `pred` matches.
    pub async fn next_matching(&mut self, what: &str, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_event(left).await {
                WsEvent::Json(v, _) if pred(&v) => return v,
                WsEvent::Json(..) => continue,
                other => panic!(
                    "expected {what} within {timeout:?}, got {other:?}; frames so far: {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Collects frames (with receipt times) up to and including the first
    /// that matches `pred`.
    pub async fn collect_until(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Vec<(Value, DateTime<Utc>)> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_event(left).await {
                WsEvent::Json(v, at) => {
                    let done = pred(&v);
                    out.push((v, at));
                    if done {
                        return out;
                    }
                }
                other => panic!(
                    "expected {what} within {timeout:?}, got {other:?}; collected: {:?}",
                    out.iter().map(|(v, _)| v).collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Collects every frame for `dur` (the socket must stay open).
    pub async fn collect_for(&mut self, dur: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + dur;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_event(left).await {
                WsEvent::Json(v, _) => out.push(v),
                WsEvent::Timeout => return out,
                other => panic!("socket closed while collecting: {other:?}; got {out:?}"),
            }
        }
    }

    /// Reads until the close frame; returns the JSON frames before it and
    /// the close code (None if the stream ended without a close frame).
    pub async fn read_until_close(&mut self, timeout: Duration) -> (Vec<Value>, Option<u16>) {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut frames = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_event(left).await {
                WsEvent::Json(v, _) => frames.push(v),
                WsEvent::Close(code) => return (frames, code),
                WsEvent::Ended(why) => {
                    panic!("socket ended without a close frame ({why}); frames: {frames:?}")
                }
                WsEvent::Timeout => panic!("no close frame within {timeout:?}; frames: {frames:?}"),
            }
        }
    }

    pub async fn send_json(&mut self, v: &Value) {
        self.send_text(&v.to_string()).await;
    }

    pub async fn send_text(&mut self, s: &str) {
        tokio::time::timeout(STEP, self.stream.send(Message::Text(s.to_string())))
            .await
            .expect("send timed out")
            .expect("send text frame");
    }

    /// Sends text, reporting (not panicking on) a failed write — for
    /// messages the server may reject mid-transfer.
    pub async fn try_send_text(&mut self, s: &str) -> Result<(), String> {
        match tokio::time::timeout(STEP, self.stream.send(Message::Text(s.to_string()))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("send timed out".into()),
        }
    }

    pub async fn send_binary(&mut self, b: Vec<u8>) {
        tokio::time::timeout(STEP, self.stream.send(Message::Binary(b)))
            .await
            .expect("send timed out")
            .expect("send binary frame");
    }

    /// `ping` with `ref` → asserts a matching `pong`.
    pub async fn assert_ping_works(&mut self, r: &str) {
        self.send_json(&json!({"type": "ping", "ref": r})).await;
        let pong = self
            .next_matching(&format!("pong with ref {r}"), FRAME, |v| {
                v["type"] == "pong" && v["ref"] == r
            })
            .await;
        assert!(pong["data"]["server_time"].is_string(), "pong: {pong}");
    }

    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.stream.close(None)).await;
    }
}

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

pub fn now_secs() -> i64 {
    Utc::now().timestamp()
}

/// Signs a JWT with the documented claims.
pub fn sign_jwt(
    secret: &str,
    alg: jsonwebtoken::Algorithm,
    sub: &str,
    name: &str,
    role: &str,
    iat: i64,
    exp: i64,
) -> String {
    let claims = json!({"sub": sub, "name": name, "role": role, "iat": iat, "exp": exp});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign JWT")
}

/// Correct secret, HS256, expired an hour ago.
pub fn expired_token(sub: &str, name: &str, role: &str) -> String {
    let now = now_secs();
    sign_jwt(
        JWT_SECRET,
        jsonwebtoken::Algorithm::HS256,
        sub,
        name,
        role,
        now - 7200,
        now - 3600,
    )
}

/// Valid claims, signed with the wrong secret.
pub fn forged_token(sub: &str, name: &str, role: &str) -> String {
    let now = now_secs();
    sign_jwt(
        WRONG_SECRET,
        jsonwebtoken::Algorithm::HS256,
        sub,
        name,
        role,
        now,
        now + 3600,
    )
}

/// `{"alg":"none"}` with valid claims and an empty signature.
pub fn alg_none_token(sub: &str, name: &str, role: &str) -> String {
    let now = now_secs();
    let header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = json!({"sub": sub, "name": name, "role": role, "iat": now, "exp": now + 3600});
    let payload = b64url(claims.to_string().as_bytes());
    format!("{header}.{payload}.")
}

/// Base64url without padding.
pub fn b64url(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------

/// Asserts the documented error envelope.
pub fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "status; body: {body}");
    assert_eq!(body["error"]["code"], want_code, "error.code; body: {body}");
    assert!(
        body["error"]["message"].is_string(),
        "error.message must be a string; body: {body}"
    );
}

/// Parses an RFC 3339 timestamp field.
pub fn time_of(v: &Value) -> DateTime<Utc> {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("expected an RFC 3339 string, got {v}"));
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("not RFC 3339: {s:?}: {e}"))
        .with_timezone(&Utc)
}

/// Milliseconds since the epoch of an RFC 3339 field.
pub fn ms_of(v: &Value) -> i64 {
    time_of(v).timestamp_millis()
}

/// Protocol times are `YYYY-MM-DDTHH:MM:SS.mmmZ` (RFC 3339, milliseconds, UTC).
pub fn assert_wire_time(v: &Value, what: &str) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{what}: expected a time string, got {v}"));
    let b = s.as_bytes();
    let ok = b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    assert!(ok, "{what}: {s:?} is not RFC 3339 with milliseconds in UTC");
    time_of(v);
}

/// Envelope rules: `type`, `ts` with ms, `data` object.
pub fn assert_envelope(frame: &Value) {
    assert!(frame["type"].is_string(), "frame without type: {frame}");
    assert_wire_time(&frame["ts"], &format!("ts of {}", frame["type"]));
    assert!(frame["data"].is_object(), "frame data must be an object: {frame}");
}

/// A timer state (protocol.md) that is internally consistent.
pub fn assert_timer_state(t: &Value, round_id: &str, phase: &str) {
    assert_eq!(t["round_id"], round_id, "timer.round_id: {t}");
    assert!(t["event_id"].is_string(), "timer.event_id: {t}");
    assert!(t["ordinal"].is_i64(), "timer.ordinal: {t}");
    assert_eq!(t["phase"], phase, "timer.phase: {t}");
    assert!(t["status"].is_string(), "timer.status: {t}");
    let remaining = t["time_remaining"]
        .as_i64()
        .unwrap_or_else(|| panic!("time_remaining must be whole seconds: {t}"));
    let total = t["total_duration"]
        .as_i64()
        .unwrap_or_else(|| panic!("total_duration must be whole seconds: {t}"));
    assert!(
        (0..=total).contains(&remaining),
        "0 <= time_remaining <= total_duration: {t}"
    );
    let pct = t["percentage_complete"]
        .as_f64()
        .unwrap_or_else(|| panic!("percentage_complete must be a number: {t}"));
    assert!((0.0..=100.0).contains(&pct), "percentage_complete: {t}");
    assert_wire_time(&t["ends_at"], "timer.ends_at");
    assert_wire_time(&t["server_time"], "timer.server_time");
    let exact = (ms_of(&t["ends_at"]) - ms_of(&t["server_time"])) as f64 / 1000.0;
    assert!(
        (remaining as f64 - exact).abs() <= 1.0,
        "time_remaining {remaining} vs ends_at - server_time = {exact:.3}s: {t}"
    );
    assert_percentage(pct, remaining, total, t);
}

/// `percentage_complete` = elapsed / total (protocol.md example: 180 s
/// left of 300 s is 40.0), within one second's worth of rounding.
fn assert_percentage(pct: f64, remaining: i64, total: i64, state: &Value) {
    if total > 0 {
        let want = (total - remaining) as f64 * 100.0 / total as f64;
        let tol = 100.0 / total as f64 + 0.01;
        assert!(
            (pct - want).abs() <= tol,
            "percentage_complete {pct} vs (total - remaining) / total = {want:.2}: {state}"
        );
    }
}

/// A countdown state (protocol.md) that is internally consistent.
pub fn assert_countdown_state(c: &Value, event_id: &str) {
    assert!(c["countdown_id"].is_string(), "countdown_id: {c}");
    assert_eq!(c["event_id"], event_id, "countdown.event_id: {c}");
    assert_eq!(c["active"], true, "countdown.active: {c}");
    assert_eq!(c["status"], "running", "countdown.status: {c}");
    let remaining = c["time_remaining"]
        .as_i64()
        .unwrap_or_else(|| panic!("time_remaining must be whole seconds: {c}"));
    let total = c["total_duration"]
        .as_i64()
        .unwrap_or_else(|| panic!("total_duration must be whole seconds: {c}"));
    assert!(
        (0..=total).contains(&remaining),
        "0 <= time_remaining <= total_duration: {c}"
    );
    let pct = c["percentage_complete"]
        .as_f64()
        .unwrap_or_else(|| panic!("percentage_complete must be a number: {c}"));
    assert!((0.0..=100.0).contains(&pct), "percentage_complete: {c}");
    assert_percentage(pct, remaining, total, c);
    assert!(c["message"].is_string(), "countdown.message: {c}");
    assert_wire_time(&c["ends_at"], "countdown.ends_at");
    assert_wire_time(&c["target_time"], "countdown.target_time");
    assert_wire_time(&c["server_time"], "countdown.server_time");
    assert_eq!(
        ms_of(&c["ends_at"]),
        ms_of(&c["target_time"]),
        "target_time == ends_at: {c}"
    );
    let exact = (ms_of(&c["ends_at"]) - ms_of(&c["server_time"])) as f64 / 1000.0;
    assert!(
        (remaining as f64 - exact).abs() <= 1.0,
        "time_remaining {remaining} vs ends_at - server_time = {exact:.3}s: {c}"
    );
}

/// A tick (`timer_update` / `countdown_update`) must arrive at its whole
/// second: `ends_at - time_remaining s`. `slack_ms` bounds the lateness.
pub fn assert_tick_on_time(frame: &Value, received: DateTime<Utc>, slack_ms: i64) {
    let d = &frame["data"];
    let mark = ms_of(&d["ends_at"]) - d["time_remaining"].as_i64().unwrap_or(-1) * 1000;
    let late = received.timestamp_millis() - mark;
    assert!(
        (-slack_ms..=slack_ms).contains(&late),
        "{} with time_remaining {} arrived {late} ms from its mark (allowed ±{slack_ms} ms): {frame}",
        frame["type"],
        d["time_remaining"]
    );
    // "time_remaining = N exactly when ends_at - N s is reached": the frame
    // is made at (not before) its mark. 1 ms for millisecond rounding.
    let made = ms_of(&d["server_time"]) - mark;
    assert!(
        (-1..=slack_ms).contains(&made),
        "{} with time_remaining {} was made {made} ms from its mark: {frame}",
        frame["type"],
        d["time_remaining"]
    );
}

/// Frames kept in history carry an integer `seq`; ticks do not.
pub fn assert_has_seq(frame: &Value) {
    assert!(
        frame["seq"].is_u64() || frame["seq"].is_i64(),
        "{} must carry an integer seq: {frame}",
        frame["type"]
    );
}

pub fn assert_no_seq(frame: &Value) {
    assert!(
        frame.get("seq").is_none_or(Value::is_null),
        "{} must not carry seq: {frame}",
        frame["type"]
    );
}

/// Convenience: type string of a frame.
pub fn ty(frame: &Value) -> &str {
    frame["type"].as_str().unwrap_or("")
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub fn millis(n: u64) -> Duration {
    Duration::from_millis(n)
}

// ---------------------------------------------------------------------------
// Added for the protocol tests (rights, recovery, SSE, polling, limits…).
// Nothing above this line was changed.
// ---------------------------------------------------------------------------

impl TestApp {
    /// Like `spawn`, with extra environment variables for the server (e.g.
    /// `EMCEE_HISTORY_LEN`). `restart`/`start_again` do not keep them.
    pub async fn spawn_with(env: &[(&str, &str)]) -> TestApp {
        let dir = tempfile::tempdir().expect("create temp dir");
        let db_url = fresh_database(&dir);
        let log = Arc::new(Mutex::new(Vec::new()));
        let http = reqwest::Client::builder()
            .timeout(STEP)
            .no_proxy()
            .build()
            .expect("build reqwest client");
        let (child, base_url) = start_server_env(&db_url, &log, env).await;
        let ws_url = base_url.replacen("http://", "ws://", 1);
        TestApp {
            base_url,
            ws_url,
            http,
            db_url,
            child: Some(child),
            log,
            _dir: dir,
        }
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.base_url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("no port in {}", self.base_url))
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.send(self.http.delete(self.url(path)), token).await
    }

    /// POST JSON with extra headers (e.g. `X-Api-Key`).
    pub async fn post_json_with_headers(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Value,
    ) -> (u16, Value) {
        let mut req = self.http.post(self.url(path)).json(&body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req, token).await
    }

    /// `POST /api/publish` with an admin token; asserts 202 and returns the reply.
    pub async fn publish(&self, admin: &str, topic: &str, kind: &str, data: Value) -> Value {
        let (s, b) = self
            .post_json(
                "/api/publish",
                Some(admin),
                json!({"topic": topic, "type": kind, "data": data}),
            )
            .await;
        assert_eq!(s, 202, "POST /api/publish {topic} {kind}: {b}");
        b
    }

    /// A public event named `name` owned by `token`'s user.
    pub async fn public_event(&self, token: &str, name: &str) -> String {
        let e = self
            .create_event(token, json!({"name": name, "visibility": "public"}))
            .await;
        e["id"].as_str().expect("event.id").to_string()
    }

    /// `DELETE /api/events/{id}/members/{user}`; asserts 204.
    pub async fn remove_member(&self, token: &str, event_id: &str, user: &str) {
        let (s, b) = self
            .delete(&format!("/api/events/{event_id}/members/{user}"), Some(token))
            .await;
        assert_eq!(s, 204, "DELETE member {user}: {b}");
    }

    /// `POST /api/events/{id}/teams`; asserts 201, returns the team id.
    pub async fn create_team(&self, token: &str, event_id: &str, name: &str) -> String {
        let (s, b) = self
            .post_json(
                &format!("/api/events/{event_id}/teams"),
                Some(token),
                json!({"name": name}),
            )
            .await;
        assert_eq!(s, 201, "POST teams: {b}");
        b["id"].as_str().expect("team.id").to_string()
    }

    /// `POST /api/teams/{id}/members`; asserts 201.
    pub async fn add_team_member(&self, token: &str, team_id: &str, user: &str, role: &str) -> Value {
        let (s, b) = self
            .post_json(
                &format!("/api/teams/{team_id}/members"),
                Some(token),
                json!({"user": user, "role": role}),
            )
            .await;
        assert_eq!(s, 201, "POST team members: {b}");
        b
    }

    /// `POST /api/events/{id}/categories`; asserts 201, returns the category id.
    pub async fn create_category(&self, token: &str, event_id: &str, name: &str) -> String {
        let (s, b) = self
            .post_json(
                &format!("/api/events/{event_id}/categories"),
                Some(token),
                json!({"name": name}),
            )
            .await;
        assert_eq!(s, 201, "POST categories: {b}");
        b["id"].as_str().expect("category.id").to_string()
    }

    /// `POST /api/events/{id}/purchases` as `token`'s user; returns the purchase id.
    pub async fn create_purchase(&self, token: &str, event_id: &str) -> String {
        let (s, b) = self
            .post(&format!("/api/events/{event_id}/purchases"), Some(token))
            .await;
        assert_eq!(s, 201, "POST purchases: {b}");
        b["id"].as_str().expect("purchase.id").to_string()
    }

    /// `POST /api/events/{id}/announcements`; asserts 201.
    pub async fn announce(&self, token: &str, event_id: &str, message: &str) -> Value {
        let (s, b) = self
            .post_json(
                &format!("/api/events/{event_id}/announcements"),
                Some(token),
                json!({"message": message}),
            )
            .await;
        assert_eq!(s, 201, "POST announcements: {b}");
        b
    }

    /// `GET /ws/health` → `connections`.
    pub async fn health_connections(&self) -> i64 {
        let (s, b) = self.get("/ws/health", None).await;
        assert_eq!(s, 200, "GET /ws/health: {b}");
        b["connections"]
            .as_i64()
            .unwrap_or_else(|| panic!("/ws/health without connections: {b}"))
    }

    /// A WebSocket handshake with extra request headers (e.g. `Origin`).
    /// `Err(status)` when the server answered with HTTP instead of upgrading
    /// (0 when the handshake failed otherwise).
    pub async fn ws_with_headers(&self, path: &str, token: Option<&str>, headers: &[(&str, &str)]) -> Result<Ws, u16> {
        let url = match token {
            Some(t) => format!("{}{}?token={}", self.ws_url, path, t),
            None => format!("{}{}", self.ws_url, path),
        };
        let mut req = url.as_str().into_client_request().expect("client request");
        for (k, v) in headers {
            req.headers_mut().insert(
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes()).expect("header name"),
                HeaderValue::from_str(v).expect("header value"),
            );
        }
        match tokio::time::timeout(STEP, tokio_tungstenite::connect_async(req)).await {
            Err(_) => Err(0),
            Ok(Ok((stream, _))) => Ok(Ws {
                stream,
                seen: Vec::new(),
            }),
            Ok(Err(tokio_tungstenite::tungstenite::Error::Http(resp))) => Err(resp.status().as_u16()),
            Ok(Err(_)) => Err(0),
        }
    }

    /// A WebSocket whose TCP receive buffer is `rcvbuf` bytes, for a client
    /// that stops reading (slow consumer) without the kernel hiding it.
    pub async fn ws_small_buffer(&self, path: &str, token: Option<&str>, rcvbuf: u32) -> Ws {
        let url = match token {
            Some(t) => format!("{}{}?token={}", self.ws_url, path, t),
            None => format!("{}{}", self.ws_url, path),
        };
        let addr: std::net::SocketAddr = self
            .base_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("server address");
        let socket = tokio::net::TcpSocket::new_v4().expect("tcp socket");
        socket.set_recv_buffer_size(rcvbuf).expect("set SO_RCVBUF");
        let tcp = tokio::time::timeout(STEP, socket.connect(addr))
            .await
            .expect("tcp connect timed out")
            .expect("tcp connect");
        let req = url.as_str().into_client_request().expect("client request");
        let (stream, _) = tokio::time::timeout(STEP, tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(tcp)))
            .await
            .expect("handshake timed out")
            .expect("handshake");
        Ws {
            stream,
            seen: Vec::new(),
        }
    }

    /// Opens an SSE stream (`path` may carry a query). The token goes as
    /// `Authorization: Bearer`. `Err((status, body))` when the server
    /// answered with anything but 200.
    pub async fn sse(&self, path: &str, token: Option<&str>, headers: &[(&str, &str)]) -> Result<Sse, (u16, Value)> {
        // No overall timeout: the body is a stream; every read is bounded.
        let client = reqwest::Client::builder()
            .connect_timeout(STEP)
            .no_proxy()
            .build()
            .expect("build reqwest client");
        let mut req = client.get(self.url(path)).header("accept", "text/event-stream");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = tokio::time::timeout(STEP, req.send())
            .await
            .expect("SSE request timed out")
            .unwrap_or_else(|e| panic!("SSE request failed: {e}\n{}", self.server_log()));
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if status != 200 {
            let text = tokio::time::timeout(STEP, resp.text())
                .await
                .expect("error body timed out")
                .unwrap_or_default();
            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
            return Err((status, body));
        }
        Ok(Sse {
            resp,
            buf: Vec::new(),
            content_type,
            seen: Vec::new(),
        })
    }
}

/// One SSE event block (the lines up to a blank line).
#[derive(Debug, Clone, Default)]
pub struct SseBlock {
    pub id: Option<String>,
    /// The `data:` lines joined, parsed as JSON.
    pub data: Option<Value>,
    /// Comment lines (`: keep-alive` → "keep-alive").
    pub comments: Vec<String>,
    pub retry: Option<u64>,
    /// Any other field line (e.g. `event:`), verbatim.
    pub other: Vec<String>,
}

#[derive(Debug)]
pub enum SseNext {
    Block(SseBlock),
    Ended,
    Timeout,
}

/// A streaming SSE response, read block by block.
pub struct Sse {
    resp: reqwest::Response,
    buf: Vec<u8>,
    pub content_type: String,
    /// Every block read so far (for failure messages).
    pub seen: Vec<SseBlock>,
}

impl Sse {
    fn parse_block(raw: &str) -> SseBlock {
        let mut b = SseBlock::default();
        let mut data: Vec<&str> = Vec::new();
        for line in raw.lines() {
            if let Some(c) = line.strip_prefix(':') {
                b.comments.push(c.trim().to_string());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            } else if let Some(v) = line.strip_prefix("id:") {
                b.id = Some(v.strip_prefix(' ').unwrap_or(v).to_string());
            } else if let Some(v) = line.strip_prefix("retry:") {
                b.retry = v.trim().parse().ok();
            } else if !line.is_empty() {
                b.other.push(line.to_string());
            }
        }
        if !data.is_empty() {
            let joined = data.join("\n");
            let v: Value =
                serde_json::from_str(&joined).unwrap_or_else(|e| panic!("SSE data is not JSON: {joined:?}: {e}"));
            b.data = Some(v);
        }
        b
    }

    /// The next block, the end of the stream, or a timeout.
    pub async fn next_block(&mut self, timeout: Duration) -> SseNext {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(pos) = self.buf.windows(2).position(|w| w == b"\n\n") {
                let raw: Vec<u8> = self.buf.drain(..pos + 2).collect();
                let text = String::from_utf8(raw).expect("SSE stream is UTF-8");
                let block = Self::parse_block(&text);
                self.seen.push(block.clone());
                return SseNext::Block(block);
            }
            match tokio::time::timeout_at(deadline, self.resp.chunk()).await {
                Err(_) => return SseNext::Timeout,
                Ok(Ok(Some(bytes))) => {
                    self.buf.extend_from_slice(&bytes);
                    // Tolerate CRLF line ends.
                    if self.buf.contains(&b'\r') {
                        self.buf.retain(|&c| c != b'\r');
                    }
                }
                Ok(Ok(None)) | Ok(Err(_)) => return SseNext::Ended,
            }
        }
    }

    /// The next block that carries `data:`, with its `id:`.
    pub async fn next_data(&mut self, timeout: Duration) -> (Option<String>, Value) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_block(left).await {
                SseNext::Block(b) => {
                    if let Some(d) = b.data {
                        return (b.id, d);
                    }
                }
                other => panic!(
                    "expected an SSE data event within {timeout:?}, got {other:?}; seen: {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Skips data events until `pred` matches one.
    pub async fn next_data_matching(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> (Option<String>, Value) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_block(left).await {
                SseNext::Block(b) => {
                    if let Some(d) = b.data {
                        if pred(&d) {
                            return (b.id, d);
                        }
                    }
                }
                other => panic!(
                    "expected {what} within {timeout:?}, got {other:?}; seen: {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Every block for `dur` (the stream must stay open).
    pub async fn collect_for(&mut self, dur: Duration) -> Vec<SseBlock> {
        let deadline = tokio::time::Instant::now() + dur;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_block(left).await {
                SseNext::Block(b) => out.push(b),
                SseNext::Timeout => return out,
                SseNext::Ended => panic!("SSE stream ended while collecting; got {out:?}"),
            }
        }
    }
}

impl Ws {
    /// Sends `subscribe` (with `since` when given) and a `ref`.
    pub async fn send_subscribe(&mut self, topic: &str, since: Option<&Value>, r: &str) {
        let mut msg = json!({"type": "subscribe", "topic": topic, "ref": r});
        if let Some(s) = since {
            msg["since"] = s.clone();
        }
        self.send_json(&msg).await;
    }

    /// The next frame whose `ref` is `r` (skipping others).
    pub async fn reply_to(&mut self, r: &str, timeout: Duration) -> Value {
        self.next_matching(&format!("a reply with ref {r}"), timeout, |v| v["ref"] == r)
            .await
    }

    /// Subscribes and asserts the `subscribed` reply (returned).
    pub async fn subscribe_ok(&mut self, topic: &str, since: Option<&Value>, r: &str) -> Value {
        self.send_subscribe(topic, since, r).await;
        let reply = self.reply_to(r, FRAME).await;
        assert_eq!(reply["type"], "subscribed", "subscribe {topic}: {reply}");
        assert_eq!(reply["data"]["topic"], topic, "subscribed.data.topic: {reply}");
        reply
    }

    /// Sends JSON as one text frame, reporting (not panicking on) a failed
    /// write.
    pub async fn try_send_json(&mut self, v: &Value) -> Result<(), String> {
        self.try_send_text(&v.to_string()).await
    }
}

/// `{epoch, seq}` of a frame: `data` of a `subscribed` reply, or the
/// envelope's `seq` with a known epoch.
pub fn position_of_subscribed(reply: &Value) -> Value {
    json!({"epoch": reply["data"]["epoch"], "seq": reply["data"]["seq"]})
}

/// The `exp` claim of a token signed with `JWT_SECRET`.
pub fn jwt_exp(token: &str) -> i64 {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.validate_exp = false;
    v.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(JWT_SECRET.as_bytes()),
        &v,
    )
    .expect("decode token");
    data.claims["exp"].as_i64().expect("exp claim")
}

async fn start_server_env(db_url: &str, log: &Arc<Mutex<Vec<String>>>, env: &[(&str, &str)]) -> (Child, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", db_url)
        .env("EMCEE_JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn emcee serve");
    let stderr = child.stderr.take().expect("stderr piped");
    drain(stderr, log.clone(), "stderr");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            push_log(log, format!("[stdout] {line}"));
            if let Some(pos) = line.find("emcee listening on ") {
                let url = line[pos + "emcee listening on ".len()..].trim().to_string();
                return Some(url.trim_end_matches('/').to_string());
            }
        }
        None
    })
    .await;
    let base_url = match found {
        Ok(Some(url)) => url,
        other => {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let logs = log.lock().map(|l| l.join("\n")).unwrap_or_default();
            panic!(
                "emcee serve (env {env:?}) did not print `emcee listening on ...` ({}):\n{logs}",
                if other.is_err() { "timeout" } else { "stdout closed" }
            );
        }
    };
    let inner = lines.into_inner();
    drain(inner, log.clone(), "stdout");
    (child, base_url)
}
