//! Judging (docs/judging.md): categories with criteria, judges assigned to
//! categories, scores over REST, and what each audience hears over the
//! socket — every score for the event's overseers and its own judge only,
//! teams told they were scored without numbers, judges told of new teams,
//! coalesced standings as the state of `event:{id}:results`, and the
//! pageant lifecycle (certify, lock, publish results).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Instant;

/// A private event with two judged categories, two teams and one of every
/// kind of caller.
struct Contest {
    app: TestApp,
    event: String,
    /// Innovation (weight 2, 0..10) and Polish (weight 1, 1..5); judged by jude and jill.
    design: String,
    /// Clarity (weight 1, 0..10); judged by gus.
    pitch: String,
    red: String,
    blue: String,
    /// A team of another event.
    stranger: String,
    admin: String,
    owner: String,
    /// Organizer, member of the event as `organizer`.
    orla: String,
    /// Organizer with no part in the event.
    oscar: String,
    /// Global judge, member as `judge`.
    jude: String,
    jill: String,
    /// Global attendee, member as `judge`.
    gus: String,
    /// Member as `tally_master`.
    tess: String,
    /// Member as `board`.
    bob: String,
    /// Member as `attendee`, on team Red.
    tom: String,
    /// Member as `attendee`.
    mia: String,
    /// Not a member.
    nina: String,
}

impl Contest {
    async fn build() -> Contest {
        Self::build_with(&[]).await
    }

    async fn build_with(env: &[(&str, &str)]) -> Contest {
        let app = TestApp::spawn_with(env).await;
        let admin = app.token("ada", "admin").await;
        let owner = app.token("olga", "organizer").await;
        let orla = app.token("orla", "organizer").await;
        let oscar = app.token("oscar", "organizer").await;
        let jude = app.token("jude", "judge").await;
        let jill = app.token("jill", "judge").await;
        let gus = app.token("gus", "attendee").await;
        let tess = app.token("tess", "attendee").await;
        let bob = app.token("bob", "attendee").await;
        let tom = app.token("tom", "attendee").await;
        let mia = app.token("mia", "attendee").await;
        let nina = app.token("nina", "attendee").await;
        let event = app.private_event(&owner, "Hack night").await;
        for (user, role) in [
            ("orla", "organizer"),
            ("jude", "judge"),
            ("jill", "judge"),
            ("gus", "judge"),
            ("tess", "tally_master"),
            ("bob", "board"),
            ("tom", "attendee"),
            ("mia", "attendee"),
        ] {
            app.add_member(&owner, &event, user, role).await;
        }
        let design = category(
            &app,
            &owner,
            &event,
            json!({"name": "Design", "criteria": [
                {"name": "Innovation", "weight": 2, "min": 0, "max": 10},
                {"name": "Polish", "weight": 1, "min": 1, "max": 5},
            ]}),
        )
        .await;
        let pitch = category(
            &app,
            &owner,
            &event,
            json!({"name": "Pitch", "criteria": [{"name": "Clarity", "weight": 1, "min": 0, "max": 10}]}),
        )
        .await;
        let red = app.create_team(&owner, &event, "Red").await;
        let blue = app.create_team(&owner, &event, "Blue").await;
        app.add_team_member(&owner, &red, "tom", "member").await;
        let other = app.private_event(&owner, "Other night").await;
        let stranger = app.create_team(&owner, &other, "Green").await;
        assign(&app, &owner, &design, "jude").await;
        assign(&app, &owner, &design, "jill").await;
        assign(&app, &owner, &pitch, "gus").await;
        Contest {
            app,
            event,
            design,
            pitch,
            red,
            blue,
            stranger,
            admin,
            owner,
            orla,
            oscar,
            jude,
            jill,
            gus,
            tess,
            bob,
            tom,
            mia,
            nina,
        }
    }

    async fn score(&self, token: &str, category: &str, team: &str, scores: Value) -> (u16, Value) {
        self.app
            .post_json(
                "/api/judge/score",
                Some(token),
                json!({"category_id": category, "team_id": team, "scores": scores}),
            )
            .await
    }

    /// Scores and asserts 201 (created) or 200 (replaced).
    async fn score_ok(&self, token: &str, category: &str, team: &str, scores: Value) -> Value {
        let (s, b) = self.score(token, category, team, scores).await;
        assert!(s == 201 || s == 200, "POST /api/judge/score: {s} {b}");
        b
    }

    /// A `/ws` socket past its welcome.
    async fn socket(&self, token: Option<&str>) -> Ws {
        let mut ws = self.app.ws("/ws", token).await;
        ws.next_of_type("welcome", FRAME).await;
        ws
    }

    /// A socket subscribed to `topic` (it must be allowed).
    async fn follow(&self, token: Option<&str>, topic: &str) -> Ws {
        let mut ws = self.socket(token).await;
        ws.subscribe_ok(topic, None, "f").await;
        ws
    }
}

async fn category(app: &TestApp, token: &str, event: &str, body: Value) -> String {
    let (s, b) = app
        .post_json(&format!("/api/events/{event}/categories"), Some(token), body)
        .await;
    assert_eq!(s, 201, "POST categories: {b}");
    b["id"].as_str().expect("category.id").to_string()
}

async fn assign(app: &TestApp, token: &str, category: &str, user: &str) -> Value {
    let (s, b) = app
        .post_json(
            &format!("/api/categories/{category}/judges"),
            Some(token),
            json!({"user": user}),
        )
        .await;
    assert_eq!(s, 201, "POST judges {user}: {b}");
    b
}

/// Subscribes and returns the reply (`subscribed` or `error`).
async fn try_subscribe(ws: &mut Ws, topic: &str, r: &str) -> Value {
    ws.send_subscribe(topic, None, r).await;
    ws.reply_to(r, FRAME).await
}

fn close_to(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() < 1e-6)
}

// ---------------------------------------------------------------------------
// Categories, criteria, judges
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn categories_carry_criteria_and_judges_and_only_managers_shape_them() {
    // Arrange
    let c = Contest::build().await;
    let app = &c.app;
    let path = format!("/api/events/{}/categories", c.event);

    // Act + Assert: the created category shows its criteria, in order.
    let (s, design) = app.get(&format!("/api/categories/{}", c.design), Some(&c.mia)).await;
    assert_eq!(s, 200, "{design}");
    assert_eq!(design["id"], c.design.as_str());
    assert_eq!(design["event_id"], c.event.as_str());
    assert_eq!(design["name"], "Design");
    assert_wire_time(&design["created_at"], "category.created_at");
    assert_eq!(
        design["criteria"],
        json!([
            {"name": "Innovation", "weight": 2.0, "min": 0.0, "max": 10.0},
            {"name": "Polish", "weight": 1.0, "min": 1.0, "max": 5.0},
        ])
    );
    let judges: Vec<&str> = design["judges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["user"].as_str().unwrap())
        .collect();
    assert_eq!(judges, vec!["jill", "jude"], "{design}");
    assert!(design["certification"].is_null(), "{design}");

    // A name alone still works (criteria default to none); defaults fill in.
    let (s, plain) = app.post_json(&path, Some(&c.owner), json!({"name": "Vibes"})).await;
    assert_eq!(s, 201, "{plain}");
    assert_eq!(plain["criteria"], json!([]));
    let (s, dflt) = app
        .post_json(
            &path,
            Some(&c.orla),
            json!({"name": "Fun", "criteria": [{"name": "Joy"}]}),
        )
        .await;
    assert_eq!(s, 201, "{dflt}");
    assert_eq!(
        dflt["criteria"],
        json!([{"name": "Joy", "weight": 1.0, "min": 0.0, "max": 10.0}])
    );

    // Listing.
    let (s, list) = app.get(&path, Some(&c.jude)).await;
    assert_eq!(s, 200, "{list}");
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Design", "Pitch", "Vibes", "Fun"]);

    // Bad criteria are 422; a wrong shape is 400.
    for bad in [
        json!({"name": "X", "criteria": [{"name": "A", "min": 5, "max": 5}]}),
        json!({"name": "X", "criteria": [{"name": "A", "min": 6, "max": 5}]}),
        json!({"name": "X", "criteria": [{"name": "A", "weight": 0}]}),
        json!({"name": "X", "criteria": [{"name": "A", "weight": -1}]}),
        json!({"name": "X", "criteria": [{"name": "A"}, {"name": "A"}]}),
        json!({"name": "X", "criteria": [{"name": "  "}]}),
        json!({"name": "X", "criteria": [{"name": "A", "max": 1e300}]}),
        json!({"name": "", "criteria": []}),
    ] {
        let (s, b) = app.post_json(&path, Some(&c.owner), bad.clone()).await;
        assert_error(s, &b, 422, "invalid");
    }
    let (s, b) = app
        .post_json(
            &path,
            Some(&c.owner),
            json!({"name": "X", "criteria": [{"name": "A", "weight": "2"}]}),
        )
        .await;
    assert_error(s, &b, 400, "bad_json");

    // Only managers create.
    for who in [&c.jude, &c.tess, &c.mia, &c.oscar] {
        let (s, b) = app.post_json(&path, Some(who), json!({"name": "Nope"})).await;
        assert_error(s, &b, 403, "forbidden");
    }
    let (s, b) = app.post_json(&path, None, json!({"name": "Nope"})).await;
    assert_error(s, &b, 401, "unauthorized");

    // Reading follows the event's read rights.
    let (s, b) = app.get(&format!("/api/categories/{}", c.design), Some(&c.nina)).await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = app.get(&format!("/api/categories/{}", c.design), None).await;
    assert_error(s, &b, 401, "unauthorized");
    let (s, b) = app
        .get(&format!("/api/categories/{}", uuid_like()), Some(&c.owner))
        .await;
    assert_error(s, &b, 404, "not_found");
}

fn uuid_like() -> &'static str {
    "00000000-0000-4000-8000-000000000000"
}

#[tokio::test(flavor = "multi_thread")]
async fn only_judge_members_are_assigned_and_only_by_managers() {
    // Arrange
    let c = Contest::build().await;
    let app = &c.app;
    let path = format!("/api/categories/{}/judges", c.pitch);

    // Act + Assert
    for (user, why) in [
        ("mia", "attendee member"),
        ("tess", "tally master"),
        ("nina", "not a member"),
    ] {
        let (s, b) = app.post_json(&path, Some(&c.owner), json!({"user": user})).await;
        assert_eq!(s, 422, "{why}: {b}");
        assert_error(s, &b, 422, "invalid");
    }
    let (s, b) = app.post_json(&path, Some(&c.owner), json!({"user": "nobody"})).await;
    assert_error(s, &b, 404, "not_found");
    for who in [&c.jude, &c.tess, &c.oscar, &c.mia] {
        let (s, b) = app.post_json(&path, Some(who), json!({"user": "jude"})).await;
        assert_error(s, &b, 403, "forbidden");
    }
    let (s, b) = app.post_json(&path, None, json!({"user": "jude"})).await;
    assert_error(s, &b, 401, "unauthorized");
    let (s, b) = app
        .post_json(
            &format!("/api/categories/{}/judges", uuid_like()),
            Some(&c.owner),
            json!({"user": "jude"}),
        )
        .await;
    assert_error(s, &b, 404, "not_found");

    // Admins and organizer members assign; again changes nothing.
    let jude_id = app.user_id(&c.jude).await;
    let b = assign(app, &c.admin, &c.pitch, "jude").await;
    assert_eq!(b, json!({"category_id": c.pitch, "user_id": jude_id, "user": "jude"}));
    assign(app, &c.orla, &c.pitch, "jude").await;
    let (_, pitch) = app.get(&format!("/api/categories/{}", c.pitch), Some(&c.owner)).await;
    let judges: Vec<&str> = pitch["judges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["user"].as_str().unwrap())
        .collect();
    assert_eq!(judges, vec!["gus", "jude"], "{pitch}");
}

// ---------------------------------------------------------------------------
// Scores over REST
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_judge_scores_a_team_once_per_category_and_replaces_it_after() {
    // Arrange
    let c = Contest::build().await;
    let jude_id = c.app.user_id(&c.jude).await;

    // Act
    let (s, first) = c
        .score(&c.jude, &c.design, &c.red, json!({"Innovation": 8, "Polish": 4.5}))
        .await;
    let (s2, second) = c
        .score(&c.jude, &c.design, &c.red, json!({"Innovation": 9, "Polish": 3}))
        .await;

    // Assert
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["category_id"], c.design.as_str());
    assert_eq!(first["category"], "Design");
    assert_eq!(first["team_id"], c.red.as_str());
    assert_eq!(first["team_name"], "Red");
    assert_eq!(first["judge_id"], jude_id.as_str());
    assert_eq!(first["judge"], "jude");
    assert_eq!(first["event_id"], c.event.as_str());
    assert_eq!(first["scores"], json!({"Innovation": 8, "Polish": 4.5}));
    assert!(close_to(&first["total"], 20.5), "2×8 + 1×4.5: {first}");
    assert_wire_time(&first["created_at"], "created_at");
    assert_wire_time(&first["updated_at"], "updated_at");
    assert_eq!(s2, 200, "{second}");
    assert_eq!(second["id"], first["id"], "the same score, replaced");
    assert!(close_to(&second["total"], 21.0), "{second}");
    assert_eq!(second["created_at"], first["created_at"]);

    // Its own category only, for assigned judges still judging the event.
    let (s, b) = c.score(&c.jude, &c.pitch, &c.red, json!({"Clarity": 5})).await;
    assert_error(s, &b, 403, "forbidden");
    c.app.remove_member(&c.owner, &c.event, "jill").await;
    let (s, b) = c
        .score(&c.jill, &c.design, &c.red, json!({"Innovation": 1, "Polish": 1}))
        .await;
    assert_error(s, &b, 403, "forbidden");
}

#[tokio::test(flavor = "multi_thread")]
async fn scores_out_of_range_unknown_or_from_the_wrong_people_are_refused() {
    // Arrange
    let c = Contest::build().await;
    let ok = json!({"Innovation": 8, "Polish": 4});

    // Act + Assert: values.
    for bad in [
        json!({"Innovation": 11, "Polish": 4}),
        json!({"Innovation": -0.5, "Polish": 4}),
        json!({"Innovation": 8, "Polish": 0}),
        json!({"Innovation": 8}),
        json!({}),
        json!({"Innovation": 8, "Polish": 4, "Charm": 3}),
        json!({"Innovation": "8", "Polish": 4}),
        json!({"Innovation": null, "Polish": 4}),
        json!({"Innovation": [8], "Polish": 4}),
    ] {
        let (s, b) = c.score(&c.jude, &c.design, &c.red, bad.clone()).await;
        assert_eq!(s, 422, "{bad}: {b}");
        assert_error(s, &b, 422, "invalid");
    }
    // A team of another event, unknown ids, a category with no criteria.
    let (s, b) = c.score(&c.jude, &c.design, &c.stranger, ok.clone()).await;
    assert_error(s, &b, 422, "invalid");
    let (s, b) = c.score(&c.jude, &c.design, uuid_like(), ok.clone()).await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = c.score(&c.jude, uuid_like(), &c.red, ok.clone()).await;
    assert_error(s, &b, 404, "not_found");
    let empty = category(&c.app, &c.owner, &c.event, json!({"name": "Empty"})).await;
    assign(&c.app, &c.owner, &empty, "jude").await;
    let (s, b) = c.score(&c.jude, &empty, &c.red, json!({})).await;
    assert_error(s, &b, 422, "invalid");
    // Shape.
    let (s, b) = c
        .app
        .post_json(
            "/api/judge/score",
            Some(&c.jude),
            json!({"category_id": c.design, "team_id": c.red, "scores": [8, 4]}),
        )
        .await;
    assert_error(s, &b, 400, "bad_json");

    // People: only assigned judges score; organizers and admins do not.
    for who in [&c.gus, &c.owner, &c.admin, &c.tess, &c.mia, &c.nina, &c.oscar] {
        let (s, b) = c.score(who, &c.design, &c.red, ok.clone()).await;
        assert_error(s, &b, 403, "forbidden");
    }
    let (s, b) = c.score_anon(&c.design, &c.red, ok.clone()).await;
    assert_error(s, &b, 401, "unauthorized");

    // Nothing of that was kept.
    let (_, all) = c
        .app
        .get(&format!("/api/categories/{}/scores", c.design), Some(&c.owner))
        .await;
    assert_eq!(all, json!([]), "{all}");
}

impl Contest {
    async fn score_anon(&self, category: &str, team: &str, scores: Value) -> (u16, Value) {
        self.app
            .post_json(
                "/api/judge/score",
                None,
                json!({"category_id": category, "team_id": team, "scores": scores}),
            )
            .await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn overseers_list_every_score_a_judge_only_their_own() {
    // Arrange
    let c = Contest::build().await;
    let mine = c
        .score_ok(&c.jude, &c.design, &c.red, json!({"Innovation": 8, "Polish": 4}))
        .await;
    let theirs = c
        .score_ok(&c.jill, &c.design, &c.red, json!({"Innovation": 3, "Polish": 2}))
        .await;
    c.score_ok(&c.jill, &c.design, &c.blue, json!({"Innovation": 5, "Polish": 5}))
        .await;
    let path = format!("/api/categories/{}/scores", c.design);

    // Act + Assert
    for who in [&c.owner, &c.orla, &c.admin, &c.tess] {
        let (s, all) = c.app.get(&path, Some(who)).await;
        assert_eq!(s, 200, "{all}");
        assert_eq!(all.as_array().unwrap().len(), 3, "{all}");
    }
    let (s, own) = c.app.get(&path, Some(&c.jude)).await;
    assert_eq!(s, 200, "{own}");
    assert_eq!(own, json!([mine]), "jude sees only his own score");
    let (_, own) = c.app.get(&path, Some(&c.jill)).await;
    let ids: Vec<&Value> = own.as_array().unwrap().iter().map(|s| &s["id"]).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&&theirs["id"]), "{own}");
    // gus judges another category; attendees, board, outsiders see nothing.
    for who in [&c.gus, &c.mia, &c.bob, &c.nina, &c.oscar] {
        let (s, b) = c.app.get(&path, Some(who)).await;
        assert_error(s, &b, 403, "forbidden");
    }
    let (s, b) = c.app.get(&path, None).await;
    assert_error(s, &b, 401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_score_is_changed_by_its_judge_and_removed_by_its_judge_or_the_organizers() {
    // Arrange
    let c = Contest::build().await;
    let a = c
        .score_ok(&c.jude, &c.design, &c.red, json!({"Innovation": 8, "Polish": 4}))
        .await;
    let b = c
        .score_ok(&c.jill, &c.design, &c.red, json!({"Innovation": 3, "Polish": 2}))
        .await;
    let (a_path, b_path) = (
        format!("/api/scores/{}", a["id"].as_str().unwrap()),
        format!("/api/scores/{}", b["id"].as_str().unwrap()),
    );
    let put = |path: String, token: String, body: Value| {
        let http = c.app.http.clone();
        let url = c.app.url(&path);
        async move {
            let resp = http.put(url).bearer_auth(token).json(&body).send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    // Act + Assert: PUT.
    let (s, changed) = put(
        a_path.clone(),
        c.jude.clone(),
        json!({"scores": {"Innovation": 10, "Polish": 5}}),
    )
    .await;
    assert_eq!(s, 200, "{changed}");
    assert_eq!(changed["id"], a["id"]);
    assert!(close_to(&changed["total"], 25.0), "{changed}");
    let (s, e) = put(a_path.clone(), c.jude.clone(), json!({"scores": {"Innovation": 10}})).await;
    assert_error(s, &e, 422, "invalid");
    for who in [&c.jill, &c.owner, &c.admin, &c.gus] {
        let (s, e) = put(
            a_path.clone(),
            who.to_string(),
            json!({"scores": {"Innovation": 1, "Polish": 1}}),
        )
        .await;
        assert_error(s, &e, 403, "forbidden");
    }
    let (s, e) = put(
        format!("/api/scores/{}", uuid_like()),
        c.jude.clone(),
        json!({"scores": {"Innovation": 1, "Polish": 1}}),
    )
    .await;
    assert_error(s, &e, 404, "not_found");

    // DELETE: not another judge, nor tally masters; the organizers and the judge may.
    for who in [&c.jill, &c.tess, &c.mia] {
        let (s, e) = c.app.delete(&a_path, Some(who)).await;
        assert_error(s, &e, 403, "forbidden");
    }
    let (s, _) = c.app.delete(&b_path, Some(&c.owner)).await;
    assert_eq!(s, 204);
    let (s, _) = c.app.delete(&a_path, Some(&c.jude)).await;
    assert_eq!(s, 204);
    let (s, e) = c.app.delete(&a_path, Some(&c.jude)).await;
    assert_error(s, &e, 404, "not_found");
    let (_, all) = c
        .app
        .get(&format!("/api/categories/{}/scores", c.design), Some(&c.owner))
        .await;
    assert_eq!(all, json!([]));
}

// ---------------------------------------------------------------------------
// Who hears what
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn the_scores_topic_is_for_overseers_only() {
    // Arrange
    let c = Contest::build().await;
    let topic = format!("event:{}:scores", c.event);

    // Act + Assert
    for (name, token) in [
        ("owner", &c.owner),
        ("orla", &c.orla),
        ("admin", &c.admin),
        ("tess", &c.tess),
    ] {
        let mut ws = c.socket(Some(token)).await;
        let reply = try_subscribe(&mut ws, &topic, name).await;
        assert_eq!(reply["type"], "subscribed", "{name}: {reply}");
    }
    for (name, token) in [
        ("jude", &c.jude),
        ("gus", &c.gus),
        ("bob", &c.bob),
        ("tom", &c.tom),
        ("mia", &c.mia),
        ("oscar", &c.oscar),
        ("nina", &c.nina),
    ] {
        let mut ws = c.socket(Some(token)).await;
        let reply = try_subscribe(&mut ws, &topic, name).await;
        assert_eq!(reply["type"], "error", "{name}: {reply}");
        assert_eq!(reply["data"]["code"], "forbidden", "{name}: {reply}");
    }
    let mut anon = c.socket(None).await;
    let reply = try_subscribe(&mut anon, &topic, "anon").await;
    assert_eq!(reply["data"]["code"], "unauthorized", "{reply}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_score_reaches_the_overseers_and_its_own_judge() {
    // Arrange
    let c = Contest::build().await;
    let jude_id = c.app.user_id(&c.jude).await;
    let scores = format!("event:{}:scores", c.event);
    let mut owner = c.follow(Some(&c.owner), &scores).await;
    let mut tess = c.follow(Some(&c.tess), &scores).await;
    let mut admin = c.follow(Some(&c.admin), "role:admin").await;
    let mut jude = c.follow(Some(&c.jude), &format!("user:{jude_id}")).await;

    // Act
    let given = c
        .score_ok(&c.jude, &c.design, &c.red, json!({"Innovation": 7, "Polish": 3}))
        .await;
    let score_path = format!("/api/scores/{}", given["id"].as_str().unwrap());
    c.score_ok(&c.jude, &c.design, &c.red, json!({"Innovation": 6, "Polish": 3}))
        .await;
    let (s, _) = c.app.delete(&score_path, Some(&c.owner)).await;
    assert_eq!(s, 204);

    // Assert: created, updated, deleted — in order, with the numbers.
    for (ws, who) in [
        (&mut owner, "owner"),
        (&mut tess, "tess"),
        (&mut admin, "admin"),
        (&mut jude, "jude"),
    ] {
        let mut actions = Vec::new();
        for _ in 0..3 {
            let f = ws.next_of_type("score_update", FRAME).await;
            assert_envelope(&f);
            assert_has_seq(&f);
            assert_eq!(f["data"]["id"], given["id"], "{who}: {f}");
            assert_eq!(f["data"]["judge_id"], jude_id.as_str(), "{who}: {f}");
            assert!(f["data"]["scores"].is_object(), "{who}: {f}");
            actions.push(f["data"]["action"].as_str().unwrap().to_string());
        }
        assert_eq!(actions, vec!["created", "updated", "deleted"], "{who}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_overseer_who_loses_the_role_stops_hearing_scores_at_once() {
    // Arrange
    let c = Contest::build().await;
    let topic = format!("event:{}:scores", c.event);
    let mut tess = c.follow(Some(&c.tess), &topic).await;

    // Act: tess becomes a plain attendee.
    c.app.add_member(&c.owner, &c.event, "tess", "attendee").await;
    let gone = tess.next_of_type("unsubscribed", FRAME).await;
    c.score_ok(&c.jude, &c.design, &c.red, json!({"Innovation": 8, "Polish": 4}))
        .await;

    // Assert
    assert_eq!(gone["data"]["topic"], topic.as_str(), "{gone}");
    assert_eq!(gone["data"]["reason"], "access_revoked", "{gone}");
    let rest = tess.collect_for(millis(500)).await;
    assert!(rest.iter().all(|f| f["type"] != "score_update"), "{rest:?}");
    let (s, b) = c
        .app
        .get(&format!("/api/categories/{}/scores", c.design), Some(&c.tess))
        .await;
    assert_error(s, &b, 403, "forbidden");
}

/// Subscribes to every topic in `candidates` the caller may follow; returns
/// the socket and the topics accepted.
async fn follow_everything(c: &Contest, token: &str, candidates: &[String]) -> (Ws, Vec<String>) {
    let mut ws = c.socket(Some(token)).await;
    let mut accepted = Vec::new();
    for (i, t) in candidates.iter().enumerate() {
        let reply = try_subscribe(&mut ws, t, &format!("all{i}")).await;
        if reply["type"] == "subscribed" {
            accepted.push(t.clone());
        }
    }
    (ws, accepted)
}

/// Every object inside `v` (itself included).
fn objects(v: &Value) -> Vec<&serde_json::Map<String, Value>> {
    let mut out = Vec::new();
    match v {
        Value::Object(m) => {
            out.push(m);
            for x in m.values() {
                out.extend(objects(x));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| out.extend(objects(x))),
        _ => {}
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn other_judges_numbers_never_reach_a_judges_socket() {
    // Arrange: two judges of the category (jude a global judge, gus a judge
    // by membership only, assigned too) follow everything they may.
    let c = Contest::build().await;
    assign(&c.app, &c.owner, &c.design, "gus").await;
    let (jude_id, jill_id, gus_id, admin_id) = (
        c.app.user_id(&c.jude).await,
        c.app.user_id(&c.jill).await,
        c.app.user_id(&c.gus).await,
        c.app.user_id(&c.admin).await,
    );
    let round = c.app.create_round(&c.owner, &c.event, 60, 0).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let e = &c.event;
    let mut candidates: Vec<String> = [
        format!("event:{e}"),
        format!("event:{e}:results"),
        format!("event:{e}:schedule"),
        format!("event:{e}:announcements"),
        format!("event:{e}:presence"),
        format!("event:{e}:scores"),
        format!("round:{round}"),
        format!("team:{}", c.red),
        format!("team:{}", c.blue),
        format!("user:{jude_id}"),
        format!("user:{jill_id}"),
        format!("user:{gus_id}"),
        format!("user:{admin_id}"),
        "admin".to_string(),
    ]
    .to_vec();
    for role in ["admin", "organizer", "judge", "attendee"] {
        candidates.push(format!("role:{role}"));
        candidates.push(format!("category:{}:{role}", c.design));
        candidates.push(format!("category:{}:{role}", c.pitch));
    }
    candidates.push(format!("category:{}", c.design));
    candidates.push(format!("category:{}", c.pitch));
    let (mut jude, jude_topics) = follow_everything(&c, &c.jude, &candidates).await;
    let (mut gus, gus_topics) = follow_everything(&c, &c.gus, &candidates).await;
    for topics in [&jude_topics, &gus_topics] {
        assert!(topics.contains(&format!("event:{e}:results")), "{topics:?}");
        assert!(
            topics.iter().any(|t| t.ends_with(":judge") || t == "role:judge"),
            "{topics:?}"
        );
        assert!(!topics.contains(&format!("event:{e}:scores")), "{topics:?}");
        assert!(!topics.contains(&"role:admin".to_string()), "{topics:?}");
        assert!(!topics.contains(&format!("user:{jill_id}")), "{topics:?}");
    }
    assert!(jude_topics.contains(&format!("user:{jude_id}")));
    assert!(gus_topics.contains(&format!("user:{gus_id}")));

    // Act: jill scores both teams, changes one, the organizers remove one
    // of her scores, certify the category, lock and publish.
    let a = c
        .score_ok(&c.jill, &c.design, &c.red, json!({"Innovation": 7.25, "Polish": 3.75}))
        .await;
    let b = c
        .score_ok(&c.jill, &c.design, &c.blue, json!({"Innovation": 2.5, "Polish": 1.5}))
        .await;
    c.score_ok(&c.jill, &c.design, &c.red, json!({"Innovation": 6.25, "Polish": 3.75}))
        .await;
    let (s, _) = c
        .app
        .delete(&format!("/api/scores/{}", b["id"].as_str().unwrap()), Some(&c.owner))
        .await;
    assert_eq!(s, 204);
    // jude scores too, so he has something of his own.
    let mine = c
        .score_ok(&c.jude, &c.design, &c.blue, json!({"Innovation": 4, "Polish": 2}))
        .await;
    let (s, _) = c
        .app
        .post(&format!("/api/categories/{}/certify", c.design), Some(&c.owner))
        .await;
    assert_eq!(s, 201);
    let (s, _) = c.app.post(&format!("/api/events/{e}/lock"), Some(&c.owner)).await;
    assert_eq!(s, 200);
    let (s, _) = c
        .app
        .post(&format!("/api/events/{e}/publish-results"), Some(&c.owner))
        .await;
    assert_eq!(s, 200);

    // Assert: every frame either judge got, read to the end.
    let jude_frames = jude.collect_for(millis(1500)).await;
    let gus_frames = gus.collect_for(millis(1500)).await;
    let secrets = [a["id"].as_str().unwrap(), b["id"].as_str().unwrap(), jill_id.as_str()];
    for (who, me, frames) in [("jude", &jude_id, &jude_frames), ("gus", &gus_id, &gus_frames)] {
        assert!(
            frames.iter().any(|f| f["type"] == "leaderboard_update"),
            "{who} follows the standings: {frames:?}"
        );
        for f in frames.iter() {
            let text = f.to_string();
            for secret in secrets {
                assert!(
                    !text.contains(secret),
                    "{who} got another judge's score ({secret}): {f}"
                );
            }
            if f["type"] == "score_update" {
                assert_eq!(&f["data"]["judge_id"], &json!(me), "{who}: {f}");
            }
            for o in objects(&f["data"]) {
                if o.contains_key("scores") || o.contains_key("judge_id") {
                    assert_eq!(o.get("judge_id"), Some(&json!(me)), "{who} saw a judge's values: {f}");
                }
            }
        }
    }
    let own: Vec<&Value> = jude_frames.iter().filter(|f| f["type"] == "score_update").collect();
    assert_eq!(own.len(), 1, "jude hears his own score once: {own:?}");
    assert_eq!(own[0]["data"]["id"], mine["id"]);
    assert!(gus_frames.iter().all(|f| f["type"] != "score_update"), "{gus_frames:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_hears_it_was_scored_without_any_numbers() {
    // Arrange
    let c = Contest::build().await;
    let red = format!("team:{}", c.red);
    let mut tom = c.follow(Some(&c.tom), &red).await;
    let mut owner = c.follow(Some(&c.owner), &red).await;
    let mut mia = c.socket(Some(&c.mia)).await;
    let refused = try_subscribe(&mut mia, &red, "m").await;
    assert_eq!(refused["data"]["code"], "forbidden", "{refused}");

    // Act
    let first = c
        .score_ok(&c.jude, &c.design, &c.red, json!({"Innovation": 9, "Polish": 5}))
        .await;
    c.score_ok(&c.jill, &c.design, &c.red, json!({"Innovation": 3, "Polish": 1}))
        .await;
    c.score_ok(&c.jill, &c.design, &c.blue, json!({"Innovation": 3, "Polish": 1}))
        .await;

    // Assert
    for (ws, who) in [(&mut tom, "tom"), (&mut owner, "owner")] {
        let n1 = ws.next_of_type("team_notification", FRAME).await;
        let n2 = ws.next_of_type("team_notification", FRAME).await;
        assert_envelope(&n1);
        assert_has_seq(&n1);
        assert_eq!(n1["topic"], red.as_str());
        assert_eq!(n1["data"]["team_id"], c.red.as_str(), "{who}: {n1}");
        assert_eq!(n1["data"]["category_id"], c.design.as_str());
        assert_eq!(n1["data"]["category"], "Design");
        assert_eq!(n1["data"]["action"], "created");
        assert_eq!(n1["data"]["message"], "You were scored in Design");
        assert_eq!(n1["data"]["judge_count"], 1, "{n1}");
        assert_eq!(n2["data"]["judge_count"], 2, "{n2}");
        for n in [&n1, &n2] {
            let d = n["data"].as_object().unwrap();
            for key in ["scores", "total", "judge_id", "judge", "average_total"] {
                assert!(!d.contains_key(key), "{who}: no `{key}` for the team: {n}");
            }
            assert!(!n.to_string().contains(first["id"].as_str().unwrap()), "{n}");
        }
        // Blue's score is not Red's business.
        let rest = ws.collect_for(millis(400)).await;
        assert!(rest.iter().all(|f| f["type"] != "team_notification"), "{who}: {rest:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn judges_hear_of_new_teams_and_of_their_assignments() {
    // Arrange
    let c = Contest::build().await;
    let jill_id = c.app.user_id(&c.jill).await;
    let judges = format!("category:{}:judge", c.design);
    let mut jude = c.follow(Some(&c.jude), &judges).await;
    let mut jill = c.follow(Some(&c.jill), &format!("user:{jill_id}")).await;
    let mut mia = c.socket(Some(&c.mia)).await;
    let refused = try_subscribe(&mut mia, &judges, "m").await;
    assert_eq!(refused["data"]["code"], "forbidden", "{refused}");

    // Act
    let yellow = c.app.create_team(&c.owner, &c.event, "Yellow").await;
    assign(&c.app, &c.owner, &c.pitch, "jill").await;
    assign(&c.app, &c.owner, &c.pitch, "jill").await;

    // Assert
    let n = jude.next_of_type("judge_notification", FRAME).await;
    assert_envelope(&n);
    assert_has_seq(&n);
    assert_eq!(n["topic"], judges.as_str());
    assert_eq!(n["data"]["reason"], "team_registered", "{n}");
    assert_eq!(n["data"]["team_id"], yellow.as_str(), "{n}");
    assert_eq!(n["data"]["team_name"], "Yellow", "{n}");
    assert_eq!(n["data"]["category_id"], c.design.as_str(), "{n}");
    assert_eq!(n["data"]["message"], "New team registered: Yellow", "{n}");
    let a = jill.next_of_type("judge_notification", FRAME).await;
    assert_eq!(a["data"]["reason"], "assigned", "{a}");
    assert_eq!(a["data"]["category_id"], c.pitch.as_str(), "{a}");
    assert_eq!(a["data"]["category"], "Pitch", "{a}");
    let again = jill.collect_for(millis(400)).await;
    assert!(
        again.iter().all(|f| f["type"] != "judge_notification"),
        "assigning again is no news: {again:?}"
    );
}

// ---------------------------------------------------------------------------
// Standings
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn standings_rank_ties_together_and_are_the_results_state() {
    // Arrange: a third team and judge for Design.
    let c = Contest::build().await;
    let green = c.app.create_team(&c.owner, &c.event, "Green").await;
    let results = format!("event:{}:results", c.event);
    let mut mia = c.follow(Some(&c.mia), &results).await;

    // Act: Red 2×8+4=20 and 2×6+2=14 → 17 (2 judges); Blue 2×7+3=17 (1);
    // Green 2×5+1=11 (1). Pitch: Red 6, Green 9 (gus).
    c.score_ok(&c.jude, &c.design, &c.red, json!({"Innovation": 8, "Polish": 4}))
        .await;
    c.score_ok(&c.jill, &c.design, &c.red, json!({"Innovation": 6, "Polish": 2}))
        .await;
    c.score_ok(&c.jude, &c.design, &c.blue, json!({"Innovation": 7, "Polish": 3}))
        .await;
    c.score_ok(&c.jill, &c.design, &green, json!({"Innovation": 5, "Polish": 1}))
        .await;
    c.score_ok(&c.gus, &c.pitch, &c.red, json!({"Clarity": 6})).await;
    c.score_ok(&c.gus, &c.pitch, &green, json!({"Clarity": 9})).await;

    // Assert: the update that shows all six scores.
    let full = mia
        .next_matching("standings with every score", secs(5), |f| {
            f["type"] == "leaderboard_update"
                && f["data"]["categories"][1]["standings"].as_array().map(Vec::len) == Some(2)
                && f["data"]["categories"][0]["standings"].as_array().map(Vec::len) == Some(3)
        })
        .await;
    assert_envelope(&full);
    assert_has_seq(&full);
    assert_eq!(full["topic"], results.as_str());
    let d = &full["data"];
    assert_eq!(d["event_id"], c.event.as_str());
    assert!(d["version"].is_u64(), "{d}");
    assert_eq!(d["locked"], false);
    assert_eq!(d["results_published"], false);
    let rows = |cat: &Value| -> Vec<(u64, String, f64, u64)> {
        cat["standings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["rank"].as_u64().unwrap(),
                    r["team_name"].as_str().unwrap().to_string(),
                    r["average_total"].as_f64().unwrap(),
                    r["judge_count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(d["categories"][0]["category"], "Design");
    assert_eq!(
        rows(&d["categories"][0]),
        vec![
            (1, "Blue".to_string(), 17.0, 1),
            (1, "Red".to_string(), 17.0, 2),
            (3, "Green".to_string(), 11.0, 1)
        ],
        "ties share a rank: {d}"
    );
    assert_eq!(
        rows(&d["categories"][1]),
        vec![(1, "Green".to_string(), 9.0, 1), (2, "Red".to_string(), 6.0, 1)]
    );
    let overall: Vec<(u64, String, f64, u64, u64)> = d["overall"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rank"].as_u64().unwrap(),
                r["team_name"].as_str().unwrap().to_string(),
                r["total"].as_f64().unwrap(),
                r["judge_count"].as_u64().unwrap(),
                r["categories_scored"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        overall,
        vec![
            (1, "Red".to_string(), 23.0, 3, 2),
            (2, "Green".to_string(), 20.0, 2, 2),
            (3, "Blue".to_string(), 17.0, 1, 1)
        ]
    );

    // REST says the same.
    let (s, rest) = c
        .app
        .get(&format!("/api/events/{}/leaderboard", c.event), Some(&c.mia))
        .await;
    assert_eq!(s, 200, "{rest}");
    assert_eq!(rest["categories"], d["categories"]);
    assert_eq!(rest["overall"], d["overall"]);
    let (s, b) = c
        .app
        .get(&format!("/api/events/{}/leaderboard", c.event), Some(&c.nina))
        .await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = c.app.get(&format!("/api/events/{}/leaderboard", c.event), None).await;
    assert_error(s, &b, 401, "unauthorized");

    // A late subscriber gets the latest standings as the topic's state.
    let mut late = c.socket(Some(&c.tom)).await;
    late.subscribe_ok(&results, None, "late").await;
    let state = late.next_json(FRAME).await;
    assert_eq!(state["type"], "leaderboard_update", "{state}");
    assert_eq!(state["data"]["overall"], d["overall"]);
    // Outsiders may not follow a private event's results.
    let mut nina = c.socket(Some(&c.nina)).await;
    let refused = try_subscribe(&mut nina, &results, "n").await;
    assert_eq!(refused["data"]["code"], "forbidden", "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn anyone_may_follow_the_standings_of_a_public_event() {
    // Arrange
    let app = TestApp::spawn().await;
    let owner = app.token("olga", "organizer").await;
    let jude = app.token("jude", "judge").await;
    let event = app.public_event(&owner, "Open hack").await;
    app.add_member(&owner, &event, "jude", "judge").await;
    let cat = category(
        &app,
        &owner,
        &event,
        json!({"name": "Best", "criteria": [{"name": "Overall", "max": 100}]}),
    )
    .await;
    assign(&app, &owner, &cat, "jude").await;
    let team = app.create_team(&owner, &event, "Solo").await;
    let mut anon = app.ws("/ws", None).await;
    anon.next_of_type("welcome", FRAME).await;
    anon.subscribe_ok(&format!("event:{event}:results"), None, "a").await;

    // Act
    let (s, b) = app
        .post_json(
            "/api/judge/score",
            Some(&jude),
            json!({"category_id": cat, "team_id": team, "scores": {"Overall": 77}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");

    // Assert
    let f = anon
        .next_matching("standings with Solo", secs(3), |f| {
            f["type"] == "leaderboard_update" && f["data"]["overall"][0]["team_name"] == "Solo"
        })
        .await;
    assert!(close_to(&f["data"]["overall"][0]["total"], 77.0), "{f}");
    let (s, rest) = app.get(&format!("/api/events/{event}/leaderboard"), None).await;
    assert_eq!(s, 200, "{rest}");
    assert!(
        !f.to_string().contains("\"scores\""),
        "no judge's values in the standings: {f}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_a_thousand_scores_ends_in_the_right_standings_with_few_updates() {
    // Arrange: 10 judges and 25 teams; each judge scores each team four
    // times (1,000 submissions); the last pass decides.
    let c = Contest::build().await;
    let app = &c.app;
    let mut judges = Vec::new();
    for i in 0..10 {
        let name = format!("judge{i}");
        let token = app.token(&name, "judge").await;
        app.add_member(&c.owner, &c.event, &name, "judge").await;
        assign(app, &c.owner, &c.design, &name).await;
        judges.push(token);
    }
    let mut teams = Vec::new();
    for t in 0..25 {
        teams.push(app.create_team(&c.owner, &c.event, &format!("Team {t:02}")).await);
    }
    let results = format!("event:{}:results", c.event);
    let mut watcher = c.follow(Some(&c.mia), &results).await;
    // Innovation = (pass + judge + team) mod 11, Polish = 1 + (judge × team) mod 5.
    let marks = |pass: usize, j: usize, t: usize| ((pass + j + t) % 11, 1 + (j * t) % 5);

    // Act
    let started = Instant::now();
    let cr = &c;
    let teams = &teams;
    for pass in 0..4 {
        let jobs = judges.iter().enumerate().flat_map(|(j, token)| {
            teams.iter().enumerate().map(move |(t, team)| {
                let (inn, pol) = marks(pass, j, t);
                cr.score(token, &cr.design, team, json!({"Innovation": inn, "Polish": pol}))
            })
        });
        let replies: Vec<(u16, Value)> = futures_util::stream::iter(jobs).buffer_unordered(16).collect().await;
        for (s, b) in &replies {
            assert!(*s == 200 || *s == 201, "{s} {b}");
        }
    }
    let burst = started.elapsed();

    // Assert: the final standings, computed here.
    let mut expected: Vec<(String, f64)> = (0..25)
        .map(|t| {
            let sum: usize = (0..10)
                .map(|j| {
                    let (inn, pol) = marks(3, j, t);
                    2 * inn + pol
                })
                .sum();
            (format!("Team {t:02}"), sum as f64 / 10.0)
        })
        .collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let matches = |f: &Value| {
        let rows = f["data"]["categories"][0]["standings"].as_array();
        rows.is_some_and(|rows| {
            rows.len() == 25
                && rows.iter().zip(&expected).all(|(r, (name, avg))| {
                    r["team_name"] == name.as_str() && close_to(&r["average_total"], *avg) && r["judge_count"] == 10
                })
        })
    };
    let frames = watcher
        .collect_until("the final standings", secs(10), |f| {
            f["type"] == "leaderboard_update" && matches(f)
        })
        .await;
    let settled = started.elapsed();
    // Nothing after the final state: it was the last word.
    let after = watcher.collect_for(millis(800)).await;
    assert!(
        after.iter().all(|f| f["type"] != "leaderboard_update"),
        "no update after the final standings: {after:?}"
    );
    let updates: Vec<&Value> = frames
        .iter()
        .map(|(f, _)| f)
        .filter(|f| f["type"] == "leaderboard_update")
        .collect();
    eprintln!(
        "1,000 scores in {burst:?}; final standings after {settled:?}; {} leaderboard_update frames",
        updates.len()
    );
    assert!(updates.len() < 100, "{} updates for 1,000 scores", updates.len());
    // At most one per 250 ms on average (single gaps between the frames'
    // stamps jitter on a loaded machine, as each is stamped when its
    // computation ends), and they move during the burst, not only after it.
    let span = ms_of(&updates[updates.len() - 1]["ts"]) - ms_of(&updates[0]["ts"]);
    assert!(
        updates.len() as i64 <= span / 250 + 2,
        "{} leaderboard_update frames in {span} ms",
        updates.len()
    );
    assert!(
        updates.len() >= 3,
        "the standings move during a burst of {burst:?}: {updates:?}"
    );
    let ranks: Vec<u64> = frames.last().unwrap().0["data"]["categories"][0]["standings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rank"].as_u64().unwrap())
        .collect();
    let mut want_ranks = Vec::new();
    for (i, (_, avg)) in expected.iter().enumerate() {
        let rank = if i > 0 && (expected[i - 1].1 - avg).abs() < 1e-9 {
            want_ranks[i - 1]
        } else {
            i as u64 + 1
        };
        want_ranks.push(rank);
    }
    assert_eq!(ranks, want_ranks);
    let (_, all) = app
        .get(&format!("/api/categories/{}/scores", c.design), Some(&c.owner))
        .await;
    assert_eq!(all.as_array().unwrap().len(), 250, "one score per judge and team");
}

#[tokio::test(flavor = "multi_thread")]
async fn standings_are_there_for_subscribers_after_a_restart() {
    // Arrange
    let mut c = Contest::build().await;
    c.score_ok(&c.jude, &c.design, &c.red, json!({"Innovation": 8, "Polish": 4}))
        .await;
    tokio::time::sleep(millis(400)).await;

    // Act
    c.app.restart().await;
    let results = format!("event:{}:results", c.event);
    let mut ws = c.socket(Some(&c.mia)).await;
    ws.subscribe_ok(&results, None, "r").await;

    // Assert
    let state = ws.next_json(FRAME).await;
    assert_eq!(state["type"], "leaderboard_update", "{state}");
    assert_eq!(state["data"]["categories"][0]["standings"][0]["team_name"], "Red");
    assert!(close_to(
        &state["data"]["categories"][0]["standings"][0]["average_total"],
        20.0
    ));
}

// ---------------------------------------------------------------------------
// Certification, lock, results
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn certifying_a_category_freezes_it_and_tells_everyone_concerned() {
    // Arrange
    let c = Contest::build().await;
    let bob_id = c.app.user_id(&c.bob).await;
    let tess_id = c.app.user_id(&c.tess).await;
    c.score_ok(&c.jude, &c.design, &c.red, json!({"Innovation": 8, "Polish": 4}))
        .await;
    let public = format!("category:{}", c.design);
    let mut mia = c.follow(Some(&c.mia), &public).await;
    let mut owner = c.follow(Some(&c.owner), &format!("event:{}:scores", c.event)).await;
    let mut bob = c.follow(Some(&c.bob), &format!("user:{bob_id}")).await;
    let mut nina = c.socket(Some(&c.nina)).await;
    let refused = try_subscribe(&mut nina, &public, "n").await;
    assert_eq!(refused["data"]["code"], "forbidden");
    let path = format!("/api/categories/{}/certify", c.design);

    // Act + Assert: judges, attendees, board members, outsiders may not.
    for who in [&c.jude, &c.mia, &c.bob, &c.oscar, &c.nina] {
        let (s, b) = c.app.post(&path, Some(who)).await;
        assert_error(s, &b, 403, "forbidden");
    }
    let (s, b) = c.app.post(&path, None).await;
    assert_error(s, &b, 401, "unauthorized");
    let (s, cert) = c.app.post(&path, Some(&c.tess)).await;
    assert_eq!(s, 201, "{cert}");
    assert_eq!(cert["category_id"], c.design.as_str());
    assert_eq!(cert["status"], "certified");
    assert_eq!(cert["certified_by"], tess_id.as_str());
    assert_wire_time(&cert["certified_at"], "certified_at");
    let (s, b) = c.app.post(&path, Some(&c.owner)).await;
    assert_error(s, &b, 409, "conflict");

    for (ws, who) in [(&mut mia, "mia"), (&mut owner, "owner")] {
        let f = ws.next_of_type("certification:updated", FRAME).await;
        assert_envelope(&f);
        assert_has_seq(&f);
        assert_eq!(f["data"], cert, "{who}");
    }
    let n = bob.next_of_type("notification", FRAME).await;
    assert_eq!(n["data"]["kind"], "system", "{n}");
    assert_eq!(n["data"]["body"], "Category Design was certified", "{n}");
    assert_eq!(n["data"]["data"]["category_id"], c.design.as_str(), "{n}");
    let (_, listed) = c.app.get("/api/notifications?unread=true", Some(&c.bob)).await;
    assert_eq!(
        listed["notifications"][0]["notification_id"], n["data"]["notification_id"],
        "stored and listed: {listed}"
    );

    // The category is frozen; the other is not.
    let (s, b) = c
        .score(&c.jill, &c.design, &c.red, json!({"Innovation": 1, "Polish": 1}))
        .await;
    assert_error(s, &b, 409, "conflict");
    let (s, b) = c.score(&c.gus, &c.pitch, &c.red, json!({"Clarity": 5})).await;
    assert_eq!(s, 201, "{b}");
    let (_, cat) = c.app.get(&format!("/api/categories/{}", c.design), Some(&c.mia)).await;
    assert_eq!(cat["certification"], cert);
    let (_, board) = c
        .app
        .get(&format!("/api/events/{}/leaderboard", c.event), Some(&c.mia))
        .await;
    assert_eq!(board["categories"][0]["certified"], true, "{board}");
    assert_eq!(board["categories"][1]["certified"], false, "{board}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_contest_takes_no_scores_and_its_results_are_published_once() {
    // Arrange
    let c = Contest::build().await;
    let mine = c
        .score_ok(&c.jude, &c.design, &c.red, json!({"Innovation": 8, "Polish": 4}))
        .await;
    let e = &c.event;
    let mut room = c.follow(Some(&c.jude), &format!("event:{e}")).await;
    let mut screen = c.follow(Some(&c.mia), &format!("event:{e}:results")).await;
    let (lock, publish) = (
        format!("/api/events/{e}/lock"),
        format!("/api/events/{e}/publish-results"),
    );

    // Act + Assert: publishing needs the lock first.
    let (s, b) = c.app.post(&publish, Some(&c.owner)).await;
    assert_error(s, &b, 409, "conflict");
    for who in [&c.jude, &c.tess, &c.mia, &c.oscar] {
        let (s, b) = c.app.post(&lock, Some(who)).await;
        assert_error(s, &b, 403, "forbidden");
        let (s, b) = c.app.post(&publish, Some(who)).await;
        assert_error(s, &b, 403, "forbidden");
    }
    let (s, status) = c.app.post(&lock, Some(&c.orla)).await;
    assert_eq!(s, 200, "{status}");
    assert_eq!(status["locked"], true);
    assert_eq!(status["results_published"], false);
    assert_wire_time(&status["locked_at"], "locked_at");
    let (s, b) = c.app.post(&lock, Some(&c.owner)).await;
    assert_error(s, &b, 409, "conflict");
    let locked = room.next_of_type("contest:locked", FRAME).await;
    assert_envelope(&locked);
    assert_has_seq(&locked);
    assert_eq!(locked["data"]["event_id"], e.as_str());

    // No score changes any more.
    let (s, b) = c
        .score(&c.jill, &c.design, &c.red, json!({"Innovation": 1, "Polish": 1}))
        .await;
    assert_error(s, &b, 409, "conflict");
    let score_path = format!("/api/scores/{}", mine["id"].as_str().unwrap());
    let resp = c
        .app
        .http
        .put(c.app.url(&score_path))
        .bearer_auth(&c.jude)
        .json(&json!({"scores": {"Innovation": 1, "Polish": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 409);
    let (s, b) = c.app.delete(&score_path, Some(&c.owner)).await;
    assert_error(s, &b, 409, "conflict");

    // Results: once.
    let (s, standings) = c.app.post(&publish, Some(&c.admin)).await;
    assert_eq!(s, 200, "{standings}");
    assert_eq!(standings["results_published"], true);
    assert_eq!(standings["categories"][0]["standings"][0]["team_name"], "Red");
    let (s, b) = c.app.post(&publish, Some(&c.owner)).await;
    assert_error(s, &b, 409, "conflict");
    let published = screen.next_of_type("results:published", FRAME).await;
    assert_has_seq(&published);
    assert_eq!(published["data"]["event_id"], e.as_str());
    assert_wire_time(&published["data"]["published_at"], "published_at");
    assert_eq!(published["data"]["leaderboard"]["overall"], standings["overall"]);
    let last = screen
        .next_matching("published standings", FRAME, |f| {
            f["type"] == "leaderboard_update" && f["data"]["results_published"] == true
        })
        .await;
    assert_eq!(last["data"]["locked"], true);
}
