//! Judged categories of an event: their criteria (name, weight, range),
//! their judges and their certification. Scoring is in `judging.rs`.

use super::input::text;
use crate::access::{self, Need};
use crate::actors::leaderboard::CertificationView;
use crate::auth::{AuthUser, Caller};
use crate::clock::ser_time;
use crate::error::{AppError, AppResult};
use crate::model::{CategoryId, EventId, UserId};
use crate::state::AppState;
use crate::store;
use crate::store::judging::NewCriterion;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use entity::{category, criterion};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

/// Most criteria a category may have.
const MAX_CRITERIA: usize = 50;
/// Largest magnitude of a weight or a bound.
const MAX_MAGNITUDE: f64 = 1_000_000.0;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionIn {
    name: String,
    weight: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    name: String,
    #[serde(default)]
    criteria: Vec<CriterionIn>,
}

#[derive(Serialize)]
pub struct CriterionView {
    name: String,
    weight: f64,
    min: f64,
    max: f64,
}

impl From<criterion::Model> for CriterionView {
    fn from(c: criterion::Model) -> Self {
        Self {
            name: c.name,
            weight: c.weight,
            min: c.min_value,
            max: c.max_value,
        }
    }
}

#[derive(Serialize)]
pub struct JudgeView {
    user_id: UserId,
    user: String,
}

#[derive(Serialize)]
pub struct CategoryView {
    id: CategoryId,
    event_id: EventId,
    name: String,
    #[serde(serialize_with = "ser_time")]
    created_at: DateTime<Utc>,
    criteria: Vec<CriterionView>,
    judges: Vec<JudgeView>,
    /// `null` until the category is certified.
    certification: Option<CertificationView>,
}

fn number(what: &str, v: f64) -> AppResult<f64> {
    if v.is_finite() && v.abs() <= MAX_MAGNITUDE {
        Ok(v)
    } else {
        Err(AppError::Invalid(format!(
            "{what} must be a number from -{MAX_MAGNITUDE} to {MAX_MAGNITUDE}"
        )))
    }
}

/// Criteria as given: unique names, a positive weight (default 1), and
/// `min < max` (defaults 0 and 10).
fn criteria(given: Vec<CriterionIn>) -> AppResult<Vec<NewCriterion>> {
    if given.len() > MAX_CRITERIA {
        return Err(AppError::Invalid(format!("at most {MAX_CRITERIA} criteria")));
    }
    let mut out: Vec<NewCriterion> = Vec::with_capacity(given.len());
    for c in given {
        let name = text("criterion name", &c.name, 100)?;
        if out.iter().any(|o| o.name == name) {
            return Err(AppError::Invalid(format!("criterion `{name}` is given twice")));
        }
        let weight = number("weight", c.weight.unwrap_or(1.0))?;
        if weight <= 0.0 {
            return Err(AppError::Invalid(format!("the weight of `{name}` must be above 0")));
        }
        let min = number("min", c.min.unwrap_or(0.0))?;
        let max = number("max", c.max.unwrap_or(10.0))?;
        if min >= max {
            return Err(AppError::Invalid(format!("`{name}` needs min below max")));
        }
        out.push(NewCriterion { name, weight, min, max });
    }
    Ok(out)
}

/// The whole view of a category: criteria, judges, certification.
pub async fn view(db: &DatabaseConnection, c: category::Model) -> AppResult<CategoryView> {
    let id = CategoryId(c.id);
    let criteria = store::judging::criteria(db, id).await?;
    let judges = store::judging::judges(db, id).await?;
    let certification = store::judging::certification(db, id)
        .await?
        .map(|cert| CertificationView::new(&cert, &c.name));
    Ok(CategoryView {
        id,
        event_id: EventId(c.event_id),
        name: c.name,
        created_at: c.created_at,
        criteria: criteria.into_iter().map(CriterionView::from).collect(),
        judges: judges
            .into_iter()
            .map(|u| JudgeView {
                user_id: UserId(u.id),
                user: u.name,
            })
            .collect(),
        certification,
    })
}

pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<EventId>,
    body: web::Json<NewCategory>,
) -> AppResult<HttpResponse> {
    access::require_event(&state.db, Some(&user.0), *id, Need::Manage).await?;
    let body = body.into_inner();
    let name = text("name", &body.name, 200)?;
    let criteria = criteria(body.criteria)?;
    let (c, _) = store::judging::create_category(&state.db, *id, name, criteria).await?;
    super::judging::category_added(&state, *id).await;
    Ok(HttpResponse::Created().json(view(&state.db, c).await?))
}

/// The category, after checking that the caller may read its event.
pub async fn readable(
    state: &AppState,
    caller: Option<&crate::auth::Claims>,
    id: CategoryId,
) -> AppResult<category::Model> {
    let c = store::categories::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("category"))?;
    access::require_event(&state.db, caller, EventId(c.event_id), Need::Read).await?;
    Ok(c)
}

pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<CategoryId>) -> AppResult<HttpResponse> {
    let c = readable(&state, caller.0.as_ref(), *id).await?;
    Ok(HttpResponse::Ok().json(view(&state.db, c).await?))
}

pub async fn list(state: web::Data<AppState>, caller: Caller, id: web::Path<EventId>) -> AppResult<HttpResponse> {
    access::require_event(&state.db, caller.0.as_ref(), *id, Need::Read).await?;
    let mut out = Vec::new();
    for c in store::judging::categories(&state.db, *id).await? {
        out.push(view(&state.db, c).await?);
    }
    Ok(HttpResponse::Ok().json(out))
}
