//! The few REST calls the benchmarks need (see docs/api.md).

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use reqwest::Method;
use serde_json::{json, Value};

pub struct Api {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT`, no trailing slash
    pub base: String,
}

impl Api {
    pub fn new(base: &str) -> Result<Api> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .context("building HTTP client")?;
        Ok(Api {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// `ws://127.0.0.1:PORT` for the same server.
    pub fn ws_base(&self) -> String {
        self.base.replacen("http://", "ws://", 1)
    }

    async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Result<(u16, Value)> {
        let mut req = self.http.request(method.clone(), format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.with_context(|| format!("{method} {path}"))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .with_context(|| format!("{method} {path}: reading body"))?;
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, value))
    }

    /// Call and insist on `want` status.
    async fn expect(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        want: u16,
    ) -> Result<Value> {
        let (status, value) = self.call(method.clone(), path, token, body).await?;
        if status != want {
            bail!("{method} {path}: expected {want}, got {status}: {value}");
        }
        Ok(value)
    }

    /// `POST /api/publish` with a ready-made JSON body → (status, body text).
    pub async fn publish(&self, token: &str, body: String) -> Result<(u16, String)> {
        let resp = self
            .http
            .post(format!("{}/api/publish", self.base))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .context("POST /api/publish")?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        Ok((status, text))
    }

    pub async fn health(&self) -> Result<Value> {
        self.expect(Method::GET, "/api/health", None, None, 200).await
    }

    /// Polls `/api/health` until it answers 200 (or `within` passes).
    pub async fn wait_healthy(&self, within: Duration) -> Result<()> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match self.health().await {
                Ok(_) => return Ok(()),
                Err(e) if tokio::time::Instant::now() >= deadline => return Err(e.context("server not healthy")),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// `POST /api/events` → event id.
    pub async fn create_event(&self, token: &str, name: &str, visibility: &str) -> Result<String> {
        let ev = self
            .expect(
                Method::POST,
                "/api/events",
                Some(token),
                Some(json!({"name": name, "visibility": visibility})),
                201,
            )
            .await?;
        id_of(&ev).context("event reply has no id")
    }

    /// `POST /api/events/{id}/rounds` → round id.
    pub async fn create_round(&self, token: &str, event_id: &str, duration_secs: u64) -> Result<String> {
        let round = self
            .expect(
                Method::POST,
                &format!("/api/events/{event_id}/rounds"),
                Some(token),
                Some(json!({"duration_secs": duration_secs})),
                201,
            )
            .await?;
        id_of(&round).context("round reply has no id")
    }

    /// `POST /api/rounds/{id}/start` → timer state.
    pub async fn start_round(&self, token: &str, round_id: &str) -> Result<Value> {
        self.expect(
            Method::POST,
            &format!("/api/rounds/{round_id}/start"),
            Some(token),
            None,
            200,
        )
        .await
    }
}

/// `value.id` as a string (UUIDs; numbers tolerated).
pub fn id_of(v: &Value) -> Result<String> {
    match v.get("id") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        other => Err(anyhow!("`id` missing or not a string: {other:?} in {v}")),
    }
}
