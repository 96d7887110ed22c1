//! Roles: the global one on a user, the one a user holds inside an event,
//! and who may see an event.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Organizer,
    Judge,
    Attendee,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Organizer => "organizer",
            Role::Judge => "judge",
            Role::Attendee => "attendee",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "organizer" => Ok(Role::Organizer),
            "judge" => Ok(Role::Judge),
            "attendee" => Ok(Role::Attendee),
            other => Err(format!("unknown role `{other}` (admin, organizer, judge, attendee)")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A user's role inside one event; admins need no membership.
///
/// `tally_master` (checks and certifies the judges' scores) and `board`
/// (told when a category is certified) come with judging (docs/judging.md);
/// like every member they may read the event, and only organizers manage it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Organizer,
    Judge,
    Attendee,
    TallyMaster,
    Board,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Organizer => "organizer",
            MemberRole::Judge => "judge",
            MemberRole::Attendee => "attendee",
            MemberRole::TallyMaster => "tally_master",
            MemberRole::Board => "board",
        }
    }
}

impl FromStr for MemberRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "organizer" => Ok(MemberRole::Organizer),
            "judge" => Ok(MemberRole::Judge),
            "attendee" => Ok(MemberRole::Attendee),
            "tally_master" => Ok(MemberRole::TallyMaster),
            "board" => Ok(MemberRole::Board),
            other => Err(format!(
                "unknown member role `{other}` (organizer, judge, attendee, tally_master, board)"
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    #[default]
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }

    pub fn parse_stored(s: &str) -> Self {
        if s == "public" {
            Visibility::Public
        } else {
            Visibility::Private
        }
    }
}
