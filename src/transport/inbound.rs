//! Client frames as the session sees them: whole messages, reassembled from
//! fragments under a size cap and checked for UTF-8, or the reason the
//! connection must close.

use actix_http::ws::Item;
use actix_web_actors::ws::{CloseCode, Message, ProtocolError};

pub enum Inbound {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Close(Option<actix_web_actors::ws::CloseReason>),
    /// Nothing to do (a pong, a fragment still being collected).
    Nothing,
    /// Close the connection with this code.
    Fail(CloseCode, &'static str),
}

/// A fragmented message being reassembled.
#[derive(Default)]
pub struct Reassembly {
    partial: Option<(bool, Vec<u8>)>,
}

impl Reassembly {
    pub fn accept(&mut self, msg: Result<Message, ProtocolError>, max: usize) -> Inbound {
        let msg = match msg {
            Ok(m) => m,
            Err(ProtocolError::Overflow) => return Inbound::Fail(CloseCode::Size, "message too large"),
            Err(ProtocolError::Io(e)) if e.to_string().to_ascii_lowercase().contains("utf") => {
                return Inbound::Fail(CloseCode::Invalid, "text is not valid UTF-8")
            }
            Err(_) => return Inbound::Fail(CloseCode::Protocol, "protocol error"),
        };
        match msg {
            Message::Text(text) if self.partial.is_some() => {
                let _ = text;
                Inbound::Fail(CloseCode::Protocol, "new message before the last one ended")
            }
            Message::Text(text) if text.len() > max => Inbound::Fail(CloseCode::Size, "message too large"),
            Message::Text(text) => Inbound::Text(text.to_string()),
            Message::Binary(_) if self.partial.is_some() => {
                Inbound::Fail(CloseCode::Protocol, "new message before the last one ended")
            }
            Message::Binary(b) if b.len() > max => Inbound::Fail(CloseCode::Size, "message too large"),
            Message::Binary(b) => Inbound::Binary(b.to_vec()),
            Message::Continuation(item) => self.continuation(item, max),
            Message::Ping(p) => Inbound::Ping(p.to_vec()),
            Message::Pong(_) | Message::Nop => Inbound::Nothing,
            Message::Close(reason) => Inbound::Close(reason),
        }
    }

    fn continuation(&mut self, item: Item, max: usize) -> Inbound {
        let (first, text, bytes, last) = match item {
            Item::FirstText(b) => (true, true, b, false),
            Item::FirstBinary(b) => (true, false, b, false),
            Item::Continue(b) => (false, false, b, false),
            Item::Last(b) => (false, false, b, true),
        };
        if first {
            if self.partial.is_some() {
                return Inbound::Fail(CloseCode::Protocol, "new message before the last one ended");
            }
            self.partial = Some((text, Vec::new()));
        }
        let Some((is_text, buf)) = self.partial.as_mut() else {
            return Inbound::Fail(CloseCode::Protocol, "continuation without a first fragment");
        };
        if buf.len() + bytes.len() > max {
            return Inbound::Fail(CloseCode::Size, "message too large");
        }
        buf.extend_from_slice(&bytes);
        if !last {
            return Inbound::Nothing;
        }
        let is_text = *is_text;
        let Some((_, buf)) = self.partial.take() else {
            return Inbound::Nothing;
        };
        if !is_text {
            return Inbound::Binary(buf);
        }
        match String::from_utf8(buf) {
            Ok(s) => Inbound::Text(s),
            Err(_) => Inbound::Fail(CloseCode::Invalid, "text is not valid UTF-8"),
        }
    }
}
