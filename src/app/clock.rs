//! The daemon's clock: wall-clock time that also follows tokio's clock.
//!
//! Owns [`Clock`]. Everything in `app` that asks for the time (due times,
//! leases, fetch records, renewals, archive settling, the supervisor's
//! ticks) asks the one clock the scheduler holds, so that on tokio's paused
//! clock (tests) advancing time moves the whole daemon exactly, with no
//! real waiting. Depends on chrono and tokio only.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// The later of `Utc::now()` and the time at start plus tokio's elapsed
/// time. In a running daemon the two agree (and a wall clock stepped back
/// does not move due times back); on a paused tokio clock, advancing it
/// moves this clock.
#[derive(Debug, Clone, Copy)]
pub(super) struct Clock {
    start: DateTime<Utc>,
    at: tokio::time::Instant,
}

impl Clock {
    pub(super) fn new() -> Clock {
        Clock {
            start: Utc::now(),
            at: tokio::time::Instant::now(),
        }
    }

    pub(super) fn now(&self) -> DateTime<Utc> {
        let followed = chrono::Duration::from_std(self.at.elapsed())
            .map_or(self.start, |elapsed| self.start + elapsed);
        Utc::now().max(followed)
    }

    /// How long until `at`; zero when it has passed.
    pub(super) fn until(&self, at: DateTime<Utc>) -> Duration {
        (at - self.now()).to_std().unwrap_or_default()
    }

    /// Sleeps until `at` on this clock.
    pub(super) async fn sleep_until(&self, at: DateTime<Utc>) {
        tokio::time::sleep(self.until(at)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn advancing_tokio_time_moves_the_clock_exactly() {
        let clock = Clock::new();
        let before = clock.now();
        tokio::time::advance(Duration::from_secs(3600)).await;
        let after = clock.now();
        // `before` is the wall clock, a moment past the start; `after` is
        // the start plus tokio's hour, which now leads the wall clock.
        let moved = (after - before).num_milliseconds();
        assert!((3_599_000..=3_600_000).contains(&moved), "{moved} ms");
        let at = after + chrono::Duration::minutes(15);
        assert_eq!(clock.until(at), Duration::from_secs(900));
        clock.sleep_until(at).await;
        assert!(clock.now() >= at);
        assert_eq!(clock.until(before), Duration::ZERO);
    }
}
