use crate::model::{EventId, PurchaseId, UserId};
use chrono::Utc;
use entity::purchase;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, Set};

pub async fn create(db: &DatabaseConnection, event: EventId, user: UserId) -> Result<purchase::Model, DbErr> {
    let now = Utc::now();
    purchase::ActiveModel {
        id: Set(PurchaseId::new().0),
        event_id: Set(event.0),
        user_id: Set(user.0),
        status: Set("pending".into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn get(db: &DatabaseConnection, id: PurchaseId) -> Result<Option<purchase::Model>, DbErr> {
    purchase::Entity::find_by_id(id.0).one(db).await
}
