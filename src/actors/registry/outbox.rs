//! A session's outbox: the registry appends frames, the session takes them
//! all at once. The session is woken only when its outbox goes from empty to
//! non-empty, so a burst costs one wake-up and one socket write per session
//! instead of one of each per frame (the mailbox envelope per delivery was a
//! quarter of the plain actor design's profile, see docs/benchmarks.md).
//!
//! The lock is per session, held only for a `Vec` push or swap, never across
//! an await; the registry's own tables are never shared.
//!
//! The outbox is also where a client that stops reading is caught: its
//! session only runs when the connection takes bytes, so a stalled socket
//! stops the session and its outbox fills — the session cannot notice this
//! itself. A session merely waiting for a busy CPU drains in milliseconds,
//! a stalled one never does, so time tells them apart: an outbox over the
//! byte cap for `STALL_GRACE` is a slow consumer, and one over
//! `HARD_FACTOR` times the cap is one at once (that bounds the memory a
//! stalled client can hold).

use super::Frame;
use actix::{Message, Recipient};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long an outbox may stay over its byte cap.
pub const STALL_GRACE: Duration = Duration::from_secs(2);
/// Over this many times the cap, a session is dropped without grace.
const HARD_FACTOR: usize = 8;

/// Tells a session its outbox has frames.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Flush;

pub struct Outbox {
    queue: Mutex<Queue>,
    scheduled: AtomicBool,
    max_frames: usize,
    max_bytes: usize,
}

#[derive(Default)]
struct Queue {
    frames: Vec<Frame>,
    bytes: usize,
    /// When the queue last went over the byte cap (cleared on take).
    over_since: Option<Instant>,
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
    pub fn new(max_frames: usize, max_bytes: u64) -> Arc<Self> {
        Arc::new(Self {
            queue: Mutex::new(Queue::default()),
            scheduled: AtomicBool::new(false),
            max_frames,
            max_bytes: usize::try_from(max_bytes).unwrap_or(usize::MAX),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding this lock cannot leave a `Vec` half-pushed.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Swaps everything queued into `into` (which must be empty), so both
    /// buffers keep their capacity across bursts.
    pub fn take(&self, into: &mut Vec<Frame>) {
        self.scheduled.store(false, Ordering::Release);
        let mut q = self.lock();
        std::mem::swap(&mut q.frames, into);
        q.bytes = 0;
        q.over_since = None;
    }

    /// Over the byte cap for longer than the grace: the client stopped reading.
    pub fn stalled(&self, now: Instant) -> bool {
        self.lock()
            .over_since
            .is_some_and(|t| now.duration_since(t) > STALL_GRACE)
    }
}

impl Mailbox {
    pub fn new(outbox: Arc<Outbox>, wake: Recipient<Flush>) -> Self {
        Self { outbox, wake }
    }

    pub fn stalled(&self, now: Instant) -> bool {
        self.outbox.stalled(now)
    }

    pub fn push(&self, frame: Frame) -> Result<(), PushError> {
        {
            let mut q = self.outbox.lock();
            let bytes = q.bytes + frame.bytes.len();
            let hard = self.outbox.max_bytes.saturating_mul(HARD_FACTOR);
            if q.frames.len() >= self.outbox.max_frames || (bytes > hard && !q.frames.is_empty()) {
                return Err(PushError::Full);
            }
            if bytes > self.outbox.max_bytes && q.over_since.is_none() {
                q.over_since = Some(Instant::now());
            }
            q.bytes = bytes;
            q.frames.push(frame);
        }
        self.wake_up()
    }

    /// A subscribe's reply and catch-up: bounded by the history, so only
    /// the frame count is checked.
    pub fn push_all(&self, frames: Vec<Frame>) -> Result<(), PushError> {
        {
            let mut q = self.outbox.lock();
            if q.frames.len() + frames.len() > self.outbox.max_frames.max(frames.len()) {
                return Err(PushError::Full);
            }
            q.bytes += frames.iter().map(|f| f.bytes.len()).sum::<usize>();
            q.frames.extend(frames);
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
