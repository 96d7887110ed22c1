//! Fixtures, results and the league table (docs/fixtures.md). Organizers
//! write, the event's readers read; every write goes through the event's
//! `Leaderboard` actor, which persists, publishes `schedule_update` /
//! `result_update`, and folds results into the coalesced standings.

use super::input::{text, whole};
use super::judging::board;
use crate::access::{self, Need};
use crate::actors::leaderboard::{
    self, CreateFixture, DeleteFixture, FixtureView, LeaguePoints, LeagueRow, Move, MoveFixture, RecordResult,
    Reschedule, SetPoints,
};
use crate::auth::{AuthUser, Caller};
use crate::clock::fmt_time;
use crate::error::{AppError, AppResult};
use crate::model::{EventId, FixtureId, FixtureStatus, TeamId};
use crate::state::AppState;
use crate::store;
use crate::store::fixtures::Filter;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use entity::fixture;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Longest venue name.
const VENUE_MAX: usize = 200;
/// Highest score a side may have.
const SCORE_MAX: i64 = 999;

/// An RFC 3339 time with an offset, as UTC.
fn time(name: &str, v: &str) -> AppResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| AppError::Invalid(format!("{name} must be an RFC 3339 time such as 2026-11-22T18:30:00Z")))
}

fn venue(v: Option<&str>) -> AppResult<Option<String>> {
    v.map(|v| text("venue", v, VENUE_MAX)).transpose()
}

/// The fixture and its event, after checking the caller's right to it.
async fn fixture_for(
    state: &AppState,
    caller: Option<&crate::auth::Claims>,
    id: FixtureId,
    need: Need,
) -> AppResult<(fixture::Model, EventId)> {
    let f = store::fixtures::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("fixture"))?;
    let event = EventId(f.event_id);
    access::require_event(&state.db, caller, event, need).await?;
    Ok((f, event))
}

/// Fixtures with their teams' names.
async fn views(state: &AppState, event: EventId, fixtures: &[fixture::Model]) -> AppResult<Vec<FixtureView>> {
    let names: HashMap<uuid::Uuid, String> = store::teams::list(&state.db, event)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    Ok(fixtures
        .iter()
        .map(|f| FixtureView::new(f, |id| names.get(&id).map(String::as_str)))
        .collect())
}

// ---- fixtures -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFixture {
    home_team_id: TeamId,
    away_team_id: TeamId,
    starts_at: String,
    venue: Option<String>,
}

/// `POST /api/events/{id}/fixtures`
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<NewFixture>,
) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let msg = CreateFixture {
        home: body.home_team_id,
        away: body.away_team_id,
        starts_at: time("starts_at", &body.starts_at)?,
        venue: venue(body.venue.as_deref())?,
    };
    let view = board(&state, *id).await?.send(msg).await??;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    team: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `GET /api/events/{id}/fixtures?status=&team=&from=&to=`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<EventId>,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    access::require_event(&state.db, caller.0.as_ref(), *id, Need::Read).await?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            FixtureStatus::parse(s).ok_or_else(|| {
                AppError::Invalid("status must be scheduled, postponed, cancelled, live or completed".into())
            })
        })
        .transpose()?;
    let team = match q.team.as_deref() {
        Some(t) => {
            let t: TeamId = t
                .parse()
                .map_err(|_| AppError::Invalid("team must be a team id".into()))?;
            store::teams::get(&state.db, t)
                .await?
                .filter(|m| m.event_id == id.0)
                .ok_or_else(|| AppError::not_found("team"))?;
            Some(t)
        }
        None => None,
    };
    let from = q.from.as_deref().map(|v| time("from", v)).transpose()?;
    let to = q.to.as_deref().map(|v| time("to", v)).transpose()?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(AppError::Invalid("from must not be after to".into()));
        }
    }
    let fixtures = store::fixtures::list(&state.db, *id, &Filter { status, team, from, to }).await?;
    Ok(HttpResponse::Ok().json(views(&state, *id, &fixtures).await?))
}

/// `GET /api/fixtures/{id}`
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<FixtureId>) -> AppResult<HttpResponse> {
    let (f, event) = fixture_for(&state, caller.0.as_ref(), *id, Need::Read).await?;
    let mut v = views(&state, event, std::slice::from_ref(&f)).await?;
    let view = v.pop().ok_or_else(|| AppError::not_found("fixture"))?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTime {
    starts_at: Option<String>,
    venue: Option<String>,
}

/// `POST /api/fixtures/{id}/reschedule`: a new start time and/or venue.
pub async fn reschedule(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<FixtureId>,
    body: web::Json<NewTime>,
) -> AppResult<HttpResponse> {
    let (_, event) = fixture_for(&state, Some(&user.0), *id, Need::Manage).await?;
    if body.starts_at.is_none() && body.venue.is_none() {
        return Err(AppError::Invalid("give starts_at, venue or both".into()));
    }
    let msg = Reschedule {
        fixture: *id,
        starts_at: body.starts_at.as_deref().map(|v| time("starts_at", v)).transpose()?,
        venue: venue(body.venue.as_deref())?,
    };
    let view = board(&state, event).await?.send(msg).await??;
    Ok(HttpResponse::Ok().json(view))
}

async fn move_to(state: &AppState, user: &AuthUser, id: FixtureId, to: Move) -> AppResult<HttpResponse> {
    let (_, event) = fixture_for(state, Some(&user.0), id, Need::Manage).await?;
    let view = board(state, event)
        .await?
        .send(MoveFixture { fixture: id, to })
        .await??;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/fixtures/{id}/postpone`
pub async fn postpone(state: web::Data<AppState>, user: AuthUser, id: web::Path<FixtureId>) -> AppResult<HttpResponse> {
    move_to(&state, &user, *id, Move::Postpone).await
}

/// `POST /api/fixtures/{id}/cancel`
pub async fn cancel(state: web::Data<AppState>, user: AuthUser, id: web::Path<FixtureId>) -> AppResult<HttpResponse> {
    move_to(&state, &user, *id, Move::Cancel).await
}

/// `POST /api/fixtures/{id}/start`: the fixture is live.
pub async fn start(state: web::Data<AppState>, user: AuthUser, id: web::Path<FixtureId>) -> AppResult<HttpResponse> {
    move_to(&state, &user, *id, Move::Start).await
}

/// Scores arrive as any JSON number and are checked here, so a negative or
/// fractional one is a 422 that names it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewResult {
    home_score: f64,
    away_score: f64,
}

fn score(name: &str, v: f64) -> AppResult<i32> {
    let n = whole(name, v, 0, SCORE_MAX)?;
    i32::try_from(n).map_err(|_| AppError::Invalid(format!("{name} is out of range")))
}

/// `PUT /api/fixtures/{id}/result`: records or corrects the score.
pub async fn result(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<FixtureId>,
    body: web::Json<NewResult>,
) -> AppResult<HttpResponse> {
    let (_, event) = fixture_for(&state, Some(&user.0), *id, Need::Manage).await?;
    let msg = RecordResult {
        fixture: *id,
        home_score: score("home_score", body.home_score)?,
        away_score: score("away_score", body.away_score)?,
    };
    let (view, _) = board(&state, event).await?.send(msg).await??;
    Ok(HttpResponse::Ok().json(view))
}

/// `DELETE /api/fixtures/{id}`
pub async fn delete(state: web::Data<AppState>, user: AuthUser, id: web::Path<FixtureId>) -> AppResult<HttpResponse> {
    let (_, event) = fixture_for(&state, Some(&user.0), *id, Need::Manage).await?;
    board(&state, event)
        .await?
        .send(DeleteFixture { fixture: *id })
        .await??;
    Ok(HttpResponse::NoContent().finish())
}

// ---- standings ------------------------------------------------------------

#[derive(Serialize)]
pub struct LeagueTable {
    event_id: EventId,
    points: LeaguePoints,
    standings: Vec<LeagueRow>,
    server_time: String,
}

/// `GET /api/events/{id}/standings`: the league table, as `standings` in
/// `leaderboard_update`, read from the database.
pub async fn standings(state: web::Data<AppState>, caller: Caller, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    access::require_event(&state.db, caller.0.as_ref(), *id, Need::Read).await?;
    let points = LeaguePoints::stored(store::fixtures::settings(&state.db, *id).await?.as_ref());
    let teams = store::teams::list(&state.db, *id).await?;
    let fixtures = store::fixtures::for_event(&state.db, *id).await?;
    Ok(HttpResponse::Ok().json(LeagueTable {
        event_id: *id,
        points,
        standings: leaderboard::league_table(&teams, &fixtures, &points),
        server_time: fmt_time(Utc::now()),
    }))
}

/// `GET /api/events/{id}/standings/config`
pub async fn points(state: web::Data<AppState>, caller: Caller, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    access::require_event(&state.db, caller.0.as_ref(), *id, Need::Read).await?;
    let points = LeaguePoints::stored(store::fixtures::settings(&state.db, *id).await?.as_ref());
    Ok(HttpResponse::Ok().json(points))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPoints {
    points_win: f64,
    points_draw: f64,
    points_loss: f64,
}

fn points_value(name: &str, v: f64) -> AppResult<i32> {
    let max = i64::from(leaderboard::MAX_POINTS);
    let n = whole(name, v, 0, max)?;
    i32::try_from(n).map_err(|_| AppError::Invalid(format!("{name} is out of range")))
}

/// `PUT /api/events/{id}/standings/config`: the standings are recomputed
/// and pushed.
pub async fn set_points(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<NewPoints>,
) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let points = LeaguePoints {
        points_win: points_value("points_win", body.points_win)?,
        points_draw: points_value("points_draw", body.points_draw)?,
        points_loss: points_value("points_loss", body.points_loss)?,
    }
    .check()?;
    let saved = board(&state, *id).await?.send(SetPoints { points }).await??;
    Ok(HttpResponse::Ok().json(saved))
}
