//! Event countdown: REST and the event socket (api.md "Countdown",
//! protocol.md "Event countdown"). Durations are given in seconds
//! (`duration_seconds`) so nothing waits a minute.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

const TICK_SLACK_MS: i64 = 250;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

async fn setup() -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "Countdown night").await;
    (app, org, event)
}

async fn status(app: &TestApp, token: &str, event: &str) -> Value {
    let (s, b) = app
        .get(&format!("/api/events/{event}/countdown/status"), Some(token))
        .await;
    assert_eq!(s, 200, "countdown status: {b}");
    b
}

fn assert_inactive(st: &Value, event: &str) {
    assert_eq!(st["active"], false, "{st}");
    assert_eq!(st["event_id"], event, "{st}");
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_range_countdown_durations_are_422_and_start_nothing() {
    // Arrange
    let (app, org, event) = setup().await;
    let path = format!("/api/events/{event}/countdown/start");

    for body in [
        json!({"duration_minutes": 0}),
        json!({"duration_minutes": 61}),
        json!({"duration_minutes": -1}),
        json!({"duration_seconds": 0}),
        json!({"duration_seconds": 3601}),
    ] {
        // Act
        let (s, b) = app.post_json(&path, Some(&org), body.clone()).await;
        // Assert
        assert_eq!(s, 422, "start {body}: {b}");
        assert_eq!(b["error"]["code"], "invalid", "start {body}: {b}");
    }
    assert_inactive(&status(&app, &org, &event).await, &event);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_countdown_in_minutes_lasts_that_many_minutes() {
    let (app, org, event) = setup().await;

    let (s, c) = app
        .post_json(
            &format!("/api/events/{event}/countdown/start"),
            Some(&org),
            json!({"duration_minutes": 2, "message": "Doors open soon"}),
        )
        .await;

    assert_eq!(s, 201, "{c}");
    assert_countdown_state(&c, &event);
    assert_eq!(c["total_duration"], 120, "{c}");
    assert_eq!(c["message"], "Doors open soon");
    let span = ms_of(&c["ends_at"]) - ms_of(&c["server_time"]);
    assert!((119_000..=120_000).contains(&span), "ends_at = now + 2 min: {c}");
}

#[tokio::test(flavor = "multi_thread")]
async fn starting_a_countdown_is_broadcast_and_ticks_every_second() {
    // Arrange
    let (app, org, event) = setup().await;
    let mut ws = app.ws(&format!("/ws/event/{event}"), Some(&org)).await;
    let hello = ws.next_json(FRAME).await;
    assert_eq!(hello["type"], "connected", "{hello}");
    assert!(hello["data"]["countdown"].is_null(), "{hello}");

    // Act
    let (s, c) = app
        .post_json(
            &format!("/api/events/{event}/countdown/start"),
            Some(&org),
            json!({"duration_seconds": 30, "message": "Get ready"}),
        )
        .await;

    // Assert
    assert_eq!(s, 201, "{c}");
    assert_countdown_state(&c, &event);
    assert_eq!(c["total_duration"], 30);
    assert_eq!(c["message"], "Get ready");
    let started = ws.next_of_type("countdown_started", FRAME).await;
    assert_envelope(&started);
    assert_has_seq(&started);
    assert_eq!(started["topic"], format!("event:{event}"));
    assert_countdown_state(&started["data"], &event);
    assert_eq!(started["data"]["countdown_id"], c["countdown_id"]);
    assert_eq!(ms_of(&started["data"]["ends_at"]), ms_of(&c["ends_at"]));

    let mut last = i64::MAX;
    for _ in 0..2 {
        let (tick, at) = ws.next_of_type_timed("countdown_update", millis(1600)).await;
        assert_envelope(&tick);
        assert_no_seq(&tick);
        assert_countdown_state(&tick["data"], &event);
        assert_eq!(tick["data"]["countdown_id"], c["countdown_id"]);
        assert_eq!(ms_of(&tick["data"]["ends_at"]), ms_of(&c["ends_at"]), "{tick}");
        let rem = tick["data"]["time_remaining"].as_i64().unwrap();
        assert!(rem < last, "decreasing: {rem} after {last}");
        last = rem;
        assert_tick_on_time(&tick, at, TICK_SLACK_MS);
    }

    let st = status(&app, &org, &event).await;
    assert_countdown_state(&st, &event);
    assert_eq!(st["countdown_id"], c["countdown_id"]);
    assert_eq!(ms_of(&st["ends_at"]), ms_of(&c["ends_at"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn starting_a_second_countdown_while_one_runs_is_409() {
    let (app, org, event) = setup().await;
    let first = app.start_countdown_secs(&org, &event, 60).await;

    let (s, b) = app
        .post_json(
            &format!("/api/events/{event}/countdown/start"),
            Some(&org),
            json!({"duration_seconds": 10}),
        )
        .await;

    assert_error(s, &b, 409, "conflict");
    let st = status(&app, &org, &event).await;
    assert_eq!(st["countdown_id"], first["countdown_id"]);
    assert_eq!(ms_of(&st["ends_at"]), ms_of(&first["ends_at"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_event_socket_connected_frame_carries_the_running_countdown() {
    // Arrange
    let (app, org, event) = setup().await;
    let attendee = app.token("ann", "attendee").await;
    app.add_member(&org, &event, "ann", "attendee").await;
    let c = app.start_countdown_secs(&org, &event, 120).await;

    // Act
    let mut ws = app.ws(&format!("/ws/event/{event}"), Some(&attendee)).await;
    let hello = ws.next_json(FRAME).await;

    // Assert
    assert_eq!(hello["type"], "connected", "{hello}");
    let cd = &hello["data"]["countdown"];
    assert_countdown_state(cd, &event);
    assert_eq!(cd["countdown_id"], c["countdown_id"]);
    assert_eq!(ms_of(&cd["ends_at"]), ms_of(&c["ends_at"]));
    assert_eq!(cd["message"], "Starting soon");
}

#[tokio::test(flavor = "multi_thread")]
async fn extending_a_countdown_moves_its_deadline_and_is_broadcast() {
    // Arrange
    let (app, org, event) = setup().await;
    let c = app.start_countdown_secs(&org, &event, 60).await;
    let t0 = ms_of(&c["ends_at"]);
    let mut ws = app.ws(&format!("/ws/event/{event}"), Some(&org)).await;
    ws.next_of_type("connected", FRAME).await;
    let path = format!("/api/events/{event}/countdown/extend");

    // Act
    let (s1, e1) = app
        .post_json(&path, Some(&org), json!({"additional_seconds": 30}))
        .await;
    let (s2, e2) = app.post_json(&path, Some(&org), json!({"additional_minutes": 1})).await;

    // Assert
    assert_eq!(s1, 200, "{e1}");
    assert_countdown_state(&e1, &event);
    assert!((ms_of(&e1["ends_at"]) - t0 - 30_000).abs() <= 1, "+30 s: {e1}");
    assert_eq!(e1["total_duration"], 90, "{e1}");
    assert_eq!(s2, 200, "{e2}");
    assert!((ms_of(&e2["ends_at"]) - t0 - 90_000).abs() <= 1, "+30 s +1 min: {e2}");
    let f1 = ws.next_of_type("countdown_extended", FRAME).await;
    assert_envelope(&f1);
    assert_has_seq(&f1);
    assert_countdown_state(&f1["data"], &event);
    assert_eq!(f1["data"]["additional_seconds"], 30, "{f1}");
    assert_eq!(ms_of(&f1["data"]["ends_at"]), ms_of(&e1["ends_at"]));
    let f2 = ws.next_of_type("countdown_extended", FRAME).await;
    assert_eq!(f2["data"]["additional_seconds"], 60, "{f2}");
    assert!(ms_of(&f2["data"]["ends_at"]) > ms_of(&f1["data"]["ends_at"]));
    let tick = ws.next_of_type("countdown_update", millis(1600)).await;
    assert_eq!(ms_of(&tick["data"]["ends_at"]), ms_of(&e2["ends_at"]), "{tick}");
    assert_eq!(
        ms_of(&status(&app, &org, &event).await["ends_at"]),
        ms_of(&e2["ends_at"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_range_countdown_extensions_are_422_and_change_nothing() {
    let (app, org, event) = setup().await;
    let c = app.start_countdown_secs(&org, &event, 60).await;
    let path = format!("/api/events/{event}/countdown/extend");

    for body in [
        json!({"additional_minutes": 0}),
        json!({"additional_minutes": 61}),
        json!({"additional_seconds": 0}),
        json!({"additional_seconds": 3601}),
    ] {
        let (s, b) = app.post_json(&path, Some(&org), body.clone()).await;
        assert_eq!(s, 422, "extend {body}: {b}");
        assert_eq!(b["error"]["code"], "invalid", "extend {body}: {b}");
    }

    assert_eq!(
        ms_of(&status(&app, &org, &event).await["ends_at"]),
        ms_of(&c["ends_at"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stopping_a_countdown_cancels_it_and_a_second_stop_is_409() {
    // Arrange
    let (app, org, event) = setup().await;
    let c = app.start_countdown_secs(&org, &event, 60).await;
    let mut ws = app.ws(&format!("/ws/event/{event}"), Some(&org)).await;
    ws.next_of_type("connected", FRAME).await;
    let stop = format!("/api/events/{event}/countdown/stop");

    // Act
    let (s1, stopped) = app.post(&stop, Some(&org)).await;
    let (s2, again) = app.post(&stop, Some(&org)).await;
    let (s3, ext) = app
        .post_json(
            &format!("/api/events/{event}/countdown/extend"),
            Some(&org),
            json!({"additional_seconds": 10}),
        )
        .await;

    // Assert
    assert_eq!(s1, 200, "{stopped}");
    assert_eq!(stopped["status"], "cancelled", "{stopped}");
    assert_eq!(stopped["countdown_id"], c["countdown_id"]);
    assert_error(s2, &again, 409, "conflict");
    assert_error(s3, &ext, 409, "conflict");
    let cancelled = ws.next_of_type("countdown_cancelled", FRAME).await;
    assert_envelope(&cancelled);
    assert_has_seq(&cancelled);
    assert_eq!(cancelled["data"]["event_id"], event.as_str());
    assert_eq!(cancelled["data"]["countdown_id"], c["countdown_id"]);
    let after = ws.collect_for(millis(1300)).await;
    assert!(
        !after.iter().any(|f| f["type"] == "countdown_update"),
        "no ticks after cancel: {after:?}"
    );
    assert_inactive(&status(&app, &org, &event).await, &event);
    let again = app.start_countdown_secs(&org, &event, 60).await;
    assert_ne!(again["countdown_id"], c["countdown_id"], "a new countdown after a stop");
    let (s_stop, _) = app.post(&stop, Some(&org)).await;
    assert_eq!(s_stop, 200);
    let (s, list) = app.get("/api/events/active-countdowns", Some(&org)).await;
    assert_eq!(s, 200, "{list}");
    assert!(
        !list
            .as_array()
            .expect("array")
            .iter()
            .any(|x| x["event_id"] == event.as_str()),
        "cancelled countdown not active: {list}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stopping_when_no_countdown_runs_is_409() {
    let (app, org, event) = setup().await;

    let (s, b) = app
        .post(&format!("/api/events/{event}/countdown/stop"), Some(&org))
        .await;

    assert_error(s, &b, 409, "conflict");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_completed_countdown_starts_the_first_round_when_the_event_asks_for_it() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app
        .create_event(
            &org,
            json!({"name": "Kickoff", "visibility": "private", "auto_start_first_round": true}),
        )
        .await;
    let eid = id(&event);
    let r1 = id(&app.create_round(&org, &eid, 60, 0).await);
    let r2 = id(&app.create_round(&org, &eid, 60, 0).await);
    let mut ws = app.ws(&format!("/ws/event/{eid}"), Some(&org)).await;
    ws.next_of_type("connected", FRAME).await;

    // Act
    let c = app.start_countdown_secs(&org, &eid, 2).await;
    let (done, at) = ws.next_of_type_timed("countdown_completed", secs(5)).await;
    let rs = ws.next_of_type("round_started", FRAME).await;

    // Assert
    assert_envelope(&done);
    assert_has_seq(&done);
    let d = &done["data"];
    assert_eq!(d["event_id"], eid.as_str());
    assert_eq!(d["countdown_id"], c["countdown_id"]);
    assert!(d["message"].is_string(), "{done}");
    assert_eq!(d["first_round_id"], r1.as_str(), "{done}");
    let late = at.timestamp_millis() - ms_of(&c["ends_at"]);
    assert!(
        (-TICK_SLACK_MS..=500).contains(&late),
        "completed {late} ms after ends_at"
    );
    assert_timer_state(&rs["data"], &r1, "round");
    assert_eq!(rs["data"]["ordinal"], 1);
    assert_eq!(app.get_round(&org, &r1).await["status"], "running");
    assert_eq!(app.get_round(&org, &r2).await["status"], "pending");
    assert_inactive(&status(&app, &org, &eid).await, &eid);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_extended_countdown_completes_at_its_new_deadline() {
    // Arrange: a round is running too, as on the night.
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app
        .create_event(&org, json!({"name": "Encore", "visibility": "private"}))
        .await;
    let eid = id(&event);
    let round = id(&app.create_round(&org, &eid, 60, 0).await);
    app.start_round(&org, &round).await;
    let mut ws = app.ws(&format!("/ws/event/{eid}"), Some(&org)).await;
    ws.next_of_type("connected", FRAME).await;
    app.start_countdown_secs(&org, &eid, 1).await;

    // Act
    let (s, extended) = app
        .post_json(
            &format!("/api/events/{eid}/countdown/extend"),
            Some(&org),
            json!({"additional_seconds": 1}),
        )
        .await;
    let (done, at) = ws.next_of_type_timed("countdown_completed", secs(5)).await;

    // Assert
    assert_eq!(s, 200, "{extended}");
    let late = at.timestamp_millis() - ms_of(&extended["ends_at"]);
    assert!(
        (-TICK_SLACK_MS..=500).contains(&late),
        "completed {late} ms after the new ends_at: {done}"
    );
    assert_inactive(&status(&app, &org, &eid).await, &eid);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_completed_countdown_leaves_rounds_alone_by_default() {
    // Arrange
    let (app, org, event) = setup().await;
    let r1 = id(&app.create_round(&org, &event, 60, 0).await);
    let mut ws = app.ws(&format!("/ws/event/{event}"), Some(&org)).await;
    ws.next_of_type("connected", FRAME).await;

    // Act
    app.start_countdown_secs(&org, &event, 1).await;
    let done = ws.next_of_type("countdown_completed", secs(4)).await;
    let after = ws.collect_for(millis(500)).await;

    // Assert
    assert!(done["data"]["first_round_id"].is_null(), "{done}");
    assert!(
        !after.iter().any(|f| f["type"] == "round_started"),
        "no round starts by itself: {after:?}"
    );
    assert_eq!(app.get_round(&org, &r1).await["status"], "pending");
}

#[tokio::test(flavor = "multi_thread")]
async fn attendees_may_read_but_not_manage_the_countdown() {
    // Arrange
    let (app, org, event) = setup().await;
    let attendee = app.token("ann", "attendee").await;
    let stranger = app.token("sam", "attendee").await;
    app.add_member(&org, &event, "ann", "attendee").await;
    let base = format!("/api/events/{event}/countdown");

    // Act
    let (s_start, b_start) = app
        .post_json(
            &format!("{base}/start"),
            Some(&attendee),
            json!({"duration_seconds": 30}),
        )
        .await;
    let c = app.start_countdown_secs(&org, &event, 60).await;
    let (s_stop, b_stop) = app.post(&format!("{base}/stop"), Some(&attendee)).await;
    let (s_ext, b_ext) = app
        .post_json(
            &format!("{base}/extend"),
            Some(&attendee),
            json!({"additional_seconds": 30}),
        )
        .await;
    let (s_stranger, b_stranger) = app.get(&format!("{base}/status"), Some(&stranger)).await;

    // Assert
    assert_error(s_start, &b_start, 403, "forbidden");
    assert_error(s_stop, &b_stop, 403, "forbidden");
    assert_error(s_ext, &b_ext, 403, "forbidden");
    assert_error(s_stranger, &b_stranger, 403, "forbidden");
    let st = status(&app, &attendee, &event).await;
    assert_countdown_state(&st, &event);
    assert_eq!(ms_of(&st["ends_at"]), ms_of(&c["ends_at"]), "untouched: {st}");
}

#[tokio::test(flavor = "multi_thread")]
async fn active_countdowns_lists_running_countdowns_the_caller_may_read() {
    // Arrange
    let (app, org, event) = setup().await;
    let member = app.token("ann", "attendee").await;
    let stranger = app.token("sam", "attendee").await;
    app.add_member(&org, &event, "ann", "attendee").await;
    let c = app.start_countdown_secs(&org, &event, 60).await;

    // Act
    let (s_org, by_org) = app.get("/api/events/active-countdowns", Some(&org)).await;
    let (s_mem, by_mem) = app.get("/api/events/active-countdowns", Some(&member)).await;
    let (s_str, by_str) = app.get("/api/events/active-countdowns", Some(&stranger)).await;
    let (s_anon, b_anon) = app.get("/api/events/active-countdowns", None).await;

    // Assert
    assert_eq!(s_org, 200, "{by_org}");
    let mine: Vec<&Value> = by_org
        .as_array()
        .expect("array")
        .iter()
        .filter(|x| x["event_id"] == event.as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{by_org}");
    assert_countdown_state(mine[0], &event);
    assert_eq!(mine[0]["countdown_id"], c["countdown_id"]);
    assert_eq!(s_mem, 200, "{by_mem}");
    assert!(
        by_mem
            .as_array()
            .expect("array")
            .iter()
            .any(|x| x["event_id"] == event.as_str()),
        "{by_mem}"
    );
    assert_eq!(s_str, 200, "{by_str}");
    assert!(
        !by_str
            .as_array()
            .expect("array")
            .iter()
            .any(|x| x["event_id"] == event.as_str()),
        "hidden from strangers: {by_str}"
    );
    assert_error(s_anon, &b_anon, 401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn countdown_warnings_fire_at_their_marks() {
    // Arrange: one event per warning, each countdown one second longer than
    // its warning mark, so every warning fires about a second after start.
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let mut sockets = Vec::new();
    for (secs_total, want_type, want_rem) in [
        (601, "ten_minutes", 600),
        (301, "five_minutes", 300),
        (121, "two_minutes", 120),
        (61, "one_minute", 60),
        (31, "thirty_seconds", 30),
        (11, "ten_seconds", 10),
    ] {
        let eid = app.private_event(&org, &format!("Warn {secs_total}")).await;
        let mut ws = app.ws(&format!("/ws/event/{eid}"), Some(&org)).await;
        ws.next_of_type("connected", FRAME).await;
        sockets.push((eid, secs_total, ws, want_type, want_rem));
    }

    // Act
    let mut started = Vec::new();
    for (eid, secs_total, _, _, _) in &sockets {
        started.push(app.start_countdown_secs(&org, eid, *secs_total).await);
    }

    // Assert
    for ((eid, _, ws, want_type, want_rem), c) in sockets.iter_mut().zip(&started) {
        let (w, at) = ws.next_of_type_timed("countdown_warning", secs(4)).await;
        assert_envelope(&w);
        assert_no_seq(&w);
        let d = &w["data"];
        assert_eq!(d["event_id"], eid.as_str(), "{w}");
        assert_eq!(d["countdown_id"], c["countdown_id"], "{w}");
        assert_eq!(d["warning_type"], *want_type, "{w}");
        assert_eq!(d["time_remaining"], *want_rem, "{w}");
        assert!(d["message"].is_string(), "{w}");
        let mark = ms_of(&c["ends_at"]) - *want_rem * 1000;
        let late = at.timestamp_millis() - mark;
        assert!(
            (-TICK_SLACK_MS..=TICK_SLACK_MS).contains(&late),
            "{want_type} warning {late} ms from its mark"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_countdown_starts_let_exactly_one_through() {
    let (app, org, event) = setup().await;
    let path = format!("/api/events/{event}/countdown/start");

    let results = futures_util::future::join_all(
        (0..6).map(|_| app.post_json(&path, Some(&org), json!({"duration_seconds": 60}))),
    )
    .await;

    assert_eq!(
        results.iter().filter(|(s, _)| *s == 201).count(),
        1,
        "exactly one countdown starts: {results:?}"
    );
    for (s, b) in results.iter().filter(|(s, _)| *s != 201) {
        assert_error(*s, b, 409, "conflict");
    }
}
