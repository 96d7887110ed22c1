//! "Nothing lost: positions, replay and state" (docs/protocol.md): a client
//! that resubscribes with `since` gets exactly what it missed, in order,
//! without duplicates, or — when the history no longer reaches back — the
//! current state and `recovered: false`, never a partial replay.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

fn pos(epoch: &Value, seq: u64) -> Value {
    json!({"epoch": epoch, "seq": seq})
}

fn seq_of(frame: &Value) -> u64 {
    frame["seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("{} must carry a seq: {frame}", frame["type"]))
}

/// An app, an admin token and a public event.
async fn setup(env: &[(&str, &str)]) -> (TestApp, String, String) {
    let app = TestApp::spawn_with(env).await;
    let admin = app.token("ada", "admin").await;
    let event = app.public_event(&admin, "Replay night").await;
    (app, admin, event)
}

/// Subscribes a fresh anonymous `/ws` socket; returns it and the reply.
async fn subscriber(app: &TestApp, topic: &str, since: Option<&Value>) -> (Ws, Value) {
    let mut ws = app.ws("/ws", None).await;
    ws.next_of_type("welcome", FRAME).await;
    let reply = ws.subscribe_ok(topic, since, "sub").await;
    (ws, reply)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resubscribe_with_since_replays_exactly_the_missed_messages_then_live_ones() {
    // Arrange
    let (app, admin, event) = setup(&[]).await;
    let topic = format!("event:{event}:announcements");
    let (mut ws, first) = subscriber(&app, &topic, None).await;
    let epoch = first["data"]["epoch"].clone();
    let start = first["data"]["seq"].as_u64().unwrap();
    for n in 0..5 {
        app.publish(&admin, &topic, "note", json!({"n": n})).await;
    }
    let mut last = start;
    for n in 0..5 {
        let f = ws.next_of_type("note", FRAME).await;
        assert_eq!(f["data"]["n"], n, "{f}");
        assert_eq!(seq_of(&f), last + 1, "live seqs grow by one: {f}");
        last = seq_of(&f);
    }
    ws.close().await;

    // Act: four published while away, then resubscribe from the last seen.
    for n in 5..9 {
        app.publish(&admin, &topic, "note", json!({"n": n})).await;
    }
    let (mut ws, again) = subscriber(&app, &topic, Some(&pos(&epoch, last))).await;
    let replay = ws
        .collect_until("the fourth missed note", FRAME, |f| f["data"]["n"] == 8)
        .await;
    for n in 9..11 {
        app.publish(&admin, &topic, "note", json!({"n": n})).await;
    }
    let live = ws
        .collect_until("two live notes", FRAME, |f| f["data"]["n"] == 10)
        .await;
    let after = ws.collect_for(millis(400)).await;

    // Assert
    assert_eq!(again["data"]["recovered"], true, "{again}");
    assert_eq!(again["data"]["epoch"], epoch, "same epoch: {again}");
    assert_eq!(again["data"]["seq"], last + 4, "position at the reply: {again}");
    let replayed: Vec<&Value> = replay.iter().map(|(f, _)| f).collect();
    assert_eq!(replayed.len(), 4, "exactly the four missed: {replayed:?}");
    let live: Vec<&Value> = live.iter().map(|(f, _)| f).collect();
    assert_eq!(live.len(), 2, "then exactly the two live ones: {live:?}");
    for (i, f) in replayed.iter().chain(live.iter()).enumerate() {
        assert_eq!(f["type"], "note", "{f}");
        assert_eq!(f["topic"], topic.as_str(), "{f}");
        assert_eq!(f["data"]["n"], 5 + i, "in publish order: {f}");
        assert_eq!(seq_of(f), last + 1 + i as u64, "no gap, no duplicate: {f}");
    }
    assert!(
        after.is_empty(),
        "nothing after the live ones (no duplicates): {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missed_announcements_on_the_event_room_are_replayed_in_order_without_duplicates() {
    // Arrange
    let (app, admin, event) = setup(&[]).await;
    let topic = format!("event:{event}");
    let (mut ws, first) = subscriber(&app, &topic, None).await;
    let epoch = first["data"]["epoch"].clone();
    ws.next_of_type("event_state", FRAME).await;
    app.announce(&admin, &event, "welcome").await;
    let seen = ws.next_of_type("announcement", FRAME).await;
    let last = seq_of(&seen);
    ws.close().await;

    // Act
    for m in ["doors open", "first act", "interval"] {
        app.announce(&admin, &event, m).await;
    }
    let (mut ws, again) = subscriber(&app, &topic, Some(&pos(&epoch, last))).await;
    let replay = ws
        .collect_until("the third missed announcement", FRAME, |f| {
            f["data"]["message"] == "interval"
        })
        .await;
    let after = ws.collect_for(millis(1300)).await;

    // Assert
    assert_eq!(again["data"]["recovered"], true, "{again}");
    let frames: Vec<&Value> = replay.iter().map(|(f, _)| f).collect();
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(
            seq_of(f),
            last + 1 + i as u64,
            "every message after since, in seq order: {frames:?}"
        );
    }
    let messages: Vec<&str> = frames
        .iter()
        .filter(|f| f["type"] == "announcement")
        .map(|f| f["data"]["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, ["doors open", "first act", "interval"], "{frames:?}");
    let top = frames.last().map(|f| seq_of(f)).unwrap();
    for f in &after {
        assert_ne!(f["type"], "announcement", "no announcement twice: {f}");
        if let Some(s) = f["seq"].as_u64() {
            assert!(s > top, "only newer messages follow: {f}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_since_older_than_the_history_gets_recovered_false_and_the_state_never_a_partial_replay() {
    // Arrange: history of five messages per topic.
    let (app, admin, event) = setup(&[("EMCEE_HISTORY_LEN", "5")]).await;
    let topic = format!("event:{event}");
    let (mut ws, first) = subscriber(&app, &topic, None).await;
    let epoch = first["data"]["epoch"].clone();
    let state = ws.next_of_type("event_state", FRAME).await;
    let last = seq_of(&state);
    ws.close().await;
    for i in 0..8 {
        app.announce(&admin, &event, &format!("news {i}")).await;
    }

    // Act
    let (mut ws, again) = subscriber(&app, &topic, Some(&pos(&epoch, last))).await;
    let frames = ws.collect_for(millis(600)).await;

    // Assert
    assert_eq!(again["data"]["recovered"], false, "{again}");
    let at = again["data"]["seq"].as_u64().unwrap();
    let catch_up: Vec<&Value> = frames
        .iter()
        .filter(|f| f["seq"].as_u64().is_some_and(|s| s <= at))
        .collect();
    assert!(
        catch_up.iter().any(|f| f["type"] == "event_state"),
        "the current state follows recovered: false: {frames:?}"
    );
    for f in &catch_up {
        assert!(
            ["event_state", "presence_count"].contains(&ty(f)),
            "only state messages, never a partial replay: {f}"
        );
    }
    assert!(
        !frames.iter().any(|f| f["type"] == "announcement"),
        "no announcement replayed: {frames:?}"
    );
    let state = catch_up.iter().find(|f| f["type"] == "event_state").unwrap();
    assert_eq!(state["data"]["event_id"], event.as_str(), "{state}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_since_just_inside_the_history_is_replayed_whole_and_one_further_is_lost() {
    // Arrange: five kept per topic; a topic without state.
    let (app, admin, event) = setup(&[("EMCEE_HISTORY_LEN", "5")]).await;
    let topic = format!("event:{event}:results");
    let (mut ws, first) = subscriber(&app, &topic, None).await;
    let epoch = first["data"]["epoch"].clone();
    app.publish(&admin, &topic, "score", json!({"n": 0})).await;
    let seen = seq_of(&ws.next_of_type("score", FRAME).await);
    ws.close().await;
    for n in 1..6 {
        app.publish(&admin, &topic, "score", json!({"n": n})).await;
    }

    // Act 1: the five missed are exactly the five kept.
    let (mut ws, whole) = subscriber(&app, &topic, Some(&pos(&epoch, seen))).await;
    let replay = ws.collect_for(millis(400)).await;
    ws.close().await;
    // Act 2: one more pushes the first missed one out.
    app.publish(&admin, &topic, "score", json!({"n": 6})).await;
    let (mut ws, lost) = subscriber(&app, &topic, Some(&pos(&epoch, seen))).await;
    let after_lost = ws.collect_for(millis(400)).await;

    // Assert
    assert_eq!(whole["data"]["recovered"], true, "{whole}");
    let ns: Vec<&Value> = replay.iter().map(|f| &f["data"]["n"]).collect();
    assert_eq!(ns, [1, 2, 3, 4, 5], "all five missed: {replay:?}");
    assert_eq!(lost["data"]["recovered"], false, "{lost}");
    assert!(
        after_lost.is_empty(),
        "a topic without state gets nothing, never the four it still has: {after_lost:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_since_from_another_epoch_or_ahead_of_the_stream_gets_recovered_false_and_the_state() {
    // Arrange
    let (app, _admin, event) = setup(&[]).await;
    let topic = format!("event:{event}");
    let (mut ws, first) = subscriber(&app, &topic, None).await;
    let epoch = first["data"]["epoch"].as_str().unwrap().to_string();
    let state = ws.next_of_type("event_state", FRAME).await;
    let last = seq_of(&state);
    let flipped = format!(
        "{:016x}",
        u64::from_str_radix(&epoch, 16).unwrap() ^ 0x0f0f_0000_0000_0002
    );

    // Act
    let (mut other_epoch, a) = subscriber(&app, &topic, Some(&json!({"epoch": flipped, "seq": last}))).await;
    let a_state = other_epoch.next_of_type("event_state", FRAME).await;
    let (mut ahead, b) = subscriber(&app, &topic, Some(&json!({"epoch": epoch, "seq": last + 100}))).await;
    let b_state = ahead.next_of_type("event_state", FRAME).await;

    // Assert
    assert_eq!(a["data"]["recovered"], false, "wrong epoch: {a}");
    assert_eq!(a["data"]["epoch"], epoch.as_str(), "the stream's real epoch: {a}");
    assert_eq!(a_state["data"]["event_id"], event.as_str(), "{a_state}");
    assert_eq!(b["data"]["recovered"], false, "ahead of the stream: {b}");
    assert_eq!(b_state["data"]["version"], state["data"]["version"], "{b_state}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_restart_changes_the_epoch_and_an_old_position_is_not_trusted() {
    // Arrange
    let (mut app, admin, event) = setup(&[]).await;
    let topic = format!("event:{event}");
    let (mut ws, before) = subscriber(&app, &topic, None).await;
    let old_epoch = before["data"]["epoch"].clone();
    app.announce(&admin, &event, "before the restart").await;
    let last = seq_of(&ws.next_of_type("announcement", FRAME).await);
    ws.close().await;

    // Act
    app.restart().await;
    let (_fresh, after) = subscriber(&app, &topic, None).await;
    let (mut resumed, resumed_reply) = subscriber(&app, &topic, Some(&pos(&old_epoch, last))).await;
    let frames = resumed.collect_for(millis(500)).await;

    // Assert
    assert_ne!(after["data"]["epoch"], old_epoch, "a new process, a new epoch: {after}");
    assert_eq!(resumed_reply["data"]["recovered"], false, "{resumed_reply}");
    assert!(
        frames.iter().any(|f| f["type"] == "event_state"),
        "the state instead: {frames:?}"
    );
    assert!(
        !frames.iter().any(|f| f["type"] == "announcement"),
        "nothing replayed across the restart: {frames:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_older_than_the_history_ttl_are_not_replayed() {
    // Arrange: history kept one second; a second subscriber keeps the topic
    // (and its epoch) alive.
    let (app, admin, event) = setup(&[("EMCEE_HISTORY_TTL_SECS", "1")]).await;
    let topic = format!("event:{event}:results");
    let (_keeper, kept) = subscriber(&app, &topic, None).await;
    let (ws, first) = subscriber(&app, &topic, None).await;
    let epoch = first["data"]["epoch"].clone();
    let last = first["data"]["seq"].as_u64().unwrap();
    ws.close().await;
    app.publish(&admin, &topic, "score", json!({"n": 1})).await;

    // Act: come back after the message aged out.
    tokio::time::sleep(millis(2600)).await;
    let (mut ws, again) = subscriber(&app, &topic, Some(&pos(&epoch, last))).await;
    let frames = ws.collect_for(millis(400)).await;

    // Assert
    assert_eq!(kept["data"]["epoch"], again["data"]["epoch"], "same stream: {again}");
    assert_eq!(again["data"]["recovered"], false, "aged out: {again}");
    assert!(frames.is_empty(), "no partial replay: {frames:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ticks_are_not_replayed_only_kept_messages_are() {
    // Arrange: a countdown ticking on the event room.
    let (app, admin, event) = setup(&[]).await;
    let topic = format!("event:{event}");
    let (mut ws, first) = subscriber(&app, &topic, None).await;
    let epoch = first["data"]["epoch"].clone();
    app.start_countdown_secs(&admin, &event, 120).await;
    ws.next_of_type("countdown_update", secs(3)).await;
    let last = ws.seen.iter().filter_map(|f| f["seq"].as_u64()).max().unwrap();
    ws.close().await;

    // Act: miss a couple of ticks and one announcement.
    tokio::time::sleep(millis(1500)).await;
    app.announce(&admin, &event, "while away").await;
    let (mut ws, again) = subscriber(&app, &topic, Some(&pos(&epoch, last))).await;
    let replay: Vec<Value> = ws
        .collect_until("the missed announcement", FRAME, |f| f["type"] == "announcement")
        .await
        .into_iter()
        .map(|(f, _)| f)
        .collect();

    // Assert
    assert_eq!(again["data"]["recovered"], true, "{again}");
    for f in &replay {
        assert!(f["seq"].is_u64(), "only messages with a position are replayed: {f}");
        assert!(
            !["countdown_update", "countdown_warning"].contains(&ty(f)),
            "ticks are ephemeral: {f}"
        );
    }
}

// ---------------------------------------------------------------------------
// Many clients dropping and resuming under concurrent publishing.
// ---------------------------------------------------------------------------

const CLIENTS: usize = 20;
const PUBLISHERS: u64 = 4;
const PER_PUBLISHER: u64 = 750;
const TOTAL: usize = (PUBLISHERS * PER_PUBLISHER) as usize;

#[derive(Debug, Default)]
struct ClientReport {
    /// (seq, publisher, counter) in the order received.
    got: Vec<(u64, u64, u64)>,
    reconnects: usize,
    kicked: usize,
    errors: Vec<String>,
}

async fn flaky_client(
    ws_url: String,
    topic: String,
    seed: u64,
    ready: tokio::sync::mpsc::Sender<()>,
    deadline: tokio::time::Instant,
) -> ClientReport {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut report = ClientReport::default();
    let mut last: Option<(String, u64)> = None;
    let mut ready = Some(ready);
    'session: while report.got.len() < TOTAL {
        if tokio::time::Instant::now() > deadline {
            report
                .errors
                .push(format!("deadline with {} of {TOTAL}", report.got.len()));
            break;
        }
        let mut ws = match Ws::connect_url(&format!("{ws_url}/ws"), None).await {
            Ok(ws) => ws,
            Err(e) => {
                report.errors.push(format!("connect: {e}"));
                break;
            }
        };
        let since = last.as_ref().map(|(e, s)| json!({"epoch": e, "seq": s}));
        let r = format!("s{}", report.reconnects);
        let mut msg = json!({"type": "subscribe", "topic": topic, "ref": r});
        if let Some(s) = &since {
            msg["since"] = s.clone();
        }
        if ws.try_send_json(&msg).await.is_err() {
            report.errors.push("could not send subscribe".into());
            break;
        }
        // Drop again after a random number of frames.
        let mut budget: usize = rng.gen_range(50..500);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match ws.next_event(left).await {
                WsEvent::Json(f, _) => match ty(&f) {
                    "welcome" => {}
                    "subscribed" => {
                        let epoch = f["data"]["epoch"].as_str().unwrap_or("").to_string();
                        let seq = f["data"]["seq"].as_u64().unwrap_or(0);
                        match &last {
                            None => {
                                last = Some((epoch, seq));
                                if let Some(tx) = ready.take() {
                                    let _ = tx.send(()).await;
                                }
                            }
                            Some((e, _)) => {
                                if f["data"]["recovered"] != true || *e != epoch {
                                    report.errors.push(format!("resume not recovered: {f}"));
                                    break 'session;
                                }
                            }
                        }
                    }
                    "score" => {
                        let seq = f["seq"].as_u64().unwrap_or(0);
                        let (_, prev) = last.as_mut().expect("subscribed first");
                        if seq != *prev + 1 {
                            report.errors.push(format!("seq {seq} after {prev}: {f}"));
                            break 'session;
                        }
                        *prev = seq;
                        let p = f["data"]["p"].as_u64().unwrap_or(u64::MAX);
                        let n = f["data"]["n"].as_u64().unwrap_or(u64::MAX);
                        report.got.push((seq, p, n));
                        if report.got.len() == TOTAL {
                            ws.close().await;
                            break 'session;
                        }
                        budget = budget.saturating_sub(1);
                        if budget == 0 {
                            break;
                        }
                    }
                    _ => {
                        report.errors.push(format!("unexpected frame {f}"));
                        break 'session;
                    }
                },
                WsEvent::Close(code) => {
                    // The server may drop a client that falls behind (4008);
                    // it resumes like any other drop.
                    if code != Some(4008) {
                        report.errors.push(format!("server closed with {code:?}"));
                        break 'session;
                    }
                    report.kicked += 1;
                    break;
                }
                WsEvent::Ended(why) => {
                    report.errors.push(format!("socket ended: {why}"));
                    break 'session;
                }
                WsEvent::Timeout => {
                    report
                        .errors
                        .push(format!("deadline with {} of {TOTAL}", report.got.len()));
                    break 'session;
                }
            }
        }
        // Drop: half the time politely, half the time by cutting the TCP.
        if rng.gen_bool(0.5) {
            ws.close().await;
        } else {
            drop(ws);
        }
        report.reconnects += 1;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..120))).await;
    }
    report
}

async fn publisher(http: reqwest::Client, url: String, admin: String, topic: String, p: u64) -> Vec<String> {
    let mut errors = Vec::new();
    for n in 0..PER_PUBLISHER {
        let res = http
            .post(&url)
            .bearer_auth(&admin)
            .json(&json!({"topic": topic, "type": "score", "data": {"p": p, "n": n}}))
            .send()
            .await;
        match res {
            Ok(r) if r.status().as_u16() == 202 => {}
            Ok(r) => errors.push(format!("publish {p}/{n}: HTTP {}", r.status())),
            Err(e) => errors.push(format!("publish {p}/{n}: {e}")),
        }
    }
    errors
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_that_drop_and_resume_at_random_get_every_message_exactly_once_in_seq_order() {
    // Arrange
    let (app, admin, event) = setup(&[("EMCEE_HISTORY_LEN", "10000")]).await;
    let topic = format!("event:{event}:results");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(25);
    let base_seed: u64 = rand::random();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(CLIENTS);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            tokio::spawn(flaky_client(
                app.ws_url.clone(),
                topic.clone(),
                base_seed.wrapping_add(i as u64),
                ready_tx.clone(),
                deadline,
            ))
        })
        .collect();
    for _ in 0..CLIENTS {
        tokio::time::timeout(STEP, ready_rx.recv())
            .await
            .expect("every client subscribes")
            .expect("ready channel open");
    }

    // Act: four publishers at once, each with its own counter.
    let url = app.url("/api/publish");
    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            tokio::spawn(publisher(
                app.http.clone(),
                url.clone(),
                admin.clone(),
                topic.clone(),
                p,
            ))
        })
        .collect();
    let mut publish_errors = Vec::new();
    for p in publishers {
        publish_errors.extend(p.await.expect("publisher task"));
    }
    let mut reports = Vec::new();
    for c in clients {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now()) + Duration::from_secs(2);
        reports.push(
            tokio::time::timeout(left, c)
                .await
                .expect("client finished")
                .expect("client task"),
        );
    }

    // Assert
    assert!(publish_errors.is_empty(), "publishes refused: {publish_errors:?}");
    let seed_note = format!("(seed {base_seed})");
    let reference: HashMap<u64, (u64, u64)> = reports[0].got.iter().map(|&(s, p, n)| (s, (p, n))).collect();
    let mut reconnects = 0;
    for (i, r) in reports.iter().enumerate() {
        assert!(r.errors.is_empty(), "client {i} {seed_note}: {:?}", r.errors);
        assert_eq!(r.got.len(), TOTAL, "client {i} got every message {seed_note}");
        let seqs: Vec<u64> = r.got.iter().map(|g| g.0).collect();
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "client {i}: seq strictly +1 across reconnects {seed_note}"
        );
        let set: BTreeSet<(u64, u64)> = r.got.iter().map(|&(_, p, n)| (p, n)).collect();
        assert_eq!(set.len(), TOTAL, "client {i}: no duplicate counter {seed_note}");
        for p in 0..PUBLISHERS {
            let ns: Vec<u64> = r.got.iter().filter(|g| g.1 == p).map(|g| g.2).collect();
            assert_eq!(
                ns,
                (0..PER_PUBLISHER).collect::<Vec<_>>(),
                "client {i}: publisher {p}'s counters complete and in publish order {seed_note}"
            );
        }
        for &(s, p, n) in &r.got {
            assert_eq!(
                reference.get(&s),
                Some(&(p, n)),
                "client {i}: seq {s} is the same message for everyone {seed_note}"
            );
        }
        reconnects += r.reconnects;
    }
    let kicked: usize = reports.iter().map(|r| r.kicked).sum();
    eprintln!("{CLIENTS} clients, {TOTAL} messages: {reconnects} reconnects, {kicked} slow-consumer kicks {seed_note}");
    assert!(
        reconnects >= CLIENTS * 2,
        "clients really dropped and resumed: {reconnects} reconnects ({kicked} by the server)"
    );
}
