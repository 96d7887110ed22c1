//! A session's outbox: the registry appends frames, the session takes them
//! all at once. The session is woken only when its outbox goes from empty to
//! non-empty, so a burst costs one wake-up and one socket write per session
//! instead of one of each per frame (the mailbox envelope per delivery was a
//! quarter of the plain actor design's profile, see docs/benchmarks.md).
//!
//! The lock is per session, held only for a `Vec` push or swap, never across
//! an await; the registry's own tables are never shared.

use super::Frame;
use actix::{Message, Recipient};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Tells a session its outbox has frames.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Flush;

pub struct Outbox {
    frames: Mutex<Vec<Frame>>,
    scheduled: AtomicBool,
    capacity: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub enum PushError {
    /// The session has not taken `capacity` frames: a slow consumer.
    Full,
    /// The session is gone.
    Closed,
}

/// The registry's end of an outbox.
#[derive(Clone)]
pub struct Mailbox {
    outbox: Arc<Outbox>,
    wake: Recipient<Flush>,
}

impl Outbox {
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            frames: Mutex::new(Vec::new()),
            scheduled: AtomicBool::new(false),
            capacity,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Frame>> {
        // A panic while holding this lock cannot leave a `Vec` half-pushed.
        self.frames.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Swaps everything queued into `into` (which must be empty), so both
    /// buffers keep their capacity across bursts.
    pub fn take(&self, into: &mut Vec<Frame>) {
        self.scheduled.store(false, Ordering::Release);
        std::mem::swap(&mut *self.lock(), into);
    }
}

impl Mailbox {
    pub fn new(outbox: Arc<Outbox>, wake: Recipient<Flush>) -> Self {
        Self { outbox, wake }
    }

    pub fn push(&self, frame: Frame) -> Result<(), PushError> {
        {
            let mut q = self.outbox.lock();
            if q.len() >= self.outbox.capacity {
                return Err(PushError::Full);
            }
            q.push(frame);
        }
        self.wake_up()
    }

    pub fn push_all(&self, frames: Vec<Frame>) -> Result<(), PushError> {
        {
            let mut q = self.outbox.lock();
            if q.len() + frames.len() > self.outbox.capacity.max(frames.len()) {
                return Err(PushError::Full);
            }
            q.extend(frames);
        }
        self.wake_up()
    }

    fn wake_up(&self) -> Result<(), PushError> {
        if self.outbox.scheduled.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        if !self.wake.connected() {
            return Err(PushError::Closed);
        }
        // One wake-up per batch; it must not be lost to a full mailbox.
        self.wake.do_send(Flush);
        Ok(())
    }
}
