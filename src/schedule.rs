//! When each source is due: cron schedules and the jitter that spreads sources
//! sharing one schedule; and, for `schedule = "adaptive"`, the interval
//! learned from a source's own history ([`adaptive`]).
//!
//! Depends only on `model`-level data (plain strings and times), so `config`
//! can validate schedules with it and `app` can time fetches with it.
//!
//! ```
//! use tidings::Schedule;
//! let s: Schedule = "*/15 * * * *".parse().unwrap();
//! let t = chrono::DateTime::parse_from_rfc3339("2026-01-01T10:07:00Z").unwrap();
//! assert_eq!(s.next_after(t.into()).to_rfc3339(), "2026-01-01T10:15:00+00:00");
//! ```

pub mod adaptive;

use chrono::{DateTime, Duration, Utc};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A parsed cron schedule: 5 fields (minute precision), 6 or 7 fields (with
/// seconds, and years), or a name such as `@hourly`; or a fixed interval
/// ([`Schedule::every`], what an adaptive source learned).
#[derive(Clone)]
pub struct Schedule {
    text: String,
    rule: Rule,
}

#[derive(Clone)]
enum Rule {
    // Shared: a cron schedule is large (its parsed fields are sets of
    // numbers, about 1.3 KB on the heap for `7/15 * * * *`), and every
    // copy of a source's config would copy it (the daemon holds two).
    Cron(Arc<cron::Schedule>),
    Every(Duration),
}

/// Why a schedule expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cron schedule {expression:?}: {reason}")]
pub struct ScheduleError {
    pub expression: String,
    pub reason: String,
}

/// A cron field whose numbers are out of its range, named as the user
/// wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum FieldError {
    #[error("the {name} field {field:?} has a step {step:?}: use a whole number of 1 or more")]
    Step {
        name: &'static str,
        field: String,
        step: String,
    },
    #[error("the {name} field {field:?} has {n}: it must be {low} to {high}")]
    Range {
        name: &'static str,
        field: String,
        n: u32,
        low: u32,
        high: u32,
    },
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let err = |reason: String| ScheduleError {
            expression: s.to_string(),
            reason,
        };
        let expr = if text.starts_with('@') {
            match text {
                "@yearly" | "@annually" | "@monthly" | "@weekly" | "@daily" | "@midnight"
                | "@hourly" => text.replace("@midnight", "@daily"),
                _ => {
                    return Err(err(
                        "expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"
                            .into(),
                    ));
                }
            }
        } else {
            match text.split_whitespace().count() {
                // Crontab has no seconds field; the cron crate needs one.
                5 => format!("0 {text}"),
                6 | 7 => text.to_string(),
                n => {
                    return Err(err(format!(
                        "expected 5 fields (minute hour day month weekday), or 6/7 with seconds and year; found {n}"
                    )));
                }
            }
        };
        if !text.starts_with('@') {
            check_fields(text).map_err(|e| err(e.to_string()))?;
        }
        let cron = cron::Schedule::from_str(&expr).map_err(|e| err(e.to_string()))?;
        if cron.upcoming(Utc).next().is_none() {
            return Err(err("it never fires".into()));
        }
        Ok(Schedule {
            text: text.to_string(),
            rule: Rule::Cron(Arc::new(cron)),
        })
    }
}

impl Schedule {
    /// Whether the two share one parsed cron schedule.
    #[cfg(test)]
    pub(crate) fn shares_parse_with(&self, other: &Schedule) -> bool {
        match (&self.rule, &other.rule) {
            (Rule::Cron(a), Rule::Cron(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?})", self.text)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Schedule {
    /// The expression as written (`*/15 * * * *`, `every 42m`): equal
    /// texts are equal schedules.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// A fixed interval (at least a second): each firing comes `interval`
    /// after the one before. Shown as `every 42m`.
    pub fn every(interval: Duration) -> Schedule {
        let interval = interval.max(Duration::seconds(1));
        Schedule {
            text: format!("every {}", adaptive::show(interval)),
            rule: Rule::Every(interval),
        }
    }

    /// The first firing strictly after `t`; a schedule whose last firing has
    /// passed (a 7-field expression with years) answers a day later, so a
    /// source is never polled in a loop.
    pub fn next_after(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        match &self.rule {
            Rule::Cron(cron) => cron
                .after(&t)
                .next()
                .unwrap_or_else(|| later(t, Duration::days(1))),
            Rule::Every(interval) => later(t, *interval),
        }
    }

    /// The usual gap between two firings, measured on the next two: the base
    /// interval for backoff and for jitter.
    pub fn interval(&self, now: DateTime<Utc>) -> Duration {
        let first = self.next_after(now);
        (self.next_after(first) - first).max(Duration::seconds(1))
    }
}

/// The longest a source waits: backoff and server hints are capped here, so
/// a source is never dropped for good.
pub const MAX_WAIT: Duration = Duration::hours(24);

/// When to fetch again after a success: the schedule's next firing plus the
/// source's jitter, but not before half the interval has passed (a fetch
/// that ran late is not followed at once by the next one), nor before the
/// server's freshness hint (RSS `ttl`, `Cache-Control: max-age`, `Expires`),
/// itself capped at [`MAX_WAIT`].
pub fn after_success(
    schedule: &Schedule,
    source_id: &str,
    now: DateTime<Utc>,
    fresh_for: Option<Duration>,
) -> DateTime<Utc> {
    let interval = schedule.interval(now);
    let next =
        later(schedule.next_after(now), jitter(source_id, interval)).max(later(now, interval / 2));
    match fresh_for {
        Some(hint) => next.max(later(now, hint.min(MAX_WAIT))),
        None => next,
    }
}

/// When to fetch again after the `errors`-th failure in a row: the schedule's
/// interval doubled per earlier failure, capped at [`MAX_WAIT`], plus up to a
/// tenth more as jitter (stable per source and attempt), and never before the
/// server's `Retry-After`.
pub fn after_failure(
    schedule: &Schedule,
    source_id: &str,
    now: DateTime<Utc>,
    errors: u32,
    retry_after: Option<Duration>,
) -> DateTime<Utc> {
    let interval = schedule.interval(now);
    let doublings = errors.saturating_sub(1).min(20);
    let delay = interval
        .checked_mul(1 << doublings)
        .unwrap_or(MAX_WAIT)
        .min(MAX_WAIT);
    let spread = jitter(&format!("{source_id}#{errors}"), delay * 10);
    let at = later(later(now, delay), spread.min(delay / 10));
    match retry_after {
        // A server asking for more than a day gets a day: a source is never
        // dropped for good (`Retry-After: 10000000000000` overflowed here).
        Some(wait) => at.max(later(now, wait.clamp(Duration::zero(), MAX_WAIT))),
        None => at,
    }
}

/// `at + delay`, saturating at the largest time instead of overflowing.
fn later(at: DateTime<Utc>, delay: Duration) -> DateTime<Utc> {
    at.checked_add_signed(delay)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A deterministic offset in `[0, min(interval / 10, 5 min))` derived from the
/// source id, so sources sharing one schedule do not all fire in the same
/// second, yet each keeps the same offset from run to run.
pub fn jitter(source_id: &str, interval: Duration) -> Duration {
    let span = (interval / 10).min(Duration::minutes(5)).num_milliseconds();
    if span <= 0 {
        return Duration::zero();
    }
    let hash = crate::text::fnv1a(source_id.bytes());
    Duration::milliseconds((hash % span as u64) as i64)
}

/// Checks each field's numbers against its range, naming the field as the
/// user wrote it (the cron crate speaks of its own 6-field form, and off by
/// one: "Minutes must be less than 59").
fn check_fields(text: &str) -> Result<(), FieldError> {
    const FIVE: [(&str, u32, u32); 5] = [
        ("minute", 0, 59),
        ("hour", 0, 23),
        ("day of month", 1, 31),
        ("month", 1, 12),
        ("day of week", 0, 7),
    ];
    let fields: Vec<&str> = text.split_whitespace().collect();
    let mut names: Vec<(&'static str, u32, u32)> = Vec::new();
    if fields.len() >= 6 {
        names.push(("second", 0, 59));
    }
    names.extend(FIVE);
    if fields.len() == 7 {
        names.push(("year", 1970, 2099));
    }
    for (field, (name, low, high)) in fields.iter().zip(names) {
        for part in field.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((range, step)) => (range, Some(step)),
                None => (part, None),
            };
            if let Some(step) = step {
                match step.parse::<u32>() {
                    Ok(n) if n >= 1 => {}
                    _ => {
                        return Err(FieldError::Step {
                            name,
                            field: field.to_string(),
                            step: step.to_string(),
                        });
                    }
                }
            }
            for value in range.split('-') {
                if let Ok(n) = value.parse::<u32>()
                    && !(low..=high).contains(&n)
                {
                    return Err(FieldError::Range {
                        name,
                        field: field.to_string(),
                        n,
                        low,
                        high,
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().into()
    }

    #[test]
    fn five_fields_are_minute_precision() {
        let s: Schedule = "0 * * * *".parse().unwrap();
        assert_eq!(
            s.next_after(at("2026-03-01T10:00:00Z")),
            at("2026-03-01T11:00:00Z")
        );
        assert_eq!(s.interval(at("2026-03-01T10:00:00Z")), Duration::hours(1));
    }

    #[test]
    fn six_and_seven_fields_have_seconds() {
        let s: Schedule = "*/10 * * * * *".parse().unwrap();
        assert_eq!(
            s.next_after(at("2026-03-01T10:00:05Z")),
            at("2026-03-01T10:00:10Z")
        );
        let s: Schedule = "0 0 12 1 1 * 2030".parse().unwrap();
        assert_eq!(
            s.next_after(at("2026-03-01T10:00:05Z")),
            at("2030-01-01T12:00:00Z")
        );
    }

    #[test]
    fn names() {
        let s: Schedule = "@hourly".parse().unwrap();
        assert_eq!(
            s.next_after(at("2026-03-01T10:30:00Z")),
            at("2026-03-01T11:00:00Z")
        );
        let s: Schedule = "@midnight".parse().unwrap();
        assert_eq!(
            s.next_after(at("2026-03-01T10:30:00Z")),
            at("2026-03-02T00:00:00Z")
        );
        assert!("@fortnightly".parse::<Schedule>().is_err());
    }

    #[test]
    fn out_of_range_fields_are_named_as_written() {
        let e = "60 * * * *".parse::<Schedule>().unwrap_err();
        assert_eq!(
            e.reason,
            "the minute field \"60\" has 60: it must be 0 to 59"
        );
        let e = "* 8-25 * * *".parse::<Schedule>().unwrap_err();
        assert!(
            e.reason.starts_with("the hour field \"8-25\" has 25"),
            "{e}"
        );
        let e = "*/0 * * * *".parse::<Schedule>().unwrap_err();
        assert!(e.reason.contains("step \"0\""), "{e}");
        let e = "61 * * * * *".parse::<Schedule>().unwrap_err();
        assert!(e.reason.starts_with("the second field"), "{e}");
        assert!("0 0 31 12 7".parse::<Schedule>().is_ok());
    }

    #[test]
    fn bad_expressions_say_why() {
        let e = "* * *".parse::<Schedule>().unwrap_err();
        assert!(e.reason.contains("found 3"), "{e}");
        assert!("61 * * * *".parse::<Schedule>().is_err());
        assert!("0 0 0 1 1 * 2001".parse::<Schedule>().is_err());
    }

    #[test]
    fn success_waits_for_server_hints_up_to_a_day() {
        let s: Schedule = "*/15 * * * *".parse().unwrap();
        let now = at("2026-03-01T10:00:00Z");
        let plain = after_success(&s, "a", now, None);
        assert!(plain >= at("2026-03-01T10:15:00Z") && plain < at("2026-03-01T10:16:30Z"));
        assert_eq!(
            after_success(&s, "a", now, Some(Duration::minutes(5))),
            plain
        );
        assert_eq!(
            after_success(&s, "a", now, Some(Duration::hours(2))),
            at("2026-03-01T12:00:00Z")
        );
        assert_eq!(
            after_success(&s, "a", now, Some(Duration::days(30))),
            at("2026-03-02T10:00:00Z")
        );
    }

    #[test]
    fn a_late_fetch_is_not_followed_at_once() {
        let s: Schedule = "*/15 * * * *".parse().unwrap();
        // Due at 10:00, run at 10:14: the 10:15 firing would come a minute
        // later; the next fetch waits at least half the interval.
        let late = at("2026-03-01T10:14:00Z");
        assert_eq!(
            after_success(&s, "a", late, None),
            late + Duration::seconds(450)
        );
    }

    #[test]
    fn failures_back_off_exponentially_to_a_day() {
        let s: Schedule = "*/15 * * * *".parse().unwrap();
        let now = at("2026-03-01T10:00:00Z");
        let waits: Vec<i64> = (1..=9)
            .map(|n| (after_failure(&s, "a", now, n, None) - now).num_minutes())
            .collect();
        // 15, 30, 60, ... minutes plus under 10% jitter, capped at 24 h (+10%).
        for (i, w) in waits.iter().enumerate() {
            let base = (15i64 << i).min(1440);
            assert!(
                *w >= base && *w <= base + base / 10,
                "failure {}: {w} min",
                i + 1
            );
        }
        assert_eq!(
            after_failure(&s, "a", now, 1, None),
            after_failure(&s, "a", now, 1, None)
        );
        assert!(after_failure(&s, "a", now, u32::MAX, None) <= now + MAX_WAIT + MAX_WAIT / 10);
    }

    #[test]
    fn huge_retry_after_and_far_dates_are_capped_not_overflowed() {
        let s: Schedule = "*/15 * * * *".parse().unwrap();
        let now = Utc::now();
        for wait in [
            Duration::seconds(9_999_999_999),
            Duration::seconds(10_000_000_000_000),
            Duration::MAX,
        ] {
            let at = after_failure(&s, "a", now, 1, Some(wait));
            assert!(at <= now + MAX_WAIT, "{at}");
            let at = after_success(&s, "a", now, Some(wait));
            assert!(at <= now + MAX_WAIT, "{at}");
        }
        let end = at("9999-12-31T23:00:00Z");
        assert!(after_failure(&s, "a", end, 30, Some(Duration::MAX)) <= end + MAX_WAIT * 2);
    }

    #[test]
    fn retry_after_is_a_floor() {
        let s: Schedule = "*/15 * * * *".parse().unwrap();
        let now = at("2026-03-01T10:00:00Z");
        assert_eq!(
            after_failure(&s, "a", now, 1, Some(Duration::hours(3))),
            at("2026-03-01T13:00:00Z")
        );
        let short = after_failure(&s, "a", now, 1, Some(Duration::seconds(10)));
        assert!(short >= now + Duration::minutes(15));
    }

    #[test]
    fn a_fixed_interval_keeps_jitter_hints_and_backoff() {
        let s = Schedule::every(Duration::minutes(42));
        assert_eq!(s.to_string(), "every 42m");
        let now = at("2026-03-01T10:00:00Z");
        assert_eq!(s.interval(now), Duration::minutes(42));
        let next = after_success(&s, "a", now, None);
        assert!(next >= now + Duration::minutes(42) && next < now + Duration::minutes(47));
        assert_eq!(
            after_success(&s, "a", now, Some(Duration::hours(3))),
            now + Duration::hours(3)
        );
        let retry = after_failure(&s, "a", now, 2, None);
        assert!(retry >= now + Duration::minutes(84), "{retry}");
        assert_eq!(
            after_failure(&s, "a", now, 1, Some(Duration::hours(5))),
            now + Duration::hours(5)
        );
    }

    #[test]
    fn jitter_is_stable_and_bounded() {
        let a = jitter("alpha", Duration::minutes(15));
        assert_eq!(a, jitter("alpha", Duration::minutes(15)));
        assert!(a < Duration::seconds(90));
        assert_ne!(a, jitter("beta", Duration::minutes(15)));
        assert_eq!(jitter("x", Duration::zero()), Duration::zero());
    }
}
