//! The event actor as the single writer of its announcements (docs/announcements.md).
//!
//! It keeps the event's unexpired announcements (not a round's) in memory:
//! the whole-event ones are the `announcements_state` of
//! `event:{id}:announcements`, and one timer waits for the next expiry
//! deadline (recomputed from the stored `expires_at` after every change,
//! never counted down). An expired announcement leaves with an
//! `announcement_expired` frame to its audience and, when it was
//! whole-event, a new state.
//!
//! Who hears what: whole-event ones go to `event:{id}` and
//! `event:{id}:announcements`; team-targeted ones to each targeted
//! `team:{id}`; role-targeted ones to `user:{id}` of each member with the
//! role; targeted ones also to `user:{id}` of the event's organizers, and
//! each targeted recipient gets a persisted notification when one is made.

use super::EventActor;
use crate::actors::registry::Retain;
use crate::error::{AppError, AppResult};
use crate::model::{AnnouncementId, AnnouncementKind, EventId, NotificationKind, Priority, RoundId, Target, UserId};
use crate::protocol::Topic;
use crate::store;
use crate::store::announcements::NewAnnouncement;
use crate::store::notifications::NewNotification;
use actix::prelude::*;
use chrono::{DateTime, Utc};
use entity::announcement;
use sea_orm::{DatabaseConnection, IntoActiveModel, Set};
use serde::Serialize;
use std::collections::BTreeSet;

/// The most announcements a snapshot carries (newest first).
pub const SNAPSHOT_MAX: usize = 100;

/// An announcement on the wire. Keeps every field of the original
/// `announcement` payload (seed 000) and adds the rest.
#[derive(Clone, Debug, Serialize)]
pub struct AnnouncementView {
    pub announcement_id: uuid::Uuid,
    pub event_id: EventId,
    pub round_id: Option<RoundId>,
    pub title: Option<String>,
    pub message: String,
    #[serde(rename = "type")]
    pub kind: AnnouncementKind,
    pub priority: Priority,
    pub target: Target,
    #[serde(serialize_with = "crate::clock::ser_opt_time")]
    pub expires_at: Option<DateTime<Utc>>,
    pub author_id: UserId,
    pub author: String,
    #[serde(serialize_with = "crate::clock::ser_time")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::clock::ser_opt_time")]
    pub updated_at: Option<DateTime<Utc>>,
}

impl AnnouncementView {
    pub fn new(m: announcement::Model, author: String) -> Self {
        Self {
            announcement_id: m.id,
            event_id: EventId(m.event_id),
            round_id: m.round_id.map(RoundId),
            target: Target::from_stored(&m.target, m.target_ids.as_ref()),
            title: m.title,
            message: m.message,
            kind: AnnouncementKind::parse_stored(&m.kind),
            priority: Priority::parse_stored(&m.priority),
            expires_at: m.expires_at,
            author_id: UserId(m.author_id),
            author,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }

    pub fn expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    /// The payload of the targeted notification made for it.
    pub fn notification(&self, user: UserId) -> NewNotification {
        NewNotification {
            user,
            event: Some(self.event_id),
            kind: NotificationKind::Announcement,
            title: self.title.clone().unwrap_or_else(|| "Announcement".to_owned()),
            body: self.message.clone(),
            data: serde_json::to_value(self).ok(),
        }
    }
}

/// Views of stored announcements, with their authors' names.
pub async fn views(db: &DatabaseConnection, models: Vec<announcement::Model>) -> AppResult<Vec<AnnouncementView>> {
    let ids: Vec<uuid::Uuid> = models
        .iter()
        .map(|m| m.author_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let names = store::announcements::names(db, &ids).await?;
    Ok(models
        .into_iter()
        .map(|m| {
            let name = names.get(&m.author_id).cloned().unwrap_or_default();
            AnnouncementView::new(m, name)
        })
        .collect())
}

/// The `announcements_state` of `event:{id}:announcements`.
#[derive(Clone, Debug, Serialize)]
pub struct AnnouncementsState {
    pub event_id: EventId,
    pub version: u64,
    pub announcements: Vec<AnnouncementView>,
}

/// `announcement_deleted` and `announcement_expired`.
#[derive(Clone, Debug, Serialize)]
pub struct AnnouncementGone {
    pub announcement_id: uuid::Uuid,
    pub event_id: EventId,
    pub target: Target,
}

impl AnnouncementGone {
    fn of(v: &AnnouncementView) -> Self {
        Self {
            announcement_id: v.announcement_id,
            event_id: v.event_id,
            target: v.target.clone(),
        }
    }
}

/// Where an announcement's frames go, and who is notified of a new one.
struct Audience {
    topics: Vec<Topic>,
    notify: Vec<UserId>,
}

async fn audience(db: &DatabaseConnection, event: EventId, target: &Target) -> AppResult<Audience> {
    let recipients = match target {
        Target::Event => {
            return Ok(Audience {
                topics: vec![Topic::Event(event), Topic::EventAnnouncements(event)],
                notify: Vec::new(),
            })
        }
        Target::Teams { team_ids } => store::announcements::team_members(db, event, team_ids).await?,
        Target::Roles { roles } => store::announcements::members_with_roles(db, event, roles).await?,
    };
    let recipients: BTreeSet<UserId> = recipients.into_iter().collect();
    let mut users: BTreeSet<UserId> = organizers(db, event).await?;
    let mut topics = Vec::new();
    match target {
        Target::Teams { team_ids } => topics.extend(team_ids.iter().map(|t| Topic::Team(*t))),
        _ => users.extend(recipients.iter().copied()),
    }
    topics.extend(users.into_iter().map(Topic::User));
    Ok(Audience {
        topics,
        notify: recipients.into_iter().collect(),
    })
}

/// The event's owner and its organizer members.
async fn organizers(db: &DatabaseConnection, event: EventId) -> AppResult<BTreeSet<UserId>> {
    let mut out: BTreeSet<UserId> =
        store::announcements::members_with_roles(db, event, &[crate::model::MemberRole::Organizer])
            .await?
            .into_iter()
            .collect();
    if let Some(ev) = store::events::get(db, event).await? {
        out.insert(UserId(ev.owner_id));
    }
    Ok(out)
}

/// What the actor keeps of its announcements.
#[derive(Default)]
pub struct Board {
    /// Unexpired announcements of the event (not a round's), newest first.
    live: Vec<AnnouncementView>,
    version: u64,
    expiry: Option<SpawnHandle>,
}

// ---- commands -------------------------------------------------------------

#[derive(Message)]
/// Replies with the announcement and the users to notify of it: the caller
/// stores those notifications, so this actor (which also runs the event's
/// clocks) is not held for them.
#[rtype(result = "AppResult<(AnnouncementView, Vec<UserId>)>")]
pub struct CreateAnnouncement {
    pub new: NewAnnouncement,
    pub author_name: String,
}

/// Changes what is given; the target stays (delete and create to retarget).
#[derive(Default)]
pub struct AnnouncementPatch {
    pub title: Option<Option<String>>,
    pub message: Option<String>,
    pub kind: Option<AnnouncementKind>,
    pub priority: Option<Priority>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

#[derive(Message)]
#[rtype(result = "AppResult<AnnouncementView>")]
pub struct UpdateAnnouncement {
    pub id: AnnouncementId,
    pub patch: AnnouncementPatch,
}

#[derive(Message)]
#[rtype(result = "AppResult<()>")]
pub struct DeleteAnnouncement {
    pub id: AnnouncementId,
}

// ---- the actor's side -----------------------------------------------------

impl EventActor {
    /// Loads the unexpired announcements and publishes the state when it
    /// holds any. An event without any publishes none until its first
    /// announcement (no state means an empty list): the topic also carries
    /// custom publishes, whose followers expect only what was published.
    /// Runs with the mailbox held.
    pub(super) fn restore_announcements(&mut self, ctx: &mut Context<Self>) {
        let (db, id) = (self.db.clone(), self.id);
        ctx.wait(
            async move {
                let models = store::announcements::unexpired(&db, id, Utc::now()).await?;
                views(&db, models).await
            }
            .into_actor(self)
            .map(|res, act, ctx| {
                match res {
                    Ok(live) => act.board.live = live,
                    Err(e) => tracing::error!(event = %act.id, error = %e, "could not restore announcements"),
                }
                if act.board.live.iter().any(|a| a.target == Target::Event) {
                    act.publish_announcements();
                }
                act.schedule_expiry(ctx);
            }),
        );
    }

    fn publish_announcements(&mut self) {
        let now = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
        self.board.version = (self.board.version + 1).max(now);
        let state = AnnouncementsState {
            event_id: self.id,
            version: self.board.version,
            announcements: self
                .board
                .live
                .iter()
                .filter(|a| a.target == Target::Event)
                .take(SNAPSHOT_MAX)
                .cloned()
                .collect(),
        };
        self.bus.publish(
            Topic::EventAnnouncements(self.id),
            "announcements_state",
            &state,
            Retain::State,
        );
    }

    /// One timer, at the earliest expiry deadline among the live ones.
    fn schedule_expiry(&mut self, ctx: &mut Context<Self>) {
        if let Some(h) = self.board.expiry.take() {
            ctx.cancel_future(h);
        }
        let Some(next) = self.board.live.iter().filter_map(|a| a.expires_at).min() else {
            return;
        };
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        self.board.expiry = Some(ctx.run_later(wait, |act, ctx| {
            act.board.expiry = None;
            act.expire_due(ctx);
        }));
    }

    /// Removes what has expired by the server clock now and tells its
    /// audience; re-arms for the next deadline.
    fn expire_due(&mut self, ctx: &mut Context<Self>) {
        let now = Utc::now();
        let (gone, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.board.live)
            .into_iter()
            .partition(|a| a.expired_at(now));
        self.board.live = keep;
        if gone.is_empty() {
            self.schedule_expiry(ctx);
            return;
        }
        let (db, id) = (self.db.clone(), self.id);
        ctx.wait(
            async move {
                let mut out = Vec::new();
                for a in gone {
                    let to = audience(&db, id, &a.target).await;
                    out.push((a, to));
                }
                out
            }
            .into_actor(self)
            .map(|gone, act, ctx| {
                let mut whole_event = false;
                for (a, to) in gone {
                    whole_event |= a.target == Target::Event;
                    match to {
                        Ok(to) => act.bus.publish_all(
                            &to.topics,
                            "announcement_expired",
                            &AnnouncementGone::of(&a),
                            Retain::History,
                        ),
                        Err(e) => tracing::error!(announcement = %a.announcement_id, error = %e,
                            "could not reach an expired announcement's audience"),
                    }
                }
                if whole_event {
                    act.publish_announcements();
                }
                act.schedule_expiry(ctx);
            }),
        );
    }

    /// Replaces (or adds, or with `None` removes) one in the board.
    fn board_put(&mut self, id: uuid::Uuid, view: Option<AnnouncementView>) {
        let live = &mut self.board.live;
        live.retain(|a| a.announcement_id != id);
        if let Some(v) = view.filter(|v| v.round_id.is_none() && !v.expired_at(Utc::now())) {
            live.push(v);
            live.sort_by(|a, b| {
                b.created_at
                    .cmp(&a.created_at)
                    .then(b.announcement_id.cmp(&a.announcement_id))
            });
        }
    }
}

/// Notifies each recipient; a failure is logged, the announcement stands.
type Effect = (AnnouncementView, Audience);

impl Handler<CreateAnnouncement> for EventActor {
    type Result = AtomicResponse<Self, AppResult<(AnnouncementView, Vec<UserId>)>>;
    fn handle(&mut self, msg: CreateAnnouncement, _: &mut Context<Self>) -> Self::Result {
        let (db, event) = (self.db.clone(), self.id);
        let fut = async move {
            // The audience first: a failure then stores nothing.
            let to = audience(&db, event, &msg.new.target).await?;
            let m = store::announcements::insert(&db, msg.new).await?;
            let view = AnnouncementView::new(m, msg.author_name);
            Ok::<Effect, AppError>((view, to))
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(|res, act, ctx| {
            let (view, to) = res?;
            act.bus.publish_all(&to.topics, "announcement", &view, Retain::History);
            act.board_put(view.announcement_id, Some(view.clone()));
            if view.target == Target::Event {
                act.publish_announcements();
            }
            act.schedule_expiry(ctx);
            Ok((view, to.notify))
        })))
    }
}

async fn load(db: &DatabaseConnection, event: EventId, id: AnnouncementId) -> AppResult<announcement::Model> {
    store::announcements::get(db, id)
        .await?
        .filter(|a| a.event_id == event.0)
        .ok_or_else(|| AppError::not_found("announcement"))
}

impl Handler<UpdateAnnouncement> for EventActor {
    type Result = AtomicResponse<Self, AppResult<AnnouncementView>>;
    fn handle(&mut self, msg: UpdateAnnouncement, _: &mut Context<Self>) -> Self::Result {
        let (db, event) = (self.db.clone(), self.id);
        let fut = async move {
            let m = load(&db, event, msg.id).await?;
            let p = msg.patch;
            let mut am = m.into_active_model();
            if let Some(t) = p.title {
                am.title = Set(t);
            }
            if let Some(t) = p.message {
                am.message = Set(t);
            }
            if let Some(k) = p.kind {
                am.kind = Set(k.as_str().to_owned());
            }
            if let Some(pr) = p.priority {
                am.priority = Set(pr.as_str().to_owned());
            }
            if let Some(e) = p.expires_at {
                am.expires_at = Set(e);
            }
            am.updated_at = Set(Some(Utc::now()));
            let m = store::announcements::update(&db, am).await?;
            let view = views(&db, vec![m])
                .await?
                .pop()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("updated announcement lost")))?;
            let to = audience(&db, event, &view.target).await?;
            Ok::<Effect, AppError>((view, to))
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(|res, act, ctx| {
            let (view, to) = res?;
            act.bus
                .publish_all(&to.topics, "announcement_updated", &view, Retain::History);
            act.board_put(view.announcement_id, Some(view.clone()));
            if view.target == Target::Event {
                act.publish_announcements();
            }
            act.schedule_expiry(ctx);
            Ok(view)
        })))
    }
}

impl Handler<DeleteAnnouncement> for EventActor {
    type Result = AtomicResponse<Self, AppResult<()>>;
    fn handle(&mut self, msg: DeleteAnnouncement, _: &mut Context<Self>) -> Self::Result {
        let (db, event) = (self.db.clone(), self.id);
        let fut = async move {
            let m = load(&db, event, msg.id).await?;
            let view = AnnouncementView::new(m.clone(), String::new());
            let to = audience(&db, event, &view.target).await?;
            store::announcements::delete(&db, m).await?;
            Ok::<Effect, AppError>((view, to))
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(|res, act, ctx| {
            let (view, to) = res?;
            act.bus.publish_all(
                &to.topics,
                "announcement_deleted",
                &AnnouncementGone::of(&view),
                Retain::History,
            );
            let was_live = act.board.live.iter().any(|a| a.announcement_id == view.announcement_id);
            act.board_put(view.announcement_id, None);
            if was_live && view.target == Target::Event {
                act.publish_announcements();
            }
            act.schedule_expiry(ctx);
            Ok(())
        })))
    }
}

/// For filtering lists: which targeted announcements a reader may see.
pub struct Reader {
    pub manager: bool,
    pub teams: Vec<crate::model::TeamId>,
    pub role: Option<crate::model::MemberRole>,
}

impl Reader {
    pub fn sees(&self, target: &Target) -> bool {
        self.manager
            || match target {
                Target::Event => true,
                Target::Teams { team_ids } => team_ids.iter().any(|t| self.teams.contains(t)),
                Target::Roles { roles } => self.role.is_some_and(|r| roles.contains(&r)),
            }
    }
}
