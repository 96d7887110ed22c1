//! What every handler and session shares: configuration, the database,
//! keys, and the addresses of the long-lived actors. No live state here.

use crate::actors::{Directory, Registry};
use crate::auth::JwtKeys;
use crate::bus::Bus;
use crate::config::Config;
use actix::Addr;
use sea_orm::DatabaseConnection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

pub struct AppState {
    pub config: Config,
    pub db: DatabaseConnection,
    pub keys: JwtKeys,
    pub bus: Bus,
    pub registry: Addr<Registry>,
    pub directory: Addr<Directory>,
    pub started_at: Instant,
    next_session: AtomicU64,
}

impl AppState {
    pub fn new(
        config: Config,
        db: DatabaseConnection,
        bus: Bus,
        registry: Addr<Registry>,
        directory: Addr<Directory>,
    ) -> Self {
        Self {
            keys: JwtKeys::new(&config.jwt_secret),
            config,
            db,
            bus,
            registry,
            directory,
            started_at: Instant::now(),
            next_session: AtomicU64::new(1),
        }
    }

    pub fn session_id(&self) -> u64 {
        self.next_session.fetch_add(1, Ordering::Relaxed)
    }
}
