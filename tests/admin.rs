//! Admin dashboard socket, actor inspection and health
//! (protocol.md "Admin dashboard", api.md "Operations").
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

fn assert_stats(d: &Value) {
    for k in [
        "connections",
        "topics",
        "subscriptions",
        "active_timers",
        "active_countdowns",
    ] {
        assert!(d[k].is_u64(), "dashboard `{k}` must be a count: {d}");
    }
    for k in ["event", "round_timer", "countdown"] {
        assert!(d["actors"][k].is_u64(), "dashboard actors.{k} must be a count: {d}");
    }
    assert_wire_time(&d["server_time"], "dashboard.server_time");
}

fn find<'a>(list: &'a Value, kind: &str, id: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|a| a["kind"] == kind && a["id"] == id)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_refuses_non_admins_with_4003() {
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let attendee = app.token("ann", "attendee").await;

    app.assert_ws_refused("/ws/admin/dashboard", Some(&org), "forbidden", 4003)
        .await;
    app.assert_ws_refused("/ws/admin/dashboard", Some(&attendee), "forbidden", 4003)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_greets_an_admin_and_then_streams_stats_every_second() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.token("root", "admin").await;

    // Act
    let mut ws = app.ws("/ws/admin/dashboard", Some(&admin)).await;
    let hello = ws.next_json(FRAME).await;
    let (s1, at1) = ws.next_of_type_timed("dashboard_stats", millis(2500)).await;
    let (s2, at2) = ws.next_of_type_timed("dashboard_stats", millis(2500)).await;

    // Assert
    assert_eq!(hello["type"], "dashboard_connected", "first frame: {hello}");
    assert_envelope(&hello);
    assert_stats(&hello["data"]);
    assert!(
        hello["data"]["connections"].as_u64().unwrap() >= 1,
        "this socket counts: {hello}"
    );
    for s in [&s1, &s2] {
        assert_envelope(s);
        assert_eq!(s["topic"], "admin", "{s}");
        assert_stats(&s["data"]);
    }
    let gap = (at2 - at1).num_milliseconds();
    assert!((600..=1400).contains(&gap), "stats every second, got a {gap} ms gap");
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_stats_count_a_running_round_and_countdown() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.token("root", "admin").await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "Busy").await;
    let round = id(&app.create_round(&org, &event, 300, 0).await);
    let mut ws = app.ws("/ws/admin/dashboard", Some(&admin)).await;
    let hello = ws.next_of_type("dashboard_connected", FRAME).await;
    assert_eq!(hello["data"]["active_timers"], 0, "{hello}");
    assert_eq!(hello["data"]["active_countdowns"], 0, "{hello}");

    // Act
    app.start_round(&org, &round).await;
    app.start_countdown_secs(&org, &event, 120).await;

    // Assert
    let stats = ws
        .next_matching("stats with one timer and one countdown", secs(3), |f| {
            f["type"] == "dashboard_stats" && f["data"]["active_timers"] == 1 && f["data"]["active_countdowns"] == 1
        })
        .await;
    assert!(stats["data"]["actors"]["round_timer"].as_u64().unwrap() >= 1, "{stats}");
    assert!(stats["data"]["actors"]["countdown"].as_u64().unwrap() >= 1, "{stats}");
    assert!(stats["data"]["actors"]["event"].as_u64().unwrap() >= 1, "{stats}");
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_stats_show_who_follows_each_event() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.token("root", "admin").await;
    let org = app.token("olga", "organizer").await;
    let event = app.public_event(&org, "Crowd").await;
    let mut dash = app.ws("/ws/admin/dashboard", Some(&admin)).await;
    dash.next_of_type("dashboard_connected", FRAME).await;

    // Act: one user in two tabs, and an anonymous screen.
    let _tab1 = app.ws(&format!("/ws/event/{event}"), Some(&org)).await;
    let _tab2 = app.ws(&format!("/ws/event/{event}"), Some(&org)).await;
    let _screen = app.ws(&format!("/ws/event/{event}"), None).await;

    // Assert
    let stats = dash
        .next_matching("presence of the event", secs(4), |f| {
            f["type"] == "dashboard_stats"
                && f["data"]["events"].as_array().is_some_and(|es| {
                    es.iter()
                        .any(|e| e["event_id"] == event.as_str() && e["connections"] == 3)
                })
        })
        .await;
    let e = stats["data"]["events"]
        .as_array()
        .and_then(|es| es.iter().find(|e| e["event_id"] == event.as_str()))
        .unwrap_or_else(|| panic!("{stats}"));
    assert_eq!(
        e["users"], 1,
        "one user however many tabs; anonymous screens are not users: {e}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_can_list_the_live_actors_of_a_running_round() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.token("root", "admin").await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "Actors").await;
    let round = id(&app.create_round(&org, &event, 300, 0).await);
    app.start_round(&org, &round).await;
    app.start_countdown_secs(&org, &event, 120).await;

    // Act
    let (s, list) = app.get("/api/admin/actors", Some(&admin)).await;
    let (s_org, b_org) = app.get("/api/admin/actors", Some(&org)).await;

    // Assert
    assert_eq!(s, 200, "{list}");
    let ev = find(&list, "event", &event).unwrap_or_else(|| panic!("event actor for {event}: {list}"));
    let rt = find(&list, "round_timer", &round).unwrap_or_else(|| panic!("round_timer actor for {round}: {list}"));
    for a in [ev, rt] {
        time_of(&a["started_at"]);
        assert!(a.get("subscribers").is_some(), "subscribers: {a}");
        assert!(a.get("state").is_some(), "state: {a}");
    }
    let kinds: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"registry"), "a registry actor: {kinds:?}");
    assert!(
        kinds.contains(&"countdown"),
        "a countdown actor while one runs: {kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .all(|k| ["registry", "event", "round_timer", "countdown"].contains(k)),
        "only documented kinds: {kinds:?}"
    );
    assert_error(s_org, &b_org, 403, "forbidden");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_actor_can_be_fetched_and_an_unknown_one_is_404() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.token("root", "admin").await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "One actor").await;
    let round = id(&app.create_round(&org, &event, 300, 0).await);
    app.start_round(&org, &round).await;
    let unknown = uuid::Uuid::new_v4();

    // Act
    let (s, actor) = app
        .get(&format!("/api/admin/actors/round_timer/{round}"), Some(&admin))
        .await;
    let (s_unknown, b_unknown) = app
        .get(&format!("/api/admin/actors/round_timer/{unknown}"), Some(&admin))
        .await;
    let (s_org, b_org) = app
        .get(&format!("/api/admin/actors/round_timer/{round}"), Some(&org))
        .await;

    // Assert
    assert_eq!(s, 200, "{actor}");
    assert_eq!(actor["kind"], "round_timer");
    assert_eq!(actor["id"], round.as_str());
    time_of(&actor["started_at"]);
    assert!(actor.get("state").is_some(), "{actor}");
    assert_error(s_unknown, &b_unknown, 404, "not_found");
    assert_error(s_org, &b_org, 403, "forbidden");
    let (s_ev, ev) = app.get(&format!("/api/admin/actors/event/{event}"), Some(&admin)).await;
    assert_eq!(s_ev, 200, "{ev}");
    assert_eq!(ev["kind"], "event");
    assert_eq!(ev["id"], event.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_completed_round_has_no_live_timer_actor() {
    let app = TestApp::spawn().await;
    let admin = app.token("root", "admin").await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "Done").await;
    let round = id(&app.create_round(&org, &event, 300, 0).await);
    app.start_round(&org, &round).await;
    let (s_end, b_end) = app.post(&format!("/api/rounds/{round}/end"), Some(&org)).await;
    assert_eq!(s_end, 200, "{b_end}");

    // The actor may take a moment to stop.
    let mut last = (0, Value::Null);
    for _ in 0..20 {
        last = app
            .get(&format!("/api/admin/actors/round_timer/{round}"), Some(&admin))
            .await;
        if last.0 == 404 {
            break;
        }
        tokio::time::sleep(millis(100)).await;
    }

    assert_error(last.0, &last.1, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn health_endpoints_answer_anonymously() {
    // Arrange: one open socket so connections >= 1.
    let app = TestApp::spawn().await;
    let admin = app.token("root", "admin").await;
    let mut ws = app.ws("/ws/admin/dashboard", Some(&admin)).await;
    ws.next_of_type("dashboard_connected", FRAME).await;

    for path in ["/ws/health", "/api/health"] {
        // Act
        let (s, h) = app.get(path, None).await;

        // Assert
        assert_eq!(s, 200, "{path}: {h}");
        assert_eq!(h["status"], "ok", "{path}: {h}");
        assert!(h["connections"].as_u64().unwrap_or(0) >= 1, "{path}: {h}");
        assert!(h["topics"].is_u64(), "{path}: {h}");
        assert!(h["uptime_secs"].is_u64() || h["uptime_secs"].is_f64(), "{path}: {h}");
        let t = time_of(&h["server_time"]);
        assert!((chrono::Utc::now() - t).num_seconds().abs() <= 2, "{path}: {h}");
    }
}
