//! The topic rights table of docs/protocol.md ("Topics and who may follow
//! them"), cell by cell, over `/ws` with `subscribe` frames: every topic
//! kind against every kind of caller, allowed and denied. A denied caller
//! with a token gets `forbidden`, one without gets `unauthorized`; an
//! unknown id is `not_found`, a malformed topic `invalid`; every reply
//! echoes the request's `ref`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

/// Every kind of caller the table distinguishes.
const CALLERS: &[&str] = &[
    "anonymous",
    "admin",
    "owner",        // organizer who owns both events
    "org_member",   // organizer, member of the private event as `organizer`
    "other_org",    // organizer without any membership
    "member",       // attendee, member of the private event as `attendee`
    "outsider",     // attendee, member of nothing (but of the public event's team)
    "judge",        // global judge, member of the private event as `judge`
    "guest_judge",  // global attendee, member of the private event as `judge`
    "team_member",  // attendee, event member, `member` of the private team
    "team_manager", // attendee, event member, `manager` of the private team
    "purchaser",    // attendee, event member, bought a ticket
];

/// Every caller with a token: (name, token).
struct World {
    app: TestApp,
    callers: Vec<(&'static str, Option<String>)>,
    /// Private event P, public event Q and what hangs off them.
    p: String,
    q: String,
    round_p: String,
    round_q: String,
    team_p: String,
    team_q: String,
    cat_p: String,
    cat_q: String,
    purchase: String,
    member_id: String,
    admin_id: String,
}

impl World {
    async fn build() -> World {
        // Generous message and subscription limits: this file checks rights only.
        let app = TestApp::spawn_with(&[
            ("EMCEE_WS_MESSAGES_PER_MINUTE", "100000"),
            ("EMCEE_WS_MAX_SUBSCRIPTIONS", "1000"),
        ])
        .await;
        let admin = app.token("ada", "admin").await;
        let owner = app.token("olga", "organizer").await;
        let org_member = app.token("orla", "organizer").await;
        let other_org = app.token("oscar", "organizer").await;
        let member = app.token("mia", "attendee").await;
        let outsider = app.token("nina", "attendee").await;
        let judge = app.token("jude", "judge").await;
        let guest_judge = app.token("gus", "attendee").await;
        let team_member = app.token("tom", "attendee").await;
        let team_manager = app.token("tim", "attendee").await;
        let purchaser = app.token("paul", "attendee").await;

        let p = app.private_event(&owner, "Private night").await;
        let q = app.public_event(&owner, "Open night").await;
        app.add_member(&owner, &p, "orla", "organizer").await;
        app.add_member(&owner, &p, "mia", "attendee").await;
        app.add_member(&owner, &p, "jude", "judge").await;
        app.add_member(&owner, &p, "gus", "judge").await;
        app.add_member(&owner, &p, "tom", "attendee").await;
        app.add_member(&owner, &p, "tim", "attendee").await;
        app.add_member(&owner, &p, "paul", "attendee").await;
        let round_p = app.create_round(&owner, &p, 60, 0).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let round_q = app.create_round(&owner, &q, 60, 0).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let team_p = app.create_team(&owner, &p, "Red").await;
        app.add_team_member(&owner, &team_p, "tom", "member").await;
        app.add_team_member(&owner, &team_p, "tim", "manager").await;
        let team_q = app.create_team(&owner, &q, "Blue").await;
        app.add_team_member(&owner, &team_q, "nina", "member").await;
        let cat_p = app.create_category(&owner, &p, "Best dish").await;
        let cat_q = app.create_category(&owner, &q, "Best song").await;
        let purchase = app.create_purchase(&purchaser, &p).await;
        let member_id = app.user_id(&member).await;
        let admin_id = app.user_id(&admin).await;

        let callers = vec![
            ("anonymous", None),
            ("admin", Some(admin)),
            ("owner", Some(owner)),
            ("org_member", Some(org_member)),
            ("other_org", Some(other_org)),
            ("member", Some(member)),
            ("outsider", Some(outsider)),
            ("judge", Some(judge)),
            ("guest_judge", Some(guest_judge)),
            ("team_member", Some(team_member)),
            ("team_manager", Some(team_manager)),
            ("purchaser", Some(purchaser)),
        ];
        assert_eq!(callers.len(), CALLERS.len());
        World {
            app,
            callers,
            p,
            q,
            round_p,
            round_q,
            team_p,
            team_q,
            cat_p,
            cat_q,
            purchase,
            member_id,
            admin_id,
        }
    }

    /// Subscribes every caller to every row's topic and returns every cell
    /// that differs from the table (empty when all match).
    async fn check(&self, rows: &[(String, Expect)]) -> Vec<String> {
        let per_caller = self.callers.iter().map(|(name, token)| async move {
            let mut ws = self.app.ws("/ws", token.as_deref()).await;
            let welcome = ws.next_json(FRAME).await;
            assert_eq!(welcome["type"], "welcome", "{name}: {welcome}");
            let mut wrong = Vec::new();
            for (i, (topic, expect)) in rows.iter().enumerate() {
                let r = format!("{name}-{i}");
                ws.send_subscribe(topic, None, &r).await;
                let reply = ws.reply_to(&r, FRAME).await;
                let want = expect.for_caller(name);
                if let Some(why) = mismatch(&reply, topic, want) {
                    wrong.push(format!("{name} → {topic}: want {want}, {why}"));
                }
            }
            ws.close().await;
            wrong
        });
        futures_util::future::join_all(per_caller)
            .await
            .into_iter()
            .flatten()
            .collect()
    }
}

/// One row of the table.
#[derive(Clone)]
enum Expect {
    /// These callers subscribe; every other caller with a token is
    /// `forbidden`, and `anonymous` (unless listed) is `unauthorized`.
    Allow(&'static [&'static str]),
    /// The same error for everyone.
    All(&'static str),
}

impl Expect {
    fn for_caller(&self, caller: &str) -> &'static str {
        match self {
            Expect::All(code) => code,
            Expect::Allow(who) if who.contains(&caller) => "subscribed",
            Expect::Allow(_) if caller == "anonymous" => "unauthorized",
            Expect::Allow(_) => "forbidden",
        }
    }
}

/// Why `reply` is not the documented answer `want`, or `None` if it is.
fn mismatch(reply: &Value, topic: &str, want: &str) -> Option<String> {
    if !reply["type"].is_string() || !reply["ts"].is_string() || !reply["data"].is_object() {
        return Some(format!("bad envelope: {reply}"));
    }
    if want == "subscribed" {
        if reply["type"] != "subscribed" {
            return Some(format!("got {reply}"));
        }
        let d = &reply["data"];
        let epoch_ok = d["epoch"]
            .as_str()
            .is_some_and(|e| e.len() == 16 && e.chars().all(|c| c.is_ascii_hexdigit()));
        if reply["topic"] != topic
            || d["topic"] != topic
            || !epoch_ok
            || !d["seq"].is_u64()
            || !d["recovered"].is_null()
        {
            return Some(format!("malformed subscribed reply: {reply}"));
        }
        return None;
    }
    if reply["type"] != "error" || reply["data"]["code"] != want || !reply["data"]["message"].is_string() {
        return Some(format!("got {reply}"));
    }
    None
}

const READERS_P: &[&str] = &[
    "admin",
    "owner",
    "org_member",
    "member",
    "judge",
    "guest_judge",
    "team_member",
    "team_manager",
    "purchaser",
];

const EVERYONE: &[&str] = CALLERS;

fn assert_table(wrong: &[String]) {
    assert!(
        wrong.is_empty(),
        "{} cell(s) of the rights table differ from docs/protocol.md:\n  {}",
        wrong.len(),
        wrong.join("\n  ")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn event_round_and_category_topics_follow_the_read_rights_of_their_event() {
    // Arrange
    let w = World::build().await;
    let rows: Vec<(String, Expect)> = vec![
        (format!("event:{}", w.p), Expect::Allow(READERS_P)),
        (format!("event:{}:results", w.p), Expect::Allow(READERS_P)),
        (format!("event:{}:schedule", w.p), Expect::Allow(READERS_P)),
        (format!("event:{}:announcements", w.p), Expect::Allow(READERS_P)),
        (format!("round:{}", w.round_p), Expect::Allow(READERS_P)),
        (format!("category:{}", w.cat_p), Expect::Allow(READERS_P)),
        (format!("event:{}", w.q), Expect::Allow(EVERYONE)),
        (format!("event:{}:results", w.q), Expect::Allow(EVERYONE)),
        (format!("event:{}:schedule", w.q), Expect::Allow(EVERYONE)),
        (format!("event:{}:announcements", w.q), Expect::Allow(EVERYONE)),
        (format!("round:{}", w.round_q), Expect::Allow(EVERYONE)),
        (format!("category:{}", w.cat_q), Expect::Allow(EVERYONE)),
    ];

    // Act
    let wrong = w.check(&rows).await;

    // Assert
    assert_table(&wrong);
}

#[tokio::test(flavor = "multi_thread")]
async fn presence_topics_are_for_the_managers_of_the_event_only() {
    // Arrange
    let w = World::build().await;
    let rows = vec![
        (
            format!("event:{}:presence", w.p),
            Expect::Allow(&["admin", "owner", "org_member"]),
        ),
        // Public or not, presence is the managers' business; orla organizes
        // only the private event.
        (format!("event:{}:presence", w.q), Expect::Allow(&["admin", "owner"])),
    ];

    // Act
    let wrong = w.check(&rows).await;

    // Assert
    assert_table(&wrong);
}

#[tokio::test(flavor = "multi_thread")]
async fn team_topics_are_for_the_team_and_the_managers_of_its_event() {
    // Arrange
    let w = World::build().await;
    let rows = vec![
        (
            format!("team:{}", w.team_p),
            Expect::Allow(&["admin", "owner", "org_member", "team_member", "team_manager"]),
        ),
        // A team of a public event is still private to the team: nina is its
        // member, readers of the event are not.
        (
            format!("team:{}", w.team_q),
            Expect::Allow(&["admin", "owner", "outsider"]),
        ),
    ];

    // Act
    let wrong = w.check(&rows).await;

    // Assert
    assert_table(&wrong);
}

#[tokio::test(flavor = "multi_thread")]
async fn user_and_purchase_topics_are_for_their_owner_only_not_even_admins() {
    // Arrange
    let w = World::build().await;
    let rows = vec![
        (format!("user:{}", w.member_id), Expect::Allow(&["member"])),
        (format!("user:{}", w.admin_id), Expect::Allow(&["admin"])),
        (format!("purchase:{}", w.purchase), Expect::Allow(&["purchaser"])),
    ];

    // Act
    let wrong = w.check(&rows).await;

    // Assert
    assert_table(&wrong);
}

#[tokio::test(flavor = "multi_thread")]
async fn role_topics_are_for_holders_of_that_global_role_only() {
    // Arrange
    let w = World::build().await;
    let rows = vec![
        ("role:admin".to_string(), Expect::Allow(&["admin"])),
        (
            "role:organizer".to_string(),
            Expect::Allow(&["owner", "org_member", "other_org"]),
        ),
        // gus judges the private event as a member but is a global attendee.
        ("role:judge".to_string(), Expect::Allow(&["judge"])),
        (
            "role:attendee".to_string(),
            Expect::Allow(&[
                "member",
                "outsider",
                "guest_judge",
                "team_member",
                "team_manager",
                "purchaser",
            ]),
        ),
    ];

    // Act
    let wrong = w.check(&rows).await;

    // Assert
    assert_table(&wrong);
}

#[tokio::test(flavor = "multi_thread")]
async fn category_role_topics_are_for_readers_holding_the_role_globally_or_as_member() {
    // Arrange
    let w = World::build().await;
    let rows = vec![
        // Private event: jude is a judge globally, gus only as member.
        (
            format!("category:{}:judge", w.cat_p),
            Expect::Allow(&["judge", "guest_judge"]),
        ),
        // Global attendees who read the event; nina is an attendee but may
        // not read the private event.
        (
            format!("category:{}:attendee", w.cat_p),
            Expect::Allow(&["member", "guest_judge", "team_member", "team_manager", "purchaser"]),
        ),
        // oscar is an organizer globally but may not read the private event.
        (
            format!("category:{}:organizer", w.cat_p),
            Expect::Allow(&["owner", "org_member"]),
        ),
        (format!("category:{}:admin", w.cat_p), Expect::Allow(&["admin"])),
        // Public event: every reader holding the role globally.
        (format!("category:{}:judge", w.cat_q), Expect::Allow(&["judge"])),
        (
            format!("category:{}:attendee", w.cat_q),
            Expect::Allow(&[
                "member",
                "outsider",
                "guest_judge",
                "team_member",
                "team_manager",
                "purchaser",
            ]),
        ),
        (
            format!("category:{}:organizer", w.cat_q),
            Expect::Allow(&["owner", "org_member", "other_org"]),
        ),
    ];

    // Act
    let wrong = w.check(&rows).await;

    // Assert
    assert_table(&wrong);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_topic_is_for_admins_only() {
    // Arrange
    let w = World::build().await;
    let rows = vec![("admin".to_string(), Expect::Allow(&["admin"]))];

    // Act
    let wrong = w.check(&rows).await;

    // Assert
    assert_table(&wrong);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_ids_are_not_found_for_every_caller() {
    // Arrange
    let w = World::build().await;
    let unknown = "0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00";
    let rows: Vec<(String, Expect)> = [
        format!("event:{unknown}"),
        format!("event:{unknown}:results"),
        format!("event:{unknown}:schedule"),
        format!("event:{unknown}:announcements"),
        format!("event:{unknown}:presence"),
        format!("round:{unknown}"),
        format!("team:{unknown}"),
        format!("purchase:{unknown}"),
        format!("category:{unknown}"),
        format!("category:{unknown}:judge"),
    ]
    .into_iter()
    .map(|t| (t, Expect::All("not_found")))
    .collect();

    // Act
    let wrong = w.check(&rows).await;

    // Assert
    assert_table(&wrong);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_topic_of_an_unknown_user_is_not_found() {
    // Arrange: protocol.md "Refusals: an unknown id is `not_found`".
    let w = World::build().await;
    let rows = vec![(
        "user:0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00".to_string(),
        Expect::All("not_found"),
    )];

    // Act
    let wrong = w.check(&rows).await;

    // Assert
    assert_table(&wrong);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_topics_are_invalid_and_echo_the_ref() {
    // Arrange
    let w = World::build().await;
    let p = &w.p;
    let cat = &w.cat_p;
    let rows: Vec<(String, Expect)> = [
        String::new(),
        "nope".into(),
        "event".into(),
        "event:not-a-uuid".into(),
        format!("event:{p}:bogus"),
        format!("event:{p}:results:extra"),
        format!("EVENT:{p}"),
        format!("event: {p}"),
        "round:".into(),
        "role:king".into(),
        "role:".into(),
        "admin:1".into(),
        format!("category:{cat}:king"),
        "user:42".into(),
    ]
    .into_iter()
    .map(|t| (t, Expect::All("invalid")))
    .collect();

    // Act
    let wrong = w.check(&rows).await;

    // Assert
    assert_table(&wrong);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_subscription_leaves_the_socket_usable() {
    // Arrange
    let w = World::build().await;
    let outsider = w.callers.iter().find(|(n, _)| *n == "outsider").unwrap().1.clone();
    let mut ws = w.app.ws("/ws", outsider.as_deref()).await;
    ws.next_of_type("welcome", FRAME).await;

    // Act
    ws.send_subscribe(&format!("event:{}", w.p), None, "denied").await;
    let denied = ws.reply_to("denied", FRAME).await;
    let allowed = ws.subscribe_ok(&format!("event:{}", w.q), None, "allowed").await;

    // Assert
    assert_eq!(denied["type"], "error", "{denied}");
    assert_eq!(denied["data"]["code"], "forbidden", "{denied}");
    assert_eq!(allowed["ref"], "allowed", "{allowed}");
    ws.assert_ping_works("still-up").await;
}

/// A rating session of `event`, created by its owner (docs/ratings.md).
async fn rating_session(w: &World, event: &str) -> String {
    let owner = w
        .callers
        .iter()
        .find(|(n, _)| *n == "owner")
        .and_then(|(_, t)| t.clone())
        .unwrap();
    let (s, b) = w
        .app
        .post_json(
            &format!("/api/events/{event}/rating-sessions"),
            Some(&owner),
            serde_json::json!({"title": "Memes"}),
        )
        .await;
    assert_eq!(s, 201, "POST rating-sessions: {b}");
    b["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn rating_topics_are_for_readers_and_their_admin_view_for_the_managers_of_the_event() {
    // Arrange
    let w = World::build().await;
    let sp = rating_session(&w, &w.p).await;
    let sq = rating_session(&w, &w.q).await;
    let unknown = "0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00";
    let rows = vec![
        (format!("rating:{sp}"), Expect::Allow(READERS_P)),
        (
            format!("rating:{sp}:admin"),
            Expect::Allow(&["admin", "owner", "org_member"]),
        ),
        (format!("rating:{sq}"), Expect::Allow(EVERYONE)),
        // Public or not, who rated what is the managers' business.
        (format!("rating:{sq}:admin"), Expect::Allow(&["admin", "owner"])),
        (format!("rating:{unknown}"), Expect::All("not_found")),
        (format!("rating:{unknown}:admin"), Expect::All("not_found")),
        (format!("rating:{sp}:users"), Expect::All("invalid")),
    ];

    // Act
    let wrong = w.check(&rows).await;

    // Assert
    assert_table(&wrong);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_system_topic_is_for_everyone_signed_in_or_not() {
    // Arrange
    let w = World::build().await;
    let rows = vec![("system".to_string(), Expect::Allow(CALLERS))];

    // Act
    let wrong = w.check(&rows).await;

    // Assert
    assert_table(&wrong);
}
