use crate::model::{EventId, RoundId, UserId};
use chrono::Utc;
use entity::announcement;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, Set};

pub async fn create(
    db: &DatabaseConnection,
    event: EventId,
    round: Option<RoundId>,
    message: String,
    author: UserId,
) -> Result<announcement::Model, DbErr> {
    announcement::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        event_id: Set(event.0),
        round_id: Set(round.map(|r| r.0)),
        message: Set(message),
        author_id: Set(author.0),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
}
