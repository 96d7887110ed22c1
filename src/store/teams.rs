use crate::model::{EventId, TeamId, UserId};
use chrono::Utc;
use entity::{team, team_member};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, ModelTrait, QueryFilter, QueryOrder, Set,
};

pub async fn create(db: &DatabaseConnection, event: EventId, name: String) -> Result<team::Model, DbErr> {
    team::ActiveModel {
        id: Set(TeamId::new().0),
        event_id: Set(event.0),
        name: Set(name),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
}

pub async fn get(db: &DatabaseConnection, id: TeamId) -> Result<Option<team::Model>, DbErr> {
    team::Entity::find_by_id(id.0).one(db).await
}

pub async fn list(db: &DatabaseConnection, event: EventId) -> Result<Vec<team::Model>, DbErr> {
    team::Entity::find()
        .filter(team::Column::EventId.eq(event.0))
        .order_by_asc(team::Column::Name)
        .all(db)
        .await
}

/// `member` or `manager`, if the user is on the team.
pub async fn membership(db: &DatabaseConnection, team: TeamId, user: UserId) -> Result<Option<String>, DbErr> {
    Ok(team_member::Entity::find_by_id((team.0, user.0))
        .one(db)
        .await?
        .map(|m| m.role))
}

pub async fn upsert_member(db: &DatabaseConnection, team: TeamId, user: UserId, role: &str) -> Result<(), DbErr> {
    team_member::Entity::insert(team_member::ActiveModel {
        team_id: Set(team.0),
        user_id: Set(user.0),
        role: Set(role.to_owned()),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([team_member::Column::TeamId, team_member::Column::UserId])
            .update_column(team_member::Column::Role)
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// True when a member was removed.
pub async fn remove_member(db: &DatabaseConnection, team: TeamId, user: UserId) -> Result<bool, DbErr> {
    match team_member::Entity::find_by_id((team.0, user.0)).one(db).await? {
        Some(m) => Ok(m.delete(db).await?.rows_affected > 0),
        None => Ok(false),
    }
}
