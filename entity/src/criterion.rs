use sea_orm::entity::prelude::*;
use serde::Serialize;

/// One thing a category is judged on: a value from `min_value` to
/// `max_value` that counts `weight` times in a judge's total.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "criteria")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub category_id: Uuid,
    /// Order in which the criteria were given (0, 1, …).
    pub position: i32,
    pub name: String,
    pub weight: f64,
    pub min_value: f64,
    pub max_value: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
