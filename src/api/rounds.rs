use super::events::NewAnnouncement;
use super::input::{text, whole, Extension};
use crate::access::{self, Need};
use crate::actors::directory::GetEvent;
use crate::actors::event::{Announce, EndRound, EventActor, ExtendRound, Snapshot, StartRound};
use crate::auth::{AuthUser, Caller, Claims};
use crate::error::{AppError, AppResult};
use crate::model::{EventId, RoundId};
use crate::protocol::payload::TimerState;
use crate::state::AppState;
use crate::store;
use actix::Addr;
use actix_web::{web, HttpResponse};
use entity::round;
use sea_orm::SqlErr;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRound {
    duration_secs: f64,
    break_secs: Option<f64>,
    ordinal: Option<f64>,
}

pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<NewRound>,
) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let duration = whole("duration_secs", body.duration_secs, 1, 86_400)?;
    let brk = whole("break_secs", body.break_secs.unwrap_or(0.0), 0, 86_400)?;
    let ordinal = body.ordinal.map(|o| whole("ordinal", o, 1, 10_000)).transpose()?;
    let narrow = |v: i64| i32::try_from(v).map_err(|_| AppError::Invalid("value out of range".into()));
    let created = store::rounds::create(
        &state.db,
        *id,
        ordinal.map(narrow).transpose()?,
        narrow(duration)?,
        narrow(brk)?,
    )
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict("a round with this ordinal exists".into()),
        _ => e.into(),
    })?;
    Ok(HttpResponse::Created().json(created))
}

pub async fn list(state: web::Data<AppState>, caller: Caller, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    access::require_event(&state.db, caller.0.as_ref(), *id, Need::Read).await?;
    Ok(HttpResponse::Ok().json(store::rounds::list(&state.db, *id).await?))
}

/// The round and its event actor, after checking the caller's right.
async fn round_for(
    state: &AppState,
    caller: Option<&Claims>,
    id: RoundId,
    need: Need,
) -> AppResult<(round::Model, Addr<EventActor>)> {
    let r = store::rounds::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("round"))?;
    let event = EventId(r.event_id);
    access::require_event(&state.db, caller, event, need).await?;
    let addr = state.directory.send(GetEvent { id: event }).await?;
    Ok((r, addr))
}

pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<RoundId>) -> AppResult<HttpResponse> {
    let r = store::rounds::get(&state.db, *id)
        .await?
        .ok_or_else(|| AppError::not_found("round"))?;
    access::require_event(&state.db, caller.0.as_ref(), EventId(r.event_id), Need::Read).await?;
    Ok(HttpResponse::Ok().json(r))
}

pub async fn timer(state: web::Data<AppState>, caller: Caller, id: web::Path<RoundId>) -> AppResult<HttpResponse> {
    let (_, addr) = round_for(&state, caller.0.as_ref(), *id, Need::Read).await?;
    let snap = addr.send(Snapshot).await?;
    match snap.round.filter(|t| t.round_id == *id) {
        Some(t) => Ok(HttpResponse::Ok().json(t)),
        None => Err(AppError::Conflict("the round is not running".into())),
    }
}

pub async fn start(state: web::Data<AppState>, user: AuthUser, id: web::Path<RoundId>) -> AppResult<HttpResponse> {
    let (_, addr) = round_for(&state, Some(&user.0), *id, Need::Manage).await?;
    let t = addr.send(StartRound { round_id: *id }).await??;
    Ok(HttpResponse::Ok().json(t))
}

pub async fn end(state: web::Data<AppState>, user: AuthUser, id: web::Path<RoundId>) -> AppResult<HttpResponse> {
    let (_, addr) = round_for(&state, Some(&user.0), *id, Need::Manage).await?;
    let r = addr.send(EndRound { round_id: *id }).await??;
    Ok(HttpResponse::Ok().json(r))
}

pub async fn extend(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<RoundId>,
    body: web::Json<Extension>,
) -> AppResult<HttpResponse> {
    let by = body.duration()?;
    let (_, addr) = round_for(&state, Some(&user.0), *id, Need::Manage).await?;
    let t = addr.send(ExtendRound { round_id: *id, by }).await??;
    Ok(HttpResponse::Ok().json(t))
}

pub async fn announce(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<RoundId>,
    body: web::Json<NewAnnouncement>,
) -> AppResult<HttpResponse> {
    let message = text("message", &body.message, 1000)?;
    let (_, addr) = round_for(&state, Some(&user.0), *id, Need::Manage).await?;
    let a = addr
        .send(Announce {
            round_id: Some(*id),
            message,
            author_id: user.0.sub,
            author_name: user.0.name.clone(),
        })
        .await??;
    Ok(HttpResponse::Created().json(a))
}

/// Every live round clock the caller may read, as the events' actors hold
/// them (a round's live state is theirs; the database only says which).
pub async fn active_timers(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let mut out: Vec<TimerState> = Vec::new();
    for event in live_events(
        &state,
        &user.0,
        store::rounds::live(&state.db).await?.iter().map(|r| r.event_id),
    )
    .await?
    {
        let addr = state.directory.send(GetEvent { id: event }).await?;
        out.extend(addr.send(Snapshot).await?.round);
    }
    Ok(HttpResponse::Ok().json(out))
}

/// The distinct readable events among `ids`, in first-seen order.
pub async fn live_events(
    state: &AppState,
    caller: &Claims,
    ids: impl Iterator<Item = uuid::Uuid>,
) -> AppResult<Vec<EventId>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for id in ids {
        if !seen.insert(id) {
            continue;
        }
        let Some(ev) = store::events::get(&state.db, EventId(id)).await? else {
            continue;
        };
        if access::readable(&state.db, caller, &ev).await? {
            out.push(EventId(id));
        }
    }
    Ok(out)
}
