//! Ticket purchases (seed 001): a purchase is made `pending` by its
//! purchaser, moved on by the event's organizers (pending → paid → issued,
//! paid or issued → refunded), and every change is pushed as a versioned
//! `purchase_update` state on `purchase:{id}` — to the purchaser and no one
//! else, not even admins or the organizers who made the change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{json, Value};

struct Shop {
    app: TestApp,
    event: String,
    admin: String,
    owner: String,
    /// Organizer, member as `organizer`.
    orla: String,
    /// Organizer with no part in the event.
    oscar: String,
    /// Attendee member who buys.
    paul: String,
    /// Attendee member who does not.
    mia: String,
}

impl Shop {
    async fn build() -> Shop {
        let app = TestApp::spawn().await;
        let admin = app.token("ada", "admin").await;
        let owner = app.token("olga", "organizer").await;
        let orla = app.token("orla", "organizer").await;
        let oscar = app.token("oscar", "organizer").await;
        let paul = app.token("paul", "attendee").await;
        let mia = app.token("mia", "attendee").await;
        let event = app.private_event(&owner, "Cup final").await;
        for (user, role) in [("orla", "organizer"), ("paul", "attendee"), ("mia", "attendee")] {
            app.add_member(&owner, &event, user, role).await;
        }
        Shop {
            app,
            event,
            admin,
            owner,
            orla,
            oscar,
            paul,
            mia,
        }
    }

    async fn set(&self, token: Option<&str>, purchase: &str, status: Value) -> (u16, Value) {
        let path = format!("/api/purchases/{purchase}");
        let req = self
            .app
            .http
            .patch(self.app.url(&path))
            .json(&json!({ "status": status }));
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn set_ok(&self, token: &str, purchase: &str, status: &str) -> Value {
        let (s, b) = self.set(Some(token), purchase, json!(status)).await;
        assert_eq!(s, 200, "PATCH {status}: {b}");
        b
    }

    async fn follow(&self, token: Option<&str>, topics: &[String]) -> Ws {
        let mut ws = self.app.ws("/ws", token).await;
        ws.next_of_type("welcome", FRAME).await;
        for (i, t) in topics.iter().enumerate() {
            ws.subscribe_ok(t, None, &format!("f{i}")).await;
        }
        ws
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn organizers_move_a_purchase_on_and_its_purchaser_hears_every_change_in_order() {
    // Arrange
    let shop = Shop::build().await;
    let (s, made) = shop
        .app
        .post(&format!("/api/events/{}/purchases", shop.event), Some(&shop.paul))
        .await;
    assert_eq!(s, 201, "{made}");
    assert_eq!(
        (made["status"].as_str(), made["version"].as_i64()),
        (Some("pending"), Some(1))
    );
    let id = made["id"].as_str().unwrap().to_string();
    let topic = format!("purchase:{id}");
    let mut paul = shop.follow(Some(&shop.paul), std::slice::from_ref(&topic)).await;
    // Subscribing delivers the current state.
    let first = paul.next_of_type("purchase_update", FRAME).await;
    assert_eq!(first["topic"], topic.as_str());
    assert_eq!(
        (first["data"]["status"].as_str(), first["data"]["version"].as_i64()),
        (Some("pending"), Some(1))
    );
    assert!(first["data"]["previous_status"].is_null());

    // Act
    let paid = shop.set_ok(&shop.orla, &id, "paid").await;
    let issued = shop.set_ok(&shop.owner, &id, "issued").await;
    let refunded = shop.set_ok(&shop.admin, &id, "refunded").await;

    // Assert: replies and frames agree, versions only grow.
    for (reply, status, version) in [(&paid, "paid", 2), (&issued, "issued", 3), (&refunded, "refunded", 4)] {
        assert_eq!(
            (reply["status"].as_str(), reply["version"].as_i64()),
            (Some(status), Some(version))
        );
        let f = paul.next_of_type("purchase_update", FRAME).await;
        assert_eq!(f["data"]["status"], status, "{f}");
        assert_eq!(f["data"]["version"], version, "{f}");
        assert_eq!(f["data"]["id"], id.as_str());
        assert_eq!(f["data"]["user_id"], made["user_id"]);
        assert!(f["seq"].is_u64(), "a state frame is kept: {f}");
        time_of(&f["data"]["updated_at"]);
    }
    let (s, now) = shop.app.get(&format!("/api/purchases/{id}"), Some(&shop.paul)).await;
    assert_eq!(s, 200);
    assert_eq!(
        (now["status"].as_str(), now["version"].as_i64()),
        (Some("refunded"), Some(4))
    );
    // A late subscriber gets the latest state, not the history.
    let mut again = shop.follow(Some(&shop.paul), std::slice::from_ref(&topic)).await;
    let st = again.next_of_type("purchase_update", FRAME).await;
    assert_eq!(
        (st["data"]["status"].as_str(), st["data"]["previous_status"].as_str()),
        (Some("refunded"), Some("issued"))
    );
    // paid → refunded is allowed too.
    let (_, other) = shop
        .app
        .post(&format!("/api/events/{}/purchases", shop.event), Some(&shop.paul))
        .await;
    let other = other["id"].as_str().unwrap();
    shop.set_ok(&shop.owner, other, "paid").await;
    shop.set_ok(&shop.owner, other, "refunded").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn illegal_moves_are_conflicts_unknown_statuses_invalid_and_only_organizers_move() {
    // Arrange
    let shop = Shop::build().await;
    let id = shop.app.create_purchase(&shop.paul, &shop.event).await;
    let mut paul = shop.follow(Some(&shop.paul), &[format!("purchase:{id}")]).await;
    paul.next_of_type("purchase_update", FRAME).await;

    // Act + Assert
    for to in ["issued", "refunded", "pending"] {
        let (s, b) = shop.set(Some(&shop.owner), &id, json!(to)).await;
        assert_error(s, &b, 409, "conflict");
    }
    for bad in ["lost", "PAID", ""] {
        let (s, b) = shop.set(Some(&shop.owner), &id, json!(bad)).await;
        assert_error(s, &b, 422, "invalid");
    }
    let (s, b) = shop.set(Some(&shop.owner), &id, json!(2)).await;
    assert_error(s, &b, 400, "bad_json");
    let (s, b) = shop
        .app
        .patch_json(
            &format!("/api/purchases/{id}"),
            Some(&shop.owner),
            json!({"status": "paid", "note": "x"}),
        )
        .await;
    assert_error(s, &b, 400, "bad_json");
    for who in [&shop.paul, &shop.mia, &shop.oscar] {
        let (s, b) = shop.set(Some(who), &id, json!("paid")).await;
        assert_error(s, &b, 403, "forbidden");
    }
    let (s, b) = shop.set(None, &id, json!("paid")).await;
    assert_error(s, &b, 401, "unauthorized");
    let (s, b) = shop
        .set(Some(&shop.owner), "0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00", json!("paid"))
        .await;
    assert_error(s, &b, 404, "not_found");
    shop.set_ok(&shop.owner, &id, "paid").await;
    let (s, b) = shop.set(Some(&shop.owner), &id, json!("paid")).await;
    assert_error(s, &b, 409, "conflict");
    shop.set_ok(&shop.owner, &id, "refunded").await;
    for to in ["paid", "issued", "pending", "refunded"] {
        let (s, b) = shop.set(Some(&shop.owner), &id, json!(to)).await;
        assert_error(s, &b, 409, "conflict");
    }

    // Nothing refused was pushed: exactly paid, then refunded.
    let frames = paul.collect_for(millis(500)).await;
    let statuses: Vec<&str> = frames
        .iter()
        .filter(|f| f["type"] == "purchase_update")
        .map(|f| f["data"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["paid", "refunded"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_but_the_purchaser_follows_a_purchase_and_only_organizers_read_it() {
    // Arrange
    let shop = Shop::build().await;
    let id = shop.app.create_purchase(&shop.paul, &shop.event).await;
    let topic = format!("purchase:{id}");
    let mia_id = shop.app.user_id(&shop.mia).await;

    // Act + Assert: the socket.
    for (who, token, code) in [
        ("mia", Some(&shop.mia), "forbidden"),
        ("owner", Some(&shop.owner), "forbidden"),
        ("admin", Some(&shop.admin), "forbidden"),
        ("anonymous", None, "unauthorized"),
    ] {
        let mut ws = shop.follow(token.map(String::as_str), &[]).await;
        ws.send_subscribe(&topic, None, "p").await;
        let reply = ws.reply_to("p", FRAME).await;
        assert_eq!(reply["type"], "error", "{who}: {reply}");
        assert_eq!(reply["data"]["code"], code, "{who}: {reply}");
    }
    // REST: the purchaser and the event's organizers read it; others may not.
    for (token, want) in [
        (&shop.paul, 200),
        (&shop.owner, 200),
        (&shop.orla, 200),
        (&shop.admin, 200),
        (&shop.mia, 403),
        (&shop.oscar, 403),
    ] {
        let (s, b) = shop.app.get(&format!("/api/purchases/{id}"), Some(token)).await;
        assert_eq!(s, want, "{b}");
        if want == 403 {
            assert_error(s, &b, 403, "forbidden");
        }
    }
    let (s, b) = shop.app.get(&format!("/api/purchases/{id}"), None).await;
    assert_error(s, &b, 401, "unauthorized");

    // A stranger's socket, following all it may of the event, reads every
    // frame while the purchase moves on and never sees it.
    let mut mia = shop
        .follow(
            Some(&shop.mia),
            &[
                format!("event:{}", shop.event),
                format!("user:{mia_id}"),
                "role:attendee".to_string(),
            ],
        )
        .await;
    let mut owner = shop
        .follow(
            Some(&shop.owner),
            &[format!("event:{}", shop.event), "role:organizer".to_string()],
        )
        .await;
    shop.set_ok(&shop.owner, &id, "paid").await;
    shop.set_ok(&shop.owner, &id, "issued").await;
    for (who, ws) in [("mia", &mut mia), ("owner", &mut owner)] {
        for f in ws.collect_for(millis(700)).await {
            assert!(f["type"] != "purchase_update", "{who} saw {f}");
            assert!(!f.to_string().contains(&id), "{who} saw the purchase: {f}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn purchasers_list_their_own_and_organizers_list_their_events() {
    // Arrange
    let shop = Shop::build().await;
    let first = shop.app.create_purchase(&shop.paul, &shop.event).await;
    let second = shop.app.create_purchase(&shop.paul, &shop.event).await;
    let mias = shop.app.create_purchase(&shop.mia, &shop.event).await;
    let other_event = shop.app.private_event(&shop.oscar, "Other").await;
    shop.app.add_member(&shop.oscar, &other_event, "paul", "attendee").await;
    let elsewhere = shop.app.create_purchase(&shop.paul, &other_event).await;
    shop.set_ok(&shop.owner, &first, "paid").await;

    // Act
    let (s, own) = shop.app.get("/api/me/purchases", Some(&shop.paul)).await;
    let (s2, event) = shop
        .app
        .get(&format!("/api/events/{}/purchases", shop.event), Some(&shop.orla))
        .await;

    // Assert
    assert_eq!((s, s2), (200, 200), "{own} {event}");
    let ids = |v: &Value| -> Vec<String> {
        let mut ids: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        ids(&own),
        sorted(vec![first.clone(), second.clone(), elsewhere.clone()])
    );
    assert_eq!(ids(&event), sorted(vec![first.clone(), second.clone(), mias.clone()]));
    let paid = own
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == first.as_str())
        .unwrap();
    assert_eq!(
        (paid["status"].as_str(), paid["version"].as_i64()),
        (Some("paid"), Some(2))
    );
    let (_, mine) = shop.app.get("/api/me/purchases", Some(&shop.mia)).await;
    assert_eq!(ids(&mine), vec![mias]);
    for token in [&shop.paul, &shop.mia, &shop.oscar] {
        let (s, b) = shop
            .app
            .get(&format!("/api/events/{}/purchases", shop.event), Some(token))
            .await;
        assert_error(s, &b, 403, "forbidden");
    }
    let (s, b) = shop.app.get("/api/me/purchases", None).await;
    assert_error(s, &b, 401, "unauthorized");
    let (s, b) = shop
        .app
        .get(
            "/api/events/0b9e4c1e-6a43-4f59-9d0e-5c7a3e2b1f00/purchases",
            Some(&shop.admin),
        )
        .await;
    assert_error(s, &b, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_purchase_keeps_its_status_and_version_across_a_restart() {
    // Arrange
    let mut shop = Shop::build().await;
    let id = shop.app.create_purchase(&shop.paul, &shop.event).await;
    shop.set_ok(&shop.owner, &id, "paid").await;

    // Act
    shop.app.restart().await;
    let mut paul = shop.follow(Some(&shop.paul), &[format!("purchase:{id}")]).await;
    let restated = paul.next_of_type("purchase_update", FRAME).await;
    let issued = shop.set_ok(&shop.owner, &id, "issued").await;

    // Assert: the state is there on subscribe before any change, and the
    // version carries on from the database, never back to 1.
    assert_eq!(
        (
            restated["data"]["status"].as_str(),
            restated["data"]["version"].as_i64()
        ),
        (Some("paid"), Some(2)),
        "{restated}"
    );
    assert_eq!(
        (issued["status"].as_str(), issued["version"].as_i64()),
        (Some("issued"), Some(3))
    );
    let f = paul.next_of_type("purchase_update", FRAME).await;
    assert_eq!(
        (f["data"]["version"].as_i64(), f["data"]["previous_status"].as_str()),
        (Some(3), Some("paid"))
    );
    let (s, b) = shop.set(Some(&shop.owner), &id, json!("paid")).await;
    assert_error(s, &b, 409, "conflict");
}
