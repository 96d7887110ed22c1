//! Tokens while connected (docs/protocol.md "Liveness and tokens"):
//! `token_expiring` ahead of `exp`, `refresh` with a new token for the same
//! user keeps the socket, anything else does not; at `exp` an `error`
//! `token_expired` and close 4005.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;

/// Tokens live four seconds here; the warning comes two before `exp`.
const TTL: u64 = 4;

async fn setup() -> TestApp {
    TestApp::spawn_with(&[("EMCEE_TOKEN_WARNING_SECS", "2")]).await
}

async fn welcomed(app: &TestApp, token: &str) -> Ws {
    let mut ws = app.ws("/ws", Some(token)).await;
    let w = ws.next_json(FRAME).await;
    assert_eq!(w["type"], "welcome", "{w}");
    ws
}

#[tokio::test(flavor = "multi_thread")]
async fn token_expiring_arrives_before_the_token_expires() {
    // Arrange
    let app = setup().await;
    let token = app.token_ttl("mia", "attendee", TTL).await;
    let exp = jwt_exp(&token);
    let mut ws = welcomed(&app, &token).await;

    // Act
    let (warning, at) = ws.next_of_type_timed("token_expiring", secs(TTL + 1)).await;

    // Assert
    assert_envelope(&warning);
    assert_no_seq(&warning);
    assert_eq!(time_of(&warning["data"]["expires_at"]).timestamp(), exp, "{warning}");
    let left = warning["data"]["seconds_left"]
        .as_i64()
        .unwrap_or_else(|| panic!("seconds_left: {warning}"));
    assert!((0..=2).contains(&left), "about two seconds left: {warning}");
    assert!(at.timestamp_millis() < exp * 1000, "received before exp: {warning}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_for_the_same_user_keeps_the_socket_past_the_first_tokens_expiry() {
    // Arrange
    let app = setup().await;
    let first = app.token_ttl("mia", "attendee", TTL).await;
    let exp = jwt_exp(&first);
    let mut ws = welcomed(&app, &first).await;
    ws.next_of_type("token_expiring", secs(TTL + 1)).await;
    let fresh = app.token_ttl("mia", "attendee", 3600).await;

    // Act
    ws.send_json(&json!({"type": "refresh", "token": fresh, "ref": "r1"}))
        .await;
    let refreshed = ws.reply_to("r1", FRAME).await;
    let wait_ms = (exp * 1000 + 1500 - chrono::Utc::now().timestamp_millis()).max(0) as u64;
    let meanwhile = ws.collect_for(millis(wait_ms)).await;

    // Assert
    assert_eq!(refreshed["type"], "refreshed", "{refreshed}");
    assert_eq!(
        time_of(&refreshed["data"]["expires_at"]).timestamp(),
        jwt_exp(&fresh),
        "{refreshed}"
    );
    assert!(
        meanwhile
            .iter()
            .all(|f| f["type"] != "error" && f["type"] != "token_expiring"),
        "nothing about the old token any more: {meanwhile:?}"
    );
    assert!(
        chrono::Utc::now().timestamp() > exp,
        "we are past the first token's exp"
    );
    ws.assert_ping_works("alive").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_with_another_users_token_is_forbidden_and_changes_nothing() {
    // Arrange
    let app = setup().await;
    let mia = app.token("mia", "attendee").await;
    let nina = app.token("nina", "attendee").await;
    let mut ws = welcomed(&app, &mia).await;
    let mut anonymous = app.ws("/ws", None).await;
    anonymous.next_of_type("welcome", FRAME).await;

    // Act
    ws.send_json(&json!({"type": "refresh", "token": nina, "ref": "steal"}))
        .await;
    let err = ws.reply_to("steal", FRAME).await;
    ws.send_json(&json!({"type": "refresh", "token": "not.a.token", "ref": "junk"}))
        .await;
    let junk = ws.reply_to("junk", FRAME).await;
    anonymous
        .send_json(&json!({"type": "refresh", "token": mia, "ref": "anon"}))
        .await;
    let anon_err = anonymous.reply_to("anon", FRAME).await;

    // Assert
    assert_eq!(err["type"], "error", "{err}");
    assert_eq!(err["data"]["code"], "forbidden", "{err}");
    assert_eq!(junk["type"], "error", "{junk}");
    assert_eq!(junk["data"]["code"], "unauthorized", "a bad token: {junk}");
    assert_eq!(anon_err["data"]["code"], "forbidden", "{anon_err}");
    ws.assert_ping_works("still-mia").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_refresh_the_socket_gets_token_expired_and_closes_with_4005() {
    // Arrange
    let app = setup().await;
    let token = app.token_ttl("mia", "attendee", TTL).await;
    let exp = jwt_exp(&token);
    let mut ws = welcomed(&app, &token).await;

    // Act
    let (frames, close) = ws.read_until_close(secs(TTL + 3)).await;

    // Assert
    let kinds: Vec<&str> = frames.iter().map(ty).collect();
    let warned = kinds.iter().position(|k| *k == "token_expiring");
    let expired = frames
        .iter()
        .position(|f| f["type"] == "error" && f["data"]["code"] == "token_expired");
    assert!(warned.is_some(), "warned first: {kinds:?}");
    assert!(expired.is_some(), "an error token_expired before the close: {frames:?}");
    assert!(warned < expired, "{kinds:?}");
    assert_eq!(close, Some(4005), "close code");
    assert!(chrono::Utc::now().timestamp() >= exp, "not before exp");
}
