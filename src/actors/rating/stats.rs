//! A session's figures, computed from the database and nothing else.

use super::payload::{ItemStats, SessionStats};
use crate::clock::fmt_time;
use crate::error::AppResult;
use crate::model::{EventId, RatingItemId, RatingSessionId, SessionStatus, Stars};
use crate::store;
use chrono::Utc;
use entity::{rating, rating_item, rating_session};
use sea_orm::DatabaseConnection;
use std::collections::{HashMap, HashSet};

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn mean(sum: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| round6(sum as f64 / n as f64))
}

/// The figures of `session` given its items and ratings (pure).
pub fn compute(
    session: &rating_session::Model,
    items: &[rating_item::Model],
    ratings: &[rating::Model],
    version: u64,
) -> SessionStats {
    // item → (count, sum, distribution)
    let mut per_item: HashMap<uuid::Uuid, (u64, u64, [u64; 5])> = HashMap::new();
    let mut users = HashSet::new();
    let (mut total, mut sum) = (0u64, 0u64);
    for r in ratings {
        let Some(stars) = Stars::from_stored(r.value) else {
            continue;
        };
        let v = stars.get();
        let e = per_item.entry(r.item_id).or_default();
        e.0 += 1;
        e.1 += u64::from(v);
        if let Some(slot) = e.2.get_mut(usize::from(v - 1)) {
            *slot += 1;
        }
        users.insert(r.user_id);
        total += 1;
        sum += u64::from(v);
    }
    let items = items
        .iter()
        .map(|i| {
            let (count, s, distribution) = per_item.get(&i.id).copied().unwrap_or_default();
            ItemStats {
                item_id: RatingItemId(i.id),
                position: i.position,
                title: i.title.clone(),
                image_url: i.image_url.clone(),
                count,
                average: mean(s, count),
                distribution,
            }
        })
        .collect::<Vec<_>>();
    SessionStats {
        session_id: RatingSessionId(session.id),
        event_id: EventId(session.event_id),
        status: SessionStatus::parse_stored(&session.status),
        version,
        item_count: items.len(),
        total_ratings: total,
        participants: users.len() as u64,
        average: mean(sum, total),
        items,
        server_time: fmt_time(Utc::now()),
    }
}

/// Reads the session's items and ratings and computes its figures.
pub async fn read(db: &DatabaseConnection, session: &rating_session::Model, version: u64) -> AppResult<SessionStats> {
    let id = RatingSessionId(session.id);
    let items = store::ratings::items(db, id).await?;
    let ratings = store::ratings::ratings(db, id).await?;
    Ok(compute(session, &items, &ratings, version))
}

/// A version that only grows within a process and keeps growing across
/// restarts (the wall clock in milliseconds).
pub fn clock_version() -> u64 {
    u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::Utc;

    #[test]
    fn figures_count_average_and_spread_per_item_and_overall() {
        let session = rating_session::Model {
            id: uuid::Uuid::new_v4(),
            event_id: uuid::Uuid::new_v4(),
            title: "Memes".into(),
            status: "active".into(),
            created_by: uuid::Uuid::new_v4(),
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
        };
        let item = |pos: i32| rating_item::Model {
            id: uuid::Uuid::new_v4(),
            session_id: session.id,
            position: pos,
            title: format!("m{pos}"),
            image_url: None,
            created_at: Utc::now(),
        };
        let (a, b, c) = (item(1), item(2), item(3));
        let (u1, u2) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let r = |item: &rating_item::Model, user, value| rating::Model {
            item_id: item.id,
            user_id: user,
            session_id: session.id,
            value,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let ratings = [r(&a, u1, 5), r(&a, u2, 2), r(&b, u1, 4)];
        let s = compute(&session, &[a.clone(), b.clone(), c.clone()], &ratings, 9);
        assert_eq!((s.total_ratings, s.participants, s.item_count, s.version), (3, 2, 3, 9));
        assert_eq!(s.average, Some(round6(11.0 / 3.0)));
        assert_eq!(s.items[0].count, 2);
        assert_eq!(s.items[0].average, Some(3.5));
        assert_eq!(s.items[0].distribution, [0, 1, 0, 0, 1]);
        assert_eq!(s.items[1].average, Some(4.0));
        assert_eq!((s.items[2].count, s.items[2].average), (0, None));
        assert_eq!(s.status, SessionStatus::Active);
    }
}
