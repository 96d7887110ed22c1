//! The registry: topic → subscribers, per-topic sequence numbers, a bounded
//! history, fan-out, and the inventory of live actors for inspection.
//!
//! Sessions are known only as `Recipient`s, so the registry never depends on
//! a transport. Fan-out never waits: `try_send`, and a subscriber whose
//! mailbox is full is dropped as a slow consumer.

use crate::clock::fmt_time;
use crate::protocol::payload::{ActorCounts, DashboardStats};
use crate::protocol::{encode, Topic};
use actix::prelude::*;
use bytestring::ByteString;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Frames kept per topic for replay.
const HISTORY_LEN: usize = 256;
/// How often admins' dashboards are refreshed.
const DASHBOARD_INTERVAL: Duration = Duration::from_secs(1);

pub type SessionId = u64;

/// One encoded frame for a session to write.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct Deliver(pub ByteString);

/// Tells a session to close (slow consumer, rights revoked).
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct Kick {
    pub code: u16,
    pub reason: &'static str,
}

/// Whether a publish is kept for replay (and gets a `seq`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retain {
    /// Ticks and warnings: only worth anything at the moment they are made.
    Ephemeral,
    History,
}

/// A message for every subscriber of `topic`. `data` is serialized by the
/// publisher; the registry wraps it in the envelope once for everyone.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Publish {
    pub topic: Topic,
    pub kind: &'static str,
    pub data: Box<RawValue>,
    pub retain: Retain,
}

impl Publish {
    pub fn new<D: Serialize>(topic: Topic, kind: &'static str, data: &D, retain: Retain) -> Option<Self> {
        match serde_json::value::to_raw_value(data) {
            Ok(data) => Some(Self {
                topic,
                kind,
                data,
                retain,
            }),
            Err(e) => {
                tracing::error!(error = %e, kind, "could not serialize payload");
                None
            }
        }
    }
}

/// Registers a session on its topics.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Connect {
    pub id: SessionId,
    pub deliver: Recipient<Deliver>,
    pub kick: Recipient<Kick>,
    pub topics: Vec<Topic>,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Disconnect {
    pub id: SessionId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Registry,
    Event,
    RoundTimer,
    Countdown,
}

impl std::str::FromStr for ActorKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "registry" => Ok(ActorKind::Registry),
            "event" => Ok(ActorKind::Event),
            "round_timer" => Ok(ActorKind::RoundTimer),
            "countdown" => Ok(ActorKind::Countdown),
            _ => Err(()),
        }
    }
}

/// A live actor as admins see it.
#[derive(Clone, Debug, Serialize)]
pub struct ActorInfo {
    pub kind: ActorKind,
    pub id: String,
    #[serde(serialize_with = "crate::clock::ser_time")]
    pub started_at: DateTime<Utc>,
    pub subscribers: usize,
    pub state: serde_json::Value,
    #[serde(skip)]
    topic: Option<Topic>,
}

/// An actor announcing itself or its new state summary.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ActorUp {
    pub kind: ActorKind,
    pub id: String,
    pub topic: Option<Topic>,
    pub state: serde_json::Value,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct ActorDown {
    pub kind: ActorKind,
    pub id: String,
}

/// Closes every session (server shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct CloseAll {
    pub code: u16,
    pub reason: &'static str,
}

#[derive(Message)]
#[rtype(result = "Vec<ActorInfo>")]
pub struct ListActors;

#[derive(Message)]
#[rtype(result = "Option<ActorInfo>")]
pub struct GetActor {
    pub kind: ActorKind,
    pub id: String,
}

#[derive(Message)]
#[rtype(result = "DashboardStats")]
pub struct GetStats;

#[derive(Default)]
struct TopicState {
    seq: u64,
    history: VecDeque<(u64, ByteString)>,
    subscribers: HashMap<SessionId, Recipient<Deliver>>,
}

struct SessionEntry {
    kick: Recipient<Kick>,
    topics: Vec<Topic>,
}

pub struct Registry {
    topics: HashMap<Topic, TopicState>,
    sessions: HashMap<SessionId, SessionEntry>,
    actors: HashMap<(ActorKind, String), ActorInfo>,
    started_at: DateTime<Utc>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    pub fn new() -> Self {
        Self {
            topics: HashMap::new(),
            sessions: HashMap::new(),
            actors: HashMap::new(),
            started_at: Utc::now(),
        }
    }

    fn fan_out(&mut self, topic: &Topic, frame: &ByteString) {
        let Some(state) = self.topics.get_mut(topic) else {
            return;
        };
        let mut dropped = Vec::new();
        for (id, sub) in &state.subscribers {
            match sub.try_send(Deliver(frame.clone())) {
                Ok(()) => {}
                Err(SendError::Full(_)) => dropped.push((*id, true)),
                Err(SendError::Closed(_)) => dropped.push((*id, false)),
            }
        }
        for (id, slow) in dropped {
            if let Some(entry) = self.remove_session(id) {
                if slow {
                    entry.kick.do_send(Kick {
                        code: crate::protocol::codes::SLOW_CONSUMER,
                        reason: "slow consumer",
                    });
                }
            }
        }
    }

    fn remove_session(&mut self, id: SessionId) -> Option<SessionEntry> {
        let entry = self.sessions.remove(&id)?;
        for t in &entry.topics {
            if let Some(state) = self.topics.get_mut(t) {
                state.subscribers.remove(&id);
                if state.subscribers.is_empty() && state.history.is_empty() {
                    self.topics.remove(t);
                }
            }
        }
        Some(entry)
    }

    fn subscriber_count(&self, topic: Option<&Topic>) -> usize {
        topic
            .and_then(|t| self.topics.get(t))
            .map_or(0, |s| s.subscribers.len())
    }

    fn stats(&self) -> DashboardStats {
        let mut actors = ActorCounts::default();
        for (kind, _) in self.actors.keys() {
            match kind {
                ActorKind::Event => actors.event += 1,
                ActorKind::RoundTimer => actors.round_timer += 1,
                ActorKind::Countdown => actors.countdown += 1,
                ActorKind::Registry => {}
            }
        }
        DashboardStats {
            connections: self.sessions.len(),
            topics: self.topics.len(),
            subscriptions: self.topics.values().map(|t| t.subscribers.len()).sum(),
            active_timers: actors.round_timer,
            active_countdowns: actors.countdown,
            actors,
            server_time: fmt_time(Utc::now()),
        }
    }

    fn info(&self, info: &ActorInfo) -> ActorInfo {
        let mut out = info.clone();
        out.subscribers = self.subscriber_count(info.topic.as_ref());
        out
    }
}

impl Actor for Registry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Publishers never wait on the registry, so its mailbox is unbounded
        // in practice (`do_send`); this only bounds `send` callers.
        ctx.set_mailbox_capacity(4096);
        self.actors.insert(
            (ActorKind::Registry, "main".into()),
            ActorInfo {
                kind: ActorKind::Registry,
                id: "main".into(),
                started_at: self.started_at,
                subscribers: 0,
                state: serde_json::Value::Null,
                topic: None,
            },
        );
        ctx.run_interval(DASHBOARD_INTERVAL, |act, _| {
            if act.subscriber_count(Some(&Topic::Admin)) == 0 {
                return;
            }
            let stats = act.stats();
            let frame = encode("dashboard_stats", &Topic::Admin, None, &stats);
            act.fan_out(&Topic::Admin, &frame);
        });
    }
}

impl Handler<Publish> for Registry {
    type Result = ();
    fn handle(&mut self, msg: Publish, _: &mut Context<Self>) {
        let state = self.topics.entry(msg.topic).or_default();
        let seq = match msg.retain {
            Retain::Ephemeral => None,
            Retain::History => {
                state.seq += 1;
                Some(state.seq)
            }
        };
        let frame = encode(msg.kind, &msg.topic, seq, &msg.data);
        if let Some(seq) = seq {
            if state.history.len() == HISTORY_LEN {
                state.history.pop_front();
            }
            state.history.push_back((seq, frame.clone()));
        }
        self.fan_out(&msg.topic, &frame);
        if self
            .topics
            .get(&msg.topic)
            .is_some_and(|s| s.subscribers.is_empty() && s.history.is_empty())
        {
            self.topics.remove(&msg.topic);
        }
    }
}

impl Handler<Connect> for Registry {
    type Result = ();
    fn handle(&mut self, msg: Connect, _: &mut Context<Self>) {
        for t in &msg.topics {
            self.topics
                .entry(*t)
                .or_default()
                .subscribers
                .insert(msg.id, msg.deliver.clone());
        }
        self.sessions.insert(
            msg.id,
            SessionEntry {
                kick: msg.kick,
                topics: msg.topics,
            },
        );
    }
}

impl Handler<Disconnect> for Registry {
    type Result = ();
    fn handle(&mut self, msg: Disconnect, _: &mut Context<Self>) {
        self.remove_session(msg.id);
    }
}

impl Handler<CloseAll> for Registry {
    type Result = ();
    fn handle(&mut self, msg: CloseAll, _: &mut Context<Self>) {
        for (_, entry) in self.sessions.drain() {
            entry.kick.do_send(Kick {
                code: msg.code,
                reason: msg.reason,
            });
        }
        for state in self.topics.values_mut() {
            state.subscribers.clear();
        }
    }
}

impl Handler<ActorUp> for Registry {
    type Result = ();
    fn handle(&mut self, msg: ActorUp, _: &mut Context<Self>) {
        let key = (msg.kind, msg.id.clone());
        let started_at = self.actors.get(&key).map_or_else(Utc::now, |a| a.started_at);
        self.actors.insert(
            key,
            ActorInfo {
                kind: msg.kind,
                id: msg.id,
                started_at,
                subscribers: 0,
                state: msg.state,
                topic: msg.topic,
            },
        );
    }
}

impl Handler<ActorDown> for Registry {
    type Result = ();
    fn handle(&mut self, msg: ActorDown, _: &mut Context<Self>) {
        self.actors.remove(&(msg.kind, msg.id));
    }
}

impl Handler<ListActors> for Registry {
    type Result = MessageResult<ListActors>;
    fn handle(&mut self, _: ListActors, _: &mut Context<Self>) -> Self::Result {
        let mut list: Vec<ActorInfo> = self.actors.values().map(|a| self.info(a)).collect();
        list.sort_by_key(|a| a.started_at);
        MessageResult(list)
    }
}

impl Handler<GetActor> for Registry {
    type Result = MessageResult<GetActor>;
    fn handle(&mut self, msg: GetActor, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.actors.get(&(msg.kind, msg.id)).map(|a| self.info(a)))
    }
}

impl Handler<GetStats> for Registry {
    type Result = MessageResult<GetStats>;
    fn handle(&mut self, _: GetStats, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.stats())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::EventId;

    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<String>>>);
    impl Actor for Sink {
        type Context = Context<Self>;
    }
    impl Handler<Deliver> for Sink {
        type Result = ();
        fn handle(&mut self, m: Deliver, _: &mut Context<Self>) {
            self.0.lock().unwrap().push(m.0.to_string());
        }
    }
    impl Handler<Kick> for Sink {
        type Result = ();
        fn handle(&mut self, _: Kick, _: &mut Context<Self>) {}
    }

    #[actix::test]
    async fn a_publish_reaches_subscribers_of_its_topic_only_with_a_seq() {
        let reg = Registry::new().start();
        let topic = Topic::Event(EventId::new());
        let (a, b) = (Default::default(), Default::default());
        let sa = Sink(std::sync::Arc::clone(&a)).start();
        let sb = Sink(std::sync::Arc::clone(&b)).start();
        reg.send(Connect {
            id: 1,
            deliver: sa.clone().recipient(),
            kick: sa.recipient(),
            topics: vec![topic],
        })
        .await
        .unwrap();
        reg.send(Connect {
            id: 2,
            deliver: sb.clone().recipient(),
            kick: sb.recipient(),
            topics: vec![Topic::Admin],
        })
        .await
        .unwrap();
        reg.send(Publish::new(topic, "announcement", &serde_json::json!({"m": 1}), Retain::History).unwrap())
            .await
            .unwrap();
        reg.send(Publish::new(topic, "timer_update", &serde_json::json!({}), Retain::Ephemeral).unwrap())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let got = a.lock().unwrap().clone();
        assert_eq!(got.len(), 2);
        let first: serde_json::Value = serde_json::from_str(&got[0]).unwrap();
        assert_eq!(first["seq"], 1);
        assert_eq!(first["topic"], topic.to_string());
        assert_eq!(first["data"]["m"], 1);
        let second: serde_json::Value = serde_json::from_str(&got[1]).unwrap();
        assert!(second.get("seq").is_none());
        assert!(b.lock().unwrap().is_empty());
    }
}
