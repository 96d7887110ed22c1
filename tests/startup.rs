//! Starting the server: configuration that must refuse to start, and the
//! demo that must do something at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_emcee");

fn serve(dir: &tempfile::TempDir) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/emcee.db?mode=rwc", dir.path().display()),
        )
        .env_remove("EMCEE_JWT_SECRET")
        .env_remove("EMCEE_ENV")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

#[tokio::test]
async fn production_refuses_to_start_on_the_development_secret() {
    let dir = tempfile::tempdir().unwrap();

    let out = tokio::time::timeout(
        Duration::from_secs(20),
        serve(&dir).env("EMCEE_ENV", "production").output(),
    )
    .await
    .expect("the server should exit, not serve")
    .unwrap();

    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("EMCEE_JWT_SECRET"), "says why: {stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
}

#[tokio::test]
async fn a_short_secret_is_refused_even_in_development() {
    let dir = tempfile::tempdir().unwrap();

    let out = tokio::time::timeout(
        Duration::from_secs(20),
        serve(&dir).env("EMCEE_JWT_SECRET", "short").output(),
    )
    .await
    .expect("the server should exit")
    .unwrap();

    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 32 bytes"));
}

#[tokio::test]
async fn the_demo_prints_tokens_and_a_url_and_its_countdown_is_running() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve(&dir).arg("--demo").spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();

    let mut text = String::new();
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            text.push_str(&line);
            text.push('\n');
            if line.starts_with("Watch:") {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("demo output");

    let base = text
        .lines()
        .find_map(|l| l.strip_prefix("emcee listening on "))
        .expect("listening line")
        .to_owned();
    for role in ["admin", "organizer", "judge", "attendee"] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(&format!("{role} "))),
            "token for {role}: {text}"
        );
    }
    let url = text
        .lines()
        .find_map(|l| l.strip_prefix("Open:"))
        .expect("a URL to open")
        .trim();
    let event = url
        .split("event=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .expect("event id in the URL");
    let status: serde_json::Value = reqwest::get(format!("{base}/api/events/{event}/countdown/status"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["active"], true, "{status}");
    assert!(status["time_remaining"].as_u64().unwrap() <= 30, "{status}");
    let page = reqwest::get(format!("{base}/static/timer-demo.html")).await.unwrap();
    assert_eq!(page.status(), 200);
    child.kill().await.unwrap();
}
