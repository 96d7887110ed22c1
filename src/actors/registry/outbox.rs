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
//! stops the session and its outbox fills. Past a byte cap the registry
//! drops it as a slow consumer — the session cannot check this itself.

use super::Frame;
use actix::{Message, Recipient};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

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
    }
}

impl Mailbox {
    pub fn new(outbox: Arc<Outbox>, wake: Recipient<Flush>) -> Self {
        Self { outbox, wake }
    }

    pub fn push(&self, frame: Frame) -> Result<(), PushError> {
        {
            let mut q = self.outbox.lock();
            let bytes = q.bytes + frame.bytes.len();
            if q.frames.len() >= self.outbox.max_frames || (bytes > self.outbox.max_bytes && !q.frames.is_empty()) {
                return Err(PushError::Full);
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
