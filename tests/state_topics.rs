//! State topics (docs/protocol.md "State topics"): `event_state` on
//! `event:{id}` and `timer_state` on `round:{id}` are kept as the topic's
//! latest and delivered on every (re)subscribe; their `version` only grows;
//! a countdown never moves up unless its `version` changed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

fn version(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("version must be an unsigned integer, got {v}"))
}

async fn setup() -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "States").await;
    (app, org, event)
}

async fn subscribed_socket(app: &TestApp, token: &str, topic: &str) -> (Ws, Value) {
    let mut ws = app.ws("/ws", Some(token)).await;
    ws.next_of_type("welcome", FRAME).await;
    let reply = ws.subscribe_ok(topic, None, "sub").await;
    (ws, reply)
}

/// Waits for the next `event_state` whose version is above `above`.
async fn next_state_above(ws: &mut Ws, kind: &str, above: u64) -> Value {
    ws.next_matching(&format!("{kind} with version > {above}"), secs(5), |f| {
        f["type"] == kind && f["data"]["version"].as_u64().is_some_and(|v| v > above)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn event_state_arrives_on_subscribe_without_since_and_again_on_every_reconnect() {
    // Arrange
    let (app, org, event) = setup().await;
    let topic = format!("event:{event}");

    // Act
    let (mut first, reply) = subscribed_socket(&app, &org, &topic).await;
    let state = first.next_of_type("event_state", FRAME).await;
    first.close().await;
    let (mut second, reply2) = subscribed_socket(&app, &org, &topic).await;
    let again = second.next_of_type("event_state", FRAME).await;
    let mut seeded = app.ws(&format!("/ws/event/{event}"), Some(&org)).await;
    let seeded_frames = seeded
        .collect_until("event_state on the seed endpoint", FRAME, |f| {
            f["type"] == "event_state"
        })
        .await;

    // Assert
    assert!(
        reply["data"]["recovered"].is_null(),
        "no since, recovered null: {reply}"
    );
    assert_envelope(&state);
    assert_eq!(state["topic"], topic.as_str(), "{state}");
    assert_has_seq(&state);
    assert_eq!(state["data"]["event_id"], event.as_str(), "{state}");
    assert!(state["data"]["countdown"].is_null(), "no countdown yet: {state}");
    assert!(state["data"]["round"].is_null(), "no round yet: {state}");
    version(&state["data"]["version"]);
    assert!(reply2["data"]["recovered"].is_null(), "{reply2}");
    // On a reconnect the state is kept, so it comes with the reply (its
    // position at or before the reply's), not as a new publish.
    assert!(
        again["seq"].as_u64().unwrap() <= reply2["data"]["seq"].as_u64().unwrap(),
        "the kept state is delivered on subscribe: {again} vs {reply2}"
    );
    assert_eq!(
        again["data"]["version"], state["data"]["version"],
        "nothing changed, same state: {again}"
    );
    let kinds: Vec<&str> = seeded_frames.iter().map(|(f, _)| ty(f)).collect();
    assert_eq!(kinds.first(), Some(&"connected"), "{kinds:?}");
    assert!(kinds.contains(&"subscribed"), "seed endpoint subscribes too: {kinds:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn event_state_version_only_grows_across_countdown_and_round_changes() {
    // Arrange
    let (app, org, event) = setup().await;
    let (mut ws, _) = subscribed_socket(&app, &org, &format!("event:{event}")).await;
    let initial = ws.next_of_type("event_state", FRAME).await;
    let mut v = version(&initial["data"]["version"]);
    let mut seen = vec![v];
    let round = app.create_round(&org, &event, 120, 0).await["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Act + Assert, change by change.
    app.start_countdown_secs(&org, &event, 600).await;
    let s = next_state_above(&mut ws, "event_state", v).await;
    assert_countdown_state(&s["data"]["countdown"], &event);
    v = version(&s["data"]["version"]);
    seen.push(v);

    let (st, b) = app
        .post_json(
            &format!("/api/events/{event}/countdown/extend"),
            Some(&org),
            json!({"additional_seconds": 60}),
        )
        .await;
    assert_eq!(st, 200, "extend countdown: {b}");
    let s = next_state_above(&mut ws, "event_state", v).await;
    assert!(
        s["data"]["countdown"]["total_duration"].as_i64().unwrap() >= 660,
        "extended countdown in the state: {s}"
    );
    v = version(&s["data"]["version"]);
    seen.push(v);

    let (st, b) = app
        .post(&format!("/api/events/{event}/countdown/stop"), Some(&org))
        .await;
    assert_eq!(st, 200, "stop countdown: {b}");
    let s = next_state_above(&mut ws, "event_state", v).await;
    assert!(s["data"]["countdown"].is_null(), "stopped: {s}");
    v = version(&s["data"]["version"]);
    seen.push(v);

    app.start_round(&org, &round).await;
    let s = next_state_above(&mut ws, "event_state", v).await;
    assert_eq!(s["data"]["round"]["round_id"], round.as_str(), "{s}");
    v = version(&s["data"]["version"]);
    seen.push(v);

    let (st, b) = app
        .post_json(
            &format!("/api/rounds/{round}/extend"),
            Some(&org),
            json!({"additional_seconds": 30}),
        )
        .await;
    assert_eq!(st, 200, "extend round: {b}");
    let s = next_state_above(&mut ws, "event_state", v).await;
    assert_eq!(s["data"]["round"]["total_duration"], 150, "{s}");
    v = version(&s["data"]["version"]);
    seen.push(v);

    let (st, b) = app.post(&format!("/api/rounds/{round}/end"), Some(&org)).await;
    assert_eq!(st, 200, "end round: {b}");
    let s = next_state_above(&mut ws, "event_state", v).await;
    assert!(s["data"]["round"].is_null(), "ended: {s}");
    seen.push(version(&s["data"]["version"]));

    // Every event_state that went by, in arrival order, never went down.
    let all: Vec<u64> = ws
        .seen
        .iter()
        .filter(|f| f["type"] == "event_state")
        .map(|f| version(&f["data"]["version"]))
        .collect();
    assert!(
        all.windows(2).all(|w| w[1] >= w[0]),
        "event_state versions in arrival order: {all:?}"
    );
    assert!(seen.windows(2).all(|w| w[1] > w[0]), "each change grows it: {seen:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_countdown_tick_never_goes_up_unless_its_version_changed() {
    // Arrange
    let (app, org, event) = setup().await;
    let (mut ws, _) = subscribed_socket(&app, &org, &format!("event:{event}")).await;
    app.start_countdown_secs(&org, &event, 20).await;

    // Act: ticks before, an extension mid-run, ticks after.
    let before = ws.collect_for(millis(2300)).await;
    let (st, b) = app
        .post_json(
            &format!("/api/events/{event}/countdown/extend"),
            Some(&org),
            json!({"additional_seconds": 30}),
        )
        .await;
    assert_eq!(st, 200, "extend: {b}");
    let after = ws.collect_for(millis(2300)).await;

    // Assert
    let ticks: Vec<&Value> = before
        .iter()
        .chain(after.iter())
        .filter(|f| f["type"] == "countdown_update")
        .collect();
    let before_ticks = before.iter().filter(|f| f["type"] == "countdown_update").count();
    assert!(before_ticks >= 1, "ticks before the extension: {before:?}");
    assert!(ticks.len() > before_ticks, "ticks after the extension: {after:?}");
    let mut went_up = 0;
    for w in ticks.windows(2) {
        let (a, b) = (&w[0]["data"], &w[1]["data"]);
        let (ra, rb) = (
            a["time_remaining"].as_i64().unwrap(),
            b["time_remaining"].as_i64().unwrap(),
        );
        let (va, vb) = (version(&a["version"]), version(&b["version"]));
        assert!(vb >= va, "a tick's version never goes down: {a} then {b}");
        if rb > ra {
            went_up += 1;
            assert!(
                vb > va,
                "time_remaining went up ({ra} → {rb}) without a new version: {a} then {b}"
            );
        }
    }
    assert_eq!(went_up, 1, "the extension moved the countdown up once: {ticks:?}");
    let extended = after
        .iter()
        .find(|f| f["type"] == "countdown_extended")
        .unwrap_or_else(|| panic!("countdown_extended on the event room: {after:?}"));
    let last = ticks.last().unwrap();
    assert_eq!(
        last["data"]["version"], extended["data"]["version"],
        "ticks after the extension carry its version"
    );
    for t in &ticks {
        assert_no_seq(t);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn timer_state_on_a_round_topic_tracks_the_round_and_is_delivered_on_subscribe() {
    // Arrange
    let (app, org, event) = setup().await;
    let round = app.create_round(&org, &event, 120, 0).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let topic = format!("round:{round}");
    let (mut ws, _) = subscribed_socket(&app, &org, &topic).await;

    // Act
    app.start_round(&org, &round).await;
    let running = next_state_above(&mut ws, "timer_state", 0).await;
    let v1 = version(&running["data"]["version"]);
    let (mut late, _) = subscribed_socket(&app, &org, &topic).await;
    let on_subscribe = late.next_of_type("timer_state", FRAME).await;
    let mut timer_socket = app.ws(&format!("/ws/round/{round}/timer"), Some(&org)).await;
    let on_round_socket = timer_socket
        .collect_until("timer_state on the round socket", FRAME, |f| f["type"] == "timer_state")
        .await;
    let (st, b) = app
        .post_json(
            &format!("/api/rounds/{round}/extend"),
            Some(&org),
            json!({"additional_seconds": 30}),
        )
        .await;
    assert_eq!(st, 200, "extend: {b}");
    let extended = next_state_above(&mut ws, "timer_state", v1).await;
    let v2 = version(&extended["data"]["version"]);
    let tick = ws
        .next_matching("a tick of the extended clock", secs(3), |f| {
            f["type"] == "timer_update" && f["data"]["total_duration"] == 150
        })
        .await;
    let (st, b) = app.post(&format!("/api/rounds/{round}/end"), Some(&org)).await;
    assert_eq!(st, 200, "end: {b}");
    let ended = next_state_above(&mut ws, "timer_state", v2).await;

    // Assert
    assert_has_seq(&running);
    assert_eq!(running["topic"], topic.as_str(), "{running}");
    assert_eq!(running["data"]["round_id"], round.as_str(), "{running}");
    assert_eq!(running["data"]["event_id"], event.as_str(), "{running}");
    assert_eq!(running["data"]["round_status"], "running", "{running}");
    assert_timer_state(&running["data"]["timer"], &round, "round");
    assert_eq!(
        on_subscribe["data"]["version"], v1,
        "state on subscribe: {on_subscribe}"
    );
    assert_eq!(on_subscribe["data"]["round_status"], "running", "{on_subscribe}");
    let kinds: Vec<&str> = on_round_socket.iter().map(|(f, _)| ty(f)).collect();
    assert_eq!(kinds.first(), Some(&"timer_connected"), "{kinds:?}");
    assert_eq!(extended["data"]["timer"]["total_duration"], 150, "{extended}");
    assert_eq!(
        tick["data"]["version"], extended["data"]["timer"]["version"],
        "ticks carry the version of their clock: {tick}"
    );
    assert_eq!(ended["data"]["round_status"], "completed", "{ended}");
    assert!(ended["data"]["timer"].is_null(), "{ended}");
    assert!(v2 > v1, "version grew on extend: {v1} → {v2}");
    assert!(version(&ended["data"]["version"]) > v2, "and on end: {ended}");
}
