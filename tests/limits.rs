//! "A server that protects itself" (docs/protocol.md): inbound rate,
//! subscriptions per connection, connections per user, message size, bad
//! input that must not cost the connection, and a slow consumer that must
//! not cost anyone else anything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;
use std::time::Duration;

async fn public_event(app: &TestApp) -> (String, String) {
    let admin = app.token("ada", "admin").await;
    let event = app.public_event(&admin, "Limits").await;
    (admin, event)
}

async fn welcomed(app: &TestApp, token: Option<&str>) -> Ws {
    let mut ws = app.ws("/ws", token).await;
    let w = ws.next_json(FRAME).await;
    assert_eq!(w["type"], "welcome", "{w}");
    ws
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_rate_limit_a_message_gets_rate_limited_and_the_connection_stays() {
    // Arrange: five client messages per minute.
    let app = TestApp::spawn_with(&[("EMCEE_WS_MESSAGES_PER_MINUTE", "5")]).await;
    let (admin, event) = public_event(&app).await;
    let topic = format!("event:{event}:results");
    let mut ws = welcomed(&app, None).await;
    ws.subscribe_ok(&topic, None, "m1").await;
    for i in 2..=5 {
        ws.assert_ping_works(&format!("m{i}")).await;
    }

    // Act: the sixth.
    ws.send_json(&json!({"type": "ping", "ref": "m6"})).await;
    let err = ws.next_of_type("error", FRAME).await;
    app.publish(&admin, &topic, "score", json!({"n": 1})).await;
    let after = ws
        .collect_until("the published score", FRAME, |f| f["type"] == "score")
        .await;

    // Assert
    assert_envelope(&err);
    assert_eq!(err["data"]["code"], "rate_limited", "{err}");
    assert!(err["data"]["message"].is_string(), "{err}");
    assert!(
        !ws.seen.iter().any(|f| f["type"] == "pong" && f["ref"] == "m6"),
        "the sixth message was dropped, not answered: {:?}",
        ws.seen
    );
    assert_eq!(
        after.last().unwrap().0["data"]["n"],
        1,
        "still connected and subscribed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_past_the_rate_limit_is_closed_with_4029() {
    // Arrange
    let app = TestApp::spawn_with(&[("EMCEE_WS_MESSAGES_PER_MINUTE", "5")]).await;
    let mut ws = welcomed(&app, None).await;

    // Act: 40 pings back to back (the server may cut us off mid-way).
    for i in 0..40 {
        if ws
            .try_send_text(&json!({"type": "ping", "ref": format!("f{i}")}).to_string())
            .await
            .is_err()
        {
            break;
        }
    }
    let (frames, close) = ws.read_until_close(secs(5)).await;

    // Assert
    let pongs = frames.iter().filter(|f| f["type"] == "pong").count();
    let limited = frames
        .iter()
        .filter(|f| f["type"] == "error" && f["data"]["code"] == "rate_limited")
        .count();
    assert_eq!(pongs, 5, "the allowance is answered: {frames:?}");
    assert_eq!(
        limited, 20,
        "20 rate_limited errors in a row, then the close: {frames:?}"
    );
    assert_eq!(close, Some(4029), "close code (frames: {frames:?})");
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_subscription_limit_a_subscribe_gets_too_many_subscriptions() {
    // Arrange: two subscriptions per connection.
    let app = TestApp::spawn_with(&[("EMCEE_WS_MAX_SUBSCRIPTIONS", "2")]).await;
    let (_admin, event) = public_event(&app).await;
    let (a, b, c) = (
        format!("event:{event}:results"),
        format!("event:{event}:schedule"),
        format!("event:{event}:announcements"),
    );
    let mut ws = welcomed(&app, None).await;
    ws.subscribe_ok(&a, None, "a").await;
    ws.subscribe_ok(&b, None, "b").await;

    // Act
    ws.send_subscribe(&c, None, "c").await;
    let refused = ws.reply_to("c", FRAME).await;
    let again = ws.subscribe_ok(&a, None, "a-again").await;
    ws.send_json(&json!({"type": "unsubscribe", "topic": b, "ref": "drop-b"}))
        .await;
    let dropped = ws.reply_to("drop-b", FRAME).await;
    let now = ws.subscribe_ok(&c, None, "c-again").await;

    // Assert
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["data"]["code"], "too_many_subscriptions", "{refused}");
    assert_eq!(
        again["data"]["topic"],
        a.as_str(),
        "a topic already held is not a new one"
    );
    assert_eq!(dropped["type"], "unsubscribed", "{dropped}");
    assert_eq!(now["data"]["topic"], c.as_str(), "room again after an unsubscribe");
    ws.assert_ping_works("still-up").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_connections_per_user_the_next_is_refused_with_4013_until_one_closes() {
    // Arrange: two connections per user.
    let app = TestApp::spawn_with(&[("EMCEE_MAX_CONNECTIONS_PER_USER", "2")]).await;
    let mia = app.token("mia", "attendee").await;
    let nina = app.token("nina", "attendee").await;
    let first = welcomed(&app, Some(&mia)).await;
    let _second = welcomed(&app, Some(&mia)).await;

    // Act + Assert: the third is refused with the documented frame and code.
    app.assert_ws_refused("/ws", Some(&mia), "too_many", 4013).await;
    let _other_user = welcomed(&app, Some(&nina)).await;
    let _anonymous = welcomed(&app, None).await;
    let sse = app.sse("/api/stream?topics=role:attendee", Some(&mia), &[]).await;
    match sse {
        Ok(_) => panic!("an SSE stream past the per-user limit must be refused"),
        Err((s, b)) => assert_error(s, &b, 429, "too_many"),
    }

    // Act: one closes; a new one is admitted (the close is asynchronous).
    first.close().await;
    let mut admitted = None;
    for _ in 0..30 {
        let mut ws = app.ws("/ws", Some(&mia)).await;
        let f = ws.next_json(FRAME).await;
        if f["type"] == "welcome" {
            admitted = Some(ws);
            break;
        }
        assert_eq!(f["data"]["code"], "too_many", "{f}");
        tokio::time::sleep(millis(100)).await;
    }

    // Assert
    let mut ws = admitted.expect("a new connection once one closed");
    ws.assert_ping_works("admitted").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_poll_past_the_connections_per_user_is_refused_with_429() {
    // Arrange
    let app = TestApp::spawn_with(&[
        ("EMCEE_MAX_CONNECTIONS_PER_USER", "2"),
        ("EMCEE_POLL_TIMEOUT_SECS", "1"),
    ])
    .await;
    let mia = app.token("mia", "attendee").await;
    let _a = welcomed(&app, Some(&mia)).await;
    let _b = welcomed(&app, Some(&mia)).await;

    // Act
    let (s, b) = app.get("/api/poll?topics=role:attendee&wait=1", Some(&mia)).await;

    // Assert: protocol.md "connections per user … (SSE/poll: HTTP 429)".
    assert_error(s, &b, 429, "too_many");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_over_the_size_limit_closes_with_1009_and_one_under_it_is_answered() {
    // Arrange
    let app = TestApp::spawn_with(&[("EMCEE_WS_MAX_MESSAGE", "1024")]).await;
    let mut ws = welcomed(&app, None).await;
    let under = json!({"type": "ping", "ref": "u".repeat(900)}).to_string();
    let over = json!({"type": "ping", "ref": "o".repeat(2000)}).to_string();

    // Act
    ws.send_text(&under).await;
    let pong = ws.next_of_type("pong", FRAME).await;
    let _ = ws.try_send_text(&over).await;
    let (_, close) = ws.read_until_close(FRAME).await;

    // Assert
    assert!(under.len() < 1024 && over.len() > 1024);
    assert_eq!(
        pong["ref"].as_str().map(str::len),
        Some(900),
        "under the limit: answered"
    );
    assert_eq!(close, Some(1009), "over the limit: closed with 1009");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_answered_with_an_error_and_the_connection_stays() {
    // Arrange
    let app = TestApp::spawn().await;
    let mut ws = welcomed(&app, None).await;
    let cases: [(&str, &str, Option<&str>); 5] = [
        ("{not json", "bad_json", None),
        (r#"{"type":"dance","ref":"d"}"#, "unknown_type", Some("d")),
        (r#"{"type":"subscribe","ref":"m"}"#, "bad_request", Some("m")),
        (r#"{"type":"subscribe","topic":"nope","ref":"t"}"#, "invalid", Some("t")),
        (
            r#"{"type":"subscribe","topic":"admin","since":{"epoch":"zz","seq":1},"ref":"s"}"#,
            "bad_request",
            Some("s"),
        ),
    ];

    for (text, code, r) in cases {
        // Act
        ws.send_text(text).await;
        let err = ws.next_of_type("error", FRAME).await;

        // Assert
        assert_eq!(err["data"]["code"], code, "{text}: {err}");
        if let Some(r) = r {
            assert_eq!(err["ref"], r, "{text}: the ref is echoed: {err}");
        }
    }
    ws.send_binary(vec![1, 2, 3]).await;
    let err = ws.next_of_type("error", FRAME).await;
    assert_eq!(err["data"]["code"], "bad_request", "binary: {err}");
    ws.assert_ping_works("still-up").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_peer_is_closed_with_1001_and_a_responsive_one_is_kept() {
    // Arrange: pings every second, peers silent for two are gone.
    let app = TestApp::spawn_with(&[("EMCEE_HEARTBEAT_SECS", "1"), ("EMCEE_CLIENT_TIMEOUT_SECS", "2")]).await;
    let mut responsive = welcomed(&app, None).await;
    let mut silent = welcomed(&app, None).await;

    // Act: one reads (and so answers the server's pings), one does not.
    let frames = responsive.collect_for(millis(3500)).await;
    let (_, close) = silent.read_until_close(secs(5)).await;

    // Assert
    assert!(
        frames.is_empty(),
        "nothing but pings for the responsive peer: {frames:?}"
    );
    assert_eq!(close, Some(1001), "heartbeat timeout closes with 1001");
    responsive.assert_ping_works("alive").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_stops_reading_small_messages_is_closed_as_a_slow_consumer() {
    // Arrange: small messages never fill the outbox, so only the silence
    // while they keep coming can tell. A raw socket, because a WebSocket
    // library would answer pings (or fail writing pongs) when it reads.
    let app = TestApp::spawn_with(&[("EMCEE_HEARTBEAT_SECS", "1"), ("EMCEE_CLIENT_TIMEOUT_SECS", "2")]).await;
    let (admin, event) = public_event(&app).await;
    let topic = format!("event:{event}:results");
    let mut stalled = raw::RawWs::connect(app.port(), "/ws").await;
    stalled
        .send_text(&json!({"type": "subscribe", "topic": topic, "ref": "s"}).to_string())
        .await;
    stalled.read_until_text_contains("\"subscribed\"", secs(5)).await;

    // Act: it stops reading while a message arrives every 200 ms or so.
    for i in 0..20 {
        app.publish(&admin, &topic, "note", json!({ "n": i })).await;
        tokio::time::sleep(millis(200)).await;
    }
    let frames = stalled.read_to_end(secs(5)).await;

    // Assert: what it was sent is there to read, then a 4008 close.
    let notes = frames
        .iter()
        .filter(|f| matches!(f, raw::Frame::Text(t) if t.contains("\"note\"")))
        .count();
    assert!(notes > 0, "the unread messages come first: {frames:?}");
    assert_eq!(
        frames.iter().find_map(|f| match f {
            raw::Frame::Close(code) => Some(*code),
            _ => None,
        }),
        Some(4008),
        "closed as a slow consumer: {frames:?}"
    );
}

/// A bare WebSocket client that never writes unless told: no automatic
/// pongs, so a test can play a client that stopped reading.
mod raw {
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    #[derive(Debug)]
    pub enum Frame {
        Text(String),
        Close(u16),
        Other,
    }

    pub struct RawWs {
        stream: TcpStream,
        buf: Vec<u8>,
    }

    impl RawWs {
        pub async fn connect(port: u16, path: &str) -> Self {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let req = format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            );
            stream.write_all(req.as_bytes()).await.unwrap();
            let mut buf = Vec::new();
            let head_end = loop {
                let mut chunk = [0u8; 1024];
                let n = stream.read(&mut chunk).await.unwrap();
                assert!(n > 0, "closed during the handshake");
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
            };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            assert!(head.starts_with("HTTP/1.1 101"), "{head}");
            buf.drain(..head_end);
            Self { stream, buf }
        }

        pub async fn send_text(&mut self, text: &str) {
            let payload = text.as_bytes();
            assert!(payload.len() < 126, "short frames only");
            let mask = [1u8, 2, 3, 4];
            let mut frame = vec![0x81, 0x80 | payload.len() as u8];
            frame.extend_from_slice(&mask);
            frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
            self.stream.write_all(&frame).await.unwrap();
        }

        /// Reads frames until a text frame holds `needle`.
        pub async fn read_until_text_contains(&mut self, needle: &str, within: Duration) {
            let deadline = tokio::time::Instant::now() + within;
            loop {
                while let Some(f) = self.parse_one() {
                    if matches!(&f, Frame::Text(t) if t.contains(needle)) {
                        return;
                    }
                }
                assert!(self.fill(deadline).await, "no frame with {needle} in time");
            }
        }

        /// Every frame until the server closes the connection.
        pub async fn read_to_end(&mut self, within: Duration) -> Vec<Frame> {
            let deadline = tokio::time::Instant::now() + within;
            let mut frames = Vec::new();
            loop {
                while let Some(f) = self.parse_one() {
                    frames.push(f);
                }
                if !self.fill(deadline).await {
                    return frames;
                }
            }
        }

        /// Reads more bytes; false at the end of the stream (or the deadline).
        async fn fill(&mut self, deadline: tokio::time::Instant) -> bool {
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    true
                }
                _ => false,
            }
        }

        fn parse_one(&mut self) -> Option<Frame> {
            let b = &self.buf;
            if b.len() < 2 {
                return None;
            }
            let opcode = b[0] & 0x0f;
            let (len, at) = match b[1] & 0x7f {
                126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
                127 if b.len() >= 10 => (u64::from_be_bytes(b[2..10].try_into().unwrap()) as usize, 10),
                126 | 127 => return None,
                n => (n as usize, 2),
            };
            if b.len() < at + len {
                return None;
            }
            let payload = b[at..at + len].to_vec();
            self.buf.drain(..at + len);
            Some(match opcode {
                1 => Frame::Text(String::from_utf8_lossy(&payload).to_string()),
                8 if payload.len() >= 2 => Frame::Close(u16::from_be_bytes([payload[0], payload[1]])),
                _ => Frame::Other,
            })
        }
    }
}

// ---------------------------------------------------------------------------
// Slow consumer
// ---------------------------------------------------------------------------

const LIVE: usize = 500;
const WITNESSES: usize = 3;
const HEAVY: u64 = 300;
const LIGHT_EVERY: u64 = 10;
const PAD: usize = 30_000;

/// Reads `want` messages of type `kind` and checks their counters run
/// 0..want in order; returns what went wrong, if anything.
async fn read_all(mut ws: Ws, kind: &'static str, want: u64, deadline: tokio::time::Instant) -> Result<Ws, String> {
    let mut next = 0;
    while next < want {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next_event(left).await {
            WsEvent::Json(f, _) if f["type"] == kind => {
                let n = f["data"]["n"].as_u64().unwrap_or(u64::MAX);
                if n != next {
                    return Err(format!("{kind} {n} when {next} was due"));
                }
                next += 1;
            }
            WsEvent::Json(..) => {}
            other => return Err(format!("{other:?} after {next} of {want} {kind}")),
        }
    }
    Ok(ws)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_stops_reading_is_dropped_and_the_others_get_everything_in_order() {
    // Arrange: 64 KiB of unread output allowed per connection.
    let app = TestApp::spawn_with(&[("EMCEE_WS_MAX_OUTBOUND", "65536")]).await;
    let (admin, event) = public_event(&app).await;
    let light = format!("event:{event}:results");
    let heavy = format!("event:{event}:schedule");
    let mut live = Vec::with_capacity(LIVE);
    for chunk in 0..LIVE / 50 {
        let batch = (0..50).map(|i| {
            let (app, light) = (&app, &light);
            async move {
                let mut ws = welcomed(app, None).await;
                ws.subscribe_ok(light, None, &format!("l{chunk}-{i}")).await;
                ws
            }
        });
        live.extend(futures_util::future::join_all(batch).await);
    }
    let mut witnesses = Vec::new();
    for i in 0..WITNESSES {
        let mut ws = welcomed(&app, None).await;
        ws.subscribe_ok(&heavy, None, &format!("w{i}")).await;
        witnesses.push(ws);
    }
    // A tiny receive buffer so the kernel does not hide that it stopped.
    let mut stalled = app.ws_small_buffer("/ws", None, 4096).await;
    stalled.next_of_type("welcome", FRAME).await;
    stalled.subscribe_ok(&light, None, "stalled-light").await;
    stalled.subscribe_ok(&heavy, None, "stalled-heavy").await;
    let baseline = app.health_connections().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    let light_n = HEAVY / LIGHT_EVERY;
    let readers: Vec<_> = live
        .into_iter()
        .map(|ws| tokio::spawn(read_all(ws, "score", light_n, deadline)))
        .chain(
            witnesses
                .into_iter()
                .map(|ws| tokio::spawn(read_all(ws, "slot", HEAVY, deadline))),
        )
        .collect();

    // Act: several MB of large messages, with small ones in between; the
    // stalled client reads nothing meanwhile.
    let pad = "x".repeat(PAD);
    for n in 0..HEAVY {
        app.publish(&admin, &heavy, "slot", json!({"n": n, "pad": pad})).await;
        if n % LIGHT_EVERY == 0 {
            app.publish(&admin, &light, "score", json!({"n": n / LIGHT_EVERY}))
                .await;
        }
    }
    let mut failures = Vec::new();
    let mut still_open = Vec::new();
    for (i, r) in readers.into_iter().enumerate() {
        match r.await.expect("reader task") {
            Ok(ws) => still_open.push(ws),
            Err(e) => failures.push(format!("reader {i}: {e}")),
        }
    }
    // Still not reading: the server must have given up on it by itself.
    let mut dropped_while_stalled = false;
    for _ in 0..50 {
        if app.health_connections().await < baseline {
            dropped_while_stalled = true;
            break;
        }
        tokio::time::sleep(millis(100)).await;
    }
    // Now read what it had been sent, up to the end.
    let mut heavy_seen = 0;
    let end = loop {
        match stalled.next_event(secs(20)).await {
            WsEvent::Json(f, _) => {
                if f["type"] == "slot" {
                    heavy_seen += 1;
                }
            }
            other => break other,
        }
    };
    let mut after = app.health_connections().await;
    for _ in 0..30 {
        if after == baseline - 1 {
            break;
        }
        tokio::time::sleep(millis(100)).await;
        after = app.health_connections().await;
    }

    // Assert
    assert!(
        failures.is_empty(),
        "{} live client(s) missed messages: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    assert!(
        matches!(end, WsEvent::Close(Some(4008)) | WsEvent::Ended(_)),
        "the stalled client finds a 4008 close or the connection closed, got {end:?}"
    );
    assert!(
        heavy_seen < HEAVY,
        "the stalled client was cut off, not served everything ({heavy_seen} of {HEAVY})"
    );
    assert_eq!(
        after,
        baseline - 1,
        "/ws/health: the stalled connection is gone, the {} others remain",
        still_open.len()
    );
    // Last: the server gave up on it by itself, not only once it read again.
    assert!(
        dropped_while_stalled,
        "the stalled session was not dropped while it stopped reading \
         (/ws/health connections stayed at {baseline}; {} MB were published to it, \
         EMCEE_WS_MAX_OUTBOUND is 64 KiB)",
        (HEAVY as usize * PAD) / 1_000_000
    );
}
