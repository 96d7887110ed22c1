use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A match between two distinct teams of one event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "fixtures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub home_team_id: Uuid,
    pub away_team_id: Uuid,
    pub starts_at: DateTimeUtc,
    pub venue: Option<String>,
    /// `scheduled`, `postponed`, `cancelled`, `live` or `completed`.
    pub status: String,
    /// Both set once a result is recorded (status `completed`).
    pub home_score: Option<i32>,
    pub away_score: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
