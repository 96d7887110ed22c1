//! Custom messages (docs/protocol.md "Custom messages"): `POST /api/publish`
//! by admins or with `X-Api-Key` delivers `{type, data}` on any topic as an
//! ordinary history message; an `idempotency_key` makes a retry harmless;
//! the server's own types, bad topics and bad bodies are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

const API_KEY: &str = "backend-publish-key-0123456789";

async fn setup() -> (TestApp, String, String) {
    let app = TestApp::spawn_with(&[("EMCEE_PUBLISH_API_KEY", API_KEY)]).await;
    let admin = app.token("ada", "admin").await;
    let event = app.public_event(&admin, "Custom").await;
    (app, admin, event)
}

async fn listener(app: &TestApp, topic: &str) -> Ws {
    let mut ws = app.ws("/ws", None).await;
    ws.next_of_type("welcome", FRAME).await;
    ws.subscribe_ok(topic, None, "sub").await;
    ws
}

async fn publish_raw(app: &TestApp, token: Option<&str>, headers: &[(&str, &str)], body: Value) -> (u16, Value) {
    app.post_json_with_headers("/api/publish", token, headers, body).await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_publish_is_accepted_and_delivered_as_type_and_data() {
    // Arrange
    let (app, admin, event) = setup().await;
    let topic = format!("event:{event}:results");
    let mut ws = listener(&app, &topic).await;
    let data = json!({"team": "Red", "points": 12, "nested": {"ok": [1, 2]}});

    // Act
    let (s, b) = publish_raw(
        &app,
        Some(&admin),
        &[],
        json!({"topic": topic, "type": "score_update", "data": data}),
    )
    .await;
    let frame = ws.next_of_type("score_update", FRAME).await;

    // Assert
    assert_eq!(s, 202, "{b}");
    assert_eq!(b, json!({"topic": topic, "type": "score_update", "delivered": true}));
    assert_envelope(&frame);
    assert_eq!(frame["topic"], topic.as_str(), "{frame}");
    assert_eq!(frame["data"], data, "data as published: {frame}");
    assert_has_seq(&frame);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_idempotency_key_twice_is_delivered_once() {
    // Arrange
    let (app, admin, event) = setup().await;
    let topic = format!("event:{event}:announcements");
    let mut ws = listener(&app, &topic).await;
    let body = json!({"topic": topic, "type": "flash", "data": {"n": 1}, "idempotency_key": "flash-1"});

    // Act
    let (s1, b1) = publish_raw(&app, Some(&admin), &[], body.clone()).await;
    let (s2, b2) = publish_raw(&app, Some(&admin), &[], body).await;
    let (s3, b3) = publish_raw(
        &app,
        Some(&admin),
        &[],
        json!({"topic": topic, "type": "flash", "data": {"n": 2}, "idempotency_key": "flash-2"}),
    )
    .await;
    let frames = ws
        .collect_until("the second key's message", FRAME, |f| f["data"]["n"] == 2)
        .await;
    let later = ws.collect_for(millis(300)).await;

    // Assert
    assert_eq!((s1, s2, s3), (202, 202, 202), "{b1} {b2} {b3}");
    assert_eq!(b1["delivered"], true, "{b1}");
    assert_eq!(b2["delivered"], false, "a retry is not delivered again: {b2}");
    assert_eq!(b3["delivered"], true, "{b3}");
    let ns: Vec<&Value> = frames.iter().map(|(f, _)| &f["data"]["n"]).collect();
    assert_eq!(ns, [1, 2], "the first key once, then the second: {frames:?}");
    assert!(later.is_empty(), "nothing more: {later:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_with_the_api_key_may_publish_and_a_wrong_key_may_not() {
    // Arrange
    let (app, _admin, event) = setup().await;
    let organizer = app.token("olga", "organizer").await;
    let topic = format!("event:{event}:schedule");
    let mut ws = listener(&app, &topic).await;
    let body = json!({"topic": topic, "type": "fixture", "data": {"court": 3}});

    // Act
    let (ok, ok_body) = publish_raw(&app, None, &[("X-Api-Key", API_KEY)], body.clone()).await;
    let frame = ws.next_of_type("fixture", FRAME).await;
    let (wrong, wrong_body) = publish_raw(&app, None, &[("X-Api-Key", "not-the-key")], body.clone()).await;
    let (wrong_org, wrong_org_body) =
        publish_raw(&app, Some(&organizer), &[("X-Api-Key", "not-the-key")], body.clone()).await;
    let (key_org, key_org_body) = publish_raw(&app, Some(&organizer), &[("X-Api-Key", API_KEY)], body).await;
    let after = ws.collect_for(millis(300)).await;

    // Assert
    assert_eq!(ok, 202, "{ok_body}");
    assert_eq!(frame["data"]["court"], 3, "{frame}");
    assert_error(wrong, &wrong_body, 401, "unauthorized");
    assert_error(wrong_org, &wrong_org_body, 403, "forbidden");
    assert_eq!(key_org, 202, "the key is enough whoever calls: {key_org_body}");
    assert_eq!(
        after.iter().filter(|f| f["type"] == "fixture").count(),
        1,
        "refused publishes deliver nothing: {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_configured_key_the_header_opens_nothing() {
    // Arrange: no EMCEE_PUBLISH_API_KEY.
    let app = TestApp::spawn().await;
    let admin = app.token("ada", "admin").await;
    let event = app.public_event(&admin, "No key").await;
    let body = json!({"topic": format!("event:{event}:results"), "type": "x", "data": {}});

    // Act
    let (s_empty, b_empty) = publish_raw(&app, None, &[("X-Api-Key", "")], body.clone()).await;
    let (s_any, b_any) = publish_raw(&app, None, &[("X-Api-Key", API_KEY)], body).await;

    // Assert
    assert_error(s_empty, &b_empty, 401, "unauthorized");
    assert_error(s_any, &b_any, 401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn non_admins_and_anonymous_callers_may_not_publish() {
    // Arrange
    let (app, _admin, event) = setup().await;
    let topic = format!("event:{event}:results");
    let mut ws = listener(&app, &topic).await;
    let body = json!({"topic": topic, "type": "fake", "data": {}});
    let mut refused = Vec::new();

    // Act
    for role in ["organizer", "judge", "attendee"] {
        let token = app.token(&format!("someone-{role}"), role).await;
        refused.push((role, publish_raw(&app, Some(&token), &[], body.clone()).await));
    }
    let anonymous = publish_raw(&app, None, &[], body).await;
    let after = ws.collect_for(millis(300)).await;

    // Assert
    for (role, (s, b)) in &refused {
        assert_eq!(*s, 403, "{role}: {b}");
        assert_error(*s, b, 403, "forbidden");
    }
    assert_error(anonymous.0, &anonymous.1, 401, "unauthorized");
    assert!(after.is_empty(), "nothing delivered: {after:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_servers_own_types_bad_types_and_bad_topics_are_invalid() {
    // Arrange
    let (app, admin, event) = setup().await;
    let topic = format!("event:{event}");
    let mut ws = listener(&app, &topic).await;
    ws.next_of_type("event_state", FRAME).await;
    let reserved = [
        "timer_update",
        "timer_state",
        "event_state",
        "presence_count",
        "subscribed",
        "error",
        "welcome",
        "purchase_update",
        "notification",
        "leaderboard_update",
        "announcement",
    ];
    let bad_types = ["", "Score", "9lives", "with space", "emoji🎉"];
    let bad_topics = ["nope", "event:not-a-uuid", "", "role:king"];

    // Act + Assert
    for t in reserved.iter().chain(bad_types.iter()) {
        let (s, b) = publish_raw(&app, Some(&admin), &[], json!({"topic": topic, "type": t, "data": {}})).await;
        assert_eq!(s, 422, "type {t:?}: {b}");
        assert_error(s, &b, 422, "invalid");
    }
    for t in bad_topics {
        let (s, b) = publish_raw(&app, Some(&admin), &[], json!({"topic": t, "type": "ok", "data": {}})).await;
        assert_error(s, &b, 422, "invalid");
    }
    let after = ws.collect_for(millis(300)).await;
    assert!(
        after.iter().all(|f| f["type"] == "presence_count"),
        "no refused publish reached the room: {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_body_is_bad_json() {
    // Arrange
    let (app, admin, event) = setup().await;
    let topic = format!("event:{event}:results");

    // Act
    let (s1, b1) = app.post_raw("/api/publish", Some(&admin), "{not json").await;
    let (s2, b2) = app.post_raw("/api/publish", Some(&admin), "[1, 2, 3]").await;
    let (s3, b3) = app
        .post_raw(
            "/api/publish",
            Some(&admin),
            &json!({"topic": topic, "data": {}}).to_string(),
        )
        .await;

    // Assert
    assert_error(s1, &b1, 400, "bad_json");
    assert_error(s2, &b2, 400, "bad_json");
    assert_error(s3, &b3, 400, "bad_json");
}
