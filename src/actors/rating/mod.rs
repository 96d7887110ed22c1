//! One actor per event with rating sessions (seed 004): the single writer
//! for its sessions, their items and ratings, and the publisher of each
//! session's figures.
//!
//! Commands are handled like the leaderboard's: validate → persist →
//! publish, with the mailbox held (`AtomicResponse`) so two never
//! interleave. Rights are checked by the handlers before they ask.
//!
//! Figures are recomputed from the database, coalesced per session: a
//! rating marks its session dirty; the figures are recomputed at once if
//! the last computation of that session is at least `COALESCE` old, else
//! once it is (ratings made meanwhile ride along). A burst of ratings costs
//! at most one `stats_updated` per session per `COALESCE`, and the last one
//! always shows the last rating.
//!
//! Who hears what (docs/ratings.md): lifecycle on `event:{id}` and both
//! session topics; items and `session_state` on both session topics;
//! `new_rating` and `stats_updated` on `rating:{id}:admin` only; each rater
//! their own `rating_progress` on `user:{id}`.

mod payload;
mod stats;

pub use payload::*;
pub use stats::{clock_version, compute, read as read_stats};

use super::registry::{Publish, Retain};
use crate::bus::Bus;
use crate::error::{AppError, AppResult};
use crate::model::{EventId, RatingItemId, RatingSessionId, SessionStatus, Stars, UserId};
use crate::protocol::Topic;
use crate::store;
use crate::store::ratings::NewItem;
use actix::prelude::*;
use chrono::Utc;
use entity::rating_session;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The shortest time between two `stats_updated` of one session.
pub const COALESCE: Duration = Duration::from_millis(250);

/// The most items one session may hold.
pub const MAX_ITEMS: u64 = 1000;

// ---- commands -------------------------------------------------------------

#[derive(Message)]
#[rtype(result = "AppResult<SessionView>")]
pub struct CreateSession {
    pub title: String,
    pub by: UserId,
}

#[derive(Message)]
#[rtype(result = "AppResult<SessionView>")]
pub struct StartSession {
    pub session: RatingSessionId,
}

#[derive(Message)]
#[rtype(result = "AppResult<SessionView>")]
pub struct FinishSession {
    pub session: RatingSessionId,
}

#[derive(Message)]
#[rtype(result = "AppResult<Vec<ItemView>>")]
pub struct AddItems {
    pub session: RatingSessionId,
    pub items: Vec<NewItem>,
}

/// Creates or replaces the user's rating of an item. Replies with the
/// receipt and whether the rating is new.
#[derive(Message)]
#[rtype(result = "AppResult<(RatingReceipt, bool)>")]
pub struct Rate {
    pub session: RatingSessionId,
    pub item: RatingItemId,
    pub user: UserId,
    pub user_name: String,
    pub value: Stars,
}

// ---- the actor ------------------------------------------------------------

/// What a command did, applied once it is persisted.
struct Done<T> {
    reply: T,
    publish: Vec<Publish>,
    /// The session whose figures changed, if any.
    dirty: Option<RatingSessionId>,
    /// The session whose `session_state` changed, if any.
    state: Option<SessionView>,
}

fn push<D: Serialize>(out: &mut Vec<Publish>, topic: Topic, kind: &'static str, data: &D) {
    out.extend(Publish::new(topic, kind, data, Retain::History));
}

/// A lifecycle message for both groups of the session and the event room.
fn push_lifecycle(out: &mut Vec<Publish>, kind: &'static str, view: &SessionView) {
    for topic in [
        Topic::Event(view.event_id),
        Topic::Rating(view.id),
        Topic::RatingAdmin(view.id),
    ] {
        push(out, topic, kind, view);
    }
}

/// Coalescing of one session's figures.
#[derive(Default)]
struct Figures {
    dirty: bool,
    scheduled: bool,
    last_run: Option<Instant>,
}

/// Someone follows a session's topics: publishes its state and figures
/// unless this actor already has (after a restart the registry holds none).
#[derive(Message)]
#[rtype(result = "AppResult<()>")]
pub struct Recall {
    pub session: RatingSessionId,
}

pub struct Ratings {
    id: EventId,
    db: DatabaseConnection,
    bus: Bus,
    version: u64,
    figures: HashMap<RatingSessionId, Figures>,
}

impl Ratings {
    pub fn new(id: EventId, db: DatabaseConnection, bus: Bus) -> Self {
        Self {
            id,
            db,
            bus,
            version: clock_version(),
            figures: HashMap::new(),
        }
    }

    /// One counter for every state this actor publishes: it only grows, and
    /// keeps growing across restarts.
    fn bump(&mut self) -> u64 {
        self.version = (self.version + 1).max(clock_version());
        self.version
    }

    fn mark_dirty(&mut self, session: RatingSessionId, ctx: &mut Context<Self>) {
        self.figures.entry(session).or_default().dirty = true;
        self.flush(session, ctx);
    }

    /// Recomputes now if the session's last run is `COALESCE` old, else
    /// once it is. Checked after every command as well as by the timer: the
    /// timer only fires when the mailbox is idle, and a steady stream of
    /// ratings must still move the figures a few times a second.
    fn flush(&mut self, session: RatingSessionId, ctx: &mut Context<Self>) {
        let Some(f) = self.figures.get_mut(&session) else {
            return;
        };
        if !f.dirty {
            return;
        }
        let now = Instant::now();
        let due = f.last_run.map_or(now, |t| t + COALESCE);
        if now >= due {
            f.dirty = false;
            f.last_run = Some(now);
            self.recompute(session, ctx);
        } else if !f.scheduled {
            f.scheduled = true;
            ctx.run_later(due - now, move |act, ctx| {
                if let Some(f) = act.figures.get_mut(&session) {
                    f.scheduled = false;
                }
                act.flush(session, ctx);
            });
        }
    }

    /// Reads the figures with the mailbox held (so they see every rating
    /// handled so far and none half-done) and publishes them.
    fn recompute(&mut self, session: RatingSessionId, ctx: &mut Context<Self>) {
        let version = self.bump();
        let db = self.db.clone();
        ctx.wait(
            async move {
                let s = store::ratings::session(&db, session)
                    .await?
                    .ok_or_else(|| AppError::not_found("rating session"))?;
                read_stats(&db, &s, version).await
            }
            .into_actor(self)
            .map(move |res, act, ctx| match res {
                Ok(stats) => {
                    act.bus
                        .publish(Topic::RatingAdmin(session), "stats_updated", &stats, Retain::State);
                }
                Err(AppError::NotFound(_)) => {
                    act.figures.remove(&session);
                }
                Err(e) => {
                    tracing::error!(%session, error = %e, "could not compute rating figures; retrying");
                    act.mark_dirty(session, ctx);
                }
            }),
        );
    }

    fn publish_state(&mut self, view: &SessionView) {
        let data = SessionState {
            session: view,
            version: self.bump(),
        };
        self.bus.publish_all(
            &[Topic::Rating(view.id), Topic::RatingAdmin(view.id)],
            "session_state",
            &data,
            Retain::State,
        );
    }

    /// Runs a command with the mailbox held, then publishes what it did.
    fn transact<T: 'static>(
        &mut self,
        fut: impl std::future::Future<Output = AppResult<Done<T>>> + 'static,
    ) -> AtomicResponse<Self, AppResult<T>> {
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(|res, act, ctx| {
            let done = res?;
            for p in done.publish {
                act.bus.publish_raw(p);
            }
            if let Some(view) = &done.state {
                act.publish_state(view);
            }
            if let Some(s) = done.dirty {
                act.mark_dirty(s, ctx);
            }
            Ok(done.reply)
        })))
    }
}

impl Actor for Ratings {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Handlers `send` and wait; a burst of ratings queues here.
        ctx.set_mailbox_capacity(4096);
    }
}

// ---- transitions (database only) -----------------------------------------

/// The session, which must belong to this event.
async fn session_of(db: &DatabaseConnection, event: EventId, id: RatingSessionId) -> AppResult<rating_session::Model> {
    store::ratings::session(db, id)
        .await?
        .filter(|s| s.event_id == event.0)
        .ok_or_else(|| AppError::not_found("rating session"))
}

fn status_of(s: &rating_session::Model) -> SessionStatus {
    SessionStatus::parse_stored(&s.status)
}

async fn create(db: DatabaseConnection, event: EventId, msg: CreateSession) -> AppResult<Done<SessionView>> {
    let s = store::ratings::create_session(&db, event, msg.title, msg.by, Utc::now()).await?;
    let view = SessionView::new(&s, 0);
    let mut publish = Vec::new();
    push_lifecycle(&mut publish, "session_created", &view);
    Ok(Done {
        reply: view.clone(),
        publish,
        dirty: Some(view.id),
        state: Some(view),
    })
}

async fn start(db: DatabaseConnection, event: EventId, msg: StartSession) -> AppResult<Done<SessionView>> {
    let s = session_of(&db, event, msg.session).await?;
    match status_of(&s) {
        SessionStatus::Created => {}
        SessionStatus::Active => return Err(AppError::Conflict("the session is already active".into())),
        SessionStatus::Finished => return Err(AppError::Conflict("the session is finished".into())),
    }
    let count = store::ratings::item_count(&db, msg.session).await?;
    if count == 0 {
        return Err(AppError::Conflict("add items before starting the session".into()));
    }
    let s = store::ratings::set_status(&db, s, SessionStatus::Active, Utc::now()).await?;
    let view = SessionView::new(&s, count);
    let mut publish = Vec::new();
    push_lifecycle(&mut publish, "session_started", &view);
    Ok(Done {
        reply: view.clone(),
        publish,
        dirty: Some(view.id),
        state: Some(view),
    })
}

async fn finish(db: DatabaseConnection, event: EventId, msg: FinishSession) -> AppResult<Done<SessionView>> {
    let s = session_of(&db, event, msg.session).await?;
    match status_of(&s) {
        SessionStatus::Active => {}
        SessionStatus::Created => {
            return Err(AppError::Conflict(
                "the session has not started: start it before finishing it".into(),
            ))
        }
        SessionStatus::Finished => return Err(AppError::Conflict("the session is already finished".into())),
    }
    let count = store::ratings::item_count(&db, msg.session).await?;
    let s = store::ratings::set_status(&db, s, SessionStatus::Finished, Utc::now()).await?;
    let view = SessionView::new(&s, count);
    let mut publish = Vec::new();
    push_lifecycle(&mut publish, "session_finished", &view);
    Ok(Done {
        reply: view.clone(),
        publish,
        dirty: Some(view.id),
        state: Some(view),
    })
}

async fn add_items(db: DatabaseConnection, event: EventId, msg: AddItems) -> AppResult<Done<Vec<ItemView>>> {
    let s = session_of(&db, event, msg.session).await?;
    if status_of(&s) == SessionStatus::Finished {
        return Err(AppError::Conflict("the session is finished: no more items".into()));
    }
    let before = store::ratings::item_count(&db, msg.session).await?;
    let adding = msg.items.len() as u64;
    if before + adding > MAX_ITEMS {
        return Err(AppError::Invalid(format!(
            "a session holds at most {MAX_ITEMS} items ({before} already)"
        )));
    }
    let first = i32::try_from(before + 1).map_err(AppError::internal)?;
    let added = store::ratings::add_items(&db, msg.session, first, msg.items, Utc::now()).await?;
    let items: Vec<ItemView> = added.iter().map(ItemView::new).collect();
    let count = before + adding;
    let view = SessionView::new(&s, count);
    let mut publish = Vec::new();
    let data = MemesPopulated {
        session_id: view.id,
        event_id: view.event_id,
        added: items.len(),
        item_count: count,
        items: &items,
    };
    for topic in [Topic::Rating(view.id), Topic::RatingAdmin(view.id)] {
        push(&mut publish, topic, "memes_populated", &data);
    }
    Ok(Done {
        reply: items,
        publish,
        dirty: Some(view.id),
        state: Some(view),
    })
}

async fn rate(db: DatabaseConnection, event: EventId, msg: Rate) -> AppResult<Done<(RatingReceipt, bool)>> {
    let s = session_of(&db, event, msg.session).await?;
    match status_of(&s) {
        SessionStatus::Active => {}
        SessionStatus::Created => return Err(AppError::Conflict("the session has not started yet".into())),
        SessionStatus::Finished => return Err(AppError::Conflict("the session is finished".into())),
    }
    let item = store::ratings::item(&db, msg.item)
        .await?
        .filter(|i| i.session_id == s.id)
        .ok_or_else(|| AppError::not_found("item"))?;
    let at = Utc::now();
    let (_, previous) = store::ratings::put_rating(&db, &item, msg.user, msg.value, at).await?;
    let rated = store::ratings::rated_by(&db, msg.session, msg.user).await?;
    let total = store::ratings::item_count(&db, msg.session).await?;
    let receipt = RatingReceipt {
        session_id: msg.session,
        event_id: event,
        item_id: msg.item,
        value: msg.value,
        previous,
        rated,
        total,
        rated_at: at,
    };
    let mut publish = Vec::new();
    push(
        &mut publish,
        Topic::RatingAdmin(msg.session),
        "new_rating",
        &NewRating {
            session_id: msg.session,
            event_id: event,
            item_id: msg.item,
            item_title: item.title.clone(),
            user_id: msg.user,
            user: msg.user_name,
            value: msg.value,
            previous,
            rated_at: at,
        },
    );
    push(&mut publish, Topic::User(msg.user), "rating_progress", &receipt);
    Ok(Done {
        reply: (receipt, previous.is_none()),
        publish,
        dirty: Some(msg.session),
        state: None,
    })
}

// ---- handlers -------------------------------------------------------------

macro_rules! command {
    ($msg:ty, $reply:ty, $run:path) => {
        impl Handler<$msg> for Ratings {
            type Result = AtomicResponse<Self, AppResult<$reply>>;
            fn handle(&mut self, msg: $msg, _: &mut Context<Self>) -> Self::Result {
                let fut = $run(self.db.clone(), self.id, msg);
                self.transact(fut)
            }
        }
    };
}

command!(CreateSession, SessionView, create);
command!(StartSession, SessionView, start);
command!(FinishSession, SessionView, finish);
command!(AddItems, Vec<ItemView>, add_items);
command!(Rate, (RatingReceipt, bool), rate);

impl Handler<Recall> for Ratings {
    type Result = AtomicResponse<Self, AppResult<()>>;
    fn handle(&mut self, msg: Recall, _: &mut Context<Self>) -> Self::Result {
        // Every change marks the session in `figures`, so a session there
        // has had its state published in this actor's life.
        let known = self.figures.contains_key(&msg.session);
        let (db, event) = (self.db.clone(), self.id);
        let fut = async move {
            if known {
                return Ok::<_, AppError>(None);
            }
            let s = session_of(&db, event, msg.session).await?;
            let count = store::ratings::item_count(&db, msg.session).await?;
            Ok(Some(SessionView::new(&s, count)))
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(move |res, act, ctx| {
            if let Some(view) = res? {
                if !act.figures.contains_key(&msg.session) {
                    act.publish_state(&view);
                    act.mark_dirty(msg.session, ctx);
                }
            }
            Ok(())
        })))
    }
}
