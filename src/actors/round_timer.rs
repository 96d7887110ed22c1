//! One running round's clock: ticks `timer_update` at every whole second of
//! the deadline, warns at the seed's marks, and tells its event actor when a
//! phase is over. It never changes state itself: the event actor persists
//! and decides what comes next.

use super::event::PhaseElapsed;
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
    event: Recipient<PhaseElapsed>,
    registry: Addr<Registry>,
}

impl RoundTimer {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        round_id: RoundId,
        event_id: EventId,
        ordinal: i32,
        set: SetPhase,
        bus: Bus,
        event: Recipient<PhaseElapsed>,
        registry: Addr<Registry>,
    ) -> Self {
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
        let state = TimerState::new(
            self.round_id,
            self.event_id,
            self.ordinal,
            self.phase,
            &self.ticker.clock,
            Some(n),
        );
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
    }

    fn on_deadline(&mut self, _: &mut Context<Self>) {
        self.event.do_send(PhaseElapsed {
            round_id: self.round_id,
            generation: self.generation,
        });
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::actors::registry::Publish;
    use crate::bus::Broker;
    use chrono::Utc;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tokio::time::Instant;

    /// Records what the timer publishes, with the (paused) time it did so.
    type Published = (Instant, String, serde_json::Value);
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<Published>>>);
    impl Broker for Recorder {
        fn publish(&self, msg: Publish) {
            let data = serde_json::from_str(msg.data.get()).unwrap();
            self.0
                .lock()
                .unwrap()
                .push((Instant::now(), msg.kind.into_owned(), data));
        }

        fn publish_once(
            &self,
            _: String,
            msg: Publish,
        ) -> futures_util::future::BoxFuture<'static, anyhow::Result<bool>> {
            self.publish(msg);
            Box::pin(async { Ok(true) })
        }
    }

    struct Elapsed(Arc<Mutex<Vec<(Instant, u64)>>>);
    impl Actor for Elapsed {
        type Context = Context<Self>;
    }
    impl Handler<PhaseElapsed> for Elapsed {
        type Result = ();
        fn handle(&mut self, m: PhaseElapsed, _: &mut Context<Self>) {
            self.0.lock().unwrap().push((Instant::now(), m.generation));
        }
    }

    #[actix::test]
    async fn a_timer_restored_past_its_deadline_reports_it_at_once_without_a_stale_tick() {
        tokio::time::pause();
        let rec = Recorder::default();
        let elapsed = Arc::new(Mutex::new(Vec::new()));
        let sink = Elapsed(Arc::clone(&elapsed)).start();
        let registry = Registry::default().start();
        // The round ended 2 s before the (restarted) server set its clock.
        let ends = Utc::now() - chrono::Duration::seconds(2);
        let set = SetPhase {
            phase: Phase::Round,
            clock: PhaseClock::new(ends - chrono::Duration::seconds(60), ends, 1),
            generation: 3,
        };
        let _timer = RoundTimer::new(
            RoundId::new(),
            EventId::new(),
            1,
            set,
            Bus::new(rec.clone()),
            sink.recipient(),
            registry,
        )
        .start();

        tokio::time::sleep(Duration::from_millis(50)).await;

        let kinds: Vec<String> = rec.0.lock().unwrap().iter().map(|(_, k, _)| k.clone()).collect();
        assert!(
            !kinds.iter().any(|k| k == "timer_update"),
            "no tick for a mark 2 s gone: {kinds:?}"
        );
        let done = elapsed.lock().unwrap().clone();
        assert_eq!(done.len(), 1, "the deadline is reported once");
        assert_eq!(done[0].1, 3);
    }

    #[actix::test]
    async fn a_round_ticks_every_whole_second_warns_and_reports_its_deadline() {
        tokio::time::pause();
        let rec = Recorder::default();
        let elapsed = Arc::new(Mutex::new(Vec::new()));
        let sink = Elapsed(Arc::clone(&elapsed)).start();
        let registry = Registry::default().start();
        let start = Utc::now();
        let t0 = Instant::now();
        let clock = PhaseClock::new(start, start + chrono::Duration::seconds(65), 1);
        let set = SetPhase {
            phase: Phase::Round,
            clock,
            generation: 7,
        };
        let _timer = RoundTimer::new(
            RoundId::new(),
            EventId::new(),
            1,
            set,
            Bus::new(rec.clone()),
            sink.recipient(),
            registry,
        )
        .start();

        tokio::time::sleep(Duration::from_secs(70)).await;

        let log = rec.0.lock().unwrap().clone();
        let ticks: Vec<u64> = log
            .iter()
            .filter(|(_, k, _)| k == "timer_update")
            .map(|(_, _, d)| d["time_remaining"].as_u64().unwrap())
            .collect();
        assert_eq!(
            ticks,
            (0..=64).rev().collect::<Vec<u64>>(),
            "one tick per whole second, none skipped or repeated"
        );
        for (at, kind, d) in &log {
            if kind == "timer_update" {
                let mark = clock.deadline - Duration::from_secs(d["time_remaining"].as_u64().unwrap());
                assert!(
                    at.duration_since(mark) < Duration::from_millis(5),
                    "tick late on paused time"
                );
            }
        }
        let warnings: Vec<(u64, String)> = log
            .iter()
            .filter(|(_, k, _)| k == "timer_warning")
            .map(|(_, _, d)| {
                (
                    d["time_remaining"].as_u64().unwrap(),
                    d["warning_type"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(warnings.len(), 12);
        assert_eq!(warnings[0], (60, "one_minute".to_owned()));
        assert_eq!(warnings[1], (30, "thirty_seconds".to_owned()));
        assert_eq!(warnings[11], (1, "countdown".to_owned()));
        let done = elapsed.lock().unwrap().clone();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].1, 7);
        assert!(done[0].0.duration_since(t0) >= Duration::from_secs(64));
    }

    #[actix::test]
    async fn moving_the_deadline_reschedules_ticks_from_the_new_deadline() {
        tokio::time::pause();
        let rec = Recorder::default();
        let elapsed = Arc::new(Mutex::new(Vec::new()));
        let sink = Elapsed(Arc::clone(&elapsed)).start();
        let start = Utc::now();
        let clock = PhaseClock::new(start, start + chrono::Duration::seconds(5), 1);
        let set = SetPhase {
            phase: Phase::Break,
            clock,
            generation: 1,
        };
        let timer = RoundTimer::new(
            RoundId::new(),
            EventId::new(),
            1,
            set,
            Bus::new(rec.clone()),
            sink.recipient(),
            Registry::default().start(),
        )
        .start();
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        let mut longer = clock;
        longer.ends_at += chrono::Duration::seconds(10);
        longer.deadline += Duration::from_secs(10);
        timer
            .send(SetPhase {
                phase: Phase::Break,
                clock: longer,
                generation: 2,
            })
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(20)).await;

        let ticks: Vec<u64> = rec
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, k, _)| k == "timer_update")
            .map(|(_, _, d)| d["time_remaining"].as_u64().unwrap())
            .collect();
        // 4, 3 before the extension; then from 12 (2.5 s into a 15 s phase) down to 0.
        assert_eq!(ticks, [4, 3].into_iter().chain((0..=12).rev()).collect::<Vec<u64>>());
        assert!(
            rec.0.lock().unwrap().iter().all(|(_, k, _)| k != "timer_warning"),
            "breaks carry no warnings"
        );
        assert_eq!(elapsed.lock().unwrap().iter().map(|e| e.1).collect::<Vec<_>>(), vec![2]);
    }
}
