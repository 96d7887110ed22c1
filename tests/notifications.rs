//! Notifications (docs/announcements.md): stored per user, pushed to
//! `user:{id}` with a versioned `unread_count` state, listed and marked read
//! over REST, and seen by nobody else.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

/// olga owns a private event; alice (team red) and bob (team blue) attend,
/// jude judges; nate is no member.
struct Room {
    app: TestApp,
    owner: String,
    alice: String,
    bob: String,
    jude: String,
    nate: String,
    event: String,
    red: String,
}

impl Room {
    async fn build() -> Room {
        let app = TestApp::spawn().await;
        let owner = app.token("olga", "organizer").await;
        let alice = app.token("alice", "attendee").await;
        let bob = app.token("bob", "attendee").await;
        let jude = app.token("jude", "judge").await;
        let nate = app.token("nate", "attendee").await;
        let event = app.private_event(&owner, "Pageant").await;
        for (u, r) in [("alice", "attendee"), ("bob", "attendee"), ("jude", "judge")] {
            app.add_member(&owner, &event, u, r).await;
        }
        let red = app.create_team(&owner, &event, "Red").await;
        let blue = app.create_team(&owner, &event, "Blue").await;
        app.add_team_member(&owner, &red, "alice", "member").await;
        app.add_team_member(&owner, &blue, "bob", "member").await;
        Room {
            app,
            owner,
            alice,
            bob,
            jude,
            nate,
            event,
            red,
        }
    }

    async fn send(&self, body: Value) -> Value {
        let (s, b) = self
            .app
            .post_json(
                &format!("/api/events/{}/notifications", self.event),
                Some(&self.owner),
                body,
            )
            .await;
        assert_eq!(s, 201, "POST notifications: {b}");
        b
    }

    /// A socket on the caller's own topic, past its first `unread_count`.
    async fn inbox(&self, token: &str) -> (Ws, Value) {
        let me = self.app.user_id(token).await;
        let mut ws = self.app.ws("/ws", Some(token)).await;
        ws.subscribe_ok(&format!("user:{me}"), None, "u").await;
        let count = ws.next_of_type("unread_count", FRAME).await;
        (ws, count)
    }

    async fn mine(&self, token: &str, query: &str) -> Value {
        let (s, b) = self.app.get(&format!("/api/notifications{query}"), Some(token)).await;
        assert_eq!(s, 200, "GET notifications: {b}");
        b
    }
}

fn nid(n: &Value) -> String {
    n["notification_id"].as_str().expect("notification_id").to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organizer_notification_is_stored_pushed_and_counted_for_its_recipients_only() {
    // Arrange
    let r = Room::build().await;
    let (mut alice, c0) = r.inbox(&r.alice).await;
    let (mut bob, _) = r.inbox(&r.bob).await;
    let marker = "red-team-to-stage-2-4d1e";

    // Act
    let sent = r
        .send(json!({"title": "Stage call", "body": marker, "data": {"stage": 2},
            "target": {"type": "teams", "team_ids": [r.red]}}))
        .await;

    // Assert
    assert_eq!(sent["sent"], 1);
    assert_eq!(c0["data"]["unread"], 0, "{c0}");
    let n = alice.next_of_type("notification", FRAME).await;
    assert_envelope(&n);
    assert_has_seq(&n);
    assert_eq!(n["data"]["kind"], "message");
    assert_eq!(n["data"]["title"], "Stage call");
    assert_eq!(n["data"]["body"], marker);
    assert_eq!(n["data"]["data"], json!({"stage": 2}));
    assert_eq!(n["data"]["read"], false);
    assert_eq!(n["data"]["event_id"], r.event.as_str());
    assert_wire_time(&n["data"]["created_at"], "created_at");
    let c1 = alice.next_of_type("unread_count", FRAME).await;
    assert_eq!(c1["data"]["unread"], 1);
    assert!(c1["data"]["version"].as_u64() > c0["data"]["version"].as_u64(), "{c1}");
    // Every frame bob got: nothing of it.
    bob.collect_for(millis(700)).await;
    let leaks: Vec<&Value> = bob.seen.iter().filter(|f| f.to_string().contains(marker)).collect();
    assert!(leaks.is_empty(), "bob must not see it: {leaks:?}");
    assert!(!bob.seen.iter().any(|f| f["type"] == "notification"), "{:?}", bob.seen);
    let list = r.mine(&r.alice, "").await;
    assert_eq!(list["unread"], 1);
    assert_eq!(list["notifications"][0]["body"], marker);
    let list = r.mine(&r.bob, "").await;
    assert_eq!(list["notifications"], json!([]));
    assert_eq!(list["unread"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn everyone_and_role_targets_reach_the_right_members() {
    // Arrange
    let r = Room::build().await;

    // Act
    let all = r.send(json!({"title": "Welcome", "body": "Hello all"})).await;
    let judges = r
        .send(json!({"title": "Judges", "body": "Briefing", "target": {"type": "roles", "roles": ["judge"]}}))
        .await;

    // Assert
    assert_eq!(all["sent"], 3, "alice, bob, jude");
    assert_eq!(judges["sent"], 1);
    for (tok, want) in [(&r.alice, 1), (&r.bob, 1), (&r.jude, 2), (&r.nate, 0), (&r.owner, 0)] {
        let (s, b) = r.app.get("/api/notifications/unread-count", Some(tok)).await;
        assert_eq!(s, 200);
        assert_eq!(b["unread"], want, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn marking_read_and_deleting_move_the_count_live() {
    // Arrange
    let r = Room::build().await;
    for i in 0..3 {
        r.send(json!({"title": format!("n{i}"), "body": "b"})).await;
    }
    let (mut ws, c0) = r.inbox(&r.alice).await;
    let list = r.mine(&r.alice, "").await;
    let newest = nid(&list["notifications"][0]);
    let oldest = nid(&list["notifications"][2]);

    // Act
    let (s, read) = r
        .app
        .post(&format!("/api/notifications/{newest}/read"), Some(&r.alice))
        .await;
    let c1 = ws.next_of_type("unread_count", FRAME).await;
    let (s2, _) = r
        .app
        .delete(&format!("/api/notifications/{oldest}"), Some(&r.alice))
        .await;
    let c2 = ws.next_of_type("unread_count", FRAME).await;
    let (s3, all) = r.app.post("/api/notifications/read-all", Some(&r.alice)).await;
    let c3 = ws.next_of_type("unread_count", FRAME).await;

    // Assert
    assert_eq!(c0["data"]["unread"], 3, "the first state is the stored count: {c0}");
    assert_eq!(s, 200);
    assert_eq!(read["read"], true);
    assert_wire_time(&read["read_at"], "read_at");
    assert_eq!(c1["data"]["unread"], 2);
    assert_eq!(s2, 204);
    assert_eq!(c2["data"]["unread"], 1);
    assert_eq!(s3, 200);
    assert_eq!(all["marked"], 1);
    assert_eq!(c3["data"]["unread"], 0);
    let versions: Vec<u64> = [&c0, &c1, &c2, &c3]
        .iter()
        .map(|c| c["data"]["version"].as_u64().unwrap())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    let list = r.mine(&r.alice, "").await;
    assert_eq!(list["notifications"].as_array().unwrap().len(), 2);
    assert_eq!(r.mine(&r.alice, "?unread=true").await["notifications"], json!([]));
    // Reading again keeps the first read time.
    let (_, again) = r
        .app
        .post(&format!("/api/notifications/{newest}/read"), Some(&r.alice))
        .await;
    assert_eq!(again["read_at"], read["read_at"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_page_backwards_with_before() {
    // Arrange
    let r = Room::build().await;
    for i in 0..5 {
        r.send(json!({"title": format!("n{i}"), "body": "b"})).await;
    }

    // Act
    let p1 = r.mine(&r.bob, "?limit=2").await;
    let p2 = r
        .mine(
            &r.bob,
            &format!("?limit=2&before={}", p1["next_before"].as_str().unwrap()),
        )
        .await;
    let p3 = r
        .mine(
            &r.bob,
            &format!("?limit=2&before={}", p2["next_before"].as_str().unwrap()),
        )
        .await;

    // Assert
    let titles = |p: &Value| -> Vec<String> {
        p["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["title"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(titles(&p1), ["n4", "n3"]);
    assert_eq!(titles(&p2), ["n2", "n1"]);
    assert_eq!(titles(&p3), ["n0"]);
    assert_eq!(p3["next_before"], Value::Null);
    assert_eq!(p1["unread"], 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_else_sees_or_touches_my_notifications() {
    // Arrange
    let r = Room::build().await;
    r.send(json!({"title": "t", "body": "for alice", "target": {"type": "teams", "team_ids": [r.red]}}))
        .await;
    let alice_id = r.app.user_id(&r.alice).await;
    let n = nid(&r.mine(&r.alice, "").await["notifications"][0]);

    // Act + Assert: 404 (not 403) for someone else's id, as for an unknown one.
    for tok in [&r.bob, &r.owner] {
        let (s, b) = r.app.post(&format!("/api/notifications/{n}/read"), Some(tok)).await;
        assert_error(s, &b, 404, "not_found");
        let (s, b) = r.app.delete(&format!("/api/notifications/{n}"), Some(tok)).await;
        assert_error(s, &b, 404, "not_found");
        let (s, b) = r.app.get(&format!("/api/notifications?before={n}"), Some(tok)).await;
        assert_error(s, &b, 404, "not_found");
        let mut ws = r.app.ws("/ws", Some(tok)).await;
        ws.send_subscribe(&format!("user:{alice_id}"), None, "x").await;
        let reply = ws.reply_to("x", FRAME).await;
        assert_eq!(reply["type"], "error", "{reply}");
        assert_eq!(reply["data"]["code"], "forbidden", "{reply}");
    }
    for path in ["/api/notifications", "/api/notifications/unread-count"] {
        let (s, b) = r.app.get(path, None).await;
        assert_error(s, &b, 401, "unauthorized");
    }
    let (s, b) = r.app.post(&format!("/api/notifications/{n}/read"), None).await;
    assert_error(s, &b, 401, "unauthorized");
    // Still unread for alice: nobody else marked it.
    assert_eq!(r.mine(&r.alice, "").await["unread"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_clearly() {
    // Arrange
    let r = Room::build().await;
    let path = format!("/api/events/{}/notifications", r.event);

    // Act + Assert
    for (q, status, code) in [
        ("?limit=0", 422, "invalid"),
        ("?limit=1.5", 422, "invalid"),
        ("?limit=201", 422, "invalid"),
        ("?unread=maybe", 422, "invalid"),
        ("?colour=red", 422, "invalid"),
        ("?before=0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00", 404, "not_found"),
    ] {
        let (s, b) = r.app.get(&format!("/api/notifications{q}"), Some(&r.alice)).await;
        assert_error(s, &b, status, code);
    }
    for (body, status, code) in [
        (json!({"title": "", "body": "b"}), 422, "invalid"),
        (json!({"title": "t", "body": "b", "data": [1, 2]}), 422, "invalid"),
        (json!({"title": "t\u{0}", "body": "b"}), 422, "invalid"),
        (
            json!({"title": "t", "body": "b", "data": {"x": "a\u{0}b"}}),
            422,
            "invalid",
        ),
        (
            json!({"title": "t", "body": "b", "target": {"type": "roles", "roles": ["king"]}}),
            422,
            "invalid",
        ),
        (json!({"title": "t", "body": "b", "kind": "x"}), 400, "bad_json"),
        (json!({"title": "t"}), 400, "bad_json"),
    ] {
        let (s, b) = r.app.post_json(&path, Some(&r.owner), body).await;
        assert_error(s, &b, status, code);
    }
    for (tok, status, code) in [
        (Some(r.alice.as_str()), 403, "forbidden"),
        (Some(r.nate.as_str()), 403, "forbidden"),
        (None, 401, "unauthorized"),
    ] {
        let (s, b) = r.app.post_json(&path, tok, json!({"title": "t", "body": "b"})).await;
        assert_error(s, &b, status, code);
    }
    let (s, b) = r
        .app
        .post(
            "/api/notifications/0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00/read",
            Some(&r.alice),
        )
        .await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = r.app.post("/api/notifications/not-an-id/read", Some(&r.alice)).await;
    assert_error(s, &b, 404, "not_found");
    // Nothing above notified anyone.
    assert_eq!(r.mine(&r.alice, "").await["unread"], 0);
}
