//! Scoring and standings, computed from the database and nothing else:
//! weighing a judge's values against the criteria, ranking (ties share a
//! rank), and the per-category and overall tables.

use crate::clock::fmt_time;
use crate::error::{AppError, AppResult};
use crate::model::{CategoryId, EventId, TeamId};
use crate::store;
use chrono::Utc;
use entity::{category, criterion, fixture, judging_state, score, team};
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

use super::league::{self, LeaguePoints};
use super::payload::*;

// ---- scoring and standings (pure) ----------------------------------------

pub(super) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

pub(super) fn shorten(s: &str) -> String {
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
    /// The event's fixtures (docs/fixtures.md) and its points per outcome.
    pub fixtures: Vec<fixture::Model>,
    pub points: LeaguePoints,
}

impl Tally {
    /// Neither judged categories nor fixtures: no standings to publish.
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty() && self.fixtures.is_empty()
    }
}

/// Reads the tally of an event (nothing else when it has neither
/// categories nor fixtures; no judging reads when it has no categories).
pub async fn tally(db: &DatabaseConnection, event: EventId) -> AppResult<Tally> {
    let categories = store::judging::categories(db, event).await?;
    let fixtures = store::fixtures::for_event(db, event).await?;
    if categories.is_empty() && fixtures.is_empty() {
        return Ok(Tally::default());
    }
    let points = if fixtures.is_empty() {
        LeaguePoints::default()
    } else {
        LeaguePoints::stored(store::fixtures::settings(db, event).await?.as_ref())
    };
    let teams = store::teams::list(db, event).await?;
    if categories.is_empty() {
        return Ok(Tally {
            teams,
            fixtures,
            points,
            ..Tally::default()
        });
    }
    Ok(Tally {
        categories,
        teams,
        scores: store::scores::for_event(db, event).await?,
        certified: store::judging::certifications(db, event)
            .await?
            .into_iter()
            .map(|c| c.category_id)
            .collect(),
        state: store::judging::state(db, event).await?,
        fixtures,
        points,
    })
}

/// Competition ranks ("1224") of rows already sorted best first.
pub(super) fn ranks(keys: &[f64]) -> Vec<u32> {
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
pub(super) fn sort_best_first<T>(rows: &mut [T], key: impl Fn(&T) -> (f64, &str, TeamId)) {
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
        standings: league::table(&t.teams, &t.fixtures, &t.points),
        server_time: fmt_time(Utc::now()),
    }
}

/// A version that only grows within a process and keeps growing across
/// restarts (the wall clock in milliseconds).
pub(super) fn clock_version() -> u64 {
    u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0)
}

/// The current standings, read from the database (REST).
pub async fn current(db: &DatabaseConnection, event: EventId) -> AppResult<LeaderboardState> {
    Ok(standings(event, &tally(db, event).await?, clock_version()))
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
            ..Tally::default()
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
        assert!(board.standings.is_empty(), "no fixtures, no league table");
    }
}
