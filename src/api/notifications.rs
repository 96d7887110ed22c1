//! A user's own notifications (list, unread count, mark read, delete) and
//! organizers notifying an event's members. Someone else's notification id
//! is a 404, exactly as an unknown one: its existence is not told.

use super::announcements::{target, TargetInput};
use super::input::{text, whole};
use crate::access::{self, Need};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::model::{EventId, NotificationId, NotificationKind, Target, UserId};
use crate::state::AppState;
use crate::store;
use crate::store::notifications::{NewNotification, NotificationView};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeSet;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;
/// Largest `data` object, serialized.
const MAX_DATA_BYTES: usize = 8 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    unread: Option<bool>,
    limit: Option<f64>,
    before: Option<NotificationId>,
}

pub async fn list(state: web::Data<AppState>, user: AuthUser, q: web::Query<ListQuery>) -> AppResult<HttpResponse> {
    let me = user.0.sub;
    let limit = match q.limit {
        Some(l) => whole("limit", l, 1, MAX_LIMIT)?,
        None => DEFAULT_LIMIT,
    };
    let before = match q.before {
        Some(id) => Some(
            store::notifications::get_for(&state.db, me, id)
                .await?
                .ok_or_else(|| AppError::not_found("notification"))?,
        ),
        None => None,
    };
    let rows = store::notifications::list(
        &state.db,
        me,
        q.unread.unwrap_or(false),
        limit.unsigned_abs(),
        before.as_ref(),
    )
    .await?;
    let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) == limit;
    let next_before = if full { rows.last().map(|m| m.id) } else { None };
    let notifications: Vec<NotificationView> = rows.into_iter().map(Into::into).collect();
    let unread = store::notifications::unread_count(&state.db, me).await?;
    Ok(HttpResponse::Ok().json(json!({
        "notifications": notifications,
        "unread": unread,
        "next_before": next_before,
    })))
}

pub async fn unread_count(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let unread = store::notifications::unread_count(&state.db, user.0.sub).await?;
    Ok(HttpResponse::Ok().json(json!({ "unread": unread })))
}

pub async fn read(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<NotificationId>,
) -> AppResult<HttpResponse> {
    let view = store::notifications::mark_read(&state.db, &state.bus, user.0.sub, *id)
        .await?
        .ok_or_else(|| AppError::not_found("notification"))?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn read_all(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let (marked, unread) = store::notifications::mark_all_read(&state.db, &state.bus, user.0.sub).await?;
    Ok(HttpResponse::Ok().json(json!({ "marked": marked, "unread": unread })))
}

pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<NotificationId>,
) -> AppResult<HttpResponse> {
    if store::notifications::delete(&state.db, &state.bus, user.0.sub, *id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AppError::not_found("notification"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    title: String,
    body: String,
    data: Option<serde_json::Value>,
    target: Option<TargetInput>,
}

/// An organizer notifies the event's members: all of them (`event`, the
/// default), those on some teams, or those with some roles.
pub async fn send(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<SendBody>,
) -> AppResult<HttpResponse> {
    let event = *id;
    access::require_event(&state.db, Some(&user.0), event, Need::Manage).await?;
    let b = body.into_inner();
    let title = text("title", &b.title, 200)?;
    let text_body = text("body", &b.body, 2000)?;
    if let Some(d) = &b.data {
        let raw = d.to_string();
        // `\u0000` cannot be stored in PostgreSQL's jsonb.
        if !d.is_object() || raw.len() > MAX_DATA_BYTES || raw.contains("\\u0000") {
            return Err(AppError::Invalid(format!(
                "data must be a JSON object of at most {MAX_DATA_BYTES} bytes, without NUL characters"
            )));
        }
    }
    let recipients: BTreeSet<UserId> = match target(&state, event, b.target).await? {
        Target::Event => store::events::members(&state.db, event)
            .await?
            .into_iter()
            .map(|m| UserId(m.user_id))
            .collect(),
        Target::Teams { team_ids } => store::announcements::team_members(&state.db, event, &team_ids)
            .await?
            .into_iter()
            .collect(),
        Target::Roles { roles } => store::announcements::members_with_roles(&state.db, event, &roles)
            .await?
            .into_iter()
            .collect(),
    };
    let users: Vec<UserId> = recipients.into_iter().collect();
    let sent = store::notifications::notify_many(&state.db, &state.bus, &users, |user| NewNotification {
        user,
        event: Some(event),
        kind: NotificationKind::Message,
        title: title.clone(),
        body: text_body.clone(),
        data: b.data.clone(),
    })
    .await?;
    Ok(HttpResponse::Created().json(json!({ "sent": sent })))
}
