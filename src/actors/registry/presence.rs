//! Who is connected to each event, user by user: a user's first connection
//! joins, their last one leaves, however many tabs they open.

use crate::model::{EventId, UserId};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug, Serialize)]
pub struct Change {
    pub event_id: EventId,
    pub user_id: UserId,
    pub user: String,
    pub users: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Count {
    pub event_id: EventId,
    /// Distinct signed-in users connected.
    pub users: usize,
    /// Connections, anonymous ones included.
    pub connections: usize,
}

#[derive(Default)]
pub struct Presence {
    events: HashMap<EventId, HashMap<UserId, usize>>,
    connections: HashMap<EventId, usize>,
    dirty: HashSet<EventId>,
}

impl Presence {
    /// A connection subscribed to the event; `Some` when its user was not
    /// there before. Anonymous connections only count.
    pub fn join(&mut self, event: EventId, user: Option<(UserId, String)>) -> Option<Change> {
        *self.connections.entry(event).or_default() += 1;
        self.dirty.insert(event);
        let (user, name) = user?;
        let users = self.events.entry(event).or_default();
        let n = users.entry(user).or_default();
        *n += 1;
        (*n == 1).then_some(Change {
            event_id: event,
            user_id: user,
            user: name,
            users: users.len(),
        })
    }

    pub fn leave(&mut self, event: EventId, user: Option<(UserId, String)>) -> Option<Change> {
        if let Some(c) = self.connections.get_mut(&event) {
            *c = c.saturating_sub(1);
        }
        self.dirty.insert(event);
        let (user, name) = user?;
        let users = self.events.get_mut(&event)?;
        let n = users.get_mut(&user)?;
        *n -= 1;
        if *n > 0 {
            return None;
        }
        users.remove(&user);
        let left = users.len();
        if left == 0 {
            self.events.remove(&event);
        }
        Some(Change {
            event_id: event,
            user_id: user,
            user: name,
            users: left,
        })
    }

    /// Every followed event's counts, busiest first.
    pub fn all(&self) -> Vec<crate::protocol::payload::EventPresence> {
        let mut out: Vec<_> = self
            .connections
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(e, n)| crate::protocol::payload::EventPresence {
                event_id: *e,
                users: self.events.get(e).map_or(0, HashMap::len),
                connections: *n,
            })
            .collect();
        out.sort_by(|a, b| b.connections.cmp(&a.connections).then(a.event_id.cmp(&b.event_id)));
        out
    }

    /// Counts of events that changed since the last call (at most one
    /// publish per event per refresh, however many joins a storm brings).
    pub fn take_dirty(&mut self) -> Vec<(EventId, Count)> {
        let dirty: Vec<EventId> = self.dirty.drain().collect();
        dirty
            .into_iter()
            .map(|e| {
                let count = Count {
                    event_id: e,
                    users: self.events.get(&e).map_or(0, HashMap::len),
                    connections: self.connections.get(&e).copied().unwrap_or(0),
                };
                if count.connections == 0 {
                    self.connections.remove(&e);
                }
                (e, count)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_joins_with_the_first_tab_and_leaves_with_the_last() {
        let mut p = Presence::default();
        let (e, u) = (EventId::new(), UserId::new());
        let ann = || Some((u, "ann".to_owned()));
        assert!(p.join(e, ann()).is_some());
        assert!(p.join(e, ann()).is_none());
        assert!(p.join(e, None).is_none());
        assert_eq!(p.take_dirty()[0].1.connections, 3);
        assert!(p.leave(e, None).is_none());
        assert!(p.leave(e, ann()).is_none());
        let left = p.leave(e, ann());
        assert_eq!(left.map(|c| c.users), Some(0));
        let counts = p.take_dirty();
        assert_eq!(counts.len(), 1);
        assert_eq!((counts[0].1.users, counts[0].1.connections), (0, 0));
        assert!(p.take_dirty().is_empty());
    }
}
