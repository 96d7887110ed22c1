//! How frames reach clients. The WebSocket crate stays inside this folder.

mod refused;
pub mod routes;
mod session;
