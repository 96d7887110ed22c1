//! Ticket purchases: made by the caller for an event they may read, seen
//! only by the purchaser (and admins over REST).

use crate::access::{self, Need};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::model::{EventId, PurchaseId};
use crate::state::AppState;
use crate::store;
use actix_web::{web, HttpResponse};

pub async fn create(state: web::Data<AppState>, user: AuthUser, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Read).await?;
    Ok(HttpResponse::Created().json(store::purchases::create(&state.db, *id, user.0.sub).await?))
}

pub async fn get(state: web::Data<AppState>, user: AuthUser, id: web::Path<PurchaseId>) -> AppResult<HttpResponse> {
    let p = store::purchases::get(&state.db, *id)
        .await?
        .ok_or_else(|| AppError::not_found("purchase"))?;
    if p.user_id != user.0.sub.0 && !user.0.is_admin() {
        return Err(AppError::Forbidden("a purchase is for its purchaser only".into()));
    }
    Ok(HttpResponse::Ok().json(p))
}
