use super::input::text;
use crate::access::{self, Need};
use crate::actors::registry::Recheck;
use crate::auth::{AuthUser, Caller};
use crate::error::{AppError, AppResult};
use crate::model::{EventId, MemberRole, Visibility};
use crate::state::AppState;
use crate::store;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use sea_orm::{IntoActiveModel, Set};
use serde::Deserialize;
use serde_json::json;

fn visibility(v: Option<&str>) -> AppResult<Visibility> {
    match v {
        None | Some("private") => Ok(Visibility::Private),
        Some("public") => Ok(Visibility::Public),
        Some(other) => Err(AppError::Invalid(format!(
            "visibility must be `public` or `private`, not `{other}`"
        ))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    name: String,
    visibility: Option<String>,
    starts_at: Option<DateTime<Utc>>,
    #[serde(default)]
    auto_start_first_round: bool,
    #[serde(default)]
    auto_advance_rounds: bool,
}

pub async fn create(state: web::Data<AppState>, user: AuthUser, body: web::Json<NewEvent>) -> AppResult<HttpResponse> {
    access::require_creator(&user.0)?;
    let body = body.into_inner();
    let ev = store::events::create(
        &state.db,
        store::events::NewEvent {
            name: text("name", &body.name, 200)?,
            visibility: visibility(body.visibility.as_deref())?,
            starts_at: body.starts_at,
            owner: user.0.sub,
            auto_start_first_round: body.auto_start_first_round,
            auto_advance_rounds: body.auto_advance_rounds,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(ev))
}

pub async fn list(state: web::Data<AppState>, caller: Caller) -> AppResult<HttpResponse> {
    let events = match &caller.0 {
        Some(c) if c.is_admin() => store::events::list_all(&state.db).await?,
        other => store::events::list_readable(&state.db, other.as_ref().map(|c| c.sub)).await?,
    };
    Ok(HttpResponse::Ok().json(events))
}

pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    let ev = access::require_event(&state.db, caller.0.as_ref(), *id, Need::Read).await?;
    Ok(HttpResponse::Ok().json(ev))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventPatch {
    name: Option<String>,
    visibility: Option<String>,
    starts_at: Option<DateTime<Utc>>,
    auto_start_first_round: Option<bool>,
    auto_advance_rounds: Option<bool>,
}

pub async fn patch(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<EventPatch>,
) -> AppResult<HttpResponse> {
    let ev = access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let body = body.into_inner();
    let mut am = ev.into_active_model();
    if let Some(n) = body.name {
        am.name = Set(text("name", &n, 200)?);
    }
    if let Some(v) = body.visibility {
        am.visibility = Set(visibility(Some(&v))?.as_str().to_owned());
    }
    if let Some(s) = body.starts_at {
        am.starts_at = Set(Some(s));
    }
    if let Some(b) = body.auto_start_first_round {
        am.auto_start_first_round = Set(b);
    }
    if let Some(b) = body.auto_advance_rounds {
        am.auto_advance_rounds = Set(b);
    }
    let updated = store::events::update(&state.db, am).await?;
    // A visibility change moves who may follow the event.
    state.registry.do_send(Recheck { user: None });
    Ok(HttpResponse::Ok().json(updated))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    user: String,
    role: String,
}

pub async fn add_member(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<NewMember>,
) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let role: MemberRole = body.role.parse().map_err(AppError::Invalid)?;
    let member = store::users::by_name(&state.db, &body.user)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    store::events::upsert_member(&state.db, *id, crate::model::UserId(member.id), role).await?;
    state.registry.do_send(Recheck {
        user: Some(crate::model::UserId(member.id)),
    });
    Ok(HttpResponse::Created().json(json!({
        "event_id": *id, "user_id": member.id, "user": member.name, "role": role,
    })))
}

/// Removes a member; their live subscriptions to the event go at once.
pub async fn remove_member(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(EventId, String)>,
) -> AppResult<HttpResponse> {
    let (event, name) = path.into_inner();
    access::require_event(&state.db, Some(&user.0), event, Need::Manage).await?;
    let member = store::users::by_name(&state.db, &name)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    let member = crate::model::UserId(member.id);
    if !store::events::remove_member(&state.db, event, member).await? {
        return Err(AppError::not_found("member"));
    }
    state.registry.do_send(Recheck { user: Some(member) });
    Ok(HttpResponse::NoContent().finish())
}

pub async fn members(state: web::Data<AppState>, user: AuthUser, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    Ok(HttpResponse::Ok().json(store::events::members(&state.db, *id).await?))
}

/// A round's announcement (`POST /api/rounds/{id}/announce`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAnnouncement {
    pub message: String,
}

/// Seed 000's announcement (`{"message": …}`) is the general, normal,
/// whole-event case of the announcements API (docs/announcements.md).
pub async fn announce(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<super::announcements::NewAnnouncementBody>,
) -> AppResult<HttpResponse> {
    super::announcements::create(state, user, id, body).await
}
