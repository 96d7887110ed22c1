//! How frames reach clients: WebSocket sessions and their endpoints. The
//! WebSocket crate stays inside this folder.

mod greeting;
mod inbound;
mod origin;
mod outbound;
mod refused;
pub mod routes;
mod session;
