//! Schema migrations, applied in order at start (`Migrator::up`). They do not
//! import the `entity` crate so that old migrations never change meaning.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_create_users;
mod m20261121_000002_create_events;
mod m20261121_000003_create_rounds;
mod m20261121_000004_create_countdowns;
mod m20261121_000005_create_announcements;
mod m20261122_000006_create_teams;
mod m20261122_000007_create_categories_and_purchases;
mod m20261122_000008_judging;
mod m20261122_000009_fixtures;
mod m20261122_000010_announcements_notifications;
mod m20261122_000011_ratings;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_users::Migration),
            Box::new(m20261121_000002_create_events::Migration),
            Box::new(m20261121_000003_create_rounds::Migration),
            Box::new(m20261121_000004_create_countdowns::Migration),
            Box::new(m20261121_000005_create_announcements::Migration),
            Box::new(m20261122_000006_create_teams::Migration),
            Box::new(m20261122_000007_create_categories_and_purchases::Migration),
            Box::new(m20261122_000008_judging::Migration),
            Box::new(m20261122_000009_fixtures::Migration),
            Box::new(m20261122_000010_announcements_notifications::Migration),
            Box::new(m20261122_000011_ratings::Migration),
        ]
    }
}
