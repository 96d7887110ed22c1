//! The countdown before an event: ticks `countdown_update` every whole
//! second of its deadline, warns at the seed's marks, and tells its event
//! actor when it reaches zero.

use super::event::CountdownElapsed;
use super::registry::{ActorDown, ActorKind, ActorUp, Registry, Retain};
use super::ticker::{self, Ticker, Ticking};
use crate::bus::Bus;
use crate::clock::{countdown_warning, PhaseClock};
use crate::model::{CountdownId, EventId};
use crate::protocol::payload::{CountdownState, CountdownWarning};
use crate::protocol::Topic;
use actix::prelude::*;
use serde_json::json;

/// Moves the deadline (an extension). `generation` replaces the timer's, so
/// its report at the new deadline is not taken for a stale one.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetDeadline {
    pub clock: PhaseClock,
    pub generation: u64,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct StopCountdownTimer;

pub struct Countdown {
    pub id: CountdownId,
    pub event_id: EventId,
    message: String,
    generation: u64,
    ticker: Ticker,
    bus: Bus,
    event: Recipient<CountdownElapsed>,
    registry: Addr<Registry>,
}

impl Countdown {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: CountdownId,
        event_id: EventId,
        message: String,
        clock: PhaseClock,
        generation: u64,
        bus: Bus,
        event: Recipient<CountdownElapsed>,
        registry: Addr<Registry>,
    ) -> Self {
        Self {
            id,
            event_id,
            message,
            generation,
            ticker: Ticker::new(clock),
            bus,
            event,
            registry,
        }
    }

    fn announce_self(&self) {
        self.registry.do_send(ActorUp {
            kind: ActorKind::Countdown,
            id: self.event_id.to_string(),
            topic: Some(Topic::Event(self.event_id)),
            state: json!({
                "countdown_id": self.id,
                "ends_at": crate::clock::fmt_time(self.ticker.clock.ends_at),
                "message": self.message,
            }),
        });
    }
}

impl Actor for Countdown {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.announce_self();
        let clock = self.ticker.clock;
        ticker::restart(self, ctx, clock);
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.registry.do_send(ActorDown {
            kind: ActorKind::Countdown,
            id: self.event_id.to_string(),
        });
    }
}

impl Ticking for Countdown {
    fn ticker(&mut self) -> &mut Ticker {
        &mut self.ticker
    }

    fn on_mark(&mut self, n: u64, _: &mut Context<Self>) {
        let topic = Topic::Event(self.event_id);
        let state = CountdownState::running(self.id, self.event_id, &self.message, &self.ticker.clock, Some(n));
        self.bus.publish(topic, "countdown_update", &state, Retain::Ephemeral);
        if let Some(w) = countdown_warning(n) {
            let warning = CountdownWarning {
                event_id: self.event_id,
                countdown_id: self.id,
                warning_type: w.warning_type,
                message: w.message,
                time_remaining: n,
            };
            self.bus
                .publish(topic, "countdown_warning", &warning, Retain::Ephemeral);
        }
    }

    fn on_deadline(&mut self, _: &mut Context<Self>) {
        self.event.do_send(CountdownElapsed {
            countdown_id: self.id,
            generation: self.generation,
        });
    }
}

impl Handler<SetDeadline> for Countdown {
    type Result = ();
    fn handle(&mut self, msg: SetDeadline, ctx: &mut Context<Self>) {
        self.generation = msg.generation;
        ticker::restart(self, ctx, msg.clock);
        self.announce_self();
    }
}

impl Handler<StopCountdownTimer> for Countdown {
    type Result = ();
    fn handle(&mut self, _: StopCountdownTimer, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
