//! REST handlers: parse and validate, check rights, send one message to an
//! actor (or read/write plain records), map the reply to HTTP. No handler
//! publishes by itself.

mod admin;
mod announcements;
mod auth;
mod categories;
mod countdown;
mod events;
mod fixtures;
mod health;
mod input;
mod judging;
mod notifications;
mod publish;
mod purchases;
mod ratings;
mod rounds;
mod teams;

use crate::error::AppError;
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(64 * 1024)
            .error_handler(|err, _| AppError::BadJson(format!("invalid JSON body: {err}")).into()),
    )
    .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound("not found".into()).into()))
    .app_data(
        web::QueryConfig::default().error_handler(|err, _| AppError::Invalid(format!("invalid query: {err}")).into()),
    )
    .route("/ws/health", web::get().to(health::health))
    .service(
        web::scope("/api")
            .route("/health", web::get().to(health::health))
            .route("/auth/login", web::post().to(auth::login))
            .route("/me", web::get().to(auth::me))
            .route("/users", web::post().to(auth::create_user))
            // Fixed paths before `{id}` so they are not read as ids.
            .route("/events/active-countdowns", web::get().to(countdown::active))
            .route("/rounds/active-timers", web::get().to(rounds::active_timers))
            .route("/events", web::post().to(events::create))
            .route("/events", web::get().to(events::list))
            .route("/events/{id}", web::get().to(events::get))
            .route("/events/{id}", web::patch().to(events::patch))
            .route("/events/{id}/members", web::post().to(events::add_member))
            .route("/events/{id}/members", web::get().to(events::members))
            .route("/events/{id}/members/{user}", web::delete().to(events::remove_member))
            .route("/events/{id}/teams", web::post().to(teams::create))
            .route("/events/{id}/teams", web::get().to(teams::list))
            .route("/teams/{id}/members", web::post().to(teams::add_member))
            .route("/teams/{id}/members/{user}", web::delete().to(teams::remove_member))
            .route("/events/{id}/categories", web::post().to(categories::create))
            .route("/events/{id}/purchases", web::post().to(purchases::create))
            .route("/purchases/{id}", web::get().to(purchases::get))
            .route("/purchases/{id}", web::patch().to(purchases::change))
            .route("/me/purchases", web::get().to(purchases::mine))
            .route("/events/{id}/purchases", web::get().to(purchases::for_event))
            .route("/events/{id}/rating-sessions", web::post().to(ratings::create))
            .route("/events/{id}/rating-sessions", web::get().to(ratings::list))
            .route("/rating-sessions/{id}", web::get().to(ratings::get))
            .route("/rating-sessions/{id}/start", web::post().to(ratings::start))
            .route("/rating-sessions/{id}/finish", web::post().to(ratings::finish))
            .route("/rating-sessions/{id}/items", web::post().to(ratings::add_items))
            .route("/rating-sessions/{id}/items", web::get().to(ratings::items))
            .route("/rating-sessions/{id}/ratings", web::post().to(ratings::rate))
            .route("/rating-sessions/{id}/stats", web::get().to(ratings::stats))
            .route("/publish", web::post().to(publish::publish))
            .route("/events/{id}/announcements", web::post().to(events::announce))
            .route("/events/{id}/announcements", web::get().to(announcements::list))
            .route("/announcements/{id}", web::get().to(announcements::get))
            .route("/announcements/{id}", web::patch().to(announcements::patch))
            .route("/announcements/{id}", web::delete().to(announcements::delete))
            .route("/admin/announcements", web::post().to(announcements::create_system))
            .route("/admin/announcements", web::get().to(announcements::list_system_admin))
            .route("/system/announcements", web::get().to(announcements::list_system))
            .route("/notifications", web::get().to(notifications::list))
            .route(
                "/notifications/unread-count",
                web::get().to(notifications::unread_count),
            )
            .route("/notifications/read-all", web::post().to(notifications::read_all))
            .route("/notifications/{id}/read", web::post().to(notifications::read))
            .route("/notifications/{id}", web::delete().to(notifications::delete))
            .route("/events/{id}/notifications", web::post().to(notifications::send))
            .route("/events/{id}/rounds", web::post().to(rounds::create))
            .route("/events/{id}/rounds", web::get().to(rounds::list))
            .route("/events/{id}/countdown/start", web::post().to(countdown::start))
            .route("/events/{id}/countdown/stop", web::post().to(countdown::stop))
            .route("/events/{id}/countdown/extend", web::post().to(countdown::extend))
            .route("/events/{id}/countdown/status", web::get().to(countdown::status))
            .route("/rounds/{id}", web::get().to(rounds::get))
            .route("/rounds/{id}/timer", web::get().to(rounds::timer))
            .route("/rounds/{id}/start", web::post().to(rounds::start))
            .route("/rounds/{id}/end", web::post().to(rounds::end))
            .route("/rounds/{id}/extend", web::post().to(rounds::extend))
            .route("/rounds/{id}/announce", web::post().to(rounds::announce))
            .route("/admin/actors", web::get().to(admin::actors))
            .route("/admin/actors/{kind}/{id}", web::get().to(admin::actor))
            .route("/judge/score", web::post().to(judging::submit))
            .route("/events/{id}/categories", web::get().to(categories::list))
            .route("/events/{id}/leaderboard", web::get().to(judging::leaderboard))
            .route("/events/{id}/lock", web::post().to(judging::lock))
            .route("/events/{id}/publish-results", web::post().to(judging::publish_results))
            .route("/categories/{id}", web::get().to(categories::get))
            .route("/categories/{id}/judges", web::post().to(judging::assign_judge))
            .route("/categories/{id}/scores", web::get().to(judging::list_scores))
            .route("/categories/{id}/certify", web::post().to(judging::certify))
            .route("/scores/{id}", web::put().to(judging::update_score))
            .route("/scores/{id}", web::delete().to(judging::delete_score))
            .route("/events/{id}/fixtures", web::post().to(fixtures::create))
            .route("/events/{id}/fixtures", web::get().to(fixtures::list))
            .route("/events/{id}/standings", web::get().to(fixtures::standings))
            .route("/events/{id}/standings/config", web::get().to(fixtures::points))
            .route("/events/{id}/standings/config", web::put().to(fixtures::set_points))
            .route("/fixtures/{id}", web::get().to(fixtures::get))
            .route("/fixtures/{id}", web::delete().to(fixtures::delete))
            .route("/fixtures/{id}/reschedule", web::post().to(fixtures::reschedule))
            .route("/fixtures/{id}/postpone", web::post().to(fixtures::postpone))
            .route("/fixtures/{id}/cancel", web::post().to(fixtures::cancel))
            .route("/fixtures/{id}/start", web::post().to(fixtures::start))
            .route("/fixtures/{id}/result", web::put().to(fixtures::result))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(AppError::NotFound("no such endpoint".into()))
            })),
    );
}
