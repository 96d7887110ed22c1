//! One topic's stream: its epoch, sequence numbers, bounded history, the
//! latest state messages, and who is subscribed.

use super::{Mailbox, Position};
use bytestring::ByteString;
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

pub type SessionId = u64;

pub struct Kept {
    pub seq: u64,
    pub at: Instant,
    pub frame: ByteString,
}

pub struct TopicStream {
    /// Changes whenever the history behind the topic is lost (a new
    /// process, or a topic dropped when nothing was left of it), so a seq
    /// from an earlier life is never trusted.
    pub epoch: u64,
    pub seq: u64,
    pub history: VecDeque<Kept>,
    /// Latest message per state type (`event_state`, `presence_count`, …),
    /// delivered to every new subscriber without a database read.
    pub state: Vec<(Cow<'static, str>, u64, ByteString)>,
    /// Latest-only messages (no seq), delivered after any catch-up.
    pub latest: Vec<(Cow<'static, str>, ByteString)>,
    pub subscribers: HashMap<SessionId, Mailbox>,
}

/// A frame to catch up with and its `seq` (none for latest-only ones).
pub type Entry = (Option<u64>, ByteString);

/// What a subscriber gets before live frames.
pub enum Catchup {
    /// No position given: the latest state.
    Fresh(Vec<Entry>),
    /// The history reached back: exactly the missed frames, in order.
    Recovered(Vec<Entry>),
    /// It did not: the latest state instead; never a partial replay.
    Lost(Vec<Entry>),
}

impl TopicStream {
    pub fn new() -> Self {
        Self {
            epoch: rand::random::<u64>() | 1,
            seq: 0,
            history: VecDeque::new(),
            state: Vec::new(),
            latest: Vec::new(),
            subscribers: HashMap::new(),
        }
    }

    pub fn position(&self) -> Position {
        Position {
            epoch: self.epoch,
            seq: self.seq,
        }
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn keep(&mut self, seq: u64, frame: ByteString, max_len: usize) {
        if max_len == 0 {
            return;
        }
        while self.history.len() >= max_len {
            self.history.pop_front();
        }
        self.history.push_back(Kept {
            seq,
            at: Instant::now(),
            frame,
        });
    }

    pub fn set_state(&mut self, kind: Cow<'static, str>, seq: u64, frame: ByteString) {
        match self.state.iter_mut().find(|(k, _, _)| *k == kind) {
            Some(slot) => *slot = (kind, seq, frame),
            None => self.state.push((kind, seq, frame)),
        }
    }

    pub fn set_latest(&mut self, kind: Cow<'static, str>, frame: ByteString) {
        match self.latest.iter_mut().find(|(k, _)| *k == kind) {
            Some(slot) => slot.1 = frame,
            None => self.latest.push((kind, frame)),
        }
    }

    fn with_latest(&self, mut frames: Vec<Entry>) -> Vec<Entry> {
        frames.extend(self.latest.iter().map(|(_, f)| (None, f.clone())));
        frames
    }

    fn state_frames(&self) -> Vec<Entry> {
        let mut s: Vec<Entry> = self.state.iter().map(|(_, seq, f)| (Some(*seq), f.clone())).collect();
        s.sort_by_key(|(seq, _)| *seq);
        s
    }

    pub fn catch_up(&self, since: Option<Position>) -> Catchup {
        match self.catch_up_history(since) {
            Catchup::Fresh(f) => Catchup::Fresh(self.with_latest(f)),
            Catchup::Recovered(f) => Catchup::Recovered(self.with_latest(f)),
            Catchup::Lost(f) => Catchup::Lost(self.with_latest(f)),
        }
    }

    fn catch_up_history(&self, since: Option<Position>) -> Catchup {
        let Some(since) = since else {
            return Catchup::Fresh(self.state_frames());
        };
        // Epoch 0 is "before this stream existed" (a poll cursor taken when
        // nothing had been published): everything since its start.
        let from_start = since.epoch == 0 && since.seq == 0 && self.history.front().is_none_or(|k| k.seq == 1);
        if from_start {
            return Catchup::Recovered(self.history.iter().map(|k| (Some(k.seq), k.frame.clone())).collect());
        }
        if since.epoch != self.epoch || since.seq > self.seq {
            return Catchup::Lost(self.state_frames());
        }
        if since.seq == self.seq {
            return Catchup::Recovered(Vec::new());
        }
        match self.history.front() {
            Some(first) if first.seq <= since.seq + 1 => Catchup::Recovered(
                self.history
                    .iter()
                    .filter(|k| k.seq > since.seq)
                    .map(|k| (Some(k.seq), k.frame.clone()))
                    .collect(),
            ),
            _ => Catchup::Lost(self.state_frames()),
        }
    }

    /// Frames after `since` for a poll, or `None` when the client must
    /// start again from the state.
    pub fn after(&self, since: Position) -> Option<Vec<Entry>> {
        match self.catch_up_history(Some(since)) {
            Catchup::Recovered(f) => Some(f),
            _ => None,
        }
    }

    pub fn prune(&mut self, max_age: Duration) {
        let now = Instant::now();
        while self.history.front().is_some_and(|k| now.duration_since(k.at) > max_age) {
            self.history.pop_front();
        }
    }

    /// Nothing left worth keeping: no subscriber, no history, no state.
    pub fn is_idle(&self) -> bool {
        self.subscribers.is_empty() && self.history.is_empty() && self.state.is_empty() && self.latest.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_with(n: u64, max_len: usize) -> TopicStream {
        let mut s = TopicStream::new();
        for _ in 0..n {
            let seq = s.next_seq();
            s.keep(seq, ByteString::from(format!("m{seq}")), max_len);
        }
        s
    }

    fn frames(c: Catchup) -> (&'static str, Vec<String>) {
        let (k, f) = match c {
            Catchup::Fresh(f) => ("fresh", f),
            Catchup::Recovered(f) => ("recovered", f),
            Catchup::Lost(f) => ("lost", f),
        };
        (k, f.into_iter().map(|(_, b)| b.to_string()).collect())
    }

    #[test]
    fn a_position_inside_the_history_replays_exactly_what_was_missed() {
        let s = stream_with(10, 100);
        let since = Position { epoch: s.epoch, seq: 7 };
        assert_eq!(
            frames(s.catch_up(Some(since))),
            ("recovered", vec!["m8".into(), "m9".into(), "m10".into()])
        );
        let now = Position {
            epoch: s.epoch,
            seq: 10,
        };
        assert_eq!(frames(s.catch_up(Some(now))), ("recovered", vec![]));
    }

    #[test]
    fn a_position_older_than_the_history_or_from_another_epoch_is_never_partly_replayed() {
        let mut s = stream_with(10, 4);
        s.set_state("event_state".into(), 9, ByteString::from("state"));
        assert_eq!(s.history.front().map(|k| k.seq), Some(7));
        // seq 6 is needed next but gone: lost, with the state instead.
        assert_eq!(
            frames(s.catch_up(Some(Position { epoch: s.epoch, seq: 5 }))),
            ("lost", vec!["state".into()])
        );
        // seq 6 seen, 7.. kept: recoverable.
        assert_eq!(frames(s.catch_up(Some(Position { epoch: s.epoch, seq: 6 }))).1.len(), 4);
        assert_eq!(
            frames(s.catch_up(Some(Position {
                epoch: s.epoch ^ 2,
                seq: 9
            })))
            .0,
            "lost"
        );
        assert_eq!(
            frames(s.catch_up(Some(Position {
                epoch: s.epoch,
                seq: 11
            })))
            .0,
            "lost"
        );
    }

    #[test]
    fn latest_only_messages_take_no_history_and_follow_every_catch_up() {
        let mut s = stream_with(2, 3);
        for n in 0..10 {
            s.set_latest("presence_count".into(), ByteString::from(format!("count{n}")));
        }
        let seq = s.next_seq();
        s.keep(seq, ByteString::from("m3"), 3);
        let since = Position { epoch: s.epoch, seq: 1 };
        assert_eq!(
            frames(s.catch_up(Some(since))),
            ("recovered", vec!["m2".into(), "m3".into(), "count9".into()])
        );
        assert_eq!(frames(s.catch_up(None)), ("fresh", vec!["count9".into()]));
    }

    #[test]
    fn history_ages_out() {
        let mut s = stream_with(3, 10);
        s.prune(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(2));
        s.prune(Duration::from_millis(1));
        assert!(s.history.is_empty());
        assert!(s.is_idle());
    }
}
