//! How much a session has queued that the socket has not taken yet.
//!
//! actix-web-actors buffers outgoing frames without bound; a client that
//! stops reading would grow that buffer forever. The session counts bytes it
//! queues, this stream wrapper counts bytes the connection actually pulls,
//! and the difference is the backlog the session caps.

use actix_web::web::Bytes;
use futures_util::Stream;
use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// Bytes pulled by the connection so far (shared with the session; both
/// live on the same worker thread).
pub type Sent = Rc<Cell<u64>>;

pub struct Counted<S> {
    inner: S,
    sent: Sent,
}

impl<S> Counted<S> {
    pub fn new(inner: S, sent: Sent) -> Self {
        Self { inner, sent }
    }
}

impl<S, E> Stream for Counted<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Item = Result<Bytes, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(bytes))) = &polled {
            self.sent.set(self.sent.get() + bytes.len() as u64);
        }
        polled
    }
}

/// Bytes a text frame of `len` payload bytes takes on the wire (server
/// frames are unmasked).
pub fn frame_len(len: usize) -> u64 {
    let header = if len < 126 {
        2
    } else if len <= u16::MAX as usize {
        4
    } else {
        10
    };
    (len + header) as u64
}
