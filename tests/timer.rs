//! Round timers over WebSocket, in real time (protocol.md "Round timer").
//! Rounds are a few seconds long so the whole flow runs quickly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Utc};
use common::*;
use serde_json::{json, Value};

/// How late (or early) a tick may be against its whole-second mark.
const TICK_SLACK_MS: i64 = 250;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

fn remaining(f: &Value) -> i64 {
    f["data"]["time_remaining"]
        .as_i64()
        .unwrap_or_else(|| panic!("time_remaining: {f}"))
}

fn pos(frames: &[(Value, DateTime<Utc>)], pred: impl Fn(&Value) -> bool) -> Option<usize> {
    frames.iter().position(|(f, _)| pred(f))
}

fn types(frames: &[(Value, DateTime<Utc>)]) -> Vec<String> {
    frames.iter().map(|(f, _)| ty(f).to_string()).collect()
}

/// Ticks of one phase: on time, same deadline, strictly decreasing,
/// percentage never going back.
fn check_ticks(ticks: &[&(Value, DateTime<Utc>)], rid: &str, phase: &str, ends_at_ms: i64) {
    let mut last_rem = i64::MAX;
    let mut last_pct = -1.0;
    for (f, at) in ticks {
        assert_envelope(f);
        assert_no_seq(f);
        assert_timer_state(&f["data"], rid, phase);
        assert_eq!(
            ms_of(&f["data"]["ends_at"]),
            ends_at_ms,
            "every {phase} tick carries the phase deadline: {f}"
        );
        let rem = remaining(f);
        assert!(
            rem < last_rem,
            "time_remaining strictly decreasing: {rem} after {last_rem}"
        );
        last_rem = rem;
        let pct = f["data"]["percentage_complete"].as_f64().unwrap();
        assert!(pct >= last_pct, "percentage_complete never decreases: {f}");
        last_pct = pct;
        assert_tick_on_time(f, *at, TICK_SLACK_MS);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_round_ticks_warns_ends_takes_its_break_and_auto_advances() {
    // Arrange: 4 s round + 2 s break, then a 3 s round started by itself.
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app
        .create_event(
            &org,
            json!({"name": "Speed rounds", "visibility": "private", "auto_advance_rounds": true}),
        )
        .await;
    let eid = id(&event);
    let r1 = id(&app.create_round(&org, &eid, 4, 2).await);
    let r2 = id(&app.create_round(&org, &eid, 3, 0).await);

    let mut round_ws = app.ws(&format!("/ws/round/{r1}/timer"), Some(&org)).await;
    let hello = round_ws.next_json(FRAME).await;
    assert_eq!(hello["type"], "timer_connected", "first frame: {hello}");
    assert_envelope(&hello);
    assert_eq!(hello["data"]["round_id"], r1.as_str());
    assert_eq!(hello["data"]["event_id"], eid.as_str());
    assert_eq!(hello["data"]["round_status"], "pending");
    assert!(hello["data"]["timer"].is_null(), "no timer before start: {hello}");
    assert_wire_time(&hello["data"]["server_time"], "timer_connected.server_time");

    let mut event_ws = app.ws(&format!("/ws/event/{eid}"), Some(&org)).await;
    let connected = event_ws.next_json(FRAME).await;
    assert_eq!(connected["type"], "connected", "first frame: {connected}");
    assert!(connected["data"]["round"].is_null(), "{connected}");

    // Act
    let started = app.start_round(&org, &r1).await;
    let round_frames = round_ws
        .collect_until("break_ended", secs(12), |f| f["type"] == "break_ended")
        .await;
    let mut event_frames = event_ws
        .collect_until("round_started of round 2", secs(6), |f| {
            f["type"] == "round_started" && f["data"]["round_id"] == r2.as_str()
        })
        .await;
    if pos(&event_frames, |f| f["type"] == "break_ended").is_none() {
        event_frames.push(event_ws.next_of_type_timed("break_ended", FRAME).await);
    }

    // Assert: round socket -------------------------------------------------
    let ends1 = ms_of(&started["ends_at"]);
    let kinds = types(&round_frames);
    let i_started = pos(&round_frames, |f| f["type"] == "round_started")
        .unwrap_or_else(|| panic!("round_started on round socket: {kinds:?}"));
    let i_ended = pos(&round_frames, |f| f["type"] == "round_ended")
        .unwrap_or_else(|| panic!("round_ended on round socket: {kinds:?}"));
    let i_break = pos(&round_frames, |f| f["type"] == "break_started")
        .unwrap_or_else(|| panic!("break_started on round socket: {kinds:?}"));
    let i_break_end = round_frames.len() - 1;
    assert!(i_started < i_ended && i_ended < i_break, "order: {kinds:?}");
    if let Some(i_first_tick) = pos(&round_frames, |f| f["type"] == "timer_update") {
        assert!(
            i_started < i_first_tick,
            "round_started before the first tick: {kinds:?}"
        );
    }

    let (rs, _) = &round_frames[i_started];
    assert_envelope(rs);
    assert_has_seq(rs);
    assert_eq!(rs["topic"], format!("round:{r1}"));
    assert_timer_state(&rs["data"], &r1, "round");
    assert_eq!(ms_of(&rs["data"]["ends_at"]), ends1, "{rs}");

    let round_ticks: Vec<_> = round_frames[..i_ended]
        .iter()
        .filter(|(f, _)| f["type"] == "timer_update")
        .collect();
    check_ticks(&round_ticks, &r1, "round", ends1);
    let rems: Vec<i64> = round_ticks.iter().map(|(f, _)| remaining(f)).collect();
    for n in [3, 2, 1] {
        assert!(rems.contains(&n), "a round tick at {n} s: {rems:?}");
    }
    assert!(rems.iter().all(|r| (0..=4).contains(r)), "round ticks: {rems:?}");

    let warnings: Vec<&Value> = round_frames[..i_ended]
        .iter()
        .map(|(f, _)| f)
        .filter(|f| f["type"] == "timer_warning")
        .collect();
    let mut warned = Vec::new();
    for w in &warnings {
        assert_envelope(w);
        assert_no_seq(w);
        let d = &w["data"];
        assert_eq!(d["round_id"], r1.as_str(), "{w}");
        assert_eq!(d["event_id"], eid.as_str(), "{w}");
        assert_eq!(d["phase"], "round", "{w}");
        assert_eq!(d["warning_type"], "countdown", "{w}");
        assert!(d["message"].is_string(), "{w}");
        warned.push(d["time_remaining"].as_i64().unwrap_or(-1));
    }
    for n in [3, 2, 1] {
        assert!(warned.contains(&n), "countdown warning at {n} s: {warned:?}");
    }
    assert!(warned.iter().all(|n| (1..=4).contains(n)), "warnings: {warned:?}");

    let (re, re_at) = &round_frames[i_ended];
    assert_envelope(re);
    assert_has_seq(re);
    assert_eq!(re["data"]["round_id"], r1.as_str());
    assert_eq!(re["data"]["event_id"], eid.as_str());
    assert_eq!(re["data"]["ordinal"], 1);
    assert_eq!(re["data"]["ended_early"], false, "{re}");
    let late = re_at.timestamp_millis() - ends1;
    assert!(
        (-TICK_SLACK_MS..=500).contains(&late),
        "round_ended {late} ms after ends_at"
    );

    let (bs, _) = &round_frames[i_break];
    assert_envelope(bs);
    assert_has_seq(bs);
    assert_timer_state(&bs["data"], &r1, "break");
    assert_eq!(bs["data"]["total_duration"], 2, "{bs}");
    let break_ends = ms_of(&bs["data"]["ends_at"]);
    assert!(
        (break_ends - (ends1 + 2000)).abs() <= TICK_SLACK_MS,
        "break ends 2 s after the round's deadline: {bs}"
    );

    let break_ticks: Vec<_> = round_frames[i_break..i_break_end]
        .iter()
        .filter(|(f, _)| f["type"] == "timer_update")
        .collect();
    check_ticks(&break_ticks, &r1, "break", break_ends);
    let brems: Vec<i64> = break_ticks.iter().map(|(f, _)| remaining(f)).collect();
    assert!(brems.contains(&1), "a break tick at 1 s: {brems:?}");
    assert!(
        !round_frames[i_break..]
            .iter()
            .any(|(f, _)| f["type"] == "timer_warning"),
        "no warnings in the break: {kinds:?}"
    );

    let (be, be_at) = &round_frames[i_break_end];
    assert_envelope(be);
    assert_has_seq(be);
    assert_eq!(be["data"]["round_id"], r1.as_str());
    assert_eq!(be["data"]["event_id"], eid.as_str());
    assert_eq!(be["data"]["next_round_id"], r2.as_str(), "auto advance: {be}");
    let late = be_at.timestamp_millis() - break_ends;
    assert!(
        (-TICK_SLACK_MS..=500).contains(&late),
        "break_ended {late} ms after its deadline"
    );

    let seqs: Vec<i64> = round_frames.iter().filter_map(|(f, _)| f["seq"].as_i64()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "round topic seq increasing: {seqs:?}"
    );

    // Assert: event socket ---------------------------------------------------
    let ekinds = types(&event_frames);
    for (f, _) in &event_frames {
        assert_envelope(f);
        assert_eq!(f["topic"], format!("event:{eid}"), "{f}");
        assert!(
            f["type"] != "timer_update" && f["type"] != "timer_warning",
            "ticks and warnings stay on the round topic: {ekinds:?}"
        );
    }
    let e_started1 = pos(&event_frames, |f| {
        f["type"] == "round_started" && f["data"]["round_id"] == r1.as_str()
    })
    .unwrap_or_else(|| panic!("round_started(1) on event socket: {ekinds:?}"));
    let e_ended = pos(&event_frames, |f| f["type"] == "round_ended")
        .unwrap_or_else(|| panic!("round_ended on event socket: {ekinds:?}"));
    let e_break = pos(&event_frames, |f| f["type"] == "break_started")
        .unwrap_or_else(|| panic!("break_started on event socket: {ekinds:?}"));
    let e_break_end = pos(&event_frames, |f| f["type"] == "break_ended")
        .unwrap_or_else(|| panic!("break_ended on event socket: {ekinds:?}"));
    let e_started2 = pos(&event_frames, |f| {
        f["type"] == "round_started" && f["data"]["round_id"] == r2.as_str()
    })
    .unwrap_or_else(|| panic!("round_started(2) on event socket: {ekinds:?}"));
    assert!(
        e_started1 < e_ended && e_ended < e_break && e_break < e_break_end && e_break < e_started2,
        "event socket order: {ekinds:?}"
    );
    assert_eq!(event_frames[e_break_end].0["data"]["next_round_id"], r2.as_str());
    let (s2, _) = &event_frames[e_started2];
    assert_timer_state(&s2["data"], &r2, "round");
    assert_eq!(s2["data"]["ordinal"], 2);
    assert_eq!(s2["data"]["total_duration"], 3);
    assert!(
        (ms_of(&s2["data"]["ends_at"]) - (break_ends + 3000)).abs() <= 500,
        "round 2 starts when the break ends: {s2}"
    );
    // Everything published on the event topic is kept in history, except
    // the `subscribed` reply and latest-only `presence_count`.
    let eseqs: Vec<i64> = event_frames
        .iter()
        .filter(|(f, _)| f["type"] != "subscribed" && f["type"] != "presence_count")
        .map(|(f, _)| {
            assert_has_seq(f);
            f["seq"].as_i64().unwrap_or(-1)
        })
        .collect();
    assert!(
        eseqs.windows(2).all(|w| w[0] < w[1]),
        "event topic seq increasing: {eseqs:?}"
    );

    // Assert: persisted state
    assert_eq!(app.get_round(&org, &r1).await["status"], "completed");
    assert_eq!(app.get_round(&org, &r2).await["status"], "running");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_auto_advance_the_next_round_waits_after_the_break() {
    // Arrange: 1 s round + 1 s break, auto_advance_rounds off (default).
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let eid = app.private_event(&org, "Manual").await;
    let r1 = id(&app.create_round(&org, &eid, 1, 1).await);
    let r2 = id(&app.create_round(&org, &eid, 5, 0).await);
    let mut ws = app.ws(&format!("/ws/round/{r1}/timer"), Some(&org)).await;
    ws.next_of_type("timer_connected", FRAME).await;

    // Act
    app.start_round(&org, &r1).await;
    let ended = ws.next_of_type("break_ended", secs(6)).await;

    // Assert
    assert_eq!(ended["data"]["round_id"], r1.as_str());
    assert!(ended["data"]["next_round_id"].is_null(), "no auto advance: {ended}");
    tokio::time::sleep(millis(300)).await;
    assert_eq!(app.get_round(&org, &r1).await["status"], "completed");
    assert_eq!(app.get_round(&org, &r2).await["status"], "pending");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_round_without_a_break_completes_at_its_deadline() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let eid = app.private_event(&org, "No breaks").await;
    let rid = id(&app.create_round(&org, &eid, 2, 0).await);
    let mut ws = app.ws(&format!("/ws/round/{rid}/timer"), Some(&org)).await;
    ws.next_of_type("timer_connected", FRAME).await;

    // Act
    let started = app.start_round(&org, &rid).await;
    let (ended, at) = ws.next_of_type_timed("round_ended", secs(5)).await;
    let after = ws.collect_for(millis(700)).await;

    // Assert
    assert_eq!(ended["data"]["ended_early"], false, "{ended}");
    let late = at.timestamp_millis() - ms_of(&started["ends_at"]);
    assert!(
        (-TICK_SLACK_MS..=500).contains(&late),
        "round_ended {late} ms after ends_at"
    );
    assert!(
        !after
            .iter()
            .any(|f| f["type"] == "break_started" || f["type"] == "timer_update"),
        "no break and no ticks after a break-less round: {after:?}"
    );
    assert_eq!(app.get_round(&org, &rid).await["status"], "completed");
    let (s, b) = app.get(&format!("/api/rounds/{rid}/timer"), Some(&org)).await;
    assert_error(s, &b, 409, "conflict");
}

#[tokio::test(flavor = "multi_thread")]
async fn ending_a_round_early_is_reported_as_ended_early_then_the_break_starts() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let eid = app.private_event(&org, "Early").await;
    let rid = id(&app.create_round(&org, &eid, 300, 10).await);
    app.start_round(&org, &rid).await;
    let mut round_ws = app.ws(&format!("/ws/round/{rid}/timer"), Some(&org)).await;
    round_ws.next_of_type("timer_connected", FRAME).await;
    let mut event_ws = app.ws(&format!("/ws/event/{eid}"), Some(&org)).await;
    event_ws.next_of_type("connected", FRAME).await;

    // Act
    let (s, _) = app.post(&format!("/api/rounds/{rid}/end"), Some(&org)).await;
    let now = Utc::now().timestamp_millis();

    // Assert
    assert_eq!(s, 200);
    let re = round_ws.next_of_type("round_ended", FRAME).await;
    assert_eq!(re["data"]["ended_early"], true, "{re}");
    let bs = round_ws.next_of_type("break_started", FRAME).await;
    assert_timer_state(&bs["data"], &rid, "break");
    assert_eq!(bs["data"]["total_duration"], 10);
    assert!(
        (ms_of(&bs["data"]["ends_at"]) - (now + 10_000)).abs() <= 1000,
        "break runs 10 s from the early end: {bs}"
    );
    let tick = round_ws.next_of_type("timer_update", secs(2)).await;
    assert_eq!(tick["data"]["phase"], "break", "{tick}");
    let ere = event_ws.next_of_type("round_ended", FRAME).await;
    assert_eq!(ere["data"]["ended_early"], true, "{ere}");
    let ebs = event_ws.next_of_type("break_started", FRAME).await;
    assert_eq!(ebs["data"]["phase"], "break", "{ebs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn connecting_to_a_running_round_gives_its_timer_state_first() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let attendee = app.token("ann", "attendee").await;
    let eid = app.private_event(&org, "Running").await;
    app.add_member(&org, &eid, "ann", "attendee").await;
    let rid = id(&app.create_round(&org, &eid, 300, 0).await);
    let started = app.start_round(&org, &rid).await;

    // Act
    let mut round_ws = app.ws(&format!("/ws/round/{rid}/timer"), Some(&attendee)).await;
    let hello = round_ws.next_json(FRAME).await;
    let mut event_ws = app.ws(&format!("/ws/event/{eid}"), Some(&attendee)).await;
    let connected = event_ws.next_json(FRAME).await;

    // Assert
    assert_eq!(hello["type"], "timer_connected", "{hello}");
    assert_envelope(&hello);
    assert_eq!(hello["data"]["round_status"], "running", "{hello}");
    assert_timer_state(&hello["data"]["timer"], &rid, "round");
    assert_eq!(ms_of(&hello["data"]["timer"]["ends_at"]), ms_of(&started["ends_at"]));
    assert_eq!(connected["type"], "connected", "{connected}");
    assert_envelope(&connected);
    let d = &connected["data"];
    assert_eq!(d["event_id"], eid.as_str());
    assert_eq!(d["event_name"], "Running");
    assert_eq!(d["user"]["name"], "ann", "{connected}");
    assert_eq!(d["user"]["role"], "attendee", "{connected}");
    assert!(d["countdown"].is_null(), "{connected}");
    assert_timer_state(&d["round"], &rid, "round");
    assert_eq!(ms_of(&d["round"]["ends_at"]), ms_of(&started["ends_at"]));
    assert_wire_time(&d["server_time"], "connected.server_time");
    // Ticks follow on the round socket.
    let (tick, at) = round_ws.next_of_type_timed("timer_update", millis(1600)).await;
    assert_eq!(tick["topic"], format!("round:{rid}"));
    assert_tick_on_time(&tick, at, TICK_SLACK_MS);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_extension_is_announced_and_later_ticks_use_the_new_deadline() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let eid = app.private_event(&org, "Extended").await;
    let rid = id(&app.create_round(&org, &eid, 5, 0).await);
    let mut round_ws = app.ws(&format!("/ws/round/{rid}/timer"), Some(&org)).await;
    round_ws.next_of_type("timer_connected", FRAME).await;
    let mut event_ws = app.ws(&format!("/ws/event/{eid}"), Some(&org)).await;
    event_ws.next_of_type("connected", FRAME).await;
    let started = app.start_round(&org, &rid).await;
    let first = round_ws.next_of_type("timer_update", millis(1600)).await;

    // Act
    let (s, ext) = app
        .post_json(
            &format!("/api/rounds/{rid}/extend"),
            Some(&org),
            json!({"additional_seconds": 10}),
        )
        .await;

    // Assert
    assert_eq!(s, 200, "{ext}");
    let new_end = ms_of(&started["ends_at"]) + 10_000;
    assert!((ms_of(&ext["ends_at"]) - new_end).abs() <= 1, "{ext}");
    let on_round = round_ws.next_of_type("round_extended", FRAME).await;
    assert_has_seq(&on_round);
    assert_timer_state(&on_round["data"], &rid, "round");
    assert_eq!(on_round["data"]["additional_seconds"], 10);
    assert_eq!(ms_of(&on_round["data"]["ends_at"]), ms_of(&ext["ends_at"]));
    let on_event = event_ws.next_of_type("round_extended", FRAME).await;
    assert_eq!(on_event["data"]["round_id"], rid.as_str());
    assert_eq!(on_event["data"]["additional_seconds"], 10);
    let (tick, at) = round_ws.next_of_type_timed("timer_update", millis(1600)).await;
    assert_eq!(ms_of(&tick["data"]["ends_at"]), ms_of(&ext["ends_at"]), "{tick}");
    assert!(
        remaining(&tick) > remaining(&first),
        "clock jumped forward: {first} -> {tick}"
    );
    assert_eq!(tick["data"]["total_duration"], 15, "{tick}");
    assert_tick_on_time(&tick, at, TICK_SLACK_MS);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_minute_thirty_seconds_and_ten_second_warnings_fire_at_their_marks() {
    // Arrange: three events so three rounds can run at once.
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let mut sockets = Vec::new();
    for (dur, want_type, want_rem) in [
        (61, "one_minute", 60),
        (31, "thirty_seconds", 30),
        (12, "countdown", 10),
    ] {
        let eid = app.private_event(&org, &format!("Warn {dur}")).await;
        let rid = id(&app.create_round(&org, &eid, dur, 0).await);
        let mut ws = app.ws(&format!("/ws/round/{rid}/timer"), Some(&org)).await;
        ws.next_of_type("timer_connected", FRAME).await;
        sockets.push((rid, ws, want_type, want_rem));
    }

    // Act
    for (rid, _, _, _) in &sockets {
        app.start_round(&org, rid).await;
    }

    // Assert: the first warning of each round is the expected one, at its mark.
    for (rid, ws, want_type, want_rem) in &mut sockets {
        let (w, at) = ws.next_of_type_timed("timer_warning", secs(4)).await;
        assert_envelope(&w);
        assert_no_seq(&w);
        assert_eq!(w["data"]["round_id"], rid.as_str(), "{w}");
        assert_eq!(w["data"]["warning_type"], *want_type, "{w}");
        assert_eq!(w["data"]["time_remaining"], *want_rem, "{w}");
        assert_eq!(w["data"]["phase"], "round", "{w}");
        assert!(w["data"]["message"].is_string(), "{w}");
        let round = app.get_round(&org, rid).await;
        let mark = ms_of(&round["ends_at"]) - *want_rem * 1000;
        let late = at.timestamp_millis() - mark;
        assert!(
            (-TICK_SLACK_MS..=TICK_SLACK_MS).contains(&late),
            "{want_type} warning {late} ms from its mark"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_auto_advance_a_round_without_a_break_is_followed_at_once_by_the_next() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app
        .create_event(
            &org,
            json!({"name": "Back to back", "visibility": "private", "auto_advance_rounds": true}),
        )
        .await;
    let eid = id(&event);
    let r1 = id(&app.create_round(&org, &eid, 1, 0).await);
    let r2 = id(&app.create_round(&org, &eid, 60, 0).await);
    let mut ws = app.ws(&format!("/ws/event/{eid}"), Some(&org)).await;
    ws.next_of_type("connected", FRAME).await;

    // Act
    let started = app.start_round(&org, &r1).await;
    let next = ws
        .next_matching("round_started for round 2", secs(4), |f| {
            f["type"] == "round_started" && f["data"]["round_id"] == r2.as_str()
        })
        .await;

    // Assert
    assert_timer_state(&next["data"], &r2, "round");
    assert!(
        (ms_of(&next["data"]["ends_at"]) - (ms_of(&started["ends_at"]) + 60_000)).abs() <= 500,
        "round 2 starts when round 1 ends: {next}"
    );
    assert_eq!(app.get_round(&org, &r1).await["status"], "completed");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_event_socket_connected_frame_shows_a_break_in_progress() {
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let eid = app.private_event(&org, "Coffee").await;
    let rid = id(&app.create_round(&org, &eid, 300, 60).await);
    app.start_round(&org, &rid).await;
    let (s, _) = app.post(&format!("/api/rounds/{rid}/end"), Some(&org)).await;
    assert_eq!(s, 200);

    let mut ws = app.ws(&format!("/ws/event/{eid}"), Some(&org)).await;
    let hello = ws.next_json(FRAME).await;
    let mut rws = app.ws(&format!("/ws/round/{rid}/timer"), Some(&org)).await;
    let rhello = rws.next_json(FRAME).await;

    assert_eq!(hello["type"], "connected", "{hello}");
    assert_timer_state(&hello["data"]["round"], &rid, "break");
    assert_eq!(hello["data"]["round"]["total_duration"], 60);
    assert_eq!(rhello["type"], "timer_connected", "{rhello}");
    assert_eq!(rhello["data"]["round_status"], "break", "{rhello}");
    assert_timer_state(&rhello["data"]["timer"], &rid, "break");
}
