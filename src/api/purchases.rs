//! Ticket purchases (seed 001): made by the caller for an event they may
//! read, moved on by the event's organizers, followed live on
//! `purchase:{id}` by the purchaser only. Changes go through the event's
//! `PurchaseDesk`, which persists and publishes.

use crate::access::{self, Need};
use crate::actors::directory::GetPurchaseDesk;
use crate::actors::purchase::{Buy, ChangeStatus, PurchaseDesk, PurchaseView};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::model::{EventId, PurchaseId, PurchaseStatus};
use crate::state::AppState;
use crate::store;
use actix::Addr;
use actix_web::{web, HttpResponse};
use entity::purchase;
use serde::Deserialize;

async fn desk(state: &AppState, event: EventId) -> AppResult<Addr<PurchaseDesk>> {
    Ok(state.directory.send(GetPurchaseDesk { id: event }).await?)
}

async fn purchase_of(state: &AppState, id: PurchaseId) -> AppResult<purchase::Model> {
    store::purchases::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("purchase"))
}

fn views(ps: &[purchase::Model]) -> Vec<PurchaseView> {
    ps.iter().map(PurchaseView::new).collect()
}

/// `POST /api/events/{id}/purchases`: a `pending` purchase for the caller.
pub async fn create(state: web::Data<AppState>, user: AuthUser, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Read).await?;
    let view = desk(&state, *id).await?.send(Buy { user: user.0.sub }).await??;
    Ok(HttpResponse::Created().json(view))
}

/// `GET /api/purchases/{id}`: the purchaser, the event's organizers, admins.
pub async fn get(state: web::Data<AppState>, user: AuthUser, id: web::Path<PurchaseId>) -> AppResult<HttpResponse> {
    let p = purchase_of(&state, *id).await?;
    if p.user_id != user.0.sub.0 {
        access::require_event(&state.db, Some(&user.0), EventId(p.event_id), Need::Manage)
            .await
            .map_err(|e| match e {
                AppError::Forbidden(_) => AppError::Forbidden("a purchase is for its purchaser only".into()),
                other => other,
            })?;
    }
    Ok(HttpResponse::Ok().json(PurchaseView::new(&p)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    status: String,
}

/// `PATCH /api/purchases/{id}`: the event's organizers move it on
/// (pending → paid → issued; paid or issued → refunded).
pub async fn change(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<PurchaseId>,
    body: web::Json<StatusChange>,
) -> AppResult<HttpResponse> {
    let p = purchase_of(&state, *id).await?;
    let event = EventId(p.event_id);
    access::require_event(&state.db, Some(&user.0), event, Need::Manage).await?;
    let status: PurchaseStatus = body
        .status
        .parse()
        .map_err(|()| AppError::Invalid("status must be one of pending, paid, issued, refunded".into()))?;
    let view = desk(&state, event)
        .await?
        .send(ChangeStatus { purchase: *id, status })
        .await??;
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /api/me/purchases`: the caller's own purchases, newest first.
pub async fn mine(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let ps = store::purchases::for_user(&state.db, user.0.sub).await?;
    Ok(HttpResponse::Ok().json(views(&ps)))
}

/// `GET /api/events/{id}/purchases`: the event's organizers and admins.
pub async fn for_event(state: web::Data<AppState>, user: AuthUser, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let ps = store::purchases::for_event(&state.db, *id).await?;
    Ok(HttpResponse::Ok().json(views(&ps)))
}
