use crate::config::Secret;
use crate::error::AppError;
use crate::model::{Role, UserId};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: UserId,
    pub name: String,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
}

impl Claims {
    pub fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.exp, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Signing and verifying keys, built once from the configured secret.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(secret: &Secret) -> Self {
        // Only HS256 is accepted: this is what rejects `alg: none` and
        // algorithm-confusion tokens. `exp` is required and checked with no
        // leeway so an expired token is refused at once.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 0;
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
        }
    }

    pub fn issue(&self, user: UserId, name: &str, role: Role, ttl: Duration) -> Result<(String, Claims), AppError> {
        let now = Utc::now().timestamp();
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            sub: user,
            name: name.to_owned(),
            role,
            iat: now,
            exp: now.saturating_add(ttl),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok((token, claims))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let why = match e.kind() {
                    ErrorKind::ExpiredSignature => "token expired",
                    ErrorKind::InvalidSignature => "token signature is invalid",
                    ErrorKind::InvalidAlgorithm => "token algorithm is not accepted",
                    _ => "token is malformed",
                };
                AppError::Unauthorized(why.into())
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn keys(s: &str) -> JwtKeys {
        JwtKeys::new(&Secret::new(s))
    }

    #[test]
    fn a_token_signed_with_the_secret_verifies() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let (t, c) = k
            .issue(UserId::new(), "ann", Role::Judge, Duration::from_secs(60))
            .unwrap();
        assert_eq!(k.verify(&t).unwrap(), c);
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let (t, _) = keys("another-secret-another-secret-xx")
            .issue(UserId::new(), "ann", Role::Admin, Duration::from_secs(60))
            .unwrap();
        let err = keys("0123456789abcdef0123456789abcdef").verify(&t).unwrap_err();
        assert_eq!(err.code(), "unauthorized");
    }

    #[test]
    fn an_unsigned_alg_none_token_is_refused() {
        use base64_like::b64;
        let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
        let body = b64(format!(
            r#"{{"sub":"{}","name":"x","role":"admin","iat":0,"exp":{}}}"#,
            uuid::Uuid::new_v4(),
            Utc::now().timestamp() + 600
        )
        .as_bytes());
        let t = format!("{header}.{body}.");
        assert!(keys("0123456789abcdef0123456789abcdef").verify(&t).is_err());
    }

    #[test]
    fn an_expired_token_is_refused() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let (t, _) = k
            .issue(UserId::new(), "ann", Role::Admin, Duration::from_secs(0))
            .unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(k.verify(&t).unwrap_err().to_string(), "token expired");
    }

    mod base64_like {
        /// base64url without padding, enough for a test token.
        pub fn b64(input: &[u8]) -> String {
            const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in input.chunks(3) {
                let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
                let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
                for i in 0..=chunk.len() {
                    out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        }
    }
}
