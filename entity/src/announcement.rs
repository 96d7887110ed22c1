use sea_orm::entity::prelude::*;
use serde::Serialize;

/// An organizer's message to an event (optionally tied to a round), of a
/// `kind` and `priority`, to a `target` (`event`, `teams`, `roles`; the team
/// ids or role names in `target_ids`), until `expires_at` if set.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "announcements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub round_id: Option<Uuid>,
    pub message: String,
    pub author_id: Uuid,
    pub created_at: DateTimeUtc,
    pub title: Option<String>,
    pub kind: String,
    pub priority: String,
    pub target: String,
    pub target_ids: Option<Json>,
    pub expires_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
