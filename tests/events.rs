//! Events, membership and visibility (api.md "Rights" and "Events").
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected a JSON array, got {list}"))
        .iter()
        .map(|e| e["id"].as_str().unwrap_or("").to_string())
        .collect()
}

/// A member, as `POST /api/events/{id}/members` documents it:
/// `{"event_id","user_id","user","role"}` (the list returns the same shape).
fn assert_member_shape(m: &Value, event: &str, user_id: &str, user: &str) {
    assert_eq!(m["event_id"], event, "member.event_id: {m}");
    assert_eq!(m["user_id"], user_id, "member.user_id: {m}");
    assert_eq!(m["user"], user, "member.user (the user's name): {m}");
    assert!(m["role"].is_string(), "member.role: {m}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organizer_creates_an_event_with_documented_defaults() {
    // Arrange
    let app = TestApp::spawn().await;
    let organizer = app.token("olga", "organizer").await;
    let olga_id = app.user_id(&organizer).await;

    // Act
    let (status, event) = app
        .post_json("/api/events", Some(&organizer), json!({"name": "Spring Gala"}))
        .await;

    // Assert
    assert_eq!(status, 201, "{event}");
    assert!(event["id"].is_string(), "{event}");
    assert_eq!(event["name"], "Spring Gala");
    assert_eq!(event["visibility"], "private", "default visibility: {event}");
    assert_eq!(event["owner_id"], olga_id.as_str());
    assert_eq!(event["auto_start_first_round"], false);
    assert_eq!(event["auto_advance_rounds"], false);
    assert!(event.get("starts_at").is_some(), "starts_at present (null): {event}");
    time_of(&event["created_at"]);
    let (s, got) = app
        .get(
            &format!("/api/events/{}", event["id"].as_str().unwrap()),
            Some(&organizer),
        )
        .await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(got["id"], event["id"]);
    assert_eq!(got["name"], "Spring Gala");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_keeps_the_fields_given_at_creation() {
    let app = TestApp::spawn().await;
    let organizer = app.token("olga", "organizer").await;

    let event = app
        .create_event(
            &organizer,
            json!({
                "name": "Marathon",
                "visibility": "public",
                "starts_at": "2030-05-01T18:00:00Z",
                "auto_start_first_round": true,
                "auto_advance_rounds": true
            }),
        )
        .await;

    assert_eq!(event["visibility"], "public");
    assert_eq!(event["auto_start_first_round"], true);
    assert_eq!(event["auto_advance_rounds"], true);
    assert_eq!(time_of(&event["starts_at"]), time_of(&json!("2030-05-01T18:00:00Z")));
}

#[tokio::test(flavor = "multi_thread")]
async fn attendees_judges_and_anonymous_callers_cannot_create_events() {
    // Arrange
    let app = TestApp::spawn().await;
    let attendee = app.token("ann", "attendee").await;
    let judge = app.token("jules", "judge").await;
    let admin = app.token("root", "admin").await;

    // Act
    let (s1, b1) = app
        .post_json("/api/events", Some(&attendee), json!({"name": "Nope"}))
        .await;
    let (s2, b2) = app
        .post_json("/api/events", Some(&judge), json!({"name": "Nope"}))
        .await;
    let (s3, b3) = app.post_json("/api/events", None, json!({"name": "Nope"})).await;

    // Assert
    assert_error(s1, &b1, 403, "forbidden");
    assert_error(s2, &b2, 403, "forbidden");
    assert_error(s3, &b3, 401, "unauthorized");
    let (s, all) = app.get("/api/events", Some(&admin)).await;
    assert_eq!(s, 200, "{all}");
    assert!(ids(&all).is_empty(), "no event was created: {all}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_visibility_is_422_invalid() {
    let app = TestApp::spawn().await;
    let organizer = app.token("olga", "organizer").await;

    let (s, b) = app
        .post_json(
            "/api/events",
            Some(&organizer),
            json!({"name": "Weird", "visibility": "secret"}),
        )
        .await;

    assert_error(s, &b, 422, "invalid");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_event_is_invisible_to_non_members() {
    // Arrange
    let app = TestApp::spawn().await;
    let owner = app.token("olga", "organizer").await;
    let outsider = app.token("ann", "attendee").await;
    let other_org = app.token("oscar", "organizer").await;
    let event = app.private_event(&owner, "Private dinner").await;

    // Act
    let (s_get, b_get) = app.get(&format!("/api/events/{event}"), Some(&outsider)).await;
    let (s_list, list) = app.get("/api/events", Some(&outsider)).await;
    let (s_org, b_org) = app.get(&format!("/api/events/{event}"), Some(&other_org)).await;
    let (s_org_list, org_list) = app.get("/api/events", Some(&other_org)).await;
    let (s_anon, b_anon) = app.get(&format!("/api/events/{event}"), None).await;
    let (s_anon_list, anon_list) = app.get("/api/events", None).await;

    // Assert
    assert_error(s_get, &b_get, 403, "forbidden");
    assert_eq!(s_list, 200, "{list}");
    assert!(
        !ids(&list).contains(&event),
        "private event listed for outsider: {list}"
    );
    assert_error(s_org, &b_org, 403, "forbidden");
    assert_eq!(s_org_list, 200, "{org_list}");
    assert!(
        !ids(&org_list).contains(&event),
        "listed for other organizer: {org_list}"
    );
    // Anonymous: the token is missing on a private resource.
    assert_error(s_anon, &b_anon, 401, "unauthorized");
    assert_eq!(s_anon_list, 200, "{anon_list}");
    assert!(!ids(&anon_list).contains(&event), "listed anonymously: {anon_list}");
    // The owner does see it.
    let (s_own, own_list) = app.get("/api/events", Some(&owner)).await;
    assert_eq!(s_own, 200);
    assert!(ids(&own_list).contains(&event), "owner's list: {own_list}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_attendee_can_read_a_private_event() {
    // Arrange
    let app = TestApp::spawn().await;
    let owner = app.token("olga", "organizer").await;
    let attendee = app.token("ann", "attendee").await;
    let ann_id = app.user_id(&attendee).await;
    let event = app.private_event(&owner, "Members only").await;

    // Act
    let member = app.add_member(&owner, &event, "ann", "attendee").await;
    let (s_get, got) = app.get(&format!("/api/events/{event}"), Some(&attendee)).await;
    let (s_list, list) = app.get("/api/events", Some(&attendee)).await;
    let (s_rounds, rounds) = app.get(&format!("/api/events/{event}/rounds"), Some(&attendee)).await;

    // Assert
    assert_eq!(member["event_id"], event.as_str());
    assert_eq!(member["user_id"], ann_id.as_str());
    assert_eq!(member["user"], "ann");
    assert_eq!(member["role"], "attendee");
    assert_eq!(s_get, 200, "{got}");
    assert_eq!(got["id"], event.as_str());
    assert_eq!(s_list, 200);
    assert!(ids(&list).contains(&event), "member's list: {list}");
    assert_eq!(s_rounds, 200, "{rounds}");
    assert!(rounds.is_array(), "{rounds}");
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_a_member_again_updates_the_role() {
    // Arrange
    let app = TestApp::spawn().await;
    let owner = app.token("olga", "organizer").await;
    let jules_token = app.token("jules", "judge").await;
    let jules_id = app.user_id(&jules_token).await;
    let event = app.private_event(&owner, "Judged").await;
    app.add_member(&owner, &event, "jules", "attendee").await;

    // Act
    let again = app.add_member(&owner, &event, "jules", "judge").await;
    let (s, members) = app.get(&format!("/api/events/{event}/members"), Some(&owner)).await;

    // Assert
    assert_eq!(again["role"], "judge");
    assert_eq!(s, 200, "{members}");
    let jules: Vec<&Value> = members
        .as_array()
        .expect("members array")
        .iter()
        .filter(|m| m["user_id"] == jules_id.as_str())
        .collect();
    assert_eq!(jules.len(), 1, "one membership per user: {members}");
    assert_eq!(jules[0]["role"], "judge", "{members}");
    assert_member_shape(jules[0], &event, &jules_id, "jules");
}

#[tokio::test(flavor = "multi_thread")]
async fn members_of_an_event_are_listed_only_to_managers() {
    // Arrange
    let app = TestApp::spawn().await;
    let owner = app.token("olga", "organizer").await;
    let attendee = app.token("ann", "attendee").await;
    let ann_id = app.user_id(&attendee).await;
    let event = app.private_event(&owner, "Listing").await;
    app.add_member(&owner, &event, "ann", "attendee").await;

    // Act
    let (s_att, b_att) = app.get(&format!("/api/events/{event}/members"), Some(&attendee)).await;
    let (s_add, b_add) = app
        .post_json(
            &format!("/api/events/{event}/members"),
            Some(&attendee),
            json!({"user": "ann", "role": "organizer"}),
        )
        .await;

    // Assert
    assert_error(s_att, &b_att, 403, "forbidden");
    assert_error(s_add, &b_add, 403, "forbidden");
    let (s, members) = app.get(&format!("/api/events/{event}/members"), Some(&owner)).await;
    assert_eq!(s, 200);
    let ann = members
        .as_array()
        .expect("array")
        .iter()
        .find(|m| m["user_id"] == ann_id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("ann is a member: {members}"));
    assert_eq!(ann["role"], "attendee", "self-promotion must not stick: {members}");
    assert_member_shape(&ann, &event, &ann_id, "ann");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_public_event_is_readable_anonymously() {
    // Arrange
    let app = TestApp::spawn().await;
    let owner = app.token("olga", "organizer").await;
    let stranger = app.token("sam", "attendee").await;
    let event = app
        .create_event(&owner, json!({"name": "Open air", "visibility": "public"}))
        .await;
    let id = event["id"].as_str().unwrap();

    // Act
    let (s_anon, got) = app.get(&format!("/api/events/{id}"), None).await;
    let (s_list, list) = app.get("/api/events", None).await;
    let (s_stranger, got2) = app.get(&format!("/api/events/{id}"), Some(&stranger)).await;
    let (s_rounds, rounds) = app.get(&format!("/api/events/{id}/rounds"), None).await;

    // Assert
    assert_eq!(s_anon, 200, "{got}");
    assert_eq!(got["name"], "Open air");
    assert_eq!(s_list, 200);
    assert!(ids(&list).contains(&id.to_string()), "anonymous list: {list}");
    assert_eq!(s_stranger, 200, "{got2}");
    assert_eq!(s_rounds, 200, "{rounds}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_event_id_is_404_not_found() {
    let app = TestApp::spawn().await;
    let admin = app.token("root", "admin").await;
    let unknown = uuid::Uuid::new_v4();

    let (s1, b1) = app.get(&format!("/api/events/{unknown}"), Some(&admin)).await;
    let (s2, b2) = app
        .patch_json(&format!("/api/events/{unknown}"), Some(&admin), json!({"name": "x"}))
        .await;
    let (s3, b3) = app.get(&format!("/api/events/{unknown}/rounds"), Some(&admin)).await;

    assert_error(s1, &b1, 404, "not_found");
    assert_error(s2, &b2, 404, "not_found");
    assert_error(s3, &b3, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_may_patch_an_event_but_another_organizer_may_not() {
    // Arrange
    let app = TestApp::spawn().await;
    let owner = app.token("olga", "organizer").await;
    let other = app.token("oscar", "organizer").await;
    let event = app.private_event(&owner, "Before").await;
    let path = format!("/api/events/{event}");

    // Act
    let (s_other, b_other) = app.patch_json(&path, Some(&other), json!({"name": "Hijacked"})).await;
    let (s_owner, patched) = app
        .patch_json(
            &path,
            Some(&owner),
            json!({"name": "After", "visibility": "public", "auto_advance_rounds": true}),
        )
        .await;

    // Assert
    assert_error(s_other, &b_other, 403, "forbidden");
    assert_eq!(s_owner, 200, "{patched}");
    assert_eq!(patched["name"], "After");
    assert_eq!(patched["visibility"], "public");
    assert_eq!(patched["auto_advance_rounds"], true);
    assert_eq!(patched["auto_start_first_round"], false, "untouched field kept");
    let (s, got) = app.get(&path, None).await;
    assert_eq!(s, 200, "now public, anonymous read: {got}");
    assert_eq!(got["name"], "After");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organizer_member_and_an_admin_may_manage_someone_elses_event() {
    // Arrange
    let app = TestApp::spawn().await;
    let owner = app.token("olga", "organizer").await;
    let co = app.token("oscar", "organizer").await;
    let admin = app.token("root", "admin").await;
    let event = app.private_event(&owner, "Shared").await;
    app.add_member(&owner, &event, "oscar", "organizer").await;
    let path = format!("/api/events/{event}");

    // Act
    let (s_co, b_co) = app.patch_json(&path, Some(&co), json!({"name": "By co"})).await;
    let (s_admin, b_admin) = app.patch_json(&path, Some(&admin), json!({"name": "By admin"})).await;
    let (s_round, round) = app
        .post_json(
            &format!("/api/events/{event}/rounds"),
            Some(&co),
            json!({"duration_secs": 60}),
        )
        .await;

    // Assert
    assert_eq!(s_co, 200, "{b_co}");
    assert_eq!(b_co["name"], "By co");
    assert_eq!(s_admin, 200, "{b_admin}");
    assert_eq!(b_admin["name"], "By admin");
    assert_eq!(s_round, 201, "{round}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_attendee_member_cannot_patch_the_event() {
    let app = TestApp::spawn().await;
    let owner = app.token("olga", "organizer").await;
    let attendee = app.token("ann", "attendee").await;
    let event = app.private_event(&owner, "Stable").await;
    app.add_member(&owner, &event, "ann", "attendee").await;

    let (s, b) = app
        .patch_json(
            &format!("/api/events/{event}"),
            Some(&attendee),
            json!({"name": "Mine"}),
        )
        .await;

    assert_error(s, &b, 403, "forbidden");
    let (_, got) = app.get(&format!("/api/events/{event}"), Some(&owner)).await;
    assert_eq!(got["name"], "Stable");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_announcement_is_201_and_pushed_on_the_event_socket() {
    // Arrange
    let app = TestApp::spawn().await;
    let owner = app.token("olga", "organizer").await;
    let attendee = app.token("ann", "attendee").await;
    let event = app.private_event(&owner, "Loud").await;
    app.add_member(&owner, &event, "ann", "attendee").await;
    let mut ws = app.ws(&format!("/ws/event/{event}"), Some(&attendee)).await;
    ws.next_of_type("connected", FRAME).await;

    // Act
    let (s, ann) = app
        .post_json(
            &format!("/api/events/{event}/announcements"),
            Some(&owner),
            json!({"message": "Dinner is served"}),
        )
        .await;
    let (s_att, b_att) = app
        .post_json(
            &format!("/api/events/{event}/announcements"),
            Some(&attendee),
            json!({"message": "I am not allowed"}),
        )
        .await;

    // Assert
    assert_eq!(s, 201, "{ann}");
    assert_eq!(ann["message"], "Dinner is served");
    assert_error(s_att, &b_att, 403, "forbidden");
    let frame = ws.next_of_type("announcement", FRAME).await;
    assert_envelope(&frame);
    assert_has_seq(&frame);
    assert_eq!(frame["topic"], format!("event:{event}"));
    assert_eq!(frame["data"]["message"], "Dinner is served");
    assert_eq!(frame["data"]["event_id"], event.as_str());
    assert!(frame["data"]["announcement_id"].is_string(), "{frame}");
    time_of(&frame["data"]["created_at"]);
    let more = ws.collect_for(millis(400)).await;
    assert!(
        !more.iter().any(|f| f["data"]["message"] == "I am not allowed"),
        "forbidden announcement was broadcast: {more:?}"
    );
}
