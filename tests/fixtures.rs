//! Fixtures, results and league standings (docs/fixtures.md): organizers
//! schedule, reschedule, postpone, cancel, start and score fixtures over
//! REST; `schedule_update` reaches the event's schedule topic and both
//! teams, `result_update` the results topic and both teams, and the league
//! table rides in the coalesced `leaderboard_update` state of
//! `event:{id}:results`. A third team never hears of a fixture it is not in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Instant;

const PAST: &str = "2026-01-10T15:00:00Z";

/// A private event with four teams and one of every kind of caller.
struct League {
    app: TestApp,
    event: String,
    /// Teams Ajax (tom), Benfica (bea), Celtic (cal) and Dynamo (nobody).
    ajax: String,
    benfica: String,
    celtic: String,
    dynamo: String,
    /// A team of another event.
    stranger: String,
    admin: String,
    owner: String,
    /// Organizer, member of the event as `organizer`.
    orla: String,
    /// Organizer with no part in the event.
    oscar: String,
    /// Attendee members, each on one team.
    tom: String,
    bea: String,
    cal: String,
    /// Attendee member on no team.
    mia: String,
    /// Not a member.
    nina: String,
}

impl League {
    async fn build() -> League {
        let app = TestApp::spawn().await;
        let admin = app.token("ada", "admin").await;
        let owner = app.token("olga", "organizer").await;
        let orla = app.token("orla", "organizer").await;
        let oscar = app.token("oscar", "organizer").await;
        let tom = app.token("tom", "attendee").await;
        let bea = app.token("bea", "attendee").await;
        let cal = app.token("cal", "attendee").await;
        let mia = app.token("mia", "attendee").await;
        let nina = app.token("nina", "attendee").await;
        let event = app.private_event(&owner, "Cup night").await;
        for (user, role) in [
            ("orla", "organizer"),
            ("tom", "attendee"),
            ("bea", "attendee"),
            ("cal", "attendee"),
            ("mia", "attendee"),
        ] {
            app.add_member(&owner, &event, user, role).await;
        }
        let ajax = app.create_team(&owner, &event, "Ajax").await;
        let benfica = app.create_team(&owner, &event, "Benfica").await;
        let celtic = app.create_team(&owner, &event, "Celtic").await;
        let dynamo = app.create_team(&owner, &event, "Dynamo").await;
        app.add_team_member(&owner, &ajax, "tom", "member").await;
        app.add_team_member(&owner, &benfica, "bea", "member").await;
        app.add_team_member(&owner, &celtic, "cal", "member").await;
        let other = app.private_event(&owner, "Other cup").await;
        let stranger = app.create_team(&owner, &other, "Elsewhere").await;
        League {
            app,
            event,
            ajax,
            benfica,
            celtic,
            dynamo,
            stranger,
            admin,
            owner,
            orla,
            oscar,
            tom,
            bea,
            cal,
            mia,
            nina,
        }
    }

    async fn try_fixture(&self, token: &str, body: Value) -> (u16, Value) {
        self.app
            .post_json(&format!("/api/events/{}/fixtures", self.event), Some(token), body)
            .await
    }

    /// Creates a fixture as the owner; returns it.
    async fn fixture(&self, home: &str, away: &str, starts_at: &str) -> Value {
        let (s, b) = self
            .try_fixture(
                &self.owner,
                json!({"home_team_id": home, "away_team_id": away, "starts_at": starts_at, "venue": "Main pitch"}),
            )
            .await;
        assert_eq!(s, 201, "POST fixtures: {b}");
        b
    }

    async fn act(&self, token: &str, fixture: &str, what: &str) -> (u16, Value) {
        self.app
            .post(&format!("/api/fixtures/{fixture}/{what}"), Some(token))
            .await
    }

    async fn result(&self, token: &str, fixture: &str, home: Value, away: Value) -> (u16, Value) {
        put(
            &self.app,
            &format!("/api/fixtures/{fixture}/result"),
            Some(token),
            json!({"home_score": home, "away_score": away}),
        )
        .await
    }

    async fn result_ok(&self, fixture: &str, home: i64, away: i64) -> Value {
        let (s, b) = self.result(&self.owner, fixture, json!(home), json!(away)).await;
        assert_eq!(s, 200, "PUT result: {b}");
        b
    }

    /// A `/ws` socket past its welcome, subscribed to `topic`.
    async fn follow(&self, token: Option<&str>, topic: &str) -> Ws {
        let mut ws = self.app.ws("/ws", token).await;
        ws.next_of_type("welcome", FRAME).await;
        ws.subscribe_ok(topic, None, "f").await;
        ws
    }

    fn schedule(&self) -> String {
        format!("event:{}:schedule", self.event)
    }

    fn results(&self) -> String {
        format!("event:{}:results", self.event)
    }
}

/// `PUT` with a JSON body (the harness has no PUT helper).
async fn put(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    put_raw(app, path, token, &body.to_string()).await
}

async fn put_raw(app: &TestApp, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let mut req = app
        .http
        .put(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("PUT");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Subscribes and returns the reply (`subscribed` or `error`).
async fn try_subscribe(ws: &mut Ws, topic: &str, r: &str) -> Value {
    ws.send_subscribe(topic, None, r).await;
    ws.reply_to(r, FRAME).await
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// A league row as (rank, team, played, won, drawn, lost, for, against,
/// difference, points).
type Line = (u64, String, u64, u64, u64, u64, i64, i64, i64, i64);

fn lines(standings: &Value) -> Vec<Line> {
    standings
        .as_array()
        .expect("standings array")
        .iter()
        .map(|r| {
            (
                r["rank"].as_u64().unwrap(),
                r["team_name"].as_str().unwrap().to_string(),
                r["played"].as_u64().unwrap(),
                r["won"].as_u64().unwrap(),
                r["drawn"].as_u64().unwrap(),
                r["lost"].as_u64().unwrap(),
                r["for"].as_i64().unwrap(),
                r["against"].as_i64().unwrap(),
                r["difference"].as_i64().unwrap(),
                r["points"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn line(rank: u64, team: &str, p: [u64; 4], goals: [i64; 4]) -> Line {
    (
        rank,
        team.to_string(),
        p[0],
        p[1],
        p[2],
        p[3],
        goals[0],
        goals[1],
        goals[2],
        goals[3],
    )
}

fn is_update(f: &Value, kind: &str, fixture: &str, action: &str) -> bool {
    f["type"] == kind && f["data"]["fixture"]["id"] == fixture && f["data"]["action"] == action
}

// ---------------------------------------------------------------------------
// REST: create, list, get, rights
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn organizers_schedule_fixtures_and_the_events_readers_list_them() {
    // Arrange
    let l = League::build().await;

    // Act
    let first = l.fixture(&l.ajax, &l.benfica, "2026-12-01T18:00:00+01:00").await;
    let (s, second) = l
        .try_fixture(
            &l.orla,
            json!({"home_team_id": l.celtic, "away_team_id": l.ajax, "starts_at": "2026-12-08T17:00:00Z"}),
        )
        .await;
    assert_eq!(s, 201, "an organizer member may schedule: {second}");
    let third = l.fixture(&l.benfica, &l.celtic, "2026-12-15T17:00:00Z").await;
    l.act(&l.owner, &id(&third), "cancel").await;

    // Assert: the fixture as created, in UTC.
    assert_eq!(first["event_id"], l.event.as_str());
    assert_eq!(first["home"], json!({"id": l.ajax, "name": "Ajax"}));
    assert_eq!(first["away"], json!({"id": l.benfica, "name": "Benfica"}));
    assert_eq!(first["starts_at"], "2026-12-01T17:00:00.000Z");
    assert_wire_time(&first["created_at"], "created_at");
    assert_eq!(first["venue"], "Main pitch");
    assert_eq!(first["status"], "scheduled");
    assert_eq!(first["home_score"], Value::Null);
    assert_eq!(second["venue"], Value::Null);

    let list = |q: String| {
        let app = &l.app;
        let path = format!("/api/events/{}/fixtures{q}", l.event);
        let mia = l.mia.clone();
        async move {
            let (s, b) = app.get(&path, Some(&mia)).await;
            assert_eq!(s, 200, "GET {path}: {b}");
            b.as_array().unwrap().iter().map(id).collect::<Vec<_>>()
        }
    };
    let (a, b, c) = (id(&first), id(&second), id(&third));
    assert_eq!(
        list("".into()).await,
        vec![a.clone(), b.clone(), c.clone()],
        "by start time"
    );
    assert_eq!(list("?status=scheduled".into()).await, vec![a.clone(), b.clone()]);
    assert_eq!(list("?status=cancelled".into()).await, vec![c.clone()]);
    assert_eq!(list(format!("?team={}", l.ajax)).await, vec![a.clone(), b.clone()]);
    assert_eq!(
        list("?from=2026-12-05T00:00:00Z&to=2026-12-10T00:00:00Z".into()).await,
        vec![b.clone()]
    );
    assert_eq!(
        list("?from=2026-12-08T17:00:00Z".into()).await,
        vec![b.clone(), c.clone()]
    );
    assert_eq!(
        list("?to=2026-12-08T17:00:00Z".into()).await,
        vec![a.clone()],
        "to is exclusive"
    );

    let (s, got) = l.app.get(&format!("/api/fixtures/{a}"), Some(&l.tom)).await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(got, first);

    // Who may read and write.
    for (token, status, code) in [
        (Some(&l.nina), 403, "forbidden"),
        (Some(&l.oscar), 403, "forbidden"),
        (None, 401, "unauthorized"),
    ] {
        let (s, b) = l
            .app
            .get(&format!("/api/events/{}/fixtures", l.event), token.map(String::as_str))
            .await;
        assert_error(s, &b, status, code);
        let (s, b) = l
            .app
            .get(&format!("/api/fixtures/{a}"), token.map(String::as_str))
            .await;
        assert_error(s, &b, status, code);
    }
    let (s, b) = l.app.get(&format!("/api/fixtures/{a}"), Some(&l.admin)).await;
    assert_eq!(s, 200, "{b}");
    let body = json!({"home_team_id": l.ajax, "away_team_id": l.dynamo, "starts_at": PAST});
    for token in [&l.tom, &l.mia, &l.oscar, &l.nina] {
        let (s, b) = l.try_fixture(token, body.clone()).await;
        assert_error(s, &b, 403, "forbidden");
    }
    let (s, b) = l
        .app
        .post_json(&format!("/api/events/{}/fixtures", l.event), None, body.clone())
        .await;
    assert_error(s, &b, 401, "unauthorized");
    for what in ["postpone", "cancel", "start"] {
        let (s, b) = l.act(&l.tom, &a, what).await;
        assert_error(s, &b, 403, "forbidden");
    }
    let (s, b) = l.result(&l.mia, &a, json!(1), json!(0)).await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = l.app.delete(&format!("/api/fixtures/{a}"), Some(&l.tom)).await;
    assert_error(s, &b, 403, "forbidden");

    // Unknown ids.
    let nobody = "00000000-0000-4000-8000-000000000000";
    let (s, b) = l.app.get(&format!("/api/fixtures/{nobody}"), Some(&l.owner)).await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = l.app.get("/api/fixtures/not-a-uuid", Some(&l.owner)).await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = l.act(&l.owner, nobody, "start").await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = l
        .app
        .post_json(&format!("/api/events/{nobody}/fixtures"), Some(&l.owner), body)
        .await;
    assert_error(s, &b, 404, "not_found");

    // Organizers delete; the fixture is gone.
    let (s, b) = l.app.delete(&format!("/api/fixtures/{c}"), Some(&l.orla)).await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = l.app.get(&format!("/api/fixtures/{c}"), Some(&l.owner)).await;
    assert_error(s, &b, 404, "not_found");
    assert_eq!(list("".into()).await, vec![a, id(&second)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_fixture_input_is_refused_with_a_clear_error() {
    // Arrange
    let l = League::build().await;
    let ok = json!({"home_team_id": l.ajax, "away_team_id": l.benfica, "starts_at": PAST});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let nobody = "00000000-0000-4000-8000-000000000000";

    // Act + Assert: creating.
    for (body, status, code, says) in [
        (
            with("away_team_id", json!(l.ajax)),
            422,
            "invalid",
            "two different teams",
        ),
        (
            with("away_team_id", json!(l.stranger)),
            422,
            "invalid",
            "does not take part",
        ),
        (with("home_team_id", json!(nobody)), 404, "not_found", "home team"),
        (with("away_team_id", json!("not-a-uuid")), 400, "bad_json", ""),
        (with("starts_at", json!("next tuesday")), 422, "invalid", "RFC 3339"),
        (
            with("starts_at", json!("2026-13-01T10:00:00Z")),
            422,
            "invalid",
            "RFC 3339",
        ),
        (with("starts_at", json!("2026-12-01 10:00")), 422, "invalid", "RFC 3339"),
        (with("starts_at", json!(1700000000)), 400, "bad_json", ""),
        (with("venue", json!("")), 422, "invalid", "venue"),
        (with("venue", json!("x".repeat(201))), 422, "invalid", "venue"),
        (with("referee", json!("Collina")), 400, "bad_json", "referee"),
        (
            json!({"home_team_id": l.ajax, "starts_at": PAST}),
            400,
            "bad_json",
            "away_team_id",
        ),
    ] {
        let (s, b) = l.try_fixture(&l.owner, body.clone()).await;
        assert_error(s, &b, status, code);
        let msg = b["error"]["message"].as_str().unwrap();
        assert!(msg.contains(says), "{body} → {msg}");
    }
    let (s, b) = l
        .app
        .post_raw(
            &format!("/api/events/{}/fixtures", l.event),
            Some(&l.owner),
            "{\"home_team_id\":",
        )
        .await;
    assert_error(s, &b, 400, "bad_json");
    let (s, b) = l
        .app
        .get(&format!("/api/events/{}/fixtures", l.event), Some(&l.owner))
        .await;
    assert_eq!(b, json!([]), "nothing was created: {s}");

    // Listing.
    let f = id(&l.fixture(&l.ajax, &l.benfica, PAST).await);
    for (q, status, code) in [
        ("?status=finished", 422, "invalid"),
        ("?team=nope", 422, "invalid"),
        ("?from=yesterday", 422, "invalid"),
        ("?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", 422, "invalid"),
        ("?colour=red", 422, "invalid"),
    ] {
        let (s, b) = l
            .app
            .get(&format!("/api/events/{}/fixtures{q}", l.event), Some(&l.mia))
            .await;
        assert_error(s, &b, status, code);
    }
    for team in [nobody, l.stranger.as_str()] {
        let (s, b) = l
            .app
            .get(&format!("/api/events/{}/fixtures?team={team}", l.event), Some(&l.mia))
            .await;
        assert_error(s, &b, 404, "not_found");
    }

    // Results.
    for (home, away, status, code) in [
        (json!(-1), json!(0), 422, "invalid"),
        (json!(1), json!(-3), 422, "invalid"),
        (json!(1.5), json!(0), 422, "invalid"),
        (json!(1000), json!(0), 422, "invalid"),
        (json!("2"), json!(0), 400, "bad_json"),
        (json!(null), json!(0), 400, "bad_json"),
    ] {
        let (s, b) = l.result(&l.owner, &f, home.clone(), away.clone()).await;
        assert_error(s, &b, status, code);
    }
    let path = format!("/api/fixtures/{f}/result");
    let (s, b) = put(&l.app, &path, Some(&l.owner), json!({"home_score": 1})).await;
    assert_error(s, &b, 400, "bad_json");
    let (s, b) = put(
        &l.app,
        &path,
        Some(&l.owner),
        json!({"home_score": 1, "away_score": 0, "winner": "home"}),
    )
    .await;
    assert_error(s, &b, 400, "bad_json");
    let (s, b) = put_raw(&l.app, &path, Some(&l.owner), "not json").await;
    assert_error(s, &b, 400, "bad_json");
    let (_, got) = l.app.get(&format!("/api/fixtures/{f}"), Some(&l.owner)).await;
    assert_eq!(got["status"], "scheduled", "no bad result was kept: {got}");

    // Rescheduling.
    let path = format!("/api/fixtures/{f}/reschedule");
    for (body, status, code) in [
        (json!({}), 422, "invalid"),
        (json!({"starts_at": "soon"}), 422, "invalid"),
        (json!({"venue": "  "}), 422, "invalid"),
        (json!({"starts_at": PAST, "status": "live"}), 400, "bad_json"),
    ] {
        let (s, b) = l.app.post_json(&path, Some(&l.owner), body).await;
        assert_error(s, &b, status, code);
    }

    // Points per outcome.
    let path = format!("/api/events/{}/standings/config", l.event);
    for (body, status, code) in [
        (
            json!({"points_win": -1, "points_draw": 0, "points_loss": 0}),
            422,
            "invalid",
        ),
        (
            json!({"points_win": 2.5, "points_draw": 1, "points_loss": 0}),
            422,
            "invalid",
        ),
        (
            json!({"points_win": 101, "points_draw": 1, "points_loss": 0}),
            422,
            "invalid",
        ),
        (
            json!({"points_win": 1, "points_draw": 2, "points_loss": 0}),
            422,
            "invalid",
        ),
        (json!({"points_win": 3, "points_draw": 1}), 400, "bad_json"),
        (
            json!({"points_win": 3, "points_draw": 1, "points_loss": 0, "bonus": 1}),
            400,
            "bad_json",
        ),
    ] {
        let (s, b) = put(&l.app, &path, Some(&l.owner), body.clone()).await;
        assert_error(s, &b, status, code);
    }
    let good = json!({"points_win": 2, "points_draw": 1, "points_loss": 0});
    for (token, status, code) in [
        (Some(&l.mia), 403, "forbidden"),
        (Some(&l.oscar), 403, "forbidden"),
        (None, 401, "unauthorized"),
    ] {
        let (s, b) = put(&l.app, &path, token.map(String::as_str), good.clone()).await;
        assert_error(s, &b, status, code);
    }
    let (s, b) = l.app.get(&path, Some(&l.mia)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"points_win": 3, "points_draw": 1, "points_loss": 0}),
        "defaults kept"
    );
}

// ---------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn only_legal_status_transitions_are_allowed() {
    // Arrange
    let l = League::build().await;
    let conflict = |(s, b): (u16, Value)| assert_error(s, &b, 409, "conflict");
    let ok = |(s, b): (u16, Value), status: &str| {
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["status"], status, "{b}");
    };
    let resched = |f: String| {
        let app = &l.app;
        let owner = l.owner.clone();
        async move {
            app.post_json(
                &format!("/api/fixtures/{f}/reschedule"),
                Some(&owner),
                json!({"starts_at": PAST}),
            )
            .await
        }
    };

    // A fixture in the future has not started by the server's clock.
    let future = id(&l.fixture(&l.ajax, &l.benfica, "2099-01-01T12:00:00Z").await);
    let (s, b) = l.result(&l.owner, &future, json!(1), json!(0)).await;
    assert_error(s, &b, 409, "conflict");
    assert!(b["error"]["message"].as_str().unwrap().contains("not started"), "{b}");
    // ... unless it is live already (an early kick-off).
    ok(l.act(&l.owner, &future, "start").await, "live");
    conflict(l.act(&l.owner, &future, "start").await);
    conflict(resched(future.clone()).await);
    ok(l.result(&l.owner, &future, json!(1), json!(0)).await, "completed");

    // Completed: only corrections.
    conflict(resched(future.clone()).await);
    for what in ["postpone", "cancel", "start"] {
        conflict(l.act(&l.owner, &future, what).await);
    }
    ok(l.result(&l.owner, &future, json!(2), json!(0)).await, "completed");

    // Postponed: no result, no kick-off until rescheduled.
    let p = id(&l.fixture(&l.ajax, &l.celtic, PAST).await);
    ok(l.act(&l.owner, &p, "postpone").await, "postponed");
    conflict(l.act(&l.owner, &p, "postpone").await);
    conflict(l.result(&l.owner, &p, json!(0), json!(0)).await);
    conflict(l.act(&l.owner, &p, "start").await);
    ok(resched(p.clone()).await, "scheduled");
    ok(l.act(&l.owner, &p, "start").await, "live");
    ok(l.act(&l.owner, &p, "postpone").await, "postponed");
    ok(l.act(&l.owner, &p, "cancel").await, "cancelled");

    // Cancelled: final.
    for what in ["postpone", "cancel", "start"] {
        conflict(l.act(&l.owner, &p, what).await);
    }
    conflict(resched(p.clone()).await);
    conflict(l.result(&l.owner, &p, json!(1), json!(1)).await);
    let (_, got) = l.app.get(&format!("/api/fixtures/{p}"), Some(&l.owner)).await;
    assert_eq!(got["status"], "cancelled");
    assert_eq!(got["home_score"], Value::Null, "{got}");
}

// ---------------------------------------------------------------------------
// Who hears schedule changes
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn schedule_changes_reach_the_event_and_both_teams_and_never_a_third_team() {
    // Arrange: the schedule screen, both teams and a third team.
    let l = League::build().await;
    let mut screen = l.follow(Some(&l.mia), &l.schedule()).await;
    let mut tom = l.follow(Some(&l.tom), &format!("team:{}", l.ajax)).await;
    let mut bea = l.follow(Some(&l.bea), &format!("team:{}", l.benfica)).await;
    let mut cal = l.follow(Some(&l.cal), &format!("team:{}", l.celtic)).await;
    // Team topics are for their members and the organizers only.
    for (token, topic, code) in [
        (Some(&l.cal), format!("team:{}", l.ajax), "forbidden"),
        (Some(&l.mia), format!("team:{}", l.benfica), "forbidden"),
        (None, format!("team:{}", l.ajax), "unauthorized"),
        (Some(&l.nina), l.schedule(), "forbidden"),
        (None, l.schedule(), "unauthorized"),
        (Some(&l.nina), l.results(), "forbidden"),
    ] {
        let mut ws = l.app.ws("/ws", token.map(String::as_str)).await;
        ws.next_of_type("welcome", FRAME).await;
        let refused = try_subscribe(&mut ws, &topic, "x").await;
        assert_eq!(refused["type"], "error", "{topic}: {refused}");
        assert_eq!(refused["data"]["code"], code, "{topic}: {refused}");
    }
    let mut olga = l.follow(Some(&l.owner), &format!("team:{}", l.ajax)).await;

    // Act + Assert: created.
    let f = l.fixture(&l.ajax, &l.benfica, "2026-12-01T18:00:00Z").await;
    let fid = id(&f);
    for ws in [&mut screen, &mut tom, &mut bea, &mut olga] {
        let frame = ws
            .next_matching("created", secs(5), |x| is_update(x, "schedule_update", &fid, "created"))
            .await;
        assert_envelope(&frame);
        assert_has_seq(&frame);
        assert_eq!(frame["data"]["fixture"], f);
        assert_eq!(frame["data"]["changed"], json!([]));
        assert_eq!(frame["data"]["previous"], json!({}));
    }

    // Rescheduled: what changed and what it was.
    let (s, moved) = l
        .app
        .post_json(
            &format!("/api/fixtures/{fid}/reschedule"),
            Some(&l.orla),
            json!({"starts_at": "2026-12-02T18:30:00Z", "venue": "North stadium"}),
        )
        .await;
    assert_eq!(s, 200, "{moved}");
    for ws in [&mut screen, &mut tom, &mut bea] {
        let frame = ws
            .next_matching("rescheduled", secs(5), |x| {
                is_update(x, "schedule_update", &fid, "rescheduled")
            })
            .await;
        let d = &frame["data"];
        assert_eq!(d["fixture"], moved);
        assert_eq!(d["fixture"]["starts_at"], "2026-12-02T18:30:00.000Z");
        assert_eq!(d["fixture"]["venue"], "North stadium");
        assert_eq!(d["changed"], json!(["starts_at", "venue"]));
        assert_eq!(
            d["previous"],
            json!({"starts_at": "2026-12-01T18:00:00.000Z", "venue": "Main pitch"})
        );
    }

    // Postponed, rescheduled (scheduled again), live, cancelled.
    let steps: [(&str, Option<Value>, &str, &str); 4] = [
        ("postpone", None, "postponed", "scheduled"),
        (
            "reschedule",
            Some(json!({"starts_at": PAST})),
            "rescheduled",
            "postponed",
        ),
        ("start", None, "live", "scheduled"),
        ("cancel", None, "cancelled", "live"),
    ];
    for (what, body, action, was) in steps {
        let path = format!("/api/fixtures/{fid}/{what}");
        let (s, b) = match body {
            Some(body) => l.app.post_json(&path, Some(&l.owner), body).await,
            None => l.app.post(&path, Some(&l.owner)).await,
        };
        assert_eq!(s, 200, "{what}: {b}");
        for ws in [&mut screen, &mut tom, &mut bea] {
            let frame = ws
                .next_matching(action, secs(5), |x| is_update(x, "schedule_update", &fid, action))
                .await;
            assert_eq!(frame["data"]["fixture"]["status"], b["status"], "{frame}");
            assert_eq!(frame["data"]["previous"]["status"], was, "{frame}");
            assert!(
                frame["data"]["changed"].as_array().unwrap().contains(&json!("status")),
                "{frame}"
            );
        }
    }

    // Deleted.
    let other = id(&l.fixture(&l.benfica, &l.ajax, PAST).await);
    let (s, _) = l.app.delete(&format!("/api/fixtures/{other}"), Some(&l.owner)).await;
    assert_eq!(s, 204);
    for ws in [&mut screen, &mut tom, &mut bea] {
        ws.next_matching("deleted", secs(5), |x| {
            is_update(x, "schedule_update", &other, "deleted")
        })
        .await;
    }

    // A fixture Celtic plays in does reach Celtic: the silence below is
    // about rights, not a dead socket.
    let theirs = id(&l.fixture(&l.celtic, &l.dynamo, PAST).await);
    let seen = cal
        .collect_until("Celtic's own fixture", secs(5), |x| {
            is_update(x, "schedule_update", &theirs, "created")
        })
        .await;
    // Every frame Celtic's member got: nothing about Ajax v Benfica.
    for (frame, _) in &seen {
        assert!(
            !frame.to_string().contains(&fid) && !frame.to_string().contains(&other),
            "a third team heard of another fixture: {frame}"
        );
    }
    let rest = cal.collect_for(millis(300)).await;
    assert!(rest.iter().all(|f| f["type"] != "schedule_update"), "{rest:?}");
    // And Ajax's member did not hear of Celtic v Dynamo.
    let tom_rest = tom.collect_for(millis(500)).await;
    assert!(
        tom_rest.iter().all(|x| !x.to_string().contains(&theirs)),
        "{tom_rest:?}"
    );
}

// ---------------------------------------------------------------------------
// Results and standings
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn results_are_pushed_and_the_standings_follow_the_points_config() {
    // Arrange: custom points 4 / 2 / 1; Dynamo only has a fixture to come.
    let l = League::build().await;
    let config = format!("/api/events/{}/standings/config", l.event);
    let (s, b) = put(
        &l.app,
        &config,
        Some(&l.owner),
        json!({"points_win": 4, "points_draw": 2, "points_loss": 1}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b, json!({"points_win": 4, "points_draw": 2, "points_loss": 1}));
    let ab = id(&l.fixture(&l.ajax, &l.benfica, PAST).await);
    let bc = id(&l.fixture(&l.benfica, &l.celtic, PAST).await);
    let ca = id(&l.fixture(&l.celtic, &l.ajax, PAST).await);
    l.fixture(&l.dynamo, &l.ajax, "2099-01-01T12:00:00Z").await;
    let mut board = l.follow(Some(&l.mia), &l.results()).await;
    let mut tom = l.follow(Some(&l.tom), &format!("team:{}", l.ajax)).await;
    let mut cal = l.follow(Some(&l.cal), &format!("team:{}", l.celtic)).await;

    // Act: Ajax 2-1 Benfica, Benfica 1-1 Celtic, Celtic 1-2 Ajax.
    let r = l.result_ok(&ab, 2, 1).await;
    l.result_ok(&bc, 1, 1).await;
    l.result_ok(&ca, 1, 2).await;

    // Assert: each result on the results topic and to both its teams.
    assert_eq!(r["status"], "completed");
    assert_eq!((r["home_score"].as_i64(), r["away_score"].as_i64()), (Some(2), Some(1)));
    let frame = board
        .next_matching("Ajax v Benfica", secs(5), |x| {
            is_update(x, "result_update", &ab, "recorded")
        })
        .await;
    assert_envelope(&frame);
    assert_eq!(frame["topic"], l.results().as_str());
    assert_eq!(frame["data"]["fixture"], r);
    assert_eq!(frame["data"]["previous"], Value::Null);
    for f in [&ab, &ca] {
        tom.next_matching("Ajax's results", secs(5), |x| {
            is_update(x, "result_update", f, "recorded")
        })
        .await;
    }
    let seen = cal
        .collect_until("Celtic's last result", secs(5), |x| {
            is_update(x, "result_update", &ca, "recorded")
        })
        .await;
    assert!(seen.iter().any(|(x, _)| is_update(x, "result_update", &bc, "recorded")));
    assert!(
        seen.iter().all(|(x, _)| !x.to_string().contains(&ab)),
        "Celtic heard of Ajax v Benfica: {seen:?}"
    );
    // Ajax 8 (2 wins), Benfica and Celtic 3 each with equal difference and
    // goals: they share second place, by name; Dynamo has played nothing.
    let want = vec![
        line(1, "Ajax", [2, 2, 0, 0], [4, 2, 2, 8]),
        line(2, "Benfica", [2, 0, 1, 1], [2, 3, -1, 3]),
        line(2, "Celtic", [2, 0, 1, 1], [2, 3, -1, 3]),
        line(4, "Dynamo", [0, 0, 0, 0], [0, 0, 0, 0]),
    ];
    let state = board
        .next_matching("the standings after three results", secs(5), |x| {
            x["type"] == "leaderboard_update" && lines(&x["data"]["standings"]) == want
        })
        .await;
    assert_has_seq(&state);
    assert_eq!(state["data"]["categories"], json!([]), "no judging here");
    assert!(state["data"]["version"].is_u64());
    let (s, rest) = l
        .app
        .get(&format!("/api/events/{}/standings", l.event), Some(&l.tom))
        .await;
    assert_eq!(s, 200, "{rest}");
    assert_eq!(rest["standings"], state["data"]["standings"]);
    assert_eq!(
        rest["points"],
        json!({"points_win": 4, "points_draw": 2, "points_loss": 1})
    );
    let (_, lb) = l
        .app
        .get(&format!("/api/events/{}/leaderboard", l.event), Some(&l.mia))
        .await;
    assert_eq!(lb["standings"], state["data"]["standings"]);

    // Act: back to 3 / 1 / 0, then Benfica 1-1 Celtic corrected to 2-1.
    let (s, b) = put(
        &l.app,
        &config,
        Some(&l.orla),
        json!({"points_win": 3, "points_draw": 1, "points_loss": 0}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let want = vec![
        line(1, "Ajax", [2, 2, 0, 0], [4, 2, 2, 6]),
        line(2, "Benfica", [2, 0, 1, 1], [2, 3, -1, 1]),
        line(2, "Celtic", [2, 0, 1, 1], [2, 3, -1, 1]),
        line(4, "Dynamo", [0, 0, 0, 0], [0, 0, 0, 0]),
    ];
    board
        .next_matching("the standings with 3/1/0", secs(5), |x| {
            x["type"] == "leaderboard_update" && lines(&x["data"]["standings"]) == want
        })
        .await;
    let fixed = l.result_ok(&bc, 2, 1).await;

    // Assert: the correction says what it replaced; Celtic now trails
    // Dynamo on goal difference.
    let frame = board
        .next_matching("the correction", secs(5), |x| {
            is_update(x, "result_update", &bc, "corrected")
        })
        .await;
    assert_eq!(frame["data"]["previous"], json!({"home_score": 1, "away_score": 1}));
    assert_eq!(frame["data"]["fixture"], fixed);
    cal.next_matching("the correction", secs(5), |x| {
        is_update(x, "result_update", &bc, "corrected")
    })
    .await;
    let want = vec![
        line(1, "Ajax", [2, 2, 0, 0], [4, 2, 2, 6]),
        line(2, "Benfica", [2, 1, 0, 1], [3, 3, 0, 3]),
        line(3, "Dynamo", [0, 0, 0, 0], [0, 0, 0, 0]),
        line(4, "Celtic", [2, 0, 0, 2], [2, 4, -2, 0]),
    ];
    board
        .next_matching("the corrected standings", secs(5), |x| {
            x["type"] == "leaderboard_update" && lines(&x["data"]["standings"]) == want
        })
        .await;

    // A late subscriber gets the table as the topic's state.
    let mut late = l.app.ws("/ws", Some(&l.bea)).await;
    late.next_of_type("welcome", FRAME).await;
    late.subscribe_ok(&l.results(), None, "late").await;
    let s = late.next_of_type("leaderboard_update", FRAME).await;
    assert_eq!(lines(&s["data"]["standings"]), want);
    // Outsiders read nothing.
    for (token, status, code) in [(Some(&l.nina), 403, "forbidden"), (None, 401, "unauthorized")] {
        let (s, b) = l
            .app
            .get(&format!("/api/events/{}/standings", l.event), token.map(String::as_str))
            .await;
        assert_error(s, &b, status, code);
        let (s, b) = l.app.get(&config, token.map(String::as_str)).await;
        assert_error(s, &b, status, code);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_public_events_fixtures_results_and_standings_are_open_to_anyone() {
    // Arrange
    let app = TestApp::spawn().await;
    let owner = app.token("olga", "organizer").await;
    let event = app.public_event(&owner, "Open cup").await;
    let home = app.create_team(&owner, &event, "Home").await;
    let away = app.create_team(&owner, &event, "Away").await;
    let mut anon = app.ws("/ws", None).await;
    anon.next_of_type("welcome", FRAME).await;
    anon.subscribe_ok(&format!("event:{event}:schedule"), None, "s").await;
    anon.subscribe_ok(&format!("event:{event}:results"), None, "r").await;
    let mut sse = app
        .sse(&format!("/api/events/{event}/stream/results"), None, &[])
        .await
        .expect("results stream");
    // A team's own topic still needs its member or an organizer.
    let refused = try_subscribe(&mut anon, &format!("team:{home}"), "t").await;
    assert_eq!(refused["data"]["code"], "unauthorized", "{refused}");

    // Act
    let (s, f) = app
        .post_json(
            &format!("/api/events/{event}/fixtures"),
            Some(&owner),
            json!({"home_team_id": home, "away_team_id": away, "starts_at": PAST}),
        )
        .await;
    assert_eq!(s, 201, "{f}");
    let fid = id(&f);
    let (s, r) = put(
        &app,
        &format!("/api/fixtures/{fid}/result"),
        Some(&owner),
        json!({"home_score": 0, "away_score": 3}),
    )
    .await;
    assert_eq!(s, 200, "{r}");

    // Assert
    anon.next_matching("created", secs(5), |x| is_update(x, "schedule_update", &fid, "created"))
        .await;
    let done = anon
        .next_matching("completed", secs(5), |x| {
            is_update(x, "schedule_update", &fid, "completed")
        })
        .await;
    assert_eq!(done["data"]["previous"], json!({"status": "scheduled"}));
    anon.next_matching("the result", secs(5), |x| {
        is_update(x, "result_update", &fid, "recorded")
    })
    .await;
    let want = vec![
        line(1, "Away", [1, 1, 0, 0], [3, 0, 3, 3]),
        line(2, "Home", [1, 0, 0, 1], [0, 3, -3, 0]),
    ];
    anon.next_matching("the standings", secs(5), |x| {
        x["type"] == "leaderboard_update" && lines(&x["data"]["standings"]) == want
    })
    .await;
    let (_, data) = sse
        .next_data_matching("standings over SSE", secs(5), |d| {
            d["type"] == "leaderboard_update" && lines(&d["data"]["standings"]) == want
        })
        .await;
    assert_eq!(data["topic"], format!("event:{event}:results"));
    let (s, list) = app.get(&format!("/api/events/{event}/fixtures"), None).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list[0], r);
    let (s, table) = app.get(&format!("/api/events/{event}/standings"), None).await;
    assert_eq!(s, 200, "{table}");
    assert_eq!(lines(&table["standings"]), want);
    // Reading is open; writing is not.
    let (s, b) = app.post(&format!("/api/fixtures/{fid}/cancel"), None).await;
    assert_error(s, &b, 401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_with_only_fixtures_has_its_standings_after_a_restart() {
    // Arrange
    let mut l = League::build().await;
    let f = id(&l.fixture(&l.ajax, &l.benfica, PAST).await);
    l.result_ok(&f, 0, 0).await;

    // Act
    l.app.restart().await;
    let mut ws = l.app.ws("/ws", Some(&l.mia)).await;
    ws.next_of_type("welcome", FRAME).await;
    ws.subscribe_ok(&l.results(), None, "r").await;

    // Assert: the state comes at once, computed from the database.
    let state = ws.next_json(FRAME).await;
    assert_eq!(state["type"], "leaderboard_update", "{state}");
    assert_eq!(
        lines(&state["data"]["standings"]),
        vec![
            line(1, "Ajax", [1, 0, 1, 0], [0, 0, 0, 1]),
            line(1, "Benfica", [1, 0, 1, 0], [0, 0, 0, 1]),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_with_neither_fixtures_nor_categories_publishes_no_standings() {
    // Arrange
    let l = League::build().await;

    // Act
    let mut ws = l.follow(Some(&l.mia), &l.results()).await;

    // Assert: nothing to show, nothing sent.
    let frames = ws.collect_for(millis(600)).await;
    assert!(frames.iter().all(|f| f["type"] != "leaderboard_update"), "{frames:?}");
    let (s, b) = l
        .app
        .get(&format!("/api/events/{}/standings", l.event), Some(&l.mia))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["standings"], json!([]));
}

// ---------------------------------------------------------------------------
// Under load
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_300_results_ends_in_the_right_standings_with_few_updates() {
    // Arrange: 20 teams, 300 fixtures (home and away), all in the past.
    let l = League::build().await;
    let app = &l.app;
    let mut teams = Vec::new();
    for t in 0..20 {
        teams.push(app.create_team(&l.owner, &l.event, &format!("Club {t:02}")).await);
    }
    let pairs: Vec<(usize, usize)> = (0..20)
        .flat_map(|h| (0..20).filter(move |a| *a != h).map(move |a| (h, a)))
        .take(300)
        .collect();
    let creates = pairs.iter().map(|(h, a)| {
        let body = json!({"home_team_id": teams[*h], "away_team_id": teams[*a], "starts_at": PAST});
        l.try_fixture(&l.owner, body)
    });
    let created: Vec<(u16, Value)> = futures_util::stream::iter(creates).buffer_unordered(16).collect().await;
    let mut by_pair = HashMap::new();
    for (s, b) in &created {
        assert_eq!(*s, 201, "{b}");
        by_pair.insert(
            (
                b["home"]["id"].as_str().unwrap().to_string(),
                b["away"]["id"].as_str().unwrap().to_string(),
            ),
            id(b),
        );
    }
    let fixtures: Vec<String> = pairs
        .iter()
        .map(|(h, a)| by_pair[&(teams[*h].clone(), teams[*a].clone())].clone())
        .collect();
    let mut watcher = l.follow(Some(&l.mia), &l.results()).await;
    // Let the standings of the scheduling settle before the burst.
    watcher.collect_for(millis(600)).await;
    let goals = |i: usize, h: usize, a: usize| ((i * 7 + h) % 4, (i * 3 + a * 5) % 3);

    // Act
    let started = Instant::now();
    let jobs = fixtures.iter().zip(&pairs).enumerate().map(|(i, (f, (h, a)))| {
        let (hg, ag) = goals(i, *h, *a);
        l.result(&l.owner, f, json!(hg), json!(ag))
    });
    let replies: Vec<(u16, Value)> = futures_util::stream::iter(jobs).buffer_unordered(16).collect().await;
    let burst = started.elapsed();
    for (s, b) in &replies {
        assert_eq!(*s, 200, "{b}");
    }

    // Assert: the final table, computed here with 3/1/0.
    let mut rows: Vec<(String, i64, i64, i64, u64)> = (0..20).map(|t| (format!("Club {t:02}"), 0, 0, 0, 0)).collect();
    for (i, (h, a)) in pairs.iter().enumerate() {
        let (hg, ag) = goals(i, *h, *a);
        let (hg, ag) = (hg as i64, ag as i64);
        let (hp, ap) = match hg.cmp(&ag) {
            std::cmp::Ordering::Greater => (3, 0),
            std::cmp::Ordering::Equal => (1, 1),
            std::cmp::Ordering::Less => (0, 3),
        };
        for (t, f, x, p) in [(*h, hg, ag, hp), (*a, ag, hg, ap)] {
            rows[t].1 += p;
            rows[t].2 += f - x;
            rows[t].3 += f;
            rows[t].4 += 1;
        }
    }
    rows.sort_by(|x, y| (y.1, y.2, y.3).cmp(&(x.1, x.2, x.3)).then_with(|| x.0.cmp(&y.0)));
    let expected: Vec<(String, i64, i64, i64, u64)> = rows;
    let matches = |f: &Value| {
        f["type"] == "leaderboard_update"
            && f["data"]["standings"].as_array().is_some_and(|r| {
                r.len() == 20
                    && r.iter().zip(&expected).all(|(r, e)| {
                        r["team_name"] == e.0.as_str()
                            && r["points"] == e.1
                            && r["difference"] == e.2
                            && r["for"] == e.3
                            && r["played"] == e.4
                    })
            })
    };
    let frames = watcher.collect_until("the final standings", secs(10), matches).await;
    let settled = started.elapsed();
    let after = watcher.collect_for(millis(800)).await;
    assert!(
        after.iter().all(|f| f["type"] != "leaderboard_update"),
        "no update after the final standings: {after:?}"
    );
    let updates = frames.iter().filter(|(f, _)| f["type"] == "leaderboard_update").count();
    let results = frames.iter().filter(|(f, _)| f["type"] == "result_update").count();
    eprintln!("300 results in {burst:?}; final standings after {settled:?}; {updates} leaderboard_update frames");
    assert_eq!(results, 300, "every result was pushed once");
    assert!(updates <= 30, "{updates} leaderboard_update frames for 300 results");
    // At most one per 250 ms on average (single gaps jitter under load).
    let stamps: Vec<i64> = frames
        .iter()
        .filter(|(f, _)| f["type"] == "leaderboard_update")
        .map(|(f, _)| ms_of(&f["ts"]))
        .collect();
    if let (Some(first), Some(last)) = (stamps.first(), stamps.last()) {
        let span = last - first;
        assert!(
            stamps.len() as i64 <= span / 250 + 2,
            "{} leaderboard_update frames in {span} ms",
            stamps.len()
        );
    }
    let (_, table) = app
        .get(&format!("/api/events/{}/standings", l.event), Some(&l.mia))
        .await;
    assert_eq!(
        table["standings"],
        frames.last().unwrap().0["data"]["standings"],
        "REST agrees with the last frame"
    );
}
