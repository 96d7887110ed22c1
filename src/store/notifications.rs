//! Per-user notifications (seed 003): persisted first, then pushed to
//! `user:{id}` as `notification`, followed by the user's new `unread_count`
//! (a versioned state). `notify_many` is the one call other code needs.

use crate::actors::registry::Retain;
use crate::bus::Bus;
use crate::model::{EventId, NotificationId, NotificationKind, UserId};
use crate::protocol::Topic;
use chrono::{DateTime, Utc};
use entity::notification;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

pub struct NewNotification {
    pub user: UserId,
    pub event: Option<EventId>,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub data: Option<serde_json::Value>,
}

/// A notification as its user sees it, over REST and on `user:{id}`.
#[derive(Clone, Debug, Serialize)]
pub struct NotificationView {
    pub notification_id: NotificationId,
    pub user_id: UserId,
    pub event_id: Option<EventId>,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub data: Option<serde_json::Value>,
    pub read: bool,
    #[serde(serialize_with = "crate::clock::ser_opt_time")]
    pub read_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::clock::ser_time")]
    pub created_at: DateTime<Utc>,
}

impl From<notification::Model> for NotificationView {
    fn from(m: notification::Model) -> Self {
        Self {
            notification_id: NotificationId(m.id),
            user_id: UserId(m.user_id),
            event_id: m.event_id.map(EventId),
            kind: NotificationKind::parse_stored(&m.kind),
            title: m.title,
            body: m.body,
            data: m.data,
            read: m.read_at.is_some(),
            read_at: m.read_at,
            created_at: m.created_at,
        }
    }
}

/// The `unread_count` state of `user:{id}`.
#[derive(Clone, Debug, Serialize)]
pub struct UnreadCount {
    pub user_id: UserId,
    pub unread: u64,
    pub version: u64,
}

/// Counting and publishing one user's count is serialized, so the count
/// kept as the topic's state is never older than one published before it.
/// The set holds the users whose count this process has published (so a
/// subscribe need not publish it again). One process only: with several
/// nodes this belongs to a per-user actor behind the bus.
struct Counts {
    published: HashSet<UserId>,
    version: u64,
}

impl Counts {
    /// Publishes `unread` as the user's count, with a version that only grows.
    fn publish(&mut self, bus: &Bus, user: UserId, unread: u64) {
        let now = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
        self.version = (self.version + 1).max(now);
        let state = UnreadCount {
            user_id: user,
            unread,
            version: self.version,
        };
        bus.publish(Topic::User(user), "unread_count", &state, Retain::State);
        self.published.insert(user);
    }
}

fn counts() -> &'static tokio::sync::Mutex<Counts> {
    static COUNTS: OnceLock<tokio::sync::Mutex<Counts>> = OnceLock::new();
    COUNTS.get_or_init(|| {
        tokio::sync::Mutex::new(Counts {
            published: HashSet::new(),
            version: 0,
        })
    })
}

/// The same notification for many users (an announcement's audience, an
/// organizer's message): stored in one transaction — all or none, so a
/// retry after an error never notifies anyone twice — then pushed, then one
/// grouped count for everyone's `unread_count`.
pub async fn notify_many(
    db: &DatabaseConnection,
    bus: &Bus,
    users: &[UserId],
    make: impl Fn(UserId) -> NewNotification,
) -> Result<usize, DbErr> {
    if users.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    let models: Vec<notification::Model> = users
        .iter()
        .map(|u| {
            let n = make(*u);
            notification::Model {
                id: uuid::Uuid::new_v4(),
                user_id: n.user.0,
                event_id: n.event.map(|e| e.0),
                kind: n.kind.as_str().to_owned(),
                title: n.title,
                body: n.body,
                data: n.data,
                read_at: None,
                created_at: now,
            }
        })
        .collect();
    let txn = db.begin().await?;
    // Chunked: a statement's bind parameters are limited (SQLite 32,766).
    for chunk in models.chunks(500) {
        notification::Entity::insert_many(chunk.iter().cloned().map(notification::ActiveModel::from))
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    for m in &models {
        let view = NotificationView::from(m.clone());
        bus.publish(Topic::User(view.user_id), "notification", &view, Retain::History);
    }
    let mut c = counts().lock().await;
    let mut unread: HashMap<UserId, u64> = HashMap::new();
    for chunk in users.chunks(500) {
        let rows: Vec<(uuid::Uuid, i64)> = notification::Entity::find()
            .select_only()
            .column(notification::Column::UserId)
            .column_as(notification::Column::Id.count(), "n")
            .filter(notification::Column::UserId.is_in(chunk.iter().map(|u| u.0)))
            .filter(notification::Column::ReadAt.is_null())
            .group_by(notification::Column::UserId)
            .into_tuple()
            .all(db)
            .await?;
        unread.extend(
            rows.into_iter()
                .map(|(u, n)| (UserId(u), u64::try_from(n).unwrap_or(0))),
        );
    }
    for u in users {
        c.publish(bus, *u, unread.get(u).copied().unwrap_or(0));
    }
    Ok(models.len())
}

/// Counts the user's unread notifications and publishes the count.
pub async fn publish_count(db: &DatabaseConnection, bus: &Bus, user: UserId) -> Result<u64, DbErr> {
    let mut c = counts().lock().await;
    let unread = unread_count(db, user).await?;
    c.publish(bus, user, unread);
    Ok(unread)
}

/// Before a subscribe to `user:{id}`: makes sure the topic holds the count.
pub async fn wake(db: &DatabaseConnection, bus: &Bus, user: UserId) -> Result<(), DbErr> {
    if counts().lock().await.published.contains(&user) {
        return Ok(());
    }
    publish_count(db, bus, user).await.map(drop)
}

pub async fn unread_count(db: &DatabaseConnection, user: UserId) -> Result<u64, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user.0))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await
}

/// The user's own notification; `None` for anyone else's.
pub async fn get_for(
    db: &DatabaseConnection,
    user: UserId,
    id: NotificationId,
) -> Result<Option<notification::Model>, DbErr> {
    Ok(notification::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .filter(|m| m.user_id == user.0))
}

/// The user's notifications, newest first, older than `before` (a
/// notification of theirs) when given.
pub async fn list(
    db: &DatabaseConnection,
    user: UserId,
    unread_only: bool,
    limit: u64,
    before: Option<&notification::Model>,
) -> Result<Vec<notification::Model>, DbErr> {
    let mut q = notification::Entity::find().filter(notification::Column::UserId.eq(user.0));
    if unread_only {
        q = q.filter(notification::Column::ReadAt.is_null());
    }
    if let Some(b) = before {
        q = q.filter(
            Condition::any()
                .add(notification::Column::CreatedAt.lt(b.created_at))
                .add(
                    Condition::all()
                        .add(notification::Column::CreatedAt.eq(b.created_at))
                        .add(notification::Column::Id.lt(b.id)),
                ),
        );
    }
    q.order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Marks one read (keeping the first read time); `None` if not theirs.
pub async fn mark_read(
    db: &DatabaseConnection,
    bus: &Bus,
    user: UserId,
    id: NotificationId,
) -> Result<Option<NotificationView>, DbErr> {
    let Some(m) = get_for(db, user, id).await? else {
        return Ok(None);
    };
    let m = if m.read_at.is_none() {
        // Conditional, so two concurrent calls keep the first read time.
        let res = notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
            .filter(notification::Column::Id.eq(m.id))
            .filter(notification::Column::ReadAt.is_null())
            .exec(db)
            .await?;
        if res.rows_affected > 0 {
            publish_count(db, bus, user).await?;
        }
        get_for(db, user, id).await?.unwrap_or(m)
    } else {
        m
    };
    Ok(Some(m.into()))
}

/// Marks every unread one read; answers how many were.
/// Marks all the user's notifications read: how many were marked, and the
/// unread count after (not 0 if one arrived meanwhile).
pub async fn mark_all_read(db: &DatabaseConnection, bus: &Bus, user: UserId) -> Result<(u64, u64), DbErr> {
    let res = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
        .filter(notification::Column::UserId.eq(user.0))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    let unread = publish_count(db, bus, user).await?;
    Ok((res.rows_affected, unread))
}

/// Deletes one of the user's own; `false` if not theirs.
pub async fn delete(db: &DatabaseConnection, bus: &Bus, user: UserId, id: NotificationId) -> Result<bool, DbErr> {
    let Some(m) = get_for(db, user, id).await? else {
        return Ok(false);
    };
    let unread = m.read_at.is_none();
    notification::Entity::delete_by_id(m.id).exec(db).await?;
    if unread {
        publish_count(db, bus, user).await?;
    }
    Ok(true)
}
