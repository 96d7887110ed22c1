//! Round REST API: create, start, extend, end, announce, active timers
//! (api.md "Rounds", timer state from protocol.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

/// An app, an organizer who owns a private event, and that event's id.
async fn setup() -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "Rounds night").await;
    (app, org, event)
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn rounds_are_created_pending_with_the_next_ordinal() {
    // Arrange
    let (app, org, event) = setup().await;

    // Act
    let r1 = app.create_round(&org, &event, 300, 60).await;
    let r2 = app.create_round(&org, &event, 120, 0).await;
    let (s, list) = app.get(&format!("/api/events/{event}/rounds"), Some(&org)).await;

    // Assert
    assert_eq!(r1["event_id"], event.as_str());
    assert_eq!(r1["ordinal"], 1);
    assert_eq!(r1["duration_secs"], 300);
    assert_eq!(r1["break_secs"], 60);
    assert_eq!(r1["status"], "pending");
    assert!(r1["started_at"].is_null() && r1["ends_at"].is_null(), "{r1}");
    assert!(r1["break_ends_at"].is_null(), "{r1}");
    assert_eq!(r2["ordinal"], 2);
    assert_eq!(r2["break_secs"], 0, "{r2}");
    assert_eq!(s, 200, "{list}");
    let ordinals: Vec<i64> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["ordinal"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(ordinals, vec![1, 2], "rounds by ordinal: {list}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_explicit_ordinal_is_kept_and_rounds_are_listed_by_ordinal() {
    // Arrange
    let (app, org, event) = setup().await;
    let path = format!("/api/events/{event}/rounds");

    // Act
    let (s5, r5) = app
        .post_json(&path, Some(&org), json!({"duration_secs": 60, "ordinal": 5}))
        .await;
    let (s2, r2) = app
        .post_json(&path, Some(&org), json!({"duration_secs": 60, "ordinal": 2}))
        .await;
    let (s_next, next) = app.post_json(&path, Some(&org), json!({"duration_secs": 60})).await;
    let (_, list) = app.get(&path, Some(&org)).await;

    // Assert
    assert_eq!(s5, 201, "{r5}");
    assert_eq!(r5["ordinal"], 5);
    assert_eq!(s2, 201, "{r2}");
    assert_eq!(r2["ordinal"], 2);
    assert_eq!(s_next, 201, "{next}");
    assert_eq!(
        next["ordinal"], 6,
        "default is the next ordinal after the highest: {next}"
    );
    let ordinals: Vec<i64> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["ordinal"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(ordinals, vec![2, 5, 6], "by ordinal: {list}");
}

#[tokio::test(flavor = "multi_thread")]
async fn break_secs_defaults_to_zero() {
    let (app, org, event) = setup().await;

    let (s, r) = app
        .post_json(
            &format!("/api/events/{event}/rounds"),
            Some(&org),
            json!({"duration_secs": 90}),
        )
        .await;

    assert_eq!(s, 201, "{r}");
    assert_eq!(r["break_secs"], 0, "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_range_round_durations_are_422_invalid() {
    // Arrange
    let (app, org, event) = setup().await;
    let path = format!("/api/events/{event}/rounds");

    // Act + Assert
    for body in [
        json!({"duration_secs": 0}),
        json!({"duration_secs": -5}),
        json!({"duration_secs": 86401}),
        json!({"duration_secs": 60, "break_secs": -1}),
        json!({"duration_secs": 60, "break_secs": 86401}),
        json!({"duration_secs": 60, "ordinal": 0}),
    ] {
        let (s, b) = app.post_json(&path, Some(&org), body.clone()).await;
        assert_error(s, &b, 422, "invalid");
    }
    let (_, list) = app.get(&path, Some(&org)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "nothing created: {list}");
}

#[tokio::test(flavor = "multi_thread")]
async fn starting_a_round_returns_its_timer_state() {
    // Arrange
    let (app, org, event) = setup().await;
    let round = app.create_round(&org, &event, 300, 30).await;
    let rid = id(&round);
    let before = chrono::Utc::now();

    // Act
    let (s, timer) = app.post(&format!("/api/rounds/{rid}/start"), Some(&org)).await;

    // Assert
    assert_eq!(s, 200, "{timer}");
    assert_timer_state(&timer, &rid, "round");
    assert_eq!(timer["event_id"], event.as_str());
    assert_eq!(timer["ordinal"], 1);
    assert_eq!(timer["status"], "active");
    assert_eq!(timer["total_duration"], 300);
    let remaining = timer["time_remaining"].as_i64().unwrap();
    assert!((299..=300).contains(&remaining), "fresh round: {timer}");
    let ends = time_of(&timer["ends_at"]);
    let server_time = time_of(&timer["server_time"]);
    assert!(
        (server_time - before).num_milliseconds().abs() < 2000,
        "server_time is now: {timer}"
    );
    let span = (ends - server_time).num_milliseconds();
    assert!((299_000..=300_000).contains(&span), "ends_at = start + 300 s: {timer}");
    let got = app.get_round(&org, &rid).await;
    assert_eq!(got["status"], "running", "{got}");
    assert_eq!(
        ms_of(&got["ends_at"]),
        ms_of(&timer["ends_at"]),
        "round row matches: {got}"
    );
    assert!(time_of(&got["started_at"]) <= ends, "{got}");
    let (s_t, t2) = app.get(&format!("/api/rounds/{rid}/timer"), Some(&org)).await;
    assert_eq!(s_t, 200, "{t2}");
    assert_timer_state(&t2, &rid, "round");
    assert_eq!(ms_of(&t2["ends_at"]), ms_of(&timer["ends_at"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn starting_a_round_twice_is_409_and_leaves_the_round_unchanged() {
    // Arrange
    let (app, org, event) = setup().await;
    let rid = id(&app.create_round(&org, &event, 300, 0).await);
    app.start_round(&org, &rid).await;
    let before = app.get_round(&org, &rid).await;

    // Act
    tokio::time::sleep(millis(1100)).await;
    let (s, b) = app.post(&format!("/api/rounds/{rid}/start"), Some(&org)).await;

    // Assert
    assert_error(s, &b, 409, "conflict");
    let after = app.get_round(&org, &rid).await;
    assert_eq!(after, before, "round row must not change");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_round_cannot_start_while_another_round_of_the_event_runs() {
    let (app, org, event) = setup().await;
    let r1 = id(&app.create_round(&org, &event, 300, 0).await);
    let r2 = id(&app.create_round(&org, &event, 300, 0).await);
    app.start_round(&org, &r1).await;

    let (s, b) = app.post(&format!("/api/rounds/{r2}/start"), Some(&org)).await;

    assert_error(s, &b, 409, "conflict");
    assert_eq!(app.get_round(&org, &r2).await["status"], "pending");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_timer_of_a_pending_round_is_409() {
    let (app, org, event) = setup().await;
    let rid = id(&app.create_round(&org, &event, 300, 0).await);

    let (s, b) = app.get(&format!("/api/rounds/{rid}/timer"), Some(&org)).await;

    assert_error(s, &b, 409, "conflict");
}

#[tokio::test(flavor = "multi_thread")]
async fn extending_a_pending_round_is_409_and_changes_nothing() {
    let (app, org, event) = setup().await;
    let rid = id(&app.create_round(&org, &event, 300, 0).await);
    let before = app.get_round(&org, &rid).await;

    let (s, b) = app
        .post_json(
            &format!("/api/rounds/{rid}/extend"),
            Some(&org),
            json!({"additional_minutes": 1}),
        )
        .await;

    assert_error(s, &b, 409, "conflict");
    assert_eq!(app.get_round(&org, &rid).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_range_extensions_are_422_and_change_nothing() {
    // Arrange
    let (app, org, event) = setup().await;
    let rid = id(&app.create_round(&org, &event, 300, 0).await);
    app.start_round(&org, &rid).await;
    let before = app.get_round(&org, &rid).await;
    let path = format!("/api/rounds/{rid}/extend");

    for body in [
        json!({"additional_minutes": 0}),
        json!({"additional_minutes": -1}),
        json!({"additional_minutes": 61}),
        json!({"additional_seconds": 0}),
        json!({"additional_seconds": -30}),
        json!({"additional_seconds": 3601}),
    ] {
        // Act
        let (s, b) = app.post_json(&path, Some(&org), body.clone()).await;
        // Assert
        assert_eq!(s, 422, "extend {body}: {b}");
        assert_eq!(b["error"]["code"], "invalid", "extend {body}: {b}");
    }
    let after = app.get_round(&org, &rid).await;
    assert_eq!(ms_of(&after["ends_at"]), ms_of(&before["ends_at"]), "ends_at unchanged");
    assert_eq!(after, before, "round row unchanged");
}

#[tokio::test(flavor = "multi_thread")]
async fn extending_moves_ends_at_by_exactly_the_amount() {
    // Arrange
    let (app, org, event) = setup().await;
    let rid = id(&app.create_round(&org, &event, 300, 0).await);
    let started = app.start_round(&org, &rid).await;
    let t0 = ms_of(&started["ends_at"]);
    let mut ws = app.ws(&format!("/ws/round/{rid}/timer"), Some(&org)).await;
    ws.next_of_type("timer_connected", FRAME).await;

    // Act
    let (s1, e1) = app
        .post_json(
            &format!("/api/rounds/{rid}/extend"),
            Some(&org),
            json!({"additional_seconds": 30}),
        )
        .await;
    let (s2, e2) = app
        .post_json(
            &format!("/api/rounds/{rid}/extend"),
            Some(&org),
            json!({"additional_minutes": 2}),
        )
        .await;

    // Assert
    assert_eq!(s1, 200, "{e1}");
    assert_timer_state(&e1, &rid, "round");
    assert!((ms_of(&e1["ends_at"]) - t0 - 30_000).abs() <= 1, "+30 s: {e1}");
    assert_eq!(e1["total_duration"], 330, "{e1}");
    assert_eq!(s2, 200, "{e2}");
    assert!((ms_of(&e2["ends_at"]) - t0 - 150_000).abs() <= 1, "+30 s +2 min: {e2}");
    assert_eq!(e2["total_duration"], 450, "{e2}");
    let row = app.get_round(&org, &rid).await;
    assert_eq!(ms_of(&row["ends_at"]), ms_of(&e2["ends_at"]), "row: {row}");
    let f = ws.next_of_type("round_extended", FRAME).await;
    assert_envelope(&f);
    assert_has_seq(&f);
    assert_eq!(f["topic"], format!("round:{rid}"));
    assert_eq!(f["data"]["additional_seconds"], 30, "{f}");
    assert_eq!(ms_of(&f["data"]["ends_at"]), ms_of(&e1["ends_at"]), "{f}");
    let f2 = ws.next_of_type("round_extended", FRAME).await;
    assert_eq!(f2["data"]["additional_seconds"], 120, "{f2}");
    assert_eq!(ms_of(&f2["data"]["ends_at"]), ms_of(&e2["ends_at"]), "{f2}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ending_a_round_with_a_break_enters_the_break_then_completes() {
    // Arrange
    let (app, org, event) = setup().await;
    let rid = id(&app.create_round(&org, &event, 300, 120).await);
    app.start_round(&org, &rid).await;

    // Act
    let (s1, in_break) = app.post(&format!("/api/rounds/{rid}/end"), Some(&org)).await;
    let now = chrono::Utc::now();

    // Assert
    assert_eq!(s1, 200, "{in_break}");
    assert_eq!(in_break["id"], rid.as_str());
    assert_eq!(in_break["status"], "break", "{in_break}");
    let bend = time_of(&in_break["break_ends_at"]);
    let off = (bend - now).num_milliseconds();
    assert!(
        (118_000..=121_000).contains(&off),
        "break_ends_at = now + 120 s: {in_break}"
    );
    let (s_t, timer) = app.get(&format!("/api/rounds/{rid}/timer"), Some(&org)).await;
    assert_eq!(s_t, 200, "timer during break: {timer}");
    assert_timer_state(&timer, &rid, "break");
    assert_eq!(timer["total_duration"], 120, "{timer}");

    // Ending again ends the break.
    let (s2, done) = app.post(&format!("/api/rounds/{rid}/end"), Some(&org)).await;
    assert_eq!(s2, 200, "{done}");
    assert_eq!(done["status"], "completed", "{done}");
    let (s3, b3) = app.post(&format!("/api/rounds/{rid}/end"), Some(&org)).await;
    assert_error(s3, &b3, 409, "conflict");
    assert_eq!(app.get_round(&org, &rid).await["status"], "completed");
}

#[tokio::test(flavor = "multi_thread")]
async fn ending_a_round_without_a_break_completes_it() {
    let (app, org, event) = setup().await;
    let rid = id(&app.create_round(&org, &event, 300, 0).await);
    app.start_round(&org, &rid).await;

    let (s, done) = app.post(&format!("/api/rounds/{rid}/end"), Some(&org)).await;

    assert_eq!(s, 200, "{done}");
    assert_eq!(done["status"], "completed", "{done}");
    let (s_t, b_t) = app.get(&format!("/api/rounds/{rid}/timer"), Some(&org)).await;
    assert_error(s_t, &b_t, 409, "conflict");
    let (s_again, b_again) = app.post(&format!("/api/rounds/{rid}/start"), Some(&org)).await;
    assert_error(s_again, &b_again, 409, "conflict");
    assert_eq!(app.get_round(&org, &rid).await["status"], "completed");
}

#[tokio::test(flavor = "multi_thread")]
async fn ending_a_pending_round_is_409() {
    let (app, org, event) = setup().await;
    let rid = id(&app.create_round(&org, &event, 300, 0).await);

    let (s, b) = app.post(&format!("/api/rounds/{rid}/end"), Some(&org)).await;

    assert_error(s, &b, 409, "conflict");
    assert_eq!(app.get_round(&org, &rid).await["status"], "pending");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_round_announcement_is_pushed_on_the_round_and_event_sockets() {
    // Arrange
    let (app, org, event) = setup().await;
    let attendee = app.token("ann", "attendee").await;
    app.add_member(&org, &event, "ann", "attendee").await;
    let rid = id(&app.create_round(&org, &event, 300, 0).await);
    app.start_round(&org, &rid).await;
    let mut round_ws = app.ws(&format!("/ws/round/{rid}/timer"), Some(&attendee)).await;
    round_ws.next_of_type("timer_connected", FRAME).await;
    let mut event_ws = app.ws(&format!("/ws/event/{event}"), Some(&attendee)).await;
    event_ws.next_of_type("connected", FRAME).await;

    // Act
    let (s, ann) = app
        .post_json(
            &format!("/api/rounds/{rid}/announce"),
            Some(&org),
            json!({"message": "Please move to your next table"}),
        )
        .await;

    // Assert
    assert_eq!(s, 201, "{ann}");
    assert_eq!(ann["message"], "Please move to your next table");
    let on_round = round_ws.next_of_type("announcement", FRAME).await;
    assert_envelope(&on_round);
    assert_has_seq(&on_round);
    assert_eq!(on_round["topic"], format!("round:{rid}"));
    let d = &on_round["data"];
    assert_eq!(d["message"], "Please move to your next table");
    assert_eq!(d["round_id"], rid.as_str());
    assert_eq!(d["event_id"], event.as_str());
    assert!(d["announcement_id"].is_string(), "{on_round}");
    assert!(!d["author"].is_null(), "author: {on_round}");
    time_of(&d["created_at"]);
    let on_event = event_ws.next_of_type("round_announcement", FRAME).await;
    assert_envelope(&on_event);
    assert_has_seq(&on_event);
    assert_eq!(on_event["topic"], format!("event:{event}"));
    assert_eq!(on_event["data"]["message"], "Please move to your next table");
    assert_eq!(on_event["data"]["round_id"], rid.as_str());
    assert_eq!(on_event["data"]["announcement_id"], d["announcement_id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn announcements_must_be_1_to_1000_characters() {
    let (app, org, event) = setup().await;
    let rid = id(&app.create_round(&org, &event, 300, 0).await);
    let path = format!("/api/rounds/{rid}/announce");

    let (s0, b0) = app.post_json(&path, Some(&org), json!({"message": ""})).await;
    let (s1, b1) = app
        .post_json(&path, Some(&org), json!({"message": "x".repeat(1001)}))
        .await;
    let (s2, b2) = app
        .post_json(&path, Some(&org), json!({"message": "é".repeat(1000)}))
        .await;

    assert_error(s0, &b0, 422, "invalid");
    assert_error(s1, &b1, 422, "invalid");
    assert_eq!(s2, 201, "1000 characters (2000 bytes) is allowed: {b2}");
}

#[tokio::test(flavor = "multi_thread")]
async fn attendees_and_outside_organizers_cannot_manage_rounds() {
    // Arrange
    let (app, org, event) = setup().await;
    let attendee = app.token("ann", "attendee").await;
    let outsider = app.token("oscar", "organizer").await;
    app.add_member(&org, &event, "ann", "attendee").await;
    let rid = id(&app.create_round(&org, &event, 300, 0).await);

    // Act
    let (s_att, b_att) = app.post(&format!("/api/rounds/{rid}/start"), Some(&attendee)).await;
    let (s_out, b_out) = app.post(&format!("/api/rounds/{rid}/start"), Some(&outsider)).await;
    let (s_anon, b_anon) = app.post(&format!("/api/rounds/{rid}/start"), None).await;
    let (s_create, b_create) = app
        .post_json(
            &format!("/api/events/{event}/rounds"),
            Some(&attendee),
            json!({"duration_secs": 60}),
        )
        .await;
    let (s_ann, b_ann) = app
        .post_json(
            &format!("/api/rounds/{rid}/announce"),
            Some(&attendee),
            json!({"message": "hi"}),
        )
        .await;

    // Assert
    assert_error(s_att, &b_att, 403, "forbidden");
    assert_error(s_out, &b_out, 403, "forbidden");
    assert_error(s_anon, &b_anon, 401, "unauthorized");
    assert_error(s_create, &b_create, 403, "forbidden");
    assert_error(s_ann, &b_ann, 403, "forbidden");
    assert_eq!(app.get_round(&org, &rid).await["status"], "pending");
    // The attendee may still read the round.
    let got = app.get_round(&attendee, &rid).await;
    assert_eq!(got["id"], rid.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_round_ids_are_404() {
    let (app, org, _event) = setup().await;
    let unknown = uuid::Uuid::new_v4();

    let (s1, b1) = app.get(&format!("/api/rounds/{unknown}"), Some(&org)).await;
    let (s2, b2) = app.post(&format!("/api/rounds/{unknown}/start"), Some(&org)).await;
    let (s3, b3) = app
        .post_json(
            &format!("/api/events/{unknown}/rounds"),
            Some(&org),
            json!({"duration_secs": 60}),
        )
        .await;

    assert_error(s1, &b1, 404, "not_found");
    assert_error(s2, &b2, 404, "not_found");
    assert_error(s3, &b3, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn active_timers_lists_running_rounds_the_caller_may_read() {
    // Arrange
    let (app, org, event) = setup().await;
    let member = app.token("ann", "attendee").await;
    let stranger = app.token("sam", "attendee").await;
    app.add_member(&org, &event, "ann", "attendee").await;
    let running = id(&app.create_round(&org, &event, 300, 0).await);
    let pending = id(&app.create_round(&org, &event, 300, 0).await);
    app.start_round(&org, &running).await;

    // Act
    let (s_org, by_org) = app.get("/api/rounds/active-timers", Some(&org)).await;
    let (s_mem, by_member) = app.get("/api/rounds/active-timers", Some(&member)).await;
    let (s_str, by_stranger) = app.get("/api/rounds/active-timers", Some(&stranger)).await;
    let (s_anon, b_anon) = app.get("/api/rounds/active-timers", None).await;

    // Assert
    assert_eq!(s_org, 200, "{by_org}");
    let list = by_org.as_array().expect("array");
    let mine: Vec<&Value> = list.iter().filter(|t| t["round_id"] == running.as_str()).collect();
    assert_eq!(mine.len(), 1, "running round listed once: {by_org}");
    assert_timer_state(mine[0], &running, "round");
    assert!(
        !list.iter().any(|t| t["round_id"] == pending.as_str()),
        "pending round is not a timer: {by_org}"
    );
    assert_eq!(s_mem, 200, "{by_member}");
    assert!(
        by_member
            .as_array()
            .expect("array")
            .iter()
            .any(|t| t["round_id"] == running.as_str()),
        "member sees it: {by_member}"
    );
    assert_eq!(s_str, 200, "{by_stranger}");
    assert!(
        !by_stranger
            .as_array()
            .expect("array")
            .iter()
            .any(|t| t["round_id"] == running.as_str()),
        "private event's timer hidden from strangers: {by_stranger}"
    );
    assert_error(s_anon, &b_anon, 401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_starts_of_one_round_let_exactly_one_through() {
    // Arrange
    let (app, org, event) = setup().await;
    let rid = id(&app.create_round(&org, &event, 300, 0).await);
    let path = format!("/api/rounds/{rid}/start");

    // Act: eight starts at once.
    let results = futures_util::future::join_all((0..8).map(|_| app.post(&path, Some(&org)))).await;

    // Assert
    let ok: Vec<&(u16, Value)> = results.iter().filter(|(s, _)| *s == 200).collect();
    assert_eq!(ok.len(), 1, "exactly one start wins: {results:?}");
    for (s, b) in results.iter().filter(|(s, _)| *s != 200) {
        assert_error(*s, b, 409, "conflict");
    }
    let row = app.get_round(&org, &rid).await;
    assert_eq!(row["status"], "running");
    assert_eq!(
        ms_of(&row["ends_at"]),
        ms_of(&ok[0].1["ends_at"]),
        "the winner's deadline stuck"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_starts_of_two_rounds_of_one_event_let_exactly_one_run() {
    let (app, org, event) = setup().await;
    let r1 = id(&app.create_round(&org, &event, 300, 0).await);
    let r2 = id(&app.create_round(&org, &event, 300, 0).await);
    let p1 = format!("/api/rounds/{r1}/start");
    let p2 = format!("/api/rounds/{r2}/start");

    let ((s1, b1), (s2, b2)) = tokio::join!(app.post(&p1, Some(&org)), app.post(&p2, Some(&org)));

    let statuses = [s1, s2];
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "one round runs at a time: {b1} / {b2}"
    );
    assert!(statuses.contains(&409), "the other is a conflict: {b1} / {b2}");
    let running = [
        app.get_round(&org, &r1).await["status"].clone(),
        app.get_round(&org, &r2).await["status"].clone(),
    ];
    assert_eq!(
        running.iter().filter(|s| **s == "running").count(),
        1,
        "exactly one running: {running:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_that_are_not_uuids_and_unknown_routes_get_the_error_envelope() {
    let (app, org, _event) = setup().await;

    for path in ["/api/events/not-a-uuid", "/api/rounds/xyz", "/api/no-such-endpoint"] {
        let (s, b) = app.get(path, Some(&org)).await;
        assert_error(s, &b, 404, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_event_name_is_422_invalid() {
    let (app, org, _event) = setup().await;

    let (s, b) = app.post_json("/api/events", Some(&org), json!({"name": ""})).await;

    assert_error(s, &b, 422, "invalid");
}
