//! Persistence through sea-orm: connecting, migrating, and one module of
//! queries per table. Every query here is portable (SQLite and PostgreSQL).

pub mod announcements;
pub mod categories;
pub mod countdowns;
pub mod events;
pub mod fixtures;
pub mod judging;
pub mod notifications;
pub mod purchases;
pub mod ratings;
pub mod rounds;
pub mod scores;
pub mod teams;
pub mod users;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr};
use std::time::Duration;

/// Connects and applies pending migrations.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(8)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(opts).await?;
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        // Readers must not wait behind the single writer on the night.
        db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;")
            .await?;
    }
    Migrator::up(&db, None).await?;
    Ok(db)
}
