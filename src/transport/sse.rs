//! Server-Sent Events: the same envelopes as the sockets, for networks that
//! block WebSocket. Each event's `id:` is the stream position of every topic
//! of the request (`epoch.seq`, comma-separated in the order of the topics),
//! so `Last-Event-ID` resumes all of them; keep-alive comments stop proxies
//! from closing an idle stream.

use super::origin;
use crate::access;
use crate::actors::registry::{
    Connect, Control, Disconnect, Flush, Frame, Mailbox, Outbox, Position, SessionId, Subscribe, Unsubscribe,
};
use crate::auth::{Caller, Claims};
use crate::error::{AppError, AppResult};
use crate::model::{EventId, TeamId};
use crate::protocol::{encode_reply, Topic};
use crate::state::AppState;
use actix::prelude::*;
use actix_web::web::Bytes;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use std::net::IpAddr;
use tokio::sync::mpsc;

/// Events a stream may have queued unread before it is a slow consumer.
const STREAM_QUEUE: usize = 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/stream", web::get().to(any_topics))
        .route("/api/events/{id}/stream", web::get().to(event_stream))
        .route("/api/events/{id}/stream/results", web::get().to(results_stream))
        .route("/api/events/{id}/stream/schedule", web::get().to(schedule_stream))
        .route("/api/teams/{id}/stream", web::get().to(team_stream));
}

#[derive(Deserialize)]
struct TopicsQuery {
    topics: String,
}

async fn any_topics(
    req: HttpRequest,
    q: web::Query<TopicsQuery>,
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<HttpResponse> {
    let topics = parse_topics(&q.topics)?;
    open(req, state, caller, topics).await
}

async fn event_stream(
    req: HttpRequest,
    id: web::Path<EventId>,
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<HttpResponse> {
    open(req, state, caller, vec![Topic::Event(*id)]).await
}

async fn results_stream(
    req: HttpRequest,
    id: web::Path<EventId>,
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<HttpResponse> {
    open(req, state, caller, vec![Topic::EventResults(*id)]).await
}

async fn schedule_stream(
    req: HttpRequest,
    id: web::Path<EventId>,
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<HttpResponse> {
    open(req, state, caller, vec![Topic::EventSchedule(*id)]).await
}

async fn team_stream(
    req: HttpRequest,
    id: web::Path<TeamId>,
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<HttpResponse> {
    open(req, state, caller, vec![Topic::Team(*id)]).await
}

/// `a,b,c` → topics, each checked; at most the subscription limit.
pub fn parse_topics(raw: &str) -> AppResult<Vec<Topic>> {
    let topics: Vec<Topic> = raw
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().map_err(AppError::Invalid))
        .collect::<AppResult<_>>()?;
    if topics.is_empty() {
        return Err(AppError::Invalid("give at least one topic".into()));
    }
    Ok(topics)
}

/// What a stream or a poll must pass before it reads anything: the topic
/// limit, the caller's right to every topic (waking their event actors so
/// their state exists), and the connection limits.
pub async fn authorize(
    state: &AppState,
    req: &HttpRequest,
    claims: Option<&Claims>,
    topics: &[Topic],
) -> AppResult<()> {
    if topics.len() > state.config.ws_max_subscriptions {
        let max = state.config.ws_max_subscriptions;
        return Err(AppError::TooMany(format!("at most {max} topics per stream or poll")));
    }
    for t in topics {
        access::may_subscribe(&state.db, claims, t).await?;
        super::wake::wake_state_publishers(state, t).await?;
    }
    super::routes::admit(state, req, claims).await
}

/// `epoch.seq,epoch.seq,…` (blank entries allowed) → one position per topic.
pub fn parse_positions(raw: Option<&str>, n: usize) -> AppResult<Vec<Option<Position>>> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(vec![None; n]);
    };
    let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
    if parts.len() != n {
        return Err(AppError::Invalid(format!(
            "expected {n} positions (one per topic), got {}",
            parts.len()
        )));
    }
    parts
        .into_iter()
        .map(|p| match p {
            "" => Ok(None),
            p => Position::from_token(p)
                .map(Some)
                .ok_or_else(|| AppError::Invalid(format!("bad position `{p}`"))),
        })
        .collect()
}

pub fn positions_token(positions: &[Option<Position>]) -> String {
    positions
        .iter()
        .map(|p| p.map(Position::to_token).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(",")
}

async fn open(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    topics: Vec<Topic>,
) -> AppResult<HttpResponse> {
    if !origin::allowed(&req, &state.config.allowed_origins) {
        return Err(AppError::Forbidden("this origin may not open streams here".into()));
    }
    let claims = caller.0;
    authorize(&state, &req, claims.as_ref(), &topics).await?;
    let ip = req.peer_addr().map(|a| a.ip());
    let last = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            web::Query::<LastId>::from_query(req.query_string())
                .ok()
                .and_then(|q| q.into_inner().last_event_id)
        });
    let since = parse_positions(last.as_deref(), topics.len())?;
    let (tx, rx) = mpsc::channel(STREAM_QUEUE);
    SseSession {
        id: state.session_id(),
        app: state.clone(),
        claims,
        ip,
        topics: topics.clone(),
        positions: since.clone(),
        since,
        tx,
        outbox: Outbox::new(STREAM_QUEUE, state.config.ws_max_outbound),
        revoked: Default::default(),
    }
    .start();
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, actix_web::Error>(b), rx))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

#[derive(Deserialize)]
struct LastId {
    last_event_id: Option<String>,
}

struct SseSession {
    id: SessionId,
    app: web::Data<AppState>,
    claims: Option<Claims>,
    ip: Option<IpAddr>,
    topics: Vec<Topic>,
    since: Vec<Option<Position>>,
    positions: Vec<Option<Position>>,
    tx: mpsc::Sender<Bytes>,
    outbox: std::sync::Arc<Outbox>,
    /// Topics taken away after a rights change (positions keep their slot).
    revoked: std::collections::HashSet<Topic>,
}

impl SseSession {
    /// Queues bytes for the client; a full queue is a client not reading.
    fn push(&mut self, bytes: Bytes, ctx: &mut Context<Self>) {
        if self.tx.try_send(bytes).is_err() {
            ctx.stop();
        }
    }

    fn event(&mut self, frame: Frame, ctx: &mut Context<Self>) {
        let mut out = String::with_capacity(frame.bytes.len() + 64);
        if let (Some(topic), Some(pos)) = (frame.topic, frame.position) {
            if let Some(i) = self.topics.iter().position(|t| *t == topic) {
                self.positions[i] = Some(pos);
                out.push_str("id: ");
                out.push_str(&positions_token(&self.positions));
                out.push('\n');
            }
        }
        out.push_str("data: ");
        out.push_str(&frame.bytes);
        out.push_str("\n\n");
        self.push(Bytes::from(out), ctx);
    }

    fn close_with(&mut self, code: &str, message: &str, ctx: &mut Context<Self>) {
        let frame = encode_reply("error", None, None, &json!({"code": code, "message": message}));
        self.push(Bytes::from(format!("data: {frame}\n\n")), ctx);
        ctx.stop();
    }
}

impl Actor for SseSession {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(1024);
        let addr = ctx.address();
        self.app.registry.do_send(Connect {
            id: self.id,
            user: self.claims.as_ref().map(|c| (c.sub, c.name.clone())),
            ip: self.ip,
            mailbox: Mailbox::new(std::sync::Arc::clone(&self.outbox), addr.clone().recipient()),
            control: addr.recipient(),
        });
        for (topic, since) in self.topics.iter().zip(self.since.iter()) {
            self.app.registry.do_send(Subscribe {
                session: self.id,
                topic: *topic,
                since: *since,
                reference: None,
            });
        }
        // Tell EventSource how long to wait before reconnecting.
        self.push(Bytes::from_static(b"retry: 2000\n\n"), ctx);
        ctx.run_interval(self.app.config.sse_keepalive, |act, ctx| {
            if act.tx.is_closed() {
                return ctx.stop();
            }
            act.push(Bytes::from_static(b": keep-alive\n\n"), ctx);
        });
        if let Some(exp) = self.claims.as_ref().map(Claims::expires_at) {
            let left = (exp - Utc::now()).to_std().unwrap_or_default();
            ctx.run_later(left, |act, ctx| {
                act.close_with("token_expired", "the token expired; reconnect with a fresh one", ctx)
            });
        }
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.app.registry.do_send(Disconnect { id: self.id });
    }
}

impl Handler<Flush> for SseSession {
    type Result = ();
    fn handle(&mut self, _: Flush, ctx: &mut Context<Self>) {
        let mut frames = Vec::new();
        self.outbox.take(&mut frames);
        for f in frames {
            self.event(f, ctx);
        }
    }
}

impl Handler<Control> for SseSession {
    type Result = ();
    fn handle(&mut self, msg: Control, ctx: &mut Context<Self>) {
        match msg {
            Control::Kick { reason, .. } => self.close_with("closed", reason, ctx),
            Control::Recheck => {
                for topic in self.topics.clone() {
                    if self.revoked.contains(&topic) {
                        continue;
                    }
                    let (app, claims) = (self.app.clone(), self.claims.clone());
                    let check = async move { access::may_subscribe(&app.db, claims.as_ref(), &topic).await };
                    ctx.spawn(check.into_actor(self).map(move |res, act, _| {
                        if res.is_err() && act.revoked.insert(topic) {
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
        }
    }
}
