use crate::model::{CategoryId, EventId};
use chrono::Utc;
use entity::category;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, Set};

pub async fn create(db: &DatabaseConnection, event: EventId, name: String) -> Result<category::Model, DbErr> {
    category::ActiveModel {
        id: Set(CategoryId::new().0),
        event_id: Set(event.0),
        name: Set(name),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
}

pub async fn get(db: &DatabaseConnection, id: CategoryId) -> Result<Option<category::Model>, DbErr> {
    category::Entity::find_by_id(id.0).one(db).await
}
