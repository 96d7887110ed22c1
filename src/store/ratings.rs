//! Rating sessions, their items and the ratings given (seed 004). Writes
//! come from the event's `Ratings` actor only, so a read-then-write here
//! never races another writer of the same session.

use crate::model::{EventId, RatingItemId, RatingSessionId, SessionStatus, Stars, UserId};
use chrono::{DateTime, Utc};
use entity::{rating, rating_item, rating_session};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};

pub async fn create_session(
    db: &DatabaseConnection,
    event: EventId,
    title: String,
    by: UserId,
    at: DateTime<Utc>,
) -> Result<rating_session::Model, DbErr> {
    rating_session::ActiveModel {
        id: Set(RatingSessionId::new().0),
        event_id: Set(event.0),
        title: Set(title),
        status: Set(SessionStatus::Created.as_str().into()),
        created_by: Set(by.0),
        created_at: Set(at),
        started_at: Set(None),
        finished_at: Set(None),
    }
    .insert(db)
    .await
}

pub async fn session(db: &DatabaseConnection, id: RatingSessionId) -> Result<Option<rating_session::Model>, DbErr> {
    rating_session::Entity::find_by_id(id.0).one(db).await
}

/// An event's sessions, oldest first.
pub async fn sessions(db: &DatabaseConnection, event: EventId) -> Result<Vec<rating_session::Model>, DbErr> {
    rating_session::Entity::find()
        .filter(rating_session::Column::EventId.eq(event.0))
        .order_by_asc(rating_session::Column::CreatedAt)
        .order_by_asc(rating_session::Column::Id)
        .all(db)
        .await
}

/// Moves a session to `status`, stamping when it started or finished.
pub async fn set_status(
    db: &DatabaseConnection,
    s: rating_session::Model,
    status: SessionStatus,
    at: DateTime<Utc>,
) -> Result<rating_session::Model, DbErr> {
    let mut am = s.into_active_model();
    am.status = Set(status.as_str().into());
    match status {
        SessionStatus::Active => am.started_at = Set(Some(at)),
        SessionStatus::Finished => am.finished_at = Set(Some(at)),
        SessionStatus::Created => {}
    }
    am.update(db).await
}

/// A session's items in the order they were added.
pub async fn items(db: &DatabaseConnection, session: RatingSessionId) -> Result<Vec<rating_item::Model>, DbErr> {
    rating_item::Entity::find()
        .filter(rating_item::Column::SessionId.eq(session.0))
        .order_by_asc(rating_item::Column::Position)
        .all(db)
        .await
}

pub async fn item_count(db: &DatabaseConnection, session: RatingSessionId) -> Result<u64, DbErr> {
    rating_item::Entity::find()
        .filter(rating_item::Column::SessionId.eq(session.0))
        .count(db)
        .await
}

pub async fn item(db: &DatabaseConnection, id: RatingItemId) -> Result<Option<rating_item::Model>, DbErr> {
    rating_item::Entity::find_by_id(id.0).one(db).await
}

/// A new item: its title and optional image.
pub struct NewItem {
    pub title: String,
    pub image_url: Option<String>,
}

/// Adds items after the session's last one, all or none.
pub async fn add_items(
    db: &DatabaseConnection,
    session: RatingSessionId,
    first_position: i32,
    items: Vec<NewItem>,
    at: DateTime<Utc>,
) -> Result<Vec<rating_item::Model>, DbErr> {
    let txn = db.begin().await?;
    let mut out = Vec::with_capacity(items.len());
    for (pos, it) in (first_position..).zip(items) {
        let m = rating_item::ActiveModel {
            id: Set(RatingItemId::new().0),
            session_id: Set(session.0),
            position: Set(pos),
            title: Set(it.title),
            image_url: Set(it.image_url),
            created_at: Set(at),
        }
        .insert(&txn)
        .await?;
        out.push(m);
    }
    txn.commit().await?;
    Ok(out)
}

pub async fn rating(db: &DatabaseConnection, item: RatingItemId, user: UserId) -> Result<Option<rating::Model>, DbErr> {
    rating::Entity::find_by_id((item.0, user.0)).one(db).await
}

/// Creates or replaces the user's rating of the item; the previous value
/// comes back with the stored row.
pub async fn put_rating(
    db: &DatabaseConnection,
    item: &rating_item::Model,
    user: UserId,
    value: Stars,
    at: DateTime<Utc>,
) -> Result<(rating::Model, Option<Stars>), DbErr> {
    let value_i = i32::from(value.get());
    match rating(db, RatingItemId(item.id), user).await? {
        Some(old) => {
            let previous = Stars::from_stored(old.value);
            let mut am = old.into_active_model();
            am.value = Set(value_i);
            am.updated_at = Set(at);
            Ok((am.update(db).await?, previous))
        }
        None => {
            let m = rating::ActiveModel {
                item_id: Set(item.id),
                user_id: Set(user.0),
                session_id: Set(item.session_id),
                value: Set(value_i),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(db)
            .await?;
            Ok((m, None))
        }
    }
}

/// Every rating of a session.
pub async fn ratings(db: &DatabaseConnection, session: RatingSessionId) -> Result<Vec<rating::Model>, DbErr> {
    rating::Entity::find()
        .filter(rating::Column::SessionId.eq(session.0))
        .all(db)
        .await
}

/// One user's ratings in a session.
pub async fn ratings_by(
    db: &DatabaseConnection,
    session: RatingSessionId,
    user: UserId,
) -> Result<Vec<rating::Model>, DbErr> {
    rating::Entity::find()
        .filter(rating::Column::SessionId.eq(session.0))
        .filter(rating::Column::UserId.eq(user.0))
        .all(db)
        .await
}

/// How many items of the session the user has rated.
pub async fn rated_by(db: &DatabaseConnection, session: RatingSessionId, user: UserId) -> Result<u64, DbErr> {
    rating::Entity::find()
        .filter(rating::Column::SessionId.eq(session.0))
        .filter(rating::Column::UserId.eq(user.0))
        .count(db)
        .await
}
