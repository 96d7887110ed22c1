use sea_orm::entity::prelude::*;
use serde::Serialize;

/// Points a team earns per fixture outcome in an event's league table.
/// No row means the defaults (3 for a win, 1 for a draw, 0 for a loss).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "league_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    pub points_win: i32,
    pub points_draw: i32,
    pub points_loss: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
