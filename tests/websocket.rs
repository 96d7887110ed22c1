//! The socket itself: client frames, replies, refusals and close codes
//! (protocol.md "Client → server" and "Refusals and close codes").
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// An app, the owner's token, a private event, and a connected owner socket
/// past its `connected` frame.
async fn connected() -> (TestApp, String, String, Ws) {
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "Sockets").await;
    let mut ws = app.ws(&format!("/ws/event/{event}"), Some(&org)).await;
    let hello = ws.next_json(FRAME).await;
    assert_eq!(hello["type"], "connected", "{hello}");
    (app, org, event, ws)
}

/// Replies carry neither topic nor seq.
fn assert_reply(f: &Value) {
    assert_envelope(f);
    assert!(f.get("topic").is_none_or(Value::is_null), "reply has no topic: {f}");
    assert_no_seq(f);
}

#[tokio::test(flavor = "multi_thread")]
async fn ping_is_answered_with_pong_and_the_same_ref() {
    // Arrange
    let (_app, _org, _event, mut ws) = connected().await;

    // Act
    ws.send_json(&json!({"type": "ping", "ref": "a"})).await;
    let pong = ws.next_of_type("pong", FRAME).await;
    ws.send_json(&json!({"type": "ping"})).await;
    let bare = ws.next_of_type("pong", FRAME).await;

    // Assert
    assert_reply(&pong);
    assert_eq!(pong["ref"], "a", "{pong}");
    assert_wire_time(&pong["data"]["server_time"], "pong.server_time");
    assert_reply(&bare);
    assert!(
        bare.get("ref").is_none_or(Value::is_null),
        "no ref given, none echoed: {bare}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn time_is_answered_with_the_server_clock() {
    // Arrange
    let (_app, _org, _event, mut ws) = connected().await;
    let t_send = chrono::Utc::now();

    // Act
    ws.send_json(&json!({"type": "time", "ref": "t"})).await;
    let (reply, t_recv) = ws.next_of_type_timed("time", FRAME).await;

    // Assert
    assert_reply(&reply);
    assert_eq!(reply["ref"], "t", "{reply}");
    assert_wire_time(&reply["data"]["server_time"], "time.server_time");
    let server = ms_of(&reply["data"]["server_time"]);
    // Same machine: the server clock lies between send and receipt
    // (plus a little for millisecond rounding).
    assert!(
        server >= t_send.timestamp_millis() - 5 && server <= t_recv.timestamp_millis() + 5,
        "server_time {server} outside [{}, {}]",
        t_send.timestamp_millis(),
        t_recv.timestamp_millis()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_gets_a_bad_json_error_and_the_socket_stays_open() {
    let (_app, _org, _event, mut ws) = connected().await;

    ws.send_text("{this is not json").await;
    let err = ws.next_of_type("error", FRAME).await;

    assert_reply(&err);
    assert_eq!(err["data"]["code"], "bad_json", "{err}");
    assert!(err["data"]["message"].is_string(), "{err}");
    ws.assert_ping_works("after-bad-json").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_type_gets_an_unknown_type_error_with_the_ref() {
    let (_app, _org, _event, mut ws) = connected().await;

    ws.send_json(&json!({"type": "start_round", "ref": "u1"})).await;
    let err = ws.next_of_type("error", FRAME).await;

    assert_reply(&err);
    assert_eq!(err["data"]["code"], "unknown_type", "{err}");
    assert_eq!(err["ref"], "u1", "ref echoed when readable: {err}");
    ws.assert_ping_works("after-unknown").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn json_that_is_not_a_command_object_gets_an_error_and_the_socket_stays_open() {
    let (_app, _org, _event, mut ws) = connected().await;

    for bad in ["[1,2,3]", "42", "{\"ref\":\"no-type\"}"] {
        ws.send_text(bad).await;
        let err = ws.next_of_type("error", FRAME).await;
        let code = err["data"]["code"].as_str().unwrap_or("");
        assert!(
            ["bad_json", "unknown_type", "bad_request"].contains(&code),
            "{bad}: documented error code expected: {err}"
        );
    }
    ws.assert_ping_works("still-up").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_binary_frame_gets_a_bad_request_error_and_the_socket_stays_open() {
    let (_app, _org, _event, mut ws) = connected().await;

    ws.send_binary(vec![1, 2, 3, 4]).await;
    let err = ws.next_of_type("error", FRAME).await;
    ws.send_text(r#"{"type":"ping","ref":"after-binary"}"#).await;
    let pong = ws.next_of_type("pong", FRAME).await;

    assert_eq!(err["data"]["code"], "bad_request", "{err}");
    assert_eq!(pong["ref"], "after-binary", "{pong}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_message_closes_with_1009() {
    let (_app, _org, _event, mut ws) = connected().await;
    // 1 MiB of text: far beyond anything the control channel needs.
    let huge = format!("{{\"type\":\"ping\",\"ref\":\"{}\"}}", "x".repeat(1 << 20));

    let sent = ws.try_send_text(&huge).await;
    let (_frames, code) = ws.read_until_close(FRAME).await;

    assert_eq!(code, Some(1009), "message too big close code (send result: {sent:?})");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_event_or_round_id_is_refused_with_4004() {
    let app = TestApp::spawn().await;
    let admin = app.token("root", "admin").await;
    let unknown = uuid::Uuid::new_v4();

    app.assert_ws_refused(&format!("/ws/event/{unknown}"), Some(&admin), "not_found", 4004)
        .await;
    app.assert_ws_refused(&format!("/ws/round/{unknown}/timer"), Some(&admin), "not_found", 4004)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_event_refuses_non_members_with_4003() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let outsider = app.token("sam", "attendee").await;
    let other_org = app.token("oscar", "organizer").await;
    let event = app.private_event(&org, "Closed").await;
    let round = id(&app.create_round(&org, &event, 60, 0).await);

    // Act + Assert
    app.assert_ws_refused(&format!("/ws/event/{event}"), Some(&outsider), "forbidden", 4003)
        .await;
    app.assert_ws_refused(&format!("/ws/event/{event}"), Some(&other_org), "forbidden", 4003)
        .await;
    app.assert_ws_refused(&format!("/ws/round/{round}/timer"), Some(&outsider), "forbidden", 4003)
        .await;
    // Anonymous on a private event: the token is missing.
    app.assert_ws_refused(&format!("/ws/event/{event}"), None, "unauthorized", 4001)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_public_event_socket_accepts_anonymous_clients() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app
        .create_event(&org, json!({"name": "Street fair", "visibility": "public"}))
        .await;
    let eid = id(&event);
    let rid = id(&app.create_round(&org, &eid, 60, 0).await);

    // Act
    let mut ws = app.ws(&format!("/ws/event/{eid}"), None).await;
    let hello = ws.next_json(FRAME).await;
    let mut rws = app.ws(&format!("/ws/round/{rid}/timer"), None).await;
    let rhello = rws.next_json(FRAME).await;

    // Assert
    assert_eq!(hello["type"], "connected", "{hello}");
    assert_eq!(hello["data"]["event_id"], eid.as_str());
    assert_eq!(hello["data"]["event_name"], "Street fair");
    assert!(hello["data"]["user"].is_null(), "anonymous user is null: {hello}");
    assert_eq!(rhello["type"], "timer_connected", "{rhello}");
    ws.assert_ping_works("anon").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_may_be_sent_as_a_bearer_header() {
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "Header auth").await;

    let mut ws = app.ws_bearer(&format!("/ws/event/{event}"), &org).await;
    let hello = ws.next_json(FRAME).await;

    assert_eq!(hello["type"], "connected", "{hello}");
    assert_eq!(hello["data"]["user"]["name"], "olga", "{hello}");
    assert_eq!(hello["data"]["user"]["role"], "organizer", "{hello}");
    assert!(hello["data"]["user"]["id"].is_string(), "{hello}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_that_expires_while_connected_closes_the_socket_with_4005() {
    // Arrange: a token valid for 2 more seconds.
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let uid = app.user_id(&org).await;
    let event = app.private_event(&org, "Short lived").await;
    let now = now_secs();
    let short = sign_jwt(
        JWT_SECRET,
        jsonwebtoken::Algorithm::HS256,
        &uid,
        "olga",
        "organizer",
        now,
        now + 2,
    );
    let mut ws = app.ws(&format!("/ws/event/{event}"), Some(&short)).await;
    let hello = ws.next_json(FRAME).await;
    assert_eq!(hello["type"], "connected", "{hello}");

    // Act
    let (frames, code) = ws.read_until_close(secs(8)).await;

    // Assert
    assert_eq!(code, Some(4005), "close code for expiry; frames: {frames:?}");
    if let Some(err) = frames.iter().find(|f| f["type"] == "error") {
        assert_eq!(err["data"]["code"], "token_expired", "{err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_subscriber_of_a_topic_gets_the_same_history_messages_in_seq_order() {
    // Arrange: two members on the event socket.
    let (app, org, event, mut ws1) = connected().await;
    let attendee = app.token("ann", "attendee").await;
    app.add_member(&org, &event, "ann", "attendee").await;
    let mut ws2 = app.ws(&format!("/ws/event/{event}"), Some(&attendee)).await;
    ws2.next_of_type("connected", FRAME).await;

    // Act
    for msg in ["one", "two", "three"] {
        let (s, b) = app
            .post_json(
                &format!("/api/events/{event}/announcements"),
                Some(&org),
                json!({"message": msg}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }

    // Assert
    let mut per_socket = Vec::new();
    for ws in [&mut ws1, &mut ws2] {
        let mut got = Vec::new();
        for _ in 0..3 {
            let f = ws.next_of_type("announcement", FRAME).await;
            assert_has_seq(&f);
            got.push((
                f["data"]["message"].as_str().unwrap_or("").to_string(),
                f["seq"].as_i64().unwrap(),
            ));
        }
        let msgs: Vec<&str> = got.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(msgs, vec!["one", "two", "three"], "publish order");
        assert!(got.windows(2).all(|w| w[0].1 < w[1].1), "seq increasing: {got:?}");
        per_socket.push(got);
    }
    assert_eq!(
        per_socket[0], per_socket[1],
        "same seq for the same message on every socket"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_sends_websocket_pings_every_ten_seconds() {
    let (_app, _org, _event, mut ws) = connected().await;

    let pinged = ws.wait_for_server_ping(secs(12)).await;

    assert!(pinged, "no WebSocket ping within 12 s (protocol: every 10 s)");
    ws.assert_ping_works("after-heartbeat").await;
}
