//! The vocabulary of announcements and notifications. Parsed from strings
//! (not by serde) so an unknown value is a 422 that names the choices.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            /// A stored value; an unknown one (never written by this code)
            /// reads as the first choice rather than failing a whole list.
            pub fn parse_stored(s: &str) -> Self {
                s.parse().unwrap_or(Self::ALL[0])
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown {} `{}` ({})",
                        $what,
                        other.chars().take(40).collect::<String>(),
                        [$($word),+].join(", ")
                    )),
                }
            }
        }
    };
}

word_enum!(
    /// What an announcement is about (seed 001).
    AnnouncementKind, "announcement type", {
        General => "general",
        ScheduleChange => "schedule_change",
        ResultUpdate => "result_update",
        WeatherAlert => "weather_alert",
        Emergency => "emergency",
    }
);

word_enum!(
    /// How loudly a client should show an announcement.
    Priority, "priority", {
        Normal => "normal",
        Low => "low",
        High => "high",
        Urgent => "urgent",
    }
);

word_enum!(
    /// Why a user was notified.
    NotificationKind, "notification kind", {
        Message => "message",
        Announcement => "announcement",
        System => "system",
    }
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_word_parses_back_and_unknown_ones_name_the_choices() {
        for k in AnnouncementKind::ALL {
            assert_eq!(k.as_str().parse::<AnnouncementKind>().unwrap(), *k);
        }
        for p in Priority::ALL {
            assert_eq!(p.as_str().parse::<Priority>().unwrap(), *p);
        }
        let err = "tsunami".parse::<AnnouncementKind>().unwrap_err();
        assert!(err.contains("weather_alert"), "{err}");
        assert!("URGENT".parse::<Priority>().is_err());
        assert_eq!(Priority::parse_stored("garbage"), Priority::Normal);
    }
}

/// Who an announcement is for. Stored as `target` plus `target_ids`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Target {
    /// Everyone who may read the event.
    Event,
    /// The members of these teams (and the event's organizers).
    Teams { team_ids: Vec<super::TeamId> },
    /// The event's members with one of these roles (and its organizers).
    Roles { roles: Vec<super::MemberRole> },
}

impl Target {
    pub fn kind_str(&self) -> &'static str {
        match self {
            Target::Event => "event",
            Target::Teams { .. } => "teams",
            Target::Roles { .. } => "roles",
        }
    }

    /// The stored `target_ids`: team ids or role names, as strings.
    pub fn ids_json(&self) -> Option<serde_json::Value> {
        match self {
            Target::Event => None,
            Target::Teams { team_ids } => Some(team_ids.iter().map(|t| t.to_string()).collect()),
            Target::Roles { roles } => Some(roles.iter().map(|r| r.as_str()).collect()),
        }
    }

    /// Reads what `kind_str` and `ids_json` wrote; entries that no longer
    /// parse are dropped (never widening the audience).
    pub fn from_stored(kind: &str, ids: Option<&serde_json::Value>) -> Self {
        let words = || {
            ids.and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        match kind {
            "teams" => Target::Teams {
                team_ids: words().iter().filter_map(|w| w.parse().ok()).collect(),
            },
            "roles" => Target::Roles {
                roles: words().iter().filter_map(|w| w.parse().ok()).collect(),
            },
            _ => Target::Event,
        }
    }
}
