//! One WebSocket connection. It subscribes within the caller's rights
//! (checked again whenever they change), forwards published frames, answers
//! pings, clock-sync and token refresh, and protects the server from the
//! client: message size, inbound rate, subscription count, a capped
//! outbound backlog (a client that stops reading is a slow consumer), a
//! heartbeat, and token expiry.

use super::greeting::Greeting;
use super::inbound::{Inbound, Reassembly};
use super::wake::wake_state_publishers;
use crate::access;
use crate::actors::registry::{
    Connect, Control, Disconnect, Flush, Frame, Mailbox, Outbox, Position, SessionId, Subscribe, Unsubscribe,
};
use crate::auth::Claims;
use crate::clock::fmt_time;
use crate::error::AppError;
use crate::model::EventId;
use crate::protocol::client::{self, ClientFrame};
use crate::protocol::{codes, encode_reply, Topic};
use crate::state::AppState;
use actix::prelude::*;
use actix_web::web;
use actix_web_actors::ws;
use bytestring::ByteString;
use chrono::Utc;
use serde_json::json;
use std::collections::HashSet;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Frames the registry may queue for a session that has not been scheduled
/// to take them; past this the session is a slow consumer.
const OUTBOX_FRAMES: usize = 4096;
/// A drained buffer bigger than this is shrunk, so an idle connection does
/// not keep a burst's worth of memory.
const SPARE_KEEP: usize = 16;

/// Consecutive rate-limited messages after which the client is cut off:
/// answering a flood frame by frame would amplify it.
const MAX_REJECTED_IN_A_ROW: u32 = 20;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Live,
    /// Diagnostic echo (`/ws/echo`): the same frame handling, no topics.
    Echo,
}

pub struct Setup {
    pub claims: Option<Claims>,
    pub ip: Option<IpAddr>,
    /// Subscriptions the endpoint implies, each from an optional position.
    pub initial: Vec<(Topic, Option<Position>)>,
    pub greeting: Option<Greeting>,
    pub home_event: Option<EventId>,
    pub mode: Mode,
}

/// A token bucket for inbound messages.
struct Bucket {
    tokens: f64,
    per_sec: f64,
    cap: f64,
    at: Instant,
}

impl Bucket {
    fn new(per_minute: u32) -> Self {
        let cap = f64::from(per_minute.max(1));
        Self {
            tokens: cap,
            per_sec: cap / 60.0,
            cap,
            at: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * self.per_sec).min(self.cap);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

pub struct WsSession {
    id: SessionId,
    app: web::Data<AppState>,
    setup: Setup,
    topics: HashSet<Topic>,
    pending: usize,
    last_seen: Instant,
    /// When a frame was last written. A client that times out after frames
    /// kept coming for a heartbeat past its last word stopped reading what
    /// it was sent — a slow consumer, not merely a gone or quiet one.
    last_write: Instant,
    inbound: Reassembly,
    bucket: Bucket,
    rejected_in_a_row: u32,
    expiry: Vec<SpawnHandle>,
    /// Already told the registry it is gone.
    left: bool,
    outbox: std::sync::Arc<Outbox>,
    /// The other half of the outbox's double buffer.
    spare: Vec<Frame>,
}

impl WsSession {
    pub fn new(id: SessionId, app: web::Data<AppState>, setup: Setup) -> Self {
        let bucket = Bucket::new(app.config.ws_messages_per_minute);
        let outbox = Outbox::new(OUTBOX_FRAMES, app.config.ws_max_outbound);
        Self {
            id,
            app,
            setup,
            topics: HashSet::new(),
            pending: 0,
            last_seen: Instant::now(),
            last_write: Instant::now(),
            inbound: Reassembly::default(),
            bucket,
            rejected_in_a_row: 0,
            expiry: Vec::new(),
            left: false,
            outbox,
            spare: Vec::new(),
        }
    }

    fn user_json(&self) -> serde_json::Value {
        self.setup.claims.as_ref().map_or(
            serde_json::Value::Null,
            |c| json!({"id": c.sub, "name": c.name, "role": c.role}),
        )
    }

    fn write(&mut self, ctx: &mut ws::WebsocketContext<Self>, bytes: ByteString) {
        self.last_write = Instant::now();
        ctx.text(bytes);
    }

    fn reply(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        kind: &str,
        reference: Option<&str>,
        data: serde_json::Value,
    ) {
        let frame = encode_reply(kind, None, reference, &data);
        self.write(ctx, frame);
    }

    fn error(&mut self, ctx: &mut ws::WebsocketContext<Self>, code: &str, message: &str, reference: Option<&str>) {
        self.reply(ctx, "error", reference, json!({"code": code, "message": message}));
    }

    /// Closes from the server side. The session leaves the registry at once:
    /// a peer that stopped reading may keep the socket (and this actor)
    /// until TCP gives up, but not its connection slots, presence or
    /// subscriptions.
    fn close(&mut self, ctx: &mut ws::WebsocketContext<Self>, code: ws::CloseCode, reason: &str) {
        self.leave();
        ctx.close(Some(ws::CloseReason {
            code,
            description: Some(reason.to_owned()),
        }));
        ctx.stop();
    }

    fn leave(&mut self) {
        if self.setup.mode == Mode::Live && !self.left {
            self.left = true;
            self.app.registry.do_send(Disconnect { id: self.id });
        }
    }

    fn greet(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let greeting = match self.setup.greeting.take() {
            Some(Greeting::Welcome { .. }) => Greeting::Welcome { session_id: self.id },
            Some(g) => g,
            None => return,
        };
        let user = self.user_json();
        // `wait` holds the mailbox, so the subscription replies and frames
        // published meanwhile queue up behind the greeting.
        ctx.wait(
            greeting
                .frame(user)
                .into_actor(self)
                .map(|frame, act, ctx| act.write(ctx, frame)),
        );
    }

    fn subscribe(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        topic: &str,
        since: Option<Position>,
        reference: Option<String>,
    ) {
        let topic: Topic = match topic.parse() {
            Ok(t) => t,
            Err(e) => return self.error(ctx, "invalid", &e, reference.as_deref()),
        };
        if !self.topics.contains(&topic) && self.topics.len() + self.pending >= self.app.config.ws_max_subscriptions {
            let msg = format!(
                "at most {} subscriptions per connection",
                self.app.config.ws_max_subscriptions
            );
            return self.error(ctx, "too_many_subscriptions", &msg, reference.as_deref());
        }
        self.pending += 1;
        let (app, claims) = (self.app.clone(), self.setup.claims.clone());
        let check = async move {
            access::may_subscribe(&app.db, claims.as_ref(), &topic).await?;
            wake_state_publishers(&app, &topic).await
        };
        ctx.spawn(check.into_actor(self).map(move |res, act, ctx| {
            act.pending = act.pending.saturating_sub(1);
            match res {
                Ok(()) => {
                    act.topics.insert(topic);
                    act.app.registry.do_send(Subscribe {
                        session: act.id,
                        topic,
                        since,
                        reference,
                    });
                }
                Err(e) => act.error(ctx, e.code(), &e.to_string(), reference.as_deref()),
            }
        }));
    }

    fn unsubscribe(&mut self, topic: &str, reference: Option<String>, ctx: &mut ws::WebsocketContext<Self>) {
        match topic.parse::<Topic>() {
            Ok(topic) => {
                self.topics.remove(&topic);
                self.app.registry.do_send(Unsubscribe {
                    session: self.id,
                    topic,
                    reference,
                    reason: None,
                });
            }
            Err(e) => self.error(ctx, "invalid", &e, reference.as_deref()),
        }
    }

    /// Rights changed: drop every subscription the caller may no longer see.
    fn recheck(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        for topic in self.topics.clone() {
            let (app, claims) = (self.app.clone(), self.setup.claims.clone());
            let check = async move { access::may_subscribe(&app.db, claims.as_ref(), &topic).await };
            ctx.spawn(check.into_actor(self).map(move |res, act, _| {
                if let Err(e @ (AppError::Forbidden(_) | AppError::Unauthorized(_) | AppError::NotFound(_))) = res {
                    tracing::debug!(session = act.id, %topic, error = %e, "access revoked");
                    act.topics.remove(&topic);
                    act.app.registry.do_send(Unsubscribe {
                        session: act.id,
                        topic,
                        reference: None,
                        reason: Some("access_revoked"),
                    });
                }
            }));
        }
    }

    fn schedule_expiry(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        for h in self.expiry.drain(..) {
            ctx.cancel_future(h);
        }
        let Some(exp) = self.setup.claims.as_ref().map(Claims::expires_at) else {
            return;
        };
        let left = (exp - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        let warn_after = left.saturating_sub(self.app.config.token_warning);
        self.expiry.push(ctx.run_later(warn_after, move |act, ctx| {
            let seconds_left = (exp - Utc::now()).num_seconds().max(0);
            act.reply(
                ctx,
                "token_expiring",
                None,
                json!({"expires_at": fmt_time(exp), "seconds_left": seconds_left}),
            );
        }));
        self.expiry.push(ctx.run_later(left, |act, ctx| {
            act.error(
                ctx,
                "token_expired",
                "the token expired; reconnect with a fresh one",
                None,
            );
            act.close(ctx, ws::CloseCode::Other(codes::TOKEN_EXPIRED), "token expired");
        }));
    }

    fn refresh(&mut self, ctx: &mut ws::WebsocketContext<Self>, token: &str, reference: Option<&str>) {
        let fresh = match self.app.keys.verify(token) {
            Ok(c) => c,
            Err(e) => return self.error(ctx, e.code(), &e.to_string(), reference),
        };
        match &self.setup.claims {
            Some(old) if old.sub == fresh.sub => {}
            Some(_) => return self.error(ctx, "forbidden", "the new token is for another user", reference),
            None => {
                return self.error(
                    ctx,
                    "forbidden",
                    "an anonymous connection has no token to refresh",
                    reference,
                )
            }
        }
        let expires_at = fmt_time(fresh.expires_at());
        self.setup.claims = Some(fresh);
        self.schedule_expiry(ctx);
        self.reply(ctx, "refreshed", reference, json!({"expires_at": expires_at}));
    }

    fn on_text(&mut self, text: String, ctx: &mut ws::WebsocketContext<Self>) {
        if self.setup.mode == Mode::Echo {
            return self.write(ctx, ByteString::from(text));
        }
        if !self.bucket.take() {
            self.rejected_in_a_row += 1;
            if self.rejected_in_a_row > MAX_REJECTED_IN_A_ROW {
                return self.close(ctx, ws::CloseCode::Other(codes::RATE_LIMITED), "rate limit exceeded");
            }
            let msg = format!("at most {} messages per minute", self.app.config.ws_messages_per_minute);
            return self.error(ctx, "rate_limited", &msg, None);
        }
        self.rejected_in_a_row = 0;
        let frame = match client::parse(&text) {
            Ok(f) => f,
            Err(r) => return self.error(ctx, r.code, &r.message, r.reference.as_deref()),
        };
        let now = || json!({"server_time": fmt_time(Utc::now())});
        match frame {
            ClientFrame::Ping { reference } => self.reply(ctx, "pong", reference.as_deref(), now()),
            ClientFrame::Time { reference } => self.reply(ctx, "time", reference.as_deref(), now()),
            ClientFrame::Subscribe {
                topic,
                since,
                reference,
            } => self.subscribe(ctx, &topic, since, reference),
            ClientFrame::Unsubscribe { topic, reference } => self.unsubscribe(&topic, reference, ctx),
            ClientFrame::SubscribeResults { event_id, reference } => {
                self.shortcut(ctx, event_id, Topic::EventResults, reference)
            }
            ClientFrame::SubscribeSchedule { event_id, reference } => {
                self.shortcut(ctx, event_id, Topic::EventSchedule, reference)
            }
            ClientFrame::SubscribeAnnouncements { event_id, reference } => {
                self.shortcut(ctx, event_id, Topic::EventAnnouncements, reference)
            }
            ClientFrame::Refresh { token, reference } => self.refresh(ctx, &token, reference.as_deref()),
        }
    }

    fn shortcut(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        event: Option<EventId>,
        topic: fn(EventId) -> Topic,
        reference: Option<String>,
    ) {
        match event.or(self.setup.home_event) {
            Some(e) => self.subscribe(ctx, &topic(e).to_string(), None, reference),
            None => self.error(
                ctx,
                "invalid",
                "event_id is required outside an event socket",
                reference.as_deref(),
            ),
        }
    }
}

impl Actor for WsSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Room for a burst of publishes between two turns of this actor; a
        // session further behind than this is dropped as a slow consumer.
        ctx.set_mailbox_capacity(1024);
        let (heartbeat, timeout) = (self.app.config.heartbeat_interval, self.app.config.client_timeout);
        ctx.run_interval(heartbeat, move |act, ctx| {
            if act.last_seen.elapsed() > timeout {
                // A stalled reader whose frames still fit in the socket
                // buffers never fills the outbox; the silence gives it away.
                return match act.last_write > act.last_seen + heartbeat {
                    true => act.close(ctx, ws::CloseCode::from(codes::SLOW_CONSUMER), "slow consumer"),
                    false => act.close(ctx, ws::CloseCode::Away, "heartbeat timeout"),
                };
            }
            ctx.ping(b"");
        });
        if self.setup.mode == Mode::Echo {
            return;
        }
        let addr = ctx.address();
        self.app.registry.do_send(Connect {
            id: self.id,
            user: self.setup.claims.as_ref().map(|c| (c.sub, c.name.clone())),
            ip: self.setup.ip,
            mailbox: Mailbox::new(std::sync::Arc::clone(&self.outbox), addr.clone().recipient()),
            control: addr.recipient(),
        });
        for (topic, since) in std::mem::take(&mut self.setup.initial) {
            self.topics.insert(topic);
            self.app.registry.do_send(Subscribe {
                session: self.id,
                topic,
                since,
                reference: None,
            });
        }
        self.greet(ctx);
        self.schedule_expiry(ctx);
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.leave();
    }
}

impl Handler<Flush> for WsSession {
    type Result = ();
    fn handle(&mut self, _: Flush, ctx: &mut Self::Context) {
        let mut frames = std::mem::take(&mut self.spare);
        self.outbox.take(&mut frames);
        // One clock read per batch, not per frame: this is the fan-out path.
        if !frames.is_empty() {
            self.last_write = Instant::now();
        }
        for f in frames.drain(..) {
            ctx.text(f.bytes);
        }
        if frames.capacity() > SPARE_KEEP {
            frames.shrink_to(SPARE_KEEP);
        }
        self.spare = frames;
    }
}

impl Handler<Control> for WsSession {
    type Result = ();
    fn handle(&mut self, msg: Control, ctx: &mut Self::Context) {
        match msg {
            Control::Kick { code, reason } => self.close(ctx, ws::CloseCode::from(code), reason),
            Control::Recheck => self.recheck(ctx),
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for WsSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_seen = Instant::now();
        match self.inbound.accept(msg, self.app.config.ws_max_message) {
            Inbound::Text(t) => self.on_text(t, ctx),
            Inbound::Binary(b) if self.setup.mode == Mode::Echo => ctx.binary(b),
            Inbound::Binary(_) => self.error(ctx, "bad_request", "binary messages are not supported", None),
            Inbound::Ping(p) => ctx.pong(&p),
            Inbound::Close(reason) => {
                ctx.close(reason);
                ctx.stop();
            }
            Inbound::Nothing => {}
            Inbound::Fail(code, why) => self.close(ctx, code, why),
        }
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
