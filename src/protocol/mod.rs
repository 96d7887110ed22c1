//! The wire protocol: topics, the server envelope, typed payloads, client
//! frames, and error/close codes. `docs/protocol.md` is the spec this module
//! implements.

pub mod client;
pub mod codes;
pub mod envelope;
pub mod payload;
pub mod topic;

pub use envelope::{encode, encode_reply};
pub use topic::Topic;
