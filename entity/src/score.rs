use sea_orm::entity::prelude::*;
use serde::Serialize;

/// One judge's score of one team in one category (at most one per triple).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub category_id: Uuid,
    pub team_id: Uuid,
    pub judge_id: Uuid,
    /// Criterion name → the value given, a JSON object.
    pub marks: Json,
    /// Σ weight × value over the category's criteria.
    pub total: f64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
