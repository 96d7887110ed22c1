//! Rating sessions (seed 004, docs/ratings.md): organizers create, fill,
//! start and finish sessions; readers of the event rate items 1–5 (again =
//! update); both groups hear the lifecycle and the items, only organizers
//! hear who rated what and the coalesced figures (`stats_updated`), and
//! each rater hears their own progress.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Instant;

/// A private event with one caller of every kind that matters here.
struct Room {
    app: TestApp,
    event: String,
    admin: String,
    /// Owner of the event (organizer).
    owner: String,
    /// Organizer, member as `organizer`.
    orla: String,
    /// Organizer with no part in the event.
    oscar: String,
    /// Attendee members.
    mia: String,
    tom: String,
    /// Attendee, not a member.
    nina: String,
}

impl Room {
    async fn build() -> Room {
        let app = TestApp::spawn().await;
        let admin = app.token("ada", "admin").await;
        let owner = app.token("olga", "organizer").await;
        let orla = app.token("orla", "organizer").await;
        let oscar = app.token("oscar", "organizer").await;
        let mia = app.token("mia", "attendee").await;
        let tom = app.token("tom", "attendee").await;
        let nina = app.token("nina", "attendee").await;
        let event = app.private_event(&owner, "Meme night").await;
        for (user, role) in [("orla", "organizer"), ("mia", "attendee"), ("tom", "attendee")] {
            app.add_member(&owner, &event, user, role).await;
        }
        Room {
            app,
            event,
            admin,
            owner,
            orla,
            oscar,
            mia,
            tom,
            nina,
        }
    }

    async fn create_session(&self, token: &str, title: &str) -> (u16, Value) {
        self.app
            .post_json(
                &format!("/api/events/{}/rating-sessions", self.event),
                Some(token),
                json!({"title": title}),
            )
            .await
    }

    /// A session of the event, created by its owner; returns its id.
    async fn session(&self, title: &str) -> String {
        let (s, b) = self.create_session(&self.owner, title).await;
        assert_eq!(s, 201, "POST rating-sessions: {b}");
        b["id"].as_str().unwrap().to_string()
    }

    async fn add_items(&self, token: &str, session: &str, body: Value) -> (u16, Value) {
        self.app
            .post_json(&format!("/api/rating-sessions/{session}/items"), Some(token), body)
            .await
    }

    /// Adds `n` items as the owner; returns their ids in order.
    async fn items(&self, session: &str, n: usize) -> Vec<String> {
        let items: Vec<Value> = (0..n)
            .map(|i| json!({"title": format!("Meme {i:02}"), "image_url": format!("https://memes.example/{i}.png")}))
            .collect();
        let (s, b) = self.add_items(&self.owner, session, json!({ "items": items })).await;
        assert_eq!(s, 201, "POST items: {b}");
        b.as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    }

    async fn lifecycle(&self, token: Option<&str>, session: &str, step: &str) -> (u16, Value) {
        self.app
            .post(&format!("/api/rating-sessions/{session}/{step}"), token)
            .await
    }

    async fn rate(&self, token: Option<&str>, session: &str, item: &str, value: Value) -> (u16, Value) {
        self.app
            .post_json(
                &format!("/api/rating-sessions/{session}/ratings"),
                token,
                json!({"item_id": item, "value": value}),
            )
            .await
    }

    /// A session with `n` items, started.
    async fn live_session(&self, n: usize) -> (String, Vec<String>) {
        let s = self.session("Round one").await;
        let items = self.items(&s, n).await;
        let (st, b) = self.lifecycle(Some(&self.owner), &s, "start").await;
        assert_eq!(st, 200, "start: {b}");
        (s, items)
    }

    /// A `/ws` socket past its welcome, subscribed to `topics`.
    async fn follow(&self, token: Option<&str>, topics: &[String]) -> Ws {
        let mut ws = self.app.ws("/ws", token).await;
        ws.next_of_type("welcome", FRAME).await;
        for (i, t) in topics.iter().enumerate() {
            ws.subscribe_ok(t, None, &format!("f{i}")).await;
        }
        ws
    }
}

async fn try_subscribe(ws: &mut Ws, topic: &str, r: &str) -> Value {
    ws.send_subscribe(topic, None, r).await;
    ws.reply_to(r, FRAME).await
}

fn close_to(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() < 1e-6)
}

// ---------------------------------------------------------------------------
// REST: lifecycle, items, ratings
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn organizers_create_fill_start_and_finish_a_session_and_illegal_moves_are_conflicts() {
    // Arrange
    let r = Room::build().await;
    let app = &r.app;

    // Act + Assert: creation by the event's managers only.
    let (s, created) = r.create_session(&r.orla, "  Friday memes ").await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["title"], "Friday memes");
    assert_eq!(created["status"], "created");
    assert_eq!(created["item_count"], 0);
    assert_eq!(created["event_id"], r.event.as_str());
    assert!(created["started_at"].is_null() && created["finished_at"].is_null());
    time_of(&created["created_at"]);
    let session = created["id"].as_str().unwrap().to_string();
    let (s, b) = r.create_session(&r.mia, "Mine").await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = r.create_session(&r.oscar, "Mine").await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = app
        .post_json(
            &format!("/api/events/{}/rating-sessions", r.event),
            None,
            json!({"title": "x"}),
        )
        .await;
    assert_error(s, &b, 401, "unauthorized");
    let (s, b) = app
        .post_json(
            "/api/events/0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00/rating-sessions",
            Some(&r.owner),
            json!({"title": "x"}),
        )
        .await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = r.create_session(&r.owner, "   ").await;
    assert_error(s, &b, 422, "invalid");
    let (s, b) = r.create_session(&r.owner, &"x".repeat(201)).await;
    assert_error(s, &b, 422, "invalid");
    let (s, b) = app
        .post_json(
            &format!("/api/events/{}/rating-sessions", r.event),
            Some(&r.owner),
            json!({"title": "x", "mode": "fast"}),
        )
        .await;
    assert_error(s, &b, 400, "bad_json");
    let (s, b) = app
        .post_raw(
            &format!("/api/events/{}/rating-sessions", r.event),
            Some(&r.owner),
            "{\"title\":",
        )
        .await;
    assert_error(s, &b, 400, "bad_json");

    // Nothing to rate yet: starting is a conflict; finishing before starting too.
    let (s, b) = r.lifecycle(Some(&r.owner), &session, "start").await;
    assert_error(s, &b, 409, "conflict");
    let (s, b) = r.lifecycle(Some(&r.owner), &session, "finish").await;
    assert_error(s, &b, 409, "conflict");

    // Items: in bulk, by managers, validated all or none.
    let (s, b) = r
        .add_items(&r.mia, &session, json!({"items": [{"title": "Cat"}]}))
        .await;
    assert_error(s, &b, 403, "forbidden");
    for bad in [
        json!({"items": []}),
        json!({"items": [{"title": ""}]}),
        json!({"items": [{"title": "ok"}, {"title": "Cat", "image_url": "ftp://x/cat.png"}]}),
        json!({"items": [{"title": "Cat", "image_url": "javascript:alert(1)"}]}),
        json!({"items": (0..201).map(|i| json!({"title": format!("m{i}")})).collect::<Vec<_>>()}),
    ] {
        let (s, b) = r.add_items(&r.owner, &session, bad.clone()).await;
        assert_error(s, &b, 422, "invalid");
    }
    let (s, b) = r
        .add_items(&r.owner, &session, json!({"items": [{"title": "Cat", "url": "x"}]}))
        .await;
    assert_error(s, &b, 400, "bad_json");
    let (s, added) = r
        .add_items(
            &r.orla,
            &session,
            json!({"items": [{"title": "Cat", "image_url": "https://memes.example/cat.png"}, {"title": "Dog"}]}),
        )
        .await;
    assert_eq!(s, 201, "{added}");
    let added = added.as_array().unwrap();
    assert_eq!(added.len(), 2, "nothing of the refused batches was kept: {added:?}");
    assert_eq!(added[0]["position"], 1);
    assert_eq!(added[0]["image_url"], "https://memes.example/cat.png");
    assert_eq!(added[1]["position"], 2);
    assert!(added[1]["image_url"].is_null());

    // Start: created → active, once.
    let (s, b) = r.lifecycle(Some(&r.mia), &session, "start").await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = r.lifecycle(None, &session, "start").await;
    assert_error(s, &b, 401, "unauthorized");
    let (s, started) = r.lifecycle(Some(&r.owner), &session, "start").await;
    assert_eq!(s, 200, "{started}");
    assert_eq!(started["status"], "active");
    assert_eq!(started["item_count"], 2);
    time_of(&started["started_at"]);
    let (s, b) = r.lifecycle(Some(&r.owner), &session, "start").await;
    assert_error(s, &b, 409, "conflict");
    // More items may still come while it runs.
    r.items(&session, 1).await;

    // Finish: active → finished, once; then nothing changes any more.
    let (s, finished) = r.lifecycle(Some(&r.admin), &session, "finish").await;
    assert_eq!(s, 200, "{finished}");
    assert_eq!(finished["status"], "finished");
    assert_eq!(finished["item_count"], 3);
    time_of(&finished["finished_at"]);
    for step in ["finish", "start"] {
        let (s, b) = r.lifecycle(Some(&r.owner), &session, step).await;
        assert_error(s, &b, 409, "conflict");
    }
    let (s, b) = r
        .add_items(&r.owner, &session, json!({"items": [{"title": "Late"}]}))
        .await;
    assert_error(s, &b, 409, "conflict");

    // Reading: the event's readers list and get sessions; others may not.
    let second = r.session("Second").await;
    let (s, list) = app
        .get(&format!("/api/events/{}/rating-sessions", r.event), Some(&r.mia))
        .await;
    assert_eq!(s, 200, "{list}");
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![session.as_str(), second.as_str()]);
    let (s, one) = app.get(&format!("/api/rating-sessions/{session}"), Some(&r.tom)).await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(
        (one["status"].as_str(), one["rated_by_you"].as_u64()),
        (Some("finished"), Some(0))
    );
    let (s, b) = app.get(&format!("/api/rating-sessions/{session}"), Some(&r.nina)).await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = app.get(&format!("/api/rating-sessions/{session}"), None).await;
    assert_error(s, &b, 401, "unauthorized");
    let (s, b) = app
        .get(&format!("/api/events/{}/rating-sessions", r.event), Some(&r.nina))
        .await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = app
        .get(
            "/api/rating-sessions/0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00",
            Some(&r.owner),
        )
        .await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = app.get("/api/rating-sessions/not-a-uuid", Some(&r.owner)).await;
    assert_error(s, &b, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_rates_an_item_one_to_five_once_and_rating_again_updates_it() {
    // Arrange
    let r = Room::build().await;
    let app = &r.app;
    let (session, items) = r.live_session(3).await;
    let other = r.session("Other").await;
    let other_items = r.items(&other, 1).await;

    // Act + Assert: first rating 201, again 200 with the previous value.
    let (s, first) = r.rate(Some(&r.mia), &session, &items[0], json!(4)).await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["value"], 4);
    assert!(first["previous"].is_null());
    assert_eq!((first["rated"].as_u64(), first["total"].as_u64()), (Some(1), Some(3)));
    let (s, again) = r.rate(Some(&r.mia), &session, &items[0], json!(2)).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(
        (again["value"].as_u64(), again["previous"].as_u64()),
        (Some(2), Some(4))
    );
    assert_eq!(again["rated"], 1, "rating again is not a second rating: {again}");
    let (s, b) = r.rate(Some(&r.mia), &session, &items[1], json!(5.0)).await;
    assert_eq!(s, 201, "a whole number written as 5.0 is 5: {b}");
    // Organizers may rate too: they read the event.
    let (s, b) = r.rate(Some(&r.owner), &session, &items[0], json!(1)).await;
    assert_eq!(s, 201, "{b}");

    // The caller's own ratings come with the items.
    let (s, mine) = app
        .get(&format!("/api/rating-sessions/{session}/items"), Some(&r.mia))
        .await;
    assert_eq!(s, 200, "{mine}");
    let mine: Vec<Value> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["my_rating"].clone())
        .collect();
    assert_eq!(mine, vec![json!(2), json!(5), Value::Null]);
    let (_, toms) = app
        .get(&format!("/api/rating-sessions/{session}/items"), Some(&r.tom))
        .await;
    assert!(
        toms.as_array().unwrap().iter().all(|i| i["my_rating"].is_null()),
        "{toms}"
    );
    let (_, one) = app.get(&format!("/api/rating-sessions/{session}"), Some(&r.mia)).await;
    assert_eq!(one["rated_by_you"], 2);

    // Bad values are 422, bad shapes 400.
    for bad in [
        json!(0),
        json!(6),
        json!(2.5),
        json!(-1),
        json!("3"),
        json!(null),
        json!([4]),
    ] {
        let (s, b) = r.rate(Some(&r.tom), &session, &items[0], bad.clone()).await;
        assert_error(s, &b, 422, "invalid");
    }
    let (s, b) = app
        .post_json(
            &format!("/api/rating-sessions/{session}/ratings"),
            Some(&r.tom),
            json!({"item_id": items[0], "value": 3, "weight": 2}),
        )
        .await;
    assert_error(s, &b, 400, "bad_json");
    let (s, b) = app
        .post_json(
            &format!("/api/rating-sessions/{session}/ratings"),
            Some(&r.tom),
            json!({"item_id": "nope", "value": 3}),
        )
        .await;
    assert_error(s, &b, 400, "bad_json");
    let (s, b) = app
        .post_raw(&format!("/api/rating-sessions/{session}/ratings"), Some(&r.tom), "[")
        .await;
    assert_error(s, &b, 400, "bad_json");

    // Unknown items, or items of another session, are 404.
    let (s, b) = r
        .rate(Some(&r.tom), &session, "0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00", json!(3))
        .await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = r.rate(Some(&r.tom), &session, &other_items[0], json!(3)).await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = r
        .rate(
            Some(&r.tom),
            "0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00",
            &items[0],
            json!(3),
        )
        .await;
    assert_error(s, &b, 404, "not_found");

    // Only while active, only readers of the event, only with a token.
    let (s, b) = r.rate(Some(&r.tom), &other, &other_items[0], json!(3)).await;
    assert_error(s, &b, 409, "conflict");
    let (s, b) = r.rate(Some(&r.nina), &session, &items[0], json!(3)).await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = r.rate(None, &session, &items[0], json!(3)).await;
    assert_error(s, &b, 401, "unauthorized");
    let (s, _) = r.lifecycle(Some(&r.owner), &session, "finish").await;
    assert_eq!(s, 200);
    let (s, b) = r.rate(Some(&r.mia), &session, &items[0], json!(5)).await;
    assert_error(s, &b, 409, "conflict");

    // The figures count what was kept: mia's 2 (not her 4) and olga's 1.
    let (s, stats) = app
        .get(&format!("/api/rating-sessions/{session}/stats"), Some(&r.orla))
        .await;
    assert_eq!(s, 200, "{stats}");
    assert_eq!(stats["status"], "finished");
    assert_eq!(
        (stats["total_ratings"].as_u64(), stats["participants"].as_u64()),
        (Some(3), Some(2))
    );
    let first = &stats["items"][0];
    assert_eq!(first["count"], 2);
    assert!(close_to(&first["average"], 1.5), "{first}");
    assert_eq!(first["distribution"], json!([1, 1, 0, 0, 0]));
    assert!(close_to(&stats["items"][1]["average"], 5.0));
    assert!(stats["items"][2]["average"].is_null());
    assert!(close_to(&stats["average"], 8.0 / 3.0));
    // The figures are the organizers' alone.
    let (s, b) = app
        .get(&format!("/api/rating-sessions/{session}/stats"), Some(&r.mia))
        .await;
    assert_error(s, &b, 403, "forbidden");
}

// ---------------------------------------------------------------------------
// Who hears what
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_topic_is_for_organizers_and_the_session_topic_for_readers() {
    // Arrange
    let r = Room::build().await;
    let session = r.session("Memes").await;
    let user_topic = format!("rating:{session}");
    let admin_topic = format!("rating:{session}:admin");
    let cases: Vec<(&str, Option<&str>, &str, &str)> = vec![
        ("admin", Some(&r.admin), "subscribed", "subscribed"),
        ("owner", Some(&r.owner), "subscribed", "subscribed"),
        ("orla", Some(&r.orla), "subscribed", "subscribed"),
        ("mia", Some(&r.mia), "subscribed", "forbidden"),
        ("oscar", Some(&r.oscar), "forbidden", "forbidden"),
        ("nina", Some(&r.nina), "forbidden", "forbidden"),
        ("anonymous", None, "unauthorized", "unauthorized"),
    ];

    for (who, token, want_user, want_admin) in cases {
        // Act
        let mut ws = r.follow(token, &[]).await;
        let user = try_subscribe(&mut ws, &user_topic, "u").await;
        let admin = try_subscribe(&mut ws, &admin_topic, "a").await;

        // Assert
        for (reply, want) in [(&user, want_user), (&admin, want_admin)] {
            if want == "subscribed" {
                assert_eq!(reply["type"], "subscribed", "{who}: {reply}");
            } else {
                assert_eq!(reply["type"], "error", "{who}: {reply}");
                assert_eq!(reply["data"]["code"], want, "{who}: {reply}");
            }
        }
    }
    let mut ws = r.follow(Some(&r.owner), &[]).await;
    let unknown = try_subscribe(&mut ws, "rating:0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00:admin", "x").await;
    assert_eq!(unknown["data"]["code"], "not_found", "{unknown}");
    let bad = try_subscribe(&mut ws, &format!("rating:{session}:users"), "y").await;
    assert_eq!(bad["data"]["code"], "invalid", "{bad}");
}

#[tokio::test(flavor = "multi_thread")]
async fn both_groups_hear_the_lifecycle_and_items_only_organizers_hear_ratings_and_figures() {
    // Arrange
    let r = Room::build().await;
    let event_topic = format!("event:{}", r.event);
    let mut room_mia = r.follow(Some(&r.mia), std::slice::from_ref(&event_topic)).await;
    let mut room_owner = r.follow(Some(&r.owner), std::slice::from_ref(&event_topic)).await;

    // Act 1: a session is created; the room hears of it.
    let session = r.session("Memes").await;

    // Assert 1
    for ws in [&mut room_mia, &mut room_owner] {
        let f = ws.next_of_type("session_created", FRAME).await;
        assert_eq!(f["topic"], event_topic.as_str());
        assert_eq!(f["data"]["id"], session.as_str());
        assert_eq!(f["data"]["status"], "created");
        assert!(f["seq"].is_u64(), "lifecycle is kept in history: {f}");
    }
    let user_topic = format!("rating:{session}");
    let admin_topic = format!("rating:{session}:admin");
    let mia_id = r.app.user_id(&r.mia).await;
    let tom_id = r.app.user_id(&r.tom).await;
    let mut admin = r.follow(Some(&r.orla), std::slice::from_ref(&admin_topic)).await;
    let mut mia = r
        .follow(Some(&r.mia), &[format!("user:{mia_id}"), user_topic.clone()])
        .await;
    let mut tom = r
        .follow(Some(&r.tom), &[format!("user:{tom_id}"), user_topic.clone()])
        .await;
    // Subscribing delivers the session's state (and, for organizers, its figures).
    let snapshot = admin.collect_for(millis(300)).await;
    let of = |ty: &str| snapshot.iter().find(|f| f["type"] == ty).cloned();
    let st = of("session_state").unwrap_or_else(|| panic!("no session_state: {snapshot:?}"));
    assert_eq!(
        (st["data"]["status"].as_str(), st["data"]["item_count"].as_u64()),
        (Some("created"), Some(0))
    );
    assert!(st["data"]["version"].is_u64());
    let figures = of("stats_updated").unwrap_or_else(|| panic!("no stats_updated: {snapshot:?}"));
    assert_eq!(figures["data"]["total_ratings"], 0);
    let st = mia.next_of_type("session_state", FRAME).await;
    assert_eq!(st["topic"], user_topic.as_str());

    // Act 2: items, start, two ratings, finish.
    let items = r.items(&session, 2).await;
    let (s, _) = r.lifecycle(Some(&r.owner), &session, "start").await;
    assert_eq!(s, 200);
    let (s, _) = r.rate(Some(&r.mia), &session, &items[0], json!(5)).await;
    assert_eq!(s, 201);
    let (s, _) = r.rate(Some(&r.mia), &session, &items[0], json!(3)).await;
    assert_eq!(s, 200);
    let (s, _) = r.lifecycle(Some(&r.owner), &session, "finish").await;
    assert_eq!(s, 200);

    // Assert 2: organizers hear everything, in order.
    let populated = admin.next_of_type("memes_populated", FRAME).await;
    assert_eq!(
        (
            populated["data"]["added"].as_u64(),
            populated["data"]["item_count"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(populated["data"]["items"][1]["title"], "Meme 01");
    admin.next_of_type("session_started", FRAME).await;
    let first = admin.next_of_type("new_rating", FRAME).await;
    assert_eq!(first["topic"], admin_topic.as_str());
    assert_eq!(first["data"]["user"], "mia");
    assert_eq!(first["data"]["user_id"], mia_id.as_str());
    assert_eq!(first["data"]["item_id"], items[0].as_str());
    assert_eq!(first["data"]["item_title"], "Meme 00");
    assert_eq!(
        (first["data"]["value"].as_u64(), first["data"]["previous"].is_null()),
        (Some(5), true)
    );
    let second = admin.next_of_type("new_rating", FRAME).await;
    assert_eq!(
        (second["data"]["value"].as_u64(), second["data"]["previous"].as_u64()),
        (Some(3), Some(5))
    );
    admin.next_of_type("session_finished", FRAME).await;
    let last = admin
        .next_matching("the final figures", secs(5), |f| {
            f["type"] == "stats_updated" && f["data"]["status"] == "finished"
        })
        .await;
    assert_eq!(
        (
            last["data"]["total_ratings"].as_u64(),
            last["data"]["participants"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert!(close_to(&last["data"]["items"][0]["average"], 3.0), "{last}");
    assert!(last["seq"].is_u64(), "figures are state, kept: {last}");
    let v_last = last["data"]["version"].as_u64().unwrap();
    assert!(v_last > figures["data"]["version"].as_u64().unwrap());

    // The user group hears items and lifecycle; the rater hears their own
    // progress. Reading every frame: no rating, no figure, no one else's progress.
    let mia_frames = mia.collect_for(millis(700)).await;
    let tom_frames = tom.collect_for(millis(300)).await;
    for (who, frames) in [("mia", &mia_frames), ("tom", &tom_frames)] {
        let kinds: Vec<&str> = frames.iter().filter_map(|f| f["type"].as_str()).collect();
        for want in [
            "memes_populated",
            "session_started",
            "session_finished",
            "session_state",
        ] {
            assert!(kinds.contains(&want), "{who} must hear {want}: {kinds:?}");
        }
        for f in frames.iter() {
            assert!(
                f["type"] != "new_rating" && f["type"] != "stats_updated",
                "{who} must not hear {f}"
            );
            let text = f.to_string();
            assert!(
                !text.contains("\"distribution\"") && !text.contains("\"participants\""),
                "{who}: no figures: {f}"
            );
        }
    }
    let progress: Vec<&Value> = mia_frames.iter().filter(|f| f["type"] == "rating_progress").collect();
    assert_eq!(progress.len(), 2, "{mia_frames:?}");
    assert_eq!(progress[0]["topic"], format!("user:{mia_id}").as_str());
    assert_eq!(
        (
            progress[1]["data"]["rated"].as_u64(),
            progress[1]["data"]["total"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert!(
        tom_frames.iter().all(|f| f["type"] != "rating_progress"),
        "{tom_frames:?}"
    );
    let finished = mia_frames.iter().find(|f| f["type"] == "session_finished").unwrap();
    assert_eq!(finished["topic"], user_topic.as_str());
    for ws in [&mut room_mia, &mut room_owner] {
        ws.next_of_type("session_started", FRAME).await;
        ws.next_of_type("session_finished", FRAME).await;
    }
    // The room carries the lifecycle only.
    let rest = room_mia.collect_for(millis(300)).await;
    assert!(
        rest.iter()
            .all(|f| f["type"] != "new_rating" && f["type"] != "memes_populated" && f["type"] != "stats_updated"),
        "{rest:?}"
    );
    // A reader who resubscribes gets the current state: finished.
    let mut late = r.follow(Some(&r.tom), std::slice::from_ref(&user_topic)).await;
    let st = late.next_of_type("session_state", FRAME).await;
    assert_eq!(
        (st["data"]["status"].as_str(), st["data"]["item_count"].as_u64()),
        (Some("finished"), Some(2))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outsiders_socket_reading_every_frame_never_sees_a_private_session() {
    // Arrange: nina reads nothing of the event; she follows all she may.
    let r = Room::build().await;
    let nina_id = r.app.user_id(&r.nina).await;
    let mut nina = r
        .follow(Some(&r.nina), &[format!("user:{nina_id}"), "role:attendee".to_string()])
        .await;
    let refused = try_subscribe(&mut nina, &format!("event:{}", r.event), "e").await;
    assert_eq!(refused["data"]["code"], "forbidden");

    // Act
    let (session, items) = r.live_session(2).await;
    r.rate(Some(&r.mia), &session, &items[1], json!(4)).await;
    r.lifecycle(Some(&r.owner), &session, "finish").await;
    let frames = nina.collect_for(millis(800)).await;

    // Assert
    for f in &frames {
        let text = f.to_string();
        assert!(!text.contains(&session), "nina saw the session: {f}");
        assert!(!text.contains(&items[1]), "nina saw an item: {f}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn losing_the_right_drops_the_session_topics_at_once() {
    // Arrange
    let r = Room::build().await;
    let (session, items) = r.live_session(1).await;
    let admin_topic = format!("rating:{session}:admin");
    let user_topic = format!("rating:{session}");
    let mut orla = r.follow(Some(&r.orla), std::slice::from_ref(&admin_topic)).await;
    let mut mia = r.follow(Some(&r.mia), std::slice::from_ref(&user_topic)).await;

    // Act: orla becomes a plain attendee; mia leaves the event.
    r.app.add_member(&r.owner, &r.event, "orla", "attendee").await;
    let (s, b) = r
        .app
        .delete(&format!("/api/events/{}/members/mia", r.event), Some(&r.owner))
        .await;
    assert_eq!(s, 204, "{b}");

    // Assert
    for (ws, topic) in [(&mut orla, &admin_topic), (&mut mia, &user_topic)] {
        let gone = ws.next_of_type("unsubscribed", FRAME).await;
        assert_eq!(gone["data"]["topic"], topic.as_str(), "{gone}");
        assert_eq!(gone["data"]["reason"], "access_revoked", "{gone}");
    }
    let (s, _) = r.rate(Some(&r.tom), &session, &items[0], json!(5)).await;
    assert_eq!(s, 201);
    let rest = orla.collect_for(millis(500)).await;
    assert!(
        rest.iter()
            .all(|f| f["type"] != "new_rating" && f["type"] != "stats_updated"),
        "{rest:?}"
    );
    let (s, b) = r.rate(Some(&r.mia), &session, &items[0], json!(5)).await;
    assert_error(s, &b, 403, "forbidden");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_view_falls_back_to_long_polling_with_the_same_rights() {
    // Arrange: seed 004's "fall back to polling if WebSocket fails".
    let r = Room::build().await;
    let (session, items) = r.live_session(1).await;
    let topics = format!("rating:{session}:admin");
    let (s, first) = r.app.get(&format!("/api/poll?topics={topics}"), Some(&r.owner)).await;
    assert_eq!(s, 200, "{first}");
    let cursor = first["cursor"].as_str().unwrap().to_string();

    // Act
    let (s, _) = r.rate(Some(&r.mia), &session, &items[0], json!(2)).await;
    assert_eq!(s, 201);
    let (s, next) = r
        .app
        .get(
            &format!("/api/poll?topics={topics}&since={cursor}&wait=3"),
            Some(&r.owner),
        )
        .await;

    // Assert
    assert_eq!(s, 200, "{next}");
    let rating = next["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == "new_rating")
        .unwrap_or_else(|| panic!("no new_rating in {next}"));
    assert_eq!(
        (rating["data"]["user"].as_str(), rating["data"]["value"].as_u64()),
        (Some("mia"), Some(2))
    );
    let (s, b) = r.app.get(&format!("/api/poll?topics={topics}"), Some(&r.mia)).await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = r
        .app
        .get(&format!("/api/poll?topics=rating:{session}"), Some(&r.mia))
        .await;
    assert_eq!(s, 200, "a reader polls the user view: {b}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_carries_on_after_a_restart_with_growing_versions() {
    // Arrange
    let mut r = Room::build().await;
    let (session, items) = r.live_session(2).await;
    let admin_topic = format!("rating:{session}:admin");
    let mut before = r.follow(Some(&r.orla), std::slice::from_ref(&admin_topic)).await;
    r.rate(Some(&r.mia), &session, &items[0], json!(4)).await;
    let old = before
        .next_matching("figures with mia's rating", secs(5), |f| {
            f["type"] == "stats_updated" && f["data"]["total_ratings"] == 1
        })
        .await;

    // Act
    r.app.restart().await;
    let mut admin = r.follow(Some(&r.orla), std::slice::from_ref(&admin_topic)).await;
    let mut user = r.follow(Some(&r.tom), &[format!("rating:{session}")]).await;
    let restated = admin
        .next_matching("figures restated on subscribe", secs(5), |f| {
            f["type"] == "stats_updated"
        })
        .await;
    let state = user.next_of_type("session_state", FRAME).await;
    let (s, b) = r.rate(Some(&r.mia), &session, &items[0], json!(1)).await;
    assert_eq!(s, 200, "the rating from before the restart is replaced: {b}");
    assert_eq!(b["previous"], 4);
    let (s, _) = r.rate(Some(&r.tom), &session, &items[1], json!(5)).await;
    assert_eq!(s, 201);

    // Assert: followers get the state on subscribe, before any change.
    assert_eq!(restated["data"]["total_ratings"], 1, "{restated}");
    assert_eq!(
        (state["data"]["status"].as_str(), state["data"]["item_count"].as_u64()),
        (Some("active"), Some(2)),
        "{state}"
    );
    let new = admin
        .next_matching("figures after the restart", secs(5), |f| {
            f["type"] == "stats_updated" && f["data"]["total_ratings"] == 2
        })
        .await;
    assert!(
        new["data"]["version"].as_u64() > old["data"]["version"].as_u64(),
        "{old} then {new}"
    );
    assert!(close_to(&new["data"]["items"][0]["average"], 1.0), "{new}");
    assert_eq!(new["data"]["status"], "active");
}

// ---------------------------------------------------------------------------
// Under load
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_a_thousand_ratings_ends_in_the_right_figures_with_few_updates() {
    // Arrange: 50 raters, 10 items; each rater rates each item twice
    // (1,000 ratings); the second pass decides.
    let r = Room::build().await;
    let app = &r.app;
    let mut raters = Vec::new();
    for i in 0..50 {
        let name = format!("rater{i:02}");
        raters.push(app.token(&name, "attendee").await);
        app.add_member(&r.owner, &r.event, &name, "attendee").await;
    }
    let (session, items) = r.live_session(10).await;
    let mut admin = r.follow(Some(&r.orla), &[format!("rating:{session}:admin")]).await;
    admin.next_of_type("stats_updated", FRAME).await;
    // The first pass is even (every item averages 3); the last is not, so
    // only the final figures match what is expected.
    let stars = |pass: usize, u: usize, i: usize| {
        if pass == 0 {
            1 + (u + 2 * i) % 5
        } else {
            1 + (u * u + i) % 5
        }
    };

    // Act
    let started = Instant::now();
    let (rr, items_ref, session_ref) = (&r, &items, &session);
    for pass in 0..2 {
        let jobs = raters.iter().enumerate().flat_map(|(u, token)| {
            items_ref
                .iter()
                .enumerate()
                .map(move |(i, item)| rr.rate(Some(token), session_ref, item, json!(stars(pass, u, i))))
        });
        let replies: Vec<(u16, Value)> = futures_util::stream::iter(jobs).buffer_unordered(32).collect().await;
        for (s, b) in &replies {
            let want = if pass == 0 { 201 } else { 200 };
            assert_eq!(*s, want, "{b}");
        }
    }
    let burst = started.elapsed();

    // Assert: the final figures, computed here.
    let expected: Vec<(f64, [u64; 5])> = (0..10)
        .map(|i| {
            let mut dist = [0u64; 5];
            let mut sum = 0usize;
            for u in 0..50 {
                let v = stars(1, u, i);
                dist[v - 1] += 1;
                sum += v;
            }
            (sum as f64 / 50.0, dist)
        })
        .collect();
    let matches = |f: &Value| {
        let d = &f["data"];
        d["total_ratings"] == 500
            && d["participants"] == 50
            && d["items"].as_array().is_some_and(|rows| {
                rows.len() == 10
                    && rows.iter().zip(&expected).all(|(row, (avg, dist))| {
                        row["count"] == 50 && close_to(&row["average"], *avg) && row["distribution"] == json!(dist)
                    })
            })
    };
    let frames = admin
        .collect_until("the final figures", secs(10), |f| {
            f["type"] == "stats_updated" && matches(f)
        })
        .await;
    let settled = started.elapsed();
    let after = admin.collect_for(millis(800)).await;
    assert!(
        after.iter().all(|f| f["type"] != "stats_updated"),
        "no figures after the final ones: {after:?}"
    );
    let updates: Vec<&Value> = frames
        .iter()
        .map(|(f, _)| f)
        .filter(|f| f["type"] == "stats_updated")
        .collect();
    let ratings = frames.iter().filter(|(f, _)| f["type"] == "new_rating").count();
    eprintln!(
        "1,000 ratings in {burst:?}; final figures after {settled:?}; {} stats_updated frames",
        updates.len()
    );
    assert_eq!(ratings, 1000, "every rating reaches the organizers");
    assert!(updates.len() < 100, "{} updates for 1,000 ratings", updates.len());
    // At most one per 250 ms. A figure's `version` is the server clock (ms)
    // when its computation began, which is what coalescing spaces out; the
    // frames' `ts` are stamped when each computation ends, and on a busy
    // machine that jitters by more than the margin a `ts` check would need.
    for pair in updates.windows(2) {
        let gap = pair[1]["data"]["version"].as_u64().unwrap() - pair[0]["data"]["version"].as_u64().unwrap();
        assert!(gap >= 240, "two stats_updated computations {gap} ms apart: {pair:?}");
    }
    assert!(updates.len() >= 2, "the figures move during a burst of {burst:?}");
    let (_, rest) = app
        .get(&format!("/api/rating-sessions/{session}/stats"), Some(&r.owner))
        .await;
    assert!(matches(&json!({ "data": rest })), "REST agrees: {rest}");
}
