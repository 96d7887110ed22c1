//! Cross-site WebSocket hijacking guard (docs/protocol.md "Origin"):
//! WebSocket and SSE requests with a foreign `Origin` are refused with HTTP
//! 403 before any upgrade; the server's own origin, allowlisted origins and
//! requests without `Origin` pass.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

const EVIL: &str = "http://evil.example";
const SCREENS: &str = "https://screens.example.org";

async fn setup(env: &[(&str, &str)]) -> (TestApp, String, String) {
    let app = TestApp::spawn_with(env).await;
    let org = app.token("olga", "organizer").await;
    let event = app.public_event(&org, "Origins").await;
    (app, org, event)
}

/// The first frame of a socket opened with these headers, or the HTTP
/// status it was refused with.
async fn ws_first(app: &TestApp, path: &str, token: Option<&str>, origin: Option<&str>) -> Result<String, u16> {
    let headers: Vec<(&str, &str)> = origin.map(|o| ("Origin", o)).into_iter().collect();
    let mut ws = app.ws_with_headers(path, token, &headers).await?;
    let f = ws.next_json(FRAME).await;
    Ok(f["type"].as_str().unwrap_or("").to_string())
}

async fn sse_status(app: &TestApp, path: &str, token: Option<&str>, origin: Option<&str>) -> (u16, serde_json::Value) {
    let headers: Vec<(&str, &str)> = origin.map(|o| ("Origin", o)).into_iter().collect();
    match app.sse(path, token, &headers).await {
        Ok(_) => (200, serde_json::Value::Null),
        Err((s, b)) => (s, b),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_origin_is_refused_with_403_before_any_upgrade() {
    // Arrange
    let (app, org, event) = setup(&[]).await;
    let paths = [
        "/ws".to_string(),
        format!("/ws/event/{event}"),
        "/ws/admin/dashboard".to_string(),
    ];

    for path in &paths {
        // Act
        let evil = ws_first(&app, path, Some(&org), Some(EVIL)).await;
        let null = ws_first(&app, path, Some(&org), Some("null")).await;

        // Assert
        assert_eq!(evil, Err(403), "{path} with Origin {EVIL}");
        assert_eq!(null, Err(403), "{path} with Origin null");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_servers_own_origin_and_no_origin_are_allowed() {
    // Arrange
    let (app, org, event) = setup(&[]).await;
    let own = format!("http://127.0.0.1:{}", app.port());

    // Act
    let same = ws_first(&app, "/ws", None, Some(&own)).await;
    let same_event = ws_first(&app, &format!("/ws/event/{event}"), Some(&org), Some(&own)).await;
    let none = ws_first(&app, "/ws", None, None).await;
    let other_port = ws_first(&app, "/ws", None, Some(&format!("http://127.0.0.1:{}", app.port() ^ 1))).await;
    let suffixed = ws_first(&app, "/ws", None, Some(&format!("{own}.evil.example"))).await;

    // Assert
    assert_eq!(same, Ok("welcome".to_string()), "same origin {own}");
    assert_eq!(
        same_event,
        Ok("connected".to_string()),
        "same origin on the event socket"
    );
    assert_eq!(none, Ok("welcome".to_string()), "no Origin: not a browser");
    assert_eq!(other_port, Err(403), "another port is another origin");
    assert_eq!(suffixed, Err(403), "a host that merely starts like ours");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowlisted_origin_is_allowed_and_others_still_refused() {
    // Arrange
    let allow = format!("{SCREENS},https://admin.example.org");
    let (app, _org, event) = setup(&[("EMCEE_ALLOWED_ORIGINS", &allow)]).await;

    // Act
    let screens = ws_first(&app, &format!("/ws/event/{event}"), None, Some(SCREENS)).await;
    let admin = ws_first(&app, "/ws", None, Some("https://admin.example.org")).await;
    let evil = ws_first(&app, "/ws", None, Some(EVIL)).await;
    let lookalike = ws_first(&app, "/ws", None, Some("https://screens.example.org.evil.example")).await;

    // Assert
    assert_eq!(screens, Ok("connected".to_string()), "{SCREENS} is allowlisted");
    assert_eq!(admin, Ok("welcome".to_string()), "the second allowlisted origin");
    assert_eq!(evil, Err(403), "{EVIL} is not");
    assert_eq!(lookalike, Err(403), "a look-alike is not");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_star_allowlist_allows_any_origin() {
    // Arrange
    let (app, _org, _event) = setup(&[("EMCEE_ALLOWED_ORIGINS", "*")]).await;

    // Act
    let evil = ws_first(&app, "/ws", None, Some(EVIL)).await;

    // Assert
    assert_eq!(evil, Ok("welcome".to_string()), "`*` allows any origin");
}

#[tokio::test(flavor = "multi_thread")]
async fn sse_follows_the_same_origin_rules() {
    // Arrange
    let (app, _org, event) = setup(&[("EMCEE_ALLOWED_ORIGINS", SCREENS)]).await;
    let own = format!("http://127.0.0.1:{}", app.port());
    let path = format!("/api/events/{event}/stream");

    // Act
    let evil = sse_status(&app, &path, None, Some(EVIL)).await;
    let multi = sse_status(
        &app,
        &format!("/api/stream?topics=event:{event}:results"),
        None,
        Some(EVIL),
    )
    .await;
    let same = sse_status(&app, &path, None, Some(&own)).await;
    let listed = sse_status(&app, &path, None, Some(SCREENS)).await;
    let none = sse_status(&app, &path, None, None).await;

    // Assert
    assert_error(evil.0, &evil.1, 403, "forbidden");
    assert_error(multi.0, &multi.1, 403, "forbidden");
    assert_eq!(same.0, 200, "same origin: {}", same.1);
    assert_eq!(listed.0, 200, "allowlisted: {}", listed.1);
    assert_eq!(none.0, 200, "no Origin: {}", none.1);
}
