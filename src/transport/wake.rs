//! Event and round topics need their event's actor alive: it publishes the
//! topic's state. Waking it costs one database read, once per event.

use crate::access;
use crate::actors::directory::{GetEvent, GetLeaderboard};
use crate::actors::event::Snapshot;
use crate::actors::leaderboard::Wake;
use crate::error::AppError;
use crate::protocol::Topic;
use crate::state::AppState;

/// Starts the event actor behind `topic` (if any) and waits until it has
/// published its state, so a subscribe or poll right after finds it.
pub async fn wake_event_actor(app: &AppState, topic: &Topic) -> Result<(), AppError> {
    let event = match topic {
        Topic::Round(r) => Some(access::round_event(&app.db, *r).await?),
        t => t.event(),
    };
    if let Some(id) = event {
        let actor = app.directory.send(GetEvent { id }).await?;
        // The actor restores (and publishes) before it answers anything.
        actor.send(Snapshot).await?;
    }
    // The standings are the results topic's state (docs/judging.md).
    if let Topic::EventResults(id) = *topic {
        let board = app.directory.send(GetLeaderboard { id }).await?;
        board.send(Wake).await?;
    }
    // A user's unread count is their topic's state (docs/announcements.md).
    if let Topic::User(u) = *topic {
        crate::store::notifications::wake(&app.db, &app.bus, u).await?;
    }
    Ok(())
}
