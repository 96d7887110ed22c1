use sea_orm::entity::prelude::*;
use serde::Serialize;

/// One timed round of an event, followed by its break.
///
/// `status` moves `pending` → `running` → `break` → `completed`
/// (`break` is skipped when `break_secs` is 0). The deadlines are absolute
/// wall-clock times so that a restarted server carries on where the clock is.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "rounds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub ordinal: i32,
    pub duration_secs: i32,
    pub break_secs: i32,
    pub status: String,
    pub started_at: Option<DateTimeUtc>,
    /// Deadline of the round phase (moved by extensions).
    pub ends_at: Option<DateTimeUtc>,
    /// Deadline of the break phase, set when the round phase ends.
    pub break_ends_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
