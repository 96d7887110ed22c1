//! Rating sessions (seed 004): their lifecycle and the value of a rating.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Items may be added; nobody rates yet.
    Created,
    /// Open for ratings (and more items).
    Active,
    /// Closed for good.
    Finished,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Created => "created",
            SessionStatus::Active => "active",
            SessionStatus::Finished => "finished",
        }
    }

    /// Unknown stored values read as finished: never reopen a session the
    /// code does not understand.
    pub fn parse_stored(s: &str) -> Self {
        match s {
            "created" => SessionStatus::Created,
            "active" => SessionStatus::Active,
            _ => SessionStatus::Finished,
        }
    }
}

/// A rating: a whole number of stars from 1 to 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Stars(u8);

impl Stars {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 5;

    /// From a JSON value: an integer 1–5 (`3.0` counts as 3), nothing else.
    pub fn from_json(v: &serde_json::Value) -> Option<Self> {
        let x = v.as_f64()?;
        if x.fract() != 0.0 || x < f64::from(Self::MIN) || x > f64::from(Self::MAX) {
            return None;
        }
        u8::try_from(x as i64).ok().map(Stars)
    }

    /// A stored value, if it is one.
    pub fn from_stored(v: i32) -> Option<Self> {
        u8::try_from(v)
            .ok()
            .filter(|x| (Self::MIN..=Self::MAX).contains(x))
            .map(Stars)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn stars_are_whole_numbers_from_one_to_five() {
        for (v, want) in [(json!(1), 1), (json!(5), 5), (json!(3.0), 3)] {
            assert_eq!(Stars::from_json(&v).unwrap().get(), want);
        }
        for bad in [
            json!(0),
            json!(6),
            json!(2.5),
            json!(-1),
            json!("3"),
            json!(null),
            json!(1e300),
        ] {
            assert!(Stars::from_json(&bad).is_none(), "{bad}");
        }
        assert!(Stars::from_stored(0).is_none());
        assert_eq!(Stars::from_stored(4).unwrap().get(), 4);
    }

    #[test]
    fn stored_statuses_read_back_and_unknown_ones_are_finished() {
        for s in [SessionStatus::Created, SessionStatus::Active, SessionStatus::Finished] {
            assert_eq!(SessionStatus::parse_stored(s.as_str()), s);
        }
        assert_eq!(SessionStatus::parse_stored("paused"), SessionStatus::Finished);
    }
}
