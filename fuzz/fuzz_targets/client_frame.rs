//! Fuzz target for the client-frame parser, `emcee::protocol::client::parse`.
//!
//! Every text frame a client sends over the socket goes through `parse`, so it
//! must answer `Ok` or `Err(Rejected)` for any input and never panic. The
//! socket only delivers valid UTF-8, so raw bytes are tried as-is when they are
//! UTF-8, and always also after a lossy conversion (which brings U+FFFD into
//! play and lets byte-level mutations still reach the parser).
#![no_main]

use std::borrow::Cow;

use emcee::protocol::client::parse;
use libfuzzer_sys::fuzz_target;

fn check(text: &str) {
    match parse(text) {
        Ok(frame) => {
            // The Debug output is what gets logged; it must not panic either.
            let _ = format!("{frame:?}");
        }
        Err(rejected) => {
            // Every refusal carries a code the client can act on.
            assert!(!rejected.code.is_empty(), "empty code for {text:?}");
            let _ = format!("{rejected:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    match String::from_utf8_lossy(data) {
        // Valid UTF-8: the very text a socket would hand over.
        Cow::Borrowed(text) => check(text),
        // Invalid UTF-8: a socket would refuse it, but the lossy text is
        // still a string the parser has to cope with.
        Cow::Owned(lossy) => check(&lossy),
    }
});
