//! Ticket purchases. Status changes come from the event's `PurchaseDesk`
//! actor only, so the version read before a change is still current.

use crate::model::{EventId, PurchaseId, PurchaseStatus, UserId};
use chrono::{DateTime, Utc};
use entity::purchase;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    Set,
};

pub async fn create(db: &DatabaseConnection, event: EventId, user: UserId) -> Result<purchase::Model, DbErr> {
    let now = Utc::now();
    purchase::ActiveModel {
        id: Set(PurchaseId::new().0),
        event_id: Set(event.0),
        user_id: Set(user.0),
        status: Set(PurchaseStatus::Pending.as_str().into()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn get(db: &DatabaseConnection, id: PurchaseId) -> Result<Option<purchase::Model>, DbErr> {
    purchase::Entity::find_by_id(id.0).one(db).await
}

/// Sets the status and bumps the version.
pub async fn set_status(
    db: &DatabaseConnection,
    p: purchase::Model,
    status: PurchaseStatus,
    at: DateTime<Utc>,
) -> Result<purchase::Model, DbErr> {
    let version = p.version.saturating_add(1);
    let mut am = p.into_active_model();
    am.status = Set(status.as_str().into());
    am.version = Set(version);
    am.updated_at = Set(at);
    am.update(db).await
}

/// A user's purchases, newest first.
pub async fn for_user(db: &DatabaseConnection, user: UserId) -> Result<Vec<purchase::Model>, DbErr> {
    purchase::Entity::find()
        .filter(purchase::Column::UserId.eq(user.0))
        .order_by_desc(purchase::Column::CreatedAt)
        .order_by_asc(purchase::Column::Id)
        .all(db)
        .await
}

/// An event's purchases, newest first.
pub async fn for_event(db: &DatabaseConnection, event: EventId) -> Result<Vec<purchase::Model>, DbErr> {
    purchase::Entity::find()
        .filter(purchase::Column::EventId.eq(event.0))
        .order_by_desc(purchase::Column::CreatedAt)
        .order_by_asc(purchase::Column::Id)
        .all(db)
        .await
}
