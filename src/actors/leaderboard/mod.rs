//! One actor per event with judging: the single writer for its scores,
//! judge assignments, certifications and lock, and the publisher of its
//! standings.
//!
//! Commands are handled like the event actor's: validate → persist →
//! publish, with the mailbox held (`AtomicResponse`) so two never
//! interleave. Rights are checked by the handlers before they ask.
//!
//! Standings are recomputed from the database, coalesced: a change marks
//! them dirty; they are recomputed at once if the last computation is at
//! least `COALESCE` old, else once it is (changes made meanwhile ride
//! along). So a burst of scores costs at most one `leaderboard_update` per
//! `COALESCE`, the standings still move during a long burst, and the last
//! update always shows the last change.
//!
//! Who hears what (docs/judging.md): every score goes to those who oversee
//! the judging (`event:{id}:scores`, `role:admin`) and back to its own judge
//! (`user:{judge}`); never to another judge. Teams hear that they were
//! scored, without numbers; the public hears standings only.

mod fixture_view;
mod fixtures;
mod league;
mod payload;
mod standings;

pub use fixture_view::*;
pub use fixtures::*;
pub use league::{table as league_table, LeaguePoints, LeagueRow, MAX_POINTS};
pub use payload::*;
pub use standings::{current, standings, tally, weigh, Tally};

use crate::bus::Bus;
use crate::error::{AppError, AppResult};
use crate::model::{CategoryId, EventId, MemberRole, NotificationKind, Role, ScoreId, TeamId, UserId};
use crate::protocol::Topic;
use crate::store;
use actix::prelude::*;
use chrono::Utc;
use entity::{category, score, team, user};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

use super::registry::{Publish, Retain};

use standings::clock_version;

/// The shortest time between two `leaderboard_update`s of one event.
pub const COALESCE: Duration = Duration::from_millis(250);

// ---- commands -------------------------------------------------------------

/// Creates or replaces the judge's score of a team in a category. Replies
/// with the score and whether it was created.
#[derive(Message)]
#[rtype(result = "AppResult<(ScoreView, bool)>")]
pub struct SubmitScore {
    pub category: category::Model,
    pub team: TeamId,
    pub judge: UserId,
    pub judge_name: String,
    pub scores: Map<String, Value>,
}

/// Changes the values of an existing score (its judge only).
#[derive(Message)]
#[rtype(result = "AppResult<ScoreView>")]
pub struct UpdateScore {
    pub score: ScoreId,
    pub judge_name: String,
    pub scores: Map<String, Value>,
}

#[derive(Message)]
#[rtype(result = "AppResult<()>")]
pub struct DeleteScore {
    pub score: ScoreId,
}

#[derive(Message)]
#[rtype(result = "AppResult<()>")]
pub struct AssignJudge {
    pub category: category::Model,
    pub judge: user::Model,
}

#[derive(Message)]
#[rtype(result = "AppResult<CertificationView>")]
pub struct Certify {
    pub category: category::Model,
    pub by: UserId,
}

#[derive(Message)]
#[rtype(result = "AppResult<JudgingStatus>")]
pub struct Lock {
    pub by: UserId,
}

#[derive(Message)]
#[rtype(result = "AppResult<LeaderboardState>")]
pub struct PublishResults {
    pub by: UserId,
}

/// A team registered for the event: its categories' judges hear of it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct TeamRegistered {
    pub team: team::Model,
}

/// A subscriber is about to follow the standings: publish them unless they
/// are already kept (e.g. after a restart).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Wake;

/// A category was created: the standings show it from now on.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CategoryAdded;

// ---- the actor ------------------------------------------------------------

/// What a command did, applied once it is persisted.
struct Done<T> {
    reply: T,
    publish: Vec<Publish>,
    /// The standings changed.
    dirty: bool,
}

fn push<D: Serialize>(out: &mut Vec<Publish>, topic: Topic, kind: &'static str, data: &D) {
    out.extend(Publish::new(topic, kind, data, Retain::History));
}

/// A score for the overseers and, on their own topic, for its judge.
fn push_score(out: &mut Vec<Publish>, view: &ScoreView, action: ScoreAction) {
    let data = ScoreUpdate { action, score: view };
    for topic in [
        Topic::EventScores(view.event_id),
        Topic::Role(Role::Admin),
        Topic::User(view.judge_id),
    ] {
        push(out, topic, "score_update", &data);
    }
}

pub struct Leaderboard {
    id: EventId,
    db: DatabaseConnection,
    bus: Bus,
    version: u64,
    /// A change has not been published in the standings yet.
    dirty: bool,
    /// A recomputation is scheduled.
    scheduled: bool,
    /// When the standings were last computed (or tried).
    last_run: Option<Instant>,
    /// Standings were published in this process's life.
    published: bool,
    /// The event was found to have no categories nor fixtures (and none
    /// was added since): nothing to publish, no need to look again.
    known_empty: bool,
}

impl Leaderboard {
    pub fn new(id: EventId, db: DatabaseConnection, bus: Bus) -> Self {
        Self {
            id,
            db,
            bus,
            version: clock_version(),
            dirty: false,
            scheduled: false,
            last_run: None,
            published: false,
            known_empty: false,
        }
    }

    fn bump(&mut self) -> u64 {
        self.version = (self.version + 1).max(clock_version());
        self.version
    }

    fn mark_dirty(&mut self, ctx: &mut Context<Self>) {
        self.dirty = true;
        self.flush(ctx);
    }

    /// Recomputes now if the last run is `COALESCE` old, else once it is.
    /// Checked after every command as well as by the timer: the timer only
    /// fires when the mailbox is idle, and a steady stream of scores must
    /// still move the standings a few times a second.
    fn flush(&mut self, ctx: &mut Context<Self>) {
        if !self.dirty {
            return;
        }
        let now = Instant::now();
        let due = self.last_run.map_or(now, |t| t + COALESCE);
        if now >= due {
            self.recompute(ctx);
        } else if !self.scheduled {
            self.scheduled = true;
            ctx.run_later(due - now, |act, ctx| {
                act.scheduled = false;
                act.flush(ctx);
            });
        }
    }

    /// Reads the tally with the mailbox held (so it sees every change
    /// handled so far and none half-done) and publishes the standings.
    fn recompute(&mut self, ctx: &mut Context<Self>) {
        self.dirty = false;
        self.last_run = Some(Instant::now());
        let (db, id) = (self.db.clone(), self.id);
        ctx.wait(
            async move { tally(&db, id).await }
                .into_actor(self)
                .map(|res, act, ctx| match res {
                    Ok(t) => {
                        act.publish_standings(&t);
                        // Counted from the publish too: a slow read under a
                        // burst of writes must not bring two frames closer
                        // than `COALESCE`.
                        act.last_run = Some(Instant::now());
                    }
                    Err(e) => {
                        tracing::error!(event = %act.id, error = %e, "could not compute standings; retrying");
                        act.mark_dirty(ctx);
                    }
                }),
        );
    }

    /// The standings as of `t`, with a new version.
    fn compute(&mut self, t: &Tally) -> LeaderboardState {
        let version = self.bump();
        standings(self.id, t, version)
    }

    /// Publishes the standings as the results topic's state.
    fn publish(&mut self, state: &LeaderboardState) {
        self.bus
            .publish(Topic::EventResults(self.id), "leaderboard_update", state, Retain::State);
        self.published = true;
    }

    fn publish_standings(&mut self, t: &Tally) {
        let state = self.compute(t);
        self.publish(&state);
    }

    /// Runs a command with the mailbox held, then publishes what it did.
    fn transact<T: 'static>(
        &mut self,
        fut: impl std::future::Future<Output = AppResult<Done<T>>> + 'static,
    ) -> AtomicResponse<Self, AppResult<T>> {
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(|res, act, ctx| {
            let done = res?;
            for p in done.publish {
                act.bus.publish_raw(p);
            }
            if done.dirty {
                // A first fixture makes an event without categories worth
                // publishing standings for.
                act.known_empty = false;
                act.mark_dirty(ctx);
            }
            Ok(done.reply)
        })))
    }
}

impl Actor for Leaderboard {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Handlers `send` and wait; a burst of scores queues here.
        ctx.set_mailbox_capacity(4096);
    }
}

// ---- transitions (database only) -----------------------------------------

/// Scores may change until the contest is locked or the category certified.
async fn open_for_scores(db: &DatabaseConnection, event: EventId, category: &category::Model) -> AppResult<()> {
    if store::judging::state(db, event)
        .await?
        .is_some_and(|s| s.locked_at.is_some())
    {
        return Err(AppError::Conflict(
            "the contest is locked: scores can no longer change".into(),
        ));
    }
    if store::judging::certification(db, CategoryId(category.id))
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "category `{}` is certified: its scores can no longer change",
            category.name
        )));
    }
    Ok(())
}

/// The category of a stored score, which must belong to this event.
async fn score_parts(
    db: &DatabaseConnection,
    event: EventId,
    id: ScoreId,
) -> AppResult<(score::Model, category::Model, team::Model)> {
    let s = store::scores::get(db, id)
        .await?
        .filter(|s| s.event_id == event.0)
        .ok_or_else(|| AppError::not_found("score"))?;
    let c = store::categories::get(db, CategoryId(s.category_id))
        .await?
        .ok_or_else(|| AppError::not_found("category"))?;
    let t = store::teams::get(db, TeamId(s.team_id))
        .await?
        .ok_or_else(|| AppError::not_found("team"))?;
    Ok((s, c, t))
}

/// Pushes for a score that was created or changed.
async fn scored(db: &DatabaseConnection, view: &ScoreView, action: ScoreAction) -> AppResult<Vec<Publish>> {
    let judge_count = store::scores::judge_count(db, view.category_id, view.team_id).await?;
    let mut out = Vec::new();
    push_score(&mut out, view, action);
    let message = match action {
        ScoreAction::Created => format!("You were scored in {}", view.category),
        _ => format!("Your score in {} was updated", view.category),
    };
    push(
        &mut out,
        Topic::Team(view.team_id),
        "team_notification",
        &TeamNotification {
            event_id: view.event_id,
            team_id: view.team_id,
            category_id: view.category_id,
            category: view.category.clone(),
            action,
            message,
            judge_count,
        },
    );
    Ok(out)
}

async fn submit(db: DatabaseConnection, event: EventId, msg: SubmitScore) -> AppResult<Done<(ScoreView, bool)>> {
    let cat = msg.category;
    if cat.event_id != event.0 {
        return Err(AppError::not_found("category"));
    }
    let team = store::teams::get(&db, msg.team)
        .await?
        .ok_or_else(|| AppError::not_found("team"))?;
    if team.event_id != event.0 {
        return Err(AppError::Invalid(
            "the team does not take part in this category's event".into(),
        ));
    }
    let category_id = CategoryId(cat.id);
    let criteria = store::judging::criteria(&db, category_id).await?;
    let (marks, total) = weigh(&criteria, &msg.scores)?;
    open_for_scores(&db, event, &cat).await?;
    let now = Utc::now();
    let (model, created) = match store::scores::find(&db, category_id, msg.team, msg.judge).await? {
        Some(s) => (store::scores::update(&db, s, marks, total, now).await?, false),
        None => {
            let new = store::scores::NewScore {
                event,
                category: category_id,
                team: msg.team,
                judge: msg.judge,
                marks,
                total,
                at: now,
            };
            (store::scores::insert(&db, new).await?, true)
        }
    };
    let view = ScoreView::new(&model, &cat.name, &team.name, &msg.judge_name);
    let action = if created {
        ScoreAction::Created
    } else {
        ScoreAction::Updated
    };
    let publish = scored(&db, &view, action).await?;
    Ok(Done {
        reply: (view, created),
        publish,
        dirty: true,
    })
}

async fn update(db: DatabaseConnection, event: EventId, msg: UpdateScore) -> AppResult<Done<ScoreView>> {
    let (s, cat, team) = score_parts(&db, event, msg.score).await?;
    let criteria = store::judging::criteria(&db, CategoryId(cat.id)).await?;
    let (marks, total) = weigh(&criteria, &msg.scores)?;
    open_for_scores(&db, event, &cat).await?;
    let model = store::scores::update(&db, s, marks, total, Utc::now()).await?;
    let view = ScoreView::new(&model, &cat.name, &team.name, &msg.judge_name);
    let publish = scored(&db, &view, ScoreAction::Updated).await?;
    Ok(Done {
        reply: view,
        publish,
        dirty: true,
    })
}

async fn delete(db: DatabaseConnection, event: EventId, msg: DeleteScore) -> AppResult<Done<()>> {
    let (s, cat, team) = score_parts(&db, event, msg.score).await?;
    open_for_scores(&db, event, &cat).await?;
    let judge = store::users::by_id(&db, UserId(s.judge_id))
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let view = ScoreView::new(&s, &cat.name, &team.name, &judge);
    store::scores::delete(&db, s).await?;
    let mut publish = Vec::new();
    push_score(&mut publish, &view, ScoreAction::Deleted);
    Ok(Done {
        reply: (),
        publish,
        dirty: true,
    })
}

async fn assign(db: DatabaseConnection, event: EventId, msg: AssignJudge) -> AppResult<Done<()>> {
    let (cat, judge) = (msg.category, msg.judge);
    if cat.event_id != event.0 {
        return Err(AppError::not_found("category"));
    }
    let (category_id, judge_id) = (CategoryId(cat.id), UserId(judge.id));
    let again = store::judging::is_judge(&db, category_id, judge_id).await?;
    store::judging::assign_judge(&db, category_id, judge_id).await?;
    let mut publish = Vec::new();
    if !again {
        push(
            &mut publish,
            Topic::User(judge_id),
            "judge_notification",
            &JudgeNotification {
                reason: JudgeNotice::Assigned,
                event_id: event,
                category_id,
                category: cat.name.clone(),
                team_id: None,
                team_name: None,
                message: format!("You were assigned to judge {}", cat.name),
            },
        );
    }
    Ok(Done {
        reply: (),
        publish,
        dirty: false,
    })
}

async fn certify(db: DatabaseConnection, bus: Bus, event: EventId, msg: Certify) -> AppResult<Done<CertificationView>> {
    let cat = msg.category;
    if cat.event_id != event.0 {
        return Err(AppError::not_found("category"));
    }
    let category_id = CategoryId(cat.id);
    if store::judging::certification(&db, category_id).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "category `{}` is already certified",
            cat.name
        )));
    }
    let c = store::judging::certify(&db, &cat, msg.by, Utc::now()).await?;
    let view = CertificationView::new(&c, &cat.name);
    let mut publish = Vec::new();
    for topic in [Topic::Category(category_id), Topic::EventScores(event)] {
        push(&mut publish, topic, "certification:updated", &view);
    }
    // The board hears it as a stored notification (listed, counted, marked
    // read like any other); the certification itself is already kept, so a
    // notification that cannot be stored is logged, not an error.
    let board = store::judging::members_with_role(&db, event, MemberRole::Board).await?;
    let data = serde_json::json!({
        "level": "success",
        "category_id": category_id,
        "certification": &view,
    });
    let note = |user| store::notifications::NewNotification {
        user,
        event: Some(event),
        kind: NotificationKind::System,
        title: "Category certified".into(),
        body: format!("Category {} was certified", cat.name),
        data: Some(data.clone()),
    };
    if let Err(e) = store::notifications::notify_many(&db, &bus, &board, note).await {
        tracing::error!(%event, error = %e, "could not notify the board of a certification");
    }
    Ok(Done {
        reply: view,
        publish,
        dirty: true,
    })
}

async fn lock(db: DatabaseConnection, event: EventId, msg: Lock) -> AppResult<Done<JudgingStatus>> {
    if store::judging::state(&db, event)
        .await?
        .is_some_and(|s| s.locked_at.is_some())
    {
        return Err(AppError::Conflict("the contest is already locked".into()));
    }
    let now = Utc::now();
    let s = store::judging::lock(&db, event, msg.by, now).await?;
    let mut publish = Vec::new();
    let data = ContestLocked {
        event_id: event,
        locked_at: now,
        locked_by: msg.by,
    };
    for topic in [Topic::Event(event), Topic::EventScores(event)] {
        push(&mut publish, topic, "contest:locked", &data);
    }
    Ok(Done {
        reply: JudgingStatus::new(event, Some(&s)),
        publish,
        dirty: true,
    })
}

// ---- handlers -------------------------------------------------------------

impl Handler<SubmitScore> for Leaderboard {
    type Result = AtomicResponse<Self, AppResult<(ScoreView, bool)>>;
    fn handle(&mut self, msg: SubmitScore, _: &mut Context<Self>) -> Self::Result {
        let fut = submit(self.db.clone(), self.id, msg);
        self.transact(fut)
    }
}

impl Handler<UpdateScore> for Leaderboard {
    type Result = AtomicResponse<Self, AppResult<ScoreView>>;
    fn handle(&mut self, msg: UpdateScore, _: &mut Context<Self>) -> Self::Result {
        let fut = update(self.db.clone(), self.id, msg);
        self.transact(fut)
    }
}

impl Handler<DeleteScore> for Leaderboard {
    type Result = AtomicResponse<Self, AppResult<()>>;
    fn handle(&mut self, msg: DeleteScore, _: &mut Context<Self>) -> Self::Result {
        let fut = delete(self.db.clone(), self.id, msg);
        self.transact(fut)
    }
}

impl Handler<AssignJudge> for Leaderboard {
    type Result = AtomicResponse<Self, AppResult<()>>;
    fn handle(&mut self, msg: AssignJudge, _: &mut Context<Self>) -> Self::Result {
        let fut = assign(self.db.clone(), self.id, msg);
        self.transact(fut)
    }
}

impl Handler<Certify> for Leaderboard {
    type Result = AtomicResponse<Self, AppResult<CertificationView>>;
    fn handle(&mut self, msg: Certify, _: &mut Context<Self>) -> Self::Result {
        let fut = certify(self.db.clone(), self.bus.clone(), self.id, msg);
        self.transact(fut)
    }
}

impl Handler<Lock> for Leaderboard {
    type Result = AtomicResponse<Self, AppResult<JudgingStatus>>;
    fn handle(&mut self, msg: Lock, _: &mut Context<Self>) -> Self::Result {
        let fut = lock(self.db.clone(), self.id, msg);
        self.transact(fut)
    }
}

impl Handler<PublishResults> for Leaderboard {
    type Result = AtomicResponse<Self, AppResult<LeaderboardState>>;
    fn handle(&mut self, msg: PublishResults, _: &mut Context<Self>) -> Self::Result {
        let (db, event) = (self.db.clone(), self.id);
        let fut = async move {
            let locked = store::judging::state(&db, event)
                .await?
                .filter(|s| s.locked_at.is_some())
                .ok_or_else(|| AppError::Conflict("lock the contest before publishing its results".into()))?;
            if locked.results_published_at.is_some() {
                return Err(AppError::Conflict("the results are already published".into()));
            }
            let now = Utc::now();
            store::judging::publish_results(&db, locked, msg.by, now).await?;
            Ok((tally(&db, event).await?, now))
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(|res, act, _| {
            let (t, at) = res?;
            // Published at once, not coalesced: this is the final word.
            act.dirty = false;
            act.last_run = Some(Instant::now());
            let state = act.compute(&t);
            let data = ResultsPublished {
                event_id: act.id,
                published_at: at,
                leaderboard: &state,
            };
            act.bus.publish_all(
                &[Topic::EventResults(act.id), Topic::EventScores(act.id)],
                "results:published",
                &data,
                Retain::History,
            );
            act.publish(&state);
            Ok(state)
        })))
    }
}

impl Handler<TeamRegistered> for Leaderboard {
    type Result = AtomicResponse<Self, ()>;
    fn handle(&mut self, msg: TeamRegistered, _: &mut Context<Self>) -> Self::Result {
        let (db, event) = (self.db.clone(), self.id);
        let fut = async move {
            let team = msg.team;
            let mut publish = Vec::new();
            for c in store::judging::categories(&db, event).await? {
                let category_id = CategoryId(c.id);
                push(
                    &mut publish,
                    Topic::CategoryRole(category_id, Role::Judge),
                    "judge_notification",
                    &JudgeNotification {
                        reason: JudgeNotice::TeamRegistered,
                        event_id: event,
                        category_id,
                        category: c.name.clone(),
                        team_id: Some(TeamId(team.id)),
                        team_name: Some(team.name.clone()),
                        message: format!("New team registered: {}", team.name),
                    },
                );
            }
            Ok::<_, AppError>(publish)
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(|res, act, _| match res {
            Ok(publish) => publish.into_iter().for_each(|p| act.bus.publish_raw(p)),
            Err(e) => tracing::error!(event = %act.id, error = %e, "could not tell the judges of a new team"),
        })))
    }
}

impl Handler<Wake> for Leaderboard {
    type Result = AtomicResponse<Self, ()>;
    fn handle(&mut self, _: Wake, _: &mut Context<Self>) -> Self::Result {
        let (db, event) = (self.db.clone(), self.id);
        // A reconnect storm costs one database read, not one per client.
        let skip = self.published || self.known_empty;
        let fut = async move {
            if skip {
                return Ok(None);
            }
            tally(&db, event).await.map(Some)
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(|res, act, _| match res {
            Ok(Some(t)) if t.is_empty() => act.known_empty = true,
            Ok(Some(t)) if !act.published => {
                act.last_run = Some(Instant::now());
                act.publish_standings(&t);
            }
            Ok(_) => {}
            Err(e) => tracing::error!(event = %act.id, error = %e, "could not compute standings"),
        })))
    }
}

impl Handler<CategoryAdded> for Leaderboard {
    type Result = ();
    fn handle(&mut self, _: CategoryAdded, ctx: &mut Context<Self>) {
        self.known_empty = false;
        self.mark_dirty(ctx);
    }
}
