//! Finds (or starts) the one `EventActor` of an event, and the one
//! `Leaderboard` of an event's judging. Handlers check that the event exists
//! before asking, so no actor is ever started for a bogus id.

use super::event::EventActor;
use super::leaderboard::Leaderboard;
use super::purchase::PurchaseDesk;
use super::rating::Ratings;
use super::registry::Registry;
use crate::bus::Bus;
use crate::model::EventId;
use actix::prelude::*;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;

#[derive(Message)]
#[rtype(result = "Addr<EventActor>")]
pub struct GetEvent {
    pub id: EventId,
}

#[derive(Message)]
#[rtype(result = "Addr<Leaderboard>")]
pub struct GetLeaderboard {
    pub id: EventId,
}

/// The `Ratings` actor of an event (rating sessions, seed 004).
#[derive(Message)]
#[rtype(result = "Addr<Ratings>")]
pub struct GetRatings {
    pub id: EventId,
}

/// The `PurchaseDesk` of an event (ticket purchases).
#[derive(Message)]
#[rtype(result = "Addr<PurchaseDesk>")]
pub struct GetPurchaseDesk {
    pub id: EventId,
}

pub struct Directory {
    events: HashMap<EventId, Addr<EventActor>>,
    leaderboards: HashMap<EventId, Addr<Leaderboard>>,
    ratings: HashMap<EventId, Addr<Ratings>>,
    purchase_desks: HashMap<EventId, Addr<PurchaseDesk>>,
    db: DatabaseConnection,
    bus: Bus,
    registry: Addr<Registry>,
}

impl Directory {
    pub fn new(db: DatabaseConnection, bus: Bus, registry: Addr<Registry>) -> Self {
        Self {
            events: HashMap::new(),
            leaderboards: HashMap::new(),
            ratings: HashMap::new(),
            purchase_desks: HashMap::new(),
            db,
            bus,
            registry,
        }
    }
}

impl Actor for Directory {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(4096);
    }
}

impl Handler<GetEvent> for Directory {
    type Result = MessageResult<GetEvent>;
    fn handle(&mut self, msg: GetEvent, _: &mut Context<Self>) -> Self::Result {
        let addr = match self.events.get(&msg.id) {
            Some(a) if a.connected() => a.clone(),
            _ => {
                // Started here, so every event actor and its clocks share the
                // directory's arbiter, away from the HTTP workers.
                let a = EventActor::new(msg.id, self.db.clone(), self.bus.clone(), self.registry.clone()).start();
                self.events.insert(msg.id, a.clone());
                a
            }
        };
        MessageResult(addr)
    }
}

impl Handler<GetLeaderboard> for Directory {
    type Result = MessageResult<GetLeaderboard>;
    fn handle(&mut self, msg: GetLeaderboard, _: &mut Context<Self>) -> Self::Result {
        let addr = match self.leaderboards.get(&msg.id) {
            Some(a) if a.connected() => a.clone(),
            _ => {
                let a = Leaderboard::new(msg.id, self.db.clone(), self.bus.clone()).start();
                self.leaderboards.insert(msg.id, a.clone());
                a
            }
        };
        MessageResult(addr)
    }
}

impl Handler<GetRatings> for Directory {
    type Result = MessageResult<GetRatings>;
    fn handle(&mut self, msg: GetRatings, _: &mut Context<Self>) -> Self::Result {
        let addr = match self.ratings.get(&msg.id) {
            Some(a) if a.connected() => a.clone(),
            _ => {
                let a = Ratings::new(msg.id, self.db.clone(), self.bus.clone()).start();
                self.ratings.insert(msg.id, a.clone());
                a
            }
        };
        MessageResult(addr)
    }
}

impl Handler<GetPurchaseDesk> for Directory {
    type Result = MessageResult<GetPurchaseDesk>;
    fn handle(&mut self, msg: GetPurchaseDesk, _: &mut Context<Self>) -> Self::Result {
        let addr = match self.purchase_desks.get(&msg.id) {
            Some(a) if a.connected() => a.clone(),
            _ => {
                let a = PurchaseDesk::new(msg.id, self.db.clone(), self.bus.clone()).start();
                self.purchase_desks.insert(msg.id, a.clone());
                a
            }
        };
        MessageResult(addr)
    }
}
