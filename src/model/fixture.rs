//! A fixture's lifecycle and which moves it allows (docs/fixtures.md).
//!
//! ```text
//! scheduled ─┬─ reschedule ─▶ scheduled
//!            ├─ postpone ───▶ postponed ─ reschedule ─▶ scheduled
//!            ├─ start ──────▶ live ─┬─ result ─▶ completed ─ result (correction)
//!            ├─ result ─────▶ completed  └─ postpone / cancel
//!            └─ cancel ─────▶ cancelled (final)
//! ```

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixtureStatus {
    Scheduled,
    Postponed,
    Cancelled,
    Live,
    Completed,
}

impl FixtureStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FixtureStatus::Scheduled => "scheduled",
            FixtureStatus::Postponed => "postponed",
            FixtureStatus::Cancelled => "cancelled",
            FixtureStatus::Live => "live",
            FixtureStatus::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "scheduled" => FixtureStatus::Scheduled,
            "postponed" => FixtureStatus::Postponed,
            "cancelled" => FixtureStatus::Cancelled,
            "live" => FixtureStatus::Live,
            "completed" => FixtureStatus::Completed,
            _ => return None,
        })
    }

    /// Unknown stored values read as cancelled: a fixture the code does not
    /// understand never counts in the standings nor accepts changes.
    pub fn parse_stored(s: &str) -> Self {
        Self::parse(s).unwrap_or(FixtureStatus::Cancelled)
    }

    /// Time or venue may change (a postponed fixture is scheduled again).
    pub fn may_reschedule(self) -> bool {
        matches!(self, FixtureStatus::Scheduled | FixtureStatus::Postponed)
    }

    pub fn may_postpone(self) -> bool {
        matches!(self, FixtureStatus::Scheduled | FixtureStatus::Live)
    }

    pub fn may_cancel(self) -> bool {
        matches!(
            self,
            FixtureStatus::Scheduled | FixtureStatus::Postponed | FixtureStatus::Live
        )
    }

    pub fn may_start(self) -> bool {
        self == FixtureStatus::Scheduled
    }

    /// A result is recorded on a fixture that is due or under way, and
    /// corrected on a completed one.
    pub fn may_record_result(self) -> bool {
        matches!(
            self,
            FixtureStatus::Scheduled | FixtureStatus::Live | FixtureStatus::Completed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::FixtureStatus::*;
    use super::*;

    #[test]
    fn statuses_print_and_parse_back_and_only_legal_moves_are_allowed() {
        for s in [Scheduled, Postponed, Cancelled, Live, Completed] {
            assert_eq!(FixtureStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(FixtureStatus::parse("done"), None);
        assert_eq!(FixtureStatus::parse_stored("done"), Cancelled);
        // A cancelled fixture is final.
        assert!(!Cancelled.may_reschedule() && !Cancelled.may_postpone() && !Cancelled.may_cancel());
        assert!(!Cancelled.may_start() && !Cancelled.may_record_result());
        // A completed one only takes result corrections.
        assert!(!Completed.may_reschedule() && !Completed.may_postpone() && !Completed.may_cancel());
        assert!(Completed.may_record_result() && !Completed.may_start());
        assert!(!Postponed.may_record_result() && !Postponed.may_start() && Postponed.may_reschedule());
        assert!(Live.may_record_result() && !Live.may_reschedule() && !Live.may_start());
        assert!(Scheduled.may_start() && Scheduled.may_record_result());
    }
}
