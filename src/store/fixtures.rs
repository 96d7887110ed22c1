//! Fixtures and league settings. Every change to them is made by the
//! event's `Leaderboard` actor (the single writer of its standings).

use crate::model::{EventId, FixtureId, FixtureStatus, TeamId};
use chrono::{DateTime, Utc};
use entity::{fixture, league_settings};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, ModelTrait,
    QueryFilter, QueryOrder, Set,
};

pub struct NewFixture {
    pub event: EventId,
    pub home: TeamId,
    pub away: TeamId,
    pub starts_at: DateTime<Utc>,
    pub venue: Option<String>,
    pub at: DateTime<Utc>,
}

pub async fn insert(db: &DatabaseConnection, f: NewFixture) -> Result<fixture::Model, DbErr> {
    fixture::ActiveModel {
        id: Set(FixtureId::new().0),
        event_id: Set(f.event.0),
        home_team_id: Set(f.home.0),
        away_team_id: Set(f.away.0),
        starts_at: Set(f.starts_at),
        venue: Set(f.venue),
        status: Set(FixtureStatus::Scheduled.as_str().to_owned()),
        home_score: Set(None),
        away_score: Set(None),
        created_at: Set(f.at),
        updated_at: Set(f.at),
    }
    .insert(db)
    .await
}

pub async fn get(db: &DatabaseConnection, id: FixtureId) -> Result<Option<fixture::Model>, DbErr> {
    fixture::Entity::find_by_id(id.0).one(db).await
}

/// Which fixtures of an event to list; every part optional.
#[derive(Debug, Default)]
pub struct Filter {
    pub status: Option<FixtureStatus>,
    pub team: Option<TeamId>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The event's fixtures by start time (then id, so the order is stable).
pub async fn list(db: &DatabaseConnection, event: EventId, f: &Filter) -> Result<Vec<fixture::Model>, DbErr> {
    let mut q = fixture::Entity::find().filter(fixture::Column::EventId.eq(event.0));
    if let Some(s) = f.status {
        q = q.filter(fixture::Column::Status.eq(s.as_str()));
    }
    if let Some(t) = f.team {
        q = q.filter(
            Condition::any()
                .add(fixture::Column::HomeTeamId.eq(t.0))
                .add(fixture::Column::AwayTeamId.eq(t.0)),
        );
    }
    if let Some(from) = f.from {
        q = q.filter(fixture::Column::StartsAt.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(fixture::Column::StartsAt.lt(to));
    }
    q.order_by_asc(fixture::Column::StartsAt)
        .order_by_asc(fixture::Column::Id)
        .all(db)
        .await
}

pub async fn for_event(db: &DatabaseConnection, event: EventId) -> Result<Vec<fixture::Model>, DbErr> {
    list(db, event, &Filter::default()).await
}

/// What a command changes; `None` leaves a column as it is.
#[derive(Debug, Default)]
pub struct Change {
    pub starts_at: Option<DateTime<Utc>>,
    pub venue: Option<String>,
    pub status: Option<FixtureStatus>,
    pub score: Option<(i32, i32)>,
}

pub async fn update(
    db: &DatabaseConnection,
    f: fixture::Model,
    c: Change,
    at: DateTime<Utc>,
) -> Result<fixture::Model, DbErr> {
    let mut am = f.into_active_model();
    if let Some(t) = c.starts_at {
        am.starts_at = Set(t);
    }
    if let Some(v) = c.venue {
        am.venue = Set(Some(v));
    }
    if let Some(s) = c.status {
        am.status = Set(s.as_str().to_owned());
    }
    if let Some((home, away)) = c.score {
        am.home_score = Set(Some(home));
        am.away_score = Set(Some(away));
    }
    am.updated_at = Set(at);
    am.update(db).await
}

pub async fn delete(db: &DatabaseConnection, f: fixture::Model) -> Result<(), DbErr> {
    f.delete(db).await.map(drop)
}

pub async fn settings(db: &DatabaseConnection, event: EventId) -> Result<Option<league_settings::Model>, DbErr> {
    league_settings::Entity::find_by_id(event.0).one(db).await
}

pub async fn put_settings(
    db: &DatabaseConnection,
    event: EventId,
    (win, draw, loss): (i32, i32, i32),
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    league_settings::Entity::insert(league_settings::ActiveModel {
        event_id: Set(event.0),
        points_win: Set(win),
        points_draw: Set(draw),
        points_loss: Set(loss),
        updated_at: Set(at),
    })
    .on_conflict(
        OnConflict::column(league_settings::Column::EventId)
            .update_columns([
                league_settings::Column::PointsWin,
                league_settings::Column::PointsDraw,
                league_settings::Column::PointsLoss,
                league_settings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}
