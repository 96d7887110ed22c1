//! How frames reach clients: WebSocket sessions, Server-Sent Events and
//! long polling, and their endpoints. The WebSocket crate stays inside this
//! folder.

mod greeting;
mod inbound;
mod origin;
pub mod poll;
mod refused;
pub mod routes;
mod session;
pub mod sse;
pub mod tcp;
mod wake;
