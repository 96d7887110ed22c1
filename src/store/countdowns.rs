use crate::model::{CountdownId, CountdownStatus, EventId};
use chrono::{DateTime, Utc};
use entity::countdown;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};

pub async fn create(
    db: &DatabaseConnection,
    event: EventId,
    message: String,
    started_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Result<countdown::Model, DbErr> {
    countdown::ActiveModel {
        id: Set(CountdownId::new().0),
        event_id: Set(event.0),
        status: Set(CountdownStatus::Running.as_str().to_owned()),
        message: Set(message),
        total_secs: Set(i32::try_from((ends_at - started_at).num_seconds()).unwrap_or(i32::MAX)),
        started_at: Set(started_at),
        ends_at: Set(ends_at),
    }
    .insert(db)
    .await
}

pub async fn running_for(db: &DatabaseConnection, event: EventId) -> Result<Option<countdown::Model>, DbErr> {
    countdown::Entity::find()
        .filter(countdown::Column::EventId.eq(event.0))
        .filter(countdown::Column::Status.eq(CountdownStatus::Running.as_str()))
        .one(db)
        .await
}

pub async fn running(db: &DatabaseConnection) -> Result<Vec<countdown::Model>, DbErr> {
    countdown::Entity::find()
        .filter(countdown::Column::Status.eq(CountdownStatus::Running.as_str()))
        .all(db)
        .await
}

pub async fn save(db: &DatabaseConnection, am: countdown::ActiveModel) -> Result<countdown::Model, DbErr> {
    am.update(db).await
}
