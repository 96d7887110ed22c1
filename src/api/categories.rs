//! Judged categories of an event (criteria and judges come with judging).

use super::input::text;
use crate::access::{self, Need};
use crate::auth::AuthUser;
use crate::error::AppResult;
use crate::model::EventId;
use crate::state::AppState;
use crate::store;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct NewCategory {
    name: String,
}

pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<NewCategory>,
) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    Ok(HttpResponse::Created().json(store::categories::create(&state.db, *id, text("name", &body.name, 200)?).await?))
}
