//! Server-authoritative time. A clock is a deadline (`ends_at`, wall clock,
//! persisted) mirrored as a monotonic `Instant`; every tick and every
//! "time remaining" is derived from the deadline, never by decrementing.

mod deadline;
mod warnings;

pub use deadline::{next_mark, PhaseClock};
pub use warnings::{countdown_warning, round_warning, Warning};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// RFC 3339 with milliseconds and `Z`, the one time format on the wire.
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn ser_time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&fmt_time(*t))
}

pub fn ser_opt_time<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&fmt_time(*t)),
        None => s.serialize_none(),
    }
}
