//! Frames a client may send. Commands go over REST; the socket carries
//! subscriptions, liveness, clock sync and token refresh.

use crate::actors::registry::Position;
use crate::model::EventId;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    Ping {
        #[serde(rename = "ref")]
        reference: Option<String>,
    },
    /// Clock-sync request: answered with the server time.
    Time {
        #[serde(rename = "ref")]
        reference: Option<String>,
    },
    /// Follow a topic; with `since`, replay what was missed after it.
    Subscribe {
        topic: String,
        since: Option<Position>,
        #[serde(rename = "ref")]
        reference: Option<String>,
    },
    Unsubscribe {
        topic: String,
        #[serde(rename = "ref")]
        reference: Option<String>,
    },
    /// Seed 001's shortcuts for `event:{id}:results|schedule|announcements`;
    /// `event_id` defaults to the event of an `/ws/event/{id}` socket.
    SubscribeResults {
        event_id: Option<EventId>,
        #[serde(rename = "ref")]
        reference: Option<String>,
    },
    SubscribeSchedule {
        event_id: Option<EventId>,
        #[serde(rename = "ref")]
        reference: Option<String>,
    },
    SubscribeAnnouncements {
        event_id: Option<EventId>,
        #[serde(rename = "ref")]
        reference: Option<String>,
    },
    /// A fresh token for the same user, before the current one expires.
    Refresh {
        token: String,
        #[serde(rename = "ref")]
        reference: Option<String>,
    },
}

const KNOWN_TYPES: &[&str] = &[
    "ping",
    "time",
    "subscribe",
    "unsubscribe",
    "subscribe_results",
    "subscribe_schedule",
    "subscribe_announcements",
    "refresh",
];

/// Why a client frame was rejected, with the client's `ref` when readable.
#[derive(Debug, PartialEq, Eq)]
pub struct Rejected {
    pub code: &'static str,
    pub message: String,
    pub reference: Option<String>,
}

pub fn parse(text: &str) -> Result<ClientFrame, Rejected> {
    let value: Value = serde_json::from_str(text).map_err(|e| Rejected {
        code: "bad_json",
        message: format!("not valid JSON: {e}"),
        reference: None,
    })?;
    let reference = value.get("ref").and_then(Value::as_str).map(str::to_owned);
    let kind = value.get("type").and_then(Value::as_str);
    match kind {
        None => Err(Rejected {
            code: "bad_request",
            message: "a frame needs a string `type`".into(),
            reference,
        }),
        Some(k) if !KNOWN_TYPES.contains(&k) => Err(Rejected {
            code: "unknown_type",
            message: format!("unknown message type `{k}`"),
            reference,
        }),
        Some(_) => serde_json::from_value(value).map_err(|e| Rejected {
            code: "bad_request",
            message: e.to_string(),
            reference,
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_ping_with_a_ref_parses() {
        assert_eq!(
            parse(r#"{"type":"ping","ref":"a1"}"#).unwrap(),
            ClientFrame::Ping {
                reference: Some("a1".into())
            }
        );
    }

    #[test]
    fn bad_frames_say_why_and_keep_the_ref() {
        assert_eq!(parse("{nope").unwrap_err().code, "bad_json");
        let e = parse(r#"{"type":"dance","ref":"r"}"#).unwrap_err();
        assert_eq!((e.code, e.reference.as_deref()), ("unknown_type", Some("r")));
        assert_eq!(parse(r#"{"ref":"r"}"#).unwrap_err().code, "bad_request");
        assert_eq!(parse(r#"{"type":"ping","ref":5}"#).unwrap_err().code, "bad_request");
        assert_eq!(parse("[]").unwrap_err().code, "bad_request");
        assert_eq!(parse(r#"{"type":"subscribe"}"#).unwrap_err().code, "bad_request");
        assert_eq!(
            parse(r#"{"type":"subscribe","topic":"x","since":{"epoch":"zz","seq":1}}"#)
                .unwrap_err()
                .code,
            "bad_request"
        );
        assert_eq!(parse(r#"{"type":"ping","extra":1}"#).unwrap_err().code, "bad_request");
    }

    #[test]
    fn a_subscribe_with_a_position_parses() {
        let f = parse(r#"{"type":"subscribe","topic":"admin","since":{"epoch":"00000000000000ff","seq":7},"ref":"s"}"#)
            .unwrap();
        assert_eq!(
            f,
            ClientFrame::Subscribe {
                topic: "admin".into(),
                since: Some(Position { epoch: 255, seq: 7 }),
                reference: Some("s".into())
            }
        );
    }
}
