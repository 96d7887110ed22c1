//! One actor per live event: the single writer for its rounds and its
//! countdown. Each command is validated, persisted, applied to the live
//! state, then published; the mailbox is held (`AtomicResponse`) until that
//! is done, so two commands for one event never interleave.
//!
//! Transitions are computed by async functions that only touch the
//! database and return `Step`s; `apply` then changes the live state and
//! publishes, in order, inside the actor.

mod announcements;

pub use announcements::{
    views as announcement_views, AnnouncementPatch, AnnouncementView, AnnouncementsState, CreateAnnouncement,
    DeleteAnnouncement, Reader, UpdateAnnouncement,
};

use super::countdown::{Countdown, SetDeadline, StopCountdownTimer};
use super::registry::{ActorDown, ActorKind, ActorUp, Registry, Retain};
use super::round_timer::{RoundTimer, SetPhase, StopTimer};
use crate::bus::Bus;
use crate::clock::PhaseClock;
use crate::error::{AppError, AppResult};
use crate::model::{CountdownId, EventId, Phase, RoundId, RoundStatus, UserId};
use crate::protocol::payload::{
    Announcement, BreakEnded, CountdownCancelled, CountdownCompleted, CountdownExtended, CountdownState, EventSnapshot,
    RoundEnded, RoundExtended, RoundState, TimerState,
};
use crate::protocol::Topic;
use crate::store;
use actix::prelude::*;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use entity::{countdown, round};
use sea_orm::{ActiveModelTrait, DatabaseConnection, IntoActiveModel, Set};
use serde_json::json;
use std::pin::Pin;
use std::time::Duration;

/// How long to wait before retrying a transition the database refused.
const RETRY_AFTER: Duration = Duration::from_secs(1);

// ---- commands -------------------------------------------------------------

#[derive(Message)]
#[rtype(result = "AppResult<TimerState>")]
pub struct StartRound {
    pub round_id: RoundId,
}

#[derive(Message)]
#[rtype(result = "AppResult<round::Model>")]
pub struct EndRound {
    pub round_id: RoundId,
}

#[derive(Message)]
#[rtype(result = "AppResult<TimerState>")]
pub struct ExtendRound {
    pub round_id: RoundId,
    pub by: Duration,
}

/// An announcement to the event, or to one round of it.
#[derive(Message)]
#[rtype(result = "AppResult<Announcement>")]
pub struct Announce {
    pub round_id: Option<RoundId>,
    pub message: String,
    pub author_id: UserId,
    pub author_name: String,
}

#[derive(Message)]
#[rtype(result = "AppResult<CountdownState>")]
pub struct StartCountdown {
    pub duration: Duration,
    pub message: String,
}

#[derive(Message)]
#[rtype(result = "AppResult<CountdownCancelled>")]
pub struct StopCountdown;

#[derive(Message)]
#[rtype(result = "AppResult<CountdownState>")]
pub struct ExtendCountdown {
    pub by: Duration,
}

/// The live state, for first frames and status endpoints.
#[derive(Message)]
#[rtype(result = "EventSnapshot")]
pub struct Snapshot;

/// From a `RoundTimer`: the current phase reached its deadline.
#[derive(Message)]
#[rtype(result = "()")]
pub struct PhaseElapsed {
    pub round_id: RoundId,
    pub generation: u64,
}

/// From a `Countdown`: it reached zero.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CountdownElapsed {
    pub countdown_id: CountdownId,
    pub generation: u64,
}

// ---- state ----------------------------------------------------------------

struct LiveRound {
    model: round::Model,
    phase: Phase,
    version: u64,
    timer: Addr<RoundTimer>,
}

struct LiveCountdown {
    model: countdown::Model,
    version: u64,
    timer: Addr<Countdown>,
}

/// What a transition did, applied in order once it is persisted.
enum Step {
    SetRound(Option<(round::Model, Phase)>),
    SetCountdown(Option<countdown::Model>),
    Notify(Notice),
}

enum Notice {
    RoundStarted,
    RoundEnded { model: round::Model, early: bool },
    BreakStarted,
    BreakEnded { model: round::Model, next: Option<RoundId> },
    RoundExtended { by: Duration },
    CountdownStarted,
    CountdownExtended { by: Duration },
    CountdownCancelled(CountdownCancelled),
    CountdownCompleted(CountdownCompleted),
    Announcement(Announcement),
}

pub struct EventActor {
    id: EventId,
    db: DatabaseConnection,
    bus: Bus,
    registry: Addr<Registry>,
    round: Option<LiveRound>,
    countdown: Option<LiveCountdown>,
    round_generation: u64,
    countdown_generation: u64,
    /// Grows with every change of live state; carried by every state
    /// message and clock. Starts from the wall clock so it keeps growing
    /// across restarts.
    version: u64,
    /// Rounds whose state changed in the transition being applied.
    touched: Vec<round::Model>,
    board: announcements::Board,
}

pub(crate) fn round_clock(m: &round::Model, phase: Phase, version: u64) -> Option<PhaseClock> {
    match phase {
        Phase::Round => Some(PhaseClock::new(m.started_at?, m.ends_at?, version)),
        Phase::Break => Some(PhaseClock::new(m.ends_at?, m.break_ends_at?, version)),
    }
}

fn countdown_clock(m: &countdown::Model, version: u64) -> PhaseClock {
    PhaseClock::new(m.started_at, m.ends_at, version)
}

fn by_chrono(d: Duration) -> ChronoDuration {
    ChronoDuration::from_std(d).unwrap_or_else(|_| ChronoDuration::zero())
}

impl EventActor {
    pub fn new(id: EventId, db: DatabaseConnection, bus: Bus, registry: Addr<Registry>) -> Self {
        Self {
            id,
            db,
            bus,
            registry,
            round: None,
            countdown: None,
            round_generation: 0,
            countdown_generation: 0,
            version: u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0),
            touched: Vec::new(),
            board: announcements::Board::default(),
        }
    }

    fn bump(&mut self) -> u64 {
        let now = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
        self.version = (self.version + 1).max(now);
        self.version
    }

    fn timer_state(&self) -> Option<TimerState> {
        let live = self.round.as_ref()?;
        let clock = round_clock(&live.model, live.phase, live.version)?;
        Some(TimerState::new(
            RoundId(live.model.id),
            self.id,
            live.model.ordinal,
            live.phase,
            &clock,
            None,
        ))
    }

    fn countdown_state(&self) -> Option<CountdownState> {
        let live = self.countdown.as_ref()?;
        Some(CountdownState::running(
            CountdownId(live.model.id),
            self.id,
            &live.model.message,
            &countdown_clock(&live.model, live.version),
            None,
        ))
    }

    fn live_round(&self) -> Option<(round::Model, Phase)> {
        self.round.as_ref().map(|l| (l.model.clone(), l.phase))
    }

    fn apply(&mut self, steps: Vec<Step>, ctx: &mut Context<Self>) {
        let changed = steps
            .iter()
            .any(|s| !matches!(s, Step::Notify(Notice::Announcement(_))));
        for step in steps {
            match step {
                Step::SetRound(next) => self.set_round(next, ctx),
                Step::SetCountdown(next) => self.set_countdown(next, ctx),
                Step::Notify(n) => self.notify(n),
            }
        }
        if changed {
            self.publish_state();
        }
        self.announce_self();
    }

    fn snapshot(&self) -> EventSnapshot {
        EventSnapshot {
            event_id: self.id,
            version: self.version,
            countdown: self.countdown_state(),
            round: self.timer_state(),
        }
    }

    /// The whole state, kept by the registry as each topic's latest, so a
    /// subscriber (or a reconnect storm) costs no database read.
    fn publish_state(&mut self) {
        self.bus
            .publish(Topic::Event(self.id), "event_state", &self.snapshot(), Retain::State);
        let live = self.round.as_ref().map(|l| l.model.id);
        for m in std::mem::take(&mut self.touched) {
            let timer = if Some(m.id) == live { self.timer_state() } else { None };
            let state = RoundState {
                round_id: RoundId(m.id),
                event_id: self.id,
                round_status: RoundStatus::parse_stored(&m.status).as_str(),
                version: self.version,
                timer,
            };
            self.bus
                .publish(Topic::Round(RoundId(m.id)), "timer_state", &state, Retain::State);
        }
    }

    fn touch(&mut self, m: &round::Model) {
        self.touched.retain(|t| t.id != m.id);
        self.touched.push(m.clone());
    }

    fn set_round(&mut self, next: Option<(round::Model, Phase)>, ctx: &mut Context<Self>) {
        self.round_generation += 1;
        let version = self.bump();
        let Some((model, phase)) = next else {
            if let Some(old) = self.round.take() {
                old.timer.do_send(StopTimer);
            }
            return;
        };
        self.touch(&model);
        let Some(clock) = round_clock(&model, phase, version) else {
            tracing::error!(round = %model.id, "live round without deadlines; not ticking");
            return;
        };
        let set = SetPhase {
            phase,
            clock,
            generation: self.round_generation,
        };
        let timer = match self.round.take() {
            Some(old) if old.model.id == model.id => {
                old.timer.do_send(set);
                old.timer
            }
            old => {
                if let Some(old) = old {
                    old.timer.do_send(StopTimer);
                }
                RoundTimer::new(
                    RoundId(model.id),
                    self.id,
                    model.ordinal,
                    set,
                    self.bus.clone(),
                    ctx.address().recipient(),
                    self.registry.clone(),
                )
                .start()
            }
        };
        self.round = Some(LiveRound {
            model,
            phase,
            version,
            timer,
        });
    }

    fn set_countdown(&mut self, next: Option<countdown::Model>, ctx: &mut Context<Self>) {
        self.countdown_generation += 1;
        let version = self.bump();
        let Some(model) = next else {
            if let Some(old) = self.countdown.take() {
                old.timer.do_send(StopCountdownTimer);
            }
            return;
        };
        let clock = countdown_clock(&model, version);
        let timer = match self.countdown.take() {
            Some(old) if old.model.id == model.id => {
                old.timer.do_send(SetDeadline {
                    clock,
                    generation: self.countdown_generation,
                });
                old.timer
            }
            old => {
                if let Some(old) = old {
                    old.timer.do_send(StopCountdownTimer);
                }
                Countdown::new(
                    CountdownId(model.id),
                    self.id,
                    model.message.clone(),
                    clock,
                    self.countdown_generation,
                    self.bus.clone(),
                    ctx.address().recipient(),
                    self.registry.clone(),
                )
                .start()
            }
        };
        self.countdown = Some(LiveCountdown { model, version, timer });
    }

    fn notify(&mut self, notice: Notice) {
        let event = Topic::Event(self.id);
        let round_topics = |id: uuid::Uuid| [event, Topic::Round(RoundId(id))];
        match notice {
            Notice::RoundStarted | Notice::BreakStarted => {
                let kind = if matches!(notice, Notice::RoundStarted) {
                    "round_started"
                } else {
                    "break_started"
                };
                if let Some(state) = self.timer_state() {
                    self.bus
                        .publish_all(&round_topics(state.round_id.0), kind, &state, Retain::History);
                }
            }
            Notice::RoundExtended { by } => {
                if let Some(timer) = self.timer_state() {
                    let data = RoundExtended {
                        additional_seconds: by.as_secs(),
                        timer,
                    };
                    self.bus.publish_all(
                        &round_topics(data.timer.round_id.0),
                        "round_extended",
                        &data,
                        Retain::History,
                    );
                }
            }
            Notice::RoundEnded { model, early } => {
                self.touch(&model);
                let data = RoundEnded {
                    round_id: RoundId(model.id),
                    event_id: self.id,
                    ordinal: model.ordinal,
                    ended_early: early,
                };
                self.bus
                    .publish_all(&round_topics(model.id), "round_ended", &data, Retain::History);
            }
            Notice::BreakEnded { model, next } => {
                self.touch(&model);
                let data = BreakEnded {
                    round_id: RoundId(model.id),
                    event_id: self.id,
                    next_round_id: next,
                };
                self.bus
                    .publish_all(&round_topics(model.id), "break_ended", &data, Retain::History);
            }
            Notice::CountdownStarted => {
                if let Some(state) = self.countdown_state() {
                    self.bus.publish(event, "countdown_started", &state, Retain::History);
                }
            }
            Notice::CountdownExtended { by } => {
                if let Some(countdown) = self.countdown_state() {
                    let data = CountdownExtended {
                        countdown,
                        additional_seconds: by.as_secs(),
                    };
                    self.bus.publish(event, "countdown_extended", &data, Retain::History);
                }
            }
            Notice::CountdownCancelled(data) => self.bus.publish(event, "countdown_cancelled", &data, Retain::History),
            Notice::CountdownCompleted(data) => self.bus.publish(event, "countdown_completed", &data, Retain::History),
            Notice::Announcement(data) => match data.round_id {
                Some(r) => {
                    self.bus
                        .publish(Topic::Round(r), "announcement", &data, Retain::History);
                    self.bus.publish(event, "round_announcement", &data, Retain::History);
                }
                None => self.bus.publish(event, "announcement", &data, Retain::History),
            },
        }
    }

    fn announce_self(&self) {
        self.registry.do_send(ActorUp {
            kind: ActorKind::Event,
            id: self.id.to_string(),
            topic: Some(Topic::Event(self.id)),
            state: json!({
                "round": self.round.as_ref().map(|l| json!({
                    "round_id": l.model.id, "ordinal": l.model.ordinal, "phase": l.phase,
                })),
                "countdown": self.countdown.as_ref().map(|c| json!({
                    "countdown_id": c.model.id,
                    "ends_at": crate::clock::fmt_time(c.model.ends_at),
                })),
            }),
        });
    }

    /// Runs a transition with the mailbox held, then applies its steps.
    fn transact<T, F>(
        &mut self,
        fut: F,
        reply: impl FnOnce(&Self) -> AppResult<T> + 'static,
    ) -> AtomicResponse<Self, AppResult<T>>
    where
        T: 'static,
        F: std::future::Future<Output = AppResult<Vec<Step>>> + 'static,
    {
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(move |res, act, ctx| {
            let steps = res?;
            act.apply(steps, ctx);
            reply(act)
        })))
    }
}

impl Actor for EventActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(1024);
        // Restore whatever clock was running when the process last stopped;
        // a deadline that passed meanwhile fires at once and the usual
        // transitions catch up from the stored deadlines.
        let (db, id) = (self.db.clone(), self.id);
        ctx.wait(
            async move {
                let round = store::rounds::live(&db)
                    .await?
                    .into_iter()
                    .rfind(|r| r.event_id == id.0);
                let countdown = store::countdowns::running_for(&db, id).await?;
                Ok::<_, sea_orm::DbErr>((round, countdown))
            }
            .into_actor(self)
            .map(|res, act, ctx| match res {
                Ok((round, countdown)) => {
                    let mut steps = Vec::new();
                    if let Some(r) = round {
                        let phase = if RoundStatus::parse_stored(&r.status) == RoundStatus::Break {
                            Phase::Break
                        } else {
                            Phase::Round
                        };
                        steps.push(Step::SetRound(Some((r, phase))));
                    }
                    if let Some(c) = countdown {
                        steps.push(Step::SetCountdown(Some(c)));
                    }
                    // `apply` publishes the state when it restored anything;
                    // an idle event still needs its (empty) state known.
                    let idle = steps.is_empty();
                    act.apply(steps, ctx);
                    if idle {
                        act.publish_state();
                    }
                }
                Err(e) => {
                    tracing::error!(event = %act.id, error = %e, "could not restore live state");
                    act.announce_self();
                }
            }),
        );
        self.restore_announcements(ctx);
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.registry.do_send(ActorDown {
            kind: ActorKind::Event,
            id: self.id.to_string(),
        });
    }
}

// ---- transitions (database only) -----------------------------------------

async fn persist_start(db: &DatabaseConnection, r: round::Model, at: DateTime<Utc>) -> AppResult<round::Model> {
    let ends_at = at + ChronoDuration::seconds(i64::from(r.duration_secs));
    let mut am = r.into_active_model();
    am.status = Set(RoundStatus::Running.as_str().into());
    am.started_at = Set(Some(at));
    am.ends_at = Set(Some(ends_at));
    am.break_ends_at = Set(None);
    Ok(am.update(db).await?)
}

/// Starts the next pending round at `at` when the event wants that.
async fn auto_start_next(
    db: &DatabaseConnection,
    event: EventId,
    at: DateTime<Utc>,
    wanted: impl Fn(&entity::event::Model) -> bool,
) -> AppResult<Option<round::Model>> {
    let Some(ev) = store::events::get(db, event).await? else {
        return Ok(None);
    };
    if !wanted(&ev) {
        return Ok(None);
    }
    match store::rounds::next_pending(db, event).await? {
        Some(next) => Ok(Some(persist_start(db, next, at).await?)),
        None => Ok(None),
    }
}

async fn end_round_phase(
    db: DatabaseConnection,
    event: EventId,
    live: round::Model,
    early: bool,
) -> AppResult<Vec<Step>> {
    let end = if early {
        Utc::now()
    } else {
        live.ends_at.unwrap_or_else(Utc::now)
    };
    let break_secs = live.break_secs;
    let mut am = live.into_active_model();
    am.ends_at = Set(Some(end));
    if break_secs > 0 {
        am.status = Set(RoundStatus::Break.as_str().into());
        am.break_ends_at = Set(Some(end + ChronoDuration::seconds(i64::from(break_secs))));
        let m = am.update(&db).await?;
        return Ok(vec![
            Step::Notify(Notice::RoundEnded {
                model: m.clone(),
                early,
            }),
            Step::SetRound(Some((m, Phase::Break))),
            Step::Notify(Notice::BreakStarted),
        ]);
    }
    am.status = Set(RoundStatus::Completed.as_str().into());
    let m = am.update(&db).await?;
    let mut steps = vec![
        Step::Notify(Notice::RoundEnded { model: m, early }),
        Step::SetRound(None),
    ];
    if let Some(next) = auto_start_next(&db, event, end, |e| e.auto_advance_rounds).await? {
        steps.push(Step::SetRound(Some((next, Phase::Round))));
        steps.push(Step::Notify(Notice::RoundStarted));
    }
    Ok(steps)
}

/// Ends a break; `next` is a round the caller is about to start itself.
async fn end_break(
    db: &DatabaseConnection,
    event: EventId,
    live: round::Model,
    early: bool,
    next: Option<RoundId>,
) -> AppResult<Vec<Step>> {
    let end = if early {
        Utc::now()
    } else {
        live.break_ends_at.unwrap_or_else(Utc::now)
    };
    let mut am = live.into_active_model();
    am.status = Set(RoundStatus::Completed.as_str().into());
    am.break_ends_at = Set(Some(end));
    let m = am.update(db).await?;
    if next.is_some() {
        return Ok(vec![
            Step::Notify(Notice::BreakEnded { model: m, next }),
            Step::SetRound(None),
        ]);
    }
    let started = auto_start_next(db, event, end, |e| e.auto_advance_rounds).await?;
    let mut steps = vec![
        Step::Notify(Notice::BreakEnded {
            model: m,
            next: started.as_ref().map(|r| RoundId(r.id)),
        }),
        Step::SetRound(None),
    ];
    if let Some(next) = started {
        steps.push(Step::SetRound(Some((next, Phase::Round))));
        steps.push(Step::Notify(Notice::RoundStarted));
    }
    Ok(steps)
}

fn check_live(live: Option<(round::Model, Phase)>, round_id: RoundId, what: &str) -> AppResult<(round::Model, Phase)> {
    match live {
        Some((m, p)) if m.id == round_id.0 => Ok((m, p)),
        _ => Err(AppError::Conflict(format!("cannot {what}: the round is not running"))),
    }
}

// ---- handlers -------------------------------------------------------------

impl Handler<StartRound> for EventActor {
    type Result = AtomicResponse<Self, AppResult<TimerState>>;
    fn handle(&mut self, msg: StartRound, _: &mut Context<Self>) -> Self::Result {
        let (db, event, live) = (self.db.clone(), self.id, self.live_round());
        let fut = async move {
            let r = store::rounds::get(&db, msg.round_id)
                .await?
                .filter(|r| r.event_id == event.0)
                .ok_or_else(|| AppError::not_found("round"))?;
            let status = RoundStatus::parse_stored(&r.status);
            if status != RoundStatus::Pending {
                return Err(AppError::Conflict(format!(
                    "round {} is already {}",
                    r.ordinal,
                    status.as_str()
                )));
            }
            let mut steps = Vec::new();
            if let Some((current, phase)) = live {
                if phase == Phase::Round {
                    return Err(AppError::Conflict(format!(
                        "round {} is running; end it first",
                        current.ordinal
                    )));
                }
                steps.extend(end_break(&db, event, current, true, Some(msg.round_id)).await?);
            }
            let started = persist_start(&db, r, Utc::now()).await?;
            steps.push(Step::SetRound(Some((started, Phase::Round))));
            steps.push(Step::Notify(Notice::RoundStarted));
            Ok(steps)
        };
        self.transact(fut, |act| {
            act.timer_state()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("started round has no clock")))
        })
    }
}

impl Handler<EndRound> for EventActor {
    type Result = AtomicResponse<Self, AppResult<round::Model>>;
    fn handle(&mut self, msg: EndRound, _: &mut Context<Self>) -> Self::Result {
        let (db, event, live) = (self.db.clone(), self.id, self.live_round());
        let round_id = msg.round_id;
        let fut = async move {
            let (m, phase) = check_live(live, round_id, "end")?;
            match phase {
                Phase::Round => end_round_phase(db, event, m, true).await,
                Phase::Break => end_break(&db, event, m, true, None).await,
            }
        };
        let db = self.db.clone();
        AtomicResponse::new(Box::pin(
            fut.into_actor(self)
                .map(|res, act, ctx| res.map(|steps| act.apply(steps, ctx)))
                .then(move |res, act, _| {
                    async move {
                        res?;
                        store::rounds::get(&db, round_id)
                            .await?
                            .ok_or_else(|| AppError::not_found("round"))
                    }
                    .into_actor(act)
                }),
        ))
    }
}

impl Handler<ExtendRound> for EventActor {
    type Result = AtomicResponse<Self, AppResult<TimerState>>;
    fn handle(&mut self, msg: ExtendRound, _: &mut Context<Self>) -> Self::Result {
        let (db, live) = (self.db.clone(), self.live_round());
        let by = msg.by;
        let fut = async move {
            let (m, phase) = check_live(live, msg.round_id, "extend")?;
            let mut am = m.clone().into_active_model();
            match phase {
                Phase::Round => am.ends_at = Set(m.ends_at.map(|t| t + by_chrono(by))),
                Phase::Break => am.break_ends_at = Set(m.break_ends_at.map(|t| t + by_chrono(by))),
            }
            let m = am.update(&db).await?;
            Ok(vec![
                Step::SetRound(Some((m, phase))),
                Step::Notify(Notice::RoundExtended { by }),
            ])
        };
        self.transact(fut, |act| {
            act.timer_state()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("extended round has no clock")))
        })
    }
}

impl Handler<Announce> for EventActor {
    type Result = AtomicResponse<Self, AppResult<Announcement>>;
    fn handle(&mut self, msg: Announce, _: &mut Context<Self>) -> Self::Result {
        let (db, event) = (self.db.clone(), self.id);
        let out = std::rc::Rc::new(std::cell::RefCell::new(None));
        let out2 = std::rc::Rc::clone(&out);
        let fut = async move {
            let a = store::announcements::create(&db, event, msg.round_id, msg.message, msg.author_id).await?;
            let data = Announcement {
                announcement_id: a.id,
                event_id: event,
                round_id: a.round_id.map(RoundId),
                message: a.message,
                author: msg.author_name,
                created_at: a.created_at,
            };
            *out2.borrow_mut() = Some(data.clone());
            Ok(vec![Step::Notify(Notice::Announcement(data))])
        };
        self.transact(fut, move |_| {
            out.borrow_mut()
                .take()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("announcement lost")))
        })
    }
}

impl Handler<StartCountdown> for EventActor {
    type Result = AtomicResponse<Self, AppResult<CountdownState>>;
    fn handle(&mut self, msg: StartCountdown, _: &mut Context<Self>) -> Self::Result {
        let (db, event, running) = (self.db.clone(), self.id, self.countdown.is_some());
        let fut = async move {
            if running {
                return Err(AppError::Conflict(
                    "a countdown is already running; extend or stop it".into(),
                ));
            }
            let now = Utc::now();
            let c = store::countdowns::create(&db, event, msg.message, now, now + by_chrono(msg.duration)).await?;
            Ok(vec![
                Step::SetCountdown(Some(c)),
                Step::Notify(Notice::CountdownStarted),
            ])
        };
        self.transact(fut, |act| {
            act.countdown_state()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("countdown missing")))
        })
    }
}

impl Handler<StopCountdown> for EventActor {
    type Result = AtomicResponse<Self, AppResult<CountdownCancelled>>;
    fn handle(&mut self, _: StopCountdown, _: &mut Context<Self>) -> Self::Result {
        let (db, event) = (self.db.clone(), self.id);
        let live = self.countdown.as_ref().map(|c| c.model.clone());
        let reply = live.as_ref().map(|c| CountdownCancelled {
            event_id: event,
            countdown_id: CountdownId(c.id),
        });
        let fut = async move {
            let c = live.ok_or_else(|| AppError::Conflict("no countdown is running".into()))?;
            let id = c.id;
            let mut am = c.into_active_model();
            am.status = Set(crate::model::CountdownStatus::Cancelled.as_str().into());
            am.update(&db).await?;
            Ok(vec![
                Step::SetCountdown(None),
                Step::Notify(Notice::CountdownCancelled(CountdownCancelled {
                    event_id: event,
                    countdown_id: CountdownId(id),
                })),
            ])
        };
        self.transact(fut, move |_| {
            reply.ok_or_else(|| AppError::Conflict("no countdown is running".into()))
        })
    }
}

impl Handler<ExtendCountdown> for EventActor {
    type Result = AtomicResponse<Self, AppResult<CountdownState>>;
    fn handle(&mut self, msg: ExtendCountdown, _: &mut Context<Self>) -> Self::Result {
        let db = self.db.clone();
        let live = self.countdown.as_ref().map(|c| c.model.clone());
        let by = msg.by;
        let fut = async move {
            let c = live.ok_or_else(|| AppError::Conflict("no countdown is running".into()))?;
            let (ends_at, total) = (c.ends_at + by_chrono(by), c.total_secs);
            let mut am = c.into_active_model();
            am.ends_at = Set(ends_at);
            am.total_secs = Set(total.saturating_add(i32::try_from(by.as_secs()).unwrap_or(i32::MAX)));
            let c = am.update(&db).await?;
            Ok(vec![
                Step::SetCountdown(Some(c)),
                Step::Notify(Notice::CountdownExtended { by }),
            ])
        };
        self.transact(fut, |act| {
            act.countdown_state()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("countdown missing")))
        })
    }
}

impl Handler<Snapshot> for EventActor {
    type Result = AtomicResponse<Self, EventSnapshot>;
    fn handle(&mut self, _: Snapshot, _: &mut Context<Self>) -> Self::Result {
        // A phase whose deadline has passed (restored after a restart, its
        // timer's message still queued) is never shown as current: the
        // transition is made first, and the timer's late message is then
        // stale by generation.
        let due = self.round.as_ref().and_then(|l| {
            let deadline = match l.phase {
                Phase::Round => l.model.ends_at,
                Phase::Break => l.model.break_ends_at,
            }?;
            (deadline <= Utc::now()).then_some(PhaseElapsed {
                round_id: RoundId(l.model.id),
                generation: self.round_generation,
            })
        });
        let fut = match due {
            Some(msg) => self.elapse(msg),
            None => Box::pin(actix::fut::ready(())),
        };
        AtomicResponse::new(Box::pin(fut.map(|_, act, _| act.snapshot())))
    }
}

impl EventActor {
    /// The transition at the end of the current phase, if `msg` is still
    /// about it.
    fn elapse(&mut self, msg: PhaseElapsed) -> Pin<Box<dyn ActorFuture<Self, Output = ()>>> {
        let (db, event) = (self.db.clone(), self.id);
        let live = self
            .live_round()
            .filter(|(m, _)| m.id == msg.round_id.0 && msg.generation == self.round_generation);
        let fut = async move {
            match live {
                None => Ok(Vec::new()),
                Some((m, Phase::Round)) => end_round_phase(db, event, m, false).await,
                Some((m, Phase::Break)) => end_break(&db, event, m, false, None).await,
            }
        };
        Box::pin(fut.into_actor(self).map(move |res, act, ctx| match res {
            Ok(steps) => act.apply(steps, ctx),
            Err(e) => {
                tracing::error!(event = %act.id, error = %e, "phase transition failed; retrying");
                ctx.run_later(RETRY_AFTER, move |_, ctx| ctx.notify(msg));
            }
        }))
    }
}

impl Handler<PhaseElapsed> for EventActor {
    type Result = AtomicResponse<Self, ()>;
    fn handle(&mut self, msg: PhaseElapsed, _: &mut Context<Self>) -> Self::Result {
        AtomicResponse::new(self.elapse(msg))
    }
}

impl Handler<CountdownElapsed> for EventActor {
    type Result = AtomicResponse<Self, ()>;
    fn handle(&mut self, msg: CountdownElapsed, _: &mut Context<Self>) -> Self::Result {
        let (db, event) = (self.db.clone(), self.id);
        let live = self
            .countdown
            .as_ref()
            .filter(|c| c.model.id == msg.countdown_id.0 && msg.generation == self.countdown_generation)
            .map(|c| c.model.clone());
        let round_is_live = self.round.is_some();
        let fut = async move {
            let Some(c) = live else { return Ok(Vec::new()) };
            let (id, message, at) = (c.id, c.message.clone(), c.ends_at);
            let mut am = c.into_active_model();
            am.status = Set(crate::model::CountdownStatus::Completed.as_str().into());
            am.update(&db).await?;
            let first = if round_is_live {
                None
            } else {
                auto_start_next(&db, event, at, |e| e.auto_start_first_round).await?
            };
            let mut steps = vec![
                Step::SetCountdown(None),
                Step::Notify(Notice::CountdownCompleted(CountdownCompleted {
                    event_id: event,
                    countdown_id: CountdownId(id),
                    message,
                    first_round_id: first.as_ref().map(|r| RoundId(r.id)),
                })),
            ];
            if let Some(r) = first {
                steps.push(Step::SetRound(Some((r, Phase::Round))));
                steps.push(Step::Notify(Notice::RoundStarted));
            }
            Ok::<_, AppError>(steps)
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(move |res, act, ctx| match res {
            Ok(steps) => act.apply(steps, ctx),
            Err(e) => {
                tracing::error!(event = %act.id, error = %e, "countdown completion failed; retrying");
                ctx.run_later(RETRY_AFTER, move |_, ctx| ctx.notify(msg));
            }
        })))
    }
}
