//! One WebSocket connection: subscribes within the caller's rights (decided
//! before it starts), sends its first frame, forwards published frames,
//! answers pings and clock-sync requests, and protects the server from the
//! client (message size cap, fragment reassembly, heartbeat, token expiry).

use crate::actors::event::{EventActor, Snapshot};
use crate::actors::registry::{Connect, Deliver, Disconnect, GetStats, Kick, Registry, SessionId};
use crate::auth::Claims;
use crate::clock::fmt_time;
use crate::model::{EventId, RoundId};
use crate::protocol::client::{self, ClientFrame};
use crate::protocol::{codes, encode_reply, Topic};
use actix::prelude::*;
use actix_web_actors::ws;
use chrono::Utc;
use serde_json::json;
use std::time::{Duration, Instant};

/// What the first frame describes; built after subscribing so nothing
/// published in between is missed (at worst it is seen twice).
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
        stored_status: String,
    },
    Dashboard,
}

pub struct Limits {
    pub heartbeat: Duration,
    pub timeout: Duration,
    pub max_message: usize,
}

pub struct WsSession {
    id: SessionId,
    claims: Option<Claims>,
    topics: Vec<Topic>,
    greeting: Option<Greeting>,
    registry: Addr<Registry>,
    limits: Limits,
    last_seen: Instant,
    /// A fragmented message being reassembled: (is_text, bytes so far).
    fragments: Option<(bool, Vec<u8>)>,
}

impl WsSession {
    pub fn new(
        id: SessionId,
        claims: Option<Claims>,
        topics: Vec<Topic>,
        greeting: Greeting,
        registry: Addr<Registry>,
        limits: Limits,
    ) -> Self {
        Self {
            id,
            claims,
            topics,
            greeting: Some(greeting),
            registry,
            limits,
            last_seen: Instant::now(),
            fragments: None,
        }
    }

    fn user_json(&self) -> serde_json::Value {
        self.claims.as_ref().map_or(
            serde_json::Value::Null,
            |c| json!({"id": c.sub, "name": c.name, "role": c.role}),
        )
    }

    fn greet(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let Some(greeting) = self.greeting.take() else { return };
        let user = self.user_json();
        let registry = self.registry.clone();
        let fut = async move {
            match greeting {
                Greeting::Event {
                    addr,
                    event_id,
                    event_name,
                } => {
                    let snap = addr.send(Snapshot).await.ok();
                    let topic = Topic::Event(event_id);
                    let data = json!({
                        "event_id": event_id,
                        "event_name": event_name,
                        "user": user,
                        "countdown": snap.as_ref().and_then(|s| s.countdown.clone()),
                        "round": snap.and_then(|s| s.round),
                        "server_time": fmt_time(Utc::now()),
                    });
                    encode_reply("connected", Some(&topic), None, &data)
                }
                Greeting::Round {
                    addr,
                    round_id,
                    event_id,
                    stored_status,
                } => {
                    let timer = addr
                        .send(Snapshot)
                        .await
                        .ok()
                        .and_then(|s| s.round)
                        .filter(|t| t.round_id == round_id);
                    let round_status = match &timer {
                        Some(t) if t.phase == crate::model::Phase::Break => "break".to_owned(),
                        Some(_) => "running".to_owned(),
                        None => stored_status,
                    };
                    let data = json!({
                        "round_id": round_id,
                        "event_id": event_id,
                        "round_status": round_status,
                        "timer": timer,
                        "server_time": fmt_time(Utc::now()),
                    });
                    encode_reply("timer_connected", Some(&Topic::Round(round_id)), None, &data)
                }
                Greeting::Dashboard => {
                    let stats = registry.send(GetStats).await.ok();
                    encode_reply("dashboard_connected", Some(&Topic::Admin), None, &stats)
                }
            }
        };
        // `wait` holds the mailbox, so frames published meanwhile queue up
        // behind the greeting instead of overtaking it.
        ctx.wait(fut.into_actor(self).map(|frame, _, ctx| ctx.text(frame)));
    }

    fn reply_error(ctx: &mut ws::WebsocketContext<Self>, code: &str, message: &str, reference: Option<&str>) {
        ctx.text(encode_reply(
            "error",
            None,
            reference,
            &json!({"code": code, "message": message}),
        ));
    }

    fn close(ctx: &mut ws::WebsocketContext<Self>, code: ws::CloseCode, reason: &str) {
        ctx.close(Some(ws::CloseReason {
            code,
            description: Some(reason.to_owned()),
        }));
        ctx.stop();
    }

    fn on_text(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        match client::parse(text) {
            Ok(ClientFrame::Ping { reference }) => ctx.text(encode_reply(
                "pong",
                None,
                reference.as_deref(),
                &json!({"server_time": fmt_time(Utc::now())}),
            )),
            Ok(ClientFrame::Time { reference }) => ctx.text(encode_reply(
                "time",
                None,
                reference.as_deref(),
                &json!({"server_time": fmt_time(Utc::now())}),
            )),
            Err(rejected) => Self::reply_error(ctx, rejected.code, &rejected.message, rejected.reference.as_deref()),
        }
    }

    /// Appends a fragment; closes with 1009 past the message cap.
    fn push_fragment(&mut self, bytes: &[u8], ctx: &mut ws::WebsocketContext<Self>) -> bool {
        let Some((_, buf)) = self.fragments.as_mut() else {
            Self::close(ctx, ws::CloseCode::Protocol, "continuation without a first fragment");
            return false;
        };
        if buf.len() + bytes.len() > self.limits.max_message {
            Self::close(ctx, ws::CloseCode::Size, "message too large");
            return false;
        }
        buf.extend_from_slice(bytes);
        true
    }

    fn on_continuation(&mut self, item: actix_http::ws::Item, ctx: &mut ws::WebsocketContext<Self>) {
        match item {
            actix_http::ws::Item::FirstText(_) | actix_http::ws::Item::FirstBinary(_) if self.fragments.is_some() => {
                Self::close(ctx, ws::CloseCode::Protocol, "new message before the last one ended");
            }
            actix_http::ws::Item::FirstText(b) => {
                self.fragments = Some((true, Vec::new()));
                self.push_fragment(&b, ctx);
            }
            actix_http::ws::Item::FirstBinary(b) => {
                self.fragments = Some((false, Vec::new()));
                self.push_fragment(&b, ctx);
            }
            actix_http::ws::Item::Continue(b) => {
                self.push_fragment(&b, ctx);
            }
            actix_http::ws::Item::Last(b) => {
                if !self.push_fragment(&b, ctx) {
                    return;
                }
                let Some((is_text, buf)) = self.fragments.take() else {
                    return;
                };
                if !is_text {
                    return Self::reply_error(ctx, "bad_request", "binary messages are not supported", None);
                }
                match String::from_utf8(buf) {
                    Ok(text) => self.on_text(&text, ctx),
                    Err(_) => Self::close(ctx, ws::CloseCode::Invalid, "text is not valid UTF-8"),
                }
            }
        }
    }
}

impl Actor for WsSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Room for a burst of publishes between two scheduler turns; a
        // session that falls further behind than this is a slow consumer.
        ctx.set_mailbox_capacity(1024);
        let addr = ctx.address();
        self.registry.do_send(Connect {
            id: self.id,
            deliver: addr.clone().recipient(),
            kick: addr.recipient(),
            topics: self.topics.clone(),
        });
        self.greet(ctx);

        let (heartbeat, timeout) = (self.limits.heartbeat, self.limits.timeout);
        ctx.run_interval(heartbeat, move |act, ctx| {
            if act.last_seen.elapsed() > timeout {
                return Self::close(ctx, ws::CloseCode::Away, "heartbeat timeout");
            }
            ctx.ping(b"");
        });

        if let Some(exp) = self.claims.as_ref().map(Claims::expires_at) {
            let left = (exp - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            ctx.run_later(left, |_, ctx| {
                Self::reply_error(
                    ctx,
                    "token_expired",
                    "the token expired; reconnect with a fresh one",
                    None,
                );
                Self::close(ctx, ws::CloseCode::Other(codes::TOKEN_EXPIRED), "token expired");
            });
        }
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.registry.do_send(Disconnect { id: self.id });
    }
}

impl Handler<Deliver> for WsSession {
    type Result = ();
    fn handle(&mut self, msg: Deliver, ctx: &mut Self::Context) {
        ctx.text(msg.0);
    }
}

impl Handler<Kick> for WsSession {
    type Result = ();
    fn handle(&mut self, msg: Kick, ctx: &mut Self::Context) {
        Self::close(ctx, ws::CloseCode::from(msg.code), msg.reason);
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for WsSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_seen = Instant::now();
        let msg = match msg {
            Ok(m) => m,
            Err(ws::ProtocolError::Overflow) => return Self::close(ctx, ws::CloseCode::Size, "frame too large"),
            Err(e) => {
                tracing::debug!(error = %e, "websocket protocol error");
                return Self::close(ctx, ws::CloseCode::Protocol, "protocol error");
            }
        };
        match msg {
            ws::Message::Text(text) => {
                if self.fragments.is_some() {
                    return Self::close(ctx, ws::CloseCode::Protocol, "new message before the last one ended");
                }
                if text.len() > self.limits.max_message {
                    return Self::close(ctx, ws::CloseCode::Size, "message too large");
                }
                self.on_text(&text, ctx);
            }
            ws::Message::Binary(_) => Self::reply_error(ctx, "bad_request", "binary messages are not supported", None),
            ws::Message::Continuation(item) => self.on_continuation(item, ctx),
            ws::Message::Ping(p) => ctx.pong(&p),
            ws::Message::Pong(_) => {}
            ws::Message::Close(reason) => {
                ctx.close(reason);
                ctx.stop();
            }
            ws::Message::Nop => {}
        }
    }
}
