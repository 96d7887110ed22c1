//! Long polling (docs/protocol.md "Long polling"): `GET /api/poll` answers
//! with the state and a cursor, then with what was published after the
//! cursor, waiting for it when there is nothing yet; a stale cursor gets
//! `recovered: [false]` and the state; rights as for subscribing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Instant;

/// `GET /api/poll?topics=…[&since=…][&wait=…]` → (status, body, elapsed).
async fn poll(app: &TestApp, token: Option<&str>, query: &str) -> (u16, Value, std::time::Duration) {
    let started = Instant::now();
    let (s, b) = tokio::time::timeout(secs(9), app.get(&format!("/api/poll?{query}"), token))
        .await
        .expect("a poll answers within the poll timeout");
    (s, b, started.elapsed())
}

fn cursor(b: &Value) -> String {
    b["cursor"]
        .as_str()
        .unwrap_or_else(|| panic!("poll reply without cursor: {b}"))
        .to_string()
}

fn kinds(b: &Value) -> Vec<&str> {
    b["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("poll reply without messages: {b}"))
        .iter()
        .map(ty)
        .collect()
}

/// Polls here wait at most this long (`EMCEE_POLL_TIMEOUT_SECS`), so a poll
/// that should have answered at once shows up without stalling the suite.
const POLL_TIMEOUT: &str = "3";

async fn setup() -> (TestApp, String, String) {
    let app = TestApp::spawn_with(&[("EMCEE_POLL_TIMEOUT_SECS", POLL_TIMEOUT)]).await;
    let admin = app.token("ada", "admin").await;
    let event = app.public_event(&admin, "Polls").await;
    (app, admin, event)
}

/// Asks the event's status: the event goes live without any socket.
async fn touch_event(app: &TestApp, token: Option<&str>, event: &str) {
    let (s, b) = app.get(&format!("/api/events/{event}/countdown/status"), token).await;
    assert_eq!(s, 200, "countdown status: {b}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poll_without_since_on_a_fresh_event_returns_its_state_and_a_cursor() {
    // Arrange: nobody has subscribed to or changed this event yet.
    let (app, _admin, event) = setup().await;
    let topic = format!("event:{event}");

    // Act
    let (s, b, _) = poll(&app, None, &format!("topics={topic}")).await;

    // Assert
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["topics"], json!([topic]), "{b}");
    assert_eq!(b["recovered"], json!([null]), "no since, no recovery flag: {b}");
    assert!(
        kinds(&b).contains(&"event_state"),
        "`messages` holds the topic's current state: {b}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poll_without_since_answers_at_once_even_on_a_topic_without_messages() {
    // Arrange: a topic nothing was ever published on.
    let (app, _admin, event) = setup().await;
    let topic = format!("event:{event}:schedule");

    // Act
    let (s, b, took) = poll(&app, None, &format!("topics={topic}")).await;

    // Assert
    assert_eq!(s, 200, "{b}");
    assert!(
        took < secs(2),
        "without since a poll answers at once (the state, here none), took {took:?}: {b}"
    );
    assert_eq!(kinds(&b), Vec::<&str>::new(), "no state on this topic: {b}");
    assert_eq!(b["recovered"], json!([null]), "{b}");
    cursor(&b);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poll_without_since_returns_the_state_messages_and_their_position_as_cursor() {
    // Arrange: a live countdown, so the state is not empty.
    let (app, admin, event) = setup().await;
    app.start_countdown_secs(&admin, &event, 300).await;
    let topic = format!("event:{event}");

    // Act
    let (s, b, _) = poll(&app, None, &format!("topics={topic}")).await;

    // Assert
    assert_eq!(s, 200, "{b}");
    let messages = b["messages"].as_array().unwrap();
    assert_eq!(kinds(&b), ["event_state"], "only the state, no history: {b}");
    let state = &messages[0];
    assert_envelope(state);
    assert_eq!(state["topic"], topic.as_str(), "{state}");
    assert_countdown_state(&state["data"]["countdown"], &event);
    let c = cursor(&b);
    let (epoch, seq) = c.split_once('.').unwrap_or_else(|| panic!("cursor epoch.seq: {c}"));
    assert_eq!(epoch.len(), 16, "{c}");
    assert!(
        seq.parse::<u64>().unwrap() >= state["seq"].as_u64().unwrap(),
        "cursor at or after the state: {c} vs {state}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poll_with_a_cursor_waits_for_the_next_publish_and_returns_it_promptly() {
    // Arrange
    let (app, admin, event) = setup().await;
    let topic = format!("event:{event}:results");
    app.publish(&admin, &topic, "score", json!({"n": 0})).await;
    let (_, first, _) = poll(&app, None, &format!("topics={topic}")).await;
    let since = cursor(&first);
    let publisher = {
        let (http, url, admin, topic) = (app.http.clone(), app.url("/api/publish"), admin.clone(), topic.clone());
        tokio::spawn(async move {
            tokio::time::sleep(millis(300)).await;
            http.post(url)
                .bearer_auth(admin)
                .json(&json!({"topic": topic, "type": "score", "data": {"n": 1}}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };

    // Act
    let (s, b, took) = poll(&app, None, &format!("topics={topic}&since={since}&wait=10")).await;

    // Assert
    assert_eq!(publisher.await.unwrap().unwrap(), 202);
    assert_eq!(s, 200, "{b}");
    assert_eq!(kinds(&b), ["score"], "exactly the new message: {b}");
    assert_eq!(b["messages"][0]["data"]["n"], 1, "{b}");
    assert_eq!(b["recovered"], json!([true]), "{b}");
    assert!(took >= millis(250), "it waited for the publish: {took:?}");
    assert!(took < secs(3), "and answered shortly after it: {took:?}");
    let next = cursor(&b);
    assert_ne!(next, since, "the cursor moved");
    assert_eq!(
        next.split_once('.').unwrap().1,
        b["messages"][0]["seq"].as_u64().unwrap().to_string(),
        "cursor = position of the last message"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cursor_of_a_topic_that_never_had_a_message_returns_its_first_one() {
    // Arrange
    let (app, admin, event) = setup().await;
    let topic = format!("event:{event}:schedule");
    let (_, first, _) = poll(&app, None, &format!("topics={topic}")).await;
    let since = cursor(&first);
    let publisher = {
        let (http, url, admin, topic) = (app.http.clone(), app.url("/api/publish"), admin.clone(), topic.clone());
        tokio::spawn(async move {
            tokio::time::sleep(millis(300)).await;
            http.post(url)
                .bearer_auth(admin)
                .json(&json!({"topic": topic, "type": "slot", "data": {"n": 1}}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };

    // Act
    let (s, b, took) = poll(&app, None, &format!("topics={topic}&since={since}&wait=10")).await;

    // Assert
    assert_eq!(publisher.await.unwrap().unwrap(), 202);
    assert_eq!(s, 200, "{b}");
    assert_eq!(kinds(&first), Vec::<&str>::new(), "nothing yet: {first}");
    assert_eq!(kinds(&b), ["slot"], "{b}");
    assert_eq!(b["recovered"], json!([true]), "{b}");
    assert!(took < secs(3), "answered shortly after the publish: {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poll_with_nothing_new_returns_empty_after_the_wait_and_ticks_do_not_count() {
    // Arrange: a running countdown ticks every second (ephemeral).
    let (app, admin, event) = setup().await;
    app.start_countdown_secs(&admin, &event, 300).await;
    let topic = format!("event:{event}");
    let (_, first, _) = poll(&app, None, &format!("topics={topic}")).await;
    let since = cursor(&first);

    // Act
    let (s, b, took) = poll(&app, None, &format!("topics={topic}&since={since}&wait=1")).await;

    // Assert
    assert_eq!(s, 200, "{b}");
    assert_eq!(kinds(&b), Vec::<&str>::new(), "nothing new, no ticks: {b}");
    assert_eq!(b["recovered"], json!([true]), "{b}");
    assert_eq!(cursor(&b), since, "the cursor stays");
    assert!(took >= millis(900), "waited about a second: {took:?}");
    assert!(took < secs(4), "but not much longer: {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_cursor_gets_recovered_false_and_the_state_never_a_partial_replay() {
    // Arrange: three messages kept per topic.
    let app = TestApp::spawn_with(&[("EMCEE_HISTORY_LEN", "3"), ("EMCEE_POLL_TIMEOUT_SECS", POLL_TIMEOUT)]).await;
    let admin = app.token("ada", "admin").await;
    let event = app.public_event(&admin, "Stale").await;
    touch_event(&app, None, &event).await;
    let topic = format!("event:{event}");
    let (_, first, _) = poll(&app, None, &format!("topics={topic}")).await;
    let since = cursor(&first);
    for i in 0..5 {
        app.announce(&admin, &event, &format!("news {i}")).await;
    }
    let (epoch, seq) = since.split_once('.').unwrap();
    let other_epoch = format!("{:016x}", u64::from_str_radix(epoch, 16).unwrap() ^ 4);

    // Act
    let (s, stale, _) = poll(&app, None, &format!("topics={topic}&since={since}")).await;
    let (s2, foreign, _) = poll(&app, None, &format!("topics={topic}&since={other_epoch}.{seq}")).await;
    let (s3, bad, _) = poll(&app, None, &format!("topics={topic}&since=not-a-cursor")).await;

    // Assert
    assert_eq!(s, 200, "{stale}");
    assert_eq!(stale["recovered"], json!([false]), "{stale}");
    assert_eq!(
        kinds(&stale),
        ["event_state"],
        "the state instead, no announcement: {stale}"
    );
    assert_ne!(cursor(&stale), since, "a cursor to go on from");
    assert_eq!(s2, 200, "{foreign}");
    assert_eq!(foreign["recovered"], json!([false]), "another epoch: {foreign}");
    assert_eq!(kinds(&foreign), ["event_state"], "{foreign}");
    assert_error(s3, &bad, 422, "invalid");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_multi_topic_poll_has_a_position_and_a_recovered_flag_per_topic() {
    // Arrange
    let (app, admin, event) = setup().await;
    let (a, b) = (format!("event:{event}:results"), format!("event:{event}:schedule"));
    app.publish(&admin, &a, "score", json!({"n": 0})).await;
    app.publish(&admin, &b, "slot", json!({"n": 0})).await;
    let (_, first, _) = poll(&app, None, &format!("topics={a},{b}")).await;
    let since = cursor(&first);
    app.publish(&admin, &b, "slot", json!({"n": 1})).await;

    // Act
    let (s, next, _) = poll(&app, None, &format!("topics={a},{b}&since={since}")).await;

    // Assert
    assert_eq!(s, 200, "{next}");
    assert_eq!(first["topics"], json!([a, b]), "{first}");
    assert_eq!(since.split(',').count(), 2, "one position per topic: {since}");
    assert_eq!(next["recovered"], json!([true, true]), "{next}");
    assert_eq!(kinds(&next), ["slot"], "{next}");
    let (before, after): (Vec<&str>, Vec<String>) = (
        since.split(',').collect(),
        cursor(&next).split(',').map(str::to_string).collect(),
    );
    assert_eq!(before[0], after[0], "results did not move");
    assert_ne!(before[1], after[1], "schedule moved");
}

#[tokio::test(flavor = "multi_thread")]
async fn poll_rights_are_those_of_subscribing() {
    // Arrange
    let app = TestApp::spawn_with(&[("EMCEE_POLL_TIMEOUT_SECS", POLL_TIMEOUT)]).await;
    let org = app.token("olga", "organizer").await;
    let outsider = app.token("nina", "attendee").await;
    let member = app.token("mia", "attendee").await;
    let event = app.private_event(&org, "Private polls").await;
    app.add_member(&org, &event, "mia", "attendee").await;
    let forged = forged_token("00000000-0000-0000-0000-000000000000", "eve", "admin");
    let unknown = "0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00";
    let cases: Vec<(String, Option<&str>, u16, &str)> = vec![
        (format!("topics=event:{event}"), None, 401, "unauthorized"),
        (format!("topics=event:{event}"), Some(&forged), 401, "unauthorized"),
        (format!("topics=event:{event}"), Some(&outsider), 403, "forbidden"),
        (
            format!("topics=event:{event}:presence"),
            Some(&member),
            403,
            "forbidden",
        ),
        (format!("topics=event:{unknown}"), Some(&org), 404, "not_found"),
        ("topics=nope".to_string(), Some(&org), 422, "invalid"),
    ];

    for (query, token, status, code) in cases {
        // Act
        let (s, b, _) = poll(&app, token, &query).await;

        // Assert
        assert_error(s, &b, status, code);
    }
    touch_event(&app, Some(&org), &event).await;
    let (s, b, _) = poll(&app, Some(&member), &format!("topics=event:{event}")).await;
    assert_eq!(s, 200, "a member may poll: {b}");
}
