//! Authentication: login, users, and every kind of bad token on REST and on
//! the event socket (api.md "Auth and users", protocol.md "Refusals").
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn login_with_the_right_password_returns_a_token_that_works() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.token("root", "admin").await;
    let created = app
        .create_user(&admin, "alice", "correct horse battery staple", "organizer")
        .await;
    assert_eq!(created["name"], "alice");
    assert_eq!(created["role"], "organizer");
    assert!(created["id"].is_string(), "user.id: {created}");
    assert!(
        created.get("password").is_none() && created.get("password_hash").is_none(),
        "user must not leak the password: {created}"
    );

    // Act
    let (status, body) = app
        .post_json(
            "/api/auth/login",
            None,
            json!({"name": "alice", "password": "correct horse battery staple"}),
        )
        .await;

    // Assert
    assert_eq!(status, 200, "login: {body}");
    let token = body["token"].as_str().expect("token");
    assert!(time_of(&body["expires_at"]) > chrono::Utc::now(), "expires_at: {body}");
    assert_eq!(body["user"]["name"], "alice");
    assert_eq!(body["user"]["role"], "organizer");
    assert_eq!(body["user"]["id"], created["id"]);
    let (s, me) = app.get("/api/me", Some(token)).await;
    assert_eq!(s, 200, "GET /api/me with login token: {me}");
    assert_eq!(me["name"], "alice");
    assert_eq!(me["id"], created["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_with_a_wrong_password_is_401_unauthorized() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.token("root", "admin").await;
    app.create_user(&admin, "bob", "the-real-password", "attendee").await;

    // Act
    let (status, body) = app
        .post_json(
            "/api/auth/login",
            None,
            json!({"name": "bob", "password": "not-the-password"}),
        )
        .await;

    // Assert
    assert_error(status, &body, 401, "unauthorized");
    assert!(body.get("token").is_none(), "no token on failure: {body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_as_an_unknown_user_is_401_unauthorized() {
    let app = TestApp::spawn().await;

    let (status, body) = app
        .post_json(
            "/api/auth/login",
            None,
            json!({"name": "nobody", "password": "whatever-password"}),
        )
        .await;

    assert_error(status, &body, 401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn creating_a_user_whose_name_exists_is_409_conflict() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.token("root", "admin").await;
    app.create_user(&admin, "carol", "password-one", "judge").await;

    // Act
    let (status, body) = app
        .post_json(
            "/api/users",
            Some(&admin),
            json!({"name": "carol", "password": "password-two", "role": "attendee"}),
        )
        .await;

    // Assert
    assert_error(status, &body, 409, "conflict");
    let (s, login) = app
        .post_json(
            "/api/auth/login",
            None,
            json!({"name": "carol", "password": "password-one"}),
        )
        .await;
    assert_eq!(s, 200, "original user must be untouched: {login}");
    assert_eq!(login["user"]["role"], "judge");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_may_create_users() {
    // Arrange
    let app = TestApp::spawn().await;
    let organizer = app.token("olga", "organizer").await;

    // Act
    let (status, body) = app
        .post_json(
            "/api/users",
            Some(&organizer),
            json!({"name": "mallory", "password": "pw-123456", "role": "admin"}),
        )
        .await;
    let (anon_status, anon_body) = app
        .post_json(
            "/api/users",
            None,
            json!({"name": "mallory", "password": "pw-123456", "role": "admin"}),
        )
        .await;

    // Assert
    assert_error(status, &body, 403, "forbidden");
    assert_error(anon_status, &anon_body, 401, "unauthorized");
    let (s, b) = app
        .post_json(
            "/api/auth/login",
            None,
            json!({"name": "mallory", "password": "pw-123456"}),
        )
        .await;
    assert_error(s, &b, 401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_self_signed_token_with_the_server_secret_is_accepted() {
    // Guards the forged-token tests below: the only thing they change is
    // the secret (or the algorithm), so this shape must be accepted.
    let app = TestApp::spawn().await;
    let cli = app.token("dave", "organizer").await;
    let id = app.user_id(&cli).await;
    let now = now_secs();
    let token = sign_jwt(
        JWT_SECRET,
        jsonwebtoken::Algorithm::HS256,
        &id,
        "dave",
        "organizer",
        now,
        now + 600,
    );

    let (status, me) = app.get("/api/me", Some(&token)).await;

    assert_eq!(status, 200, "GET /api/me: {me}");
    assert_eq!(me["id"], id.as_str());
    assert_eq!(me["name"], "dave");
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_rejects_missing_malformed_expired_forged_and_wrong_algorithm_tokens_with_401() {
    // Arrange
    let app = TestApp::spawn().await;
    let cli = app.token("erin", "admin").await;
    let id = app.user_id(&cli).await;
    let now = now_secs();
    let hs512 = sign_jwt(
        JWT_SECRET,
        jsonwebtoken::Algorithm::HS512,
        &id,
        "erin",
        "admin",
        now,
        now + 600,
    );
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("malformed", Some("Bearer not-a-jwt".to_string())),
        ("empty bearer", Some("Bearer ".to_string())),
        ("not bearer", Some(format!("Basic {cli}"))),
        (
            "expired",
            Some(format!("Bearer {}", expired_token(&id, "erin", "admin"))),
        ),
        ("forged", Some(format!("Bearer {}", forged_token(&id, "erin", "admin")))),
        (
            "alg none",
            Some(format!("Bearer {}", alg_none_token(&id, "erin", "admin"))),
        ),
        ("HS512", Some(format!("Bearer {hs512}"))),
    ];

    for (what, auth) in cases {
        for path in ["/api/me", "/api/rounds/active-timers", "/api/admin/actors"] {
            // Act
            let (status, body) = match &auth {
                None => app.get(path, None).await,
                Some(a) => app.get_with_auth(path, a).await,
            };
            // Assert
            assert_eq!(status, 401, "{what} token on {path}: {body}");
            assert_eq!(body["error"]["code"], "unauthorized", "{what} token on {path}: {body}");
        }
    }
    // The genuine token still works (the 401s are about the tokens).
    let (s, b) = app.get("/api/me", Some(&cli)).await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_expired_by_ttl_is_rejected() {
    // Arrange: `emcee token --ttl 1`, then let it run out.
    let app = TestApp::spawn().await;
    let token = app.token_ttl("frank", "organizer", 1).await;

    // Act
    tokio::time::sleep(millis(2200)).await;
    let (status, body) = app.get("/api/me", Some(&token)).await;

    // Assert
    assert_error(status, &body, 401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn event_socket_refuses_bad_tokens_with_an_error_frame_and_close_4001() {
    // Arrange: a private event, so a token is required.
    let app = TestApp::spawn().await;
    let organizer = app.token("gina", "organizer").await;
    let id = app.user_id(&organizer).await;
    let event = app.private_event(&organizer, "Secret gala").await;
    let path = format!("/ws/event/{event}");

    // Act + Assert for each kind of bad token.
    app.assert_ws_refused(&path, None, "unauthorized", 4001).await;
    app.assert_ws_refused(&path, Some("not-a-jwt"), "unauthorized", 4001)
        .await;
    app.assert_ws_refused(
        &path,
        Some(&expired_token(&id, "gina", "organizer")),
        "unauthorized",
        4001,
    )
    .await;
    app.assert_ws_refused(
        &path,
        Some(&forged_token(&id, "gina", "organizer")),
        "unauthorized",
        4001,
    )
    .await;
    app.assert_ws_refused(
        &path,
        Some(&alg_none_token(&id, "gina", "organizer")),
        "unauthorized",
        4001,
    )
    .await;

    // The owner's real token is let in.
    let mut ws = app.ws(&path, Some(&organizer)).await;
    let first = ws.next_json(FRAME).await;
    assert_eq!(first["type"], "connected", "{first}");
}

#[tokio::test(flavor = "multi_thread")]
async fn round_and_dashboard_sockets_refuse_a_forged_token_with_4001() {
    let app = TestApp::spawn().await;
    let admin = app.token("hank", "admin").await;
    let id = app.user_id(&admin).await;
    let event = app.private_event(&admin, "Quiz").await;
    let round = app.create_round(&admin, &event, 60, 0).await;
    let forged = forged_token(&id, "hank", "admin");

    app.assert_ws_refused(
        &format!("/ws/round/{}/timer", round["id"].as_str().unwrap()),
        Some(&forged),
        "unauthorized",
        4001,
    )
    .await;
    app.assert_ws_refused("/ws/admin/dashboard", Some(&forged), "unauthorized", 4001)
        .await;
    app.assert_ws_refused("/ws/admin/dashboard", None, "unauthorized", 4001)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_bodies_are_400_bad_json() {
    // Arrange
    let app = TestApp::spawn().await;
    let organizer = app.token("ivan", "organizer").await;

    // Act
    let (s1, b1) = app
        .post_raw("/api/events", Some(&organizer), "{\"name\": \"oops\",")
        .await;
    let (s2, b2) = app.post_raw("/api/auth/login", None, "this is not json").await;
    let (s3, b3) = app.post_raw("/api/events", Some(&organizer), "[1, 2, 3]").await;

    // Assert
    assert_error(s1, &b1, 400, "bad_json");
    assert_error(s2, &b2, 400, "bad_json");
    assert_error(s3, &b3, 400, "bad_json");
    let (s, list) = app.get("/api/events", Some(&organizer)).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(0), "nothing was created: {list}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_token_is_refused_even_on_a_public_event() {
    // Arrange: anonymous access is fine, but a forged token is not "no token".
    let app = TestApp::spawn().await;
    let organizer = app.token("gina", "organizer").await;
    let id = app.user_id(&organizer).await;
    let event = app
        .create_event(&organizer, json!({"name": "Open", "visibility": "public"}))
        .await;
    let eid = event["id"].as_str().unwrap();
    let forged = forged_token(&id, "gina", "organizer");

    // Act
    let (s, b) = app.get(&format!("/api/events/{eid}"), Some(&forged)).await;

    // Assert
    assert_error(s, &b, 401, "unauthorized");
    app.assert_ws_refused(&format!("/ws/event/{eid}"), Some(&forged), "unauthorized", 4001)
        .await;
    let (s_anon, _) = app.get(&format!("/api/events/{eid}"), None).await;
    assert_eq!(s_anon, 200);
}
