//! The server envelope `{type, topic, seq, ts, ref, data}`, serialized once
//! per publish; the resulting bytes are shared by every subscriber.

use super::Topic;
use crate::clock::fmt_time;
use bytestring::ByteString;
use chrono::Utc;
use serde::Serialize;

#[derive(Serialize)]
struct Envelope<'a, D: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    ts: String,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
    data: &'a D,
}

fn to_bytes<D: Serialize>(env: &Envelope<'_, D>) -> ByteString {
    // Serializing our own structs cannot fail; an empty frame would be a bug
    // worth seeing in the log rather than a panic in the fan-out path.
    match serde_json::to_string(env) {
        Ok(s) => ByteString::from(s),
        Err(e) => {
            tracing::error!(error = %e, kind = env.kind, "could not serialize frame");
            ByteString::from_static(
                "{\"type\":\"error\",\"data\":{\"code\":\"internal\",\"message\":\"serialization\"}}",
            )
        }
    }
}

/// A frame published on a topic.
pub fn encode<D: Serialize>(kind: &str, topic: &Topic, seq: Option<u64>, data: &D) -> ByteString {
    to_bytes(&Envelope {
        kind,
        topic: Some(topic.to_string()),
        seq,
        ts: fmt_time(Utc::now()),
        reference: None,
        data,
    })
}

/// A frame for one session: a reply (echoing `ref`) or a first frame.
pub fn encode_reply<D: Serialize>(kind: &str, topic: Option<&Topic>, reference: Option<&str>, data: &D) -> ByteString {
    to_bytes(&Envelope {
        kind,
        topic: topic.map(ToString::to_string),
        seq: None,
        ts: fmt_time(Utc::now()),
        reference,
        data,
    })
}
