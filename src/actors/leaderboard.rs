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

use crate::bus::Bus;
use crate::clock::{fmt_time, ser_opt_time, ser_time};
use crate::error::{AppError, AppResult};
use crate::model::{CategoryId, EventId, MemberRole, Role, ScoreId, TeamId, UserId};
use crate::protocol::Topic;
use crate::store;
use actix::prelude::*;
use chrono::{DateTime, Utc};
use entity::{category, criterion, judging_state, score, team, user};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::registry::{Publish, Retain};

/// The shortest time between two `leaderboard_update`s of one event.
pub const COALESCE: Duration = Duration::from_millis(250);

// ---- payloads -------------------------------------------------------------

/// One judge's score, as its judge and the event's overseers see it.
#[derive(Clone, Debug, Serialize)]
pub struct ScoreView {
    pub id: ScoreId,
    pub event_id: EventId,
    pub category_id: CategoryId,
    pub category: String,
    pub team_id: TeamId,
    pub team_name: String,
    pub judge_id: UserId,
    pub judge: String,
    /// Criterion name → the value given.
    pub scores: Value,
    /// Σ weight × value.
    pub total: f64,
    #[serde(serialize_with = "ser_time")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_time")]
    pub updated_at: DateTime<Utc>,
}

impl ScoreView {
    pub fn new(s: &score::Model, category: &str, team_name: &str, judge: &str) -> Self {
        Self {
            id: ScoreId(s.id),
            event_id: EventId(s.event_id),
            category_id: CategoryId(s.category_id),
            category: category.to_owned(),
            team_id: TeamId(s.team_id),
            team_name: team_name.to_owned(),
            judge_id: UserId(s.judge_id),
            judge: judge.to_owned(),
            scores: s.marks.clone(),
            total: s.total,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreAction {
    Created,
    Updated,
    Deleted,
}

/// `score_update`: a score and what happened to it.
#[derive(Debug, Serialize)]
pub struct ScoreUpdate<'a> {
    pub action: ScoreAction,
    #[serde(flatten)]
    pub score: &'a ScoreView,
}

/// `team_notification`: the team was scored; no judge's numbers.
#[derive(Debug, Serialize)]
pub struct TeamNotification {
    pub event_id: EventId,
    pub team_id: TeamId,
    pub category_id: CategoryId,
    pub category: String,
    pub action: ScoreAction,
    pub message: String,
    /// Judges who have scored the team in this category so far.
    pub judge_count: u64,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JudgeNotice {
    /// A team registered for the event: one more to score.
    TeamRegistered,
    /// The judge was assigned to the category.
    Assigned,
}

/// `judge_notification`.
#[derive(Debug, Serialize)]
pub struct JudgeNotification {
    pub reason: JudgeNotice,
    pub event_id: EventId,
    pub category_id: CategoryId,
    pub category: String,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub message: String,
}

/// A category's certification (`certification:updated`, and REST).
#[derive(Clone, Debug, Serialize)]
pub struct CertificationView {
    pub category_id: CategoryId,
    pub event_id: EventId,
    pub category: String,
    pub status: String,
    pub certified_by: UserId,
    #[serde(serialize_with = "ser_time")]
    pub certified_at: DateTime<Utc>,
}

impl CertificationView {
    pub fn new(c: &entity::certification::Model, category: &str) -> Self {
        Self {
            category_id: CategoryId(c.category_id),
            event_id: EventId(c.event_id),
            category: category.to_owned(),
            status: c.status.clone(),
            certified_by: UserId(c.certified_by),
            certified_at: c.certified_at,
        }
    }
}

/// `notification` to a board member's `user:{id}`.
#[derive(Debug, Serialize)]
pub struct Notification {
    pub level: &'static str,
    pub message: String,
    pub event_id: EventId,
    pub category_id: CategoryId,
}

/// Where an event's judging stands (`contest:locked`, and REST).
#[derive(Clone, Debug, Serialize)]
pub struct JudgingStatus {
    pub event_id: EventId,
    pub locked: bool,
    #[serde(serialize_with = "ser_opt_time")]
    pub locked_at: Option<DateTime<Utc>>,
    pub locked_by: Option<UserId>,
    pub results_published: bool,
    #[serde(serialize_with = "ser_opt_time")]
    pub results_published_at: Option<DateTime<Utc>>,
}

impl JudgingStatus {
    pub fn new(event: EventId, s: Option<&judging_state::Model>) -> Self {
        Self {
            event_id: event,
            locked: s.is_some_and(|s| s.locked_at.is_some()),
            locked_at: s.and_then(|s| s.locked_at),
            locked_by: s.and_then(|s| s.locked_by).map(UserId),
            results_published: s.is_some_and(|s| s.results_published_at.is_some()),
            results_published_at: s.and_then(|s| s.results_published_at),
        }
    }
}

/// One team's place in one category.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Standing {
    /// 1-based; equal totals share a rank (1, 1, 3).
    pub rank: u32,
    pub team_id: TeamId,
    pub team_name: String,
    /// Average over the judges of Σ weight × value.
    pub average_total: f64,
    pub judge_count: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CategoryStandings {
    pub category_id: CategoryId,
    pub category: String,
    pub certified: bool,
    pub standings: Vec<Standing>,
}

/// One team's place over all categories.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OverallStanding {
    pub rank: u32,
    pub team_id: TeamId,
    pub team_name: String,
    /// Σ over categories of the team's average total.
    pub total: f64,
    /// Distinct judges who scored the team, in any category.
    pub judge_count: u32,
    pub categories_scored: u32,
}

/// `leaderboard_update`: the whole standings, kept as the state of
/// `event:{id}:results`.
#[derive(Clone, Debug, Serialize)]
pub struct LeaderboardState {
    pub event_id: EventId,
    /// Grows with every update; never apply an older one over a newer one.
    pub version: u64,
    pub locked: bool,
    pub results_published: bool,
    pub categories: Vec<CategoryStandings>,
    pub overall: Vec<OverallStanding>,
    pub server_time: String,
}

/// `results:published`.
#[derive(Debug, Serialize)]
pub struct ResultsPublished<'a> {
    pub event_id: EventId,
    #[serde(serialize_with = "ser_time")]
    pub published_at: DateTime<Utc>,
    pub leaderboard: &'a LeaderboardState,
}

/// `contest:locked`.
#[derive(Debug, Serialize)]
pub struct ContestLocked {
    pub event_id: EventId,
    #[serde(serialize_with = "ser_time")]
    pub locked_at: DateTime<Utc>,
    pub locked_by: UserId,
}

// ---- scoring and standings (pure) ----------------------------------------

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn shorten(s: &str) -> String {
    s.chars().take(80).collect()
}

/// Checks a judge's values against the category's criteria: every
/// criterion given once, each a number within its range, nothing else.
/// Returns the values to keep and Σ weight × value.
pub fn weigh(criteria: &[criterion::Model], given: &Map<String, Value>) -> AppResult<(Value, f64)> {
    if criteria.is_empty() {
        return Err(AppError::Invalid("this category has no criteria to score".into()));
    }
    if let Some(unknown) = given.keys().find(|k| !criteria.iter().any(|c| &c.name == *k)) {
        return Err(AppError::Invalid(format!("unknown criterion `{}`", shorten(unknown))));
    }
    let mut marks = Map::new();
    let mut total = 0.0;
    for c in criteria {
        let v = given
            .get(&c.name)
            .ok_or_else(|| AppError::Invalid(format!("missing criterion `{}`", c.name)))?;
        let x = v
            .as_f64()
            .filter(|x| x.is_finite() && *x >= c.min_value && *x <= c.max_value)
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "`{}` must be a number from {} to {}",
                    c.name, c.min_value, c.max_value
                ))
            })?;
        marks.insert(c.name.clone(), v.clone());
        total += c.weight * x;
    }
    Ok((Value::Object(marks), round6(total)))
}

/// Everything the standings are computed from.
#[derive(Debug, Default)]
pub struct Tally {
    pub categories: Vec<category::Model>,
    pub teams: Vec<team::Model>,
    pub scores: Vec<score::Model>,
    pub certified: HashSet<uuid::Uuid>,
    pub state: Option<judging_state::Model>,
}

/// Reads the tally of an event (nothing else when it has no categories).
pub async fn tally(db: &DatabaseConnection, event: EventId) -> AppResult<Tally> {
    let categories = store::judging::categories(db, event).await?;
    if categories.is_empty() {
        return Ok(Tally::default());
    }
    Ok(Tally {
        categories,
        teams: store::teams::list(db, event).await?,
        scores: store::scores::for_event(db, event).await?,
        certified: store::judging::certifications(db, event)
            .await?
            .into_iter()
            .map(|c| c.category_id)
            .collect(),
        state: store::judging::state(db, event).await?,
    })
}

/// Competition ranks ("1224") of rows already sorted best first.
fn ranks(keys: &[f64]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        let rank = match (i.checked_sub(1), out.last()) {
            (Some(prev), Some(&r)) if keys[prev] == *k => r,
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        out.push(rank);
    }
    out
}

/// Best first; equal totals by team name, then id, so the order is stable.
fn sort_best_first<T>(rows: &mut [T], key: impl Fn(&T) -> (f64, &str, TeamId)) {
    rows.sort_by(|a, b| {
        let (ka, na, ia) = key(a);
        let (kb, nb, ib) = key(b);
        kb.total_cmp(&ka).then_with(|| na.cmp(nb)).then_with(|| ia.cmp(&ib))
    });
}

/// The standings of every category and overall. Only teams with at least
/// one score appear.
pub fn standings(event: EventId, t: &Tally, version: u64) -> LeaderboardState {
    let names: HashMap<uuid::Uuid, &str> = t.teams.iter().map(|tm| (tm.id, tm.name.as_str())).collect();
    // team → (Σ category averages, judges, categories scored)
    let mut overall: HashMap<uuid::Uuid, (f64, HashSet<uuid::Uuid>, u32)> = HashMap::new();
    let mut categories = Vec::with_capacity(t.categories.len());
    for c in &t.categories {
        let mut per_team: HashMap<uuid::Uuid, (f64, u32)> = HashMap::new();
        for s in t
            .scores
            .iter()
            .filter(|s| s.category_id == c.id && names.contains_key(&s.team_id))
        {
            let e = per_team.entry(s.team_id).or_default();
            e.0 += s.total;
            e.1 += 1;
            overall.entry(s.team_id).or_default().1.insert(s.judge_id);
        }
        let mut rows: Vec<Standing> = per_team
            .into_iter()
            .map(|(team, (sum, n))| Standing {
                rank: 0,
                team_id: TeamId(team),
                team_name: names.get(&team).copied().unwrap_or_default().to_owned(),
                average_total: round6(sum / f64::from(n.max(1))),
                judge_count: n,
            })
            .collect();
        for r in &rows {
            let e = overall.entry(r.team_id.0).or_default();
            e.0 += r.average_total;
            e.2 += 1;
        }
        sort_best_first(&mut rows, |r| (r.average_total, r.team_name.as_str(), r.team_id));
        let keys: Vec<f64> = rows.iter().map(|r| r.average_total).collect();
        for (r, rank) in rows.iter_mut().zip(ranks(&keys)) {
            r.rank = rank;
        }
        categories.push(CategoryStandings {
            category_id: CategoryId(c.id),
            category: c.name.clone(),
            certified: t.certified.contains(&c.id),
            standings: rows,
        });
    }
    let mut overall: Vec<OverallStanding> = overall
        .into_iter()
        .filter(|(_, (_, _, n))| *n > 0)
        .map(|(team, (total, judges, n))| OverallStanding {
            rank: 0,
            team_id: TeamId(team),
            team_name: names.get(&team).copied().unwrap_or_default().to_owned(),
            total: round6(total),
            judge_count: u32::try_from(judges.len()).unwrap_or(u32::MAX),
            categories_scored: n,
        })
        .collect();
    sort_best_first(&mut overall, |r| (r.total, r.team_name.as_str(), r.team_id));
    let keys: Vec<f64> = overall.iter().map(|r| r.total).collect();
    for (r, rank) in overall.iter_mut().zip(ranks(&keys)) {
        r.rank = rank;
    }
    let status = JudgingStatus::new(event, t.state.as_ref());
    LeaderboardState {
        event_id: event,
        version,
        locked: status.locked,
        results_published: status.results_published,
        categories,
        overall,
        server_time: fmt_time(Utc::now()),
    }
}

/// A version that only grows within a process and keeps growing across
/// restarts (the wall clock in milliseconds).
fn clock_version() -> u64 {
    u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0)
}

/// The current standings, read from the database (REST).
pub async fn current(db: &DatabaseConnection, event: EventId) -> AppResult<LeaderboardState> {
    Ok(standings(event, &tally(db, event).await?, clock_version()))
}

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
    /// The event was found to have no categories (and none was added
    /// since): nothing to publish, no need to look again.
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

async fn certify(db: DatabaseConnection, event: EventId, msg: Certify) -> AppResult<Done<CertificationView>> {
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
    for member in store::judging::members_with_role(&db, event, MemberRole::Board).await? {
        push(
            &mut publish,
            Topic::User(member),
            "notification",
            &Notification {
                level: "success",
                message: format!("Category {} was certified", cat.name),
                event_id: event,
                category_id,
            },
        );
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
        let fut = certify(self.db.clone(), self.id, msg);
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
            Ok(Some(t)) if t.categories.is_empty() => act.known_empty = true,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn crit(name: &str, weight: f64, min: f64, max: f64) -> criterion::Model {
        criterion::Model {
            id: uuid::Uuid::new_v4(),
            category_id: uuid::Uuid::nil(),
            position: 0,
            name: name.into(),
            weight,
            min_value: min,
            max_value: max,
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_score_is_every_criterion_in_range_and_weighs_in() {
        let c = [crit("Innovation", 2.0, 0.0, 10.0), crit("Design", 0.5, 1.0, 5.0)];
        let (marks, total) = weigh(&c, &obj(json!({"Innovation": 8, "Design": 4.5}))).unwrap();
        assert_eq!(marks, json!({"Innovation": 8, "Design": 4.5}));
        assert!((total - 18.25).abs() < 1e-9);
        for bad in [
            json!({"Innovation": 8}),
            json!({"Innovation": 8, "Design": 4, "Extra": 1}),
            json!({"Innovation": 11, "Design": 4}),
            json!({"Innovation": -1, "Design": 4}),
            json!({"Innovation": 8, "Design": 0.5}),
            json!({"Innovation": "8", "Design": 4}),
            json!({"Innovation": null, "Design": 4}),
        ] {
            assert_eq!(weigh(&c, &obj(bad.clone())).unwrap_err().code(), "invalid", "{bad}");
        }
        assert_eq!(weigh(&[], &Map::new()).unwrap_err().code(), "invalid");
    }

    #[test]
    fn equal_totals_share_a_rank_and_the_next_rank_skips() {
        assert_eq!(ranks(&[9.0, 9.0, 7.0, 5.0, 5.0, 1.0]), vec![1, 1, 3, 4, 4, 6]);
        assert_eq!(ranks(&[]), Vec::<u32>::new());
    }

    #[test]
    fn standings_average_over_judges_and_sum_over_categories() {
        let event = EventId::new();
        let team = |name: &str| team::Model {
            id: uuid::Uuid::new_v4(),
            event_id: event.0,
            name: name.into(),
            created_at: Utc::now(),
        };
        let cat = |name: &str| category::Model {
            id: uuid::Uuid::new_v4(),
            event_id: event.0,
            name: name.into(),
            created_at: Utc::now(),
        };
        let (a, b, c) = (team("Alpha"), team("Bravo"), team("Charlie"));
        let (x, y) = (cat("Design"), cat("Pitch"));
        let (j1, j2) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let s = |cat: &category::Model, team: &team::Model, judge, total| score::Model {
            id: uuid::Uuid::new_v4(),
            event_id: event.0,
            category_id: cat.id,
            team_id: team.id,
            judge_id: judge,
            marks: json!({}),
            total,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let t = Tally {
            scores: vec![
                s(&x, &a, j1, 10.0),
                s(&x, &a, j2, 6.0),
                s(&x, &b, j1, 8.0),
                s(&x, &c, j2, 5.0),
                s(&y, &c, j1, 4.0),
            ],
            categories: vec![x.clone(), y.clone()],
            certified: [y.id].into_iter().collect(),
            teams: vec![a.clone(), b.clone(), c.clone()],
            state: None,
        };
        let board = standings(event, &t, 7);
        let design = &board.categories[0];
        let rows: Vec<(u32, &str, f64, u32)> = design
            .standings
            .iter()
            .map(|r| (r.rank, r.team_name.as_str(), r.average_total, r.judge_count))
            .collect();
        // Alpha (10+6)/2 = 8 ties Bravo 8: both first, Charlie third.
        assert_eq!(
            rows,
            vec![(1, "Alpha", 8.0, 2), (1, "Bravo", 8.0, 1), (3, "Charlie", 5.0, 1)]
        );
        assert!(!design.certified);
        assert!(board.categories[1].certified);
        let overall: Vec<(u32, &str, f64, u32, u32)> = board
            .overall
            .iter()
            .map(|r| {
                (
                    r.rank,
                    r.team_name.as_str(),
                    r.total,
                    r.judge_count,
                    r.categories_scored,
                )
            })
            .collect();
        assert_eq!(
            overall,
            vec![
                (1, "Charlie", 9.0, 2, 2),
                (2, "Alpha", 8.0, 2, 1),
                (2, "Bravo", 8.0, 1, 1)
            ]
        );
        assert_eq!(board.version, 7);
        assert!(!board.locked && !board.results_published);
    }
}
