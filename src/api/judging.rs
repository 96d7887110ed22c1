//! Judging: judges assigned to categories, scores (seed 002's
//! `POST /api/judge/score` and a REST resource), the leaderboard, and the
//! pageant lifecycle (certify, lock, publish results). Every change goes
//! through the event's `Leaderboard` actor, which persists and publishes.

use super::categories::readable;
use crate::access::{self, Need};
use crate::actors::directory::GetLeaderboard;
use crate::actors::leaderboard::{
    self, AssignJudge, CategoryAdded, Certify, DeleteScore, Leaderboard, Lock, PublishResults, ScoreView, SubmitScore,
    TeamRegistered, UpdateScore,
};
use crate::auth::{AuthUser, Caller};
use crate::error::{AppError, AppResult};
use crate::model::{CategoryId, EventId, MemberRole, ScoreId, TeamId, UserId};
use crate::state::AppState;
use crate::store;
use actix::Addr;
use actix_web::{web, HttpResponse};
use entity::{category, score, team};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The event's leaderboard actor (started on first use).
pub(super) async fn board(state: &AppState, event: EventId) -> AppResult<Addr<Leaderboard>> {
    Ok(state.directory.send(GetLeaderboard { id: event }).await?)
}

async fn category_of(state: &AppState, id: CategoryId) -> AppResult<category::Model> {
    store::categories::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("category"))
}

/// Tells the judges of the event's categories that a team registered. The
/// team is created already: a failure here is logged, not returned.
pub async fn team_registered(state: &AppState, team: &team::Model) {
    match board(state, EventId(team.event_id)).await {
        Ok(b) => b.do_send(TeamRegistered { team: team.clone() }),
        Err(e) => tracing::error!(team = %team.id, error = %e, "could not tell the judges of a new team"),
    }
}

/// The standings show a new category.
pub async fn category_added(state: &AppState, event: EventId) {
    match board(state, event).await {
        Ok(b) => b.do_send(CategoryAdded),
        Err(e) => tracing::error!(%event, error = %e, "could not update the standings"),
    }
}

// ---- judges ---------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewJudge {
    user: String,
}

/// `POST /api/categories/{id}/judges`: the event's managers assign one of
/// its `judge` members.
pub async fn assign_judge(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<CategoryId>,
    body: web::Json<NewJudge>,
) -> AppResult<HttpResponse> {
    let cat = category_of(&state, *id).await?;
    let event = EventId(cat.event_id);
    access::require_event(&state.db, Some(&user.0), event, Need::Manage).await?;
    let judge = store::users::by_name(&state.db, &body.user)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    if store::events::membership(&state.db, event, UserId(judge.id)).await? != Some(MemberRole::Judge) {
        return Err(AppError::Invalid(format!(
            "`{}` must be a member of the event with the role judge",
            judge.name
        )));
    }
    let reply = json!({"category_id": cat.id, "user_id": judge.id, "user": judge.name});
    board(&state, event)
        .await?
        .send(AssignJudge { category: cat, judge })
        .await??;
    Ok(HttpResponse::Created().json(reply))
}

// ---- scores ---------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewScore {
    category_id: CategoryId,
    team_id: TeamId,
    scores: Map<String, Value>,
}

/// `POST /api/judge/score`: creates (201) or replaces (200) the caller's
/// score of a team in a category they judge.
pub async fn submit(state: web::Data<AppState>, user: AuthUser, body: web::Json<NewScore>) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let cat = category_of(&state, body.category_id).await?;
    access::require_category_judge(&state.db, &user.0, &cat).await?;
    let (view, created) = board(&state, EventId(cat.event_id))
        .await?
        .send(SubmitScore {
            category: cat,
            team: body.team_id,
            judge: user.0.sub,
            judge_name: user.0.name.clone(),
            scores: body.scores,
        })
        .await??;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// Scores with their team, category and judge names.
async fn views(state: &AppState, cat: &category::Model, scores: Vec<score::Model>) -> AppResult<Vec<ScoreView>> {
    let teams: HashMap<uuid::Uuid, String> = store::teams::list(&state.db, EventId(cat.event_id))
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut judge_ids: Vec<uuid::Uuid> = scores.iter().map(|s| s.judge_id).collect();
    judge_ids.sort();
    judge_ids.dedup();
    let judges: HashMap<uuid::Uuid, String> = store::judging::users(&state.db, judge_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(scores
        .iter()
        .map(|s| {
            let team = teams.get(&s.team_id).map_or("", String::as_str);
            let judge = judges.get(&s.judge_id).map_or("", String::as_str);
            ScoreView::new(s, &cat.name, team, judge)
        })
        .collect())
}

/// `GET /api/categories/{id}/scores`: every score for those who oversee the
/// judging; a judge of the category gets their own only.
pub async fn list_scores(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<CategoryId>,
) -> AppResult<HttpResponse> {
    let cat = category_of(&state, *id).await?;
    let judge = match access::require_oversight(&state.db, Some(&user.0), EventId(cat.event_id)).await {
        Ok(_) => None,
        Err(AppError::Forbidden(_)) => {
            access::require_category_judge(&state.db, &user.0, &cat).await?;
            Some(user.0.sub)
        }
        Err(e) => return Err(e),
    };
    let scores = store::scores::for_category(&state.db, *id, judge).await?;
    Ok(HttpResponse::Ok().json(views(&state, &cat, scores).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreChange {
    scores: Map<String, Value>,
}

/// The score and its category.
async fn score_of(state: &AppState, id: ScoreId) -> AppResult<(score::Model, category::Model)> {
    let s = store::scores::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("score"))?;
    let cat = category_of(state, CategoryId(s.category_id)).await?;
    Ok((s, cat))
}

/// `PUT /api/scores/{id}`: its judge changes the values.
pub async fn update_score(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ScoreId>,
    body: web::Json<ScoreChange>,
) -> AppResult<HttpResponse> {
    let (s, cat) = score_of(&state, *id).await?;
    access::require_category_judge(&state.db, &user.0, &cat).await?;
    if s.judge_id != user.0.sub.0 {
        return Err(AppError::Forbidden(
            "only the judge who gave a score may change it".into(),
        ));
    }
    let view = board(&state, EventId(cat.event_id))
        .await?
        .send(UpdateScore {
            score: *id,
            judge_name: user.0.name.clone(),
            scores: body.into_inner().scores,
        })
        .await??;
    Ok(HttpResponse::Ok().json(view))
}

/// `DELETE /api/scores/{id}`: its judge, or the event's managers.
pub async fn delete_score(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ScoreId>,
) -> AppResult<HttpResponse> {
    let (s, cat) = score_of(&state, *id).await?;
    let event = EventId(cat.event_id);
    if s.judge_id == user.0.sub.0 {
        access::require_category_judge(&state.db, &user.0, &cat).await?;
    } else {
        access::require_event(&state.db, Some(&user.0), event, Need::Manage).await?;
    }
    board(&state, event).await?.send(DeleteScore { score: *id }).await??;
    Ok(HttpResponse::NoContent().finish())
}

// ---- standings and lifecycle -----------------------------------------------

/// `GET /api/events/{id}/leaderboard`: what `leaderboard_update` carries.
pub async fn leaderboard(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<EventId>,
) -> AppResult<HttpResponse> {
    access::require_event(&state.db, caller.0.as_ref(), *id, Need::Read).await?;
    Ok(HttpResponse::Ok().json(leaderboard::current(&state.db, *id).await?))
}

/// `POST /api/categories/{id}/certify`: organizers, admins, tally masters.
pub async fn certify(state: web::Data<AppState>, user: AuthUser, id: web::Path<CategoryId>) -> AppResult<HttpResponse> {
    let cat = readable(&state, Some(&user.0), *id).await?;
    let event = EventId(cat.event_id);
    access::require_oversight(&state.db, Some(&user.0), event).await?;
    let view = board(&state, event)
        .await?
        .send(Certify {
            category: cat,
            by: user.0.sub,
        })
        .await??;
    Ok(HttpResponse::Created().json(view))
}

/// `POST /api/events/{id}/lock`: no score changes after this.
pub async fn lock(state: web::Data<AppState>, user: AuthUser, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let status = board(&state, *id).await?.send(Lock { by: user.0.sub }).await??;
    Ok(HttpResponse::Ok().json(status))
}

/// `POST /api/events/{id}/publish-results`: once, after the lock.
pub async fn publish_results(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let standings = board(&state, *id)
        .await?
        .send(PublishResults { by: user.0.sub })
        .await??;
    Ok(HttpResponse::Ok().json(standings))
}
