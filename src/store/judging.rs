//! Judging records other than scores: categories with their criteria,
//! judges assigned to categories, certifications, and each event's judging
//! state (locked, results published).

use crate::model::{CategoryId, EventId, MemberRole, UserId};
use chrono::{DateTime, Utc};
use entity::{category, category_judge, certification, criterion, event_member, judging_state, user};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};

/// A criterion as given when creating a category (already validated).
#[derive(Clone, Debug)]
pub struct NewCriterion {
    pub name: String,
    pub weight: f64,
    pub min: f64,
    pub max: f64,
}

/// Creates a category and its criteria together.
pub async fn create_category(
    db: &DatabaseConnection,
    event: EventId,
    name: String,
    criteria: Vec<NewCriterion>,
) -> Result<(category::Model, Vec<criterion::Model>), DbErr> {
    let txn = db.begin().await?;
    let cat = category::ActiveModel {
        id: Set(CategoryId::new().0),
        event_id: Set(event.0),
        name: Set(name),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    let mut out = Vec::with_capacity(criteria.len());
    for (position, c) in (0i32..).zip(criteria) {
        let m = criterion::ActiveModel {
            id: Set(uuid::Uuid::new_v4()),
            category_id: Set(cat.id),
            position: Set(position),
            name: Set(c.name),
            weight: Set(c.weight),
            min_value: Set(c.min),
            max_value: Set(c.max),
        }
        .insert(&txn)
        .await?;
        out.push(m);
    }
    txn.commit().await?;
    Ok((cat, out))
}

/// The event's categories, oldest first.
pub async fn categories(db: &DatabaseConnection, event: EventId) -> Result<Vec<category::Model>, DbErr> {
    category::Entity::find()
        .filter(category::Column::EventId.eq(event.0))
        .order_by_asc(category::Column::CreatedAt)
        .order_by_asc(category::Column::Name)
        .all(db)
        .await
}

/// A category's criteria in the order they were given.
pub async fn criteria(db: &DatabaseConnection, category: CategoryId) -> Result<Vec<criterion::Model>, DbErr> {
    criterion::Entity::find()
        .filter(criterion::Column::CategoryId.eq(category.0))
        .order_by_asc(criterion::Column::Position)
        .all(db)
        .await
}

/// Assigns a judge to a category (again is a no-op).
pub async fn assign_judge(db: &DatabaseConnection, category: CategoryId, user: UserId) -> Result<(), DbErr> {
    category_judge::Entity::insert(category_judge::ActiveModel {
        category_id: Set(category.0),
        user_id: Set(user.0),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([category_judge::Column::CategoryId, category_judge::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(db)
    .await?;
    Ok(())
}

pub async fn is_judge(db: &DatabaseConnection, category: CategoryId, user: UserId) -> Result<bool, DbErr> {
    Ok(category_judge::Entity::find_by_id((category.0, user.0))
        .one(db)
        .await?
        .is_some())
}

/// The judges of a category with their names, by name.
pub async fn judges(db: &DatabaseConnection, category: CategoryId) -> Result<Vec<user::Model>, DbErr> {
    let ids: Vec<uuid::Uuid> = category_judge::Entity::find()
        .filter(category_judge::Column::CategoryId.eq(category.0))
        .all(db)
        .await?
        .into_iter()
        .map(|j| j.user_id)
        .collect();
    users(db, ids).await
}

/// Users by id, by name (unknown ids are skipped).
pub async fn users(db: &DatabaseConnection, ids: Vec<uuid::Uuid>) -> Result<Vec<user::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .order_by_asc(user::Column::Name)
        .all(db)
        .await
}

/// The members of an event holding `role` there.
pub async fn members_with_role(
    db: &DatabaseConnection,
    event: EventId,
    role: MemberRole,
) -> Result<Vec<UserId>, DbErr> {
    Ok(event_member::Entity::find()
        .filter(event_member::Column::EventId.eq(event.0))
        .filter(event_member::Column::Role.eq(role.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| UserId(m.user_id))
        .collect())
}

pub async fn certification(
    db: &DatabaseConnection,
    category: CategoryId,
) -> Result<Option<certification::Model>, DbErr> {
    certification::Entity::find_by_id(category.0).one(db).await
}

pub async fn certifications(db: &DatabaseConnection, event: EventId) -> Result<Vec<certification::Model>, DbErr> {
    certification::Entity::find()
        .filter(certification::Column::EventId.eq(event.0))
        .all(db)
        .await
}

pub async fn certify(
    db: &DatabaseConnection,
    category: &category::Model,
    by: UserId,
    at: DateTime<Utc>,
) -> Result<certification::Model, DbErr> {
    certification::ActiveModel {
        category_id: Set(category.id),
        event_id: Set(category.event_id),
        status: Set("certified".into()),
        certified_by: Set(by.0),
        certified_at: Set(at),
    }
    .insert(db)
    .await
}

/// The event's judging state; `None` until it is locked.
pub async fn state(db: &DatabaseConnection, event: EventId) -> Result<Option<judging_state::Model>, DbErr> {
    judging_state::Entity::find_by_id(event.0).one(db).await
}

pub async fn lock(
    db: &DatabaseConnection,
    event: EventId,
    by: UserId,
    at: DateTime<Utc>,
) -> Result<judging_state::Model, DbErr> {
    match state(db, event).await? {
        Some(s) => {
            let mut am = s.into_active_model();
            am.locked_at = Set(Some(at));
            am.locked_by = Set(Some(by.0));
            am.update(db).await
        }
        None => {
            judging_state::ActiveModel {
                event_id: Set(event.0),
                locked_at: Set(Some(at)),
                locked_by: Set(Some(by.0)),
                results_published_at: Set(None),
                results_published_by: Set(None),
            }
            .insert(db)
            .await
        }
    }
}

pub async fn publish_results(
    db: &DatabaseConnection,
    locked: judging_state::Model,
    by: UserId,
    at: DateTime<Utc>,
) -> Result<judging_state::Model, DbErr> {
    let mut am = locked.into_active_model();
    am.results_published_at = Set(Some(at));
    am.results_published_by = Set(Some(by.0));
    am.update(db).await
}
