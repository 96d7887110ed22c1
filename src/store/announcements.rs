//! Announcements of an event, and system announcements to everyone.

use crate::model::{AnnouncementId, AnnouncementKind, EventId, Priority, RoundId, Target, UserId};
use chrono::{DateTime, Utc};
use entity::{announcement, system_announcement, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, ModelTrait, QueryFilter,
    QueryOrder, Set,
};
use std::collections::HashMap;

/// A round's (or the event's) plain announcement, as seed 000 posts them.
pub async fn create(
    db: &DatabaseConnection,
    event: EventId,
    round: Option<RoundId>,
    message: String,
    author: UserId,
) -> Result<announcement::Model, DbErr> {
    insert(
        db,
        NewAnnouncement {
            event,
            round,
            title: None,
            message,
            kind: AnnouncementKind::General,
            priority: Priority::Normal,
            target: Target::Event,
            expires_at: None,
            author,
        },
    )
    .await
}

pub struct NewAnnouncement {
    pub event: EventId,
    pub round: Option<RoundId>,
    pub title: Option<String>,
    pub message: String,
    pub kind: AnnouncementKind,
    pub priority: Priority,
    pub target: Target,
    pub expires_at: Option<DateTime<Utc>>,
    pub author: UserId,
}

pub async fn insert(db: &DatabaseConnection, a: NewAnnouncement) -> Result<announcement::Model, DbErr> {
    announcement::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        event_id: Set(a.event.0),
        round_id: Set(a.round.map(|r| r.0)),
        message: Set(a.message),
        author_id: Set(a.author.0),
        created_at: Set(Utc::now()),
        title: Set(a.title),
        kind: Set(a.kind.as_str().to_owned()),
        priority: Set(a.priority.as_str().to_owned()),
        target: Set(a.target.kind_str().to_owned()),
        target_ids: Set(a.target.ids_json()),
        expires_at: Set(a.expires_at),
        updated_at: Set(None),
    }
    .insert(db)
    .await
}

pub async fn get(db: &DatabaseConnection, id: AnnouncementId) -> Result<Option<announcement::Model>, DbErr> {
    announcement::Entity::find_by_id(id.0).one(db).await
}

/// Every announcement of the event, newest first.
pub async fn list(db: &DatabaseConnection, event: EventId) -> Result<Vec<announcement::Model>, DbErr> {
    announcement::Entity::find()
        .filter(announcement::Column::EventId.eq(event.0))
        .order_by_desc(announcement::Column::CreatedAt)
        .order_by_desc(announcement::Column::Id)
        .all(db)
        .await
}

/// The event's announcements (not a round's) that have not expired at `now`.
pub async fn unexpired(
    db: &DatabaseConnection,
    event: EventId,
    now: DateTime<Utc>,
) -> Result<Vec<announcement::Model>, DbErr> {
    announcement::Entity::find()
        .filter(announcement::Column::EventId.eq(event.0))
        .filter(announcement::Column::RoundId.is_null())
        .filter(
            Condition::any()
                .add(announcement::Column::ExpiresAt.is_null())
                .add(announcement::Column::ExpiresAt.gt(now)),
        )
        .order_by_desc(announcement::Column::CreatedAt)
        .order_by_desc(announcement::Column::Id)
        .all(db)
        .await
}

pub async fn update(db: &DatabaseConnection, am: announcement::ActiveModel) -> Result<announcement::Model, DbErr> {
    am.update(db).await
}

pub async fn delete(db: &DatabaseConnection, m: announcement::Model) -> Result<(), DbErr> {
    m.delete(db).await.map(drop)
}

/// Names of the given users, for showing authors.
pub async fn names(db: &DatabaseConnection, ids: &[uuid::Uuid]) -> Result<HashMap<uuid::Uuid, String>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

pub struct NewSystemAnnouncement {
    pub title: Option<String>,
    pub message: String,
    pub kind: AnnouncementKind,
    pub priority: Priority,
    pub expires_at: Option<DateTime<Utc>>,
    pub author: UserId,
}

pub async fn create_system(
    db: &DatabaseConnection,
    a: NewSystemAnnouncement,
) -> Result<system_announcement::Model, DbErr> {
    system_announcement::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        title: Set(a.title),
        message: Set(a.message),
        kind: Set(a.kind.as_str().to_owned()),
        priority: Set(a.priority.as_str().to_owned()),
        author_id: Set(a.author.0),
        expires_at: Set(a.expires_at),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
}

/// System announcements, newest first; with `active_at`, only those not
/// expired at that time.
pub async fn list_system(
    db: &DatabaseConnection,
    active_at: Option<DateTime<Utc>>,
) -> Result<Vec<system_announcement::Model>, DbErr> {
    let mut q = system_announcement::Entity::find();
    if let Some(now) = active_at {
        q = q.filter(
            Condition::any()
                .add(system_announcement::Column::ExpiresAt.is_null())
                .add(system_announcement::Column::ExpiresAt.gt(now)),
        );
    }
    q.order_by_desc(system_announcement::Column::CreatedAt)
        .order_by_desc(system_announcement::Column::Id)
        .all(db)
        .await
}

/// The users on any of these teams.
/// The members of these teams who may read `event`: on a private event,
/// only its owner and members (team and event membership are kept apart).
pub async fn team_members(
    db: &DatabaseConnection,
    event: EventId,
    teams: &[crate::model::TeamId],
) -> Result<Vec<UserId>, DbErr> {
    if teams.is_empty() {
        return Ok(Vec::new());
    }
    let members = entity::team_member::Entity::find()
        .filter(entity::team_member::Column::TeamId.is_in(teams.iter().map(|t| t.0)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| UserId(m.user_id));
    let Some(ev) = entity::event::Entity::find_by_id(event.0).one(db).await? else {
        return Ok(Vec::new());
    };
    if crate::model::Visibility::parse_stored(&ev.visibility) == crate::model::Visibility::Public {
        return Ok(members.collect());
    }
    let readers: std::collections::HashSet<uuid::Uuid> = entity::event_member::Entity::find()
        .filter(entity::event_member::Column::EventId.eq(event.0))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .chain([ev.owner_id])
        .collect();
    Ok(members.filter(|u| readers.contains(&u.0)).collect())
}

/// The event's members holding any of these roles.
pub async fn members_with_roles(
    db: &DatabaseConnection,
    event: EventId,
    roles: &[crate::model::MemberRole],
) -> Result<Vec<UserId>, DbErr> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    Ok(entity::event_member::Entity::find()
        .filter(entity::event_member::Column::EventId.eq(event.0))
        .filter(entity::event_member::Column::Role.is_in(roles.iter().map(|r| r.as_str())))
        .all(db)
        .await?
        .into_iter()
        .map(|m| UserId(m.user_id))
        .collect())
}

/// The teams of the event that the user is on.
pub async fn teams_of(
    db: &DatabaseConnection,
    event: EventId,
    user: UserId,
) -> Result<Vec<crate::model::TeamId>, DbErr> {
    let mine: Vec<uuid::Uuid> = entity::team_member::Entity::find()
        .filter(entity::team_member::Column::UserId.eq(user.0))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.team_id)
        .collect();
    if mine.is_empty() {
        return Ok(Vec::new());
    }
    Ok(entity::team::Entity::find()
        .filter(entity::team::Column::EventId.eq(event.0))
        .filter(entity::team::Column::Id.is_in(mine))
        .all(db)
        .await?
        .into_iter()
        .map(|t| crate::model::TeamId(t.id))
        .collect())
}
