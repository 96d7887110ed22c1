//! `fanout`: one publish, many subscribers. N WebSocket clients (and
//! optionally SSE clients) follow `event:{id}` topics; publishers `POST
//! /api/publish` (a burst as fast as they go, or a steady rate); every
//! delivery is checked (loss, duplicates, order by `seq`) and timed from the
//! start of the publish call to the client's read, on one machine's clock.
//! Optionally some clients stop reading right after subscribing (`--stall`)
//! to see whether the server drops them as slow consumers and whether the
//! others notice.
//!
//! Analysis and printing live in `fanout_report.rs`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use chrono::Utc;
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::{watch, Semaphore};

use crate::api::Api;
use crate::fanout_report::{self as report, Report};
use crate::setup::{room_limits, Setup, Target};
use crate::sys::{self, CpuSample};
use crate::wire::{self, now_us, End, SseConn, WsConn};

/// Clients of all kinds together (WebSocket, SSE, stalled).
pub const MAX_CLIENTS: usize = 20_000;
const MAX_EVENTS: usize = 1_000;
const MAX_BURST: usize = 100_000;
const MAX_RATE: f64 = 1_000.0;
const MAX_DURATION: u64 = 600;
const MAX_HOLD: u64 = 3_600;
const MAX_USERS: usize = 1_000;
const MAX_PAYLOAD: usize = 60_000;
/// Publishes in flight at once in rate mode (a stuck server must not make us pile up requests).
const RATE_IN_FLIGHT: usize = 64;
/// After publishing, stop waiting when no delivery arrived for this long.
const NO_PROGRESS_SECS: u64 = 15;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/ws?token=…`, then `{"type":"subscribe","topic":"event:{id}","ref":"s"}`
    Ws,
    /// `/ws/event/{id}?token=…` (subscribed on connect)
    Event,
}

#[derive(clap::Args, Debug, Clone)]
pub struct FanoutArgs {
    /// WebSocket subscribers that read normally [default: 1000; 200 with --smoke]
    #[arg(long)]
    pub clients: Option<usize>,
    /// Spread the clients (round-robin) over this many events; publishes go round-robin too.
    #[arg(long, default_value_t = 1)]
    pub events: usize,
    /// SSE subscribers on `/api/events/{id}/stream`, besides the WebSocket ones [default: 0; 20 with --smoke]
    #[arg(long)]
    pub sse: Option<usize>,
    /// Burst mode: this many publishes, by --publishers concurrent publishers, as fast as they go.
    #[arg(long, conflicts_with = "rate")]
    pub burst: Option<usize>,
    /// Concurrent publishers in burst mode.
    #[arg(long, default_value_t = 4)]
    pub publishers: usize,
    /// Rate mode: publishes per second, for --duration seconds.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Rate mode: seconds of publishing.
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// This many extra WebSocket clients stop reading right after subscribing
    /// (read again only at the end). Runs a baseline without them first unless --no-baseline.
    #[arg(long, default_value_t = 0)]
    pub stall: usize,
    /// With --stall: skip the baseline run.
    #[arg(long)]
    pub no_baseline: bool,
    /// Pad each publish's data with this many bytes (`"zpad":"xxx…"`).
    #[arg(long, default_value_t = 0)]
    pub payload_bytes: usize,
    /// Keep everyone connected this many seconds before publishing (checks they stay).
    #[arg(long, default_value_t = 0)]
    pub hold: u64,
    /// Quick check (200 WS + 20 SSE clients on 2 events, burst of 50 by 2 publishers):
    /// exits non-zero on any loss, duplicate, disorder, malformed frame or failed connect.
    #[arg(long)]
    pub smoke: bool,
    /// How clients subscribe.
    #[arg(long, value_enum, default_value = "ws")]
    pub endpoint: Endpoint,
    /// Distinct users whose tokens the clients share (minted with `emcee token`) [default: 100; 10 with --smoke]
    #[arg(long)]
    pub users: Option<usize>,
    /// Handshakes (connect → subscribed) in flight at once.
    #[arg(long, default_value_t = 200)]
    pub connect_concurrency: usize,
    /// Each client's read buffer in bytes (one read syscall takes up to this much).
    #[arg(long, default_value_t = 65_536)]
    pub read_buf: usize,
    /// Rate mode: latency is also summarised per window of this many seconds (by publish time).
    #[arg(long, default_value_t = 10)]
    pub window_secs: u64,
    /// After the last publish returns, wait at most this long for every delivery.
    #[arg(long, default_value_t = 60)]
    pub drain_secs: u64,
    /// Give up on a client that is not subscribed this long after its connect started.
    #[arg(long, default_value_t = 60)]
    pub connect_timeout_secs: u64,
    /// Pause after everyone subscribed, before measuring memory and publishing.
    #[arg(long, default_value_t = 1500)]
    pub settle_ms: u64,
    /// After measuring, keep every connection (stalled ones still unread) this
    /// many more seconds before stopping: shows whether the server ever drops
    /// a stalled client (heartbeat, outbox cap) once publishing is over.
    #[arg(long, default_value_t = 0)]
    pub linger: u64,
    /// With --url: an admin token for `POST /api/publish` (clients use --attendee-token).
    #[arg(long, env = "EMCEE_BENCH_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

/// Publishing mode.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    Idle,
    Burst { count: usize, publishers: usize },
    Rate { per_sec: f64, secs: u64 },
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Idle => "idle",
            Mode::Burst { .. } => "burst",
            Mode::Rate { .. } => "rate",
        }
    }

    pub fn publishes(&self) -> usize {
        match *self {
            Mode::Idle => 0,
            Mode::Burst { count, .. } => count,
            Mode::Rate { per_sec, secs } => (per_sec * secs as f64).round() as usize,
        }
    }
}

/// The resolved parameters of one run.
#[derive(Clone, Debug)]
pub struct Params {
    pub clients: usize,
    pub sse: usize,
    pub stall: usize,
    pub events: usize,
    pub users: usize,
    pub mode: Mode,
    pub payload_bytes: usize,
    pub endpoint: Endpoint,
    pub hold: u64,
    pub smoke: bool,
}

impl Params {
    pub fn total_clients(&self) -> usize {
        self.clients + self.sse + self.stall
    }
}

pub async fn run(args: FanoutArgs) -> Result<bool> {
    let smoke = args.smoke;
    let clients = args.clients.unwrap_or(if smoke { 200 } else { 1000 });
    let sse = args.sse.unwrap_or(if smoke { 20 } else { 0 });
    let users = args.users.unwrap_or(if smoke { 10 } else { 100 });
    let events = if smoke && args.events == 1 { 2 } else { args.events };
    let mode = match (args.burst, args.rate) {
        (Some(count), None) => Mode::Burst {
            count,
            publishers: args.publishers,
        },
        (None, Some(per_sec)) => Mode::Rate {
            per_sec,
            secs: args.duration,
        },
        (None, None) if smoke => Mode::Burst {
            count: 50,
            publishers: 2,
        },
        (None, None) => Mode::Idle,
        (Some(_), Some(_)) => bail!("give --burst or --rate, not both"),
    };
    let p = Params {
        clients,
        sse,
        stall: args.stall,
        events,
        users,
        mode,
        payload_bytes: args.payload_bytes,
        endpoint: args.endpoint,
        hold: args.hold,
        smoke,
    };
    if p.total_clients() == 0 || p.total_clients() > MAX_CLIENTS {
        bail!("--clients + --sse + --stall must be 1..={MAX_CLIENTS}");
    }
    if p.events == 0 || p.events > MAX_EVENTS {
        bail!("--events must be 1..={MAX_EVENTS}");
    }
    if p.users == 0 || p.users > MAX_USERS {
        bail!("--users must be 1..={MAX_USERS}");
    }
    if p.payload_bytes > MAX_PAYLOAD {
        bail!("--payload-bytes must be at most {MAX_PAYLOAD}");
    }
    if p.hold > MAX_HOLD {
        bail!("--hold must be at most {MAX_HOLD} s");
    }
    match p.mode {
        Mode::Burst { count, publishers } => {
            if count == 0 || count > MAX_BURST {
                bail!("--burst must be 1..={MAX_BURST}");
            }
            if publishers == 0 || publishers > 256 {
                bail!("--publishers must be 1..=256");
            }
        }
        Mode::Rate { per_sec, secs } => {
            if !(per_sec > 0.0 && per_sec <= MAX_RATE) {
                bail!("--rate must be in (0, {MAX_RATE}]");
            }
            if secs == 0 || secs > MAX_DURATION {
                bail!("--duration must be 1..={MAX_DURATION}");
            }
        }
        Mode::Idle => {}
    }
    if args.window_secs == 0 {
        bail!("--window-secs must be at least 1");
    }

    // Before starting the server, so that it inherits the raised limit.
    // The server needs ~50 descriptors besides its sockets, the generator ~20.
    let nofile = sys::raise_nofile(p.total_clients() as u64 + 64);

    let baseline = if p.stall > 0 && !args.no_baseline {
        let base = Params { stall: 0, ..p.clone() };
        eprintln!("== baseline run (no stalled client) ==");
        let r = run_once(&args, &base).await?;
        report::print(&r, nofile);
        eprintln!("== run with {} stalled client(s) ==", p.stall);
        Some(r)
    } else {
        None
    };
    let r = run_once(&args, &p).await?;
    report::print(&r, nofile);
    if let Some(b) = &baseline {
        report::print_comparison(b, &r);
    }
    println!("{}", report::json_line(&r, baseline.as_ref()));
    let problems = r.problems();
    if smoke && !problems.is_empty() {
        eprintln!("SMOKE FAILED: {}", problems.join("; "));
        return Ok(false);
    }
    Ok(true)
}

async fn run_once(args: &FanoutArgs, p: &Params) -> Result<Report> {
    let mut setup = Setup::with_env(&args.target, &room_limits()).await?;
    let result = measure(&mut setup, args, p).await;
    let stopped = setup.finish().await;
    let r = result?;
    if let Err(e) = stopped {
        eprintln!("warning: stopping the server: {e:#}");
    }
    Ok(r)
}

// ---------------------------------------------------------------------------
// Per-client recording

/// What one client saw. The hot path (`on_text`) checks a bench frame with
/// byte comparisons only: the envelope prefix (type + this client's topic),
/// then `seq`, `data.n` and `data.sent_us` as integers. Each client's first
/// bench frame is also parsed in full as JSON and cross-checked.
pub struct Recorder {
    topic: String,
    /// `{"type":"bench","topic":"event:ID","seq":`
    prefix: Vec<u8>,
    /// Bitset over publish numbers `n`.
    pub seen: Vec<u64>,
    /// (n, receipt − data.sent_us in µs)
    pub lat: Vec<(u32, u32)>,
    pub bench: u64,
    pub dup: u64,
    pub out_of_order: u64,
    pub bad: u64,
    pub negative: u64,
    /// Highest `seq` so far (starts at the position in `subscribed`).
    last_seq: u64,
    pub other_types: BTreeMap<String, u64>,
    pub first_us: i64,
    pub last_us: i64,
    pub bad_examples: Vec<String>,
    full_checked: bool,
    /// For one client: (n, server `ts` in µs) of every bench frame.
    pub ts_log: Option<Vec<(u32, i64)>>,
    /// `Ok(position)` once `subscribed` for our topic arrived; `Err` on an `error` frame first.
    pub subscribed: Option<Result<u64, String>>,
}

impl Recorder {
    pub fn new(topic: String, total_pubs: usize, keep_ts: bool) -> Recorder {
        let prefix = format!("{{\"type\":\"bench\",\"topic\":\"{topic}\",\"seq\":").into_bytes();
        Recorder {
            topic,
            prefix,
            seen: vec![0; total_pubs.div_ceil(64)],
            lat: Vec::new(),
            bench: 0,
            dup: 0,
            out_of_order: 0,
            bad: 0,
            negative: 0,
            last_seq: 0,
            other_types: BTreeMap::new(),
            first_us: 0,
            last_us: 0,
            bad_examples: Vec::new(),
            full_checked: false,
            ts_log: keep_ts.then(Vec::new),
            subscribed: None,
        }
    }

    fn bad(&mut self, why: &str, text: &[u8]) {
        self.bad += 1;
        if self.bad_examples.len() < 3 {
            let t = String::from_utf8_lossy(&text[..text.len().min(300)]);
            self.bad_examples.push(format!("{why}: {t}"));
        }
    }

    /// Handles one text message read at `now` (µs). Returns true for a valid bench delivery.
    pub fn on_text(&mut self, t: &[u8], now: i64) -> bool {
        if t.starts_with(&self.prefix) {
            return self.on_bench(t, now);
        }
        let ty = t
            .strip_prefix(b"{\"type\":\"")
            .and_then(|r| r.iter().position(|&b| b == b'"').map(|e| &r[..e]))
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_else(|| "<unrecognised>".into());
        match ty.as_str() {
            "bench" => self.bad("bench frame without the expected envelope prefix / topic", t),
            "subscribed" if self.subscribed.is_none() => {
                let v: Value = serde_json::from_slice(t).unwrap_or(Value::Null);
                let data = &v["data"];
                if data["topic"].as_str() == Some(&self.topic) {
                    let pos = data["seq"].as_u64().unwrap_or(0);
                    self.last_seq = pos;
                    self.subscribed = Some(Ok(pos));
                }
            }
            "error" if self.subscribed.is_none() => {
                self.subscribed = Some(Err(String::from_utf8_lossy(t).into_owned()));
            }
            _ => {}
        }
        *self.other_types.entry(ty).or_default() += 1;
        false
    }

    fn on_bench(&mut self, t: &[u8], now: i64) -> bool {
        let Some((seq, after_seq)) = wire::parse_uint(t, self.prefix.len()) else {
            self.bad("no integer seq", t);
            return false;
        };
        let Some(d) = wire::find(&t[after_seq..], b"\"data\":{") else {
            self.bad("no data object", t);
            return false;
        };
        let data_at = after_seq + d + 7;
        let (Some((n, _)), Some((sent, _))) = (
            wire::uint_after(t, b"\"n\":", data_at),
            wire::uint_after(t, b"\"sent_us\":", data_at),
        ) else {
            self.bad("data.n / data.sent_us missing", t);
            return false;
        };
        let n = n as usize;
        if n >= self.seen.len() * 64 {
            self.bad("data.n out of range", t);
            return false;
        }
        if !self.full_checked || self.ts_log.is_some() {
            self.full_check(t, seq, n as u64, sent);
        }
        self.bench += 1;
        if seq <= self.last_seq {
            self.out_of_order += 1;
        } else {
            self.last_seq = seq;
        }
        let (word, bit) = (n / 64, 1u64 << (n % 64));
        if self.seen[word] & bit != 0 {
            self.dup += 1;
        }
        self.seen[word] |= bit;
        let lat = now - sent as i64;
        if lat < 0 {
            self.negative += 1;
        }
        self.lat.push((n as u32, lat.clamp(0, u32::MAX as i64) as u32));
        if self.first_us == 0 {
            self.first_us = now;
        }
        self.last_us = now;
        true
    }

    /// Parses the whole frame and compares it with the fast path.
    fn full_check(&mut self, t: &[u8], seq: u64, n: u64, sent: u64) {
        self.full_checked = true;
        let v: Value = match serde_json::from_slice(t) {
            Ok(v) => v,
            Err(e) => return self.bad(&format!("not JSON ({e})"), t),
        };
        let ts = v["ts"]
            .as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc).timestamp_micros());
        let ok = v["type"] == "bench"
            && v["topic"].as_str() == Some(&self.topic)
            && v["seq"].as_u64() == Some(seq)
            && v["data"]["n"].as_u64() == Some(n)
            && v["data"]["sent_us"].as_u64() == Some(sent)
            && ts.is_some();
        if !ok {
            return self.bad("full parse disagrees or ts missing", t);
        }
        if let (Some(log), Some(ts)) = (self.ts_log.as_mut(), ts) {
            log.push((n as u32, ts));
        }
    }
}

// ---------------------------------------------------------------------------
// Clients

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ws,
    Sse,
    Stalled,
}

struct Spec {
    index: usize,
    kind: Kind,
    event: usize,
    token: Arc<str>,
    keep_ts: bool,
}

struct Shared {
    addr: SocketAddr,
    endpoint: Endpoint,
    event_ids: Vec<String>,
    sem: Semaphore,
    subscribed: AtomicUsize,
    failed: AtomicUsize,
    /// Live readers that ended before we stopped them.
    ended_early: AtomicUsize,
    delivered: AtomicU64,
    t0: Instant,
    /// Latest `subscribed` receipt, µs after `t0`.
    last_sub_us: AtomicU64,
    /// Subscribed live readers (WebSocket and SSE, not stalled) per event.
    live_per_event: Vec<AtomicUsize>,
    read_buf: usize,
    total_pubs: usize,
    connect_timeout: Duration,
    stop: watch::Receiver<bool>,
}

/// How a stalled client ended when it finally read.
#[derive(Debug, Clone)]
pub struct StallOutcome {
    /// None: still open (no data and no close for 1 s of reading).
    pub end: Option<End>,
    pub bytes: u64,
    pub drain_ms: f64,
}

pub struct ClientLog {
    pub index: usize,
    pub kind: Kind,
    pub event: usize,
    /// Connect start → `subscribed`; None if it failed.
    pub connect: Option<Duration>,
    pub connect_error: Option<String>,
    pub rec: Recorder,
    /// How the connection ended before we stopped it (None: still up at the end).
    pub end: Option<End>,
    pub reads: u64,
    pub bytes: u64,
    pub stall: Option<StallOutcome>,
}

async fn client_task(spec: Spec, sh: Arc<Shared>) -> ClientLog {
    let topic = format!("event:{}", sh.event_ids[spec.event]);
    let mut log = ClientLog {
        index: spec.index,
        kind: spec.kind,
        event: spec.event,
        connect: None,
        connect_error: None,
        rec: Recorder::new(topic, sh.total_pubs, spec.keep_ts),
        end: None,
        reads: 0,
        bytes: 0,
        stall: None,
    };
    match spec.kind {
        Kind::Ws | Kind::Stalled => ws_client(&spec, &sh, &mut log).await,
        Kind::Sse => sse_client(&spec, &sh, &mut log).await,
    }
    log
}

/// Resolves once the stop flag is set (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

fn mark_subscribed(sh: &Shared, spec: &Spec) {
    sh.subscribed.fetch_add(1, Ordering::Relaxed);
    if spec.kind != Kind::Stalled {
        sh.live_per_event[spec.event].fetch_add(1, Ordering::Relaxed);
    }
    sh.last_sub_us
        .fetch_max(sh.t0.elapsed().as_micros() as u64, Ordering::Relaxed);
}

async fn ws_subscribe(spec: &Spec, sh: &Shared, rec: &mut Recorder) -> Result<WsConn> {
    let id = &sh.event_ids[spec.event];
    let path = match sh.endpoint {
        Endpoint::Ws => format!("/ws?token={}", spec.token),
        Endpoint::Event => format!("/ws/event/{id}?token={}", spec.token),
    };
    let mut conn = WsConn::connect(sh.addr, &path, sh.read_buf).await?;
    if sh.endpoint == Endpoint::Ws {
        let msg = format!("{{\"type\":\"subscribe\",\"topic\":\"event:{id}\",\"ref\":\"s\"}}");
        conn.send_text(&msg).await.context("sending subscribe")?;
    }
    loop {
        if conn.read_more().await? == 0 {
            bail!("connection closed before `subscribed`");
        }
        let now = now_us();
        let end = conn.process(|t| {
            rec.on_text(t, now);
        })?;
        conn.flush().await?;
        match &rec.subscribed {
            Some(Ok(_)) => return Ok(conn),
            Some(Err(e)) => bail!("refused: {e}"),
            None => {}
        }
        if let Some(end) = end {
            bail!("{} before `subscribed`", end.describe());
        }
    }
}

/// Runs a client's connect-and-subscribe under the connect concurrency limit
/// and the connect timeout; a failure is counted. `None` when the run is
/// shutting down before the client got its turn.
async fn connect_within<C>(
    sh: &Shared,
    subscribe: impl std::future::Future<Output = anyhow::Result<C>>,
) -> Option<Result<(C, Duration), String>> {
    let permit = sh.sem.acquire().await.ok()?;
    let t = Instant::now();
    let r = tokio::time::timeout(sh.connect_timeout, subscribe).await;
    drop(permit);
    let failed = |why: String| {
        sh.failed.fetch_add(1, Ordering::Relaxed);
        Some(Err(why))
    };
    match r {
        Ok(Ok(c)) => Some(Ok((c, t.elapsed()))),
        Ok(Err(e)) => failed(format!("{e:#}")),
        Err(_) => failed(format!("not subscribed within {:?}", sh.connect_timeout)),
    }
}

async fn ws_client(spec: &Spec, sh: &Shared, log: &mut ClientLog) {
    let mut conn = match connect_within(sh, ws_subscribe(spec, sh, &mut log.rec)).await {
        None => return,
        Some(Ok((c, took))) => {
            log.connect = Some(took);
            c
        }
        Some(Err(e)) => {
            log.connect_error = Some(e);
            return;
        }
    };
    mark_subscribed(sh, spec);
    let mut stop = sh.stop.clone();

    if spec.kind == Kind::Stalled {
        // Never read until the end.
        stopped(&mut stop).await;
        log.stall = Some(drain_stalled(&mut conn, &mut log.rec).await);
        log.reads = conn.reads;
        log.bytes = conn.bytes;
        return;
    }

    loop {
        tokio::select! {
            biased;
            _ = stopped(&mut stop) => break,
            r = conn.read_more() => {
                match r {
                    Ok(0) => { log.end = Some(End::Eof); break; }
                    Ok(_) => {}
                    Err(e) => { log.end = Some(End::Error(format!("read: {e}"))); break; }
                }
                let now = now_us();
                let mut got = 0u64;
                let rec = &mut log.rec;
                let res = conn.process(|t| {
                    if rec.on_text(t, now) {
                        got += 1;
                    }
                });
                if got > 0 {
                    sh.delivered.fetch_add(got, Ordering::Relaxed);
                }
                match res {
                    Ok(None) => {}
                    Ok(Some(end)) => { log.end = Some(end); break; }
                    Err(e) => { log.end = Some(End::Error(format!("protocol: {e:#}"))); break; }
                }
                if let Err(e) = conn.flush().await {
                    log.end = Some(End::Error(format!("write: {e}")));
                    break;
                }
            }
        }
    }
    if log.end.is_some() {
        sh.ended_early.fetch_add(1, Ordering::Relaxed);
        let _ = conn.flush().await;
    }
    log.reads = conn.reads;
    log.bytes = conn.bytes;
    if log.end.is_none() {
        conn.close().await;
    }
}

/// Reads what a stalled client has waiting: until a close frame, the end of
/// the stream, an error, 1 s without data, or 30 s in all.
async fn drain_stalled(conn: &mut WsConn, rec: &mut Recorder) -> StallOutcome {
    let t = Instant::now();
    let before = conn.bytes;
    let mut end = None;
    while t.elapsed() < Duration::from_secs(30) {
        match tokio::time::timeout(Duration::from_secs(1), conn.read_more()).await {
            Err(_) => break,
            Ok(Ok(0)) => {
                end = Some(End::Eof);
                break;
            }
            Ok(Ok(_)) => {
                let now = now_us();
                match conn.process(|t| {
                    rec.on_text(t, now);
                }) {
                    Ok(None) => {}
                    Ok(Some(e)) => {
                        end = Some(e);
                        break;
                    }
                    Err(e) => {
                        end = Some(End::Error(format!("protocol: {e:#}")));
                        break;
                    }
                }
            }
            Ok(Err(e)) => {
                end = Some(End::Error(format!("read: {e}")));
                break;
            }
        }
    }
    StallOutcome {
        end,
        bytes: conn.bytes - before,
        drain_ms: t.elapsed().as_secs_f64() * 1000.0,
    }
}

async fn sse_subscribe(spec: &Spec, sh: &Shared, rec: &mut Recorder) -> Result<SseConn> {
    let path = format!("/api/events/{}/stream", sh.event_ids[spec.event]);
    let mut conn = SseConn::connect(sh.addr, &path, &spec.token, sh.read_buf).await?;
    loop {
        conn.process(|t| {
            rec.on_text(t, now_us());
        })?;
        match &rec.subscribed {
            Some(Ok(_)) => return Ok(conn),
            Some(Err(e)) => bail!("refused: {e}"),
            None => {}
        }
        if conn.ended() || conn.read_more().await? == 0 {
            bail!("stream ended before `subscribed`");
        }
    }
}

async fn sse_client(spec: &Spec, sh: &Shared, log: &mut ClientLog) {
    let mut conn = match connect_within(sh, sse_subscribe(spec, sh, &mut log.rec)).await {
        None => return,
        Some(Ok((c, took))) => {
            log.connect = Some(took);
            c
        }
        Some(Err(e)) => {
            log.connect_error = Some(e);
            return;
        }
    };
    mark_subscribed(sh, spec);
    let mut stop = sh.stop.clone();
    loop {
        tokio::select! {
            biased;
            _ = stopped(&mut stop) => break,
            r = conn.read_more() => {
                match r {
                    Ok(0) => { log.end = Some(End::Eof); break; }
                    Ok(_) => {}
                    Err(e) => { log.end = Some(End::Error(format!("read: {e}"))); break; }
                }
                let now = now_us();
                let mut got = 0u64;
                let rec = &mut log.rec;
                let res = conn.process(|t| {
                    if rec.on_text(t, now) {
                        got += 1;
                    }
                });
                if got > 0 {
                    sh.delivered.fetch_add(got, Ordering::Relaxed);
                }
                if let Err(e) = res {
                    log.end = Some(End::Error(format!("protocol: {e:#}")));
                    break;
                }
                if conn.ended() {
                    log.end = Some(End::Eof);
                    break;
                }
            }
        }
    }
    if log.end.is_some() {
        sh.ended_early.fetch_add(1, Ordering::Relaxed);
    }
    log.reads = conn.reads;
    log.bytes = conn.bytes;
}

// ---------------------------------------------------------------------------
// Publishers

/// One publish call.
#[derive(Clone, Debug)]
pub struct PubRec {
    pub n: usize,
    pub event: usize,
    /// Wall clock (µs) just before the call; also carried in `data.sent_us`.
    pub sent_us: i64,
    pub dur_us: u64,
    /// HTTP status, 0 when the call failed.
    pub status: u16,
    pub error: Option<String>,
}

async fn publish_one(api: &Api, token: &str, event_ids: &[String], n: usize, pad: &str) -> PubRec {
    let event = n % event_ids.len();
    let sent_us = now_us();
    let t = Instant::now();
    let body = format!(
        "{{\"topic\":\"event:{}\",\"type\":\"bench\",\"data\":{{\"n\":{n},\"sent_us\":{sent_us}{pad}}}}}",
        event_ids[event]
    );
    let r = api.publish(token, body).await;
    let dur_us = t.elapsed().as_micros() as u64;
    let (status, error) = match r {
        Ok((202, _)) => (202, None),
        Ok((s, text)) => (s, Some(text.chars().take(300).collect())),
        Err(e) => (0, Some(format!("{e:#}"))),
    };
    PubRec {
        n,
        event,
        sent_us,
        dur_us,
        status,
        error,
    }
}

async fn run_publishers(
    api: Arc<Api>,
    token: Arc<str>,
    event_ids: Arc<Vec<String>>,
    mode: Mode,
    pad: Arc<str>,
) -> Vec<PubRec> {
    let out = Arc::new(Mutex::new(Vec::with_capacity(mode.publishes())));
    match mode {
        Mode::Idle => {}
        Mode::Burst { count, publishers } => {
            let next = Arc::new(AtomicUsize::new(0));
            let mut tasks = Vec::new();
            for _ in 0..publishers {
                let (api, token, ids, pad, next, out) = (
                    api.clone(),
                    token.clone(),
                    event_ids.clone(),
                    pad.clone(),
                    next.clone(),
                    out.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    let mut mine = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if n >= count {
                            break;
                        }
                        mine.push(publish_one(&api, &token, &ids, n, &pad).await);
                    }
                    if let Ok(mut o) = out.lock() {
                        o.extend(mine);
                    }
                }));
            }
            for t in tasks {
                let _ = t.await;
            }
        }
        Mode::Rate { per_sec, .. } => {
            let count = mode.publishes();
            let period = Duration::from_secs_f64(1.0 / per_sec);
            let in_flight = Arc::new(Semaphore::new(RATE_IN_FLIGHT));
            let start = tokio::time::Instant::now();
            let mut tasks = Vec::with_capacity(count);
            let mut skipped = 0usize;
            for n in 0..count {
                tokio::time::sleep_until(start + period.mul_f64(n as f64)).await;
                let Ok(permit) = in_flight.clone().try_acquire_owned() else {
                    // Too many calls outstanding: record it as failed rather than queueing.
                    skipped += 1;
                    if let Ok(mut o) = out.lock() {
                        o.push(PubRec {
                            n,
                            event: n % event_ids.len(),
                            sent_us: now_us(),
                            dur_us: 0,
                            status: 0,
                            error: Some(format!("not sent: {RATE_IN_FLIGHT} publishes already in flight")),
                        });
                    }
                    continue;
                };
                let (api, token, ids, pad, out) =
                    (api.clone(), token.clone(), event_ids.clone(), pad.clone(), out.clone());
                tasks.push(tokio::spawn(async move {
                    let r = publish_one(&api, &token, &ids, n, &pad).await;
                    drop(permit);
                    if let Ok(mut o) = out.lock() {
                        o.push(r);
                    }
                }));
                if n > 0 && n % (per_sec.ceil() as usize * 10).max(1) == 0 {
                    eprintln!("  published {n}/{count}…");
                }
            }
            if skipped > 0 {
                eprintln!("warning: {skipped} publishes skipped (server not answering fast enough)");
            }
            for t in tasks {
                let _ = t.await;
            }
        }
    }
    let mut v = out.lock().map(|mut o| std::mem::take(&mut *o)).unwrap_or_default();
    v.sort_by_key(|r| r.n);
    v
}

// ---------------------------------------------------------------------------
// One measured run

/// Server connection counts from `/api/health` over time (s since the connect phase began).
pub type HealthLog = Vec<(f64, u64)>;

/// Phase timings and process figures collected by `measure`.
#[derive(Clone)]
pub struct Phases {
    pub connect_ms: f64,
    pub listen_drops: Option<(u64, u64)>,
    pub rss_before: Option<u64>,
    pub rss_connected: Option<u64>,
    pub rss_after: Option<u64>,
    pub server_cpu_connect: Option<f64>,
    pub loadgen_cpu_connect: Option<f64>,
    pub server_cpu_publish: Option<f64>,
    pub loadgen_cpu_publish: Option<f64>,
    /// Whole machine (all processes), % of one core; 100 × nproc = saturated.
    pub machine_cpu_connect: Option<f64>,
    pub machine_cpu_publish: Option<f64>,
    pub hold_closed: usize,
    pub hold_connections: Option<u64>,
    /// s since connect start: first publish call, publishing done, measurement end.
    pub publish_start_s: f64,
    pub publish_end_s: f64,
    pub measure_end_s: f64,
    /// End of --linger (= measure_end_s without it).
    pub observe_end_s: f64,
    pub expected_live: u64,
    pub delivered_counter: u64,
    pub stopped_by: &'static str,
    pub server_alive_at_end: bool,
    pub health: HealthLog,
}

async fn measure(setup: &mut Setup, args: &FanoutArgs, p: &Params) -> Result<Report> {
    // --- tokens and events ---
    let admin: String = match (&args.admin_token, setup.server.is_some()) {
        (Some(t), _) => t.clone(),
        (None, true) => setup.mint("bench-admin", "admin").await?,
        (None, false) => bail!("with --url, give --admin-token (publishing needs an admin)"),
    };
    let tokens: Vec<Arc<str>> = if setup.server.is_some() {
        eprintln!("minting {} user tokens…", p.users);
        let t = Instant::now();
        let names: Vec<String> = (0..p.users).map(|i| format!("bench-user-{i:04}")).collect();
        let minted: Vec<Result<String>> = futures_util::stream::iter(names.iter())
            .map(|name| setup.mint_retry(name, "attendee"))
            .buffered(4)
            .collect()
            .await;
        let tokens = minted.into_iter().collect::<Result<Vec<String>>>()?;
        eprintln!("  {} tokens in {:.1} s", tokens.len(), t.elapsed().as_secs_f64());
        tokens.into_iter().map(Arc::from).collect()
    } else {
        vec![Arc::from(setup.attendee_token.as_str())]
    };
    let stamp = Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let mut event_ids = Vec::with_capacity(p.events);
    for i in 0..p.events {
        event_ids.push(
            setup
                .api
                .create_event(&admin, &format!("loadgen fanout {stamp} #{i}"), "public")
                .await?,
        );
    }
    eprintln!(
        "{} event(s): {}{}",
        p.events,
        event_ids[0],
        if p.events > 1 { ", …" } else { "" }
    );
    let addr = socket_addr(&setup.api.base)?;

    let pid = setup.pid_str();
    let rss = |pid: &Option<String>| pid.as_deref().and_then(sys::rss_kb);
    let api = Arc::new(crate::api::Api::new(&setup.api.base)?);

    // --- health poller (server-side connection count) ---
    let t0 = Instant::now();
    let health: Arc<Mutex<HealthLog>> = Arc::new(Mutex::new(Vec::new()));
    let (stop_tx, stop_rx) = watch::channel(false);
    let poller = {
        let (api, health, mut stop) = (api.clone(), health.clone(), stop_rx.clone());
        tokio::spawn(async move {
            loop {
                if let Ok(v) = api.health().await {
                    if let Some(c) = v.get("connections").and_then(Value::as_u64) {
                        if let Ok(mut h) = health.lock() {
                            h.push((t0.elapsed().as_secs_f64(), c));
                        }
                    }
                }
                tokio::select! {
                    _ = stopped(&mut stop) => break,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        })
    };

    // --- connect ---
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_before = rss(&pid);
    let total = p.total_clients();
    let (client_stop_tx, client_stop_rx) = watch::channel(false);
    let sh = Arc::new(Shared {
        addr,
        endpoint: p.endpoint,
        event_ids: event_ids.clone(),
        sem: Semaphore::new(args.connect_concurrency.max(1)),
        subscribed: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        ended_early: AtomicUsize::new(0),
        delivered: AtomicU64::new(0),
        t0: Instant::now(),
        last_sub_us: AtomicU64::new(0),
        live_per_event: (0..p.events).map(|_| AtomicUsize::new(0)).collect(),
        read_buf: args.read_buf.max(4096),
        total_pubs: p.mode.publishes().max(1),
        connect_timeout: Duration::from_secs(args.connect_timeout_secs.max(1)),
        stop: client_stop_rx,
    });
    eprintln!(
        "connecting {} WebSocket + {} SSE + {} stalled clients ({} at a time, {} users)…",
        p.clients,
        p.sse,
        p.stall,
        args.connect_concurrency,
        tokens.len()
    );
    let cpu_srv_c0 = pid.as_deref().map(CpuSample::take);
    let cpu_self_c0 = CpuSample::take("self");
    let cpu_all_c0 = CpuSample::machine();
    let tcp_0 = sys::tcp_listen_counters();
    let mut handles = Vec::with_capacity(total);
    for i in 0..total {
        let (kind, k) = if i < p.clients {
            (Kind::Ws, i)
        } else if i < p.clients + p.sse {
            (Kind::Sse, i - p.clients)
        } else {
            (Kind::Stalled, i - p.clients - p.sse)
        };
        let spec = Spec {
            index: i,
            kind,
            event: k % p.events,
            token: tokens[i % tokens.len()].clone(),
            keep_ts: i == 0 && kind == Kind::Ws,
        };
        handles.push(tokio::spawn(client_task(spec, sh.clone())));
    }
    let connect_deadline = Instant::now() + Duration::from_secs(args.connect_timeout_secs.max(1) + 30);
    let mut last_print = Instant::now();
    loop {
        let (s, f) = (sh.subscribed.load(Ordering::Relaxed), sh.failed.load(Ordering::Relaxed));
        if s + f >= total {
            break;
        }
        if Instant::now() >= connect_deadline {
            eprintln!("warning: connect phase timed out with {s} subscribed, {f} failed of {total}");
            break;
        }
        if last_print.elapsed() >= Duration::from_secs(2) {
            eprintln!("  {s} subscribed, {f} failed…");
            last_print = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let connect_ms = sh.last_sub_us.load(Ordering::Relaxed) as f64 / 1000.0;
    let tcp_1 = sys::tcp_listen_counters();
    let cpu_srv_c1 = pid.as_deref().map(CpuSample::take);
    let cpu_self_c1 = CpuSample::take("self");
    let cpu_all_c1 = CpuSample::machine();
    let listen_drops = match (tcp_0, tcp_1) {
        (Some(a), Some(b)) => Some((b.0.saturating_sub(a.0), b.1.saturating_sub(a.1))),
        _ => None,
    };
    let subscribed = sh.subscribed.load(Ordering::Relaxed);
    eprintln!(
        "subscribed {subscribed}/{total} in {connect_ms:.0} ms ({} failed)",
        sh.failed.load(Ordering::Relaxed)
    );
    if subscribed == 0 {
        let _ = client_stop_tx.send(true);
        let _ = stop_tx.send(true);
        let mut first_error = String::from("?");
        for h in handles {
            if let Ok(l) = h.await {
                if let Some(e) = l.connect_error {
                    first_error = e;
                    break;
                }
            }
        }
        bail!("no client could subscribe: {first_error}");
    }

    tokio::time::sleep(Duration::from_millis(args.settle_ms)).await;
    let rss_connected = rss(&pid);

    // --- hold ---
    let mut hold_connections = None;
    if p.hold > 0 {
        eprintln!("holding {subscribed} connections for {} s…", p.hold);
        let until = Instant::now() + Duration::from_secs(p.hold);
        while Instant::now() < until {
            if !setup.server_alive() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        hold_connections = api
            .health()
            .await
            .ok()
            .and_then(|v| v.get("connections").and_then(Value::as_u64));
    }
    let hold_closed = sh.ended_early.load(Ordering::Relaxed);

    // --- publish ---
    let pad: Arc<str> = if p.payload_bytes > 0 {
        Arc::from(format!(",\"zpad\":\"{}\"", "x".repeat(p.payload_bytes)))
    } else {
        Arc::from("")
    };
    let cpu_srv_p0 = pid.as_deref().map(CpuSample::take);
    let cpu_self_p0 = CpuSample::take("self");
    let cpu_all_p0 = CpuSample::machine();
    let publish_start_s = sh.t0.elapsed().as_secs_f64();
    let delivered_before = sh.delivered.load(Ordering::Relaxed);
    if !matches!(p.mode, Mode::Idle) {
        eprintln!("publishing ({:?}, {} publishes)…", p.mode, p.mode.publishes());
    }
    let admin: Arc<str> = Arc::from(admin.as_str());
    let pubs = run_publishers(api.clone(), admin, Arc::new(event_ids.clone()), p.mode, pad).await;
    let publish_end_s = sh.t0.elapsed().as_secs_f64();

    // Expected deliveries to live readers: accepted publishes to each one's event.
    let mut accepted_per_event = vec![0u64; p.events];
    for r in &pubs {
        if r.status == 202 {
            accepted_per_event[r.event] += 1;
        }
    }
    let expected_live: u64 = (0..p.events)
        .map(|e| accepted_per_event[e] * sh.live_per_event[e].load(Ordering::Relaxed) as u64)
        .sum();
    let drain_deadline = Instant::now() + Duration::from_secs(args.drain_secs);
    let stopped_by = if matches!(p.mode, Mode::Idle) {
        "no publishes"
    } else {
        let (mut last_got, mut last_change) = (u64::MAX, Instant::now());
        loop {
            let got = sh.delivered.load(Ordering::Relaxed) - delivered_before;
            if got >= expected_live {
                break "all deliveries arrived";
            }
            if got != last_got {
                (last_got, last_change) = (got, Instant::now());
            }
            if Instant::now() >= drain_deadline {
                break "--drain-secs";
            }
            if last_change.elapsed() >= Duration::from_secs(NO_PROGRESS_SECS) {
                break "no delivery for 15 s";
            }
            if !setup.server_alive() {
                break "server exited";
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let measure_end_s = sh.t0.elapsed().as_secs_f64();
    let cpu_srv_p1 = pid.as_deref().map(CpuSample::take);
    let cpu_self_p1 = CpuSample::take("self");
    let cpu_all_p1 = CpuSample::machine();
    let delivered_counter = sh.delivered.load(Ordering::Relaxed) - delivered_before;
    // Late duplicates or strays, if any, get a moment to show up.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_after = rss(&pid);
    if args.linger > 0 {
        eprintln!("lingering {} s with every connection open…", args.linger.min(MAX_HOLD));
        tokio::time::sleep(Duration::from_secs(args.linger.min(MAX_HOLD))).await;
    }
    let observe_end_s = sh.t0.elapsed().as_secs_f64();
    let server_alive_at_end = setup.server_alive();

    // --- stop ---
    let _ = client_stop_tx.send(true);
    let mut logs = Vec::with_capacity(total);
    let join_deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    for h in handles {
        match tokio::time::timeout_at(join_deadline, h).await {
            Ok(Ok(l)) => logs.push(l),
            Ok(Err(e)) => eprintln!("warning: a client task failed: {e}"),
            Err(_) => {
                eprintln!("warning: client tasks did not stop within 60 s");
                break;
            }
        }
    }
    let _ = stop_tx.send(true);
    let _ = poller.await;
    let health = health.lock().map(|h| h.clone()).unwrap_or_default();

    let pct = |a: Option<CpuSample>, b: Option<CpuSample>| match (a, b) {
        (Some(a), Some(b)) => a.pct_until(&b),
        _ => None,
    };
    let phases = Phases {
        connect_ms,
        listen_drops,
        rss_before,
        rss_connected,
        rss_after,
        server_cpu_connect: pct(cpu_srv_c0, cpu_srv_c1),
        loadgen_cpu_connect: cpu_self_c0.pct_until(&cpu_self_c1),
        server_cpu_publish: pct(cpu_srv_p0, cpu_srv_p1),
        loadgen_cpu_publish: cpu_self_p0.pct_until(&cpu_self_p1),
        machine_cpu_connect: cpu_all_c0.pct_until(&cpu_all_c1),
        machine_cpu_publish: cpu_all_p0.pct_until(&cpu_all_p1),
        hold_closed,
        hold_connections,
        publish_start_s,
        publish_end_s,
        measure_end_s,
        observe_end_s,
        expected_live,
        delivered_counter,
        stopped_by,
        server_alive_at_end,
        health,
    };
    Ok(report::analyse(p, args, &logs, &pubs, &phases))
}

/// `http://127.0.0.1:PORT` → socket address (loopback was checked by `Setup`).
fn socket_addr(base: &str) -> Result<SocketAddr> {
    let hostport = base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or("")
        .replace("localhost", "127.0.0.1");
    hostport
        .parse()
        .map_err(|e| anyhow!("cannot use {base} as an address ({e}); give 127.0.0.1:PORT"))
}
