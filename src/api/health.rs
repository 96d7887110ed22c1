use crate::actors::registry::GetStats;
use crate::clock::fmt_time;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde_json::json;

pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let stats = state.registry.send(GetStats).await?;
    Ok(HttpResponse::Ok().json(json!({
        "status": "ok",
        "connections": stats.connections,
        "topics": stats.topics,
        "uptime_secs": state.started_at.elapsed().as_secs(),
        "server_time": fmt_time(Utc::now()),
    })))
}
