//! Long polling, for clients with neither WebSocket nor SSE:
//! `GET /api/poll?topics=a,b&since=CURSOR` answers at once when something
//! was published after the cursor, otherwise waits up to the poll timeout.
//! The reply's `cursor` goes into the next call.

use super::sse::{authorize, parse_positions, parse_topics, positions_token};
use crate::actors::registry::Poll;
use crate::auth::Caller;
use crate::error::AppResult;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/poll", web::get().to(poll));
}

#[derive(Deserialize)]
struct PollQuery {
    topics: String,
    since: Option<String>,
    /// Seconds to wait at most (capped by the server's poll timeout).
    wait: Option<u64>,
}

async fn poll(
    req: HttpRequest,
    q: web::Query<PollQuery>,
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<HttpResponse> {
    let topics = parse_topics(&q.topics)?;
    // A poll is a connection while it waits: the same limits apply.
    authorize(&state, &req, caller.0.as_ref(), &topics).await?;
    let since = parse_positions(q.since.as_deref(), topics.len())?;
    let wait = q.wait.map_or(state.config.poll_timeout, |w| {
        Duration::from_secs(w).min(state.config.poll_timeout)
    });
    let topic_names: Vec<String> = topics.iter().map(ToString::to_string).collect();
    let result = state
        .registry
        .send(Poll {
            topics: topics.into_iter().zip(since).collect(),
            wait,
        })
        .await?;
    let cursor = positions_token(&result.positions.iter().copied().map(Some).collect::<Vec<_>>());
    Ok(HttpResponse::Ok().json(json!({
        "topics": topic_names,
        "messages": result.messages,
        "cursor": cursor,
        "recovered": result.recovered,
    })))
}
