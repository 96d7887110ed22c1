//! The one place that decides who may read or manage what.
//!
//! | caller | read an event | manage an event | create events | admin views |
//! |---|---|---|---|---|
//! | admin | all | all | yes | yes |
//! | organizer | public, own, member of | own, or member as organizer | yes | no |
//! | judge, attendee | public, member of | no | no | no |
//! | anonymous | public | no | no | no |
//!
//! Topic rights (`may_subscribe`) are documented as a matrix in
//! docs/protocol.md and tested cell by cell.

use crate::auth::Claims;
use crate::error::{AppError, AppResult};
use crate::model::{CategoryId, EventId, MemberRole, RatingSessionId, Role, RoundId, UserId, Visibility};
use crate::protocol::Topic;
use crate::store;
use entity::{category, event};
use sea_orm::DatabaseConnection;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    Read,
    Manage,
}

pub fn may(need: Need, caller: Option<&Claims>, ev: &event::Model, member: Option<MemberRole>) -> bool {
    let Some(c) = caller else {
        return need == Need::Read && Visibility::parse_stored(&ev.visibility) == Visibility::Public;
    };
    let owner = ev.owner_id == c.sub.0;
    match need {
        Need::Read => {
            c.is_admin() || owner || member.is_some() || Visibility::parse_stored(&ev.visibility) == Visibility::Public
        }
        Need::Manage => c.is_admin() || (c.role == Role::Organizer && (owner || member == Some(MemberRole::Organizer))),
    }
}

/// Loads the event and checks the caller's right to it: 404 for an unknown
/// event, 401 when a token would help, 403 when it would not.
pub async fn require_event(
    db: &DatabaseConnection,
    caller: Option<&Claims>,
    id: EventId,
    need: Need,
) -> AppResult<event::Model> {
    let ev = store::events::get(db, id)
        .await?
        .ok_or_else(|| AppError::not_found("event"))?;
    let member = match caller {
        Some(c) if !c.is_admin() => store::events::membership(db, id, c.sub).await?,
        _ => None,
    };
    if may(need, caller, &ev, member) {
        return Ok(ev);
    }
    Err(match caller {
        None => AppError::Unauthorized("a token is required for this event".into()),
        Some(_) => AppError::Forbidden(match need {
            Need::Read => "you are not a member of this event".into(),
            Need::Manage => "only the event's organizers may do this".into(),
        }),
    })
}

/// Those who oversee an event's judging and so see every judge's scores:
/// its managers, admins, and its `tally_master` members. Judges never.
pub async fn require_oversight(
    db: &DatabaseConnection,
    caller: Option<&Claims>,
    id: EventId,
) -> AppResult<event::Model> {
    let ev = require_event(db, caller, id, Need::Read).await?;
    let c = caller.ok_or_else(|| AppError::Unauthorized("a token is required for this event's scores".into()))?;
    let member = if c.is_admin() {
        None
    } else {
        store::events::membership(db, id, c.sub).await?
    };
    if may(Need::Manage, caller, &ev, member) || member == Some(MemberRole::TallyMaster) {
        Ok(ev)
    } else {
        Err(AppError::Forbidden(
            "only the event's organizers and tally masters may see every score".into(),
        ))
    }
}

/// The caller judges `category`: assigned to it, and still a `judge`
/// member of its event.
pub async fn require_category_judge(
    db: &DatabaseConnection,
    caller: &Claims,
    category: &category::Model,
) -> AppResult<()> {
    let event = EventId(category.event_id);
    require_event(db, Some(caller), event, Need::Read).await?;
    let judge = store::events::membership(db, event, caller.sub).await? == Some(MemberRole::Judge);
    if judge && store::judging::is_judge(db, CategoryId(category.id), caller.sub).await? {
        Ok(())
    } else {
        Err(AppError::Forbidden("you are not a judge of this category".into()))
    }
}

pub fn require_admin(caller: &Claims) -> AppResult<()> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden("admins only".into()))
    }
}

pub fn require_creator(caller: &Claims) -> AppResult<()> {
    match caller.role {
        Role::Admin | Role::Organizer => Ok(()),
        _ => Err(AppError::Forbidden(
            "only organizers and admins may create events".into(),
        )),
    }
}

/// Whether the caller may subscribe to `topic`: 404 for unknown ids, 401
/// when a token would help, 403 when it would not.
pub async fn may_subscribe(db: &DatabaseConnection, caller: Option<&Claims>, topic: &Topic) -> AppResult<()> {
    let need_token = || AppError::Unauthorized("a token is required for this topic".into());
    let refuse = |why: &str| AppError::Forbidden(why.to_owned());
    match *topic {
        Topic::Event(e) | Topic::EventResults(e) | Topic::EventSchedule(e) | Topic::EventAnnouncements(e) => {
            require_event(db, caller, e, Need::Read).await.map(drop)
        }
        Topic::EventPresence(e) => require_event(db, caller, e, Need::Manage).await.map(drop),
        Topic::EventScores(e) => require_oversight(db, caller, e).await.map(drop),
        Topic::Round(r) => {
            let round = store::rounds::get(db, r)
                .await?
                .ok_or_else(|| AppError::not_found("round"))?;
            require_event(db, caller, EventId(round.event_id), Need::Read)
                .await
                .map(drop)
        }
        Topic::Team(t) => {
            let team = store::teams::get(db, t)
                .await?
                .ok_or_else(|| AppError::not_found("team"))?;
            let c = caller.ok_or_else(need_token)?;
            // Team membership is kept apart from event membership: someone
            // removed from a private event may still be on one of its teams,
            // and must hear nothing of it.
            if store::teams::membership(db, t, c.sub).await?.is_some()
                && require_event(db, caller, EventId(team.event_id), Need::Read)
                    .await
                    .is_ok()
            {
                return Ok(());
            }
            require_event(db, caller, EventId(team.event_id), Need::Manage)
                .await
                .map(drop)
                .map_err(|_| refuse("only the team and the event's organizers may follow a team"))
        }
        Topic::User(u) => match caller {
            Some(c) if c.sub == u => Ok(()),
            _ if store::users::by_id(db, u).await?.is_none() => Err(AppError::not_found("user")),
            Some(_) => Err(refuse("a user topic is for that user only")),
            None => Err(need_token()),
        },
        Topic::Purchase(p) => {
            let purchase = store::purchases::get(db, p)
                .await?
                .ok_or_else(|| AppError::not_found("purchase"))?;
            match caller {
                Some(c) if c.sub.0 == purchase.user_id => Ok(()),
                Some(_) => Err(refuse("a purchase is for its purchaser only")),
                None => Err(need_token()),
            }
        }
        Topic::Role(r) => match caller {
            Some(c) if c.role == r => Ok(()),
            Some(_) => Err(refuse("a role topic is for holders of that role")),
            None => Err(need_token()),
        },
        Topic::Category(cat) => {
            let category = store::categories::get(db, cat)
                .await?
                .ok_or_else(|| AppError::not_found("category"))?;
            require_event(db, caller, EventId(category.event_id), Need::Read)
                .await
                .map(drop)
        }
        Topic::CategoryRole(cat, role) => {
            let category = store::categories::get(db, cat)
                .await?
                .ok_or_else(|| AppError::not_found("category"))?;
            let c = caller.ok_or_else(need_token)?;
            let event = EventId(category.event_id);
            require_event(db, caller, event, Need::Read).await?;
            let member = store::events::membership(db, event, c.sub).await?;
            let holds = c.role == role || member.is_some_and(|m| m.as_str() == role.as_str());
            if holds {
                Ok(())
            } else {
                Err(refuse("a category role topic is for holders of that role"))
            }
        }
        Topic::Admin => match caller {
            Some(c) => require_admin(c),
            None => Err(need_token()),
        },
        Topic::Rating(s) => {
            let event = rating_session_event(db, s).await?;
            require_event(db, caller, event, Need::Read).await.map(drop)
        }
        Topic::RatingAdmin(s) => {
            let event = rating_session_event(db, s).await?;
            require_event(db, caller, event, Need::Manage).await.map(drop)
        }
        Topic::System => Ok(()),
    }
}

/// The event a rating session belongs to.
pub async fn rating_session_event(db: &DatabaseConnection, session: RatingSessionId) -> AppResult<EventId> {
    let s = store::ratings::session(db, session)
        .await?
        .ok_or_else(|| AppError::not_found("rating session"))?;
    Ok(EventId(s.event_id))
}

/// The event a round belongs to.
pub async fn round_event(db: &DatabaseConnection, round: RoundId) -> AppResult<EventId> {
    let r = store::rounds::get(db, round)
        .await?
        .ok_or_else(|| AppError::not_found("round"))?;
    Ok(EventId(r.event_id))
}

/// Whether `user` may read the event, for filtering lists.
pub async fn readable(db: &DatabaseConnection, caller: &Claims, ev: &event::Model) -> AppResult<bool> {
    let member = if caller.is_admin() {
        None
    } else {
        store::events::membership(db, EventId(ev.id), UserId(caller.sub.0)).await?
    };
    Ok(may(Need::Read, Some(caller), ev, member))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, UserId};
    use chrono::Utc;

    fn claims(role: Role) -> Claims {
        Claims {
            sub: UserId::new(),
            name: "u".into(),
            role,
            iat: 0,
            exp: i64::MAX,
        }
    }

    fn event(owner: UserId, visibility: Visibility) -> event::Model {
        event::Model {
            id: uuid::Uuid::new_v4(),
            name: "e".into(),
            visibility: visibility.as_str().into(),
            starts_at: None,
            owner_id: owner.0,
            auto_start_first_round: false,
            auto_advance_rounds: false,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn the_rights_matrix_holds_for_every_role() {
        let org = claims(Role::Organizer);
        let own_private = event(org.sub, Visibility::Private);
        let other_private = event(UserId::new(), Visibility::Private);
        let public = event(UserId::new(), Visibility::Public);
        let admin = claims(Role::Admin);
        let judge = claims(Role::Judge);
        let att = claims(Role::Attendee);

        assert!(may(Need::Manage, Some(&admin), &other_private, None));
        assert!(may(Need::Manage, Some(&org), &own_private, None));
        assert!(!may(Need::Manage, Some(&org), &other_private, None));
        assert!(!may(Need::Read, Some(&org), &other_private, None));
        assert!(may(
            Need::Manage,
            Some(&org),
            &other_private,
            Some(MemberRole::Organizer)
        ));
        assert!(!may(
            Need::Manage,
            Some(&org),
            &other_private,
            Some(MemberRole::Attendee)
        ));
        assert!(may(Need::Read, Some(&judge), &other_private, Some(MemberRole::Judge)));
        assert!(!may(Need::Read, Some(&judge), &other_private, None));
        assert!(!may(
            Need::Manage,
            Some(&att),
            &other_private,
            Some(MemberRole::Organizer)
        ));
        assert!(may(Need::Read, Some(&att), &public, None));
        assert!(may(Need::Read, None, &public, None));
        assert!(!may(Need::Read, None, &other_private, None));
        assert!(!may(Need::Manage, None, &public, None));
    }
}
