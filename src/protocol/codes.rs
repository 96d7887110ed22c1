//! Close codes, with the reconnect contract each one carries (see
//! docs/protocol.md). Error frame codes are `AppError::code()`.

use crate::error::AppError;
use actix_web_actors::ws::CloseCode;

/// Token missing, malformed, forged or expired at connect: get a new token.
pub const UNAUTHORIZED: u16 = 4001;
/// Authenticated but not allowed: do not retry.
pub const FORBIDDEN: u16 = 4003;
/// Unknown event or round: do not retry.
pub const NOT_FOUND: u16 = 4004;
/// The token expired while connected: reconnect with a fresh token.
pub const TOKEN_EXPIRED: u16 = 4005;

/// The close code for a refusal before the session starts.
pub fn close_code_for(err: &AppError) -> CloseCode {
    match err {
        AppError::Unauthorized(_) => CloseCode::Other(UNAUTHORIZED),
        AppError::Forbidden(_) => CloseCode::Other(FORBIDDEN),
        AppError::NotFound(_) => CloseCode::Other(NOT_FOUND),
        AppError::TooMany(_) => CloseCode::Other(TOO_MANY_CONNECTIONS),
        AppError::BadJson(_) | AppError::Invalid(_) | AppError::Conflict(_) => CloseCode::Policy,
        AppError::Internal(_) => CloseCode::Error,
    }
}

/// The client could not keep up: reconnect (and recover from history).
pub const SLOW_CONSUMER: u16 = 4008;

/// Too many messages: slow down, then reconnect.
pub const RATE_LIMITED: u16 = 4029;

/// A connection limit was reached: retry later, with backoff.
pub const TOO_MANY_CONNECTIONS: u16 = 4013;
