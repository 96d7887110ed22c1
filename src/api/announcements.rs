//! Announcements of an event (CRUD, organizers; reads filtered by target)
//! and system announcements (admins). docs/announcements.md.

use super::input::{text, whole};
use crate::access::{self, Need};
use crate::actors::directory::GetEvent;
use crate::actors::event::{
    announcement_views, AnnouncementPatch, AnnouncementView, CreateAnnouncement, DeleteAnnouncement, Reader,
    UpdateAnnouncement,
};
use crate::actors::registry::Retain;
use crate::auth::{AuthUser, Caller, Claims};
use crate::error::{AppError, AppResult};
use crate::model::{AnnouncementId, AnnouncementKind, EventId, MemberRole, Priority, Target, TeamId, UserId};
use crate::protocol::Topic;
use crate::state::AppState;
use crate::store;
use crate::store::announcements::{NewAnnouncement, NewSystemAnnouncement};
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use entity::system_announcement;
use serde::{Deserialize, Deserializer, Serialize};

/// Longest `expires_in_secs`: 31 days.
const MAX_EXPIRY_SECS: i64 = 31 * 24 * 3600;
/// Most teams or roles one target may name.
const MAX_TARGETS: usize = 100;

/// `"field": null` as `Some(None)` (clear it), absent as `None` (keep it).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `{"type":"event"}`, `{"type":"teams","team_ids":[…]}` or
/// `{"type":"roles","roles":[…]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    #[serde(rename = "type")]
    kind: String,
    team_ids: Option<Vec<String>>,
    roles: Option<Vec<String>>,
}

/// Checks a target against the event: teams must be its own, roles known.
pub(super) async fn target(state: &AppState, event: EventId, t: Option<TargetInput>) -> AppResult<Target> {
    let Some(t) = t else { return Ok(Target::Event) };
    let count = |n: usize, what: &str| {
        if n == 0 || n > MAX_TARGETS {
            Err(AppError::Invalid(format!(
                "{what} must list 1 to {MAX_TARGETS} entries"
            )))
        } else {
            Ok(())
        }
    };
    match (t.kind.as_str(), t.team_ids, t.roles) {
        ("event", None, None) => Ok(Target::Event),
        ("teams", Some(ids), None) => {
            count(ids.len(), "team_ids")?;
            let mut team_ids: Vec<TeamId> = Vec::new();
            for raw in ids {
                let unknown = || AppError::Invalid(format!("team `{raw}` is not a team of this event"));
                let id: TeamId = raw.parse().map_err(|_| unknown())?;
                let team = store::teams::get(&state.db, id)
                    .await?
                    .filter(|t| t.event_id == event.0);
                if team.is_none() {
                    return Err(unknown());
                }
                if !team_ids.contains(&id) {
                    team_ids.push(id);
                }
            }
            Ok(Target::Teams { team_ids })
        }
        ("roles", None, Some(names)) => {
            count(names.len(), "roles")?;
            let mut roles: Vec<MemberRole> = Vec::new();
            for n in names {
                let r: MemberRole = n.parse().map_err(AppError::Invalid)?;
                if !roles.contains(&r) {
                    roles.push(r);
                }
            }
            Ok(Target::Roles { roles })
        }
        ("event" | "teams" | "roles", _, _) => Err(AppError::Invalid(
            "target: `event` takes no ids, `teams` takes team_ids only, `roles` takes roles only".into(),
        )),
        (other, _, _) => Err(AppError::Invalid(format!(
            "unknown target type `{}` (event, teams, roles)",
            other.chars().take(40).collect::<String>()
        ))),
    }
}

/// `expires_at` (RFC 3339) or `expires_in_secs`, in the future by the
/// server clock.
fn expiry(at: Option<DateTime<Utc>>, in_secs: Option<f64>) -> AppResult<Option<DateTime<Utc>>> {
    let now = Utc::now();
    let t = match (at, in_secs) {
        (None, None) => return Ok(None),
        (Some(t), None) => t,
        (None, Some(s)) => now + ChronoDuration::seconds(whole("expires_in_secs", s, 1, MAX_EXPIRY_SECS)?),
        (Some(_), Some(_)) => {
            return Err(AppError::Invalid(
                "give at most one of expires_at or expires_in_secs".into(),
            ))
        }
    };
    if t <= now {
        return Err(AppError::Invalid("expires_at must be in the future".into()));
    }
    if t > now + ChronoDuration::seconds(MAX_EXPIRY_SECS) {
        return Err(AppError::Invalid("expires_at must be within 31 days".into()));
    }
    Ok(Some(t))
}

fn opt_title(t: Option<&str>) -> AppResult<Option<String>> {
    t.map(|t| text("title", t, 200)).transpose()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAnnouncementBody {
    message: String,
    title: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    priority: Option<String>,
    target: Option<TargetInput>,
    expires_at: Option<DateTime<Utc>>,
    expires_in_secs: Option<f64>,
}

/// An announcement's type; `general` when not given.
fn kind_of(v: Option<&str>) -> AppResult<AnnouncementKind> {
    v.map_or(Ok(AnnouncementKind::General), str::parse)
        .map_err(AppError::Invalid)
}

/// An announcement's priority; `normal` when not given.
fn priority_of(v: Option<&str>) -> AppResult<Priority> {
    v.map_or(Ok(Priority::Normal), str::parse).map_err(AppError::Invalid)
}

pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<NewAnnouncementBody>,
) -> AppResult<HttpResponse> {
    let event = *id;
    access::require_event(&state.db, Some(&user.0), event, Need::Manage).await?;
    let b = body.into_inner();
    let new = NewAnnouncement {
        event,
        round: None,
        title: opt_title(b.title.as_deref())?,
        message: text("message", &b.message, 1000)?,
        kind: kind_of(b.kind.as_deref())?,
        priority: priority_of(b.priority.as_deref())?,
        target: target(&state, event, b.target).await?,
        expires_at: expiry(b.expires_at, b.expires_in_secs)?,
        author: user.0.sub,
    };
    let actor = state.directory.send(GetEvent { id: event }).await?;
    let (view, notify) = actor
        .send(CreateAnnouncement {
            new,
            author_name: user.0.name.clone(),
        })
        .await??;
    // Published already; a notification that cannot be stored is logged,
    // not turned into an error that would invite a duplicate retry.
    if let Err(e) = store::notifications::notify_many(&state.db, &state.bus, &notify, |u| view.notification(u)).await {
        tracing::error!(announcement = %view.announcement_id, error = %e, "could not notify an announcement's audience");
    }
    Ok(HttpResponse::Created().json(view))
}

/// What a caller may see of the event's targeted announcements.
async fn reader(state: &AppState, caller: Option<&Claims>, event: EventId) -> AppResult<Reader> {
    let Some(c) = caller else {
        return Ok(Reader {
            manager: false,
            teams: Vec::new(),
            role: None,
        });
    };
    let manager = access::require_event(&state.db, caller, event, Need::Manage)
        .await
        .is_ok();
    Ok(Reader {
        manager,
        teams: store::announcements::teams_of(&state.db, event, c.sub).await?,
        role: store::events::membership(&state.db, event, c.sub).await?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    priority: Option<String>,
    active: Option<bool>,
    target: Option<String>,
    team: Option<TeamId>,
    role: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<EventId>,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let event = *id;
    access::require_event(&state.db, caller.0.as_ref(), event, Need::Read).await?;
    let kind: Option<AnnouncementKind> = q
        .kind
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(AppError::Invalid)?;
    let priority: Option<Priority> = q
        .priority
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(AppError::Invalid)?;
    let role: Option<MemberRole> = q
        .role
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(AppError::Invalid)?;
    if let Some(t) = q
        .target
        .as_deref()
        .filter(|t| !matches!(*t, "event" | "teams" | "roles"))
    {
        return Err(AppError::Invalid(format!(
            "unknown target `{}` (event, teams, roles)",
            t.chars().take(40).collect::<String>()
        )));
    }
    let who = reader(&state, caller.0.as_ref(), event).await?;
    let now = Utc::now();
    let all = announcement_views(&state.db, store::announcements::list(&state.db, event).await?).await?;
    let out: Vec<AnnouncementView> = all
        .into_iter()
        .filter(|a| who.sees(&a.target))
        .filter(|a| kind.is_none_or(|k| a.kind == k))
        .filter(|a| priority.is_none_or(|p| a.priority == p))
        .filter(|a| q.active.is_none_or(|active| active != a.expired_at(now)))
        .filter(|a| q.target.as_deref().is_none_or(|t| a.target.kind_str() == t))
        .filter(|a| {
            q.team
                .is_none_or(|t| matches!(&a.target, Target::Teams { team_ids } if team_ids.contains(&t)))
        })
        .filter(|a| role.is_none_or(|r| matches!(&a.target, Target::Roles { roles } if roles.contains(&r))))
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// The announcement, if the caller may read its event and is in its
/// audience; otherwise 404 (its existence is not told).
async fn visible(state: &AppState, caller: Option<&Claims>, id: AnnouncementId) -> AppResult<AnnouncementView> {
    let m = store::announcements::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("announcement"))?;
    let event = EventId(m.event_id);
    access::require_event(&state.db, caller, event, Need::Read).await?;
    let view = announcement_views(&state.db, vec![m])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("announcement"))?;
    if reader(state, caller, event).await?.sees(&view.target) {
        Ok(view)
    } else {
        Err(AppError::not_found("announcement"))
    }
}

pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<AnnouncementId>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(visible(&state, caller.0.as_ref(), *id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    #[serde(default, deserialize_with = "nullable")]
    title: Option<Option<String>>,
    message: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    priority: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    expires_at: Option<Option<DateTime<Utc>>>,
    expires_in_secs: Option<f64>,
}

/// Loads the announcement for a manager of its event.
async fn managed(state: &AppState, caller: &Claims, id: AnnouncementId) -> AppResult<EventId> {
    let m = store::announcements::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("announcement"))?;
    let event = EventId(m.event_id);
    access::require_event(&state.db, Some(caller), event, Need::Manage).await?;
    Ok(event)
}

pub async fn patch(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<AnnouncementId>,
    body: web::Json<PatchBody>,
) -> AppResult<HttpResponse> {
    let event = managed(&state, &user.0, *id).await?;
    let b = body.into_inner();
    let expires_at = match (b.expires_at, b.expires_in_secs) {
        (Some(None), None) => Some(None),
        (Some(Some(t)), s) => Some(expiry(Some(t), s)?),
        (None, Some(s)) => Some(expiry(None, Some(s))?),
        (Some(None), Some(_)) => {
            return Err(AppError::Invalid(
                "give at most one of expires_at or expires_in_secs".into(),
            ))
        }
        (None, None) => None,
    };
    let patch = AnnouncementPatch {
        title: b.title.map(|t| opt_title(t.as_deref())).transpose()?,
        message: b.message.map(|m| text("message", &m, 1000)).transpose()?,
        kind: b
            .kind
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(AppError::Invalid)?,
        priority: b
            .priority
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(AppError::Invalid)?,
        expires_at,
    };
    let actor = state.directory.send(GetEvent { id: event }).await?;
    let view = actor.send(UpdateAnnouncement { id: *id, patch }).await??;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<AnnouncementId>,
) -> AppResult<HttpResponse> {
    let event = managed(&state, &user.0, *id).await?;
    let actor = state.directory.send(GetEvent { id: event }).await?;
    actor.send(DeleteAnnouncement { id: *id }).await??;
    Ok(HttpResponse::NoContent().finish())
}

// ---- system announcements ---------------------------------------------------

/// `system_announcement` on the `system` topic, and over REST.
#[derive(Clone, Debug, Serialize)]
pub struct SystemAnnouncementView {
    pub announcement_id: uuid::Uuid,
    pub title: Option<String>,
    pub message: String,
    #[serde(rename = "type")]
    pub kind: AnnouncementKind,
    pub priority: Priority,
    pub author_id: UserId,
    #[serde(serialize_with = "crate::clock::ser_opt_time")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::clock::ser_time")]
    pub created_at: DateTime<Utc>,
}

impl From<system_announcement::Model> for SystemAnnouncementView {
    fn from(m: system_announcement::Model) -> Self {
        Self {
            announcement_id: m.id,
            title: m.title,
            message: m.message,
            kind: AnnouncementKind::parse_stored(&m.kind),
            priority: Priority::parse_stored(&m.priority),
            author_id: UserId(m.author_id),
            expires_at: m.expires_at,
            created_at: m.created_at,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSystemBody {
    message: String,
    title: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    priority: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    expires_in_secs: Option<f64>,
}

pub async fn create_system(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<NewSystemBody>,
) -> AppResult<HttpResponse> {
    access::require_admin(&user.0)?;
    let b = body.into_inner();
    let m = store::announcements::create_system(
        &state.db,
        NewSystemAnnouncement {
            title: opt_title(b.title.as_deref())?,
            message: text("message", &b.message, 1000)?,
            kind: kind_of(b.kind.as_deref())?,
            priority: priority_of(b.priority.as_deref())?,
            expires_at: expiry(b.expires_at, b.expires_in_secs)?,
            author: user.0.sub,
        },
    )
    .await?;
    let view = SystemAnnouncementView::from(m);
    state
        .bus
        .publish(Topic::System, "system_announcement", &view, Retain::History);
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemListQuery {
    active: Option<bool>,
}

/// Every system announcement (admins), or only the unexpired ones.
pub async fn list_system_admin(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<SystemListQuery>,
) -> AppResult<HttpResponse> {
    access::require_admin(&user.0)?;
    let now = Utc::now();
    let all = store::announcements::list_system(&state.db, None).await?;
    let out: Vec<SystemAnnouncementView> = all
        .into_iter()
        .filter(|m| q.active.is_none_or(|a| a == m.expires_at.is_none_or(|t| t > now)))
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// The unexpired system announcements, for anyone (they go to everyone).
pub async fn list_system(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let out: Vec<SystemAnnouncementView> = store::announcements::list_system(&state.db, Some(Utc::now()))
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(out))
}
