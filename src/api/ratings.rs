//! Rating sessions (seed 004, docs/ratings.md): organizers create, fill,
//! start and finish sessions of their event; its readers rate each item
//! 1–5 (again = update). Every change goes through the event's `Ratings`
//! actor, which persists and publishes.

use super::input::text;
use crate::access::{self, Need};
use crate::actors::directory::GetRatings;
use crate::actors::rating::{
    self, AddItems, CreateSession, FinishSession, ItemView, MyItem, Rate, Ratings, SessionView, StartSession,
};
use crate::auth::{AuthUser, Caller};
use crate::error::{AppError, AppResult};
use crate::model::{EventId, RatingItemId, RatingSessionId, Stars};
use crate::state::AppState;
use crate::store;
use crate::store::ratings::NewItem;
use actix::Addr;
use actix_web::{web, HttpResponse};
use entity::rating_session;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// The most items one request may add.
const MAX_BATCH: usize = 200;

/// The event's ratings actor (started on first use).
async fn actor(state: &AppState, event: EventId) -> AppResult<Addr<Ratings>> {
    Ok(state.directory.send(GetRatings { id: event }).await?)
}

/// The session, after checking the caller's `need` on its event.
async fn session(
    state: &AppState,
    caller: Option<&crate::auth::Claims>,
    id: RatingSessionId,
    need: Need,
) -> AppResult<rating_session::Model> {
    let s = store::ratings::session(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("rating session"))?;
    access::require_event(&state.db, caller, EventId(s.event_id), need).await?;
    Ok(s)
}

async fn view(state: &AppState, s: &rating_session::Model) -> AppResult<SessionView> {
    let count = store::ratings::item_count(&state.db, RatingSessionId(s.id)).await?;
    Ok(SessionView::new(s, count))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    title: String,
}

/// `POST /api/events/{id}/rating-sessions`: the event's managers.
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<NewSession>,
) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let title = text("title", &body.title, 200)?;
    let view = actor(&state, *id)
        .await?
        .send(CreateSession { title, by: user.0.sub })
        .await??;
    Ok(HttpResponse::Created().json(view))
}

/// `GET /api/events/{id}/rating-sessions`: the event's readers.
pub async fn list(state: web::Data<AppState>, caller: Caller, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    access::require_event(&state.db, caller.0.as_ref(), *id, Need::Read).await?;
    let mut out = Vec::new();
    for s in store::ratings::sessions(&state.db, *id).await? {
        out.push(view(&state, &s).await?);
    }
    Ok(HttpResponse::Ok().json(out))
}

/// `GET /api/rating-sessions/{id}`: the event's readers; a signed-in caller
/// also gets how many items they have rated.
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<RatingSessionId>,
) -> AppResult<HttpResponse> {
    let s = session(&state, caller.0.as_ref(), *id, Need::Read).await?;
    let v = view(&state, &s).await?;
    let mut body = serde_json::to_value(&v).map_err(AppError::internal)?;
    if let Some(c) = &caller.0 {
        body["rated_by_you"] = store::ratings::rated_by(&state.db, *id, c.sub).await?.into();
    }
    Ok(HttpResponse::Ok().json(body))
}

/// `POST /api/rating-sessions/{id}/start`: created → active.
pub async fn start(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<RatingSessionId>,
) -> AppResult<HttpResponse> {
    let s = session(&state, Some(&user.0), *id, Need::Manage).await?;
    let v = actor(&state, EventId(s.event_id))
        .await?
        .send(StartSession { session: *id })
        .await??;
    Ok(HttpResponse::Ok().json(v))
}

/// `POST /api/rating-sessions/{id}/finish`: active → finished.
pub async fn finish(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<RatingSessionId>,
) -> AppResult<HttpResponse> {
    let s = session(&state, Some(&user.0), *id, Need::Manage).await?;
    let v = actor(&state, EventId(s.event_id))
        .await?
        .send(FinishSession { session: *id })
        .await??;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewItemBody {
    title: String,
    #[serde(default)]
    image_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewItems {
    items: Vec<NewItemBody>,
}

fn image_url(v: Option<String>) -> AppResult<Option<String>> {
    let Some(u) = v.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let scheme_ok = u.starts_with("https://") || u.starts_with("http://");
    if !scheme_ok || u.chars().count() > 2000 || u.chars().any(char::is_whitespace) {
        return Err(AppError::Invalid(
            "image_url must be an http(s) URL of at most 2000 characters".into(),
        ));
    }
    Ok(Some(u))
}

/// `POST /api/rating-sessions/{id}/items`: adds items in bulk (seed 004's
/// "memes populated"), all or none.
pub async fn add_items(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<RatingSessionId>,
    body: web::Json<NewItems>,
) -> AppResult<HttpResponse> {
    let s = session(&state, Some(&user.0), *id, Need::Manage).await?;
    let body = body.into_inner();
    if body.items.is_empty() || body.items.len() > MAX_BATCH {
        return Err(AppError::Invalid(format!("items must hold 1 to {MAX_BATCH} items")));
    }
    let mut items = Vec::with_capacity(body.items.len());
    for (i, it) in body.items.into_iter().enumerate() {
        let title = text(&format!("items[{i}].title"), &it.title, 200)?;
        let image_url = image_url(it.image_url).map_err(|e| AppError::Invalid(format!("items[{i}]: {e}")))?;
        items.push(NewItem { title, image_url });
    }
    let added: Vec<ItemView> = actor(&state, EventId(s.event_id))
        .await?
        .send(AddItems { session: *id, items })
        .await??;
    Ok(HttpResponse::Created().json(added))
}

/// `GET /api/rating-sessions/{id}/items`: every item, with the caller's
/// own rating (`null` if none or anonymous).
pub async fn items(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<RatingSessionId>,
) -> AppResult<HttpResponse> {
    session(&state, caller.0.as_ref(), *id, Need::Read).await?;
    let mine: HashMap<uuid::Uuid, i32> = match &caller.0 {
        Some(c) => store::ratings::ratings_by(&state.db, *id, c.sub)
            .await?
            .into_iter()
            .map(|r| (r.item_id, r.value))
            .collect(),
        None => HashMap::new(),
    };
    let out: Vec<MyItem> = store::ratings::items(&state.db, *id)
        .await?
        .iter()
        .map(|i| MyItem {
            item: ItemView::new(i),
            my_rating: mine.get(&i.id).copied().and_then(Stars::from_stored),
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRating {
    item_id: RatingItemId,
    /// Any JSON, checked here so that `2.5` or `"3"` is a 422, not a 400.
    value: Value,
}

/// `POST /api/rating-sessions/{id}/ratings`: the caller rates an item 1–5;
/// 201 the first time, 200 when it replaces their earlier rating.
pub async fn rate(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<RatingSessionId>,
    body: web::Json<NewRating>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let value = Stars::from_json(&body.value)
        .ok_or_else(|| AppError::Invalid("value must be a whole number from 1 to 5".into()))?;
    let s = session(&state, Some(&user.0), *id, Need::Read).await?;
    let (receipt, created) = actor(&state, EventId(s.event_id))
        .await?
        .send(Rate {
            session: *id,
            item: body.item_id,
            user: user.0.sub,
            user_name: user.0.name.clone(),
            value,
        })
        .await??;
    Ok(if created {
        HttpResponse::Created().json(receipt)
    } else {
        HttpResponse::Ok().json(receipt)
    })
}

/// `GET /api/rating-sessions/{id}/stats`: what `stats_updated` carries, for
/// the event's managers.
pub async fn stats(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<RatingSessionId>,
) -> AppResult<HttpResponse> {
    let s = session(&state, Some(&user.0), *id, Need::Manage).await?;
    let figures = rating::read_stats(&state.db, &s, rating::clock_version()).await?;
    Ok(HttpResponse::Ok().json(figures))
}
