use sea_orm::entity::prelude::*;
use serde::Serialize;

/// The countdown before an event's first round. `status` is `running`,
/// `completed` or `cancelled`; at most one is `running` per event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "countdowns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub status: String,
    pub message: String,
    pub total_secs: i32,
    pub started_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
