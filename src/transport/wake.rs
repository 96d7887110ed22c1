//! A topic's state is published by the actor that owns it: the event actor
//! for event and round topics, the leaderboard for results, the rating and
//! purchase actors for theirs. A subscribe wakes the owner first, so the
//! state is there after a restart too; waking costs a database read or two,
//! once per actor life.

use crate::access;
use crate::actors::directory::{GetEvent, GetLeaderboard, GetPurchaseDesk, GetRatings};
use crate::actors::event::Snapshot;
use crate::actors::leaderboard::Wake;
use crate::actors::{purchase, rating};
use crate::error::AppError;
use crate::model::EventId;
use crate::protocol::Topic;
use crate::state::AppState;
use crate::store;

/// Starts the actors behind `topic` (if any) and waits until they have
/// published its state, so a subscribe or poll right after finds it.
pub async fn wake_state_publishers(app: &AppState, topic: &Topic) -> Result<(), AppError> {
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
    // Actors that keep a topic's state publish it on first demand, so a
    // restart does not leave followers without it until the next change.
    match *topic {
        Topic::Rating(session) | Topic::RatingAdmin(session) => {
            if let Some(s) = store::ratings::session(&app.db, session).await? {
                let id = EventId(s.event_id);
                let desk = app.directory.send(GetRatings { id }).await?;
                desk.send(rating::Recall { session }).await??;
            }
        }
        Topic::Purchase(purchase) => {
            if let Some(p) = store::purchases::get(&app.db, purchase).await? {
                let id = EventId(p.event_id);
                let desk = app.directory.send(GetPurchaseDesk { id }).await?;
                desk.send(purchase::Recall { purchase }).await??;
            }
        }
        // A user's unread count is their topic's state (docs/announcements.md).
        Topic::User(u) => store::notifications::wake(&app.db, &app.bus, u).await?,
        _ => {}
    }
    Ok(())
}
