//! `fanout`: from the clients' logs and the publish records to figures, a
//! table and one JSON line.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::fanout::{ClientLog, FanoutArgs, Kind, Mode, Params, Phases, PubRec};
use crate::stats::{self, Summary};
use crate::sys;
use crate::wire::End;

/// One latency window (rate mode), by publish time.
pub struct Window {
    pub from_s: u64,
    pub publishes: usize,
    pub lat: Summary,
}

/// What became of one stalled client.
pub struct Stalled {
    pub index: usize,
    pub expected: u64,
    pub received: u64,
    pub bytes_read_at_end: u64,
    pub drain_ms: f64,
    /// `close 4008 "slow consumer"`, `TCP closed…`, `still open`, …
    pub end: String,
    pub close_code: Option<u16>,
    pub disconnected: bool,
}

pub struct Report {
    pub p: Params,
    pub window_secs: u64,
    pub connected_ws: usize,
    pub connected_sse: usize,
    pub connected_stalled: usize,
    pub connect_failures: Vec<String>,
    pub connect_failed: usize,
    pub connect_latency: Summary,
    pub ph: Phases,
    // publishing
    pub pubs_attempted: usize,
    pub pubs_accepted: usize,
    pub pub_failures: BTreeMap<String, usize>,
    pub pub_call: Summary,
    pub pub_span_s: f64,
    // delivery (live readers: WebSocket + SSE)
    pub expected: u64,
    pub delivered: u64,
    pub frames_ws: u64,
    pub frames_sse: u64,
    pub lost: u64,
    pub clients_short: usize,
    pub max_lost_one_client: u64,
    pub duplicates: u64,
    pub out_of_order: u64,
    pub bad: u64,
    pub bad_examples: Vec<String>,
    pub unexpected: u64,
    pub negative: u64,
    pub delivery_span_s: f64,
    pub deliveries_per_sec: Option<f64>,
    pub latency_ws: Summary,
    pub latency_sse: Summary,
    pub reach: Summary,
    pub spread: Summary,
    pub server_encode: Summary,
    pub windows: Vec<Window>,
    pub other_types: BTreeMap<String, u64>,
    pub live_ends: BTreeMap<String, usize>,
    pub reads_ws: u64,
    pub bytes_ws: u64,
    pub stalled: Vec<Stalled>,
    /// From /api/health during publishing: at start, min, at the end, first drop (s after first publish).
    pub health_publish: Option<(u64, u64, u64, Option<f64>)>,
    pub health_max: Option<u64>,
}

fn ms(us: u32) -> f64 {
    f64::from(us) / 1000.0
}

pub fn analyse(p: &Params, args: &FanoutArgs, logs: &[ClientLog], pubs: &[PubRec], ph: &Phases) -> Report {
    let total_pubs = p.mode.publishes();
    let mut accepted = vec![false; total_pubs];
    let mut sent = vec![0i64; total_pubs];
    let mut accepted_per_event = vec![0u64; p.events];
    let mut pub_failures: BTreeMap<String, usize> = BTreeMap::new();
    for r in pubs {
        if r.n < total_pubs {
            sent[r.n] = r.sent_us;
            if r.status == 202 {
                accepted[r.n] = true;
                accepted_per_event[r.event] += 1;
            } else {
                let k = match (&r.error, r.status) {
                    (Some(e), 0) => format!("error: {}", e.chars().take(120).collect::<String>()),
                    (Some(e), s) => format!("HTTP {s}: {}", e.chars().take(120).collect::<String>()),
                    (None, s) => format!("HTTP {s}"),
                };
                *pub_failures.entry(k).or_default() += 1;
            }
        }
    }
    let pubs_accepted = accepted.iter().filter(|a| **a).count();
    let pub_call = Summary::of(
        pubs.iter()
            .filter(|r| r.status != 0)
            .map(|r| r.dur_us as f64 / 1000.0)
            .collect(),
    );
    let first_sent = pubs.iter().map(|r| r.sent_us).min();
    let pub_span_s = match (first_sent, pubs.iter().map(|r| r.sent_us + r.dur_us as i64).max()) {
        (Some(a), Some(b)) => (b - a) as f64 / 1e6,
        _ => 0.0,
    };

    let mut r = Report {
        p: p.clone(),
        window_secs: args.window_secs,
        connected_ws: 0,
        connected_sse: 0,
        connected_stalled: 0,
        connect_failures: Vec::new(),
        connect_failed: 0,
        connect_latency: Summary::default(),
        ph: ph.clone(),
        pubs_attempted: pubs.len(),
        pubs_accepted,
        pub_failures,
        pub_call,
        pub_span_s,
        expected: 0,
        delivered: 0,
        frames_ws: 0,
        frames_sse: 0,
        lost: 0,
        clients_short: 0,
        max_lost_one_client: 0,
        duplicates: 0,
        out_of_order: 0,
        bad: 0,
        bad_examples: Vec::new(),
        unexpected: 0,
        negative: 0,
        delivery_span_s: 0.0,
        deliveries_per_sec: None,
        latency_ws: Summary::default(),
        latency_sse: Summary::default(),
        reach: Summary::default(),
        spread: Summary::default(),
        server_encode: Summary::default(),
        windows: Vec::new(),
        other_types: BTreeMap::new(),
        live_ends: BTreeMap::new(),
        reads_ws: 0,
        bytes_ws: 0,
        stalled: Vec::new(),
        health_publish: None,
        health_max: ph.health.iter().map(|h| h.1).max(),
    };

    let mut connect_lat = Vec::new();
    let mut lat_ws = Vec::new();
    let mut lat_sse = Vec::new();
    let mut reach = vec![0u32; total_pubs];
    let mut first_in = vec![u32::MAX; total_pubs];
    let mut last_us = i64::MIN;
    let window_us = (args.window_secs * 1_000_000) as i64;
    let nwin = if matches!(p.mode, Mode::Rate { .. }) {
        first_sent.map_or(0, |f| {
            sent.iter()
                .map(|s| ((s - f).max(0) / window_us) as usize)
                .max()
                .unwrap_or(0)
                + 1
        })
    } else {
        0
    };
    let mut win_lat: Vec<Vec<f64>> = vec![Vec::new(); nwin];
    for log in logs {
        match (log.connect, &log.connect_error) {
            (Some(d), _) => {
                connect_lat.push(d.as_secs_f64() * 1000.0);
                match log.kind {
                    Kind::Ws => r.connected_ws += 1,
                    Kind::Sse => r.connected_sse += 1,
                    Kind::Stalled => r.connected_stalled += 1,
                }
            }
            (None, e) => {
                r.connect_failed += 1;
                if r.connect_failures.len() < 3 {
                    r.connect_failures.push(format!(
                        "client #{} ({:?}): {}",
                        log.index,
                        log.kind,
                        e.as_deref().unwrap_or("did not finish")
                    ));
                }
                continue;
            }
        }
        let rec = &log.rec;
        for (k, v) in &rec.other_types {
            *r.other_types.entry(k.clone()).or_default() += v;
        }
        // Unique accepted publishes of this client's event it got.
        let mut got = 0u64;
        for (word_i, word) in rec.seen.iter().enumerate() {
            let mut w = *word;
            while w != 0 {
                let n = word_i * 64 + w.trailing_zeros() as usize;
                w &= w - 1;
                if n < total_pubs && accepted[n] && n % p.events == log.event {
                    got += 1;
                } else {
                    r.unexpected += 1;
                }
            }
        }
        let expected = accepted_per_event[log.event];
        if log.kind == Kind::Stalled {
            let (end, code, disconnected) = match log.stall.as_ref().and_then(|s| s.end.as_ref()) {
                Some(End::Close(c, reason)) => (
                    format!("close {} {reason:?}", c.map_or("-".into(), |c| c.to_string())),
                    *c,
                    true,
                ),
                Some(e @ (End::Eof | End::Error(_))) => (e.describe(), None, true),
                None => ("still open (no close, no data for 1 s)".into(), None, false),
            };
            r.stalled.push(Stalled {
                index: log.index,
                expected,
                received: got,
                bytes_read_at_end: log.stall.as_ref().map_or(0, |s| s.bytes),
                drain_ms: log.stall.as_ref().map_or(0.0, |s| s.drain_ms),
                end,
                close_code: code,
                disconnected,
            });
            continue;
        }
        r.expected += expected;
        r.delivered += got;
        let short = expected.saturating_sub(got);
        if short > 0 {
            r.clients_short += 1;
            r.lost += short;
            r.max_lost_one_client = r.max_lost_one_client.max(short);
        }
        r.duplicates += rec.dup;
        r.out_of_order += rec.out_of_order;
        r.bad += rec.bad;
        r.negative += rec.negative;
        for e in &rec.bad_examples {
            if r.bad_examples.len() < 5 {
                r.bad_examples.push(format!("client #{}: {e}", log.index));
            }
        }
        if let Some(end) = &log.end {
            *r.live_ends.entry(end.describe()).or_default() += 1;
        }
        match log.kind {
            Kind::Ws => {
                r.frames_ws += rec.bench;
                r.reads_ws += log.reads;
                r.bytes_ws += log.bytes;
            }
            _ => r.frames_sse += rec.bench,
        }
        if rec.bench > 0 {
            last_us = last_us.max(rec.last_us);
        }
        let first = first_sent.unwrap_or(0);
        for &(n, l) in &rec.lat {
            let n = n as usize;
            if n >= total_pubs {
                continue;
            }
            reach[n] = reach[n].max(l);
            first_in[n] = first_in[n].min(l);
            if log.kind == Kind::Ws {
                lat_ws.push(ms(l));
            } else {
                lat_sse.push(ms(l));
            }
            if nwin > 0 {
                let w = ((sent[n] - first).max(0) / window_us) as usize;
                if let Some(v) = win_lat.get_mut(w) {
                    v.push(ms(l));
                }
            }
        }
        if let Some(ts) = &rec.ts_log {
            r.server_encode = Summary::of(
                ts.iter()
                    .filter(|(n, _)| (*n as usize) < total_pubs)
                    .map(|(n, t)| (*t - sent[*n as usize]) as f64 / 1000.0)
                    .collect(),
            );
        }
    }
    r.connect_latency = Summary::of(connect_lat);
    r.latency_ws = Summary::of(lat_ws);
    r.latency_sse = Summary::of(lat_sse);
    let hit: Vec<usize> = (0..total_pubs).filter(|&n| first_in[n] != u32::MAX).collect();
    r.reach = Summary::of(hit.iter().map(|&n| ms(reach[n])).collect());
    r.spread = Summary::of(hit.iter().map(|&n| ms(reach[n] - first_in[n])).collect());
    if let Some(f) = first_sent {
        r.windows = win_lat
            .into_iter()
            .enumerate()
            .map(|(i, v)| Window {
                from_s: i as u64 * args.window_secs,
                publishes: sent
                    .iter()
                    .filter(|s| ((**s - f).max(0) / window_us) as usize == i)
                    .count(),
                lat: Summary::of(v),
            })
            .collect();
        if last_us > f {
            r.delivery_span_s = (last_us - f) as f64 / 1e6;
            r.deliveries_per_sec = Some((r.frames_ws + r.frames_sse) as f64 / r.delivery_span_s);
        }
    }
    // Server-side connection count while publishing.
    let during: Vec<&(f64, u64)> = ph
        .health
        .iter()
        .filter(|(t, _)| *t >= ph.publish_start_s - 0.6 && *t <= ph.observe_end_s)
        .collect();
    if let (Some(first), Some(last)) = (during.first(), during.last()) {
        let min = during.iter().map(|h| h.1).min().unwrap_or(first.1);
        let drop_at = during
            .iter()
            .find(|h| h.1 < first.1)
            .map(|h| (h.0 - ph.publish_start_s).max(0.0));
        r.health_publish = Some((first.1, min, last.1, drop_at));
    }
    r
}

/// CPU of processes other than the server and the generator (% of one core).
fn others(machine: Option<f64>, server: Option<f64>, loadgen: Option<f64>) -> Option<f64> {
    Some((machine? - server.unwrap_or(0.0) - loadgen?).max(0.0))
}

impl Report {
    pub fn others_cpu_connect(&self) -> Option<f64> {
        others(
            self.ph.machine_cpu_connect,
            self.ph.server_cpu_connect,
            self.ph.loadgen_cpu_connect,
        )
    }

    pub fn others_cpu_publish(&self) -> Option<f64> {
        others(
            self.ph.machine_cpu_publish,
            self.ph.server_cpu_publish,
            self.ph.loadgen_cpu_publish,
        )
    }

    pub fn connected(&self) -> usize {
        self.connected_ws + self.connected_sse + self.connected_stalled
    }

    pub fn kb_per_conn(&self) -> Option<f64> {
        let (b, a) = (self.ph.rss_before?, self.ph.rss_connected?);
        (self.connected() > 0).then(|| (a as f64 - b as f64) / self.connected() as f64)
    }

    /// Reasons this run is not clean (the smoke test fails on any).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.connect_failed > 0 {
            p.push(format!("{} client(s) failed to connect/subscribe", self.connect_failed));
        }
        if self.pubs_accepted < self.pubs_attempted {
            p.push(format!(
                "{} of {} publishes not accepted",
                self.pubs_attempted - self.pubs_accepted,
                self.pubs_attempted
            ));
        }
        if self.lost > 0 {
            p.push(format!(
                "{} deliveries lost ({} clients short, worst {} short)",
                self.lost, self.clients_short, self.max_lost_one_client
            ));
        }
        if self.duplicates > 0 {
            p.push(format!("{} duplicate deliveries", self.duplicates));
        }
        if self.out_of_order > 0 {
            p.push(format!("{} deliveries out of order", self.out_of_order));
        }
        if self.bad > 0 {
            p.push(format!("{} malformed bench frames", self.bad));
        }
        if self.unexpected > 0 {
            p.push(format!(
                "{} deliveries of publishes not meant for the client",
                self.unexpected
            ));
        }
        let closed: usize = self.live_ends.values().sum();
        if closed > 0 {
            p.push(format!("{closed} live client(s) lost their connection"));
        }
        if !self.ph.server_alive_at_end {
            p.push("the server exited during the run".into());
        }
        p
    }
}

fn o(v: Option<u64>) -> String {
    v.map_or("-".into(), |x| x.to_string())
}

fn of1(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{x:.1}"))
}

pub fn print(r: &Report, nofile: Option<u64>) {
    let p = &r.p;
    println!();
    let mode = match p.mode {
        Mode::Idle => "no publishes".to_string(),
        Mode::Burst { count, publishers } => format!("burst of {count} by {publishers} publishers"),
        Mode::Rate { per_sec, secs } => format!("{per_sec}/s for {secs} s"),
    };
    println!(
        "== fanout{}: {} WS + {} SSE + {} stalled clients on {} event(s), {mode} ==",
        if p.smoke { " --smoke" } else { "" },
        p.clients,
        p.sse,
        p.stall,
        p.events
    );
    println!("  machine                    {}", sys::machine_summary());
    println!("  open-files soft limit      {}", o(nofile));
    println!(
        "  subscribe via              {} ({} users' tokens); payload padding {} bytes",
        match p.endpoint {
            crate::fanout::Endpoint::Ws => "/ws + subscribe",
            crate::fanout::Endpoint::Event => "/ws/event/{id}",
        },
        p.users,
        p.payload_bytes
    );
    println!(
        "  connected                  {}/{} in {:.0} ms (WS {}, SSE {}, stalled {})",
        r.connected(),
        p.total_clients(),
        r.ph.connect_ms,
        r.connected_ws,
        r.connected_sse,
        r.connected_stalled
    );
    if let Some((ov, syn)) = r.ph.listen_drops.filter(|d| d.0 > 0 || d.1 > 0) {
        println!("  TCP while connecting       {ov} listen-queue overflows, {syn} SYN retransmits");
    }
    for f in &r.connect_failures {
        println!("    connect failure          {}", truncate(f, 300));
    }
    println!(
        "  CPU while connecting       server {}%, loadgen {}%, other processes {}% (100% = one core)",
        of1(r.ph.server_cpu_connect),
        of1(r.ph.loadgen_cpu_connect),
        of1(r.others_cpu_connect())
    );
    println!(
        "  server RSS                 {} KiB before, {} KiB connected, {} KiB at the end → {} KiB per connection",
        o(r.ph.rss_before),
        o(r.ph.rss_connected),
        o(r.ph.rss_after),
        of1(r.kb_per_conn())
    );
    if p.hold > 0 {
        println!(
            "  held {} s                  server reports {} connections; {} live client(s) closed meanwhile",
            p.hold,
            o(r.ph.hold_connections),
            r.ph.hold_closed
        );
    }
    if !matches!(p.mode, Mode::Idle) {
        println!(
            "  publishes                  {}/{} accepted in {:.2} s ({:.0}/s)",
            r.pubs_accepted,
            r.pubs_attempted,
            r.pub_span_s,
            if r.pub_span_s > 0.0 {
                r.pubs_attempted as f64 / r.pub_span_s
            } else {
                0.0
            }
        );
        for (k, v) in &r.pub_failures {
            println!("    failed publish ×{v}        {}", truncate(k, 200));
        }
        println!(
            "  deliveries                 {} / {} expected (unique); lost {} ({} clients short, worst {}); \
             {} duplicate, {} out of order, {} malformed, {} misrouted",
            r.delivered,
            r.expected,
            r.lost,
            r.clients_short,
            r.max_lost_one_client,
            r.duplicates,
            r.out_of_order,
            r.bad,
            r.unexpected
        );
        println!(
            "  throughput                 {} deliveries in {:.2} s (first publish → last receipt) = {} /s",
            r.frames_ws + r.frames_sse,
            r.delivery_span_s,
            r.deliveries_per_sec.map_or("-".into(), |d| format!("{d:.0}"))
        );
        println!(
            "  CPU while publishing       server {}%, loadgen {}%, other processes {}% (100% = one core)",
            of1(r.ph.server_cpu_publish),
            of1(r.ph.loadgen_cpu_publish),
            of1(r.others_cpu_publish())
        );
        if r.others_cpu_publish().is_some_and(|o| o > 20.0) {
            println!(
                "  WARNING                    other processes used the CPUs while publishing: figures are pessimistic"
            );
        }
        println!(
            "  measured                   publishing took {:.2} s, measuring {:.2} s; stopped: {} \
             (counted {} of {} expected live deliveries)",
            r.ph.publish_end_s - r.ph.publish_start_s,
            r.ph.measure_end_s - r.ph.publish_start_s,
            r.ph.stopped_by,
            r.ph.delivered_counter,
            r.ph.expected_live
        );
        if r.reads_ws > 0 {
            println!(
                "  loadgen reads (WS)         {} reads, {:.1} frames/read, {:.0} bytes/read",
                r.reads_ws,
                r.frames_ws as f64 / r.reads_ws as f64,
                r.bytes_ws as f64 / r.reads_ws as f64
            );
        }
        if let Some((start, min, end, drop)) = r.health_publish {
            println!(
                "  server connections         max {}; {start} at first publish, min {min}, {end} at the end{}{}",
                o(r.health_max),
                if r.ph.observe_end_s > r.ph.measure_end_s + 0.5 {
                    format!(
                        " of --linger ({:.0} s after the first publish)",
                        r.ph.observe_end_s - r.ph.publish_start_s
                    )
                } else {
                    String::new()
                },
                drop.map_or(String::new(), |d| format!(
                    "; first drop {d:.1} s after the first publish"
                ))
            );
        }
        println!();
        println!("{}", Summary::header());
        println!("{}", r.connect_latency.row("connect → subscribed"));
        println!("{}", r.pub_call.row("publish call (HTTP)"));
        println!("{}", r.server_encode.row("publish → server ts"));
        println!("{}", r.latency_ws.row("latency, WebSocket"));
        if p.sse > 0 {
            println!("{}", r.latency_sse.row("latency, SSE"));
        }
        println!("{}", r.reach.row("publish → last client"));
        println!("{}", r.spread.row("first → last client"));
        if !r.windows.is_empty() {
            println!();
            println!(
                "  latency per {} s window (by publish time), WebSocket + SSE:",
                r.window_secs
            );
            println!(
                "  {:<26} {:>7} {:>9} {:>9} {:>9} {:>9}",
                "window", "pubs", "p50", "p90", "p99", "max"
            );
            for w in &r.windows {
                println!(
                    "  {:<26} {:>7} {:>9} {:>9} {:>9} {:>9}",
                    format!("{}–{} s", w.from_s, w.from_s + r.window_secs),
                    w.publishes,
                    stats::f2(w.lat.p50),
                    stats::f2(w.lat.p90),
                    stats::f2(w.lat.p99),
                    stats::f2(w.lat.max)
                );
            }
        }
    } else {
        println!();
        println!("{}", Summary::header());
        println!("{}", r.connect_latency.row("connect → subscribed"));
    }
    for s in &r.stalled {
        println!(
            "  stalled client #{}         got {} of {} publishes when it finally read ({} bytes waiting, \
             read in {:.0} ms); {}: {}",
            s.index,
            s.received,
            s.expected,
            s.bytes_read_at_end,
            s.drain_ms,
            if s.disconnected {
                "DISCONNECTED"
            } else {
                "not disconnected"
            },
            s.end
        );
    }
    let types: Vec<String> = r.other_types.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("  other frames (live)        {}", types.join(" "));
    for (k, v) in &r.live_ends {
        println!("  live clients ended ×{v}     {}", truncate(k, 200));
    }
    for e in &r.bad_examples {
        println!("  malformed                  {}", truncate(e, 400));
    }
    if r.negative > 0 {
        println!(
            "  note                       {} deliveries read before their sent_us (clock step?)",
            r.negative
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
}

pub fn print_comparison(base: &Report, r: &Report) {
    println!("== stalled client(s) vs baseline (live clients only) ==");
    println!("  {:<26} {:>12} {:>12} {:>9}", "", "baseline", "stalled", "change");
    let row = |label: &str, a: f64, b: f64| {
        let change = if a.is_finite() && b.is_finite() && a != 0.0 {
            format!("{:+.1}%", (b - a) / a * 100.0)
        } else {
            "-".into()
        };
        println!("  {label:<26} {:>12} {:>12} {change:>9}", stats::f2(a), stats::f2(b));
    };
    row("latency p50 (ms)", base.latency_ws.p50, r.latency_ws.p50);
    row("latency p90 (ms)", base.latency_ws.p90, r.latency_ws.p90);
    row("latency p99 (ms)", base.latency_ws.p99, r.latency_ws.p99);
    row("latency max (ms)", base.latency_ws.max, r.latency_ws.max);
    row(
        "deliveries/s",
        base.deliveries_per_sec.unwrap_or(f64::NAN),
        r.deliveries_per_sec.unwrap_or(f64::NAN),
    );
    row("lost", base.lost as f64, r.lost as f64);
    println!();
}

fn change_pct(a: f64, b: f64) -> Option<f64> {
    (a.is_finite() && b.is_finite() && a != 0.0).then(|| (b - a) / a * 100.0)
}

fn r2(v: Option<f64>) -> Value {
    v.and_then(stats::round2_f).map_or(Value::Null, Value::from)
}

fn summary(s: &Summary) -> stats::JsonSummary {
    s.to_json()
}

#[derive(serde::Serialize)]
struct JsonWindow {
    from_s: u64,
    publishes: usize,
    p50: Option<f64>,
    p90: Option<f64>,
    p99: Option<f64>,
    max: Option<f64>,
    n: usize,
}

#[derive(serde::Serialize)]
struct JsonStalled {
    disconnected: bool,
    close_code: Option<u16>,
    end: String,
    received: u64,
    expected: u64,
    bytes_waiting: u64,
}

#[derive(serde::Serialize)]
struct JsonBaseline {
    latency_ms: stats::JsonSummary,
    deliveries_per_sec: Value,
    lost: u64,
    server_cpu_pct: Value,
    ok: bool,
}

#[derive(serde::Serialize)]
struct JsonConns {
    start: u64,
    min: u64,
    end: u64,
    first_drop_s: Option<f64>,
}

/// The JSON line, fields in this order (the headline figures first).
#[derive(serde::Serialize)]
struct JsonLine {
    bench: &'static str,
    mode: &'static str,
    clients: usize,
    sse: usize,
    stalled: usize,
    events: usize,
    connected: usize,
    connect_ms: Value,
    publishes: usize,
    publishes_accepted: usize,
    expected: u64,
    delivered: u64,
    lost: u64,
    duplicates: u64,
    out_of_order: u64,
    latency_ms: stats::JsonSummary,
    deliveries_per_sec: Value,
    windows: Vec<JsonWindow>,
    server_rss_kb_before: Option<u64>,
    server_rss_kb_connected: Option<u64>,
    server_rss_kb_after: Option<u64>,
    kb_per_conn: Value,
    server_cpu_pct: Value,
    loadgen_cpu_pct: Value,
    server_cpu_connect_pct: Value,
    loadgen_cpu_connect_pct: Value,
    others_cpu_pct: Value,
    others_cpu_connect_pct: Value,
    stalled_clients: Vec<JsonStalled>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<JsonBaseline>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p99_change_pct: Option<Value>,
    publishers: Option<usize>,
    rate: Option<f64>,
    duration_s: Option<u64>,
    users: usize,
    payload_bytes: usize,
    hold_s: u64,
    hold_connections: Option<u64>,
    connect_failures: usize,
    connect_latency_ms: stats::JsonSummary,
    listen_overflows: Option<u64>,
    publish_call_ms: stats::JsonSummary,
    publish_span_s: Value,
    server_encode_ms: stats::JsonSummary,
    sse_latency_ms: stats::JsonSummary,
    reach_ms: stats::JsonSummary,
    spread_ms: stats::JsonSummary,
    delivery_span_s: Value,
    frames_per_read: Value,
    clients_short: usize,
    bad_frames: u64,
    misrouted: u64,
    server_connections_publish: Option<JsonConns>,
    live_closed: usize,
    stopped_by: &'static str,
    problems: Vec<String>,
    ok: bool,
}

/// The one JSON line (last line of stdout).
pub fn json_line(r: &Report, baseline: Option<&Report>) -> String {
    let (publishers, rate, duration) = match r.p.mode {
        Mode::Idle => (None, None, None),
        Mode::Burst { publishers, .. } => (Some(publishers), None, None),
        Mode::Rate { per_sec, secs } => (None, Some(per_sec), Some(secs)),
    };
    let problems = r.problems();
    let line = JsonLine {
        bench: "fanout",
        mode: r.p.mode.name(),
        clients: r.p.clients,
        sse: r.p.sse,
        stalled: r.p.stall,
        events: r.p.events,
        connected: r.connected(),
        connect_ms: r2(Some(r.ph.connect_ms)),
        publishes: r.p.mode.publishes(),
        publishes_accepted: r.pubs_accepted,
        expected: r.expected,
        delivered: r.delivered,
        lost: r.lost,
        duplicates: r.duplicates,
        out_of_order: r.out_of_order,
        latency_ms: summary(&r.latency_ws),
        deliveries_per_sec: r2(r.deliveries_per_sec),
        windows: r
            .windows
            .iter()
            .map(|w| JsonWindow {
                from_s: w.from_s,
                publishes: w.publishes,
                p50: stats::round2_f(w.lat.p50),
                p90: stats::round2_f(w.lat.p90),
                p99: stats::round2_f(w.lat.p99),
                max: stats::round2_f(w.lat.max),
                n: w.lat.n,
            })
            .collect(),
        server_rss_kb_before: r.ph.rss_before,
        server_rss_kb_connected: r.ph.rss_connected,
        server_rss_kb_after: r.ph.rss_after,
        kb_per_conn: r2(r.kb_per_conn()),
        server_cpu_pct: r2(r.ph.server_cpu_publish),
        loadgen_cpu_pct: r2(r.ph.loadgen_cpu_publish),
        server_cpu_connect_pct: r2(r.ph.server_cpu_connect),
        loadgen_cpu_connect_pct: r2(r.ph.loadgen_cpu_connect),
        others_cpu_pct: r2(r.others_cpu_publish()),
        others_cpu_connect_pct: r2(r.others_cpu_connect()),
        stalled_clients: r
            .stalled
            .iter()
            .map(|s| JsonStalled {
                disconnected: s.disconnected,
                close_code: s.close_code,
                end: s.end.clone(),
                received: s.received,
                expected: s.expected,
                bytes_waiting: s.bytes_read_at_end,
            })
            .collect(),
        baseline: baseline.map(|b| JsonBaseline {
            latency_ms: summary(&b.latency_ws),
            deliveries_per_sec: r2(b.deliveries_per_sec),
            lost: b.lost,
            server_cpu_pct: r2(b.ph.server_cpu_publish),
            ok: b.problems().is_empty(),
        }),
        p99_change_pct: baseline.map(|b| r2(change_pct(b.latency_ws.p99, r.latency_ws.p99))),
        publishers,
        rate,
        duration_s: duration,
        users: r.p.users,
        payload_bytes: r.p.payload_bytes,
        hold_s: r.p.hold,
        hold_connections: r.ph.hold_connections,
        connect_failures: r.connect_failed,
        connect_latency_ms: summary(&r.connect_latency),
        listen_overflows: r.ph.listen_drops.map(|d| d.0),
        publish_call_ms: summary(&r.pub_call),
        publish_span_s: r2(Some(r.pub_span_s)),
        server_encode_ms: summary(&r.server_encode),
        sse_latency_ms: summary(&r.latency_sse),
        reach_ms: summary(&r.reach),
        spread_ms: summary(&r.spread),
        delivery_span_s: r2(Some(r.delivery_span_s)),
        frames_per_read: r2((r.reads_ws > 0).then(|| r.frames_ws as f64 / r.reads_ws as f64)),
        clients_short: r.clients_short,
        bad_frames: r.bad,
        misrouted: r.unexpected,
        server_connections_publish: r.health_publish.map(|(start, min, end, d)| JsonConns {
            start,
            min,
            end,
            first_drop_s: d.and_then(stats::round2_f),
        }),
        live_closed: r.live_ends.values().sum(),
        stopped_by: r.ph.stopped_by,
        ok: problems.is_empty(),
        problems,
    };
    serde_json::to_string(&line).unwrap_or_else(|e| format!("{{\"bench\":\"fanout\",\"error\":\"{e}\"}}"))
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
