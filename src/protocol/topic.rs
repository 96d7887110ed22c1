//! Topics name what a stream carries. Parsed and printed in one place.

use crate::model::{EventId, RoundId};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Everything about one event: countdown, round lifecycle, announcements.
    Event(EventId),
    /// One round's clock: ticks, warnings, lifecycle, round announcements.
    Round(RoundId),
    /// Server-wide live counts for admins.
    Admin,
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Event(id) => write!(f, "event:{id}"),
            Topic::Round(id) => write!(f, "round:{id}"),
            Topic::Admin => f.write_str("admin"),
        }
    }
}

impl FromStr for Topic {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("unknown topic `{s}`");
        match s.split_once(':') {
            None if s == "admin" => Ok(Topic::Admin),
            Some(("event", id)) => id.parse().map(Topic::Event).map_err(|_| bad()),
            Some(("round", id)) => id.parse().map(Topic::Round).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn topics_print_and_parse_back() {
        for t in [Topic::Event(EventId::new()), Topic::Round(RoundId::new()), Topic::Admin] {
            assert_eq!(t.to_string().parse::<Topic>().unwrap(), t);
        }
        assert!("event:not-a-uuid".parse::<Topic>().is_err());
        assert!("nope".parse::<Topic>().is_err());
    }
}
