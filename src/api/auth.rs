use super::input::text;
use crate::access;
use crate::auth::{hash_password, verify_password, AuthUser};
use crate::clock::fmt_time;
use crate::error::{AppError, AppResult};
use crate::model::{Role, UserId};
use crate::state::AppState;
use crate::store;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct Login {
    name: String,
    password: String,
}

pub async fn login(state: web::Data<AppState>, body: web::Json<Login>) -> AppResult<HttpResponse> {
    let refused = || AppError::Unauthorized("wrong name or password".into());
    let user = store::users::by_name(&state.db, &body.name)
        .await?
        .ok_or_else(refused)?;
    let hash = user.password_hash.as_deref().ok_or_else(refused)?;
    if !verify_password(&body.password, hash) {
        return Err(refused());
    }
    let role: Role = user
        .role
        .parse()
        .map_err(|e: String| AppError::internal(anyhow::anyhow!(e)))?;
    let (token, claims) = state
        .keys
        .issue(UserId(user.id), &user.name, role, state.config.token_ttl)?;
    Ok(HttpResponse::Ok().json(json!({
        "token": token,
        "expires_at": fmt_time(claims.expires_at()),
        "user": {"id": user.id, "name": user.name, "role": role},
    })))
}

pub async fn me(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let u = store::users::by_id(&state.db, user.0.sub)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    Ok(HttpResponse::Ok().json(u))
}

#[derive(Deserialize)]
pub struct NewUser {
    name: String,
    password: String,
    role: String,
}

pub async fn create_user(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<NewUser>,
) -> AppResult<HttpResponse> {
    access::require_admin(&user.0)?;
    let name = text("name", &body.name, 64)?;
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
        return Err(AppError::Invalid(
            "name may hold letters, digits, `_`, `.` and `-` only".into(),
        ));
    }
    if body.password.chars().count() < 8 {
        return Err(AppError::Invalid("password must be at least 8 characters".into()));
    }
    let role: Role = body.role.parse().map_err(AppError::Invalid)?;
    if store::users::by_name(&state.db, &name).await?.is_some() {
        return Err(AppError::Conflict(format!("user `{name}` exists")));
    }
    let created = store::users::create(&state.db, &name, Some(hash_password(&body.password)?), role).await?;
    Ok(HttpResponse::Created().json(created))
}
