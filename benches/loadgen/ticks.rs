//! `ticks`: how late do `timer_update` ticks reach N clients of one round?
//!
//! Lateness of a tick = wall-clock time the client read it − the instant it
//! stands for (`ends_at − time_remaining s`, see docs/protocol.md: "time_remaining
//! = N exactly when ends_at − N s is reached"). Server and clients share one
//! machine, hence one clock.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::clients::{self, ReadLog};
use crate::setup::{room_limits, Setup, Target};
use crate::stats::{self, Summary};
use crate::sys::{self, CpuSample};

const MAX_CLIENTS: usize = 20_000;
const MAX_ROUND_SECS: u64 = 3_600;

#[derive(clap::Args, Debug)]
pub struct TicksArgs {
    /// WebSocket clients on the round's timer socket [default: 1000; 20 with --smoke]
    #[arg(long)]
    pub clients: Option<usize>,
    /// Round length in seconds; each client should get this many ticks [default: 30; 3 with --smoke]
    #[arg(long)]
    pub round_secs: Option<u64>,
    /// Tiny quick run (20 clients, 3 s) that exits non-zero if any tick is lost,
    /// any client fails to connect or any tick is malformed.
    #[arg(long)]
    pub smoke: bool,
    /// Handshakes in flight at once while connecting.
    #[arg(long, default_value_t = 200)]
    pub connect_concurrency: usize,
    /// Stop measuring this many seconds after the round starts, even if it has not ended
    /// [default: round-secs + 10].
    #[arg(long)]
    pub max_secs: Option<u64>,
    /// How long to wait after `ends_at` for the last tick / `round_ended` before stopping.
    #[arg(long, default_value_t = 2000)]
    pub grace_ms: u64,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: TicksArgs) -> Result<bool> {
    let clients = args.clients.unwrap_or(if args.smoke { 20 } else { 1000 });
    let round_secs = args.round_secs.unwrap_or(if args.smoke { 3 } else { 30 });
    if clients == 0 || clients > MAX_CLIENTS {
        bail!("--clients must be 1..={MAX_CLIENTS}");
    }
    if round_secs == 0 || round_secs > MAX_ROUND_SECS {
        bail!("--round-secs must be 1..={MAX_ROUND_SECS}");
    }
    let max_secs = args.max_secs.unwrap_or(round_secs + 10).clamp(1, MAX_ROUND_SECS + 60);

    // Before starting the server, so that it inherits the raised limit.
    let nofile = sys::raise_nofile(clients as u64 + 64);

    let mut setup = Setup::with_env(&args.target, &room_limits()).await?;
    let result = measure(&mut setup, clients, round_secs, max_secs, &args).await;
    let stopped = setup.finish().await;
    let report = result?;
    if let Err(e) = stopped {
        eprintln!("warning: stopping the server: {e:#}");
    }
    print_report(&report, nofile);
    let pass = report.problems().is_empty();
    if args.smoke && !pass {
        eprintln!("SMOKE FAILED: {}", report.problems().join("; "));
        return Ok(false);
    }
    Ok(true)
}

/// Everything measured in one run.
struct Report {
    clients: usize,
    round_secs: u64,
    connected: usize,
    connect_failures: Vec<(usize, String)>,
    connect_ms: f64,
    connect_concurrency: usize,
    /// Per-client time from TCP connect to `timer_connected`.
    connect_latency: Summary,
    /// (ListenOverflows, TCPSynRetrans) during the connect phase, whole netns.
    listen_drops: Option<(u64, u64)>,
    ticks_expected: u64,
    ticks_per_client: u64,
    ticks_received: u64,
    ticks_lost: u64,
    clients_missing_ticks: usize,
    duplicate_ticks: u64,
    out_of_order: u64,
    bad_frames: u64,
    bad_examples: Vec<String>,
    remaining_seen: Option<(i64, i64)>,
    distinct_ends_at: usize,
    lateness: Summary,
    server_lateness: Summary,
    frame_types: BTreeMap<String, u64>,
    clients_saw_end: usize,
    closed_by_server: Vec<String>,
    read_errors: Vec<String>,
    first_frame_anomalies: Vec<String>,
    rss_before: Option<u64>,
    rss_connected: Option<u64>,
    rss_after: Option<u64>,
    server_cpu: Option<f64>,
    loadgen_cpu: Option<f64>,
    measured_secs: f64,
    stopped_by: &'static str,
    server_alive_at_end: bool,
}

impl Report {
    /// Reasons this run is not a clean one (the smoke test fails on any).
    fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !self.connect_failures.is_empty() {
            p.push(format!("{} client(s) failed to connect", self.connect_failures.len()));
        }
        if self.ticks_lost > 0 {
            p.push(format!(
                "{} tick(s) lost ({} of {} clients short)",
                self.ticks_lost, self.clients_missing_ticks, self.connected
            ));
        }
        if self.bad_frames > 0 {
            p.push(format!("{} malformed timer_update frame(s)", self.bad_frames));
        }
        if !self.server_alive_at_end {
            p.push("the server exited during the run".into());
        }
        p
    }

    fn kb_per_conn(&self) -> Option<f64> {
        let (b, a) = (self.rss_before?, self.rss_after?);
        if self.connected == 0 {
            return None;
        }
        Some((a as f64 - b as f64) / self.connected as f64)
    }

    fn to_json(&self) -> String {
        let opt = |v: Option<f64>| v.and_then(stats::round2_f);
        let line = JsonLine {
            bench: "ticks",
            clients: self.clients,
            connect_ms: stats::round2_f(self.connect_ms),
            ticks_expected: self.ticks_expected,
            ticks_received: self.ticks_received,
            lateness_ms: self.lateness.to_json(),
            server_rss_kb_before: self.rss_before,
            server_rss_kb_after: self.rss_after,
            kb_per_conn: opt(self.kb_per_conn()),
            server_cpu_pct: opt(self.server_cpu),
            loadgen_cpu_pct: opt(self.loadgen_cpu),
            round_secs: self.round_secs,
            clients_connected: self.connected,
            ticks_lost: self.ticks_lost,
            duplicate_ticks: self.duplicate_ticks,
            bad_frames: self.bad_frames,
            server_lateness_ms: self.server_lateness.to_json(),
            server_rss_kb_connected: self.rss_connected,
            connect_latency_ms: self.connect_latency.to_json(),
            listen_overflows: self.listen_drops.map(|d| d.0),
            ok: self.problems().is_empty(),
        };
        serde_json::to_string(&line).unwrap_or_else(|e| format!("{{\"bench\":\"ticks\",\"error\":\"{e}\"}}"))
    }
}

/// The JSON line, fields in this order (the first eleven are the agreed ones).
#[derive(serde::Serialize)]
struct JsonLine {
    bench: &'static str,
    clients: usize,
    connect_ms: Option<f64>,
    ticks_expected: u64,
    ticks_received: u64,
    lateness_ms: stats::JsonSummary,
    server_rss_kb_before: Option<u64>,
    server_rss_kb_after: Option<u64>,
    kb_per_conn: Option<f64>,
    server_cpu_pct: Option<f64>,
    loadgen_cpu_pct: Option<f64>,
    round_secs: u64,
    clients_connected: usize,
    ticks_lost: u64,
    duplicate_ticks: u64,
    bad_frames: u64,
    server_lateness_ms: stats::JsonSummary,
    server_rss_kb_connected: Option<u64>,
    connect_latency_ms: stats::JsonSummary,
    listen_overflows: Option<u64>,
    ok: bool,
}

async fn measure(
    setup: &mut Setup,
    clients: usize,
    round_secs: u64,
    max_secs: u64,
    args: &TicksArgs,
) -> Result<Report> {
    let org = setup.organizer_token.clone();
    let event_id = setup
        .api
        .create_event(
            &org,
            &format!("loadgen ticks {}", Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ")),
            "public",
        )
        .await?;
    let round_id = setup.api.create_round(&org, &event_id, round_secs).await?;
    eprintln!("event {event_id}, round {round_id} ({round_secs} s)");

    let pid = setup.pid_str();
    let rss = |pid: &Option<String>| pid.as_deref().and_then(sys::rss_kb);
    let rss_before = rss(&pid);

    // --- connect ---
    let url = format!(
        "{}/ws/round/{round_id}/timer?token={}",
        setup.api.ws_base(),
        setup.attendee_token
    );
    let connect_timeout = Duration::from_secs(30);
    eprintln!("connecting {clients} clients ({} at a time)…", args.connect_concurrency);
    let tcp_0 = sys::tcp_listen_counters();
    let (conns, connect_failures, connect_time) = clients::connect_many(
        &url,
        clients,
        args.connect_concurrency,
        "timer_connected",
        connect_timeout,
    )
    .await;
    let tcp_1 = sys::tcp_listen_counters();
    let listen_drops = match (tcp_0, tcp_1) {
        (Some(a), Some(b)) => Some((b.0.saturating_sub(a.0), b.1.saturating_sub(a.1))),
        _ => None,
    };
    let connect_latency = Summary::of(conns.iter().map(|c| c.latency.as_secs_f64() * 1000.0).collect());
    eprintln!(
        "connected {}/{clients} in {:.0} ms{}",
        conns.len(),
        connect_time.as_secs_f64() * 1000.0,
        if connect_failures.is_empty() {
            String::new()
        } else {
            format!("; first failure: {}", connect_failures[0].1)
        }
    );
    if conns.is_empty() {
        bail!(
            "no client could connect: {}",
            connect_failures.first().map(|f| f.1.as_str()).unwrap_or("?")
        );
    }
    let mut first_frame_anomalies = Vec::new();
    for c in &conns {
        if let Some(a) = check_timer_connected(&c.first, &round_id) {
            if first_frame_anomalies.len() < 5 {
                first_frame_anomalies.push(format!("client {}: {a}", c.index));
            }
        }
    }
    let connected = conns.len();
    // Let the server settle after the connection burst before measuring memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_connected = rss(&pid);

    // --- readers ---
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let ended = Arc::new(AtomicUsize::new(0));
    let mut readers = Vec::with_capacity(connected);
    for c in conns {
        let stop = stop_rx.clone();
        let ended = ended.clone();
        readers.push(tokio::spawn(async move {
            clients::read_until(c.ws, stop, is_round_end, move || {
                ended.fetch_add(1, Ordering::Relaxed);
            })
            .await
        }));
    }

    // --- start the round and wait for it to end ---
    let cpu_srv_0 = pid.as_deref().map(CpuSample::take);
    let cpu_self_0 = CpuSample::take("self");
    let t0 = Instant::now();
    let timer = setup.api.start_round(&org, &round_id).await?;
    let ends_at = timer
        .get("ends_at")
        .and_then(Value::as_str)
        .and_then(parse_time)
        .ok_or_else(|| anyhow!("start reply has no valid ends_at: {timer}"))?;
    let left_ms = (ends_at - Utc::now()).num_milliseconds().max(0) as u64;
    eprintln!("round started; ends_at {ends_at} (in {left_ms} ms)…");
    let deadline = Instant::now() + Duration::from_millis(left_ms + args.grace_ms);
    let hard_stop = t0 + Duration::from_secs(max_secs);
    let stopped_by = loop {
        let now = Instant::now();
        if ended.load(Ordering::Relaxed) >= connected {
            // Everyone saw the end; give stragglers a moment.
            tokio::time::sleep(Duration::from_millis(300)).await;
            break "all clients saw the round end";
        }
        if now >= hard_stop {
            break "--max-secs";
        }
        if now >= deadline {
            break "ends_at + grace";
        }
        if !setup.server_alive() {
            break "server exited";
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let measured_secs = t0.elapsed().as_secs_f64();
    let stopped_at = Utc::now();
    let cpu_srv_1 = pid.as_deref().map(CpuSample::take);
    let cpu_self_1 = CpuSample::take("self");
    let rss_after = rss(&pid);
    let server_alive_at_end = setup.server_alive();

    let _ = stop_tx.send(true);
    let mut logs = Vec::with_capacity(connected);
    for r in readers {
        match tokio::time::timeout(Duration::from_secs(10), r).await {
            Ok(Ok(log)) => logs.push(log),
            Ok(Err(e)) => logs.push(ReadLog {
                error: Some(format!("reader task: {e}")),
                ..Default::default()
            }),
            Err(_) => logs.push(ReadLog {
                error: Some("reader did not stop".into()),
                ..Default::default()
            }),
        }
    }

    // Ticks expected per client: time_remaining = round_secs-1 … 0, those
    // due at least 250 ms before we stopped (all of them unless --max-secs cut
    // the run short).
    let cutoff = stopped_at - chrono::Duration::milliseconds(250);
    let expected: BTreeSet<i64> = (0..round_secs as i64)
        .filter(|n| ends_at - chrono::Duration::seconds(*n) <= cutoff)
        .collect();
    let mut report = analyse(&logs, &round_id, &expected, clients);
    report.round_secs = round_secs;
    report.connected = connected;
    report.connect_failures = connect_failures;
    report.connect_ms = connect_time.as_secs_f64() * 1000.0;
    report.connect_latency = connect_latency;
    report.listen_drops = listen_drops;
    report.connect_concurrency = args.connect_concurrency;
    report.first_frame_anomalies = first_frame_anomalies;
    report.rss_before = rss_before;
    report.rss_connected = rss_connected;
    report.rss_after = rss_after;
    report.server_cpu = match (cpu_srv_0, cpu_srv_1) {
        (Some(a), Some(b)) => a.pct_until(&b),
        _ => None,
    };
    report.loadgen_cpu = cpu_self_0.pct_until(&cpu_self_1);
    report.measured_secs = measured_secs;
    report.stopped_by = stopped_by;
    report.server_alive_at_end = server_alive_at_end;
    Ok(report)
}

/// Cheap check on the raw text (no parsing on the hot path): the round phase is over.
fn is_round_end(text: &str) -> bool {
    text.contains("\"round_ended\"") || text.contains("\"break_started\"") || text.contains("\"break_ended\"")
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// `timer_connected` before the start: `{round_id, event_id, round_status: "pending", timer: null, server_time}`.
fn check_timer_connected(v: &Value, round_id: &str) -> Option<String> {
    let d = v.get("data")?;
    if d.get("round_id").and_then(Value::as_str) != Some(round_id) {
        return Some(format!("timer_connected.data.round_id is not {round_id}: {v}"));
    }
    if d.get("round_status").and_then(Value::as_str) != Some("pending") {
        return Some(format!("timer_connected.data.round_status is not \"pending\": {v}"));
    }
    if d.get("server_time")
        .and_then(Value::as_str)
        .and_then(parse_time)
        .is_none()
    {
        return Some(format!("timer_connected.data.server_time missing or not RFC 3339: {v}"));
    }
    None
}

/// A parsed round-phase tick.
struct Tick {
    remaining: i64,
    scheduled: DateTime<Utc>,
    ends_at: String,
    server_time: DateTime<Utc>,
}

/// Validates a `timer_update` envelope; `Ok(None)` for a break-phase tick.
fn parse_tick(v: &Value, round_id: &str) -> Result<Option<Tick>> {
    v.get("ts")
        .and_then(Value::as_str)
        .and_then(parse_time)
        .context("envelope `ts` missing or not RFC 3339")?;
    let d = v.get("data").context("no `data`")?;
    let rid = d
        .get("round_id")
        .and_then(Value::as_str)
        .context("data.round_id missing")?;
    if rid != round_id {
        bail!("data.round_id {rid} is not this round");
    }
    let phase = d.get("phase").and_then(Value::as_str).context("data.phase missing")?;
    let remaining = d
        .get("time_remaining")
        .and_then(Value::as_i64)
        .context("data.time_remaining missing or not an integer")?;
    let ends_at_s = d
        .get("ends_at")
        .and_then(Value::as_str)
        .context("data.ends_at missing")?;
    let ends_at = parse_time(ends_at_s).context("data.ends_at not RFC 3339")?;
    let server_time = d
        .get("server_time")
        .and_then(Value::as_str)
        .and_then(parse_time)
        .context("data.server_time missing or not RFC 3339")?;
    for f in ["event_id", "status", "total_duration", "percentage_complete"] {
        if d.get(f).is_none() {
            bail!("data.{f} missing");
        }
    }
    match phase {
        "round" => {}
        "break" => return Ok(None),
        other => bail!("data.phase is {other:?}"),
    }
    if remaining < 0 {
        bail!("data.time_remaining is negative ({remaining})");
    }
    let scheduled = ends_at - chrono::Duration::seconds(remaining);
    Ok(Some(Tick {
        remaining,
        scheduled,
        ends_at: ends_at_s.to_string(),
        server_time,
    }))
}

fn ms_between(later: DateTime<Utc>, earlier: DateTime<Utc>) -> f64 {
    (later - earlier)
        .num_microseconds()
        .map_or(f64::NAN, |us| us as f64 / 1000.0)
}

fn analyse(logs: &[ReadLog], round_id: &str, expected: &BTreeSet<i64>, clients: usize) -> Report {
    let per_client = expected.len() as u64;
    let mut lateness = Vec::new();
    let mut server_lateness = Vec::new();
    let mut frame_types: BTreeMap<String, u64> = BTreeMap::new();
    let mut ends_ats: BTreeSet<String> = BTreeSet::new();
    let (mut received, mut lost, mut dup, mut ooo, mut bad) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut bad_examples = Vec::new();
    let mut missing_clients = 0;
    let mut saw_end = 0;
    let mut range: Option<(i64, i64)> = None;
    let mut closed_by_server = Vec::new();
    let mut read_errors = Vec::new();

    for log in logs {
        let mut seen: BTreeSet<i64> = BTreeSet::new();
        let mut prev: Option<i64> = None;
        let mut ended = false;
        for f in &log.frames {
            let v: Value = match serde_json::from_str(&f.text) {
                Ok(v) => v,
                Err(e) => {
                    *frame_types.entry("<not JSON>".into()).or_default() += 1;
                    if bad_examples.len() < 5 {
                        bad_examples.push(format!("not JSON ({e}): {}", f.text));
                    }
                    continue;
                }
            };
            let ty = v.get("type").and_then(Value::as_str).unwrap_or("<no type>").to_string();
            *frame_types.entry(ty.clone()).or_default() += 1;
            match ty.as_str() {
                "timer_update" => match parse_tick(&v, round_id) {
                    Ok(Some(t)) => {
                        received += 1;
                        lateness.push(ms_between(f.at, t.scheduled));
                        server_lateness.push(ms_between(t.server_time, t.scheduled));
                        if !seen.insert(t.remaining) {
                            dup += 1;
                        }
                        if prev.is_some_and(|p| t.remaining >= p) {
                            ooo += 1;
                        }
                        prev = Some(t.remaining);
                        range = Some(range.map_or((t.remaining, t.remaining), |(lo, hi)| {
                            (lo.min(t.remaining), hi.max(t.remaining))
                        }));
                        if ends_ats.len() < 16 {
                            ends_ats.insert(t.ends_at);
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        bad += 1;
                        if bad_examples.len() < 5 {
                            bad_examples.push(format!("{e:#}: {}", f.text));
                        }
                    }
                },
                "round_ended" | "break_started" | "break_ended" => ended = true,
                _ => {}
            }
        }
        let short = expected.difference(&seen).count() as u64;
        if short > 0 {
            missing_clients += 1;
            lost += short;
        }
        if ended {
            saw_end += 1;
        }
        if let Some(c) = &log.closed_by_server {
            closed_by_server.push(c.clone());
        }
        if let Some(e) = &log.error {
            read_errors.push(e.clone());
        }
    }
    // Clients that never connected lost all their ticks too.
    let never = clients.saturating_sub(logs.len()) as u64;
    Report {
        clients,
        round_secs: 0,
        connected: logs.len(),
        connect_failures: Vec::new(),
        connect_ms: 0.0,
        connect_concurrency: 0,
        connect_latency: Summary::default(),
        listen_drops: None,
        ticks_expected: per_client * clients as u64,
        ticks_per_client: per_client,
        ticks_received: received,
        ticks_lost: lost + never * per_client,
        clients_missing_ticks: missing_clients,
        duplicate_ticks: dup,
        out_of_order: ooo,
        bad_frames: bad,
        bad_examples,
        remaining_seen: range,
        distinct_ends_at: ends_ats.len(),
        lateness: Summary::of(lateness),
        server_lateness: Summary::of(server_lateness),
        frame_types,
        clients_saw_end: saw_end,
        closed_by_server,
        read_errors,
        first_frame_anomalies: Vec::new(),
        rss_before: None,
        rss_connected: None,
        rss_after: None,
        server_cpu: None,
        loadgen_cpu: None,
        measured_secs: 0.0,
        stopped_by: "",
        server_alive_at_end: true,
    }
}

fn print_report(r: &Report, nofile: Option<u64>) {
    let o = |v: Option<u64>| v.map_or("-".to_string(), |x| x.to_string());
    let of = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.1}"));
    println!();
    println!("== ticks: {} clients, {} s round ==", r.clients, r.round_secs);
    println!("  machine                    {}", sys::machine_summary());
    println!("  open-files soft limit      {}", o(nofile));
    println!(
        "  connected                  {}/{} in {:.0} ms",
        r.connected, r.clients, r.connect_ms
    );
    if let Some((overflows, syn_retrans)) = r.listen_drops.filter(|d| d.0 > 0 || d.1 > 0) {
        println!(
            "  TCP while connecting       {overflows} listen-queue overflows, {syn_retrans} SYN retransmits \
             (each costs a client 1 s; server backlog < --connect-concurrency {}?)",
            r.connect_concurrency
        );
    }
    for (i, e) in r.connect_failures.iter().take(3) {
        println!("    connect failure #{i}: {e}");
    }
    println!(
        "  measured                   {:.1} s (stopped: {})",
        r.measured_secs, r.stopped_by
    );
    println!(
        "  ticks                      {} received / {} expected ({} per client{}); {} lost ({} clients short), \
         {} duplicate, {} out of order",
        r.ticks_received,
        r.ticks_expected,
        r.ticks_per_client,
        if r.ticks_per_client < r.round_secs {
            ", cut short"
        } else {
            ""
        },
        r.ticks_lost,
        r.clients_missing_ticks,
        r.duplicate_ticks,
        r.out_of_order
    );
    if let Some((lo, hi)) = r.remaining_seen {
        println!(
            "  time_remaining seen        {hi} … {lo} ({} distinct ends_at)",
            r.distinct_ends_at
        );
    }
    println!("  clients that saw round end {}/{}", r.clients_saw_end, r.connected);
    let types: Vec<String> = r.frame_types.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("  frames by type             {}", types.join(" "));
    println!();
    println!("{}", Summary::header());
    println!("{}", r.connect_latency.row("connect → timer_connected"));
    println!("{}", r.lateness.row("tick lateness (client)"));
    println!("{}", r.server_lateness.row("server_time - tick instant"));
    println!();
    println!(
        "  server RSS                 {} KiB before, {} KiB connected, {} KiB after ({} KiB/conn)",
        o(r.rss_before),
        o(r.rss_connected),
        o(r.rss_after),
        of(r.kb_per_conn())
    );
    println!(
        "  CPU during the round       server {}%, loadgen {}% (100% = one core)",
        of(r.server_cpu),
        of(r.loadgen_cpu)
    );
    if r.bad_frames > 0 || !r.bad_examples.is_empty() {
        println!("  malformed frames           {}", r.bad_frames);
        for e in &r.bad_examples {
            println!("    {}", truncate(e, 400));
        }
    }
    for a in &r.first_frame_anomalies {
        println!("  first-frame anomaly        {}", truncate(a, 400));
    }
    if !r.closed_by_server.is_empty() {
        println!(
            "  closed by server           {} (first: {})",
            r.closed_by_server.len(),
            r.closed_by_server[0]
        );
    }
    if !r.read_errors.is_empty() {
        println!(
            "  read errors                {} (first: {})",
            r.read_errors.len(),
            r.read_errors[0]
        );
    }
    let problems = r.problems();
    println!(
        "  result                     {}",
        if problems.is_empty() {
            "OK".to_string()
        } else {
            problems.join("; ")
        }
    );
    println!();
    println!("{}", r.to_json());
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
