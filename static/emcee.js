// emcee.js — a small browser client for the emcee WebSocket protocol
// (docs/protocol.md). Plain ES module, no dependencies, no build step:
//
//   import { connect, serverNow, Clock } from '/static/emcee.js';
//   const conn = connect('wss://host/ws/event/ID?token=JWT', {
//     onMessage: (msg) => console.log(msg.type, msg.data),
//     onStatus:  (st)  => console.log(st.state, st),
//   });
//   const clock = new Clock(document.querySelector('#clock'));
//   clock.set(timerState);            // anything with ends_at (+ total_duration)
//
// What it does for you:
// * reconnects with exponential backoff and jitter (0.5 s doubling to a 30 s
//   cap); stops for good on close codes 4001/4003/4004 and reports them;
//   opens a fresh connection on 4005 (token expired while connected) — pass
//   `url` as a function (may be async) to hand out a fresh token each time;
// * resumes after a reconnect: remembers each topic's stream position
//   (`epoch`/`seq`) and, when the new connection's `subscribed` shows that
//   messages were published meanwhile, re-subscribes with `since` so the
//   server replays exactly those; duplicates are dropped, and replayed
//   messages are marked `msg.replayed = true`;
// * answers `token_expiring` with a `refresh` when given `refreshToken`;
// * estimates the server clock offset NTP-style with `time` requests
//   (offset = server_time - (t_send + t_recv) / 2, lowest round trip wins),
//   so `serverNow()` is the server's clock in ms since the epoch;
// * notices a silently dead link (nothing heard for 45 s, then a `time`
//   probe unanswered for 10 s) and reconnects;
// * `Clock` draws remaining time from the deadline (`ends_at - serverNow()`)
//   with requestAnimationFrame — never by counting down.

/** Close codes after which retrying cannot help (protocol.md, "Refusals"). */
export const FATAL_CLOSE_CODES = Object.freeze({
  4001: 'unauthorized',
  4003: 'forbidden',
  4004: 'not_found',
});
/** The token expired while connected: reconnect with a fresh one. */
export const CLOSE_TOKEN_EXPIRED = 4005;
/** Close codes that ask us to wait longer before the next attempt:
 *  4013 too many connections, 4029 rate limited. Value: backoff step to start at. */
const SLOW_DOWN_CLOSE_CODES = Object.freeze({ 4013: 3, 4029: 4 });

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
const TIME_SAMPLES = 5;        // `time` requests sent one after another on each connect
const RESYNC_MS = 30_000;      // one more sample this often (doubles as a liveness probe)
const SAMPLE_MAX_AGE_MS = 5 * 60_000;
const SAMPLE_MAX_COUNT = 12;
const STALE_MS = 45_000;       // nothing received for this long: treat the link as dead
const WATCHDOG_MS = 5_000;
const PROBE_WAIT_MS = 10_000;  // ...and a `time` request then unanswered this long
const SEEN_MAX = 4096;         // history seqs remembered per topic for de-duplication

// A monotonic local clock in epoch milliseconds: unlike Date.now() it does not
// jump when the OS clock is stepped, and it shares its time base with
// requestAnimationFrame.
const localNow = () => performance.timeOrigin + performance.now();

/** Parses an RFC 3339 time (as the server sends them) to epoch ms, or NaN. */
export const parseTime = (s) => (typeof s === 'string' ? Date.parse(s) : NaN);

/**
 * Server clock estimate shared by every connection to the same server.
 * Keeps recent samples and trusts the one with the lowest round trip,
 * since its midpoint assumption has the smallest possible error (±rtt/2).
 */
export class TimeSync {
  constructor() {
    this.samples = [];
  }

  /** offset = server - local (ms); rtt in ms, or Infinity for a rough guess. */
  add(offset, rtt) {
    if (!Number.isFinite(offset) || !(rtt >= 0)) return;
    const at = localNow();
    this.samples.push({ offset, rtt, at });
    this.samples = this.samples
      .filter((s) => at - s.at <= SAMPLE_MAX_AGE_MS)
      .slice(-SAMPLE_MAX_COUNT);
  }

  /** The best sample ({offset, rtt, at}) or null. Ties go to the newest. */
  best() {
    let best = null;
    for (const s of this.samples) {
      if (!best || s.rtt < best.rtt || (s.rtt === best.rtt && s.at >= best.at)) best = s;
    }
    return best;
  }

  /** Estimated server clock minus local clock, in ms (0 until we know better). */
  get offset() {
    return this.best()?.offset ?? 0;
  }

  /** Estimated server time, epoch ms. */
  now() {
    return localNow() + this.offset;
  }
}

/** The default, page-wide clock estimate. */
export const timeSync = new TimeSync();

/** Estimated server time in epoch ms (uses the page-wide estimate). */
export const serverNow = () => timeSync.now();

/**
 * Opens a self-healing WebSocket to an emcee endpoint.
 *
 * @param {string | (() => string | Promise<string>)} url
 *   ws:// or wss:// URL, or a function returning one (called before every
 *   attempt, so it can fetch a fresh token).
 * @param {object} [opts]
 * @param {(msg: object) => void} [opts.onMessage] every parsed envelope except
 *   the replies to our own `time` requests and history messages already
 *   delivered. Messages the server replays after a reconnect carry
 *   `replayed: true` (they are older than the state sent before them); a
 *   `subscribed` frame carries `lost: true` when the server could not replay
 *   what was missed (history gone: only the current state follows).
 * @param {(status: object) => void} [opts.onStatus] `{state, attempt, ...}` where
 *   state is `connecting`, `open`, `reconnecting` (with `retryIn` ms, `code`,
 *   `reason`, `error` = the server's last `error` frame data) or `closed`
 *   (final: `fatal` names the refusal — `unauthorized`, `forbidden`,
 *   `not_found` — or is absent when closed by the client).
 * @param {() => string | Promise<string>} [opts.refreshToken] called on
 *   `token_expiring`; the token it returns is sent as `refresh`.
 * @param {TimeSync} [opts.sync] clock estimate to feed (default: page-wide).
 * @returns {{send(obj: object): boolean, close(): void, reconnect(): void,
 *            readonly open: boolean}}
 */
export function connect(url, {
  onMessage = () => {}, onStatus = () => {}, refreshToken = null, sync = timeSync,
} = {}) {
  let ws = null;             // the current socket, or null while waiting
  let attempt = 0;           // failed attempts since we last heard a real frame
  let retryTimer = null;
  let watchdog = null;
  let stopped = false;
  let lastError = null;      // data of the last `error` frame on this socket
  let lastHeard = 0;
  let firstFrame = true;
  let batchLeft = 0;
  let refSeq = 0;
  let lastResync = 0;
  const pending = new Map(); // time request ref -> local send time
  // Per topic, across reconnects: {epoch, seq (highest seen), seen: Set<seq>, replayTo}.
  const streams = new Map();
  const resumeRefs = new Map(); // our `subscribe` ref -> topic

  const report = (state, extra = {}) => {
    try {
      onStatus({ state, attempt, ...extra });
    } catch (err) {
      console.error('emcee onStatus handler failed', err);
    }
  };

  const send = (sock, obj) => {
    if (!sock || sock.readyState !== WebSocket.OPEN) return false;
    sock.send(JSON.stringify(obj));
    return true;
  };

  const requestTime = (sock) => {
    const ref = `time-${++refSeq}`;
    pending.set(ref, localNow());
    lastResync = localNow();
    if (!send(sock, { type: 'time', ref })) pending.delete(ref);
  };

  // Stops listening to a socket and forgets per-connection state.
  const detach = (sock) => {
    sock.onopen = sock.onmessage = sock.onclose = sock.onerror = null;
    if (ws === sock) ws = null;
    clearInterval(watchdog);
    watchdog = null;
    pending.clear();
    resumeRefs.clear();
    batchLeft = 0;
  };

  const scheduleRetry = (info) => {
    attempt = Math.max(attempt, SLOW_DOWN_CLOSE_CODES[info.code] ?? 0);
    const cap = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** attempt);
    const delay = Math.round(cap * (0.5 + Math.random() * 0.5)); // "equal jitter"
    attempt += 1;
    report('reconnecting', { ...info, retryIn: delay });
    retryTimer = setTimeout(open, delay);
  };

  const onClosed = (sock, code, reason) => {
    detach(sock);
    if (stopped) return;
    const error = lastError;
    if (code in FATAL_CLOSE_CODES) {
      stopped = true;
      removeEventListener('online', onOnline);
      report('closed', { code, reason, error, fatal: FATAL_CLOSE_CODES[code] });
    } else {
      // 4005 lands here too: the next attempt asks `url` again for a new token.
      // So does 4008 (slow consumer): the resume below recovers what was lost.
      scheduleRetry({ code, reason, error, tokenExpired: code === CLOSE_TOKEN_EXPIRED });
    }
  };

  const onFrame = (sock, ev) => {
    const tRecv = localNow();
    lastHeard = tRecv;
    if (typeof ev.data !== 'string') return;
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (!msg || typeof msg !== 'object') return;

    if (msg.type === 'time' && pending.has(msg.ref)) {
      const tSend = pending.get(msg.ref);
      pending.delete(msg.ref);
      const server = parseTime(msg.data?.server_time);
      if (!Number.isNaN(server)) sync.add(server - (tSend + tRecv) / 2, tRecv - tSend);
      if (batchLeft > 0) {
        batchLeft -= 1;
        requestTime(sock);
      }
      return;
    }

    if (!trackStream(sock, msg)) return; // a history message we already delivered

    if (msg.type === 'error') {
      lastError = msg.data ?? null;
    } else {
      attempt = 0; // the server is really talking to us: reset the backoff
      if (firstFrame) {
        // A rough offset (off by the one-way delay) until `time` replies arrive.
        const server = parseTime(msg.data?.server_time ?? msg.ts);
        if (!Number.isNaN(server)) sync.add(server - tRecv, Infinity);
      }
      firstFrame = false;
    }
    if (msg.type === 'token_expiring' && refreshToken) refresh(sock);
    try {
      onMessage(msg);
    } catch (err) {
      console.error('emcee onMessage handler failed', err);
    }
  };

  // Keeps stream positions, asks for a replay after a reconnect, drops
  // duplicates. Returns false for a message that must not be delivered.
  const trackStream = (sock, msg) => {
    if (msg.type === 'subscribed' && typeof msg.data?.topic === 'string') {
      const { topic, epoch, seq, recovered } = msg.data;
      const prev = streams.get(topic);
      if (resumeRefs.has(msg.ref)) {
        resumeRefs.delete(msg.ref);
        if (recovered === true && prev) prev.replayTo = seq; // what follows up to seq is replay
        if (recovered === false) msg.lost = true;
      } else if (prev && prev.epoch === epoch && prev.seq < seq) {
        // A new connection, and the topic moved on meanwhile: fetch the gap.
        const ref = `resume-${++refSeq}`;
        resumeRefs.set(ref, topic);
        send(sock, { type: 'subscribe', topic, since: { epoch, seq: prev.seq }, ref });
      } else if (prev && prev.epoch !== epoch) {
        msg.lost = true; // the server lost that topic's history (e.g. restarted)
      }
      // A first subscription starts us at its position: what came before is
      // covered by the state messages that follow, not by a replay.
      if (!prev || prev.epoch !== epoch) streams.set(topic, { epoch, seq, seen: new Set(), replayTo: 0 });
      return true;
    }
    if (typeof msg.topic !== 'string' || !Number.isInteger(msg.seq)) return true;
    const st = streams.get(msg.topic);
    if (!st) return true;
    if (st.seen.has(msg.seq)) return false;
    st.seen.add(msg.seq);
    if (st.seen.size > SEEN_MAX) {
      for (const old of st.seen) { st.seen.delete(old); if (st.seen.size <= SEEN_MAX / 2) break; }
    }
    if (msg.seq <= st.replayTo) msg.replayed = true;
    st.seq = Math.max(st.seq, msg.seq);
    return true;
  };

  const refresh = async (sock) => {
    try {
      const token = await refreshToken();
      if (token) send(sock, { type: 'refresh', token, ref: `refresh-${++refSeq}` });
    } catch (err) {
      console.warn('emcee: refreshToken failed', err);
    }
  };

  const checkAlive = (sock) => {
    const now = localNow();
    const probing = lastResync > lastHeard; // a `time` request is still unanswered
    if (now - lastHeard > STALE_MS && !probing) {
      // Quiet for a while (timers in background tabs run late): ask first.
      requestTime(sock);
    } else if (now - lastHeard > STALE_MS && now - lastResync > PROBE_WAIT_MS) {
      // Half-open TCP can take minutes to surface; give up on it ourselves.
      detach(sock);
      try {
        sock.close(4000, 'no data from server');
      } catch { /* already closing */ }
      if (!stopped) scheduleRetry({ reason: 'no data from server' });
    } else if (now - lastResync >= RESYNC_MS) {
      requestTime(sock);
    }
  };

  async function open() {
    retryTimer = null;
    if (stopped) return;
    report('connecting');
    let target;
    try {
      target = typeof url === 'function' ? await url() : url;
    } catch (err) {
      if (!stopped) scheduleRetry({ reason: `could not get a URL: ${err?.message ?? err}` });
      return;
    }
    if (stopped) return;
    let sock;
    try {
      sock = new WebSocket(target);
    } catch (err) { // malformed URL: retrying the same one cannot help
      stopped = true;
      report('closed', { reason: err?.message ?? String(err), fatal: 'bad_url' });
      return;
    }
    ws = sock;
    lastError = null;
    firstFrame = true;
    lastHeard = localNow();
    sock.onopen = () => {
      lastHeard = localNow();
      report('open');
      batchLeft = TIME_SAMPLES - 1;
      requestTime(sock);
      watchdog = setInterval(() => checkAlive(sock), WATCHDOG_MS);
    };
    sock.onmessage = (ev) => onFrame(sock, ev);
    sock.onclose = (ev) => onClosed(sock, ev.code, ev.reason);
    sock.onerror = () => { /* a close event always follows */ };
  }

  // Coming back online: don't sit out the rest of a long backoff.
  function onOnline() {
    if (!stopped && retryTimer !== null) {
      clearTimeout(retryTimer);
      open();
    }
  }
  addEventListener('online', onOnline);

  open();

  return {
    /** Sends a JSON message; false if not connected right now. */
    send: (obj) => send(ws, obj),
    /** Closes for good (no more retries). */
    close() {
      if (stopped) return;
      stopped = true;
      clearTimeout(retryTimer);
      retryTimer = null;
      removeEventListener('online', onOnline);
      const sock = ws;
      if (sock) {
        detach(sock);
        try {
          sock.close(1000, 'client closed');
        } catch { /* ignore */ }
      }
      report('closed', { code: 1000, reason: 'closed by client' });
    },
    /** Drops the current connection (if any) and connects again now. */
    reconnect() {
      if (stopped) return;
      clearTimeout(retryTimer);
      retryTimer = null;
      const sock = ws;
      if (sock) {
        detach(sock);
        try {
          sock.close(1000, 'client reconnecting');
        } catch { /* ignore */ }
      }
      attempt = 0;
      open();
    },
    get open() {
      return ws?.readyState === WebSocket.OPEN;
    },
  };
}

/** Whole seconds as `mm:ss`, or `h:mm:ss` from an hour up. */
export function formatDuration(totalSeconds) {
  if (!Number.isFinite(Number(totalSeconds))) return '--:--';
  const s = Math.max(0, Math.floor(Number(totalSeconds)));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${String(m).padStart(2, '0')}:${ss}`;
}

/**
 * Draws a deadline as remaining time, smoothly, with requestAnimationFrame.
 * The display is `ceil((ends_at - serverNow()) / 1000)` seconds, which is
 * exactly the server's `time_remaining` at each tick, so ticks never make it
 * jump; they only matter when `ends_at` itself changes (extensions).
 *
 *   const c = new Clock(el, { bar, onSecond: (s) => … });
 *   c.set({ ends_at, total_duration });  c.stop('—');
 */
export class Clock {
  /**
   * @param {HTMLElement} el gets the text (mm:ss).
   * @param {object} [opts]
   * @param {HTMLElement} [opts.bar] a progress bar: gets `--progress` (0…1)
   *   and, if it has role="progressbar", aria-valuenow (whole percent).
   * @param {(secs: number) => void} [opts.onSecond] called when the shown
   *   whole second changes (also on set()).
   * @param {(secs: number) => string} [opts.format]
   * @param {() => number} [opts.now] server clock (default serverNow).
   */
  constructor(el, { bar = null, onSecond = null, format = formatDuration, now = serverNow } = {}) {
    Object.assign(this, { el, bar, onSecond, format, now });
    this.endsAt = NaN;
    this.total = 0;
    this.frame = 0;
    this.shown = null;
    this.percent = null;
    this.tick = this.tick.bind(this);
  }

  /** Follows a new deadline: `{ends_at, total_duration}` (total in seconds, optional). */
  set({ ends_at, total_duration } = {}) {
    const endsAt = parseTime(ends_at);
    if (Number.isNaN(endsAt)) return;
    this.endsAt = endsAt;
    this.total = Number(total_duration) > 0 ? Number(total_duration) : 0;
    this.shown = null;
    if (!this.frame) this.frame = requestAnimationFrame(this.tick);
  }

  /** Stops following the deadline; optionally shows `text` instead. */
  stop(text) {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.endsAt = NaN;
    this.shown = null;
    if (text !== undefined) this.el.textContent = text;
  }

  /** Milliseconds left (0 when over, NaN when not running). */
  get remainingMs() {
    return Math.max(0, this.endsAt - this.now());
  }

  /** Whether a deadline is set and not yet reached. */
  get running() {
    return this.remainingMs > 0;
  }

  tick() {
    this.frame = 0;
    if (Number.isNaN(this.endsAt)) return;
    const ms = this.remainingMs;
    const secs = Math.ceil(ms / 1000);
    if (secs !== this.shown) {
      this.shown = secs;
      this.el.textContent = this.format(secs);
      this.onSecond?.(secs);
    }
    if (this.bar && this.total > 0) {
      const done = Math.min(1, Math.max(0, 1 - ms / (this.total * 1000)));
      this.bar.style.setProperty('--progress', done.toFixed(4));
      const percent = Math.floor(done * 100);
      if (percent !== this.percent && this.bar.getAttribute('role') === 'progressbar') {
        this.percent = percent;
        this.bar.setAttribute('aria-valuenow', String(percent));
      }
    }
    if (ms > 0) this.frame = requestAnimationFrame(this.tick);
  }
}
