//! Who is calling: JWTs (HS256, `exp` required), argon2 passwords, and the
//! extractor that reads a token from `Authorization: Bearer` or `?token=`
//! for HTTP and WebSocket alike.

mod extract;
mod password;
mod token;

pub use extract::{AuthUser, Caller};
pub use password::{hash_password, verify_password};
pub use token::{Claims, JwtKeys};
