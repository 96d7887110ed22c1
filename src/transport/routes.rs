//! The WebSocket endpoints. Rights are decided here, before the session
//! starts; a refusal still completes the handshake so the client can read
//! the close code.

use super::refused::Refused;
use super::session::{Greeting, Limits, WsSession};
use crate::access::{self, Need};
use crate::actors::directory::GetEvent;
use crate::auth::{Caller, Claims};
use crate::error::{AppError, AppResult};
use crate::model::{EventId, RoundId};
use crate::protocol::Topic;
use crate::state::AppState;
use crate::store;
use actix_web::{web, Error, FromRequest, HttpRequest, HttpResponse};
use actix_web_actors::ws;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/ws/event/{id}", web::get().to(event_socket))
        .route("/ws/round/{id}/timer", web::get().to(round_socket))
        .route("/ws/admin/dashboard", web::get().to(dashboard_socket));
}

/// A token that is present but bad refuses the socket; none is anonymous.
async fn caller(req: &HttpRequest) -> AppResult<Option<Claims>> {
    Caller::extract(req).await.map(|c| c.0)
}

fn parse_id<T: std::str::FromStr>(raw: &str, what: &str) -> AppResult<T> {
    raw.parse().map_err(|_| AppError::not_found(what))
}

fn start(
    req: &HttpRequest,
    stream: web::Payload,
    state: &AppState,
    decided: AppResult<(Option<Claims>, Vec<Topic>, Greeting)>,
) -> Result<HttpResponse, Error> {
    match decided {
        Ok((claims, topics, greeting)) => {
            let limits = Limits {
                heartbeat: state.config.heartbeat_interval,
                timeout: state.config.client_timeout,
                max_message: state.config.ws_max_message,
            };
            let session = WsSession::new(
                state.session_id(),
                claims,
                topics,
                greeting,
                state.registry.clone(),
                limits,
            );
            ws::WsResponseBuilder::new(session, req, stream)
                .frame_size(state.config.ws_max_message)
                .start()
        }
        Err(error) => {
            if let AppError::Internal(e) = &error {
                tracing::error!(error = ?e, "refusing socket");
            }
            ws::WsResponseBuilder::new(Refused { error }, req, stream)
                .frame_size(state.config.ws_max_message)
                .start()
        }
    }
}

async fn event_socket(
    req: HttpRequest,
    stream: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    let decided = async {
        let claims = caller(&req).await?;
        let id: EventId = parse_id(&path, "event")?;
        let ev = access::require_event(&state.db, claims.as_ref(), id, Need::Read).await?;
        let addr = state.directory.send(GetEvent { id }).await?;
        let greeting = Greeting::Event {
            addr,
            event_id: id,
            event_name: ev.name,
        };
        Ok((claims, vec![Topic::Event(id)], greeting))
    }
    .await;
    start(&req, stream, &state, decided)
}

async fn round_socket(
    req: HttpRequest,
    stream: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    let decided = async {
        let claims = caller(&req).await?;
        let round_id: RoundId = parse_id(&path, "round")?;
        let round = store::rounds::get(&state.db, round_id)
            .await?
            .ok_or_else(|| AppError::not_found("round"))?;
        let event_id = EventId(round.event_id);
        access::require_event(&state.db, claims.as_ref(), event_id, Need::Read).await?;
        let addr = state.directory.send(GetEvent { id: event_id }).await?;
        let greeting = Greeting::Round {
            addr,
            round_id,
            event_id,
            stored_status: round.status,
        };
        Ok((claims, vec![Topic::Round(round_id)], greeting))
    }
    .await;
    start(&req, stream, &state, decided)
}

async fn dashboard_socket(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    let decided = async {
        let claims = caller(&req)
            .await?
            .ok_or_else(|| AppError::Unauthorized("a token is required".into()))?;
        access::require_admin(&claims)?;
        Ok((Some(claims), vec![Topic::Admin], Greeting::Dashboard))
    }
    .await;
    start(&req, stream, &state, decided)
}
