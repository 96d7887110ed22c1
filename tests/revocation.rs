//! Rights are checked again whenever they change (docs/protocol.md "Topics
//! and who may follow them"): a removed member, a removed team member, a
//! demoted organizer or an event turned private loses the affected live
//! subscriptions at once, with `unsubscribed` and `reason: access_revoked`,
//! and gets nothing more of them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

async fn welcomed(app: &TestApp, token: Option<&str>) -> Ws {
    let mut ws = app.ws("/ws", token).await;
    ws.next_of_type("welcome", FRAME).await;
    ws
}

/// Reads until an `unsubscribed` for each of `topics` arrived (in any
/// order); returns them.
async fn revoked(ws: &mut Ws, topics: &[String]) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + secs(3);
    let mut out: Vec<Value> = Vec::new();
    while out.len() < topics.len() {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let f = ws
            .next_matching(&format!("unsubscribed from each of {topics:?}"), left, |f| {
                f["type"] == "unsubscribed"
            })
            .await;
        let t = f["data"]["topic"].as_str().unwrap_or("").to_string();
        assert!(topics.contains(&t), "unsubscribed from an unaffected topic: {f}");
        assert!(
            !out.iter().any(|o| o["data"]["topic"] == t.as_str()),
            "unsubscribed twice: {f}"
        );
        out.push(f);
    }
    out
}

fn assert_revoked(frames: &[Value]) {
    for f in frames {
        assert_envelope(f);
        assert_eq!(f["data"]["reason"], "access_revoked", "{f}");
        assert!(
            f.get("ref").is_none_or(Value::is_null),
            "the server did it, no ref: {f}"
        );
    }
}

fn of_topics<'a>(frames: &'a [Value], topics: &[String]) -> Vec<&'a Value> {
    frames
        .iter()
        .filter(|f| f["topic"].as_str().is_some_and(|t| topics.iter().any(|x| x == t)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_member_loses_the_event_and_its_rounds_at_once() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let mia = app.token("mia", "attendee").await;
    let event = app.private_event(&org, "Members only").await;
    app.add_member(&org, &event, "mia", "attendee").await;
    let round = app.create_round(&org, &event, 120, 0).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let topics = vec![format!("event:{event}"), format!("round:{round}")];
    let mut ws = welcomed(&app, Some(&mia)).await;
    for (i, t) in topics.iter().enumerate() {
        ws.subscribe_ok(t, None, &format!("s{i}")).await;
    }
    let mut organizer = welcomed(&app, Some(&org)).await;
    for (i, t) in topics.iter().enumerate() {
        organizer.subscribe_ok(t, None, &format!("o{i}")).await;
    }

    // Act
    app.remove_member(&org, &event, "mia").await;
    let gone = revoked(&mut ws, &topics).await;
    app.announce(&org, &event, "after mia left").await;
    app.start_round(&org, &round).await;
    organizer
        .next_matching("the round start on the round topic", FRAME, |f| {
            f["type"] == "round_started" && f["topic"] == topics[1].as_str()
        })
        .await;
    let after = ws.collect_for(millis(800)).await;

    // Assert
    assert_revoked(&gone);
    assert!(
        of_topics(&after, &topics).is_empty(),
        "nothing more of the event after the revocation: {after:?}"
    );
    ws.send_subscribe(&topics[0], None, "again").await;
    let refused = ws.reply_to("again", FRAME).await;
    assert_eq!(refused["data"]["code"], "forbidden", "and no way back in: {refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_removed_from_a_team_loses_the_team_topic_but_keeps_the_event() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let admin = app.token("ada", "admin").await;
    let tom = app.token("tom", "attendee").await;
    let event = app.private_event(&org, "Teams").await;
    app.add_member(&org, &event, "tom", "attendee").await;
    let team = app.create_team(&org, &event, "Red").await;
    app.add_team_member(&org, &team, "tom", "member").await;
    let team_topic = format!("team:{team}");
    let event_topic = format!("event:{event}");
    let mut ws = welcomed(&app, Some(&tom)).await;
    ws.subscribe_ok(&team_topic, None, "team").await;
    ws.subscribe_ok(&event_topic, None, "event").await;

    // Act
    let (s, b) = app.delete(&format!("/api/teams/{team}/members/tom"), Some(&org)).await;
    assert_eq!(s, 204, "DELETE team member: {b}");
    let gone = revoked(&mut ws, std::slice::from_ref(&team_topic)).await;
    app.publish(&admin, &team_topic, "team_note", json!({"secret": true}))
        .await;
    app.announce(&org, &event, "still for tom").await;
    let ann = ws.next_of_type("announcement", FRAME).await;
    let after = ws.collect_for(millis(500)).await;

    // Assert
    assert_revoked(&gone);
    assert_eq!(ann["topic"], event_topic.as_str(), "the event stays: {ann}");
    let team_frames: Vec<&Value> = ws
        .seen
        .iter()
        .filter(|f| f["topic"] == team_topic.as_str() && f["type"] == "team_note")
        .collect();
    assert!(
        team_frames.is_empty(),
        "no team message after the removal: {team_frames:?}"
    );
    assert!(
        !after.iter().any(|f| f["type"] == "unsubscribed"),
        "only the team topic was revoked: {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_removed_from_a_private_event_loses_its_teams_too() {
    // Arrange: tom stays on the team after he is removed from the event.
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let tom = app.token("tom", "attendee").await;
    let event = app.private_event(&org, "Teams").await;
    app.add_member(&org, &event, "tom", "attendee").await;
    let team = app.create_team(&org, &event, "Red").await;
    app.add_team_member(&org, &team, "tom", "member").await;
    let team_topic = format!("team:{team}");
    let mut ws = welcomed(&app, Some(&tom)).await;
    ws.subscribe_ok(&team_topic, None, "team").await;

    // Act
    app.remove_member(&org, &event, "tom").await;
    let gone = revoked(&mut ws, std::slice::from_ref(&team_topic)).await;
    let (s, b) = app
        .post_json(
            &format!("/api/events/{event}/announcements"),
            Some(&org),
            json!({"message": "team only", "target": {"type": "teams", "team_ids": [team]}}),
        )
        .await;
    assert_eq!(s, 201, "team announcement: {b}");
    let after = ws.collect_for(millis(800)).await;
    ws.send_subscribe(&team_topic, None, "again").await;
    let refused = ws.reply_to("again", FRAME).await;
    let (_, count) = app.get("/api/notifications/unread-count", Some(&tom)).await;

    // Assert
    assert_revoked(&gone);
    assert!(
        !after
            .iter()
            .any(|f| f["type"].as_str().is_some_and(|t| t.starts_with("announcement"))),
        "nothing of the event reaches him: {after:?}"
    );
    assert_eq!(refused["data"]["code"], "forbidden", "{refused}");
    assert_eq!(count["unread"], 0, "no notification either: {count}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_demoted_organizer_loses_the_presence_topic_but_keeps_the_event() {
    // Arrange
    let app = TestApp::spawn().await;
    let owner = app.token("olga", "organizer").await;
    let orla = app.token("orla", "organizer").await;
    let event = app.private_event(&owner, "Demotion").await;
    app.add_member(&owner, &event, "orla", "organizer").await;
    let presence = format!("event:{event}:presence");
    let room = format!("event:{event}");
    let mut ws = welcomed(&app, Some(&orla)).await;
    ws.subscribe_ok(&presence, None, "p").await;
    ws.subscribe_ok(&room, None, "r").await;

    // Act: the same membership, as attendee now.
    app.add_member(&owner, &event, "orla", "attendee").await;
    let gone = revoked(&mut ws, std::slice::from_ref(&presence)).await;
    app.announce(&owner, &event, "for attendees too").await;
    let ann = ws.next_of_type("announcement", FRAME).await;

    // Assert
    assert_revoked(&gone);
    assert_eq!(ann["topic"], room.as_str(), "{ann}");
    let unsubscribed: Vec<&Value> = ws.seen.iter().filter(|f| f["type"] == "unsubscribed").collect();
    assert_eq!(unsubscribed.len(), 1, "only presence went: {unsubscribed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn turning_a_public_event_private_revokes_anonymous_subscribers_only() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let event = app.public_event(&org, "Going private").await;
    let topics = vec![format!("event:{event}"), format!("event:{event}:results")];
    let mut anon = welcomed(&app, None).await;
    for (i, t) in topics.iter().enumerate() {
        anon.subscribe_ok(t, None, &format!("a{i}")).await;
    }
    let mut screen = app.ws(&format!("/ws/event/{event}"), None).await;
    screen.next_of_type("connected", FRAME).await;
    screen.next_of_type("subscribed", FRAME).await;
    let mut owner = welcomed(&app, Some(&org)).await;
    owner.subscribe_ok(&topics[0], None, "o").await;

    // Act
    let (s, b) = app
        .patch_json(
            &format!("/api/events/{event}"),
            Some(&org),
            json!({"visibility": "private"}),
        )
        .await;
    assert_eq!(s, 200, "PATCH visibility: {b}");
    let gone = revoked(&mut anon, &topics).await;
    let screen_gone = revoked(&mut screen, &topics[..1]).await;
    app.announce(&org, &event, "members only now").await;
    let owner_ann = owner.next_of_type("announcement", FRAME).await;
    let anon_after = anon.collect_for(millis(500)).await;
    let screen_after = screen.collect_for(millis(200)).await;

    // Assert
    assert_revoked(&gone);
    assert_revoked(&screen_gone);
    assert_eq!(owner_ann["data"]["message"], "members only now", "the owner keeps it");
    assert!(
        !owner.seen.iter().any(|f| f["type"] == "unsubscribed"),
        "the owner was not revoked: {:?}",
        owner.seen
    );
    assert!(of_topics(&anon_after, &topics).is_empty(), "{anon_after:?}");
    assert!(of_topics(&screen_after, &topics).is_empty(), "{screen_after:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sse_stream_of_a_removed_member_gets_one_unsubscribed_and_nothing_more() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let mia = app.token("mia", "attendee").await;
    let event = app.private_event(&org, "Streamed").await;
    let other = app.private_event(&org, "Elsewhere").await;
    app.add_member(&org, &event, "mia", "attendee").await;
    let topic = format!("event:{event}");
    let mut sse = app
        .sse(&format!("/api/events/{event}/stream"), Some(&mia), &[])
        .await
        .unwrap_or_else(|(s, b)| panic!("stream: HTTP {s} {b}"));
    sse.next_data_matching("subscribed", FRAME, |d| d["type"] == "subscribed")
        .await;

    // Act: removed; later her rights change again elsewhere.
    app.remove_member(&org, &event, "mia").await;
    let (_, gone) = sse
        .next_data_matching("unsubscribed", secs(3), |d| d["type"] == "unsubscribed")
        .await;
    app.announce(&org, &event, "not for mia").await;
    app.add_member(&org, &other, "mia", "attendee").await;
    let after = sse.collect_for(millis(800)).await;

    // Assert
    assert_eq!(gone["data"]["topic"], topic.as_str(), "{gone}");
    assert_eq!(gone["data"]["reason"], "access_revoked", "{gone}");
    let data: Vec<&Value> = after.iter().filter_map(|b| b.data.as_ref()).collect();
    assert!(
        data.is_empty(),
        "nothing more on the stream — no announcement, no second unsubscribed: {data:?}"
    );
}
