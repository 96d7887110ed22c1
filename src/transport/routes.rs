//! The WebSocket endpoints. Origin, admission and rights are decided here,
//! before the session starts; a refusal still completes the handshake so a
//! browser can read the close code (except a foreign origin, refused with
//! a plain 403: that request is the attack).

use super::greeting::Greeting;
use super::origin;
use super::refused::Refused;
use super::session::{Mode, Setup, WsSession};
use crate::access::{self, Need};
use crate::actors::directory::GetEvent;
use crate::actors::registry::{Admit, Position};
use crate::auth::{Caller, Claims};
use crate::error::{AppError, AppResult};
use crate::model::{EventId, RoundId};
use crate::protocol::Topic;
use crate::state::AppState;
use crate::store;
use actix_web::{web, Error, FromRequest, HttpRequest, HttpResponse, ResponseError};
use actix_web_actors::ws;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/ws", web::get().to(multiplexed_socket))
        .route("/ws/event/{id}", web::get().to(event_socket))
        .route("/ws/round/{id}/timer", web::get().to(round_socket))
        .route("/ws/admin/dashboard", web::get().to(dashboard_socket))
        .route("/ws/echo", web::get().to(echo_socket));
}

/// A token that is present but bad refuses the socket; none is anonymous.
async fn caller(req: &HttpRequest) -> AppResult<Option<Claims>> {
    Caller::extract(req).await.map(|c| c.0)
}

fn parse_id<T: std::str::FromStr>(raw: &str, what: &str) -> AppResult<T> {
    raw.parse().map_err(|_| AppError::not_found(what))
}

/// Connection limits, for sockets, streams and polls alike.
pub(super) async fn admit(state: &AppState, req: &HttpRequest, claims: Option<&Claims>) -> AppResult<()> {
    state
        .registry
        .send(Admit {
            user: claims.map(|c| c.sub),
            ip: req.peer_addr().map(|a| a.ip()),
        })
        .await?
        .map_err(|why| AppError::TooMany(why.into()))
}

fn start(
    req: &HttpRequest,
    stream: web::Payload,
    state: &web::Data<AppState>,
    decided: AppResult<Setup>,
) -> Result<HttpResponse, Error> {
    let max = state.config.ws_max_message;
    let setup = match decided {
        Ok(s) => s,
        Err(error) => {
            if let AppError::Internal(e) = &error {
                tracing::error!(error = ?e, "refusing socket");
            }
            return ws::WsResponseBuilder::new(Refused { error }, req, stream)
                .frame_size(max)
                .start();
        }
    };
    let session = WsSession::new(state.session_id(), state.clone(), setup);
    ws::WsResponseBuilder::new(session, req, stream).frame_size(max).start()
}

/// Origin first (a foreign one gets a plain 403, no upgrade), then the
/// endpoint's own decision, then the session or the refusal.
async fn open(
    req: &HttpRequest,
    stream: web::Payload,
    state: &web::Data<AppState>,
    decide: impl std::future::Future<Output = AppResult<Setup>>,
) -> Result<HttpResponse, Error> {
    if !origin::allowed(req, &state.config.allowed_origins) {
        return Ok(AppError::Forbidden("this origin may not open sockets here".into()).error_response());
    }
    let decided = decide.await;
    start(req, stream, state, decided)
}

/// `?since=epoch.seq` on a seed endpoint resumes its implied subscription.
#[derive(serde::Deserialize)]
struct SinceQuery {
    since: Option<String>,
}

fn since_of(req: &HttpRequest) -> AppResult<Option<Position>> {
    let q = web::Query::<SinceQuery>::from_query(req.query_string()).map_err(|e| AppError::Invalid(e.to_string()))?;
    match q.into_inner().since.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Position::from_token(&s)
            .map(Some)
            .ok_or_else(|| AppError::Invalid(format!("bad position `{s}` (expected epoch.seq)"))),
    }
}

fn live(
    claims: Option<Claims>,
    req: &HttpRequest,
    initial: Vec<Topic>,
    greeting: Greeting,
    home_event: Option<EventId>,
) -> AppResult<Setup> {
    let since = since_of(req)?;
    Ok(Setup {
        claims,
        ip: req.peer_addr().map(|a| a.ip()),
        initial: initial.into_iter().map(|t| (t, since)).collect(),
        greeting: Some(greeting),
        home_event,
        mode: Mode::Live,
    })
}

async fn multiplexed_socket(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    let decide = async {
        let claims = caller(&req).await?;
        admit(&state, &req, claims.as_ref()).await?;
        let greeting = Greeting::Welcome { session_id: 0 };
        live(claims, &req, Vec::new(), greeting, None)
    };
    open(&req, stream, &state, decide).await
}

async fn event_socket(
    req: HttpRequest,
    stream: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    let decide = async {
        let claims = caller(&req).await?;
        let id: EventId = parse_id(&path, "event")?;
        let ev = access::require_event(&state.db, claims.as_ref(), id, Need::Read).await?;
        admit(&state, &req, claims.as_ref()).await?;
        let addr = state.directory.send(GetEvent { id }).await?;
        let greeting = Greeting::Event {
            addr,
            event_id: id,
            event_name: ev.name,
        };
        live(claims, &req, vec![Topic::Event(id)], greeting, Some(id))
    };
    open(&req, stream, &state, decide).await
}

async fn round_socket(
    req: HttpRequest,
    stream: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    let decide = async {
        let claims = caller(&req).await?;
        let round_id: RoundId = parse_id(&path, "round")?;
        let round = store::rounds::get(&state.db, round_id)
            .await?
            .ok_or_else(|| AppError::not_found("round"))?;
        let event_id = EventId(round.event_id);
        access::require_event(&state.db, claims.as_ref(), event_id, Need::Read).await?;
        admit(&state, &req, claims.as_ref()).await?;
        let addr = state.directory.send(GetEvent { id: event_id }).await?;
        let greeting = Greeting::Round {
            addr,
            round_id,
            event_id,
            ordinal: round.ordinal,
            stored_status: round.status,
        };
        live(claims, &req, vec![Topic::Round(round_id)], greeting, Some(event_id))
    };
    open(&req, stream, &state, decide).await
}

async fn dashboard_socket(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    let decide = async {
        let claims = caller(&req)
            .await?
            .ok_or_else(|| AppError::Unauthorized("a token is required".into()))?;
        access::require_admin(&claims)?;
        admit(&state, &req, Some(&claims)).await?;
        let greeting = Greeting::Dashboard {
            registry: state.registry.clone(),
        };
        live(Some(claims), &req, vec![Topic::Admin], greeting, None)
    };
    open(&req, stream, &state, decide).await
}

/// Diagnostic echo for WebSocket conformance runs (`EMCEE_WS_ECHO=1`):
/// the same session code as real connections, echoing instead of parsing.
async fn echo_socket(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    if !state.config.ws_echo {
        return Ok(AppError::NotFound("no such endpoint".into()).error_response());
    }
    let setup = Setup {
        claims: None,
        ip: req.peer_addr().map(|a| a.ip()),
        initial: Vec::new(),
        greeting: None,
        home_event: None,
        mode: Mode::Echo,
    };
    start(&req, stream, &state, Ok(setup))
}
