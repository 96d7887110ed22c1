//! Judges' scores: one per (category, team, judge), holding the value given
//! for each criterion and the weighted total.

use crate::model::{CategoryId, EventId, ScoreId, TeamId, UserId};
use chrono::{DateTime, Utc};
use entity::score;
use sea_orm::prelude::Json;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, ModelTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

pub struct NewScore {
    pub event: EventId,
    pub category: CategoryId,
    pub team: TeamId,
    pub judge: UserId,
    pub marks: Json,
    pub total: f64,
    pub at: DateTime<Utc>,
}

pub async fn insert(db: &DatabaseConnection, s: NewScore) -> Result<score::Model, DbErr> {
    score::ActiveModel {
        id: Set(ScoreId::new().0),
        event_id: Set(s.event.0),
        category_id: Set(s.category.0),
        team_id: Set(s.team.0),
        judge_id: Set(s.judge.0),
        marks: Set(s.marks),
        total: Set(s.total),
        created_at: Set(s.at),
        updated_at: Set(s.at),
    }
    .insert(db)
    .await
}

pub async fn update(
    db: &DatabaseConnection,
    s: score::Model,
    marks: Json,
    total: f64,
    at: DateTime<Utc>,
) -> Result<score::Model, DbErr> {
    let mut am = s.into_active_model();
    am.marks = Set(marks);
    am.total = Set(total);
    am.updated_at = Set(at);
    am.update(db).await
}

pub async fn get(db: &DatabaseConnection, id: ScoreId) -> Result<Option<score::Model>, DbErr> {
    score::Entity::find_by_id(id.0).one(db).await
}

/// The judge's score of the team in the category, if any.
pub async fn find(
    db: &DatabaseConnection,
    category: CategoryId,
    team: TeamId,
    judge: UserId,
) -> Result<Option<score::Model>, DbErr> {
    score::Entity::find()
        .filter(score::Column::CategoryId.eq(category.0))
        .filter(score::Column::TeamId.eq(team.0))
        .filter(score::Column::JudgeId.eq(judge.0))
        .one(db)
        .await
}

pub async fn delete(db: &DatabaseConnection, s: score::Model) -> Result<(), DbErr> {
    s.delete(db).await.map(drop)
}

/// A category's scores, or one judge's of them, oldest first.
pub async fn for_category(
    db: &DatabaseConnection,
    category: CategoryId,
    judge: Option<UserId>,
) -> Result<Vec<score::Model>, DbErr> {
    let mut q = score::Entity::find().filter(score::Column::CategoryId.eq(category.0));
    if let Some(j) = judge {
        q = q.filter(score::Column::JudgeId.eq(j.0));
    }
    q.order_by_asc(score::Column::CreatedAt)
        .order_by_asc(score::Column::Id)
        .all(db)
        .await
}

/// Every score of an event (the leaderboard's input).
pub async fn for_event(db: &DatabaseConnection, event: EventId) -> Result<Vec<score::Model>, DbErr> {
    score::Entity::find()
        .filter(score::Column::EventId.eq(event.0))
        .all(db)
        .await
}

/// How many judges have scored the team in the category.
pub async fn judge_count(db: &DatabaseConnection, category: CategoryId, team: TeamId) -> Result<u64, DbErr> {
    score::Entity::find()
        .filter(score::Column::CategoryId.eq(category.0))
        .filter(score::Column::TeamId.eq(team.0))
        .count(db)
        .await
}
