use crate::access;
use crate::actors::registry::{ActorKind, GetActor, ListActors};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use actix_web::{web, HttpResponse};

pub async fn actors(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    access::require_admin(&user.0)?;
    Ok(HttpResponse::Ok().json(state.registry.send(ListActors).await?))
}

pub async fn actor(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    access::require_admin(&user.0)?;
    let (kind, id) = path.into_inner();
    let kind: ActorKind = kind.parse().map_err(|_| AppError::not_found("actor kind"))?;
    match state.registry.send(GetActor { kind, id }).await? {
        Some(a) => Ok(HttpResponse::Ok().json(a)),
        None => Err(AppError::not_found("actor")),
    }
}
