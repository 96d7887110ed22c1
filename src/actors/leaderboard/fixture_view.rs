//! What fixtures put on the wire: the fixture itself, `schedule_update`
//! (the fixture and what changed) and `result_update` (docs/fixtures.md).

use crate::clock::{ser_opt_time, ser_time};
use crate::model::{EventId, FixtureId, FixtureStatus, TeamId};
use chrono::{DateTime, Utc};
use entity::{fixture, team};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FixtureTeam {
    pub id: TeamId,
    pub name: String,
}

/// A fixture as REST returns it and frames carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FixtureView {
    pub id: FixtureId,
    pub event_id: EventId,
    pub home: FixtureTeam,
    pub away: FixtureTeam,
    #[serde(serialize_with = "ser_time")]
    pub starts_at: DateTime<Utc>,
    pub venue: Option<String>,
    pub status: FixtureStatus,
    /// Both set once a result is recorded, else both null.
    pub home_score: Option<i32>,
    pub away_score: Option<i32>,
    #[serde(serialize_with = "ser_time")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_time")]
    pub updated_at: DateTime<Utc>,
}

impl FixtureView {
    /// `name` finds a team's name (an unknown team reads as empty).
    pub fn new<'a>(f: &fixture::Model, name: impl Fn(uuid::Uuid) -> Option<&'a str>) -> Self {
        let side = |id: uuid::Uuid| FixtureTeam {
            id: TeamId(id),
            name: name(id).unwrap_or_default().to_owned(),
        };
        Self {
            id: FixtureId(f.id),
            event_id: EventId(f.event_id),
            home: side(f.home_team_id),
            away: side(f.away_team_id),
            starts_at: f.starts_at,
            venue: f.venue.clone(),
            status: FixtureStatus::parse_stored(&f.status),
            home_score: f.home_score,
            away_score: f.away_score,
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }

    pub fn with_teams(f: &fixture::Model, home: &team::Model, away: &team::Model) -> Self {
        Self::new(f, |id| {
            [home, away].into_iter().find(|t| t.id == id).map(|t| t.name.as_str())
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleAction {
    Created,
    Rescheduled,
    Postponed,
    Cancelled,
    Live,
    Completed,
    Deleted,
}

/// The values a change replaced; only the fields that changed are present.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Previous {
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_opt_time")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venue: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<FixtureStatus>,
}

impl Previous {
    /// The names of the fields that changed, for clients that only redraw
    /// what moved.
    pub fn changed(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.starts_at.is_some() {
            out.push("starts_at");
        }
        if self.venue.is_some() {
            out.push("venue");
        }
        if self.status.is_some() {
            out.push("status");
        }
        out
    }
}

/// `schedule_update`, on `event:{id}:schedule` and both teams' topics.
#[derive(Debug, Serialize)]
pub struct ScheduleUpdate<'a> {
    pub action: ScheduleAction,
    pub fixture: &'a FixtureView,
    pub changed: Vec<&'static str>,
    pub previous: &'a Previous,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultAction {
    Recorded,
    Corrected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Score {
    pub home_score: i32,
    pub away_score: i32,
}

/// `result_update`, on `event:{id}:results` and both teams' topics.
#[derive(Debug, Serialize)]
pub struct ResultUpdate<'a> {
    pub action: ResultAction,
    pub fixture: &'a FixtureView,
    /// The score a correction replaced (null when first recorded).
    pub previous: Option<Score>,
}
