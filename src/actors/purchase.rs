//! One actor per event with ticket purchases: the single writer for their
//! status, so every change is checked against the status it replaces and
//! the `purchase_update` frames of one purchase go out in version order.
//!
//! Every change is pushed as the state of `purchase:{id}`, which only the
//! purchaser may follow (docs/protocol.md); organizers learn the outcome
//! from their REST reply and lists, never from the purchaser's topic.

use super::registry::Retain;
use crate::bus::Bus;
use crate::clock::ser_time;
use crate::error::{AppError, AppResult};
use crate::model::{EventId, PurchaseId, PurchaseStatus, UserId};
use crate::protocol::Topic;
use crate::store;
use actix::prelude::*;
use chrono::{DateTime, Utc};
use entity::purchase;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use std::collections::HashSet;

/// A purchase as its purchaser and the event's organizers see it.
#[derive(Clone, Debug, Serialize)]
pub struct PurchaseView {
    pub id: PurchaseId,
    pub event_id: EventId,
    pub user_id: UserId,
    pub status: PurchaseStatus,
    /// Grows by one with every change; a client never applies an older
    /// version over a newer one.
    pub version: i64,
    #[serde(serialize_with = "ser_time")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_time")]
    pub updated_at: DateTime<Utc>,
}

impl PurchaseView {
    pub fn new(p: &purchase::Model) -> Self {
        Self {
            id: PurchaseId(p.id),
            event_id: EventId(p.event_id),
            user_id: UserId(p.user_id),
            status: PurchaseStatus::parse_stored(&p.status),
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// `purchase_update`: the purchase after a change, and what it was before.
#[derive(Debug, Serialize)]
pub struct PurchaseUpdate<'a> {
    #[serde(flatten)]
    pub purchase: &'a PurchaseView,
    /// `null` when the purchase was just made.
    pub previous_status: Option<PurchaseStatus>,
}

/// The caller buys a ticket: a new `pending` purchase.
#[derive(Message)]
#[rtype(result = "AppResult<PurchaseView>")]
pub struct Buy {
    pub user: UserId,
}

/// The event's organizers move a purchase on.
#[derive(Message)]
#[rtype(result = "AppResult<PurchaseView>")]
pub struct ChangeStatus {
    pub purchase: PurchaseId,
    pub status: PurchaseStatus,
}

/// Someone follows a purchase: publishes its state unless this actor
/// already has (after a restart the registry holds none).
#[derive(Message)]
#[rtype(result = "AppResult<()>")]
pub struct Recall {
    pub purchase: PurchaseId,
}

pub struct PurchaseDesk {
    id: EventId,
    db: DatabaseConnection,
    bus: Bus,
    /// Purchases whose state the registry holds from this actor's life.
    published: HashSet<PurchaseId>,
}

impl PurchaseDesk {
    pub fn new(id: EventId, db: DatabaseConnection, bus: Bus) -> Self {
        Self {
            id,
            db,
            bus,
            published: HashSet::new(),
        }
    }

    fn publish(&mut self, view: &PurchaseView, previous_status: Option<PurchaseStatus>) {
        let data = PurchaseUpdate {
            purchase: view,
            previous_status,
        };
        self.bus
            .publish(Topic::Purchase(view.id), "purchase_update", &data, Retain::State);
        self.published.insert(view.id);
    }
}

impl Actor for PurchaseDesk {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(1024);
    }
}

impl Handler<Buy> for PurchaseDesk {
    type Result = AtomicResponse<Self, AppResult<PurchaseView>>;
    fn handle(&mut self, msg: Buy, _: &mut Context<Self>) -> Self::Result {
        let (db, event) = (self.db.clone(), self.id);
        let fut = async move { Ok::<_, AppError>(store::purchases::create(&db, event, msg.user).await?) };
        // Nobody can follow a purchase before it exists: its state is
        // published when its purchaser first subscribes (`Recall`), so the
        // registry keeps state only for purchases someone follows.
        AtomicResponse::new(Box::pin(
            fut.into_actor(self).map(|res, _, _| Ok(PurchaseView::new(&res?))),
        ))
    }
}

impl Handler<ChangeStatus> for PurchaseDesk {
    type Result = AtomicResponse<Self, AppResult<PurchaseView>>;
    fn handle(&mut self, msg: ChangeStatus, _: &mut Context<Self>) -> Self::Result {
        let (db, event) = (self.db.clone(), self.id);
        let fut = async move {
            let p = store::purchases::get(&db, msg.purchase)
                .await?
                .filter(|p| p.event_id == event.0)
                .ok_or_else(|| AppError::not_found("purchase"))?;
            let from = PurchaseStatus::parse_stored(&p.status);
            if !from.may_become(msg.status) {
                return Err(AppError::Conflict(format!(
                    "a {} purchase cannot become {}",
                    from.as_str(),
                    msg.status.as_str()
                )));
            }
            let p = store::purchases::set_status(&db, p, msg.status, Utc::now()).await?;
            Ok((p, from))
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(|res, act, _| {
            let (p, from) = res?;
            let view = PurchaseView::new(&p);
            act.publish(&view, Some(from));
            Ok(view)
        })))
    }
}

impl Handler<Recall> for PurchaseDesk {
    type Result = AtomicResponse<Self, AppResult<()>>;
    fn handle(&mut self, msg: Recall, _: &mut Context<Self>) -> Self::Result {
        let known = self.published.contains(&msg.purchase);
        let (db, event) = (self.db.clone(), self.id);
        let fut = async move {
            if known {
                return Ok::<_, AppError>(None);
            }
            Ok(store::purchases::get(&db, msg.purchase)
                .await?
                .filter(|p| p.event_id == event.0))
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(move |res, act, _| {
            // Only if no change was published while the purchase was read.
            if let Some(p) = res? {
                if !act.published.contains(&msg.purchase) {
                    act.publish(&PurchaseView::new(&p), None);
                }
            }
            Ok(())
        })))
    }
}
