//! Announcements (docs/announcements.md) over real sockets: types,
//! priorities, targets, expiry leaving the snapshot, CRUD frames, who hears
//! what (reading every frame of those who must not), bad input, and system
//! announcements to everyone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

/// A private event with two teams: alice on red, bob on blue, jude a judge
/// member, olga the owner; nate reads nothing of it.
struct Room {
    app: TestApp,
    admin: String,
    owner: String,
    alice: String,
    bob: String,
    jude: String,
    nate: String,
    event: String,
    red: String,
    blue: String,
}

impl Room {
    async fn build() -> Room {
        let app = TestApp::spawn().await;
        let admin = app.token("ada", "admin").await;
        let owner = app.token("olga", "organizer").await;
        let alice = app.token("alice", "attendee").await;
        let bob = app.token("bob", "attendee").await;
        let jude = app.token("jude", "judge").await;
        let nate = app.token("nate", "attendee").await;
        let event = app.private_event(&owner, "Cup final").await;
        for (u, r) in [("alice", "attendee"), ("bob", "attendee"), ("jude", "judge")] {
            app.add_member(&owner, &event, u, r).await;
        }
        let red = app.create_team(&owner, &event, "Red").await;
        let blue = app.create_team(&owner, &event, "Blue").await;
        app.add_team_member(&owner, &red, "alice", "member").await;
        app.add_team_member(&owner, &blue, "bob", "member").await;
        Room {
            app,
            admin,
            owner,
            alice,
            bob,
            jude,
            nate,
            event,
            red,
            blue,
        }
    }

    fn path(&self) -> String {
        format!("/api/events/{}/announcements", self.event)
    }

    async fn create(&self, body: Value) -> Value {
        let (s, b) = self.app.post_json(&self.path(), Some(&self.owner), body).await;
        assert_eq!(s, 201, "POST announcements: {b}");
        b
    }

    /// A socket following every topic of the event the caller may follow
    /// (event, announcements, both teams, their own user topic).
    async fn follow_all(&self, token: &str) -> (Ws, Vec<String>) {
        let me = self.app.user_id(token).await;
        let mut ws = self.app.ws("/ws", Some(token)).await;
        ws.next_of_type("welcome", FRAME).await;
        let mut accepted = Vec::new();
        let topics = [
            format!("event:{}", self.event),
            format!("event:{}:announcements", self.event),
            format!("team:{}", self.red),
            format!("team:{}", self.blue),
            format!("user:{me}"),
        ];
        for (i, t) in topics.iter().enumerate() {
            ws.send_subscribe(t, None, &format!("s{i}")).await;
            let reply = ws.reply_to(&format!("s{i}"), FRAME).await;
            if reply["type"] == "subscribed" {
                accepted.push(t.clone());
            }
        }
        (ws, accepted)
    }
}

fn id_of(a: &Value) -> String {
    a["announcement_id"].as_str().expect("announcement_id").to_string()
}

/// Every frame the socket got (read so far and for `dur` more).
async fn all_frames(ws: &mut Ws, dur: std::time::Duration) -> Vec<Value> {
    ws.collect_for(dur).await;
    ws.seen.clone()
}

fn mentions(frames: &[Value], needle: &str) -> Vec<Value> {
    frames
        .iter()
        .filter(|f| f.to_string().contains(needle))
        .cloned()
        .collect()
}

/// The newest `announcements_state` seen on the socket, waiting for one
/// whose list satisfies `pred`.
async fn state_where(ws: &mut Ws, pred: impl Fn(&[Value]) -> bool) -> Value {
    ws.next_matching("announcements_state", secs(5), |f| {
        f["type"] == "announcements_state" && pred(f["data"]["announcements"].as_array().unwrap())
    })
    .await
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter().map(id_of).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_message_still_works_and_gets_the_defaults() {
    // Arrange
    let r = Room::build().await;
    let mut ws = r.app.ws(&format!("/ws/event/{}", r.event), Some(&r.alice)).await;

    // Act
    let a = r.app.announce(&r.owner, &r.event, "Doors open").await;
    let f = ws.next_of_type("announcement", FRAME).await;

    // Assert
    assert_eq!(a["type"], "general", "{a}");
    assert_eq!(a["priority"], "normal", "{a}");
    assert_eq!(a["target"], json!({"type": "event"}), "{a}");
    assert_eq!(a["expires_at"], Value::Null, "{a}");
    assert_eq!(a["author"], "olga", "{a}");
    assert_wire_time(&a["created_at"], "created_at");
    assert_envelope(&f);
    assert_has_seq(&f);
    assert_eq!(f["topic"], format!("event:{}", r.event));
    for k in [
        "announcement_id",
        "event_id",
        "round_id",
        "message",
        "author",
        "created_at",
    ] {
        assert!(f["data"].get(k).is_some(), "old field {k} kept: {f}");
    }
    assert_eq!(f["data"]["message"], "Doors open");
    assert_eq!(f["data"]["announcement_id"], a["announcement_id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_wide_announcement_reaches_every_reader_and_the_snapshot() {
    // Arrange
    let r = Room::build().await;
    let topic = format!("event:{}:announcements", r.event);
    let mut alice = r.app.ws("/ws", Some(&r.alice)).await;
    alice.subscribe_ok(&topic, None, "a").await;
    let (mut jude, _) = r.follow_all(&r.jude).await;
    let first_msg = r.create(json!({"message": "Gates open"})).await;
    let first = state_where(&mut alice, |l| l.len() == 1).await;

    // Act
    let a = r
        .create(json!({"title": "Rain", "message": "Match delayed 30 minutes",
            "type": "weather_alert", "priority": "high"}))
        .await;

    // Assert
    assert_envelope(&first);
    assert!(first["data"]["version"].as_u64().is_some(), "{first}");
    let f = alice
        .next_matching("the alert", FRAME, |f| {
            f["type"] == "announcement" && f["data"]["announcement_id"] == a["announcement_id"]
        })
        .await;
    assert_eq!(f["topic"], topic.as_str());
    assert_eq!(f["data"]["type"], "weather_alert");
    assert_eq!(f["data"]["priority"], "high");
    assert_eq!(f["data"]["title"], "Rain");
    let s = state_where(&mut alice, |l| l.len() == 2).await;
    assert_eq!(
        ids(s["data"]["announcements"].as_array().unwrap()),
        vec![id_of(&a), id_of(&first_msg)],
        "newest first"
    );
    assert!(s["data"]["version"].as_u64() > first["data"]["version"].as_u64(), "{s}");
    // The judge follows the room too and hears it on both topics.
    let mut topics = Vec::new();
    for _ in 0..2 {
        let f = jude
            .next_matching("the alert", FRAME, |f| {
                f["type"] == "announcement" && f["data"]["announcement_id"] == a["announcement_id"]
            })
            .await;
        topics.push(f["topic"].clone());
    }
    topics.sort_by_key(|t| t.to_string());
    assert_eq!(topics, vec![json!(format!("event:{}", r.event)), json!(topic)]);
    // A late subscriber gets the snapshot at once.
    let mut late = r.app.ws("/ws", Some(&r.bob)).await;
    late.subscribe_ok(&format!("event:{}:announcements", r.event), None, "l")
        .await;
    let s = state_where(&mut late, |l| l.len() == 2).await;
    assert_eq!(s["data"]["announcements"][0]["message"], "Match delayed 30 minutes");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_that_never_had_announcements_sends_no_state_and_the_last_one_going_sends_an_empty_one() {
    // Arrange
    let r = Room::build().await;
    let mut ws = r.app.ws("/ws", Some(&r.alice)).await;
    ws.subscribe_ok(&format!("event:{}:announcements", r.event), None, "a")
        .await;
    let quiet = ws.collect_for(millis(400)).await;
    let a = r.create(json!({"message": "Only one"})).await;
    state_where(&mut ws, |l| l.len() == 1).await;

    // Act
    let (s, _) = r
        .app
        .delete(&format!("/api/announcements/{}", id_of(&a)), Some(&r.owner))
        .await;

    // Assert
    assert!(quiet.is_empty(), "no state before the first announcement: {quiet:?}");
    assert_eq!(s, 204);
    state_where(&mut ws, |l| l.is_empty()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_announcement_reaches_only_that_team_and_the_organizers() {
    // Arrange
    let r = Room::build().await;
    let (mut alice, alice_topics) = r.follow_all(&r.alice).await;
    let (mut bob, bob_topics) = r.follow_all(&r.bob).await;
    let (mut jude, _) = r.follow_all(&r.jude).await;
    let (mut owner, _) = r.follow_all(&r.owner).await;
    let marker = "only-for-red-7f3a";

    // Act
    let a = r
        .create(
            json!({"message": marker, "type": "schedule_change", "priority": "urgent",
            "target": {"type": "teams", "team_ids": [r.red]}}),
        )
        .await;

    // Assert: alice on her team's topic, plus a notification.
    assert!(alice_topics.contains(&format!("team:{}", r.red)), "{alice_topics:?}");
    assert!(!bob_topics.contains(&format!("team:{}", r.red)), "{bob_topics:?}");
    assert_eq!(a["target"], json!({"type": "teams", "team_ids": [r.red]}));
    let f = alice.next_of_type("announcement", FRAME).await;
    assert_eq!(f["topic"], format!("team:{}", r.red));
    assert_eq!(f["data"]["message"], marker);
    let n = alice.next_of_type("notification", FRAME).await;
    assert_eq!(n["data"]["kind"], "announcement");
    assert_eq!(n["data"]["body"], marker);
    assert_eq!(n["data"]["data"]["announcement_id"], a["announcement_id"]);
    // The owner: on the red team topic (organizers may follow it) and a
    // copy on their own topic.
    let mut seen_on = Vec::new();
    for _ in 0..2 {
        seen_on.push(owner.next_of_type("announcement", FRAME).await["topic"].clone());
    }
    let olga = r.app.user_id(&r.owner).await;
    assert!(seen_on.contains(&json!(format!("user:{olga}"))), "{seen_on:?}");
    // Every frame bob and jude got, read to the end: none mentions it.
    for (ws, who) in [(&mut bob, "bob"), (&mut jude, "jude")] {
        let frames = all_frames(ws, millis(800)).await;
        assert!(!frames.is_empty(), "{who} got at least the welcome");
        let leaks = mentions(&frames, marker);
        assert!(leaks.is_empty(), "{who} must not see it: {leaks:?}");
        let leaks = mentions(&frames, &id_of(&a));
        assert!(leaks.is_empty(), "{who} must not see its id: {leaks:?}");
    }
    // Not in the public snapshot either.
    let alice_frames = all_frames(&mut alice, millis(200)).await;
    for f in alice_frames.iter().filter(|f| f["type"] == "announcements_state") {
        assert!(!f.to_string().contains(marker), "snapshot is whole-event only: {f}");
    }
    // REST: alice and the owner see it; bob and jude neither list nor get it.
    let one = format!("/api/announcements/{}", id_of(&a));
    for (tok, want) in [(&r.alice, 200), (&r.owner, 200), (&r.bob, 404), (&r.jude, 404)] {
        let (s, b) = r.app.get(&one, Some(tok)).await;
        assert_eq!(s, want, "{b}");
        let (s, list) = r.app.get(&r.path(), Some(tok)).await;
        assert_eq!(s, 200);
        assert_eq!(list.to_string().contains(marker), want == 200, "{list}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_announcement_reaches_only_members_with_that_role() {
    // Arrange
    let r = Room::build().await;
    let (mut alice, _) = r.follow_all(&r.alice).await;
    let (mut jude, _) = r.follow_all(&r.jude).await;
    let (mut nate, nate_topics) = r.follow_all(&r.nate).await;
    let marker = "judges-to-the-desk-91c2";

    // Act
    let a = r
        .create(json!({"message": marker, "target": {"type": "roles", "roles": ["judge"]}}))
        .await;

    // Assert
    let me = r.app.user_id(&r.jude).await;
    let f = jude.next_of_type("announcement", FRAME).await;
    assert_eq!(f["topic"], format!("user:{me}"));
    assert_eq!(f["data"]["target"], json!({"type": "roles", "roles": ["judge"]}));
    let n = jude.next_of_type("notification", FRAME).await;
    assert_eq!(n["data"]["data"]["announcement_id"], a["announcement_id"]);
    let c = jude.next_of_type("unread_count", FRAME).await;
    assert_eq!(c["data"]["unread"], 1);
    assert_eq!(nate_topics.len(), 1, "nate follows only his own topic: {nate_topics:?}");
    for (ws, who) in [(&mut alice, "alice"), (&mut nate, "nate")] {
        let frames = all_frames(ws, millis(800)).await;
        let leaks = mentions(&frames, marker);
        assert!(leaks.is_empty(), "{who} must not see it: {leaks:?}");
    }
    let (_, list) = r
        .app
        .get(&format!("{}?target=roles&role=judge", r.path()), Some(&r.jude))
        .await;
    assert_eq!(ids(list.as_array().unwrap()), vec![id_of(&a)]);
    let (_, list) = r.app.get(&format!("{}?target=roles", r.path()), Some(&r.alice)).await;
    assert_eq!(list, json!([]));
    let (s, b) = r.app.get(&r.path(), Some(&r.nate)).await;
    assert_error(s, &b, 403, "forbidden");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_announcement_expires_by_itself_and_leaves_the_snapshot() {
    // Arrange
    let r = Room::build().await;
    let mut ws = r.app.ws("/ws", Some(&r.alice)).await;
    ws.subscribe_ok(&format!("event:{}:announcements", r.event), None, "a")
        .await;
    let stays = r.create(json!({"message": "Bar is open"})).await;

    // Act
    let goes = r
        .create(json!({"message": "Kick-off in one second", "expires_in_secs": 1, "priority": "urgent"}))
        .await;
    let both = state_where(&mut ws, |l| l.len() == 2).await;
    let (s, active_before) = r.app.get(&format!("{}?active=true", r.path()), Some(&r.alice)).await;

    // Assert
    assert_eq!(s, 200);
    assert_eq!(active_before.as_array().unwrap().len(), 2);
    assert_wire_time(&goes["expires_at"], "expires_at");
    let expiry = time_of(&goes["expires_at"]);
    let gone = ws.next_of_type("announcement_expired", secs(5)).await;
    assert_eq!(gone["data"]["announcement_id"], goes["announcement_id"]);
    assert_has_seq(&gone);
    assert!(chrono::Utc::now() >= expiry, "not before its deadline");
    let after = state_where(&mut ws, |l| l.len() == 1).await;
    assert_eq!(
        ids(after["data"]["announcements"].as_array().unwrap()),
        vec![id_of(&stays)]
    );
    assert!(after["data"]["version"].as_u64() > both["data"]["version"].as_u64());
    let (_, active) = r.app.get(&format!("{}?active=true", r.path()), Some(&r.alice)).await;
    assert_eq!(ids(active.as_array().unwrap()), vec![id_of(&stays)]);
    let (_, expired) = r.app.get(&format!("{}?active=false", r.path()), Some(&r.alice)).await;
    assert_eq!(ids(expired.as_array().unwrap()), vec![id_of(&goes)]);
    // A new subscriber's snapshot no longer has it.
    let mut late = r.app.ws("/ws", Some(&r.bob)).await;
    late.subscribe_ok(&format!("event:{}:announcements", r.event), None, "l")
        .await;
    let s = state_where(&mut late, |_| true).await;
    assert_eq!(ids(s["data"]["announcements"].as_array().unwrap()), vec![id_of(&stays)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_and_deletes_are_pushed_and_the_snapshot_follows() {
    // Arrange
    let r = Room::build().await;
    let mut ws = r.app.ws("/ws", Some(&r.bob)).await;
    ws.subscribe_ok(&format!("event:{}:announcements", r.event), None, "a")
        .await;
    let a = r
        .create(json!({"message": "Final at 3pm", "type": "schedule_change"}))
        .await;
    let one = format!("/api/announcements/{}", id_of(&a));

    // Act
    let (s, patched) = r
        .app
        .patch_json(
            &one,
            Some(&r.owner),
            json!({"message": "Final at 4pm", "priority": "high", "title": "Moved"}),
        )
        .await;
    let updated = ws.next_of_type("announcement_updated", FRAME).await;
    let s1 = state_where(&mut ws, |l| l.first().is_some_and(|a| a["message"] == "Final at 4pm")).await;
    let (sd, _) = r.app.delete(&one, Some(&r.owner)).await;
    let deleted = ws.next_of_type("announcement_deleted", FRAME).await;
    let s2 = state_where(&mut ws, |l| l.is_empty()).await;

    // Assert
    assert_eq!(s, 200, "{patched}");
    assert_eq!(patched["priority"], "high");
    assert_eq!(patched["type"], "schedule_change", "unchanged fields stay");
    assert_wire_time(&patched["updated_at"], "updated_at");
    assert_eq!(updated["data"]["title"], "Moved");
    assert_eq!(s1["data"]["announcements"][0]["priority"], "high");
    assert_eq!(sd, 204);
    assert_eq!(deleted["data"]["announcement_id"], a["announcement_id"]);
    assert!(s2["data"]["version"].as_u64() > s1["data"]["version"].as_u64());
    let (s, b) = r.app.get(&one, Some(&r.owner)).await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = r.app.delete(&one, Some(&r.owner)).await;
    assert_error(s, &b, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_filters_by_type_priority_and_team() {
    // Arrange
    let r = Room::build().await;
    let g = r.create(json!({"message": "a"})).await;
    let w = r
        .create(json!({"message": "b", "type": "weather_alert", "priority": "urgent"}))
        .await;
    let t = r
        .create(json!({"message": "c", "target": {"type": "teams", "team_ids": [r.blue, r.red]}}))
        .await;

    // Act
    let q = |s: &str| format!("{}?{s}", r.path());
    let (_, by_type) = r.app.get(&q("type=weather_alert"), Some(&r.owner)).await;
    let (_, by_priority) = r.app.get(&q("priority=normal"), Some(&r.owner)).await;
    let (_, by_team) = r.app.get(&q(&format!("team={}", r.blue)), Some(&r.owner)).await;
    let (_, event_only) = r.app.get(&q("target=event"), Some(&r.owner)).await;
    let (_, all) = r.app.get(&r.path(), Some(&r.owner)).await;

    // Assert
    assert_eq!(ids(by_type.as_array().unwrap()), vec![id_of(&w)]);
    assert_eq!(ids(by_priority.as_array().unwrap()), vec![id_of(&t), id_of(&g)]);
    assert_eq!(ids(by_team.as_array().unwrap()), vec![id_of(&t)]);
    assert_eq!(ids(event_only.as_array().unwrap()), vec![id_of(&w), id_of(&g)]);
    assert_eq!(all.as_array().unwrap().len(), 3, "newest first, all for the owner");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_and_wrong_callers_are_refused_clearly() {
    // Arrange
    let r = Room::build().await;
    let other = r.app.private_event(&r.owner, "Other").await;
    let foreign_team = r.app.create_team(&r.owner, &other, "Foreign").await;
    let past = (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339();
    let a = r.create(json!({"message": "x"})).await;
    let one = format!("/api/announcements/{}", id_of(&a));

    // Act + Assert
    for (body, status, code) in [
        (json!({"message": "x", "type": "tsunami"}), 422, "invalid"),
        (json!({"message": "x", "priority": "meh"}), 422, "invalid"),
        (json!({"message": "x", "expires_at": past}), 422, "invalid"),
        (json!({"message": "x", "expires_in_secs": 0}), 422, "invalid"),
        (json!({"message": "x", "expires_in_secs": 1.5}), 422, "invalid"),
        (
            json!({"message": "x", "expires_in_secs": 5, "expires_at": "2999-01-01T00:00:00Z"}),
            422,
            "invalid",
        ),
        (
            json!({"message": "x", "target": {"type": "teams", "team_ids": [foreign_team]}}),
            422,
            "invalid",
        ),
        (
            json!({"message": "x", "target": {"type": "teams", "team_ids": ["0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00"]}}),
            422,
            "invalid",
        ),
        (
            json!({"message": "x", "target": {"type": "teams", "team_ids": []}}),
            422,
            "invalid",
        ),
        (
            json!({"message": "x", "target": {"type": "roles", "roles": ["king"]}}),
            422,
            "invalid",
        ),
        (json!({"message": "x", "target": {"type": "planet"}}), 422, "invalid"),
        (
            json!({"message": "x", "target": {"type": "event", "roles": ["judge"]}}),
            422,
            "invalid",
        ),
        (json!({"message": "   "}), 422, "invalid"),
        (json!({"message": "x", "colour": "red"}), 400, "bad_json"),
        (json!({"title": "no message"}), 400, "bad_json"),
    ] {
        let (s, b) = r.app.post_json(&r.path(), Some(&r.owner), body.clone()).await;
        assert_error(s, &b, status, code);
    }
    let (s, b) = r.app.post_raw(&r.path(), Some(&r.owner), "{not json").await;
    assert_error(s, &b, 400, "bad_json");
    for (tok, status, code) in [(Some(&r.alice), 403, "forbidden"), (None, 401, "unauthorized")] {
        let (s, b) = r
            .app
            .post_json(&r.path(), tok.map(|t| t.as_str()), json!({"message": "x"}))
            .await;
        assert_error(s, &b, status, code);
        let (s, b) = r
            .app
            .patch_json(&one, tok.map(|t| t.as_str()), json!({"message": "y"}))
            .await;
        assert_error(s, &b, status, code);
        let (s, b) = r.app.delete(&one, tok.map(|t| t.as_str())).await;
        assert_error(s, &b, status, code);
    }
    let (s, b) = r
        .app
        .patch_json(&one, Some(&r.owner), json!({"expires_at": past}))
        .await;
    assert_error(s, &b, 422, "invalid");
    let (s, b) = r.app.patch_json(&one, Some(&r.owner), json!({"type": "nope"})).await;
    assert_error(s, &b, 422, "invalid");
    let (s, b) = r
        .app
        .patch_json(&one, Some(&r.owner), json!({"target": {"type": "event"}}))
        .await;
    assert_error(s, &b, 400, "bad_json");
    let unknown = "0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00";
    let (s, b) = r
        .app
        .patch_json(
            &format!("/api/announcements/{unknown}"),
            Some(&r.owner),
            json!({"message": "y"}),
        )
        .await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = r
        .app
        .post_json(
            &format!("/api/events/{unknown}/announcements"),
            Some(&r.owner),
            json!({"message": "x"}),
        )
        .await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = r.app.get(&format!("{}?type=nope", r.path()), Some(&r.owner)).await;
    assert_error(s, &b, 422, "invalid");
    let (s, b) = r.app.get(&format!("{}?colour=red", r.path()), Some(&r.owner)).await;
    assert_error(s, &b, 422, "invalid");
    let (s, b) = r.app.get(&r.path(), None).await;
    assert_error(s, &b, 401, "unauthorized");
    let (s, b) = r.app.get(&one, Some(&r.nate)).await;
    assert_error(s, &b, 403, "forbidden");
    // Nothing above reached the list.
    let (_, all) = r.app.get(&r.path(), Some(&r.owner)).await;
    assert_eq!(ids(all.as_array().unwrap()), vec![id_of(&a)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn system_announcements_reach_everyone_and_only_admins_send_them() {
    // Arrange
    let r = Room::build().await;
    let mut anon = r.app.ws("/ws", None).await;
    anon.subscribe_ok("system", None, "s").await;
    let mut nate = r.app.ws("/ws", Some(&r.nate)).await;
    nate.subscribe_ok("system", None, "s").await;

    // Act
    let (s, a) = r
        .app
        .post_json(
            "/api/admin/announcements",
            Some(&r.admin),
            json!({"message": "Maintenance at midnight", "type": "general", "priority": "high", "expires_in_secs": 600}),
        )
        .await;

    // Assert
    assert_eq!(s, 201, "{a}");
    for ws in [&mut anon, &mut nate] {
        let f = ws.next_of_type("system_announcement", FRAME).await;
        assert_envelope(&f);
        assert_has_seq(&f);
        assert_eq!(f["topic"], "system");
        assert_eq!(f["data"]["message"], "Maintenance at midnight");
        assert_eq!(f["data"]["priority"], "high");
    }
    for (tok, status, code) in [
        (Some(r.owner.as_str()), 403, "forbidden"),
        (Some(r.nate.as_str()), 403, "forbidden"),
        (None, 401, "unauthorized"),
    ] {
        let (s, b) = r
            .app
            .post_json("/api/admin/announcements", tok, json!({"message": "x"}))
            .await;
        assert_error(s, &b, status, code);
        let (s, b) = r.app.get("/api/admin/announcements", tok).await;
        assert_error(s, &b, status, code);
    }
    let (s, b) = r
        .app
        .post_json(
            "/api/admin/announcements",
            Some(&r.admin),
            json!({"message": "x", "priority": "loud"}),
        )
        .await;
    assert_error(s, &b, 422, "invalid");
    let (s, public) = r.app.get("/api/system/announcements", None).await;
    assert_eq!(s, 200);
    assert_eq!(ids(public.as_array().unwrap()), vec![id_of(&a)]);
    let (s, listed) = r.app.get("/api/admin/announcements?active=true", Some(&r.admin)).await;
    assert_eq!(s, 200);
    assert_eq!(ids(listed.as_array().unwrap()), vec![id_of(&a)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_readers_of_a_public_event_see_whole_event_ones_only() {
    // Arrange
    let app = TestApp::spawn().await;
    let owner = app.token("olga", "organizer").await;
    let event = app.public_event(&owner, "Open day").await;
    let team = app.create_team(&owner, &event, "Crew").await;
    let path = format!("/api/events/{event}/announcements");
    let mut anon = app.ws("/ws", None).await;
    anon.subscribe_ok(&format!("event:{event}:announcements"), None, "a")
        .await;

    // Act
    let (_, open) = app
        .post_json(&path, Some(&owner), json!({"message": "Welcome all"}))
        .await;
    let (_, crew) = app
        .post_json(
            &path,
            Some(&owner),
            json!({"message": "crew-only-3b8d", "target": {"type": "teams", "team_ids": [team]}}),
        )
        .await;
    let s = state_where(&mut anon, |l| l.len() == 1).await;
    let (status, list) = app.get(&path, None).await;

    // Assert
    assert_eq!(ids(s["data"]["announcements"].as_array().unwrap()), vec![id_of(&open)]);
    assert_eq!(status, 200);
    assert_eq!(ids(list.as_array().unwrap()), vec![id_of(&open)]);
    let (status, b) = app.get(&format!("/api/announcements/{}", id_of(&crew)), None).await;
    assert_error(status, &b, 404, "not_found");
    anon.collect_for(millis(500)).await;
    let leaks = mentions(&anon.seen, "crew-only-3b8d");
    assert!(leaks.is_empty(), "anonymous must not see it: {leaks:?}");
}
