use crate::model::{EventId, MemberRole, UserId, Visibility};
use chrono::{DateTime, Utc};
use entity::{event, event_member};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
};

pub struct NewEvent {
    pub name: String,
    pub visibility: Visibility,
    pub starts_at: Option<DateTime<Utc>>,
    pub owner: UserId,
    pub auto_start_first_round: bool,
    pub auto_advance_rounds: bool,
}

pub async fn create(db: &DatabaseConnection, e: NewEvent) -> Result<event::Model, DbErr> {
    event::ActiveModel {
        id: Set(EventId::new().0),
        name: Set(e.name),
        visibility: Set(e.visibility.as_str().to_owned()),
        starts_at: Set(e.starts_at),
        owner_id: Set(e.owner.0),
        auto_start_first_round: Set(e.auto_start_first_round),
        auto_advance_rounds: Set(e.auto_advance_rounds),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
}

pub async fn get(db: &DatabaseConnection, id: EventId) -> Result<Option<event::Model>, DbErr> {
    event::Entity::find_by_id(id.0).one(db).await
}

pub async fn update(db: &DatabaseConnection, am: event::ActiveModel) -> Result<event::Model, DbErr> {
    am.update(db).await
}

/// All events (admins), newest first.
pub async fn list_all(db: &DatabaseConnection) -> Result<Vec<event::Model>, DbErr> {
    event::Entity::find()
        .order_by_desc(event::Column::CreatedAt)
        .all(db)
        .await
}

/// Events `user` may read: public ones, their own, and those they belong to.
pub async fn list_readable(db: &DatabaseConnection, user: Option<UserId>) -> Result<Vec<event::Model>, DbErr> {
    let mut cond = Condition::any().add(event::Column::Visibility.eq(Visibility::Public.as_str()));
    if let Some(u) = user {
        let member_of: Vec<uuid::Uuid> = event_member::Entity::find()
            .filter(event_member::Column::UserId.eq(u.0))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.event_id)
            .collect();
        cond = cond
            .add(event::Column::OwnerId.eq(u.0))
            .add(event::Column::Id.is_in(member_of));
    }
    event::Entity::find()
        .filter(cond)
        .order_by_desc(event::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn membership(db: &DatabaseConnection, event: EventId, user: UserId) -> Result<Option<MemberRole>, DbErr> {
    Ok(event_member::Entity::find_by_id((event.0, user.0))
        .one(db)
        .await?
        .and_then(|m| m.role.parse().ok()))
}

/// Adds a member, or changes the role of an existing one.
pub async fn upsert_member(
    db: &DatabaseConnection,
    event: EventId,
    user: UserId,
    role: MemberRole,
) -> Result<(), DbErr> {
    event_member::Entity::insert(event_member::ActiveModel {
        event_id: Set(event.0),
        user_id: Set(user.0),
        role: Set(role.as_str().to_owned()),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([event_member::Column::EventId, event_member::Column::UserId])
            .update_column(event_member::Column::Role)
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// True when a member was removed.
pub async fn remove_member(db: &DatabaseConnection, event: EventId, user: UserId) -> Result<bool, DbErr> {
    let res = event_member::Entity::delete_by_id((event.0, user.0)).exec(db).await?;
    Ok(res.rows_affected > 0)
}

/// A member as the API shows it: with the user's name.
#[derive(Debug, serde::Serialize)]
pub struct Member {
    pub event_id: uuid::Uuid,
    pub user_id: uuid::Uuid,
    pub user: String,
    pub role: String,
    #[serde(serialize_with = "crate::clock::ser_time")]
    pub created_at: DateTime<Utc>,
}

pub async fn members(db: &DatabaseConnection, event: EventId) -> Result<Vec<Member>, DbErr> {
    let rows = event_member::Entity::find()
        .filter(event_member::Column::EventId.eq(event.0))
        .order_by_asc(event_member::Column::CreatedAt)
        .find_also_related(entity::user::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(m, u)| Member {
            event_id: m.event_id,
            user_id: m.user_id,
            user: u.map(|u| u.name).unwrap_or_default(),
            role: m.role,
            created_at: m.created_at,
        })
        .collect())
}
