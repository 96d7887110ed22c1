//! Typed configuration, read once from the environment (and CLI flags) and
//! passed in; nothing reads the environment after start.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// The secret used when none is configured. Fine on a laptop; the server
/// refuses it when `EMCEE_ENV=production`.
pub const DEV_JWT_SECRET: &str = "emcee-development-secret-do-not-use-in-production";

#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: String,
    pub jwt_secret: Secret,
    pub production: bool,
    /// Lifetime of tokens issued by `/api/auth/login`.
    pub token_ttl: Duration,
    /// WebSocket ping interval; at most half of `client_timeout` so one lost
    /// ping never drops a healthy peer.
    pub heartbeat_interval: Duration,
    pub client_timeout: Duration,
    /// Largest client message accepted on a socket, in bytes.
    pub ws_max_message: usize,
    /// Worker threads for HTTP and sockets (0 = one per core).
    pub workers: usize,
    /// Client messages per connection per minute (seed 003: 60).
    pub ws_messages_per_minute: u32,
    pub ws_max_subscriptions: usize,
    /// Bytes a connection may have queued and unread before it is dropped
    /// as a slow consumer.
    pub ws_max_outbound: u64,
    pub max_connections_per_user: usize,
    pub max_connections_per_ip: usize,
    pub max_connections: usize,
    /// Messages kept per topic for replay, and for how long.
    pub history_len: usize,
    pub history_ttl: Duration,
    /// How long before a token expires a socket is told so.
    pub token_warning: Duration,
    /// Browser origins allowed on sockets and streams besides the server's own.
    pub allowed_origins: Vec<String>,
    /// Enables the diagnostic `/ws/echo` endpoint.
    pub ws_echo: bool,
    /// Lets backend systems publish with `X-Api-Key`.
    pub publish_api_key: Option<Secret>,
    /// How long a long poll waits for something new.
    pub poll_timeout: Duration,
    /// SSE keep-alive comment interval.
    pub sse_keepalive: Duration,
}

/// A secret that never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("EMCEE_ENV=production but EMCEE_JWT_SECRET is unset or the built-in development secret")]
    DevSecretInProduction,
    #[error("EMCEE_JWT_SECRET must be at least 32 bytes")]
    SecretTooShort,
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl Config {
    /// Reads the environment. `bind` from the CLI wins over `EMCEE_BIND`.
    pub fn from_env(bind: Option<SocketAddr>) -> Result<Self, ConfigError> {
        let production = env("EMCEE_ENV").as_deref() == Some("production");
        let secret = env("EMCEE_JWT_SECRET").unwrap_or_else(|| DEV_JWT_SECRET.to_owned());
        if production && secret == DEV_JWT_SECRET {
            return Err(ConfigError::DevSecretInProduction);
        }
        if secret.len() < 32 {
            return Err(ConfigError::SecretTooShort);
        }
        let bind = match bind {
            Some(b) => b,
            None => parse_env("EMCEE_BIND", "0.0.0.0:8000".parse().ok())?,
        };
        let heartbeat_secs: u64 = parse_env_or("EMCEE_HEARTBEAT_SECS", 10)?;
        let timeout_secs: u64 = parse_env_or("EMCEE_CLIENT_TIMEOUT_SECS", 30)?;
        if heartbeat_secs == 0 || heartbeat_secs * 2 > timeout_secs {
            return Err(ConfigError::Invalid {
                name: "EMCEE_HEARTBEAT_SECS",
                reason: "must be at least 1 and at most half of EMCEE_CLIENT_TIMEOUT_SECS".into(),
            });
        }
        Ok(Self {
            bind,
            database_url: env("DATABASE_URL").unwrap_or_else(|| "sqlite://emcee.db?mode=rwc".to_owned()),
            jwt_secret: Secret::new(secret),
            production,
            token_ttl: Duration::from_secs(parse_env_or("EMCEE_TOKEN_TTL_SECS", 12 * 3600)?),
            heartbeat_interval: Duration::from_secs(heartbeat_secs),
            client_timeout: Duration::from_secs(timeout_secs),
            ws_max_message: parse_env_or("EMCEE_WS_MAX_MESSAGE", 64 * 1024)?,
            workers: parse_env_or("EMCEE_WORKERS", 0)?,
            ws_messages_per_minute: parse_env_or("EMCEE_WS_MESSAGES_PER_MINUTE", 60)?,
            ws_max_subscriptions: parse_env_or("EMCEE_WS_MAX_SUBSCRIPTIONS", 100)?,
            ws_max_outbound: parse_env_or("EMCEE_WS_MAX_OUTBOUND", 1 << 20)?,
            max_connections_per_user: parse_env_or("EMCEE_MAX_CONNECTIONS_PER_USER", 50)?,
            max_connections_per_ip: parse_env_or("EMCEE_MAX_CONNECTIONS_PER_IP", 20_000)?,
            max_connections: parse_env_or("EMCEE_MAX_CONNECTIONS", 100_000)?,
            history_len: parse_env_or("EMCEE_HISTORY_LEN", 1000)?,
            history_ttl: Duration::from_secs(parse_env_or("EMCEE_HISTORY_TTL_SECS", 600)?),
            token_warning: Duration::from_secs(parse_env_or("EMCEE_TOKEN_WARNING_SECS", 60)?),
            allowed_origins: env("EMCEE_ALLOWED_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            ws_echo: env("EMCEE_WS_ECHO").as_deref() == Some("1"),
            publish_api_key: env("EMCEE_PUBLISH_API_KEY").map(Secret::new),
            poll_timeout: Duration::from_secs(parse_env_or("EMCEE_POLL_TIMEOUT_SECS", 25)?),
            sse_keepalive: Duration::from_secs(parse_env_or("EMCEE_SSE_KEEPALIVE_SECS", 15)?),
        })
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn parse_env<T: std::str::FromStr>(name: &'static str, default: Option<T>) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match env(name) {
        Some(v) => v.parse().map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        }),
        None => default.ok_or(ConfigError::Invalid {
            name,
            reason: "missing".into(),
        }),
    }
}

fn parse_env_or<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    parse_env(name, Some(default))
}
