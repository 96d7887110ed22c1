//! `POST /api/publish`: a custom message to any topic, for admins and for
//! backend systems holding the configured API key. With an
//! `idempotency_key`, a retried publish is delivered once.

use super::input::text;
use crate::actors::registry::{Publish, Retain};
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::protocol::Topic;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

/// Types the server itself sends: a custom publish may not impersonate them.
const RESERVED: &[&str] = &[
    "subscribed",
    "unsubscribed",
    "error",
    "pong",
    "time",
    "welcome",
    "refreshed",
    "token_expiring",
    "timer_update",
    "timer_state",
    "event_state",
    "presence_count",
    "presence_join",
    "presence_leave",
    // Records and states other parts of the server own: a forged one could
    // tell a purchaser their ticket was issued, or move a leaderboard.
    "leaderboard_update",
    "schedule_update",
    "result_update",
    "announcement",
    "announcement_updated",
    "announcement_deleted",
    "announcement_expired",
    "announcements_state",
    "system_announcement",
    "notification",
    "unread_count",
    "purchase_update",
    "session_state",
    "stats_updated",
    "new_rating",
    "rating_progress",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPublish {
    topic: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: Value,
    idempotency_key: Option<String>,
}

fn api_key_ok(req: &HttpRequest, state: &AppState) -> bool {
    let Some(expected) = &state.config.publish_api_key else {
        return false;
    };
    req.headers()
        .get("X-Api-Key")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|given| constant_time_eq(given.as_bytes(), expected.expose().as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewPublish>,
) -> AppResult<HttpResponse> {
    match &caller.0 {
        Some(c) if c.is_admin() => {}
        _ if api_key_ok(&req, &state) => {}
        Some(_) => {
            return Err(AppError::Forbidden(
                "only admins and backend systems may publish".into(),
            ))
        }
        None => return Err(AppError::Unauthorized("an admin token or X-Api-Key is required".into())),
    }
    let body = body.into_inner();
    let topic: Topic = body.topic.parse().map_err(AppError::Invalid)?;
    let kind = text("type", &body.kind, 64)?;
    let well_formed = kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_:.-".contains(c));
    if !well_formed {
        return Err(AppError::Invalid(
            "type must be lowercase letters, digits and `_ : . -`, starting with a letter".into(),
        ));
    }
    if RESERVED.contains(&kind.as_str()) {
        return Err(AppError::Invalid(format!("`{kind}` is a type the server sends itself")));
    }
    let msg = Publish::new(topic, kind.clone(), &body.data, Retain::History)
        .ok_or_else(|| AppError::Invalid("data could not be serialized".into()))?;
    let delivered = match body.idempotency_key {
        Some(key) => {
            let key = text("idempotency_key", &key, 200)?;
            state.bus.publish_once(key, msg).await.map_err(AppError::internal)?
        }
        None => {
            state.bus.publish_raw(msg);
            true
        }
    };
    Ok(HttpResponse::Accepted().json(json!({"topic": topic.to_string(), "type": kind, "delivered": delivered})))
}
