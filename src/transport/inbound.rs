//! Client frames as the session sees them: whole messages, reassembled from
//! fragments under a size cap and checked for UTF-8, or the reason the
//! connection must close.
//!
//! What actix-http's codec already refuses (each arrives here as a
//! `ProtocolError`): reserved bits, unknown opcodes, unmasked frames,
//! control frames over 125 bytes or fragmented, a frame over the codec's
//! `max_size`, a continuation with no message started, a new data frame
//! inside a fragmented message, a 1-byte close payload, a close code outside
//! 1000-1003, 1007-1014, 3000-4999 and a close reason that is not UTF-8
//! (these last two as `BadOpCode`). actix-web-actors checks UTF-8 of
//! unfragmented text only. The rest is done here: fragments are collected
//! under the message cap and text is checked as it arrives, so a bad
//! sequence fails at the fragment that makes it bad (RFC 6455 §8.1), not at
//! the end of the message.

use actix_http::ws::Item;
use actix_web_actors::ws::{CloseCode, CloseReason, Message, ProtocolError};

pub enum Inbound {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    /// The client's close; echo its code back (RFC 6455 §5.5.1).
    Close(Option<CloseReason>),
    /// Nothing to do (a pong, a fragment still being collected).
    Nothing,
    /// Close the connection with this code.
    Fail(CloseCode, &'static str),
}

/// A fragmented message being collected.
struct Partial {
    text: bool,
    buf: Vec<u8>,
    /// Length of the prefix of `buf` known to be whole, valid UTF-8 (text).
    valid: usize,
}

/// A fragmented message being reassembled.
#[derive(Default)]
pub struct Reassembly {
    partial: Option<Partial>,
}

const TOO_LARGE: &str = "message too large";
const BAD_UTF8: &str = "text is not valid UTF-8";
const INTERLEAVED: &str = "new message before the last one ended";

impl Reassembly {
    pub fn accept(&mut self, msg: Result<Message, ProtocolError>, max: usize) -> Inbound {
        let msg = match msg {
            Ok(m) => m,
            Err(e) => return fail(&e),
        };
        match msg {
            Message::Text(_) | Message::Binary(_) if self.partial.is_some() => {
                Inbound::Fail(CloseCode::Protocol, INTERLEAVED)
            }
            Message::Text(text) if text.len() > max => Inbound::Fail(CloseCode::Size, TOO_LARGE),
            Message::Text(text) => Inbound::Text(text.to_string()),
            Message::Binary(b) if b.len() > max => Inbound::Fail(CloseCode::Size, TOO_LARGE),
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
                return Inbound::Fail(CloseCode::Protocol, INTERLEAVED);
            }
            self.partial = Some(Partial {
                text,
                buf: Vec::new(),
                valid: 0,
            });
        }
        let Some(p) = self.partial.as_mut() else {
            return Inbound::Fail(CloseCode::Protocol, "continuation without a first fragment");
        };
        if p.buf.len().saturating_add(bytes.len()) > max {
            self.partial = None;
            return Inbound::Fail(CloseCode::Size, TOO_LARGE);
        }
        p.buf.extend_from_slice(&bytes);
        if p.text {
            // Only the bytes not yet checked; a code point cut by the
            // fragment boundary is fine until the last fragment.
            match std::str::from_utf8(&p.buf[p.valid..]) {
                Ok(_) => p.valid = p.buf.len(),
                Err(e) if e.error_len().is_none() && !last => p.valid += e.valid_up_to(),
                Err(_) => {
                    self.partial = None;
                    return Inbound::Fail(CloseCode::Invalid, BAD_UTF8);
                }
            }
        }
        if !last {
            return Inbound::Nothing;
        }
        let Some(Partial { text, buf, .. }) = self.partial.take() else {
            return Inbound::Nothing;
        };
        if !text {
            return Inbound::Binary(buf);
        }
        match String::from_utf8(buf) {
            Ok(s) => Inbound::Text(s),
            Err(_) => Inbound::Fail(CloseCode::Invalid, BAD_UTF8),
        }
    }
}

/// The close code for an error the codec or the stream reported.
fn fail(e: &ProtocolError) -> Inbound {
    match e {
        ProtocolError::Overflow => Inbound::Fail(CloseCode::Size, TOO_LARGE),
        // actix-web-actors reports bad UTF-8 in an unfragmented text frame
        // as an `Io` error carrying `Utf8Error`'s text ("invalid utf-8
        // sequence ..." / "incomplete utf-8 byte sequence ...").
        ProtocolError::Io(io) if io.to_string().to_ascii_lowercase().contains("utf-8") => {
            Inbound::Fail(CloseCode::Invalid, BAD_UTF8)
        }
        // Includes `BadOpCode`, which the codec also uses for a bad close
        // code or a close reason that is not UTF-8: 1002 is right for the
        // first and accepted for the second.
        _ => Inbound::Fail(CloseCode::Protocol, "protocol error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::web::Bytes;

    const MAX: usize = 16;

    fn code(i: &Inbound) -> Option<CloseCode> {
        match i {
            Inbound::Fail(c, _) => Some(*c),
            _ => None,
        }
    }

    fn cont(item: Item) -> Result<Message, ProtocolError> {
        Ok(Message::Continuation(item))
    }

    fn text(i: Inbound) -> Option<String> {
        match i {
            Inbound::Text(s) => Some(s),
            _ => None,
        }
    }

    #[test]
    fn reassembles_text_split_inside_a_code_point() {
        let mut r = Reassembly::default();
        let kappa = "κόσμε".as_bytes();
        assert!(matches!(
            r.accept(cont(Item::FirstText(Bytes::copy_from_slice(&kappa[..1]))), MAX),
            Inbound::Nothing
        ));
        assert!(matches!(
            r.accept(cont(Item::Continue(Bytes::copy_from_slice(&kappa[1..4]))), MAX),
            Inbound::Nothing
        ));
        let done = r.accept(cont(Item::Last(Bytes::copy_from_slice(&kappa[4..]))), MAX);
        assert_eq!(text(done).as_deref(), Some("κόσμε"));
        assert!(r.partial.is_none());
    }

    #[test]
    fn bad_utf8_fails_at_the_fragment_that_makes_it_bad() {
        let mut r = Reassembly::default();
        let first = r.accept(cont(Item::FirstText(Bytes::from_static(b"\xce\xba"))), MAX);
        assert!(matches!(first, Inbound::Nothing));
        let bad = r.accept(cont(Item::Continue(Bytes::from_static(b"\xf4\x90\x80\x80"))), MAX);
        assert_eq!(code(&bad), Some(CloseCode::Invalid));
    }

    #[test]
    fn truncated_code_point_at_the_end_fails() {
        let mut r = Reassembly::default();
        r.accept(cont(Item::FirstText(Bytes::from_static(b"ok"))), MAX);
        let end = r.accept(cont(Item::Last(Bytes::from_static(b"\xce"))), MAX);
        assert_eq!(code(&end), Some(CloseCode::Invalid));
    }

    #[test]
    fn binary_fragments_are_not_checked_and_are_capped() {
        let mut r = Reassembly::default();
        r.accept(cont(Item::FirstBinary(Bytes::from_static(b"\xff\xff"))), MAX);
        let done = r.accept(cont(Item::Last(Bytes::from_static(b"\xfe"))), MAX);
        assert!(matches!(done, Inbound::Binary(b) if b == b"\xff\xff\xfe"));

        r.accept(cont(Item::FirstBinary(Bytes::from(vec![0; MAX]))), MAX);
        let over = r.accept(cont(Item::Continue(Bytes::from_static(b"x"))), MAX);
        assert_eq!(code(&over), Some(CloseCode::Size));
    }

    #[test]
    fn continuation_without_start_and_interleaved_messages_are_protocol_errors() {
        let mut r = Reassembly::default();
        let orphan = r.accept(cont(Item::Last(Bytes::from_static(b"x"))), MAX);
        assert_eq!(code(&orphan), Some(CloseCode::Protocol));

        r.accept(cont(Item::FirstText(Bytes::from_static(b"a"))), MAX);
        let ping = r.accept(Ok(Message::Ping(Bytes::from_static(b"p"))), MAX);
        assert!(matches!(ping, Inbound::Ping(p) if p == b"p"));
        let again = r.accept(cont(Item::FirstText(Bytes::from_static(b"b"))), MAX);
        assert_eq!(code(&again), Some(CloseCode::Protocol));
    }

    #[test]
    fn codec_errors_map_to_close_codes() {
        let mut r = Reassembly::default();
        let utf8 = std::io::Error::other("invalid utf-8 sequence of 1 bytes from index 0");
        assert_eq!(
            code(&r.accept(Err(ProtocolError::Io(utf8)), MAX)),
            Some(CloseCode::Invalid)
        );
        assert_eq!(
            code(&r.accept(Err(ProtocolError::Overflow), MAX)),
            Some(CloseCode::Size)
        );
        assert_eq!(
            code(&r.accept(Err(ProtocolError::BadOpCode), MAX)),
            Some(CloseCode::Protocol)
        );
        assert_eq!(
            code(&r.accept(Err(ProtocolError::InvalidLength(1)), MAX)),
            Some(CloseCode::Protocol)
        );
    }
}
