use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A live event: owns rounds, a countdown, members.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// `public` or `private`.
    pub visibility: String,
    pub starts_at: Option<DateTimeUtc>,
    pub owner_id: Uuid,
    /// When the countdown completes, start the first pending round.
    pub auto_start_first_round: bool,
    /// When a break ends, start the next pending round.
    pub auto_advance_rounds: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
