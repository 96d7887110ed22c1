//! What rating sessions put on the wire and answer over REST.

use crate::clock::{ser_opt_time, ser_time};
use crate::model::{EventId, RatingItemId, RatingSessionId, SessionStatus, Stars, UserId};
use chrono::{DateTime, Utc};
use entity::{rating_item, rating_session};
use serde::Serialize;

/// A session as everyone who may see it sees it (`session_created`,
/// `session_started`, `session_finished`, REST).
#[derive(Clone, Debug, Serialize)]
pub struct SessionView {
    pub id: RatingSessionId,
    pub event_id: EventId,
    pub title: String,
    pub status: SessionStatus,
    pub item_count: u64,
    pub created_by: UserId,
    #[serde(serialize_with = "ser_time")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_opt_time")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_opt_time")]
    pub finished_at: Option<DateTime<Utc>>,
}

impl SessionView {
    pub fn new(s: &rating_session::Model, item_count: u64) -> Self {
        Self {
            id: RatingSessionId(s.id),
            event_id: EventId(s.event_id),
            title: s.title.clone(),
            status: SessionStatus::parse_stored(&s.status),
            item_count,
            created_by: UserId(s.created_by),
            created_at: s.created_at,
            started_at: s.started_at,
            finished_at: s.finished_at,
        }
    }
}

/// `session_state`: the session as the state of its topics.
#[derive(Debug, Serialize)]
pub struct SessionState<'a> {
    #[serde(flatten)]
    pub session: &'a SessionView,
    pub version: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ItemView {
    pub id: RatingItemId,
    pub session_id: RatingSessionId,
    pub position: i32,
    pub title: String,
    pub image_url: Option<String>,
    #[serde(serialize_with = "ser_time")]
    pub created_at: DateTime<Utc>,
}

impl ItemView {
    pub fn new(i: &rating_item::Model) -> Self {
        Self {
            id: RatingItemId(i.id),
            session_id: RatingSessionId(i.session_id),
            position: i.position,
            title: i.title.clone(),
            image_url: i.image_url.clone(),
            created_at: i.created_at,
        }
    }
}

/// An item with the caller's own rating (`GET …/items`).
#[derive(Debug, Serialize)]
pub struct MyItem {
    #[serde(flatten)]
    pub item: ItemView,
    pub my_rating: Option<Stars>,
}

/// `memes_populated`: items were added.
#[derive(Debug, Serialize)]
pub struct MemesPopulated<'a> {
    pub session_id: RatingSessionId,
    pub event_id: EventId,
    pub added: usize,
    pub item_count: u64,
    pub items: &'a [ItemView],
}

/// `new_rating`: who rated what (the admin group only).
#[derive(Debug, Serialize)]
pub struct NewRating {
    pub session_id: RatingSessionId,
    pub event_id: EventId,
    pub item_id: RatingItemId,
    pub item_title: String,
    pub user_id: UserId,
    pub user: String,
    pub value: Stars,
    /// The value this replaced, when the user had rated the item before.
    pub previous: Option<Stars>,
    #[serde(serialize_with = "ser_time")]
    pub rated_at: DateTime<Utc>,
}

/// The reply to a rating, and `rating_progress` on the rater's own topic.
#[derive(Clone, Debug, Serialize)]
pub struct RatingReceipt {
    pub session_id: RatingSessionId,
    pub event_id: EventId,
    pub item_id: RatingItemId,
    pub value: Stars,
    pub previous: Option<Stars>,
    /// Items of the session the rater has rated so far, of `total`.
    pub rated: u64,
    pub total: u64,
    #[serde(serialize_with = "ser_time")]
    pub rated_at: DateTime<Utc>,
}

/// One item's figures in `stats_updated`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemStats {
    pub item_id: RatingItemId,
    pub position: i32,
    pub title: String,
    pub image_url: Option<String>,
    pub count: u64,
    /// Mean stars, 6 decimals; `null` while nobody has rated the item.
    pub average: Option<f64>,
    /// How many gave 1, 2, 3, 4 and 5 stars.
    pub distribution: [u64; 5],
}

/// `stats_updated` (state of `rating:{id}:admin`) and `GET …/stats`.
#[derive(Clone, Debug, Serialize)]
pub struct SessionStats {
    pub session_id: RatingSessionId,
    pub event_id: EventId,
    pub status: SessionStatus,
    pub version: u64,
    pub item_count: usize,
    pub total_ratings: u64,
    /// Distinct users who rated at least one item.
    pub participants: u64,
    /// Mean over every rating of the session; `null` when there is none.
    pub average: Option<f64>,
    pub items: Vec<ItemStats>,
    pub server_time: String,
}
