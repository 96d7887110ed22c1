use crate::model::{Role, UserId};
use chrono::Utc;
use entity::user;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};

pub async fn by_name(db: &DatabaseConnection, name: &str) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find().filter(user::Column::Name.eq(name)).one(db).await
}

pub async fn by_id(db: &DatabaseConnection, id: UserId) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id.0).one(db).await
}

pub async fn create(
    db: &DatabaseConnection,
    name: &str,
    password_hash: Option<String>,
    role: Role,
) -> Result<user::Model, DbErr> {
    user::ActiveModel {
        id: Set(UserId::new().0),
        name: Set(name.to_owned()),
        password_hash: Set(password_hash),
        role: Set(role.as_str().to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
}

/// The named user, created with `role` when missing. An existing user keeps
/// the role already stored.
pub async fn ensure(db: &DatabaseConnection, name: &str, role: Role) -> Result<user::Model, DbErr> {
    match by_name(db, name).await? {
        Some(u) => Ok(u),
        None => create(db, name, None, role).await,
    }
}

pub async fn set_password(db: &DatabaseConnection, user: user::Model, hash: String) -> Result<user::Model, DbErr> {
    let mut am: user::ActiveModel = user.into();
    am.password_hash = Set(Some(hash));
    am.update(db).await
}
