//! Typed `data` payloads of server messages (docs/protocol.md).

use crate::clock::{fmt_time, ser_time, PhaseClock};
use crate::model::{CountdownId, EventId, Phase, RoundId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::time::Instant;

/// A round's clock as every screen should draw it.
#[derive(Clone, Debug, Serialize)]
pub struct TimerState {
    pub round_id: RoundId,
    pub event_id: EventId,
    pub ordinal: i32,
    pub phase: Phase,
    pub status: &'static str,
    pub time_remaining: u64,
    pub total_duration: u64,
    pub percentage_complete: f64,
    #[serde(serialize_with = "ser_time")]
    pub ends_at: DateTime<Utc>,
    pub server_time: String,
    pub version: u64,
}

impl TimerState {
    /// The state at `now`; `time_remaining` is rounded up unless `at_mark`
    /// gives the exact whole-second mark being ticked.
    pub fn new(
        round_id: RoundId,
        event_id: EventId,
        ordinal: i32,
        phase: Phase,
        clock: &PhaseClock,
        at_mark: Option<u64>,
    ) -> Self {
        let now = Instant::now();
        Self {
            round_id,
            event_id,
            ordinal,
            phase,
            status: "active",
            time_remaining: at_mark.unwrap_or_else(|| clock.remaining_secs(now)),
            total_duration: clock.total_secs(),
            percentage_complete: clock.percentage_complete(now),
            ends_at: clock.ends_at,
            server_time: fmt_time(Utc::now()),
            version: clock.version,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RoundExtended {
    #[serde(flatten)]
    pub timer: TimerState,
    pub additional_seconds: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TimerWarning {
    pub round_id: RoundId,
    pub event_id: EventId,
    pub phase: Phase,
    pub warning_type: &'static str,
    pub message: String,
    pub time_remaining: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct RoundEnded {
    pub round_id: RoundId,
    pub event_id: EventId,
    pub ordinal: i32,
    pub ended_early: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct BreakEnded {
    pub round_id: RoundId,
    pub event_id: EventId,
    pub next_round_id: Option<RoundId>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CountdownState {
    pub countdown_id: CountdownId,
    pub event_id: EventId,
    pub active: bool,
    pub status: &'static str,
    pub time_remaining: u64,
    pub total_duration: u64,
    pub percentage_complete: f64,
    pub message: String,
    #[serde(serialize_with = "ser_time")]
    pub target_time: DateTime<Utc>,
    #[serde(serialize_with = "ser_time")]
    pub ends_at: DateTime<Utc>,
    pub server_time: String,
    pub version: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CountdownExtended {
    #[serde(flatten)]
    pub countdown: CountdownState,
    pub additional_seconds: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CountdownWarning {
    pub event_id: EventId,
    pub countdown_id: CountdownId,
    pub warning_type: &'static str,
    pub message: String,
    pub time_remaining: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CountdownCancelled {
    pub event_id: EventId,
    pub countdown_id: CountdownId,
}

#[derive(Clone, Debug, Serialize)]
pub struct CountdownCompleted {
    pub event_id: EventId,
    pub countdown_id: CountdownId,
    pub message: String,
    pub first_round_id: Option<RoundId>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Announcement {
    pub announcement_id: uuid::Uuid,
    pub event_id: EventId,
    pub round_id: Option<RoundId>,
    pub message: String,
    pub author: String,
    #[serde(serialize_with = "ser_time")]
    pub created_at: DateTime<Utc>,
}

/// What an event's live actor knows right now; the first frame of an event
/// or round socket is built from it, so a reconnect costs no database read.
#[derive(Clone, Debug, Serialize)]
pub struct EventSnapshot {
    pub event_id: EventId,
    pub version: u64,
    pub countdown: Option<CountdownState>,
    pub round: Option<TimerState>,
}

#[derive(Clone, Debug, Serialize, Default)]
pub struct ActorCounts {
    pub event: usize,
    pub round_timer: usize,
    pub countdown: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct DashboardStats {
    pub connections: usize,
    pub topics: usize,
    pub subscriptions: usize,
    pub active_timers: usize,
    pub active_countdowns: usize,
    pub actors: ActorCounts,
    /// Who follows each event right now (the presence counts).
    pub events: Vec<EventPresence>,
    pub server_time: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct EventPresence {
    pub event_id: EventId,
    pub users: usize,
    pub connections: usize,
}

impl CountdownState {
    pub fn running(
        countdown_id: CountdownId,
        event_id: EventId,
        message: &str,
        clock: &PhaseClock,
        at_mark: Option<u64>,
    ) -> Self {
        let now = Instant::now();
        Self {
            countdown_id,
            event_id,
            active: true,
            status: "running",
            time_remaining: at_mark.unwrap_or_else(|| clock.remaining_secs(now)),
            total_duration: clock.total_secs(),
            percentage_complete: clock.percentage_complete(now),
            message: message.to_owned(),
            target_time: clock.ends_at,
            ends_at: clock.ends_at,
            server_time: fmt_time(Utc::now()),
            version: clock.version,
        }
    }
}

/// A round's whole state, the latest kept on `round:{id}`.
#[derive(Clone, Debug, Serialize)]
pub struct RoundState {
    pub round_id: RoundId,
    pub event_id: EventId,
    pub round_status: &'static str,
    pub version: u64,
    pub timer: Option<TimerState>,
}
