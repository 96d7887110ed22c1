//! `emcee serve --demo`: a public event with two rounds, users of every
//! role, and a short countdown that starts the first round by itself, so a
//! new user sees a clock move within a minute.

use crate::actors::directory::GetEvent;
use crate::actors::event::StartCountdown;
use crate::model::{EventId, MemberRole, Role, UserId, Visibility};
use crate::state::AppState;
use crate::store;
use std::time::Duration;

pub struct DemoInfo {
    pub event_id: EventId,
    pub first_round: uuid::Uuid,
    pub tokens: Vec<(Role, String)>,
}

pub async fn create(state: &AppState) -> anyhow::Result<DemoInfo> {
    let mut tokens = Vec::new();
    let mut organizer = None;
    let mut people = Vec::new();
    for role in [Role::Admin, Role::Organizer, Role::Judge, Role::Attendee] {
        let name = format!("demo-{role}");
        let user = store::users::ensure(&state.db, &name, role).await?;
        let (token, _) = state
            .keys
            .issue(UserId(user.id), &user.name, role, Duration::from_secs(24 * 3600))?;
        if role == Role::Organizer {
            organizer = Some(UserId(user.id));
        }
        people.push((UserId(user.id), role));
        tokens.push((role, token));
    }
    let owner = organizer.ok_or_else(|| anyhow::anyhow!("no organizer"))?;
    let event = store::events::create(
        &state.db,
        store::events::NewEvent {
            name: "Demo Night".into(),
            visibility: Visibility::Public,
            starts_at: Some(chrono::Utc::now() + chrono::Duration::seconds(30)),
            owner,
            auto_start_first_round: true,
            auto_advance_rounds: true,
        },
    )
    .await?;
    let event_id = EventId(event.id);
    for (user, role) in people {
        let member = match role {
            Role::Judge => MemberRole::Judge,
            Role::Attendee => MemberRole::Attendee,
            Role::Organizer => MemberRole::Organizer,
            Role::Admin => continue,
        };
        store::events::upsert_member(&state.db, event_id, user, member).await?;
    }
    let first = store::rounds::create(&state.db, event_id, None, 120, 30).await?;
    store::rounds::create(&state.db, event_id, None, 120, 30).await?;
    let actor = state.directory.send(GetEvent { id: event_id }).await?;
    actor
        .send(StartCountdown {
            duration: Duration::from_secs(30),
            message: "Demo Night starts in 30 seconds!".into(),
        })
        .await??;
    Ok(DemoInfo {
        event_id,
        first_round: first.id,
        tokens,
    })
}
