use chrono::{DateTime, Utc};
use std::time::Duration;
use tokio::time::Instant;

/// One phase of a clock (a round, a break, a countdown): its wall-clock
/// bounds and the monotonic deadline ticks are scheduled against.
#[derive(Clone, Copy, Debug)]
pub struct PhaseClock {
    pub started_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub deadline: Instant,
    /// Grows whenever the clock is set (started, extended, next phase), so a
    /// client never lets an older frame move a newer clock.
    pub version: u64,
}

impl PhaseClock {
    /// Maps the wall-clock deadline onto the monotonic clock once, so a
    /// wall-clock step (NTP) cannot stretch or shrink a running phase.
    /// A deadline already passed (a clock restored after a restart) stays in
    /// the past, so the ticker can tell its last mark is stale.
    pub fn new(started_at: DateTime<Utc>, ends_at: DateTime<Utc>, version: u64) -> Self {
        let now = Instant::now();
        let deadline = match (ends_at - Utc::now()).to_std() {
            Ok(left) => now + left,
            Err(_) => (Utc::now() - ends_at)
                .to_std()
                .ok()
                .and_then(|overdue| now.checked_sub(overdue))
                .unwrap_or(now),
        };
        Self {
            started_at,
            ends_at,
            deadline,
            version,
        }
    }

    pub fn remaining(&self, now: Instant) -> Duration {
        self.deadline.saturating_duration_since(now)
    }

    /// Whole seconds left, rounded up: 299.2 s left shows as 300.
    pub fn remaining_secs(&self, now: Instant) -> u64 {
        let r = self.remaining(now);
        r.as_secs() + u64::from(r.subsec_nanos() > 0)
    }

    pub fn total_secs(&self) -> u64 {
        u64::try_from((self.ends_at - self.started_at).num_seconds()).unwrap_or(0)
    }

    pub fn percentage_complete(&self, now: Instant) -> f64 {
        let total = (self.ends_at - self.started_at).num_milliseconds() as f64;
        if total <= 0.0 {
            return 100.0;
        }
        let left = self.remaining(now).as_millis() as f64;
        (((total - left) / total) * 1000.0).round().clamp(0.0, 1000.0) / 10.0
    }
}

/// The next whole-second mark to tick at: `(n, when)` where `when` is
/// `deadline - n s`. `last` is the mark already emitted: an early wake-up
/// never repeats it, and a late one emits the mark it missed once (late)
/// instead of skipping it. `None` once mark 0 has been emitted.
pub fn next_mark(deadline: Instant, now: Instant, last: Option<u64>) -> Option<(u64, Instant)> {
    let left = deadline.saturating_duration_since(now);
    let n = match last {
        None => left.as_secs(),
        Some(l) => {
            let passed = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            passed.min(l.checked_sub(1)?)
        }
    };
    let when = deadline.checked_sub(Duration::from_secs(n)).unwrap_or(now);
    Some((n, when))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn marks_fall_on_whole_seconds_before_the_deadline() {
        let now = Instant::now();
        let deadline = now + Duration::from_millis(3_400);
        assert_eq!(
            next_mark(deadline, now, None),
            Some((3, now + Duration::from_millis(400)))
        );
        // Woken exactly at mark 3: the next one is 2, a second later.
        let at3 = now + Duration::from_millis(400);
        assert_eq!(
            next_mark(deadline, at3, Some(3)),
            Some((2, at3 + Duration::from_secs(1)))
        );
        // Woken late (after mark 2 passed) the late mark still fires once.
        let late = at3 + Duration::from_millis(1_300);
        assert_eq!(
            next_mark(deadline, late, Some(3)),
            Some((2, at3 + Duration::from_secs(1)))
        );
        assert_eq!(next_mark(deadline, deadline, Some(0)), None);
        assert_eq!(
            next_mark(deadline, deadline + Duration::from_secs(5), None),
            Some((0, deadline))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn remaining_time_comes_from_the_deadline_not_a_counter() {
        let start = Utc::now();
        let clock = PhaseClock::new(start, start + chrono::Duration::seconds(300), 1);
        tokio::time::advance(Duration::from_millis(120_500)).await;
        let now = Instant::now();
        assert_eq!(clock.remaining_secs(now), 180);
        assert_eq!(clock.total_secs(), 300);
        assert!((clock.percentage_complete(now) - 40.2).abs() < 0.2);
    }
}
