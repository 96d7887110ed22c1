//! One running round's clock: ticks `timer_update` at every whole second of
//! the deadline, warns at the seed's marks, and tells its event actor when a
//! phase is over. It never changes state itself: the event actor persists
//! and decides what comes next.

use super::event::{EventActor, PhaseElapsed};
use super::registry::{ActorDown, ActorKind, ActorUp, Registry, Retain};
use super::ticker::{self, Ticker, Ticking};
use crate::bus::Bus;
use crate::clock::{round_warning, PhaseClock};
use crate::model::{EventId, Phase, RoundId};
use crate::protocol::payload::{TimerState, TimerWarning};
use crate::protocol::Topic;
use actix::prelude::*;
use serde_json::json;

/// Points the timer at a (new) phase and deadline.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetPhase {
    pub phase: Phase,
    pub clock: PhaseClock,
    pub generation: u64,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct StopTimer;

pub struct RoundTimer {
    pub round_id: RoundId,
    pub event_id: EventId,
    pub ordinal: i32,
    phase: Phase,
    generation: u64,
    ticker: Ticker,
    bus: Bus,
    event: Addr<EventActor>,
    registry: Addr<Registry>,
}

impl RoundTimer {
    #[allow(clippy::too_many_arguments)]
    pub fn new(round_id: RoundId, event_id: EventId, ordinal: i32, set: SetPhase, bus: Bus, event: Addr<EventActor>, registry: Addr<Registry>) -> Self {
        Self {
            round_id,
            event_id,
            ordinal,
            phase: set.phase,
            generation: set.generation,
            ticker: Ticker::new(set.clock),
            bus,
            event,
            registry,
        }
    }

    fn announce_self(&self) {
        self.registry.do_send(ActorUp {
            kind: ActorKind::RoundTimer,
            id: self.round_id.to_string(),
            topic: Some(Topic::Round(self.round_id)),
            state: json!({
                "event_id": self.event_id,
                "ordinal": self.ordinal,
                "phase": self.phase,
                "ends_at": crate::clock::fmt_time(self.ticker.clock.ends_at),
            }),
        });
    }
}

impl Actor for RoundTimer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.announce_self();
        let clock = self.ticker.clock;
        ticker::restart(self, ctx, clock);
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.registry.do_send(ActorDown {
            kind: ActorKind::RoundTimer,
            id: self.round_id.to_string(),
        });
    }
}

impl Ticking for RoundTimer {
    fn ticker(&mut self) -> &mut Ticker {
        &mut self.ticker
    }

    fn on_mark(&mut self, n: u64, _: &mut Context<Self>) {
        let topic = Topic::Round(self.round_id);
        let state = TimerState::new(self.round_id, self.event_id, self.ordinal, self.phase, &self.ticker.clock, Some(n));
        self.bus.publish(topic, "timer_update", &state, Retain::Ephemeral);
        if self.phase == Phase::Round {
            if let Some(w) = round_warning(n) {
                let warning = TimerWarning {
                    round_id: self.round_id,
                    event_id: self.event_id,
                    phase: self.phase,
                    warning_type: w.warning_type,
                    message: w.message,
                    time_remaining: n,
                };
                self.bus.publish(topic, "timer_warning", &warning, Retain::Ephemeral);
            }
        }
        if n == 0 {
            self.event.do_send(PhaseElapsed {
                round_id: self.round_id,
                generation: self.generation,
            });
        }
    }
}

impl Handler<SetPhase> for RoundTimer {
    type Result = ();
    fn handle(&mut self, msg: SetPhase, ctx: &mut Context<Self>) {
        self.phase = msg.phase;
        self.generation = msg.generation;
        ticker::restart(self, ctx, msg.clock);
        self.announce_self();
    }
}

impl Handler<StopTimer> for RoundTimer {
    type Result = ();
    fn handle(&mut self, _: StopTimer, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
