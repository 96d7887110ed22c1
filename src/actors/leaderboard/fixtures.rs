//! Fixtures and results, handled by the event's `Leaderboard` actor: it is
//! the single writer of the event's standings, so a result is persisted,
//! announced and folded into the next coalesced `leaderboard_update` by the
//! same actor that publishes it (docs/fixtures.md).
//!
//! Who hears what: `schedule_update` goes to `event:{id}:schedule` and both
//! teams' `team:{id}`; `result_update` to `event:{id}:results` and both
//! teams. A third team of the event hears neither.

use super::fixture_view::*;
use super::league::LeaguePoints;
use super::{push, Done, Leaderboard};
use crate::error::{AppError, AppResult};
use crate::model::{EventId, FixtureId, FixtureStatus, TeamId};
use crate::protocol::Topic;
use crate::store;
use crate::store::fixtures::Change;
use actix::prelude::*;
use chrono::{DateTime, Utc};
use entity::{fixture, team};
use sea_orm::DatabaseConnection;

use super::super::registry::Publish;

// ---- commands -------------------------------------------------------------

#[derive(Message)]
#[rtype(result = "AppResult<FixtureView>")]
pub struct CreateFixture {
    pub home: TeamId,
    pub away: TeamId,
    pub starts_at: DateTime<Utc>,
    pub venue: Option<String>,
}

/// A new start time and/or venue; a postponed fixture is scheduled again.
#[derive(Message)]
#[rtype(result = "AppResult<FixtureView>")]
pub struct Reschedule {
    pub fixture: FixtureId,
    pub starts_at: Option<DateTime<Utc>>,
    pub venue: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    Postpone,
    Cancel,
    Start,
}

/// Postpone, cancel or start (go live).
#[derive(Message)]
#[rtype(result = "AppResult<FixtureView>")]
pub struct MoveFixture {
    pub fixture: FixtureId,
    pub to: Move,
}

/// Records (or corrects) the score; the fixture is `completed` after.
/// Replies with the fixture and whether it was a correction.
#[derive(Message)]
#[rtype(result = "AppResult<(FixtureView, bool)>")]
pub struct RecordResult {
    pub fixture: FixtureId,
    pub home_score: i32,
    pub away_score: i32,
}

#[derive(Message)]
#[rtype(result = "AppResult<()>")]
pub struct DeleteFixture {
    pub fixture: FixtureId,
}

#[derive(Message)]
#[rtype(result = "AppResult<LeaguePoints>")]
pub struct SetPoints {
    pub points: LeaguePoints,
}

// ---- transitions (database only) -----------------------------------------

/// A team that takes part in this event.
async fn team_of(db: &DatabaseConnection, event: EventId, id: TeamId, side: &str) -> AppResult<team::Model> {
    let t = store::teams::get(db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{side} team not found")))?;
    if t.event_id != event.0 {
        return Err(AppError::Invalid(format!(
            "the {side} team does not take part in this event"
        )));
    }
    Ok(t)
}

/// The fixture (of this event) with its two teams, read fresh with the
/// mailbox held.
async fn parts(
    db: &DatabaseConnection,
    event: EventId,
    id: FixtureId,
) -> AppResult<(fixture::Model, team::Model, team::Model)> {
    let f = store::fixtures::get(db, id)
        .await?
        .filter(|f| f.event_id == event.0)
        .ok_or_else(|| AppError::not_found("fixture"))?;
    let home = team_of(db, event, TeamId(f.home_team_id), "home").await?;
    let away = team_of(db, event, TeamId(f.away_team_id), "away").await?;
    Ok((f, home, away))
}

fn schedule_topics(v: &FixtureView) -> [Topic; 3] {
    [
        Topic::EventSchedule(v.event_id),
        Topic::Team(v.home.id),
        Topic::Team(v.away.id),
    ]
}

fn push_schedule(out: &mut Vec<Publish>, action: ScheduleAction, v: &FixtureView, previous: &Previous) {
    let data = ScheduleUpdate {
        action,
        fixture: v,
        changed: previous.changed(),
        previous,
    };
    for topic in schedule_topics(v) {
        push(out, topic, "schedule_update", &data);
    }
}

fn conflict(f: &fixture::Model, what: &str) -> AppError {
    AppError::Conflict(format!("a {} fixture cannot be {what}", f.status))
}

async fn create(db: DatabaseConnection, event: EventId, msg: CreateFixture) -> AppResult<Done<FixtureView>> {
    if msg.home == msg.away {
        return Err(AppError::Invalid("a fixture is between two different teams".into()));
    }
    let home = team_of(&db, event, msg.home, "home").await?;
    let away = team_of(&db, event, msg.away, "away").await?;
    let new = store::fixtures::NewFixture {
        event,
        home: msg.home,
        away: msg.away,
        starts_at: msg.starts_at,
        venue: msg.venue,
        at: Utc::now(),
    };
    let f = store::fixtures::insert(&db, new).await?;
    let view = FixtureView::with_teams(&f, &home, &away);
    let mut publish = Vec::new();
    push_schedule(&mut publish, ScheduleAction::Created, &view, &Previous::default());
    Ok(Done {
        reply: view,
        publish,
        // Both teams now have a line in the table.
        dirty: true,
    })
}

async fn reschedule(db: DatabaseConnection, event: EventId, msg: Reschedule) -> AppResult<Done<FixtureView>> {
    let (f, home, away) = parts(&db, event, msg.fixture).await?;
    let status = FixtureStatus::parse_stored(&f.status);
    if !status.may_reschedule() {
        return Err(conflict(&f, "rescheduled"));
    }
    let mut previous = Previous::default();
    let mut change = Change::default();
    if let Some(t) = msg.starts_at.filter(|t| *t != f.starts_at) {
        previous.starts_at = Some(f.starts_at);
        change.starts_at = Some(t);
    }
    if let Some(v) = msg.venue.filter(|v| f.venue.as_ref() != Some(v)) {
        previous.venue = Some(f.venue.clone());
        change.venue = Some(v);
    }
    if status == FixtureStatus::Postponed {
        previous.status = Some(status);
        change.status = Some(FixtureStatus::Scheduled);
    }
    if previous == Previous::default() {
        // Nothing moved: no frame, no write.
        return Ok(Done {
            reply: FixtureView::with_teams(&f, &home, &away),
            publish: Vec::new(),
            dirty: false,
        });
    }
    let f = store::fixtures::update(&db, f, change, Utc::now()).await?;
    let view = FixtureView::with_teams(&f, &home, &away);
    let mut publish = Vec::new();
    push_schedule(&mut publish, ScheduleAction::Rescheduled, &view, &previous);
    Ok(Done {
        reply: view,
        publish,
        dirty: false,
    })
}

async fn move_to(db: DatabaseConnection, event: EventId, msg: MoveFixture) -> AppResult<Done<FixtureView>> {
    let (f, home, away) = parts(&db, event, msg.fixture).await?;
    let status = FixtureStatus::parse_stored(&f.status);
    let (allowed, to, action, what) = match msg.to {
        Move::Postpone => (
            status.may_postpone(),
            FixtureStatus::Postponed,
            ScheduleAction::Postponed,
            "postponed",
        ),
        Move::Cancel => (
            status.may_cancel(),
            FixtureStatus::Cancelled,
            ScheduleAction::Cancelled,
            "cancelled",
        ),
        Move::Start => (status.may_start(), FixtureStatus::Live, ScheduleAction::Live, "started"),
    };
    if !allowed {
        return Err(conflict(&f, what));
    }
    let change = Change {
        status: Some(to),
        ..Change::default()
    };
    let f = store::fixtures::update(&db, f, change, Utc::now()).await?;
    let view = FixtureView::with_teams(&f, &home, &away);
    let previous = Previous {
        status: Some(status),
        ..Previous::default()
    };
    let mut publish = Vec::new();
    push_schedule(&mut publish, action, &view, &previous);
    Ok(Done {
        reply: view,
        publish,
        // Only completed fixtures count, and none of these moves completes
        // or un-completes one.
        dirty: false,
    })
}

async fn record(db: DatabaseConnection, event: EventId, msg: RecordResult) -> AppResult<Done<(FixtureView, bool)>> {
    let (f, home, away) = parts(&db, event, msg.fixture).await?;
    let status = FixtureStatus::parse_stored(&f.status);
    if !status.may_record_result() {
        return Err(conflict(&f, "given a result"));
    }
    let now = Utc::now();
    // The server's clock decides whether a scheduled fixture has begun.
    if status == FixtureStatus::Scheduled && f.starts_at > now {
        return Err(AppError::Conflict(
            "the fixture has not started yet: a result can be recorded from its start time".into(),
        ));
    }
    let corrected = status == FixtureStatus::Completed;
    let previous = match (corrected, f.home_score, f.away_score) {
        (true, Some(home_score), Some(away_score)) => Some(Score { home_score, away_score }),
        _ => None,
    };
    let change = Change {
        status: Some(FixtureStatus::Completed),
        score: Some((msg.home_score, msg.away_score)),
        ..Change::default()
    };
    let f = store::fixtures::update(&db, f, change, now).await?;
    let view = FixtureView::with_teams(&f, &home, &away);
    let mut publish = Vec::new();
    if !corrected {
        let was = Previous {
            status: Some(status),
            ..Previous::default()
        };
        push_schedule(&mut publish, ScheduleAction::Completed, &view, &was);
    }
    let data = ResultUpdate {
        action: if corrected {
            ResultAction::Corrected
        } else {
            ResultAction::Recorded
        },
        fixture: &view,
        previous,
    };
    for topic in [
        Topic::EventResults(event),
        Topic::Team(view.home.id),
        Topic::Team(view.away.id),
    ] {
        push(&mut publish, topic, "result_update", &data);
    }
    Ok(Done {
        reply: (view, corrected),
        publish,
        dirty: true,
    })
}

async fn delete(db: DatabaseConnection, event: EventId, msg: DeleteFixture) -> AppResult<Done<()>> {
    let (f, home, away) = parts(&db, event, msg.fixture).await?;
    let view = FixtureView::with_teams(&f, &home, &away);
    store::fixtures::delete(&db, f).await?;
    let mut publish = Vec::new();
    push_schedule(&mut publish, ScheduleAction::Deleted, &view, &Previous::default());
    Ok(Done {
        reply: (),
        publish,
        dirty: true,
    })
}

async fn set_points(db: DatabaseConnection, event: EventId, msg: SetPoints) -> AppResult<Done<LeaguePoints>> {
    let points = msg.points.check()?;
    store::fixtures::put_settings(
        &db,
        event,
        (points.points_win, points.points_draw, points.points_loss),
        Utc::now(),
    )
    .await?;
    Ok(Done {
        reply: points,
        publish: Vec::new(),
        dirty: true,
    })
}

// ---- handlers -------------------------------------------------------------

macro_rules! handle_with {
    ($msg:ty, $reply:ty, $f:ident) => {
        impl Handler<$msg> for Leaderboard {
            type Result = AtomicResponse<Self, AppResult<$reply>>;
            fn handle(&mut self, msg: $msg, _: &mut Context<Self>) -> Self::Result {
                let fut = $f(self.db.clone(), self.id, msg);
                self.transact(fut)
            }
        }
    };
}

handle_with!(CreateFixture, FixtureView, create);
handle_with!(Reschedule, FixtureView, reschedule);
handle_with!(MoveFixture, FixtureView, move_to);
handle_with!(RecordResult, (FixtureView, bool), record);
handle_with!(DeleteFixture, (), delete);
handle_with!(SetPoints, LeaguePoints, set_points);
