//! The league table of an event's fixtures: played, won, drawn, lost, for,
//! against, difference and points per team, from completed fixtures only.
//! Order: points, then goal difference, then goals for (all descending),
//! then team name; teams equal on points, difference and for share a rank.

use crate::error::{AppError, AppResult};
use crate::model::{FixtureStatus, TeamId};
use entity::{fixture, league_settings, team};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Points per outcome (defaults 3/1/0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaguePoints {
    pub points_win: i32,
    pub points_draw: i32,
    pub points_loss: i32,
}

impl Default for LeaguePoints {
    fn default() -> Self {
        Self {
            points_win: 3,
            points_draw: 1,
            points_loss: 0,
        }
    }
}

/// The largest number of points an outcome may be worth.
pub const MAX_POINTS: i32 = 100;

impl LeaguePoints {
    pub fn stored(s: Option<&league_settings::Model>) -> Self {
        s.map_or_else(Self::default, |s| Self {
            points_win: s.points_win,
            points_draw: s.points_draw,
            points_loss: s.points_loss,
        })
    }

    /// Each from 0 to `MAX_POINTS`, and a win worth at least a draw, a draw
    /// at least a loss (otherwise the table would reward losing).
    pub fn check(self) -> AppResult<Self> {
        for (name, v) in [
            ("points_win", self.points_win),
            ("points_draw", self.points_draw),
            ("points_loss", self.points_loss),
        ] {
            if !(0..=MAX_POINTS).contains(&v) {
                return Err(AppError::Invalid(format!(
                    "{name} must be a whole number from 0 to {MAX_POINTS}"
                )));
            }
        }
        if self.points_win < self.points_draw || self.points_draw < self.points_loss {
            return Err(AppError::Invalid(
                "points must not fall from loss to draw to win: points_win ≥ points_draw ≥ points_loss".into(),
            ));
        }
        Ok(self)
    }
}

/// One team's line in the league table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeagueRow {
    /// 1-based; equal points, difference and goals for share a rank (1, 1, 3).
    pub rank: u32,
    pub team_id: TeamId,
    pub team_name: String,
    pub played: u32,
    pub won: u32,
    pub drawn: u32,
    pub lost: u32,
    #[serde(rename = "for")]
    pub goals_for: i64,
    pub against: i64,
    pub difference: i64,
    pub points: i64,
}

impl LeagueRow {
    fn new(team: &team::Model) -> Self {
        Self {
            rank: 0,
            team_id: TeamId(team.id),
            team_name: team.name.clone(),
            played: 0,
            won: 0,
            drawn: 0,
            lost: 0,
            goals_for: 0,
            against: 0,
            difference: 0,
            points: 0,
        }
    }

    fn add(&mut self, scored: i32, conceded: i32, pts: &LeaguePoints) {
        self.played += 1;
        self.goals_for += i64::from(scored);
        self.against += i64::from(conceded);
        self.difference = self.goals_for - self.against;
        let (won, drawn, lost, p) = match scored.cmp(&conceded) {
            std::cmp::Ordering::Greater => (1, 0, 0, pts.points_win),
            std::cmp::Ordering::Equal => (0, 1, 0, pts.points_draw),
            std::cmp::Ordering::Less => (0, 0, 1, pts.points_loss),
        };
        self.won += won;
        self.drawn += drawn;
        self.lost += lost;
        self.points += i64::from(p);
    }

    fn key(&self) -> (i64, i64, i64) {
        (self.points, self.difference, self.goals_for)
    }
}

/// The table of every team that has at least one fixture (of any status),
/// counting completed fixtures only. No fixtures, no rows: an event that
/// only judges shows an empty table.
pub fn table(teams: &[team::Model], fixtures: &[fixture::Model], pts: &LeaguePoints) -> Vec<LeagueRow> {
    let by_id: HashMap<uuid::Uuid, &team::Model> = teams.iter().map(|t| (t.id, t)).collect();
    let mut rows: HashMap<uuid::Uuid, LeagueRow> = HashMap::new();
    for f in fixtures {
        for id in [f.home_team_id, f.away_team_id] {
            if let Some(t) = by_id.get(&id) {
                rows.entry(id).or_insert_with(|| LeagueRow::new(t));
            }
        }
        let completed = FixtureStatus::parse_stored(&f.status) == FixtureStatus::Completed;
        let (Some(home), Some(away)) = (f.home_score, f.away_score) else {
            continue;
        };
        if !completed {
            continue;
        }
        if let Some(r) = rows.get_mut(&f.home_team_id) {
            r.add(home, away, pts);
        }
        if let Some(r) = rows.get_mut(&f.away_team_id) {
            r.add(away, home, pts);
        }
    }
    let mut rows: Vec<LeagueRow> = rows.into_values().collect();
    rows.sort_by(|a, b| {
        b.key()
            .cmp(&a.key())
            .then_with(|| a.team_name.cmp(&b.team_name))
            .then_with(|| a.team_id.cmp(&b.team_id))
    });
    let mut prev: Option<((i64, i64, i64), u32)> = None;
    for (i, r) in rows.iter_mut().enumerate() {
        let place = u32::try_from(i + 1).unwrap_or(u32::MAX);
        r.rank = match prev {
            Some((k, rank)) if k == r.key() => rank,
            _ => place,
        };
        prev = Some((r.key(), r.rank));
    }
    rows
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::Utc;

    fn team(name: &str) -> team::Model {
        team::Model {
            id: uuid::Uuid::new_v4(),
            event_id: uuid::Uuid::nil(),
            name: name.into(),
            created_at: Utc::now(),
        }
    }

    fn game(
        home: &team::Model,
        away: &team::Model,
        status: FixtureStatus,
        score: Option<(i32, i32)>,
    ) -> fixture::Model {
        fixture::Model {
            id: uuid::Uuid::new_v4(),
            event_id: uuid::Uuid::nil(),
            home_team_id: home.id,
            away_team_id: away.id,
            starts_at: Utc::now(),
            venue: None,
            status: status.as_str().into(),
            home_score: score.map(|s| s.0),
            away_score: score.map(|s| s.1),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn line(r: &LeagueRow) -> (u32, &str, u32, u32, u32, u32, i64, i64, i64, i64) {
        (
            r.rank,
            r.team_name.as_str(),
            r.played,
            r.won,
            r.drawn,
            r.lost,
            r.goals_for,
            r.against,
            r.difference,
            r.points,
        )
    }

    #[test]
    fn completed_fixtures_count_and_ties_share_a_rank() {
        use FixtureStatus::*;
        let (a, b, c, d, e) = (
            team("Alpha"),
            team("Bravo"),
            team("Charlie"),
            team("Delta"),
            team("Echo"),
        );
        let fixtures = vec![
            game(&a, &b, Completed, Some((2, 1))),
            game(&c, &a, Completed, Some((0, 0))),
            game(&b, &c, Completed, Some((3, 1))),
            // Not completed: the teams appear, nothing counts.
            game(&d, &a, Live, Some((5, 0))),
            game(&d, &b, Cancelled, None),
            game(&b, &a, Scheduled, None),
        ];
        let rows = table(
            &[a.clone(), b.clone(), c.clone(), d.clone(), e],
            &fixtures,
            &LeaguePoints::default(),
        );
        let lines: Vec<_> = rows.iter().map(line).collect();
        assert_eq!(
            lines,
            vec![
                (1, "Alpha", 2, 1, 1, 0, 2, 1, 1, 4),
                (2, "Bravo", 2, 1, 0, 1, 4, 3, 1, 3),
                (3, "Charlie", 2, 0, 1, 1, 1, 3, -2, 1),
                (4, "Delta", 0, 0, 0, 0, 0, 0, 0, 0),
            ],
            "Echo has no fixture and is not listed"
        );

        // 2 for a win or a draw: Bravo and Charlie tie on points, Bravo's
        // better difference puts it ahead.
        let pts = LeaguePoints {
            points_win: 2,
            points_draw: 2,
            points_loss: 0,
        };
        let rows = table(&[a, b, c], &fixtures[..3], &pts);
        let lines: Vec<_> = rows.iter().map(|r| (r.rank, r.team_name.as_str(), r.points)).collect();
        assert_eq!(lines, vec![(1, "Alpha", 4), (2, "Bravo", 2), (3, "Charlie", 2)]);
    }

    #[test]
    fn equal_points_difference_and_for_share_a_rank_ordered_by_name() {
        let (a, b, c) = (team("Zulu"), team("Yankee"), team("Xray"));
        let fixtures = vec![
            game(&a, &c, FixtureStatus::Completed, Some((1, 0))),
            game(&b, &c, FixtureStatus::Completed, Some((1, 0))),
        ];
        let rows = table(&[a, b, c], &fixtures, &LeaguePoints::default());
        let lines: Vec<_> = rows.iter().map(|r| (r.rank, r.team_name.as_str(), r.points)).collect();
        assert_eq!(lines, vec![(1, "Yankee", 3), (1, "Zulu", 3), (3, "Xray", 0)]);
    }

    #[test]
    fn points_must_be_in_range_and_never_reward_losing() {
        assert!(LeaguePoints::default().check().is_ok());
        for (w, d, l) in [(-1, 0, 0), (101, 1, 0), (1, 2, 0), (3, 0, 1), (3, 1, -1)] {
            let p = LeaguePoints {
                points_win: w,
                points_draw: d,
                points_loss: l,
            };
            assert_eq!(p.check().unwrap_err().code(), "invalid", "{p:?}");
        }
    }
}
