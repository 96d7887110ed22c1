//! Presence (docs/protocol.md "Event state and presence"): a user joins
//! `event:{id}:presence` with their first connection and leaves with their
//! last, however many tabs they open; `presence_count` on `event:{id}`
//! counts users and connections (anonymous screens included), at most once
//! per second, and is kept as state.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

fn presence_frames(frames: &[Value]) -> Vec<&Value> {
    frames
        .iter()
        .filter(|f| f["type"] == "presence_join" || f["type"] == "presence_leave")
        .collect()
}

/// Opens `/ws/event/{id}` and waits until its subscription is confirmed.
async fn tab(app: &TestApp, event: &str, token: Option<&str>) -> Ws {
    let mut ws = app.ws(&format!("/ws/event/{event}"), token).await;
    ws.next_of_type("connected", FRAME).await;
    ws.next_of_type("subscribed", FRAME).await;
    ws
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tabs_of_one_user_join_once_and_leave_only_with_the_last_tab() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let mia = app.token("mia", "attendee").await;
    let jude = app.token("jude", "judge").await;
    let event = app.private_event(&org, "Presence").await;
    app.add_member(&org, &event, "mia", "attendee").await;
    app.add_member(&org, &event, "jude", "judge").await;
    let mia_id = app.user_id(&mia).await;
    let jude_id = app.user_id(&jude).await;
    let mut watcher = app.ws("/ws", Some(&org)).await;
    watcher.next_of_type("welcome", FRAME).await;
    watcher
        .subscribe_ok(&format!("event:{event}:presence"), None, "watch")
        .await;

    // Act + Assert: the first tab joins.
    let tab1 = tab(&app, &event, Some(&mia)).await;
    let join = watcher.next_of_type("presence_join", FRAME).await;
    assert_envelope(&join);
    assert_has_seq(&join);
    assert_eq!(join["topic"], format!("event:{event}:presence"), "{join}");
    assert_eq!(join["data"]["event_id"], event.as_str(), "{join}");
    assert_eq!(join["data"]["user_id"], mia_id.as_str(), "{join}");
    assert_eq!(join["data"]["user"], "mia", "{join}");
    assert_eq!(join["data"]["users"], 1, "{join}");

    // A second tab (a plain subscribe on /ws this time) is not a new join.
    let mut tab2 = app.ws("/ws", Some(&mia)).await;
    tab2.next_of_type("welcome", FRAME).await;
    tab2.subscribe_ok(&format!("event:{event}"), None, "t2").await;
    // Another user is.
    let _jude_tab = tab(&app, &event, Some(&jude)).await;
    let join2 = watcher.next_of_type("presence_join", FRAME).await;
    assert_eq!(join2["data"]["user_id"], jude_id.as_str(), "{join2}");
    assert_eq!(join2["data"]["users"], 2, "{join2}");

    // Closing one of mia's two tabs is not a leave.
    tab1.close().await;
    let quiet = watcher.collect_for(millis(1200)).await;
    assert!(
        presence_frames(&quiet).is_empty(),
        "no join or leave while mia still has a tab: {quiet:?}"
    );

    // Closing the last is.
    tab2.close().await;
    let leave = watcher.next_of_type("presence_leave", FRAME).await;
    assert_has_seq(&leave);
    assert_eq!(leave["data"]["user_id"], mia_id.as_str(), "{leave}");
    assert_eq!(leave["data"]["user"], "mia", "{leave}");
    assert_eq!(leave["data"]["users"], 1, "jude is still there: {leave}");
    let joins_total = watcher.seen.iter().filter(|f| f["type"] == "presence_join").count();
    assert_eq!(joins_total, 2, "one join per user: {:?}", watcher.seen);
}

#[tokio::test(flavor = "multi_thread")]
async fn presence_count_counts_users_and_connections_and_comes_at_most_once_a_second() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.token("olga", "organizer").await;
    let mia = app.token("mia", "attendee").await;
    let event = app.public_event(&org, "Counted").await;
    let topic = format!("event:{event}");
    let mut watcher = app.ws("/ws", Some(&org)).await;
    watcher.next_of_type("welcome", FRAME).await;
    watcher.subscribe_ok(&topic, None, "watch").await;
    watcher
        .next_matching("the watcher counted", secs(3), |f| {
            f["type"] == "presence_count" && f["data"]["connections"] == 1
        })
        .await;

    // Act: five more connections at once — two anonymous screens, two tabs
    // of mia, then one of them gone again.
    let anon1 = tab(&app, &event, None).await;
    let anon2 = tab(&app, &event, None).await;
    let mia1 = tab(&app, &event, Some(&mia)).await;
    let _mia2 = tab(&app, &event, Some(&mia)).await;
    let frames = watcher.collect_for(millis(2500)).await;
    anon1.close().await;
    anon2.close().await;
    mia1.close().await;
    let later = watcher
        .next_matching("the count after three left", secs(3), |f| {
            f["type"] == "presence_count" && f["data"]["connections"] == 2
        })
        .await;
    let mut newcomer = app.ws("/ws", None).await;
    newcomer.next_of_type("welcome", FRAME).await;
    let reply = newcomer.subscribe_ok(&topic, None, "late").await;
    let state = newcomer.next_of_type("presence_count", FRAME).await;

    // Assert
    let counts: Vec<&Value> = frames.iter().filter(|f| f["type"] == "presence_count").collect();
    let last = counts
        .last()
        .unwrap_or_else(|| panic!("a presence_count after the joins: {frames:?}"));
    assert_envelope(last);
    // Latest-only: counts churn and must not crowd announcements out of
    // the replay history.
    assert_no_seq(last);
    assert_eq!(last["data"]["event_id"], event.as_str(), "{last}");
    assert_eq!(
        last["data"]["users"], 2,
        "olga and mia (anonymous are not users): {last}"
    );
    assert_eq!(
        last["data"]["connections"], 5,
        "every connection, anonymous included: {last}"
    );
    assert!(
        counts.len() < 4,
        "four joins in a burst are coalesced, not one count each: {counts:?}"
    );
    for w in counts.windows(2) {
        let gap = ms_of(&w[1]["ts"]) - ms_of(&w[0]["ts"]);
        assert!(
            gap >= 900,
            "at most one presence_count per second ({gap} ms apart): {counts:?}"
        );
    }
    assert_eq!(later["data"]["users"], 2, "mia still has a tab: {later}");
    assert_eq!(reply["type"], "subscribed", "{reply}");
    assert_no_seq(&state);
    assert!(state["data"]["connections"].as_u64().unwrap() >= 2, "{state}");
}
