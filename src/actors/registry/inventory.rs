//! The live actors, for admin inspection and the dashboard.

use crate::protocol::payload::ActorCounts;
use crate::protocol::Topic;
use actix::Message;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

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

#[derive(Message)]
#[rtype(result = "Vec<ActorInfo>")]
pub struct ListActors;

#[derive(Message)]
#[rtype(result = "Option<ActorInfo>")]
pub struct GetActor {
    pub kind: ActorKind,
    pub id: String,
}

pub struct Inventory {
    actors: HashMap<(ActorKind, String), ActorInfo>,
}

impl Inventory {
    pub fn new() -> Self {
        let mut actors = HashMap::new();
        actors.insert(
            (ActorKind::Registry, "main".to_owned()),
            ActorInfo {
                kind: ActorKind::Registry,
                id: "main".into(),
                started_at: Utc::now(),
                subscribers: 0,
                state: serde_json::Value::Null,
                topic: None,
            },
        );
        Self { actors }
    }

    pub fn up(&mut self, msg: ActorUp) {
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

    pub fn down(&mut self, msg: ActorDown) {
        self.actors.remove(&(msg.kind, msg.id));
    }

    pub fn counts(&self) -> ActorCounts {
        let mut c = ActorCounts::default();
        for (kind, _) in self.actors.keys() {
            match kind {
                ActorKind::Event => c.event += 1,
                ActorKind::RoundTimer => c.round_timer += 1,
                ActorKind::Countdown => c.countdown += 1,
                ActorKind::Registry => {}
            }
        }
        c
    }

    fn with_subscribers(info: &ActorInfo, subscribers: impl Fn(&Topic) -> usize) -> ActorInfo {
        let mut out = info.clone();
        out.subscribers = info.topic.as_ref().map_or(0, subscribers);
        out
    }

    pub fn list(&self, subscribers: impl Fn(&Topic) -> usize) -> Vec<ActorInfo> {
        let mut list: Vec<ActorInfo> = self
            .actors
            .values()
            .map(|a| Self::with_subscribers(a, &subscribers))
            .collect();
        list.sort_by_key(|a| a.started_at);
        list
    }

    pub fn get(&self, msg: GetActor, subscribers: impl Fn(&Topic) -> usize) -> Option<ActorInfo> {
        self.actors
            .get(&(msg.kind, msg.id))
            .map(|a| Self::with_subscribers(a, subscribers))
    }
}
