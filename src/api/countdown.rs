use super::input::{whole, Extension};
use crate::access::{self, Need};
use crate::actors::directory::GetEvent;
use crate::actors::event::{ExtendCountdown, Snapshot, StartCountdown, StopCountdown};
use crate::auth::{AuthUser, Caller};
use crate::error::{AppError, AppResult};
use crate::model::EventId;
use crate::protocol::payload::CountdownState;
use crate::state::AppState;
use crate::store;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCountdown {
    duration_minutes: Option<f64>,
    duration_seconds: Option<f64>,
    message: Option<String>,
}

pub async fn start(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<NewCountdown>,
) -> AppResult<HttpResponse> {
    let secs = match (body.duration_minutes, body.duration_seconds) {
        (Some(m), None) => whole("duration_minutes", m, 1, 60)? * 60,
        (None, Some(s)) => whole("duration_seconds", s, 1, 3600)?,
        _ => {
            return Err(AppError::Invalid(
                "give exactly one of duration_minutes (1-60) or duration_seconds (1-3600)".into(),
            ))
        }
    };
    let message = match body.message.as_deref().map(str::trim) {
        Some(m) if m.chars().count() > 500 => {
            return Err(AppError::Invalid("message must be at most 500 characters".into()))
        }
        Some(m) if !m.is_empty() => m.to_owned(),
        _ if secs % 60 == 0 => format!("Event starts in {} minutes!", secs / 60),
        _ => format!("Event starts in {secs} seconds!"),
    };
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let addr = state.directory.send(GetEvent { id: *id }).await?;
    let c = addr
        .send(StartCountdown {
            duration: Duration::from_secs(secs.unsigned_abs()),
            message,
        })
        .await??;
    Ok(HttpResponse::Created().json(c))
}

pub async fn stop(state: web::Data<AppState>, user: AuthUser, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let addr = state.directory.send(GetEvent { id: *id }).await?;
    let c = addr.send(StopCountdown).await??;
    Ok(HttpResponse::Ok().json(json!({
        "countdown_id": c.countdown_id, "event_id": c.event_id, "active": false, "status": "cancelled",
    })))
}

pub async fn extend(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<Extension>,
) -> AppResult<HttpResponse> {
    let by = body.duration()?;
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let addr = state.directory.send(GetEvent { id: *id }).await?;
    Ok(HttpResponse::Ok().json(addr.send(ExtendCountdown { by }).await??))
}

pub async fn status(state: web::Data<AppState>, caller: Caller, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    access::require_event(&state.db, caller.0.as_ref(), *id, Need::Read).await?;
    let addr = state.directory.send(GetEvent { id: *id }).await?;
    match addr.send(Snapshot).await?.countdown {
        Some(c) => Ok(HttpResponse::Ok().json(c)),
        None => Ok(HttpResponse::Ok().json(json!({"event_id": *id, "active": false}))),
    }
}

pub async fn active(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let mut out: Vec<CountdownState> = Vec::new();
    let running = store::countdowns::running(&state.db).await?;
    for event in super::rounds::live_events(&state, &user.0, running.iter().map(|c| c.event_id)).await? {
        let addr = state.directory.send(GetEvent { id: event }).await?;
        out.extend(addr.send(Snapshot).await?.countdown);
    }
    Ok(HttpResponse::Ok().json(out))
}
