use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A category's certification: its scores were checked and are final.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "certifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub category_id: Uuid,
    pub event_id: Uuid,
    /// `certified`.
    pub status: String,
    pub certified_by: Uuid,
    pub certified_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
