//! Server-Sent Events (docs/protocol.md "Server-Sent Events"): the same
//! envelopes as the sockets, `id:` lines with every topic's position,
//! `Last-Event-ID` resume, keep-alive comments, and rights checked before
//! the stream starts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

/// `epoch.seq` → (epoch, seq).
fn split_position(p: &str) -> (String, u64) {
    let (e, s) = p
        .split_once('.')
        .unwrap_or_else(|| panic!("position must be epoch.seq, got {p:?}"));
    assert!(
        e.len() == 16 && e.chars().all(|c| c.is_ascii_hexdigit()),
        "epoch must be 16 hex digits: {p:?}"
    );
    (e.to_string(), s.parse().unwrap_or_else(|_| panic!("seq in {p:?}")))
}

fn id_of(id: &Option<String>, frame: &Value) -> String {
    id.clone()
        .unwrap_or_else(|| panic!("{} must carry an id: line: {frame}", frame["type"]))
}

async fn setup() -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "Streams").await;
    (app, org, event)
}

/// Opens a stream and asserts it started (200, event-stream, retry first).
async fn open(app: &TestApp, path: &str, token: Option<&str>, headers: &[(&str, &str)]) -> Sse {
    let mut sse = app
        .sse(path, token, headers)
        .await
        .unwrap_or_else(|(s, b)| panic!("GET {path}: HTTP {s} {b}"));
    assert!(
        sse.content_type.starts_with("text/event-stream"),
        "content-type: {}",
        sse.content_type
    );
    match sse.next_block(FRAME).await {
        SseNext::Block(b) => assert_eq!(b.retry, Some(2000), "`retry: 2000` comes first: {b:?}"),
        other => panic!("{path}: expected `retry: 2000`, got {other:?}"),
    }
    sse
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_stream_sends_subscribed_then_live_announcements_with_ids() {
    // Arrange
    let (app, org, event) = setup().await;
    let topic = format!("event:{event}");

    // Act
    let mut sse = open(&app, &format!("/api/events/{event}/stream"), Some(&org), &[]).await;
    let (sub_id, subscribed) = sse.next_data(FRAME).await;
    let posted = app.announce(&org, &event, "Doors open").await;
    let (ann_id, ann) = sse
        .next_data_matching("the announcement", FRAME, |d| d["type"] == "announcement")
        .await;

    // Assert
    assert_eq!(subscribed["type"], "subscribed", "{subscribed}");
    assert_eq!(subscribed["data"]["topic"], topic.as_str(), "{subscribed}");
    let (epoch, seq) = split_position(&id_of(&sub_id, &subscribed));
    assert_eq!(subscribed["data"]["epoch"], epoch.as_str(), "id = the reply's position");
    assert_eq!(subscribed["data"]["seq"], seq, "id = the reply's position");
    assert_envelope(&ann);
    assert_eq!(ann["topic"], topic.as_str(), "{ann}");
    assert_eq!(ann["data"]["message"], "Doors open", "{ann}");
    assert_eq!(
        ann["data"]["announcement_id"], posted["announcement_id"],
        "{ann} vs {posted}"
    );
    assert_eq!(
        split_position(&id_of(&ann_id, &ann)),
        (epoch, ann["seq"].as_u64().unwrap()),
        "id: epoch.seq of the announcement"
    );
    for b in &sse.seen {
        assert!(
            b.other.is_empty(),
            "no `event:` field (onmessage gets everything): {b:?}"
        );
        if let (Some(d), Some(id)) = (&b.data, &b.id) {
            assert_eq!(
                split_position(id).1,
                d["seq"].as_u64().or(d["data"]["seq"].as_u64()).unwrap(),
                "id matches the frame's position: {b:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_stream_delivers_the_event_state_right_after_subscribed() {
    // Arrange: a fresh event that no socket has opened yet.
    let (app, org, event) = setup().await;

    // Act
    let mut sse = open(&app, &format!("/api/events/{event}/stream"), Some(&org), &[]).await;
    let (_, subscribed) = sse.next_data(FRAME).await;
    let (state_id, state) = sse
        .next_data_matching("event_state (the topic's current state)", FRAME, |d| {
            d["type"] == "event_state"
        })
        .await;

    // Assert
    assert_eq!(subscribed["type"], "subscribed", "{subscribed}");
    assert_envelope(&state);
    assert_eq!(state["data"]["event_id"], event.as_str(), "{state}");
    assert!(state["data"]["countdown"].is_null(), "{state}");
    assert!(state["data"]["round"].is_null(), "{state}");
    assert_eq!(
        split_position(&id_of(&state_id, &state)).1,
        state["seq"].as_u64().unwrap(),
        "id of the state message"
    );
}

/// Reads the announcements of a resumed stream up to `last_message`.
async fn resumed_announcements(sse: &mut Sse, last_message: &str) -> (Value, Vec<(String, Value)>) {
    let (_, reply) = sse.next_data(FRAME).await;
    let mut out = Vec::new();
    loop {
        let (id, d) = sse.next_data(FRAME).await;
        let done = d["data"]["message"] == last_message;
        out.push((id_of(&id, &d), d));
        if done {
            return (reply, out);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn last_event_id_resumes_with_exactly_the_missed_messages() {
    // Arrange
    let (app, org, event) = setup().await;
    let path = format!("/api/events/{event}/stream");
    let mut sse = open(&app, &path, Some(&org), &[]).await;
    app.announce(&org, &event, "a1").await;
    let (id, _) = sse
        .next_data_matching("a1", FRAME, |d| d["data"]["message"] == "a1")
        .await;
    let last = id.expect("id of a1");
    drop(sse);
    for m in ["a2", "a3", "a4"] {
        app.announce(&org, &event, m).await;
    }

    // Act: the header, as browsers send it, and the query fallback.
    let mut by_header = open(&app, &path, Some(&org), &[("Last-Event-ID", &last)]).await;
    let (reply, frames) = resumed_announcements(&mut by_header, "a4").await;
    let extra = by_header.collect_for(millis(1300)).await;
    let mut by_query = open(&app, &format!("{path}?last_event_id={last}"), Some(&org), &[]).await;
    let (reply_q, frames_q) = resumed_announcements(&mut by_query, "a4").await;

    // Assert
    let (epoch, since) = split_position(&last);
    for (reply, frames) in [(&reply, &frames), (&reply_q, &frames_q)] {
        assert_eq!(reply["type"], "subscribed", "{reply}");
        assert_eq!(reply["data"]["recovered"], true, "{reply}");
        for (i, (id, f)) in frames.iter().enumerate() {
            assert_eq!(
                split_position(id),
                (epoch.clone(), since + 1 + i as u64),
                "every message after Last-Event-ID, in order: {f}"
            );
        }
        let messages: Vec<&Value> = frames
            .iter()
            .filter(|(_, f)| f["type"] == "announcement")
            .map(|(_, f)| &f["data"]["message"])
            .collect();
        assert_eq!(messages, ["a2", "a3", "a4"], "exactly the missed ones: {frames:?}");
    }
    assert!(
        !extra
            .iter()
            .filter_map(|b| b.data.as_ref())
            .any(|d| d["type"] == "announcement"),
        "no duplicates after the replay: {extra:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_multi_topic_stream_carries_the_positions_of_all_its_topics_in_order() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.token("ada", "admin").await;
    let event = app.public_event(&admin, "Two topics").await;
    let (results, schedule) = (format!("event:{event}:results"), format!("event:{event}:schedule"));
    let path = format!("/api/stream?topics={results},{schedule}");

    // Act
    let mut sse = open(&app, &path, Some(&admin), &[]).await;
    let (id1, sub1) = sse.next_data(FRAME).await;
    let (id2, sub2) = sse.next_data(FRAME).await;
    app.publish(&admin, &results, "score", json!({"n": 1})).await;
    let (id3, score) = sse.next_data(FRAME).await;
    app.publish(&admin, &schedule, "slot", json!({"n": 2})).await;
    let (id4, slot) = sse.next_data(FRAME).await;
    drop(sse);
    app.publish(&admin, &schedule, "slot", json!({"n": 3})).await;
    let resume_from = id3.clone().unwrap();
    let mut resumed = open(&app, &path, Some(&admin), &[("Last-Event-ID", &resume_from)]).await;
    let (_, r1) = resumed.next_data(FRAME).await;
    let (_, r2) = resumed.next_data(FRAME).await;
    let replay = resumed.collect_for(millis(500)).await;

    // Assert
    assert_eq!(sub1["data"]["topic"], results.as_str(), "{sub1}");
    assert_eq!(sub2["data"]["topic"], schedule.as_str(), "{sub2}");
    let id1 = id_of(&id1, &sub1);
    let parts: Vec<&str> = id1.split(',').collect();
    assert_eq!(parts.len(), 2, "one position per topic: {id1:?}");
    let (ea, sa) = split_position(parts[0]);
    assert_eq!(parts[1], "", "blank for a topic with no position yet: {id1:?}");
    let id2 = id_of(&id2, &sub2);
    let (eb, sb) = split_position(id2.split(',').nth(1).unwrap());
    assert_eq!(id2, format!("{ea}.{sa},{eb}.{sb}"), "both positions now");
    assert_eq!(score["topic"], results.as_str(), "{score}");
    assert_eq!(
        id_of(&id3, &score),
        format!("{ea}.{},{eb}.{sb}", sa + 1),
        "results moved"
    );
    assert_eq!(slot["topic"], schedule.as_str(), "{slot}");
    assert_eq!(
        id_of(&id4, &slot),
        format!("{ea}.{},{eb}.{}", sa + 1, sb + 1),
        "schedule moved"
    );
    assert_eq!(r1["data"]["recovered"], true, "{r1}");
    assert_eq!(r2["data"]["recovered"], true, "{r2}");
    let replayed: Vec<&Value> = replay.iter().filter_map(|b| b.data.as_ref()).collect();
    let ns: Vec<&Value> = replayed.iter().map(|d| &d["data"]["n"]).collect();
    assert_eq!(ns, [2, 3], "only the two schedule slots after the id: {replayed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_stream_gets_keep_alive_comments() {
    // Arrange
    let app = TestApp::spawn_with(&[("EMCEE_SSE_KEEPALIVE_SECS", "1")]).await;
    let org = app.token("olga", "organizer").await;
    let event = app.private_event(&org, "Quiet").await;
    let mut sse = open(&app, &format!("/api/events/{event}/stream"), Some(&org), &[]).await;

    // Act
    let blocks = sse.collect_for(millis(2600)).await;

    // Assert
    let keep_alives = blocks
        .iter()
        .filter(|b| b.comments.iter().any(|c| c == "keep-alive") && b.data.is_none())
        .count();
    assert!(keep_alives >= 2, "a `: keep-alive` comment every second: {blocks:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rights_are_checked_before_the_stream_starts() {
    // Arrange
    let (app, org, event) = setup().await;
    let outsider = app.token("nina", "attendee").await;
    let member = app.token("mia", "attendee").await;
    app.add_member(&org, &event, "mia", "attendee").await;
    let team = app.create_team(&org, &event, "Red").await;
    let forged = forged_token("00000000-0000-0000-0000-000000000000", "eve", "admin");
    let unknown = "0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00";
    let cases: Vec<(String, Option<&str>, u16, &str)> = vec![
        (
            format!("/api/events/{event}/stream"),
            Some(&forged),
            401,
            "unauthorized",
        ),
        (format!("/api/events/{event}/stream"), None, 401, "unauthorized"),
        (format!("/api/events/{event}/stream"), Some(&outsider), 403, "forbidden"),
        (format!("/api/events/{unknown}/stream"), Some(&org), 404, "not_found"),
        (format!("/api/events/{event}/stream/results"), None, 401, "unauthorized"),
        (
            format!("/api/events/{event}/stream/schedule"),
            Some(&outsider),
            403,
            "forbidden",
        ),
        (format!("/api/teams/{team}/stream"), Some(&member), 403, "forbidden"),
        (format!("/api/teams/{unknown}/stream"), Some(&org), 404, "not_found"),
        (
            format!("/api/stream?topics=event:{event}:presence"),
            Some(&member),
            403,
            "forbidden",
        ),
        ("/api/stream?topics=nope".to_string(), Some(&org), 422, "invalid"),
    ];

    for (path, token, status, code) in cases {
        // Act
        let got = app.sse(&path, token, &[]).await;

        // Assert
        match got {
            Ok(sse) => panic!("{path}: expected HTTP {status}, got a stream ({})", sse.content_type),
            Err((s, body)) => {
                assert_error(s, &body, status, code);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_results_schedule_and_team_streams_open_on_their_topics() {
    // Arrange
    let (app, org, event) = setup().await;
    let admin = app.token("ada", "admin").await;
    let team = app.create_team(&org, &event, "Red").await;
    let cases = [
        (
            format!("/api/events/{event}/stream/results"),
            format!("event:{event}:results"),
        ),
        (
            format!("/api/events/{event}/stream/schedule"),
            format!("event:{event}:schedule"),
        ),
        (format!("/api/teams/{team}/stream"), format!("team:{team}")),
    ];

    for (i, (path, topic)) in cases.iter().enumerate() {
        // Act: the token as `?token=` this time.
        let mut sse = open(&app, &format!("{path}?token={org}"), None, &[]).await;
        let (_, reply) = sse.next_data(FRAME).await;
        app.publish(&admin, topic, "custom", json!({"i": i})).await;
        let (id, msg) = sse
            .next_data_matching("the custom message", FRAME, |d| d["type"] == "custom")
            .await;

        // Assert
        assert_eq!(reply["type"], "subscribed", "{path}: {reply}");
        assert_eq!(reply["data"]["topic"], topic.as_str(), "{path}: {reply}");
        assert_eq!(msg["topic"], topic.as_str(), "{path}: {msg}");
        assert_eq!(msg["data"]["i"], i, "{path}: {msg}");
        let (_, seq) = split_position(&id_of(&id, &msg));
        assert_eq!(Some(seq), msg["seq"].as_u64(), "{path}: id carries the seq");
    }
}
