//! Raw clients for the fan-out scenario, so that the generator is not the
//! bottleneck: a WebSocket client that does its own HTTP upgrade and frame
//! parsing on a plain `TcpStream` (one `read` takes whatever the kernel has,
//! up to the buffer size — many frames per syscall), and an SSE client with
//! its own chunked-body decoder. Frames are timestamped once per read,
//! before any parsing.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::{client::generate_key, derive_accept_key};

/// Wall clock in microseconds since the Unix epoch.
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// First index of `needle` in `hay` (short needles, short haystacks).
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while from + needle.len() <= hay.len() {
        let i = from + hay[from..=hay.len() - needle.len()].iter().position(|&b| b == first)?;
        if hay[i + 1..i + needle.len()] == *rest {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

/// The unsigned integer right after `key` (e.g. `"seq":`), searching from `from`.
/// Returns the number and the index just past its last digit.
pub fn uint_after(hay: &[u8], key: &[u8], from: usize) -> Option<(u64, usize)> {
    let at = from + find(hay.get(from..)?, key)? + key.len();
    parse_uint(hay, at)
}

pub fn parse_uint(hay: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    let mut i = at;
    while let Some(&b) = hay.get(i) {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        i += 1;
    }
    (i > at).then_some((v, i))
}

/// Reads until the end of an HTTP response head. Returns the status and the
/// head text; bytes after the head stay in `buf`.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(u16, String)> {
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| anyhow!("bad status line: {:?}", head.lines().next()))?;
            return Ok((status, head));
        }
        if buf.len() > 64 * 1024 {
            bail!("response head over 64 KiB");
        }
        if buf.capacity() - buf.len() < 1024 {
            buf.reserve(4096);
        }
        if stream.read_buf(buf).await? == 0 {
            bail!(
                "connection closed during the HTTP response head ({} bytes: {:?})",
                buf.len(),
                String::from_utf8_lossy(&buf[..buf.len().min(200)])
            );
        }
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A client frame (always masked, RFC 6455 §5.3).
pub fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(0x80 | opcode);
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= u16::MAX as usize {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    let mask: [u8; 4] = rand::random();
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// How a connection ended, as the client saw it.
#[derive(Debug, Clone)]
pub enum End {
    /// A close frame: code (if any) and reason.
    Close(Option<u16>, String),
    /// TCP end of stream without a close frame.
    Eof,
    /// A read or protocol error.
    Error(String),
}

impl End {
    pub fn describe(&self) -> String {
        match self {
            End::Close(Some(c), r) => format!("close {c} {r:?}"),
            End::Close(None, _) => "close without code".into(),
            End::Eof => "TCP closed without a close frame".into(),
            End::Error(e) => e.clone(),
        }
    }
}

/// A WebSocket client connection with its read buffer.
pub struct WsConn {
    stream: TcpStream,
    buf: Vec<u8>,
    pos: usize,
    frag: Option<Vec<u8>>,
    /// Frames to send (pongs, close replies), written by `flush`.
    out: Vec<u8>,
    /// Read syscalls that returned data, and bytes read (after the handshake).
    pub reads: u64,
    pub bytes: u64,
}

impl WsConn {
    /// TCP connect + HTTP upgrade to `path` (e.g. `/ws?token=…`); checks
    /// `101` and `Sec-WebSocket-Accept`. `read_buf` is the read buffer size.
    pub async fn connect(addr: SocketAddr, path: &str, read_buf: usize) -> Result<WsConn> {
        let mut stream = TcpStream::connect(addr).await.context("TCP connect")?;
        stream.set_nodelay(true)?;
        let key = generate_key();
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(req.as_bytes()).await.context("sending upgrade")?;
        let mut buf = Vec::with_capacity(read_buf.max(4096));
        let (status, head) = read_head(&mut stream, &mut buf).await?;
        if status != 101 {
            bail!(
                "upgrade refused: HTTP {status}: {:?}",
                head.lines().next().unwrap_or("")
            );
        }
        let want = derive_accept_key(key.as_bytes());
        if header(&head, "sec-websocket-accept") != Some(want.as_str()) {
            bail!("bad Sec-WebSocket-Accept in {head:?}");
        }
        Ok(WsConn {
            stream,
            buf,
            pos: 0,
            frag: None,
            out: Vec::new(),
            reads: 0,
            bytes: 0,
        })
    }

    /// One read syscall (waits for readability); 0 = end of stream.
    /// Cancel-safe (`read_buf`).
    pub async fn read_more(&mut self) -> std::io::Result<usize> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        if self.buf.len() == self.buf.capacity() {
            // A frame larger than the buffer: grow.
            self.buf.reserve(self.buf.capacity().max(4096));
        }
        let n = self.stream.read_buf(&mut self.buf).await?;
        if n > 0 {
            self.reads += 1;
            self.bytes += n as u64;
        }
        Ok(n)
    }

    /// Handles every complete frame in the buffer: text (and binary) messages
    /// go to `on_text`; pings are answered (queued for `flush`). Returns the
    /// close frame if one arrived (frames after it are ignored).
    pub fn process(&mut self, mut on_text: impl FnMut(&[u8])) -> Result<Option<End>> {
        loop {
            let avail = &self.buf[self.pos..];
            if avail.len() < 2 {
                break;
            }
            let (b0, b1) = (avail[0], avail[1]);
            let fin = b0 & 0x80 != 0;
            let opcode = b0 & 0x0f;
            if b1 & 0x80 != 0 {
                bail!("server frame is masked");
            }
            let (len, hdr) = match b1 & 0x7f {
                126 => {
                    if avail.len() < 4 {
                        break;
                    }
                    (u16::from_be_bytes([avail[2], avail[3]]) as usize, 4)
                }
                127 => {
                    if avail.len() < 10 {
                        break;
                    }
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&avail[2..10]);
                    (u64::from_be_bytes(b) as usize, 10)
                }
                n => (n as usize, 2),
            };
            if avail.len() < hdr + len {
                if hdr + len > self.buf.capacity() {
                    self.buf.reserve(hdr + len);
                }
                break;
            }
            let payload = &avail[hdr..hdr + len];
            match opcode {
                0x1 | 0x2 if fin && self.frag.is_none() => on_text(payload),
                0x1 | 0x2 => {
                    if self.frag.is_some() {
                        bail!("new data frame inside a fragmented message");
                    }
                    self.frag = Some(payload.to_vec());
                }
                0x0 => {
                    let Some(f) = self.frag.as_mut() else {
                        bail!("continuation frame without a start");
                    };
                    f.extend_from_slice(payload);
                    if fin {
                        if let Some(f) = self.frag.take() {
                            on_text(&f);
                        }
                    }
                }
                0x8 => {
                    let code = (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                    let reason = String::from_utf8_lossy(payload.get(2..).unwrap_or(&[])).into_owned();
                    self.pos += hdr + len;
                    let reply = code.map(|c| c.to_be_bytes().to_vec()).unwrap_or_default();
                    self.out.extend(client_frame(0x8, &reply));
                    return Ok(Some(End::Close(code, reason)));
                }
                0x9 => {
                    let pong = client_frame(0xA, payload);
                    self.out.extend(pong);
                }
                0xA => {}
                op => bail!("unknown opcode {op:#x}"),
            }
            self.pos += hdr + len;
        }
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        Ok(None)
    }

    /// Writes queued pongs / close replies.
    pub async fn flush(&mut self) -> std::io::Result<()> {
        if !self.out.is_empty() {
            let out = std::mem::take(&mut self.out);
            self.stream.write_all(&out).await?;
        }
        Ok(())
    }

    pub async fn send_text(&mut self, text: &str) -> std::io::Result<()> {
        let f = client_frame(0x1, text.as_bytes());
        self.stream.write_all(&f).await
    }

    /// Best-effort polite close (1000), no wait for the reply.
    pub async fn close(mut self) {
        let _ = self.flush().await;
        let f = client_frame(0x8, &1000u16.to_be_bytes());
        let _ = tokio::time::timeout(std::time::Duration::from_millis(200), self.stream.write_all(&f)).await;
    }
}

/// An SSE client connection: HTTP response body, de-chunked, split into events.
pub struct SseConn {
    stream: TcpStream,
    raw: Vec<u8>,
    rpos: usize,
    chunked: bool,
    /// Bytes left in the current chunk; `None` = expecting a size line.
    chunk_left: Option<usize>,
    /// After a chunk's data: its CRLF is still to skip.
    chunk_crlf: bool,
    ended: bool,
    body: Vec<u8>,
    pub reads: u64,
    pub bytes: u64,
}

impl SseConn {
    /// `GET path` with a bearer token; expects 200 `text/event-stream`.
    pub async fn connect(addr: SocketAddr, path: &str, token: &str, read_buf: usize) -> Result<SseConn> {
        let mut stream = TcpStream::connect(addr).await.context("TCP connect")?;
        stream.set_nodelay(true)?;
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nAuthorization: Bearer {token}\r\n\r\n"
        );
        stream.write_all(req.as_bytes()).await.context("sending request")?;
        let mut raw = Vec::with_capacity(read_buf.max(4096));
        let (status, head) = read_head(&mut stream, &mut raw).await?;
        if status != 200 {
            bail!(
                "HTTP {status}: {:?}",
                String::from_utf8_lossy(&raw[..raw.len().min(300)])
            );
        }
        let chunked = header(&head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        Ok(SseConn {
            stream,
            raw,
            rpos: 0,
            chunked,
            chunk_left: None,
            chunk_crlf: false,
            ended: false,
            body: Vec::new(),
            reads: 0,
            bytes: 0,
        })
    }

    pub async fn read_more(&mut self) -> std::io::Result<usize> {
        if self.rpos > 0 {
            self.raw.drain(..self.rpos);
            self.rpos = 0;
        }
        if self.raw.len() == self.raw.capacity() {
            self.raw.reserve(self.raw.capacity().max(4096));
        }
        let n = self.stream.read_buf(&mut self.raw).await?;
        if n > 0 {
            self.reads += 1;
            self.bytes += n as u64;
        }
        Ok(n)
    }

    /// Whether the chunked body ended (zero-size chunk).
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// De-chunks what arrived and hands each event's `data:` to `on_data`.
    pub fn process(&mut self, mut on_data: impl FnMut(&[u8])) -> Result<()> {
        if self.chunked {
            loop {
                let avail = &self.raw[self.rpos..];
                if self.chunk_crlf {
                    if avail.len() < 2 {
                        break;
                    }
                    if &avail[..2] != b"\r\n" {
                        bail!("chunk not followed by CRLF");
                    }
                    self.rpos += 2;
                    self.chunk_crlf = false;
                    continue;
                }
                match self.chunk_left {
                    None => {
                        let Some(eol) = find(avail, b"\r\n") else {
                            break;
                        };
                        let line = std::str::from_utf8(&avail[..eol]).unwrap_or("");
                        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                            .map_err(|_| anyhow!("bad chunk size line {line:?}"))?;
                        self.rpos += eol + 2;
                        if size == 0 {
                            self.ended = true;
                            break;
                        }
                        self.chunk_left = Some(size);
                    }
                    Some(left) => {
                        if avail.is_empty() {
                            break;
                        }
                        let take = left.min(avail.len());
                        self.body.extend_from_slice(&avail[..take]);
                        self.rpos += take;
                        if take == left {
                            self.chunk_left = None;
                            self.chunk_crlf = true;
                        } else {
                            self.chunk_left = Some(left - take);
                        }
                    }
                }
            }
        } else {
            self.body.extend_from_slice(&self.raw[self.rpos..]);
            self.rpos = self.raw.len();
        }
        // Events are separated by a blank line.
        let mut bpos = 0;
        while let Some(end) = find(&self.body[bpos..], b"\n\n") {
            let block = &self.body[bpos..bpos + end];
            for line in block.split(|&b| b == b'\n') {
                if let Some(data) = line.strip_prefix(b"data: ").or_else(|| line.strip_prefix(b"data:")) {
                    on_data(data);
                }
            }
            bpos += end + 2;
        }
        self.body.drain(..bpos);
        Ok(())
    }
}
