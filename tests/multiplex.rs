//! The multiplexed socket `/ws` and the client messages every socket takes
//! (docs/protocol.md "Endpoints" and "Client → server"): `welcome`,
//! `subscribe`/`unsubscribe` with refs, seed 001's shortcuts, `time`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

fn assert_reply(f: &Value) {
    assert_envelope(f);
    assert_no_seq(f);
}

async fn setup() -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    let admin = app.token("ada", "admin").await;
    let event = app.public_event(&admin, "Multiplex").await;
    (app, admin, event)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_multiplexed_socket_greets_with_welcome() {
    // Arrange
    let (app, _admin, _event) = setup().await;
    let mia = app.token("mia", "attendee").await;
    let mia_id = app.user_id(&mia).await;

    // Act
    let mut anon = app.ws("/ws", None).await;
    let a = anon.next_json(FRAME).await;
    let mut signed = app.ws("/ws", Some(&mia)).await;
    let s = signed.next_json(FRAME).await;

    // Assert
    for w in [&a, &s] {
        assert_reply(w);
        assert_eq!(w["type"], "welcome", "first frame: {w}");
        assert!(w.get("topic").is_none_or(Value::is_null), "{w}");
        assert!(w["data"]["session_id"].is_u64(), "{w}");
        assert_wire_time(&w["data"]["server_time"], "welcome.server_time");
    }
    assert!(a["data"]["user"].is_null(), "anonymous: {a}");
    assert_eq!(
        s["data"]["user"],
        json!({"id": mia_id, "name": "mia", "role": "attendee"}),
        "{s}"
    );
    assert_ne!(a["data"]["session_id"], s["data"]["session_id"], "one id per session");
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribe_and_unsubscribe_answer_with_refs_and_nothing_follows_an_unsubscribe() {
    // Arrange
    let (app, admin, event) = setup().await;
    let (results, schedule) = (format!("event:{event}:results"), format!("event:{event}:schedule"));
    let mut ws = app.ws("/ws", None).await;
    ws.next_of_type("welcome", FRAME).await;

    // Act
    let sub = ws.subscribe_ok(&results, None, "s1").await;
    ws.subscribe_ok(&schedule, None, "s2").await;
    app.publish(&admin, &results, "score", json!({"n": 1})).await;
    let first = ws.next_of_type("score", FRAME).await;
    ws.send_json(&json!({"type": "unsubscribe", "topic": results, "ref": "u1"}))
        .await;
    let unsub = ws.reply_to("u1", FRAME).await;
    app.publish(&admin, &results, "score", json!({"n": 2})).await;
    app.publish(&admin, &schedule, "slot", json!({"n": 3})).await;
    let until_slot = ws
        .collect_until("the schedule sentinel", FRAME, |f| f["type"] == "slot")
        .await;
    let after = ws.collect_for(millis(300)).await;

    // Assert
    assert_eq!(sub["ref"], "s1", "{sub}");
    assert_eq!(sub["topic"], results.as_str(), "{sub}");
    assert_no_seq(&sub);
    assert_eq!(first["data"]["n"], 1, "{first}");
    assert_eq!(unsub["type"], "unsubscribed", "{unsub}");
    assert_eq!(unsub["data"], json!({"topic": results, "reason": null}), "{unsub}");
    assert_no_seq(&unsub);
    let leaked: Vec<&Value> = until_slot
        .iter()
        .map(|(f, _)| f)
        .chain(after.iter())
        .filter(|f| f["type"] == "score")
        .collect();
    assert!(leaked.is_empty(), "nothing of the topic after unsubscribed: {leaked:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_shortcuts_on_an_event_socket_need_no_event_id() {
    // Arrange
    let (app, admin, event) = setup().await;
    let mut ws = app.ws(&format!("/ws/event/{event}"), None).await;
    let hello = ws.next_json(FRAME).await;
    let initial = ws.next_of_type("subscribed", FRAME).await;
    let cases = [
        ("subscribe_results", format!("event:{event}:results")),
        ("subscribe_schedule", format!("event:{event}:schedule")),
        ("subscribe_announcements", format!("event:{event}:announcements")),
    ];

    for (kind, topic) in &cases {
        // Act
        ws.send_json(&json!({"type": kind, "ref": kind})).await;
        let reply = ws.reply_to(kind, FRAME).await;
        app.publish(&admin, topic, "custom", json!({"via": kind})).await;
        let msg = ws.next_of_type("custom", FRAME).await;

        // Assert
        assert_eq!(reply["type"], "subscribed", "{kind}: {reply}");
        assert_eq!(reply["data"]["topic"], topic.as_str(), "{kind}: {reply}");
        assert_eq!(msg["topic"], topic.as_str(), "{kind}: {msg}");
        assert_eq!(msg["data"]["via"], *kind, "{msg}");
    }
    assert_eq!(hello["type"], "connected", "{hello}");
    assert_eq!(initial["data"]["topic"], format!("event:{event}"), "{initial}");
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_shortcuts_on_the_multiplexed_socket_need_an_event_id() {
    // Arrange
    let (app, _admin, event) = setup().await;
    let org = app.token("olga", "organizer").await;
    let mia = app.token("mia", "attendee").await;
    let private = app.private_event(&org, "Closed").await;
    let mut ws = app.ws("/ws", Some(&mia)).await;
    ws.next_of_type("welcome", FRAME).await;

    // Act
    let mut replies = Vec::new();
    for kind in ["subscribe_results", "subscribe_schedule", "subscribe_announcements"] {
        ws.send_json(&json!({"type": kind, "ref": format!("{kind}-none")}))
            .await;
        replies.push((kind, "none", ws.reply_to(&format!("{kind}-none"), FRAME).await));
        ws.send_json(&json!({"type": kind, "event_id": event, "ref": format!("{kind}-ok")}))
            .await;
        replies.push((kind, "ok", ws.reply_to(&format!("{kind}-ok"), FRAME).await));
    }
    ws.send_json(&json!({"type": "subscribe_results", "event_id": private, "ref": "private"}))
        .await;
    let private_reply = ws.reply_to("private", FRAME).await;
    ws.send_json(&json!({"type": "subscribe_results", "event_id": "nope", "ref": "bad-id"}))
        .await;
    let bad_id = ws.reply_to("bad-id", FRAME).await;

    // Assert
    for (kind, case, reply) in &replies {
        match *case {
            "none" => {
                assert_eq!(reply["type"], "error", "{kind} without event_id: {reply}");
                assert_eq!(reply["data"]["code"], "invalid", "{kind}: {reply}");
            }
            _ => {
                assert_eq!(reply["type"], "subscribed", "{kind} with event_id: {reply}");
                let suffix = kind.trim_start_matches("subscribe_");
                assert_eq!(reply["data"]["topic"], format!("event:{event}:{suffix}"), "{reply}");
            }
        }
    }
    assert_eq!(
        private_reply["data"]["code"], "forbidden",
        "rights still apply: {private_reply}"
    );
    assert_eq!(bad_id["data"]["code"], "bad_request", "a wrong field: {bad_id}");
    ws.assert_ping_works("still-up").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn time_is_answered_with_the_server_clock_and_the_ref() {
    // Arrange
    let (app, _admin, _event) = setup().await;
    let mut ws = app.ws("/ws", None).await;
    ws.next_of_type("welcome", FRAME).await;
    let sent = chrono::Utc::now().timestamp_millis();

    // Act
    ws.send_json(&json!({"type": "time", "ref": "clock"})).await;
    let (reply, at) = ws.next_of_type_timed("time", FRAME).await;

    // Assert
    assert_reply(&reply);
    assert_eq!(reply["ref"], "clock", "{reply}");
    assert!(reply.get("topic").is_none_or(Value::is_null), "{reply}");
    let server = ms_of(&reply["data"]["server_time"]);
    assert!(
        server >= sent - 5 && server <= at.timestamp_millis() + 5,
        "server_time between send and receipt: {reply}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_seed_endpoint_resumes_its_implied_subscription_from_since() {
    // Arrange: a screen saw the event up to some position, then dropped off.
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app.public_event(&org, "Resume").await;
    let mut first = app.ws(&format!("/ws/event/{event}"), None).await;
    let reply = first.next_of_type("subscribed", FRAME).await;
    app.announce(&org, &event, "seen").await;
    let seen = first.next_of_type("announcement", FRAME).await;
    drop(first);
    app.announce(&org, &event, "missed").await;
    let (epoch, seq) = (
        reply["data"]["epoch"].as_str().unwrap().to_owned(),
        seen["seq"].as_u64().unwrap(),
    );

    // Act
    let mut again = app.ws(&format!("/ws/event/{event}?since={epoch}.{seq}"), None).await;
    let resumed = again.next_of_type("subscribed", FRAME).await;
    let next = again.next_of_type("announcement", FRAME).await;

    // Assert
    assert_eq!(resumed["data"]["recovered"], true, "{resumed}");
    assert_eq!(next["data"]["message"], "missed", "exactly the missed one: {next}");
    assert_eq!(next["seq"].as_u64(), Some(seq + 1), "{next}");
    app.assert_ws_refused(&format!("/ws/event/{event}?since=nonsense"), None, "invalid", 1008)
        .await;
}
