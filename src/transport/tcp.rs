//! Socket options set on every accepted connection.

use std::any::Any;
use std::time::Duration;

/// How long sent data may stay unacknowledged (a zero window included)
/// before the kernel drops the connection. Without it, a peer that stopped
/// reading keeps its socket and buffers for as long as it keeps answering
/// window probes — hours — after the server has given up on it.
const USER_TIMEOUT: Duration = Duration::from_secs(30);

/// `HttpServer::on_connect` hook: runs once per accepted connection.
pub fn on_connect(conn: &dyn Any, _: &mut actix_web::dev::Extensions) {
    if let Some(stream) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
        let sock = socket2::SockRef::from(stream);
        #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
        if let Err(e) = sock.set_tcp_user_timeout(Some(USER_TIMEOUT)) {
            tracing::debug!(error = %e, "could not set TCP_USER_TIMEOUT");
        }
        #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
        let _ = (sock, USER_TIMEOUT);
    }
}
