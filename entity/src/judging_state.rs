use sea_orm::entity::prelude::*;
use serde::Serialize;

/// Where an event's judging stands: locked (no more scores), results
/// published. No row means neither.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "judging_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    pub locked_at: Option<DateTimeUtc>,
    pub locked_by: Option<Uuid>,
    pub results_published_at: Option<DateTimeUtc>,
    pub results_published_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
