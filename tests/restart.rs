//! Crash recovery: deadlines are absolute wall-clock times in the database,
//! so a SIGKILLed server restarted on the same database carries on where
//! the clock is (entity/round.rs, protocol.md "Clocks are deadlines").
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Utc;
use common::*;
use serde_json::{json, Value};

const TICK_SLACK_MS: i64 = 250;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// `time_remaining` agrees with the local clock within a second.
fn assert_remaining_matches_now(state: &Value) {
    let exact = (ms_of(&state["ends_at"]) - Utc::now().timestamp_millis()) as f64 / 1000.0;
    let rem = state["time_remaining"].as_i64().unwrap_or(-1) as f64;
    assert!(
        (rem - exact).abs() <= 1.0,
        "time_remaining {rem} vs ends_at - now = {exact:.3}: {state}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_round_survives_a_sigkill_with_its_deadline_unchanged() {
    // Arrange
    let mut app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "Crashy").await;
    let rid = id(&app.create_round(&org, &event, 20, 0).await);
    let started = app.start_round(&org, &rid).await;
    let ends_at = ms_of(&started["ends_at"]);
    tokio::time::sleep(secs(2)).await;

    // Act
    app.restart().await;
    let mut ws = app.ws(&format!("/ws/round/{rid}/timer"), Some(&org)).await;
    let hello = ws.next_json(FRAME).await;

    // Assert
    assert_eq!(hello["type"], "timer_connected", "{hello}");
    assert_eq!(hello["data"]["round_status"], "running", "{hello}");
    let timer = &hello["data"]["timer"];
    assert_timer_state(timer, &rid, "round");
    assert_eq!(ms_of(&timer["ends_at"]), ends_at, "deadline unchanged: {timer}");
    assert_eq!(timer["total_duration"], 20, "{timer}");
    assert_remaining_matches_now(timer);
    let (tick, at) = ws.next_of_type_timed("timer_update", millis(1600)).await;
    assert_eq!(ms_of(&tick["data"]["ends_at"]), ends_at, "{tick}");
    assert_tick_on_time(&tick, at, TICK_SLACK_MS);
    let (tick2, at2) = ws.next_of_type_timed("timer_update", millis(1600)).await;
    assert_eq!(
        tick2["data"]["time_remaining"].as_i64().unwrap(),
        tick["data"]["time_remaining"].as_i64().unwrap() - 1,
        "ticks resume once per second"
    );
    assert_tick_on_time(&tick2, at2, TICK_SLACK_MS);
    let row = app.get_round(&org, &rid).await;
    assert_eq!(row["status"], "running");
    assert_eq!(ms_of(&row["ends_at"]), ends_at);
    let (s, timers) = app.get("/api/rounds/active-timers", Some(&org)).await;
    assert_eq!(s, 200, "{timers}");
    assert!(
        timers
            .as_array()
            .expect("array")
            .iter()
            .any(|t| t["round_id"] == rid.as_str()),
        "the restarted timer is active: {timers}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_countdown_survives_a_sigkill_with_its_deadline_unchanged() {
    // Arrange
    let mut app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "Crashy countdown").await;
    let c = app.start_countdown_secs(&org, &event, 20).await;
    let ends_at = ms_of(&c["ends_at"]);
    tokio::time::sleep(secs(2)).await;

    // Act
    app.restart().await;
    let mut ws = app.ws(&format!("/ws/event/{event}"), Some(&org)).await;
    let hello = ws.next_json(FRAME).await;

    // Assert
    assert_eq!(hello["type"], "connected", "{hello}");
    let cd = &hello["data"]["countdown"];
    assert_countdown_state(cd, &event);
    assert_eq!(cd["countdown_id"], c["countdown_id"]);
    assert_eq!(ms_of(&cd["ends_at"]), ends_at, "deadline unchanged: {cd}");
    assert_eq!(cd["total_duration"], 20, "{cd}");
    assert_eq!(cd["message"], c["message"]);
    assert_remaining_matches_now(cd);
    let (tick, at) = ws.next_of_type_timed("countdown_update", millis(1600)).await;
    assert_eq!(ms_of(&tick["data"]["ends_at"]), ends_at, "{tick}");
    assert_tick_on_time(&tick, at, TICK_SLACK_MS);
    let (s, st) = app
        .get(&format!("/api/events/{event}/countdown/status"), Some(&org))
        .await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["active"], true, "{st}");
    assert_eq!(ms_of(&st["ends_at"]), ends_at);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_round_whose_deadline_passed_while_down_is_in_its_break_after_restart() {
    // Arrange: 1 s round, 30 s break; the server is down when the round ends.
    let mut app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "Missed deadline").await;
    let rid = id(&app.create_round(&org, &event, 1, 30).await);
    let started = app.start_round(&org, &rid).await;
    let ends_at = ms_of(&started["ends_at"]);
    app.kill().await;
    let wait = ends_at + 500 - Utc::now().timestamp_millis();
    if wait > 0 {
        tokio::time::sleep(millis(wait as u64)).await;
    }

    // Act
    app.restart().await;
    let mut ws = app.ws(&format!("/ws/round/{rid}/timer"), Some(&org)).await;
    let hello = ws.next_json(FRAME).await;

    // Assert
    assert_eq!(hello["type"], "timer_connected", "{hello}");
    assert_eq!(hello["data"]["round_status"], "break", "{hello}");
    let timer = &hello["data"]["timer"];
    assert_timer_state(timer, &rid, "break");
    assert!(
        (ms_of(&timer["ends_at"]) - (ends_at + 30_000)).abs() <= 1000,
        "the break runs from the round's deadline: {timer}"
    );
    let row = app.get_round(&org, &rid).await;
    assert_eq!(row["status"], "break", "{row}");
    assert_eq!(ms_of(&row["break_ends_at"]), ms_of(&timer["ends_at"]), "{row}");
    let tick = ws.next_of_type("timer_update", millis(1600)).await;
    assert_eq!(tick["data"]["phase"], "break", "{tick}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_countdown_that_ran_out_while_down_completes_and_starts_the_first_round() {
    // Arrange
    let mut app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app
        .create_event(
            &org,
            json!({"name": "Missed countdown", "visibility": "private", "auto_start_first_round": true}),
        )
        .await;
    let eid = id(&event);
    let r1 = id(&app.create_round(&org, &eid, 60, 0).await);
    let c = app.start_countdown_secs(&org, &eid, 1).await;
    app.kill().await;
    let wait = ms_of(&c["ends_at"]) + 500 - Utc::now().timestamp_millis();
    if wait > 0 {
        tokio::time::sleep(millis(wait as u64)).await;
    }

    // Act
    app.restart().await;

    // Assert (allow the recovered actors a moment to catch up)
    let mut st = Value::Null;
    let mut round = Value::Null;
    for _ in 0..20 {
        st = app
            .get(&format!("/api/events/{eid}/countdown/status"), Some(&org))
            .await
            .1;
        round = app.get_round(&org, &r1).await;
        if st["active"] == false && round["status"] == "running" {
            break;
        }
        tokio::time::sleep(millis(100)).await;
    }
    assert_eq!(st["active"], false, "countdown finished: {st}");
    assert_eq!(round["status"], "running", "first round started: {round}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_closes_sockets_with_1001_exits_and_keeps_the_round() {
    // Arrange
    let mut app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "Graceful").await;
    let rid = id(&app.create_round(&org, &event, 30, 0).await);
    let started = app.start_round(&org, &rid).await;
    let mut ws = app.ws(&format!("/ws/round/{rid}/timer"), Some(&org)).await;
    ws.next_of_type("timer_connected", FRAME).await;

    // Act
    app.send_sigterm();
    let mut outcome = WsEvent::Timeout;
    let deadline = tokio::time::Instant::now() + secs(5);
    while tokio::time::Instant::now() < deadline {
        match ws.next_event(secs(5)).await {
            WsEvent::Json(..) => continue,
            other => {
                outcome = other;
                break;
            }
        }
    }

    // Assert
    assert!(
        matches!(outcome, WsEvent::Close(Some(1001))),
        "expected close 1001 (going away) within 5 s of SIGTERM, got {outcome:?}"
    );
    // The process goes away once its sockets are closed.
    app.wait_exit(secs(5)).await;
    app.start_again().await;
    let row = app.get_round(&org, &rid).await;
    assert_eq!(row["status"], "running", "{row}");
    assert_eq!(ms_of(&row["ends_at"]), ms_of(&started["ends_at"]), "{row}");
}
