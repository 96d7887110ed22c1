//! Opening many WebSocket clients with bounded concurrency, and reading
//! frames with a receipt timestamp taken before any parsing.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One attempt: client index, time taken, outcome.
type Attempt = (usize, Duration, Result<(Ws, Value)>);

/// A connected client and the first frame it got (already parsed).
pub struct Connected {
    pub index: usize,
    pub ws: Ws,
    pub first: Value,
    /// From the start of its TCP connect to its first frame.
    pub latency: Duration,
}

/// Connects to `url` and waits for the first text frame, which must have
/// `"type": expect_first`. A refusal (`error` frame + close 4xxx) becomes an error.
pub async fn connect_one(url: &str, expect_first: &str, timeout: Duration) -> Result<(Ws, Value)> {
    let fut = async {
        let (mut ws, _resp) = tokio_tungstenite::connect_async(url).await?;
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let v: Value =
                        serde_json::from_str(&t).map_err(|e| anyhow!("first frame is not JSON ({e}): {t}"))?;
                    let ty = v.get("type").and_then(Value::as_str).unwrap_or("");
                    if ty != expect_first {
                        bail!("first frame is {ty:?}, expected {expect_first:?}: {t}");
                    }
                    return Ok((ws, v));
                }
                Some(Ok(Message::Close(frame))) => {
                    bail!(
                        "closed before {expect_first}: {}",
                        close_desc(frame.as_ref().map(|f| (f.code, f.reason.to_string())))
                    )
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => bail!("reading first frame: {e}"),
                None => bail!("stream ended before {expect_first}"),
            }
        }
    };
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| anyhow!("no {expect_first} within {timeout:?}"))?
}

/// Opens `n` clients (all to `url`), at most `concurrency` handshakes at a time.
/// Returns the clients that made it, the failures (index, error) and the total
/// time from the first attempt to the last first-frame.
pub async fn connect_many(
    url: &str,
    n: usize,
    concurrency: usize,
    expect_first: &str,
    timeout: Duration,
) -> (Vec<Connected>, Vec<(usize, String)>, Duration) {
    let started = Instant::now();
    let results: Vec<Attempt> = futures_util::stream::iter(0..n)
        .map(|i| async move {
            let t = Instant::now();
            let r = connect_one(url, expect_first, timeout).await;
            (i, t.elapsed(), r)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut ok = Vec::with_capacity(n);
    let mut failed = Vec::new();
    for (index, latency, r) in results {
        match r {
            Ok((ws, first)) => ok.push(Connected {
                index,
                ws,
                first,
                latency,
            }),
            Err(e) => failed.push((index, format!("{e:#}"))),
        }
    }
    ok.sort_by_key(|c| c.index);
    failed.sort_by_key(|f| f.0);
    (ok, failed, elapsed)
}

/// One received text frame: wall-clock receipt time (taken before parsing) and raw text.
pub struct Frame {
    pub at: DateTime<Utc>,
    pub text: String,
}

/// What a reader saw after its first frame.
#[derive(Default)]
pub struct ReadLog {
    pub frames: Vec<Frame>,
    /// Close code and reason if the server closed the connection.
    pub closed_by_server: Option<String>,
    pub error: Option<String>,
}

/// Reads frames until `stop` flips to true or the connection ends. `is_last`
/// is checked on each raw text; when it first returns true, `on_last` is run
/// once (frames keep being recorded until `stop`). Then closes politely (1 s max).
pub async fn read_until<F, G>(
    mut ws: Ws,
    mut stop: tokio::sync::watch::Receiver<bool>,
    is_last: F,
    mut on_last: G,
) -> ReadLog
where
    F: Fn(&str) -> bool,
    G: FnMut(),
{
    let mut log = ReadLog {
        frames: Vec::with_capacity(64),
        ..Default::default()
    };
    let mut last_seen = false;
    loop {
        tokio::select! {
            biased;
            msg = ws.next() => {
                let at = Utc::now();
                match msg {
                    Some(Ok(Message::Text(text))) => {
                        if !last_seen && is_last(&text) {
                            last_seen = true;
                            on_last();
                        }
                        log.frames.push(Frame { at, text });
                    }
                    Some(Ok(Message::Close(frame))) => {
                        log.closed_by_server = Some(close_desc(frame.as_ref().map(|f| (f.code, f.reason.to_string()))));
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => { log.error = Some(e.to_string()); break; }
                    None => { log.error = Some("stream ended without close frame".into()); break; }
                }
            }
            _ = stop.changed() => {
                let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
                return log;
            }
        }
    }
    if !last_seen {
        on_last();
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
    log
}

fn close_desc(frame: Option<(CloseCode, String)>) -> String {
    match frame {
        Some((code, reason)) => format!("close {} {reason:?}", u16::from(code)),
        None => "close without code".into(),
    }
}
