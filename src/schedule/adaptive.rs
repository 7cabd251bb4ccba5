//! The rule behind `schedule = "adaptive"`: a source's polling interval,
//! learned from its own recent history of polls — how many new items each
//! brought, and how many brought nothing (a `304`, or the same items
//! again).
//!
//! The rule, in [`learn`]:
//!
//! - **Rate.** Items per unit of time over the recent window (the last
//!   [`WINDOW`], at most [`HISTORY`] polls): the new items of every poll
//!   after the window's first, over the time since that first poll (its
//!   own new items were published at some unknown time before it, so they
//!   count as nothing). A prior of one item per [`PRIOR`] keeps a short or
//!   empty history from reading as "never" or "constantly". This is
//!   Miniflux's `entry_frequency` idea on tidings' own poll log.
//! - **Interval.** A fraction ([`ITEMS_PER_POLL`]) of the expected time to
//!   the next item: a poll expects a quarter of an item, so an item waits
//!   about an eighth of the gap between items, not half of it.
//! - **Back off when quiet.** Never less than [`QUIET`] (a tenth) of the
//!   time since the last poll that brought something: a run of `304`s or
//!   unchanged answers stretches the interval at once, where the window's
//!   rate would forget a burst only slowly (news at night, a source that
//!   stopped).
//! - **Bounds.** Clamped to `[fetch] adaptive_min` ..= `adaptive_max`.
//!
//! Pure: the history comes in, an interval goes out; the store keeps the
//! history and `app` applies the interval through [`super::after_success`]
//! and [`super::after_failure`], so jitter, Retry-After and freshness hints
//! hold for adaptive sources too. `bench/adaptive` simulates it against
//! fixed polling.

use chrono::{DateTime, Duration, Utc};

/// One recorded poll of a source that answered (failures are not polls of
/// the publisher's rate and are not recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Poll {
    pub at: DateTime<Utc>,
    /// Items this poll stored for the first time; 0 for a `304`.
    pub new_items: u32,
}

/// The range an adaptive interval stays in (`[fetch] adaptive_min`,
/// `adaptive_max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub min: Duration,
    pub max: Duration,
}

/// How far back the history is read.
pub const WINDOW: Duration = Duration::days(7);

/// The most polls kept per source (the store drops older ones): at a
/// 10-minute interval, the last day and a half.
pub const HISTORY: usize = 200;

/// New items one poll is meant to find: the interval is this fraction of
/// the expected time to the next item.
pub const ITEMS_PER_POLL: f64 = 0.25;

/// The prior: as if one item had been published over this span before the
/// history began, so a source with no history yet is polled every
/// `ITEMS_PER_POLL × PRIOR` (15 minutes, within the bounds).
pub const PRIOR: Duration = Duration::hours(1);

/// The interval is at least this fraction of the time since the last poll
/// that brought a new item (or since the window's first poll). Tuned on
/// `bench/adaptive`: at 0.5 the mix made 15.6× fewer requests than fixed
/// 15-minute polling but its median delay grew from 7.5 to 10.3 minutes
/// (the first story of each news burst waited out a stretched interval);
/// at 0.1 it makes 9.4× fewer at a median of 6.8 minutes.
pub const QUIET: f64 = 0.1;

/// The interval to poll a source at, from its `polls` (oldest first, as
/// the store returns them) as of `now`, within `bounds`. See the module
/// documentation for the rule.
pub fn learn(polls: &[Poll], now: DateTime<Utc>, bounds: Bounds) -> Duration {
    let from = now - WINDOW;
    let recent: Vec<&Poll> = polls
        .iter()
        .rev()
        .take(HISTORY)
        .take_while(|p| p.at > from)
        .filter(|p| p.at <= now)
        .collect();
    // Newest first: the window's first poll is the last.
    let (items, span, quiet) = match recent.split_last() {
        Some((first, later)) => {
            let items: f64 = later.iter().map(|p| f64::from(p.new_items)).sum();
            let last_new = later
                .iter()
                .find(|p| p.new_items > 0)
                .map_or(first.at, |p| p.at);
            (items, seconds(now - first.at), seconds(now - last_new))
        }
        None => (0.0, 0.0, 0.0),
    };
    let rate = (items + 1.0) / (span + seconds(PRIOR));
    let interval = (ITEMS_PER_POLL / rate).max(QUIET * quiet);
    let (min, max) = (seconds(bounds.min), seconds(bounds.max.max(bounds.min)));
    Duration::milliseconds((interval.clamp(min, max) * 1000.0) as i64)
}

fn seconds(d: Duration) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

/// An interval as `sources` shows it: `42m`, `3h10m`, `1d`, `45s`.
pub fn show(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h{m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d{h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: Bounds = Bounds {
        min: Duration::minutes(10),
        max: Duration::hours(24),
    };

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
            .unwrap()
            .into()
    }

    /// Polls every `every` minutes for `count` polls from `t0`, the i-th
    /// bringing `new(i)` items.
    fn polls(count: usize, every: i64, new: impl Fn(usize) -> u32) -> Vec<Poll> {
        (0..count)
            .map(|i| Poll {
                at: t0() + Duration::minutes(every * i as i64),
                new_items: new(i),
            })
            .collect()
    }

    #[test]
    fn no_history_starts_at_a_quarter_of_the_prior() {
        assert_eq!(learn(&[], t0(), BOUNDS), Duration::minutes(15));
        // The first poll's items are the back catalogue: they say nothing.
        let first = polls(1, 10, |_| 50);
        assert_eq!(learn(&first, t0(), BOUNDS), Duration::minutes(15));
    }

    #[test]
    fn a_busy_source_is_polled_at_the_lower_bound() {
        // Three items every 10-minute poll over a day.
        let h = polls(144, 10, |i| if i == 0 { 50 } else { 3 });
        let now = h.last().unwrap().at + Duration::minutes(1);
        assert_eq!(learn(&h, now, BOUNDS), BOUNDS.min);
    }

    #[test]
    fn a_burst_then_silence_backs_off_within_hours() {
        // An hour-long burst (an item a poll), then polls with nothing.
        let burst = polls(7, 10, |i| u32::from(i > 0));
        let end = burst.last().unwrap().at;
        let during = learn(&burst, end, BOUNDS);
        assert_eq!(during, BOUNDS.min);
        let mut quiet = burst.clone();
        quiet.extend((1..=12).map(|i| Poll {
            at: end + Duration::minutes(20 * i),
            new_items: 0,
        }));
        let now = end + Duration::hours(4);
        let after = learn(&quiet, now, BOUNDS);
        // At least a tenth of the four quiet hours.
        assert!(after >= Duration::minutes(24), "{after}");
        assert!(after < BOUNDS.max, "{after}");
    }

    #[test]
    fn a_daily_blog_is_polled_a_few_times_a_day() {
        // A week of polls every 3 h; one new item a day.
        let h = polls(56, 180, |i| u32::from(i > 0 && i % 8 == 0));
        let just_after_a_post = t0() + Duration::minutes(180 * 48 + 1);
        let interval = learn(&h[..49], just_after_a_post, BOUNDS);
        // About a quarter of a day right after a post ...
        assert!(
            interval >= Duration::hours(4) && interval <= Duration::hours(8),
            "{interval}"
        );
        // ... and longer as the day without one goes on.
        let late = t0() + Duration::minutes(180 * 55 + 1);
        let later = learn(&h, late, BOUNDS);
        assert!(later > interval, "{later} vs {interval}");
        assert!(later <= Duration::hours(12), "{later}");
    }

    #[test]
    fn a_dormant_source_is_polled_at_the_upper_bound() {
        let h = polls(14, 12 * 60, |i| if i == 0 { 20 } else { 0 });
        let now = h.last().unwrap().at + Duration::minutes(1);
        assert_eq!(learn(&h, now, BOUNDS), BOUNDS.max);
    }

    #[test]
    fn only_the_window_counts() {
        // A burst nine days ago, quiet since: the burst is forgotten.
        let mut h = polls(30, 10, |i| u32::from(i > 0) * 5);
        let quiet_from = t0() + Duration::days(2);
        h.extend((0..8).map(|i| Poll {
            at: quiet_from + Duration::days(i),
            new_items: 0,
        }));
        let now = t0() + Duration::days(9) + Duration::hours(1);
        assert_eq!(learn(&h, now, BOUNDS), BOUNDS.max);
        // Seven days earlier the burst still set the pace.
        assert_eq!(
            learn(&h[..30], t0() + Duration::hours(5), BOUNDS),
            BOUNDS.min
        );
    }

    #[test]
    fn bounds_hold_even_when_given_upside_down() {
        let tight = Bounds {
            min: Duration::hours(2),
            max: Duration::hours(1),
        };
        assert_eq!(learn(&[], t0(), tight), Duration::hours(2));
    }

    #[test]
    fn intervals_read_short() {
        assert_eq!(show(Duration::minutes(42)), "42m");
        assert_eq!(show(Duration::minutes(190)), "3h10m");
        assert_eq!(show(Duration::hours(2)), "2h");
        assert_eq!(show(Duration::hours(24)), "1d");
        assert_eq!(show(Duration::hours(30)), "1d6h");
        assert_eq!(show(Duration::seconds(45)), "45s");
    }
}
