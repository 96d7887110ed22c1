//! The registry: topic → subscribers, per-topic stream positions (epoch and
//! seq), bounded history, latest state, fan-out, presence, connection
//! admission, and the inventory of live actors.
//!
//! Sessions are known only as `Recipient`s, so the registry never depends on
//! a transport. Fan-out never waits: `try_send`, and a subscriber whose
//! mailbox is full is dropped as a slow consumer. Everything a subscriber
//! gets on subscribing (the reply, then the replay or the state) goes out as
//! one batch before it is added, so live frames can never overtake it.

mod inventory;
mod outbox;
mod presence;
mod stream;

pub use inventory::{ActorDown, ActorInfo, ActorKind, ActorUp, GetActor, ListActors};
pub use outbox::{Flush, Mailbox, Outbox};
pub use stream::SessionId;

use crate::clock::fmt_time;
use crate::model::{EventId, UserId};
use crate::protocol::payload::{ActorCounts, DashboardStats};
use crate::protocol::{codes, encode, encode_reply, Topic};
use actix::prelude::*;
use bytestring::ByteString;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};
use stream::{Catchup, TopicStream};

/// How often admins' dashboards and presence counts are refreshed.
const REFRESH_INTERVAL: Duration = Duration::from_secs(1);
/// How long a publish idempotency key is remembered.
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);
const IDEMPOTENCY_MAX: usize = 100_000;

/// A place in a topic's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    #[serde(with = "epoch_hex")]
    pub epoch: u64,
    pub seq: u64,
}

/// Epochs travel as hex strings: JavaScript numbers cannot hold a u64.
pub mod epoch_hex {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(e: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{e:016x}"))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        u64::from_str_radix(&s, 16).map_err(serde::de::Error::custom)
    }
}

impl Position {
    /// `epoch.seq`, the form used in SSE ids and poll cursors.
    pub fn to_token(self) -> String {
        format!("{:016x}.{}", self.epoch, self.seq)
    }

    pub fn from_token(s: &str) -> Option<Self> {
        let (e, q) = s.split_once('.')?;
        Some(Self {
            epoch: u64::from_str_radix(e, 16).ok()?,
            seq: q.parse().ok()?,
        })
    }
}

/// One frame for one session, with where it sits in its topic's stream.
#[derive(Clone)]
pub struct Frame {
    pub bytes: ByteString,
    pub topic: Option<Topic>,
    pub position: Option<Position>,
}

/// What the registry may ask of a session.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub enum Control {
    /// Close with this code (slow consumer, shutdown).
    Kick { code: u16, reason: &'static str },
    /// Rights of this session's user changed: check every subscription again.
    Recheck,
}

/// Whether a publish is kept for replay (and gets a `seq`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retain {
    /// Ticks and warnings: only worth anything at the moment they are made.
    Ephemeral,
    History,
    /// Whole state: kept in history and as the topic's latest of its type.
    State,
    /// Only the latest matters and it changes often (presence counts): no
    /// `seq`, never in history (it would crowd out what must be replayed),
    /// delivered on every subscribe and resume.
    Latest,
}

/// A message for every subscriber of `topic`. `data` is serialized by the
/// publisher; the registry wraps it in the envelope once for everyone.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Publish {
    pub topic: Topic,
    pub kind: Cow<'static, str>,
    pub data: Box<RawValue>,
    pub retain: Retain,
}

impl Publish {
    pub fn new<D: Serialize>(
        topic: Topic,
        kind: impl Into<Cow<'static, str>>,
        data: &D,
        retain: Retain,
    ) -> Option<Self> {
        let kind = kind.into();
        match serde_json::value::to_raw_value(data) {
            Ok(data) => Some(Self {
                topic,
                kind,
                data,
                retain,
            }),
            Err(e) => {
                tracing::error!(error = %e, kind = %kind, "could not serialize payload");
                None
            }
        }
    }
}

/// A publish that is delivered at most once per key; answers whether it
/// was delivered now (false: a retry of one already delivered).
#[derive(Message)]
#[rtype(result = "bool")]
pub struct PublishOnce {
    pub key: String,
    pub publish: Publish,
}

/// Limits on connections, checked before a session starts.
#[derive(Clone, Copy, Debug)]
pub struct Admission {
    pub per_user: usize,
    pub per_ip: usize,
    pub total: usize,
}

#[derive(Clone, Copy, Debug)]
pub struct RegistryConfig {
    pub history_len: usize,
    pub history_ttl: Duration,
    pub admission: Admission,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            history_len: 1000,
            history_ttl: Duration::from_secs(600),
            admission: Admission {
                per_user: 50,
                per_ip: 5000,
                total: 100_000,
            },
        }
    }
}

/// May one more connection from this user and address start?
#[derive(Message)]
#[rtype(result = "Result<(), &'static str>")]
pub struct Admit {
    pub user: Option<UserId>,
    pub ip: Option<IpAddr>,
}

/// Registers a session (it subscribes separately).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Connect {
    pub id: SessionId,
    pub user: Option<(UserId, String)>,
    pub ip: Option<IpAddr>,
    pub mailbox: Mailbox,
    pub control: Recipient<Control>,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Disconnect {
    pub id: SessionId,
}

/// Adds a topic to a session (rights already checked). The session gets a
/// `subscribed` reply, then the replay or the state, then live frames.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Subscribe {
    pub session: SessionId,
    pub topic: Topic,
    pub since: Option<Position>,
    pub reference: Option<String>,
}

/// Removes a topic from a session; `reason` is set when the server did it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unsubscribe {
    pub session: SessionId,
    pub topic: Topic,
    pub reference: Option<String>,
    pub reason: Option<&'static str>,
}

/// Rights changed: the sessions of `user` (of everyone when `None`, e.g.
/// an event turned private) check their subscriptions again.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Recheck {
    pub user: Option<UserId>,
}

/// Long polling: what the topics published after the given positions.
#[derive(Message)]
#[rtype(result = "PollResult")]
pub struct Poll {
    pub topics: Vec<(Topic, Option<Position>)>,
    pub wait: Duration,
}

#[derive(Debug, Serialize)]
pub struct PollResult {
    /// Envelopes, in order per topic.
    pub messages: Vec<Box<RawValue>>,
    /// Where each topic stands now, in the order asked.
    pub positions: Vec<Position>,
    /// Per topic: whether the history reached back to the given position
    /// (`None` when none was given).
    pub recovered: Vec<Option<bool>>,
}

/// Closes every session (server shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct CloseAll {
    pub code: u16,
    pub reason: &'static str,
}

#[derive(Message)]
#[rtype(result = "DashboardStats")]
pub struct GetStats;

struct SessionEntry {
    mailbox: Mailbox,
    control: Recipient<Control>,
    user: Option<(UserId, String)>,
    ip: Option<IpAddr>,
    topics: HashSet<Topic>,
}

pub struct Registry {
    config: RegistryConfig,
    topics: HashMap<Topic, TopicStream>,
    sessions: HashMap<SessionId, SessionEntry>,
    per_user: HashMap<UserId, usize>,
    per_ip: HashMap<IpAddr, usize>,
    presence: presence::Presence,
    actors: inventory::Inventory,
    idempotency: HashMap<String, Instant>,
    idempotency_order: VecDeque<(Instant, String)>,
    waiters: HashMap<Topic, Vec<tokio::sync::mpsc::Sender<()>>>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new(RegistryConfig::default())
    }
}

impl Registry {
    pub fn new(config: RegistryConfig) -> Self {
        Self {
            config,
            topics: HashMap::new(),
            sessions: HashMap::new(),
            per_user: HashMap::new(),
            per_ip: HashMap::new(),
            presence: presence::Presence::default(),
            actors: inventory::Inventory::new(),
            idempotency: HashMap::new(),
            idempotency_order: VecDeque::new(),
            waiters: HashMap::new(),
        }
    }

    fn publish(&mut self, msg: Publish) {
        let (history_len, topic) = (self.config.history_len, msg.topic);
        let stream = self.topics.entry(topic).or_insert_with(TopicStream::new);
        let seq = match msg.retain {
            Retain::Ephemeral | Retain::Latest => None,
            Retain::History | Retain::State => Some(stream.next_seq()),
        };
        let bytes = encode(&msg.kind, &topic, seq, &msg.data);
        if msg.retain == Retain::Latest {
            stream.set_latest(msg.kind.clone(), bytes.clone());
        }
        if let Some(seq) = seq {
            stream.keep(seq, bytes.clone(), history_len);
            if msg.retain == Retain::State {
                stream.set_state(msg.kind.clone(), seq, bytes.clone());
            }
            if let Some(ws) = self.waiters.remove(&topic) {
                for w in ws {
                    let _ = w.try_send(());
                }
            }
        }
        let frame = Frame {
            bytes,
            topic: Some(topic),
            position: seq.map(|seq| Position {
                epoch: stream.epoch,
                seq,
            }),
        };
        let mut dropped = Vec::new();
        for (id, sub) in &stream.subscribers {
            match sub.push(frame.clone()) {
                Ok(()) => {}
                Err(outbox::PushError::Full) => dropped.push((*id, true)),
                Err(outbox::PushError::Closed) => dropped.push((*id, false)),
            }
        }
        if stream.is_idle() {
            self.topics.remove(&topic);
        }
        self.drop_sessions(dropped);
    }

    fn drop_sessions(&mut self, dropped: Vec<(SessionId, bool)>) {
        for (id, slow) in dropped {
            if let Some(entry) = self.remove_session(id) {
                if slow {
                    entry.control.do_send(Control::Kick {
                        code: codes::SLOW_CONSUMER,
                        reason: "slow consumer",
                    });
                }
            }
        }
    }

    fn unsubscribe(&mut self, id: SessionId, topic: Topic) {
        if let Some(stream) = self.topics.get_mut(&topic) {
            stream.subscribers.remove(&id);
            if stream.is_idle() {
                self.topics.remove(&topic);
            }
        }
        if let Topic::Event(event) = topic {
            let user = self.sessions.get(&id).and_then(|s| s.user.clone());
            if let Some(change) = self.presence.leave(event, user) {
                self.publish_presence(event, "presence_leave", change);
            }
        }
    }

    fn remove_session(&mut self, id: SessionId) -> Option<SessionEntry> {
        let topics: Vec<Topic> = self.sessions.get(&id)?.topics.iter().copied().collect();
        for t in topics {
            self.unsubscribe(id, t);
        }
        let entry = self.sessions.remove(&id)?;
        if let Some((user, _)) = &entry.user {
            decrement(&mut self.per_user, user);
        }
        if let Some(ip) = &entry.ip {
            decrement(&mut self.per_ip, ip);
        }
        Some(entry)
    }

    fn publish_presence(&mut self, event: EventId, kind: &'static str, change: presence::Change) {
        if let Some(p) = Publish::new(Topic::EventPresence(event), kind, &change, Retain::History) {
            self.publish(p);
        }
    }

    fn stats(&self) -> DashboardStats {
        let counts: ActorCounts = self.actors.counts();
        DashboardStats {
            connections: self.sessions.len(),
            topics: self.topics.len(),
            subscriptions: self.topics.values().map(|t| t.subscribers.len()).sum(),
            active_timers: counts.round_timer,
            active_countdowns: counts.countdown,
            actors: counts,
            events: self.presence.all(),
            server_time: fmt_time(Utc::now()),
        }
    }

    fn subscriber_count(&self, topic: &Topic) -> usize {
        self.topics.get(topic).map_or(0, |s| s.subscribers.len())
    }

    fn remember_key(&mut self, key: String) -> bool {
        let now = Instant::now();
        while let Some((at, _)) = self.idempotency_order.front() {
            if now.duration_since(*at) < IDEMPOTENCY_TTL && self.idempotency_order.len() < IDEMPOTENCY_MAX {
                break;
            }
            if let Some((_, k)) = self.idempotency_order.pop_front() {
                self.idempotency.remove(&k);
            }
        }
        if self.idempotency.contains_key(&key) {
            return false;
        }
        self.idempotency.insert(key.clone(), now);
        self.idempotency_order.push_back((now, key));
        true
    }

    fn poll_now(&self, topics: &[(Topic, Option<Position>)]) -> (PollResult, bool) {
        let mut out = PollResult {
            messages: Vec::new(),
            positions: Vec::new(),
            recovered: Vec::new(),
        };
        let mut anything = false;
        for (topic, since) in topics {
            let Some(stream) = self.topics.get(topic) else {
                // Nothing was ever published here in this process: the client
                // starts "before the stream" and gets it all from its start.
                out.positions.push(Position { epoch: 0, seq: 0 });
                out.recovered.push(since.map(|s| s.seq == 0 && s.epoch == 0));
                anything |= since.is_none();
                continue;
            };
            let (frames, recovered) = match since {
                None => (stream.catch_up(None), None),
                Some(p) => match stream.after(*p) {
                    Some(f) => (Catchup::Recovered(f), Some(true)),
                    None => (stream.catch_up(None), Some(false)),
                },
            };
            let frames = match frames {
                Catchup::Fresh(f) | Catchup::Recovered(f) | Catchup::Lost(f) => f,
            };
            anything |= !frames.is_empty() || recovered == Some(false) || since.is_none();
            out.messages.extend(
                frames
                    .iter()
                    .filter_map(|(_, f)| RawValue::from_string(f.to_string()).ok()),
            );
            out.positions.push(stream.position());
            out.recovered.push(recovered);
        }
        (out, anything)
    }
}

fn decrement<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = map.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(key);
        }
    }
}

impl Actor for Registry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Publishers use `do_send`; this only bounds `send` callers.
        ctx.set_mailbox_capacity(4096);
        ctx.run_interval(REFRESH_INTERVAL, |act, _| {
            if act.subscriber_count(&Topic::Admin) > 0 {
                let stats = act.stats();
                if let Some(p) = Publish::new(Topic::Admin, "dashboard_stats", &stats, Retain::Ephemeral) {
                    act.publish(p);
                }
            }
            for (event, count) in act.presence.take_dirty() {
                if let Some(p) = Publish::new(Topic::Event(event), "presence_count", &count, Retain::Latest) {
                    act.publish(p);
                }
            }
            let now = Instant::now();
            let stalled: Vec<(SessionId, bool)> = act
                .sessions
                .iter()
                .filter(|(_, s)| s.mailbox.stalled(now))
                .map(|(id, _)| (*id, true))
                .collect();
            act.drop_sessions(stalled);
            act.waiters.retain(|_, ws| {
                ws.retain(|w| !w.is_closed());
                !ws.is_empty()
            });
            let ttl = act.config.history_ttl;
            act.topics.retain(|_, s| {
                s.prune(ttl);
                !s.is_idle()
            });
        });
    }
}

impl Handler<Publish> for Registry {
    type Result = ();
    fn handle(&mut self, msg: Publish, _: &mut Context<Self>) {
        self.publish(msg);
    }
}

impl Handler<PublishOnce> for Registry {
    type Result = bool;
    fn handle(&mut self, msg: PublishOnce, _: &mut Context<Self>) -> bool {
        if !self.remember_key(msg.key) {
            return false;
        }
        self.publish(msg.publish);
        true
    }
}

impl Handler<Admit> for Registry {
    type Result = Result<(), &'static str>;
    fn handle(&mut self, msg: Admit, _: &mut Context<Self>) -> Self::Result {
        let limits = self.config.admission;
        if self.sessions.len() >= limits.total {
            return Err("the server is at its connection limit");
        }
        if msg
            .user
            .is_some_and(|u| self.per_user.get(&u).copied().unwrap_or(0) >= limits.per_user)
        {
            return Err("too many connections for this user");
        }
        if msg
            .ip
            .is_some_and(|ip| self.per_ip.get(&ip).copied().unwrap_or(0) >= limits.per_ip)
        {
            return Err("too many connections from this address");
        }
        Ok(())
    }
}

impl Handler<Connect> for Registry {
    type Result = ();
    fn handle(&mut self, msg: Connect, _: &mut Context<Self>) {
        if let Some((user, _)) = &msg.user {
            *self.per_user.entry(*user).or_default() += 1;
        }
        if let Some(ip) = msg.ip {
            *self.per_ip.entry(ip).or_default() += 1;
        }
        self.sessions.insert(
            msg.id,
            SessionEntry {
                mailbox: msg.mailbox,
                control: msg.control,
                user: msg.user,
                ip: msg.ip,
                topics: HashSet::new(),
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

impl Handler<Subscribe> for Registry {
    type Result = ();
    fn handle(&mut self, msg: Subscribe, _: &mut Context<Self>) {
        let Some(entry) = self.sessions.get_mut(&msg.session) else {
            return;
        };
        let stream = self.topics.entry(msg.topic).or_insert_with(TopicStream::new);
        let already = !entry.topics.insert(msg.topic);
        let (recovered, catchup) = match stream.catch_up(msg.since) {
            Catchup::Fresh(f) => (None, f),
            Catchup::Recovered(f) => (Some(true), f),
            Catchup::Lost(f) => (Some(false), f),
        };
        let position = stream.position();
        let reply = encode_reply(
            "subscribed",
            Some(&msg.topic),
            msg.reference.as_deref(),
            &serde_json::json!({
                "topic": msg.topic.to_string(),
                "epoch": format!("{:016x}", position.epoch),
                "seq": position.seq,
                "recovered": recovered,
            }),
        );
        let mut frames = Vec::with_capacity(catchup.len() + 1);
        frames.push(Frame {
            bytes: reply,
            topic: Some(msg.topic),
            position: Some(position),
        });
        // Each frame keeps its position so an SSE client can resume from it.
        frames.extend(catchup.into_iter().map(|(seq, bytes)| Frame {
            bytes,
            topic: Some(msg.topic),
            position: seq.map(|seq| Position {
                epoch: position.epoch,
                seq,
            }),
        }));
        if let Err(e) = entry.mailbox.push_all(frames) {
            self.drop_sessions(vec![(msg.session, e == outbox::PushError::Full)]);
            return;
        }
        stream.subscribers.insert(msg.session, entry.mailbox.clone());
        if let (false, Topic::Event(event)) = (already, msg.topic) {
            let user = entry.user.clone();
            if let Some(change) = self.presence.join(event, user) {
                self.publish_presence(event, "presence_join", change);
            }
        }
    }
}

impl Handler<Unsubscribe> for Registry {
    type Result = ();
    fn handle(&mut self, msg: Unsubscribe, _: &mut Context<Self>) {
        let Some(entry) = self.sessions.get_mut(&msg.session) else {
            return;
        };
        let was = entry.topics.remove(&msg.topic);
        let mailbox = entry.mailbox.clone();
        if was {
            self.unsubscribe(msg.session, msg.topic);
        } else if msg.reason.is_some() {
            // The server takes away only what is there: no second notice.
            return;
        }
        let reply = encode_reply(
            "unsubscribed",
            Some(&msg.topic),
            msg.reference.as_deref(),
            &serde_json::json!({"topic": msg.topic.to_string(), "reason": msg.reason}),
        );
        let _ = mailbox.push(Frame {
            bytes: reply,
            topic: Some(msg.topic),
            position: None,
        });
    }
}

impl Handler<Recheck> for Registry {
    type Result = ();
    fn handle(&mut self, msg: Recheck, _: &mut Context<Self>) {
        for s in self.sessions.values() {
            let affected = match msg.user {
                None => !s.topics.is_empty(),
                Some(user) => s.user.as_ref().is_some_and(|(u, _)| *u == user),
            };
            if affected {
                s.control.do_send(Control::Recheck);
            }
        }
    }
}

impl Handler<Poll> for Registry {
    type Result = ResponseFuture<PollResult>;
    fn handle(&mut self, msg: Poll, ctx: &mut Context<Self>) -> Self::Result {
        let (now, anything) = self.poll_now(&msg.topics);
        if anything || msg.wait.is_zero() {
            return Box::pin(async move { now });
        }
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        for (t, _) in &msg.topics {
            self.waiters.entry(*t).or_default().push(tx.clone());
        }
        let addr = ctx.address();
        Box::pin(async move {
            let _ = tokio::time::timeout(msg.wait, rx.recv()).await;
            match addr
                .send(Poll {
                    topics: msg.topics,
                    wait: Duration::ZERO,
                })
                .await
            {
                Ok(r) => r,
                Err(_) => now,
            }
        })
    }
}

impl Handler<CloseAll> for Registry {
    type Result = ();
    fn handle(&mut self, msg: CloseAll, _: &mut Context<Self>) {
        for (_, entry) in self.sessions.drain() {
            entry.control.do_send(Control::Kick {
                code: msg.code,
                reason: msg.reason,
            });
        }
        for state in self.topics.values_mut() {
            state.subscribers.clear();
        }
    }
}

impl Handler<GetStats> for Registry {
    type Result = MessageResult<GetStats>;
    fn handle(&mut self, _: GetStats, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.stats())
    }
}

impl Handler<ActorUp> for Registry {
    type Result = ();
    fn handle(&mut self, msg: ActorUp, _: &mut Context<Self>) {
        self.actors.up(msg);
    }
}

impl Handler<ActorDown> for Registry {
    type Result = ();
    fn handle(&mut self, msg: ActorDown, _: &mut Context<Self>) {
        self.actors.down(msg);
    }
}

impl Handler<ListActors> for Registry {
    type Result = MessageResult<ListActors>;
    fn handle(&mut self, _: ListActors, _: &mut Context<Self>) -> Self::Result {
        let topics = &self.topics;
        MessageResult(self.actors.list(|t| topics.get(t).map_or(0, |s| s.subscribers.len())))
    }
}

impl Handler<GetActor> for Registry {
    type Result = MessageResult<GetActor>;
    fn handle(&mut self, msg: GetActor, _: &mut Context<Self>) -> Self::Result {
        let topics = &self.topics;
        MessageResult(
            self.actors
                .get(msg, |t| topics.get(t).map_or(0, |s| s.subscribers.len())),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A session stand-in: takes its outbox on every wake-up.
    struct Sink {
        outbox: Arc<Outbox>,
        got: Arc<Mutex<Vec<serde_json::Value>>>,
        kicked: Arc<Mutex<Vec<u16>>>,
        asleep: bool,
    }
    impl Actor for Sink {
        type Context = Context<Self>;
    }
    impl Handler<Flush> for Sink {
        type Result = ();
        fn handle(&mut self, _: Flush, _: &mut Context<Self>) {
            if self.asleep {
                return;
            }
            let mut frames = Vec::new();
            self.outbox.take(&mut frames);
            let mut got = self.got.lock().unwrap();
            got.extend(frames.iter().map(|f| serde_json::from_str(&f.bytes).unwrap()));
        }
    }
    impl Handler<Control> for Sink {
        type Result = ();
        fn handle(&mut self, c: Control, _: &mut Context<Self>) {
            if let Control::Kick { code, .. } = c {
                self.kicked.lock().unwrap().push(code);
            }
        }
    }

    type Seen = Arc<Mutex<Vec<serde_json::Value>>>;

    async fn connect(
        reg: &Addr<Registry>,
        id: SessionId,
        capacity: usize,
        asleep: bool,
    ) -> (Seen, Arc<Mutex<Vec<u16>>>) {
        let outbox = Outbox::new(capacity, 1 << 20);
        let (got, kicked) = (Seen::default(), Arc::default());
        let sink = Sink {
            outbox: Arc::clone(&outbox),
            got: Arc::clone(&got),
            kicked: Arc::clone(&kicked),
            asleep,
        }
        .start();
        reg.send(Connect {
            id,
            user: None,
            ip: None,
            mailbox: Mailbox::new(outbox, sink.clone().recipient()),
            control: sink.recipient(),
        })
        .await
        .unwrap();
        (got, kicked)
    }

    fn publish(topic: Topic, n: u64) -> Publish {
        Publish::new(topic, "note", &serde_json::json!({ "n": n }), Retain::History).unwrap()
    }

    async fn settle() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    #[actix::test]
    async fn subscribers_get_their_topic_only_and_a_resubscribe_replays_exactly_what_was_missed() {
        let reg = Registry::default().start();
        let topic = Topic::Event(EventId::new());
        let (a, _) = connect(&reg, 1, 100, false).await;
        let (b, _) = connect(&reg, 2, 100, false).await;
        reg.send(Subscribe {
            session: 1,
            topic,
            since: None,
            reference: Some("r".into()),
        })
        .await
        .unwrap();
        reg.send(Subscribe {
            session: 2,
            topic: Topic::Admin,
            since: None,
            reference: None,
        })
        .await
        .unwrap();
        for n in 1..=3 {
            reg.send(publish(topic, n)).await.unwrap();
        }
        settle().await;
        let seen = a.lock().unwrap().clone();
        assert_eq!(seen[0]["type"], "subscribed");
        assert_eq!(seen[0]["ref"], "r");
        let seqs: Vec<u64> = seen[1..].iter().map(|f| f["seq"].as_u64().unwrap()).collect();
        assert_eq!(seqs, vec![1, 2, 3]);
        assert!(b.lock().unwrap().iter().all(|f| f["type"] == "subscribed"));

        // Session 1 drops off after seq 1; 2 and 3 were missed.
        let epoch = u64::from_str_radix(seen[0]["data"]["epoch"].as_str().unwrap(), 16).unwrap();
        reg.send(Disconnect { id: 1 }).await.unwrap();
        let (c, _) = connect(&reg, 3, 100, false).await;
        let since = Some(Position { epoch, seq: 1 });
        reg.send(Subscribe {
            session: 3,
            topic,
            since,
            reference: None,
        })
        .await
        .unwrap();
        reg.send(publish(topic, 4)).await.unwrap();
        settle().await;
        let again = c.lock().unwrap().clone();
        assert_eq!(again[0]["data"]["recovered"], true);
        let seqs: Vec<u64> = again[1..].iter().map(|f| f["seq"].as_u64().unwrap()).collect();
        assert_eq!(seqs, vec![2, 3, 4], "missed ones once, in order, then live");
    }

    #[actix::test]
    async fn a_session_that_does_not_take_its_frames_is_dropped_as_a_slow_consumer() {
        let reg = Registry::default().start();
        let topic = Topic::Event(EventId::new());
        let (_, kicked) = connect(&reg, 1, 5, true).await;
        let (live, _) = connect(&reg, 2, 100, false).await;
        for id in [1, 2] {
            reg.send(Subscribe {
                session: id,
                topic,
                since: None,
                reference: None,
            })
            .await
            .unwrap();
        }
        for n in 1..=10 {
            reg.send(publish(topic, n)).await.unwrap();
        }
        settle().await;
        assert_eq!(
            kicked.lock().unwrap().clone(),
            vec![codes::SLOW_CONSUMER],
            "past its frame cap"
        );
        assert_eq!(live.lock().unwrap().len(), 11, "the live one got all ten and its reply");
        assert_eq!(reg.send(GetStats).await.unwrap().connections, 1);
    }
}
