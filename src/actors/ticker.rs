//! Whole-second tick scheduling shared by the round timer and the countdown.
//! Each tick is scheduled at `deadline - n s`, recomputed from the deadline
//! every time, so a late wake-up never accumulates into drift.

use crate::clock::{next_mark, PhaseClock};
use actix::{Actor, AsyncContext, Context, SpawnHandle};
use tokio::time::Instant;

pub struct Ticker {
    pub clock: PhaseClock,
    last: Option<u64>,
    handle: Option<SpawnHandle>,
}

impl Ticker {
    pub fn new(clock: PhaseClock) -> Self {
        Self {
            clock,
            last: None,
            handle: None,
        }
    }
}

pub trait Ticking: Actor<Context = Context<Self>> {
    fn ticker(&mut self) -> &mut Ticker;
    /// Called at each whole-second mark `n` (seconds left) reached on time;
    /// `n == 0` is the deadline itself.
    fn on_mark(&mut self, n: u64, ctx: &mut Context<Self>);
    /// Called once the deadline is reached, late or not: the last call
    /// until the clock is set again.
    fn on_deadline(&mut self, ctx: &mut Context<Self>);
}

/// A mark reached later than this (a clock restored after a restart, its
/// deadline long gone) is not shown: a tick is only worth anything at the
/// moment it stands for, and clients already have the state that follows.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_millis(500);

/// (Re)starts ticking against `clock`, cancelling any pending tick.
pub fn restart<A: Ticking>(act: &mut A, ctx: &mut Context<A>, clock: PhaseClock) {
    let t = act.ticker();
    if let Some(h) = t.handle.take() {
        ctx.cancel_future(h);
    }
    t.clock = clock;
    t.last = None;
    schedule(act, ctx);
}

fn schedule<A: Ticking>(act: &mut A, ctx: &mut Context<A>) {
    let t = act.ticker();
    let now = Instant::now();
    let Some((n, when)) = next_mark(t.clock.deadline, now, t.last) else {
        t.handle = None;
        return;
    };
    t.handle = Some(ctx.run_later(when.saturating_duration_since(now), move |act, ctx| {
        act.ticker().last = Some(n);
        if Instant::now().saturating_duration_since(when) <= STALE_AFTER {
            act.on_mark(n, ctx);
        }
        match n {
            0 => act.on_deadline(ctx),
            _ => schedule(act, ctx),
        }
    }));
}
