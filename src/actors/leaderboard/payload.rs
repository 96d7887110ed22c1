//! What judging puts on the wire: scores for their judge and the
//! overseers, notifications without numbers, standings for everyone.

use crate::clock::{ser_opt_time, ser_time};
use crate::model::{CategoryId, EventId, ScoreId, TeamId, UserId};
use chrono::{DateTime, Utc};
use entity::{judging_state, score};
use serde::Serialize;
use serde_json::Value;

use super::league::LeagueRow;

// ---- payloads -------------------------------------------------------------

/// One judge's score, as its judge and the event's overseers see it.
#[derive(Clone, Debug, Serialize)]
pub struct ScoreView {
    pub id: ScoreId,
    pub event_id: EventId,
    pub category_id: CategoryId,
    pub category: String,
    pub team_id: TeamId,
    pub team_name: String,
    pub judge_id: UserId,
    pub judge: String,
    /// Criterion name → the value given.
    pub scores: Value,
    /// Σ weight × value.
    pub total: f64,
    #[serde(serialize_with = "ser_time")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_time")]
    pub updated_at: DateTime<Utc>,
}

impl ScoreView {
    pub fn new(s: &score::Model, category: &str, team_name: &str, judge: &str) -> Self {
        Self {
            id: ScoreId(s.id),
            event_id: EventId(s.event_id),
            category_id: CategoryId(s.category_id),
            category: category.to_owned(),
            team_id: TeamId(s.team_id),
            team_name: team_name.to_owned(),
            judge_id: UserId(s.judge_id),
            judge: judge.to_owned(),
            scores: s.marks.clone(),
            total: s.total,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreAction {
    Created,
    Updated,
    Deleted,
}

/// `score_update`: a score and what happened to it.
#[derive(Debug, Serialize)]
pub struct ScoreUpdate<'a> {
    pub action: ScoreAction,
    #[serde(flatten)]
    pub score: &'a ScoreView,
}

/// `team_notification`: the team was scored; no judge's numbers.
#[derive(Debug, Serialize)]
pub struct TeamNotification {
    pub event_id: EventId,
    pub team_id: TeamId,
    pub category_id: CategoryId,
    pub category: String,
    pub action: ScoreAction,
    pub message: String,
    /// Judges who have scored the team in this category so far.
    pub judge_count: u64,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JudgeNotice {
    /// A team registered for the event: one more to score.
    TeamRegistered,
    /// The judge was assigned to the category.
    Assigned,
}

/// `judge_notification`.
#[derive(Debug, Serialize)]
pub struct JudgeNotification {
    pub reason: JudgeNotice,
    pub event_id: EventId,
    pub category_id: CategoryId,
    pub category: String,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub message: String,
}

/// A category's certification (`certification:updated`, and REST).
#[derive(Clone, Debug, Serialize)]
pub struct CertificationView {
    pub category_id: CategoryId,
    pub event_id: EventId,
    pub category: String,
    pub status: String,
    pub certified_by: UserId,
    #[serde(serialize_with = "ser_time")]
    pub certified_at: DateTime<Utc>,
}

impl CertificationView {
    pub fn new(c: &entity::certification::Model, category: &str) -> Self {
        Self {
            category_id: CategoryId(c.category_id),
            event_id: EventId(c.event_id),
            category: category.to_owned(),
            status: c.status.clone(),
            certified_by: UserId(c.certified_by),
            certified_at: c.certified_at,
        }
    }
}

/// Where an event's judging stands (`contest:locked`, and REST).
#[derive(Clone, Debug, Serialize)]
pub struct JudgingStatus {
    pub event_id: EventId,
    pub locked: bool,
    #[serde(serialize_with = "ser_opt_time")]
    pub locked_at: Option<DateTime<Utc>>,
    pub locked_by: Option<UserId>,
    pub results_published: bool,
    #[serde(serialize_with = "ser_opt_time")]
    pub results_published_at: Option<DateTime<Utc>>,
}

impl JudgingStatus {
    pub fn new(event: EventId, s: Option<&judging_state::Model>) -> Self {
        Self {
            event_id: event,
            locked: s.is_some_and(|s| s.locked_at.is_some()),
            locked_at: s.and_then(|s| s.locked_at),
            locked_by: s.and_then(|s| s.locked_by).map(UserId),
            results_published: s.is_some_and(|s| s.results_published_at.is_some()),
            results_published_at: s.and_then(|s| s.results_published_at),
        }
    }
}

/// One team's place in one category.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Standing {
    /// 1-based; equal totals share a rank (1, 1, 3).
    pub rank: u32,
    pub team_id: TeamId,
    pub team_name: String,
    /// Average over the judges of Σ weight × value.
    pub average_total: f64,
    pub judge_count: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CategoryStandings {
    pub category_id: CategoryId,
    pub category: String,
    pub certified: bool,
    pub standings: Vec<Standing>,
}

/// One team's place over all categories.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OverallStanding {
    pub rank: u32,
    pub team_id: TeamId,
    pub team_name: String,
    /// Σ over categories of the team's average total.
    pub total: f64,
    /// Distinct judges who scored the team, in any category.
    pub judge_count: u32,
    pub categories_scored: u32,
}

/// `leaderboard_update`: the whole standings, kept as the state of
/// `event:{id}:results`.
#[derive(Clone, Debug, Serialize)]
pub struct LeaderboardState {
    pub event_id: EventId,
    /// Grows with every update; never apply an older one over a newer one.
    pub version: u64,
    pub locked: bool,
    pub results_published: bool,
    pub categories: Vec<CategoryStandings>,
    pub overall: Vec<OverallStanding>,
    /// The league table of the event's fixtures (docs/fixtures.md); empty
    /// when it has none.
    pub standings: Vec<LeagueRow>,
    pub server_time: String,
}

/// `results:published`.
#[derive(Debug, Serialize)]
pub struct ResultsPublished<'a> {
    pub event_id: EventId,
    #[serde(serialize_with = "ser_time")]
    pub published_at: DateTime<Utc>,
    pub leaderboard: &'a LeaderboardState,
}

/// `contest:locked`.
#[derive(Debug, Serialize)]
pub struct ContestLocked {
    pub event_id: EventId,
    #[serde(serialize_with = "ser_time")]
    pub locked_at: DateTime<Utc>,
    pub locked_by: UserId,
}
