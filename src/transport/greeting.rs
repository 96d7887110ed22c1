//! The first frame of a socket: the seed endpoints' `connected`,
//! `timer_connected` and `dashboard_connected`, or `welcome` on `/ws`.

use crate::actors::event::{EventActor, Snapshot};
use crate::actors::registry::{GetStats, Registry};
use crate::clock::fmt_time;
use crate::model::{EventId, Phase, RoundId};
use crate::protocol::{encode_reply, Topic};
use actix::Addr;
use bytestring::ByteString;
use chrono::Utc;
use serde_json::{json, Value};

pub enum Greeting {
    Event {
        addr: Addr<EventActor>,
        event_id: EventId,
        event_name: String,
    },
    Round {
        addr: Addr<EventActor>,
        round_id: RoundId,
        event_id: EventId,
        ordinal: i32,
        stored_status: String,
    },
    Dashboard {
        registry: Addr<Registry>,
    },
    Welcome {
        session_id: u64,
    },
}

impl Greeting {
    pub async fn frame(self, user: Value) -> ByteString {
        match self {
            Greeting::Event {
                addr,
                event_id,
                event_name,
            } => {
                let snap = addr.send(Snapshot).await.ok();
                let data = json!({
                    "event_id": event_id,
                    "event_name": event_name,
                    "user": user,
                    "countdown": snap.as_ref().and_then(|s| s.countdown.clone()),
                    "round": snap.and_then(|s| s.round),
                    "server_time": fmt_time(Utc::now()),
                });
                encode_reply("connected", Some(&Topic::Event(event_id)), None, &data)
            }
            Greeting::Round {
                addr,
                round_id,
                event_id,
                ordinal,
                stored_status,
            } => {
                let timer = addr
                    .send(Snapshot)
                    .await
                    .ok()
                    .and_then(|s| s.round)
                    .filter(|t| t.round_id == round_id);
                let round_status = match &timer {
                    Some(t) if t.phase == Phase::Break => "break".to_owned(),
                    Some(_) => "running".to_owned(),
                    None => stored_status,
                };
                let data = json!({
                    "round_id": round_id,
                    "event_id": event_id,
                    "ordinal": ordinal,
                    "round_status": round_status,
                    "timer": timer,
                    "server_time": fmt_time(Utc::now()),
                });
                encode_reply("timer_connected", Some(&Topic::Round(round_id)), None, &data)
            }
            Greeting::Dashboard { registry } => {
                let stats = registry.send(GetStats).await.ok();
                encode_reply("dashboard_connected", Some(&Topic::Admin), None, &stats)
            }
            Greeting::Welcome { session_id } => encode_reply(
                "welcome",
                None,
                None,
                &json!({"session_id": session_id, "user": user, "server_time": fmt_time(Utc::now())}),
            ),
        }
    }
}
