//! emcee: a real-time server for live events.
//!
//! # Layout
//! - [`config`]: typed configuration from the environment.
//! - [`error`]: the one error type, mapped to HTTP here and to WebSocket
//!   close codes in [`protocol::codes`].
//! - [`model`]: ids, roles, statuses.
//! - [`auth`]: JWTs, passwords, the caller extractor.
//! - [`access`]: who may read or manage what.
//! - [`protocol`]: topics, the envelope, payloads, client frames, codes.
//! - [`clock`]: deadlines and warning marks (pure, tested on paused time).
//! - [`actors`]: registry, directory, event actor, round timer, countdown.
//! - [`bus`]: the seam every publish goes through.
//! - [`transport`]: WebSocket sessions and endpoints.
//! - [`api`]: REST handlers.
//! - [`store`]: sea-orm queries.
//! - [`demo`]: the `--demo` event.

pub mod access;
pub mod actors;
pub mod api;
pub mod auth;
pub mod bus;
pub mod clock;
pub mod config;
pub mod demo;
pub mod error;
pub mod model;
pub mod open_files;
pub mod protocol;
pub mod state;
pub mod store;
pub mod transport;

use actix::{Actor, Arbiter};
use actix_web::{dev::Server, middleware, web, App, HttpResponse, HttpServer};
use std::net::SocketAddr;

/// Pending connections the kernel may queue before `accept`.
const LISTEN_BACKLOG: u32 = 4096;

/// A built server: bound, migrated, actors running, not yet serving.
pub struct Application {
    server: Server,
    addr: SocketAddr,
    state: web::Data<state::AppState>,
    // Arbiters live as long as the application; dropping them would stop
    // the registry and the clocks.
    _arbiters: Vec<Arbiter>,
}

impl Application {
    pub async fn build(config: config::Config) -> anyhow::Result<Self> {
        let db = store::connect(&config.database_url).await?;

        // The registry gets a thread of its own: fan-out is the hot path.
        let registry_arbiter = Arbiter::new();
        let registry_config = actors::registry::RegistryConfig {
            history_len: config.history_len,
            history_ttl: config.history_ttl,
            admission: actors::registry::Admission {
                per_user: config.max_connections_per_user,
                per_ip: config.max_connections_per_ip,
                total: open_files::fit_connections(config.max_connections),
            },
        };
        let registry = actors::Registry::start_in_arbiter(&registry_arbiter.handle(), move |_| {
            actors::Registry::new(registry_config)
        });
        let bus = bus::Bus::new(bus::MemoryBroker::new(registry.clone()));

        let clock_arbiter = Arbiter::new();
        let (d_db, d_bus, d_reg) = (db.clone(), bus.clone(), registry.clone());
        let directory = actors::Directory::start_in_arbiter(&clock_arbiter.handle(), move |_| {
            actors::Directory::new(d_db, d_bus, d_reg)
        });

        let state = web::Data::new(state::AppState::new(config.clone(), db, bus, registry, directory));
        restore_live_events(&state).await?;

        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .wrap(middleware::NormalizePath::trim())
                .configure(transport::routes::configure)
                .configure(transport::sse::configure)
                .configure(transport::poll::configure)
                .configure(api::configure)
                .service(actix_files::Files::new("/static", static_dir()).index_file("index.html"))
                .route(
                    "/",
                    web::get().to(|| async {
                        HttpResponse::Found()
                            .insert_header(("Location", "/static/index.html"))
                            .finish()
                    }),
                )
        })
        // Signals are ours: sessions get a 1001 close before the workers stop.
        .disable_signals()
        .on_connect(transport::tcp::on_connect)
        .shutdown_timeout(5)
        // A room reconnecting at once (after a restart, a Wi-Fi blip) must
        // not overflow the accept queue: the kernel default of 128 turns
        // the overflow into 1 s SYN retries.
        .backlog(LISTEN_BACKLOG)
        .bind(config.bind)?;
        let addr = *server
            .addrs()
            .first()
            .ok_or_else(|| anyhow::anyhow!("no address bound"))?;
        if config.workers > 0 {
            server = server.workers(config.workers);
        }
        Ok(Self {
            server: server.run(),
            addr,
            state,
            _arbiters: vec![registry_arbiter, clock_arbiter],
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> web::Data<state::AppState> {
        self.state.clone()
    }

    /// Serves until SIGTERM or SIGINT, then closes every socket with 1001
    /// (going away) so clients reconnect elsewhere, and stops gracefully.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let registry = self.state.registry.clone();
        actix_web::rt::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            let _ = registry
                .send(actors::registry::CloseAll {
                    code: 1001,
                    reason: "server shutting down",
                })
                .await;
            handle.stop(true).await;
        });
        self.server.await
    }
}

/// Starts the event actor of every event whose clock was running when the
/// process last stopped; each actor restores its clocks from the database.
async fn restore_live_events(state: &state::AppState) -> anyhow::Result<()> {
    let mut events: Vec<model::EventId> = store::rounds::live(&state.db)
        .await?
        .into_iter()
        .map(|r| model::EventId(r.event_id))
        .collect();
    events.extend(
        store::countdowns::running(&state.db)
            .await?
            .into_iter()
            .map(|c| model::EventId(c.event_id)),
    );
    events.sort();
    events.dedup();
    for id in &events {
        state.directory.send(actors::directory::GetEvent { id: *id }).await?;
    }
    if !events.is_empty() {
        tracing::info!(count = events.len(), "restored live events");
    }
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            tracing::warn!("could not install signal handlers; falling back to ctrl-c");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// `static/` beside the working directory, or the one in the source tree.
fn static_dir() -> std::path::PathBuf {
    let local = std::path::PathBuf::from("static");
    if local.is_dir() {
        local
    } else {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static")
    }
}
