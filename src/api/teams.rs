//! Teams (or contestants) of an event and their members. Removing a member
//! takes their live subscriptions to the team away at once.

use super::input::text;
use crate::access::{self, Need};
use crate::actors::registry::Recheck;
use crate::auth::{AuthUser, Caller};
use crate::error::{AppError, AppResult};
use crate::model::{EventId, TeamId, UserId};
use crate::state::AppState;
use crate::store;
use actix_web::{web, HttpResponse};
use sea_orm::SqlErr;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    name: String,
}

pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<NewTeam>,
) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let team = store::teams::create(&state.db, *id, text("name", &body.name, 200)?)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict("a team with this name exists".into()),
            _ => e.into(),
        })?;
    super::judging::team_registered(&state, &team).await;
    Ok(HttpResponse::Created().json(team))
}

pub async fn list(state: web::Data<AppState>, caller: Caller, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    access::require_event(&state.db, caller.0.as_ref(), *id, Need::Read).await?;
    Ok(HttpResponse::Ok().json(store::teams::list(&state.db, *id).await?))
}

/// The event's organizers, or the team's managers, may change the team.
async fn require_team_manager(state: &AppState, user: &AuthUser, team: TeamId) -> AppResult<entity::team::Model> {
    let t = store::teams::get(&state.db, team)
        .await?
        .ok_or_else(|| AppError::not_found("team"))?;
    if store::teams::membership(&state.db, team, user.0.sub).await?.as_deref() == Some("manager") {
        return Ok(t);
    }
    access::require_event(&state.db, Some(&user.0), EventId(t.event_id), Need::Manage).await?;
    Ok(t)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTeamMember {
    user: String,
    role: Option<String>,
}

pub async fn add_member(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<TeamId>,
    body: web::Json<NewTeamMember>,
) -> AppResult<HttpResponse> {
    require_team_manager(&state, &user, *id).await?;
    let role = body.role.as_deref().unwrap_or("member");
    if !["member", "manager"].contains(&role) {
        return Err(AppError::Invalid("role must be `member` or `manager`".into()));
    }
    let member = store::users::by_name(&state.db, &body.user)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    store::teams::upsert_member(&state.db, *id, UserId(member.id), role).await?;
    state.registry.do_send(Recheck {
        user: Some(UserId(member.id)),
    });
    Ok(HttpResponse::Created().json(json!({"team_id": *id, "user_id": member.id, "user": member.name, "role": role})))
}

pub async fn remove_member(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(TeamId, String)>,
) -> AppResult<HttpResponse> {
    let (team, name) = path.into_inner();
    require_team_manager(&state, &user, team).await?;
    let member = store::users::by_name(&state.db, &name)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    if !store::teams::remove_member(&state.db, team, UserId(member.id)).await? {
        return Err(AppError::not_found("team member"));
    }
    state.registry.do_send(Recheck {
        user: Some(UserId(member.id)),
    });
    Ok(HttpResponse::NoContent().finish())
}
