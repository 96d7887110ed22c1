//! Lifecycle states of rounds and countdowns, as stored and as sent.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    Pending,
    Running,
    Break,
    Completed,
}

impl RoundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundStatus::Pending => "pending",
            RoundStatus::Running => "running",
            RoundStatus::Break => "break",
            RoundStatus::Completed => "completed",
        }
    }

    /// Unknown stored values read as completed: never restart a clock the
    /// code does not understand.
    pub fn parse_stored(s: &str) -> Self {
        match s {
            "pending" => RoundStatus::Pending,
            "running" => RoundStatus::Running,
            "break" => RoundStatus::Break,
            _ => RoundStatus::Completed,
        }
    }
}

/// Which part of a round the clock is counting down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Round,
    Break,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CountdownStatus {
    Running,
    Completed,
    Cancelled,
}

impl CountdownStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CountdownStatus::Running => "running",
            CountdownStatus::Completed => "completed",
            CountdownStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse_stored(s: &str) -> Self {
        match s {
            "running" => CountdownStatus::Running,
            "completed" => CountdownStatus::Completed,
            _ => CountdownStatus::Cancelled,
        }
    }
}
