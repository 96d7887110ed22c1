//! Topics name what a stream carries. Parsed and printed in one place; who
//! may subscribe to which is decided in `access::may_subscribe`.

use crate::model::{CategoryId, EventId, PurchaseId, RatingSessionId, Role, RoundId, TeamId, UserId};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// An event's room: countdown, round lifecycle, announcements, presence counts.
    Event(EventId),
    /// Results and standings of an event.
    EventResults(EventId),
    /// Fixtures and schedule changes.
    EventSchedule(EventId),
    /// Announcements only.
    EventAnnouncements(EventId),
    /// Who joined and left (organizers).
    EventPresence(EventId),
    /// Every judge's scores and the judging lifecycle, for those who oversee
    /// the judging (organizers, admins, tally masters): never for judges.
    EventScores(EventId),
    /// One round's clock.
    Round(RoundId),
    Team(TeamId),
    User(UserId),
    Purchase(PurchaseId),
    Role(Role),
    Category(CategoryId),
    CategoryRole(CategoryId, Role),
    /// Server-wide live counts for admins.
    Admin,
    /// A rating session for its participants (seed 004's user group):
    /// lifecycle, items, `session_state`.
    Rating(RatingSessionId),
    /// A rating session for its event's organizers (seed 004's admin
    /// group): also who rated what and the figures.
    RatingAdmin(RatingSessionId),
    /// System announcements: for every session, signed in or not.
    System,
}

impl Topic {
    /// The event a topic belongs to, when it belongs to one directly.
    pub fn event(&self) -> Option<EventId> {
        match self {
            Topic::Event(e)
            | Topic::EventResults(e)
            | Topic::EventSchedule(e)
            | Topic::EventAnnouncements(e)
            | Topic::EventPresence(e)
            | Topic::EventScores(e) => Some(*e),
            _ => None,
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Event(id) => write!(f, "event:{id}"),
            Topic::EventResults(id) => write!(f, "event:{id}:results"),
            Topic::EventSchedule(id) => write!(f, "event:{id}:schedule"),
            Topic::EventAnnouncements(id) => write!(f, "event:{id}:announcements"),
            Topic::EventPresence(id) => write!(f, "event:{id}:presence"),
            Topic::EventScores(id) => write!(f, "event:{id}:scores"),
            Topic::Round(id) => write!(f, "round:{id}"),
            Topic::Team(id) => write!(f, "team:{id}"),
            Topic::User(id) => write!(f, "user:{id}"),
            Topic::Purchase(id) => write!(f, "purchase:{id}"),
            Topic::Role(r) => write!(f, "role:{r}"),
            Topic::Category(id) => write!(f, "category:{id}"),
            Topic::CategoryRole(id, r) => write!(f, "category:{id}:{r}"),
            Topic::Admin => f.write_str("admin"),
            Topic::Rating(id) => write!(f, "rating:{id}"),
            Topic::RatingAdmin(id) => write!(f, "rating:{id}:admin"),
            Topic::System => f.write_str("system"),
        }
    }
}

impl FromStr for Topic {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("unknown topic `{}`", s.chars().take(80).collect::<String>());
        let parts: Vec<&str> = s.split(':').collect();
        let id = |i: usize| parts.get(i).ok_or_else(bad);
        let t = match parts.as_slice() {
            ["admin"] => Topic::Admin,
            ["system"] => Topic::System,
            ["event", _] => Topic::Event(id(1)?.parse().map_err(|_| bad())?),
            ["event", _, "results"] => Topic::EventResults(id(1)?.parse().map_err(|_| bad())?),
            ["event", _, "schedule"] => Topic::EventSchedule(id(1)?.parse().map_err(|_| bad())?),
            ["event", _, "announcements"] => Topic::EventAnnouncements(id(1)?.parse().map_err(|_| bad())?),
            ["event", _, "presence"] => Topic::EventPresence(id(1)?.parse().map_err(|_| bad())?),
            ["event", _, "scores"] => Topic::EventScores(id(1)?.parse().map_err(|_| bad())?),
            ["round", _] => Topic::Round(id(1)?.parse().map_err(|_| bad())?),
            ["team", _] => Topic::Team(id(1)?.parse().map_err(|_| bad())?),
            ["user", _] => Topic::User(id(1)?.parse().map_err(|_| bad())?),
            ["purchase", _] => Topic::Purchase(id(1)?.parse().map_err(|_| bad())?),
            ["role", r] => Topic::Role(r.parse().map_err(|_| bad())?),
            ["category", _] => Topic::Category(id(1)?.parse().map_err(|_| bad())?),
            ["rating", _] => Topic::Rating(id(1)?.parse().map_err(|_| bad())?),
            ["rating", _, "admin"] => Topic::RatingAdmin(id(1)?.parse().map_err(|_| bad())?),
            ["category", _, r] => {
                Topic::CategoryRole(id(1)?.parse().map_err(|_| bad())?, r.parse().map_err(|_| bad())?)
            }
            _ => return Err(bad()),
        };
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_topic_prints_and_parses_back() {
        let (e, c) = (EventId::new(), CategoryId::new());
        for t in [
            Topic::Event(e),
            Topic::EventResults(e),
            Topic::EventSchedule(e),
            Topic::EventAnnouncements(e),
            Topic::EventPresence(e),
            Topic::EventScores(e),
            Topic::Round(RoundId::new()),
            Topic::Team(TeamId::new()),
            Topic::User(UserId::new()),
            Topic::Purchase(PurchaseId::new()),
            Topic::Role(Role::Judge),
            Topic::Category(c),
            Topic::CategoryRole(c, Role::Judge),
            Topic::Admin,
            Topic::Rating(RatingSessionId::new()),
            Topic::RatingAdmin(RatingSessionId::new()),
            Topic::System,
        ] {
            assert_eq!(t.to_string().parse::<Topic>().unwrap(), t);
        }
        for bad in ["event:not-a-uuid", "nope", "role:king", "event:x:y:z", "", "admin:1"] {
            assert!(bad.parse::<Topic>().is_err(), "{bad}");
        }
        let s = RatingSessionId::new();
        for bad in [
            "rating:".to_string(),
            "rating:nope".to_string(),
            format!("rating:{s}:users"),
            format!("rating:{s}:admin:x"),
        ] {
            assert!(bad.parse::<Topic>().is_err(), "{bad}");
        }
        assert!("system:1".parse::<Topic>().is_err());
    }
}
