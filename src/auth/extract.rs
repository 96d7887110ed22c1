use super::Claims;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::{ready, Ready};

/// The caller, if any. A token that is present but bad is an error, never
/// silently anonymous.
#[derive(Clone, Debug)]
pub struct Caller(pub Option<Claims>);

/// A caller that must have a valid token.
#[derive(Clone, Debug)]
pub struct AuthUser(pub Claims);

fn token_of(req: &HttpRequest) -> Option<String> {
    if let Some(h) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        if let Some(t) = h.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) {
            return Some(t.trim().to_owned());
        }
    }
    web::Query::<TokenQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.into_inner().token)
        .filter(|t| !t.is_empty())
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

fn caller_of(req: &HttpRequest) -> Result<Caller, AppError> {
    let Some(token) = token_of(req) else {
        return Ok(Caller(None));
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("app state missing")))?;
    state.keys.verify(&token).map(|c| Caller(Some(c)))
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(caller_of(req))
    }
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(caller_of(req).and_then(|c| {
            c.0.map(AuthUser)
                .ok_or_else(|| AppError::Unauthorized("a bearer token is required".into()))
        }))
    }
}
