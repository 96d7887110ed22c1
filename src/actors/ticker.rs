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
    /// Called at each whole-second mark `n` (seconds left); `n == 0` is the
    /// deadline itself and the last call until the clock is set again.
    fn on_mark(&mut self, n: u64, ctx: &mut Context<Self>);
}

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
        act.on_mark(n, ctx);
        if n > 0 {
            schedule(act, ctx);
        }
    }));
}
