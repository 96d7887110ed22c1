use crate::model::{EventId, RoundId, RoundStatus};
use chrono::Utc;
use entity::round;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

pub async fn create(
    db: &DatabaseConnection,
    event: EventId,
    ordinal: Option<i32>,
    duration_secs: i32,
    break_secs: i32,
) -> Result<round::Model, DbErr> {
    let ordinal = match ordinal {
        Some(o) => o,
        None => {
            let last: Option<i32> = round::Entity::find()
                .filter(round::Column::EventId.eq(event.0))
                .select_only()
                .column_as(round::Column::Ordinal.max(), "max")
                .into_tuple::<Option<i32>>()
                .one(db)
                .await?
                .flatten();
            last.unwrap_or(0) + 1
        }
    };
    round::ActiveModel {
        id: Set(RoundId::new().0),
        event_id: Set(event.0),
        ordinal: Set(ordinal),
        duration_secs: Set(duration_secs),
        break_secs: Set(break_secs),
        status: Set(RoundStatus::Pending.as_str().to_owned()),
        started_at: Set(None),
        ends_at: Set(None),
        break_ends_at: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
}

pub async fn get(db: &DatabaseConnection, id: RoundId) -> Result<Option<round::Model>, DbErr> {
    round::Entity::find_by_id(id.0).one(db).await
}

pub async fn list(db: &DatabaseConnection, event: EventId) -> Result<Vec<round::Model>, DbErr> {
    round::Entity::find()
        .filter(round::Column::EventId.eq(event.0))
        .order_by_asc(round::Column::Ordinal)
        .all(db)
        .await
}

/// The first pending round of the event by ordinal.
pub async fn next_pending(db: &DatabaseConnection, event: EventId) -> Result<Option<round::Model>, DbErr> {
    round::Entity::find()
        .filter(round::Column::EventId.eq(event.0))
        .filter(round::Column::Status.eq(RoundStatus::Pending.as_str()))
        .order_by_asc(round::Column::Ordinal)
        .one(db)
        .await
}

/// Rounds whose clock is live (running or in break), for restore at start
/// and for the active-timers listing.
pub async fn live(db: &DatabaseConnection) -> Result<Vec<round::Model>, DbErr> {
    round::Entity::find()
        .filter(round::Column::Status.is_in([RoundStatus::Running.as_str(), RoundStatus::Break.as_str()]))
        .order_by_asc(round::Column::StartedAt)
        .all(db)
        .await
}

pub async fn save(db: &DatabaseConnection, am: round::ActiveModel) -> Result<round::Model, DbErr> {
    am.update(db).await
}
