//! Fixed 15-minute polling against `schedule = "adaptive"`, on publishing
//! histories this program generates: bursty news sites, daily blogs,
//! occasional blogs and dormant feeds. Both schedules go through the
//! product's own functions (`tidings::schedule::after_success`, and
//! `tidings::schedule::adaptive::learn` for the adaptive one), polling each
//! source as the daemon would, over 30 days.
//!
//! Printed: per kind of source and for the mix, the requests made, the new
//! items fetched, requests per new item, and the median and 95th
//! percentile delay from an item's publication to the poll that fetched
//! it. Run: `cargo run --example adaptive` (about ten seconds on a debug
//! build; the figures are counts, not timings, so the build profile does
//! not change them). `--seed N` picks another history; `--json` prints the
//! figures as JSON as well.

use chrono::{DateTime, Duration, TimeZone, Utc};
use tidings::Schedule;
use tidings::schedule::adaptive::{self, Bounds, Poll};
use tidings::schedule::after_success;

/// splitmix64: a small, well-mixed generator, so a seed gives the same
/// histories everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Exponential with the given mean.
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    /// Roughly normal (the sum of 12 uniforms), mean 0, deviation 1.
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Stories in bursts through the day (06:00–23:00), few at night.
    News,
    /// One post most days, near the same hour.
    Daily,
    /// A post or two a week.
    Occasional,
    /// Nothing, or one post, in the whole period.
    Dormant,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::News => "bursty news",
            Kind::Daily => "daily blogs",
            Kind::Occasional => "occasional blogs",
            Kind::Dormant => "dormant feeds",
        }
    }
}

const DAYS: i64 = 30;
/// Published before the simulation starts: the back catalogue the first
/// poll finds.
const BEFORE: i64 = 7;

/// Publication times (seconds from the start; negative before it) of one
/// source of `kind`.
fn history(kind: Kind, rng: &mut Rng) -> Vec<f64> {
    let (from, to) = (-BEFORE as f64 * 86_400.0, DAYS as f64 * 86_400.0);
    let mut out = Vec::new();
    match kind {
        Kind::News => {
            // Bursts: 1.2 an hour by day, 0.1 by night; each 1 + a
            // geometric number of stories (mean 3 in all), 4 minutes apart
            // on average.
            let mut t = from;
            loop {
                let hour = (t.rem_euclid(86_400.0)) / 3600.0;
                let rate = if (6.0..23.0).contains(&hour) {
                    1.2
                } else {
                    0.1
                };
                t += rng.exp(3600.0 / rate);
                if t >= to {
                    break;
                }
                let mut at = t;
                out.push(at);
                while rng.unit() < 2.0 / 3.0 {
                    at += rng.exp(240.0);
                    out.push(at);
                }
            }
        }
        Kind::Daily => {
            let hour = 7.0 + rng.unit() * 12.0;
            for day in -BEFORE..DAYS {
                if rng.unit() < 0.2 {
                    continue;
                }
                let at = day as f64 * 86_400.0 + (hour + rng.normal()) * 3600.0;
                out.push(at);
            }
        }
        Kind::Occasional => {
            let mut t = from;
            loop {
                t += rng.exp(7.0 * 86_400.0 / 1.5);
                if t >= to {
                    break;
                }
                out.push(t);
            }
        }
        Kind::Dormant => {
            out.push(from + rng.unit() * 86_400.0);
            if rng.unit() < 0.3 {
                out.push(rng.unit() * to);
            }
        }
    }
    out.sort_by(f64::total_cmp);
    out.retain(|t| *t < to);
    out
}

/// What polling one source gave.
#[derive(Default, Clone)]
struct Outcome {
    requests: u64,
    items: u64,
    /// Minutes from publication to the poll that fetched the item.
    delays: Vec<f64>,
}

impl Outcome {
    fn add(&mut self, other: &Outcome) {
        self.requests += other.requests;
        self.items += other.items;
        self.delays.extend_from_slice(&other.delays);
    }
}

/// Polls a source publishing at `published` from the start to the end of
/// the period; `next` gives the next poll after one at `at` that found
/// `new` items. Requests are counted within the period; polling goes on
/// past it only to fetch what was published in it.
fn poll(
    published: &[f64],
    start: DateTime<Utc>,
    mut next: impl FnMut(DateTime<Utc>, u32) -> DateTime<Utc>,
) -> Outcome {
    let secs = |t: DateTime<Utc>| (t - start).num_milliseconds() as f64 / 1000.0;
    let end = DAYS as f64 * 86_400.0;
    let mut out = Outcome::default();
    let mut at = start;
    let mut seen = 0usize;
    loop {
        let now = secs(at);
        let upto = published.partition_point(|p| *p <= now);
        let new = upto - seen;
        for p in &published[seen..upto] {
            if *p >= 0.0 {
                out.items += 1;
                out.delays.push((now - p) / 60.0);
            }
        }
        seen = upto;
        if now < end {
            out.requests += 1;
        } else if seen == published.len() {
            break;
        }
        at = next(at, u32::try_from(new).unwrap_or(u32::MAX));
    }
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

struct Row {
    name: String,
    sources: usize,
    fixed: Outcome,
    adaptive: Outcome,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed = args
        .iter()
        .position(|a| a == "--seed")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(2026u64);
    let json = args.iter().any(|a| a == "--json");
    let mix = [
        (Kind::News, 10),
        (Kind::Daily, 30),
        (Kind::Occasional, 30),
        (Kind::Dormant, 30),
    ];
    let bounds = Bounds {
        min: Duration::minutes(10),
        max: Duration::hours(24),
    };
    let fixed: Schedule = "*/15 * * * *".parse().expect("a valid cron expression");
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
    let mut rng = Rng(seed);
    let mut rows: Vec<Row> = Vec::new();
    for (kind, count) in mix {
        let mut row = Row {
            name: kind.name().to_string(),
            sources: count,
            fixed: Outcome::default(),
            adaptive: Outcome::default(),
        };
        for n in 0..count {
            let id = format!("{kind:?}-{n}");
            let published = history(kind, &mut rng);
            row.fixed.add(&poll(&published, start, |at, _| {
                after_success(&fixed, &id, at, None)
            }));
            let mut polls: Vec<Poll> = Vec::new();
            row.adaptive.add(&poll(&published, start, |at, new_items| {
                polls.push(Poll { at, new_items });
                if polls.len() > adaptive::HISTORY {
                    polls.remove(0);
                }
                let every = adaptive::learn(&polls, at, bounds);
                after_success(&Schedule::every(every), &id, at, None)
            }));
        }
        rows.push(row);
    }
    let mut all = Row {
        name: "the mix".into(),
        sources: rows.iter().map(|r| r.sources).sum(),
        fixed: Outcome::default(),
        adaptive: Outcome::default(),
    };
    for r in &rows {
        all.fixed.add(&r.fixed);
        all.adaptive.add(&r.adaptive);
    }
    rows.push(all);

    println!(
        "30 days, seed {seed}; adaptive bounds 10m..24h; delays in minutes (publication → fetched)\n"
    );
    println!(
        "| sources | items | fixed 15 min: requests | req/item | median | p95 | adaptive: requests | req/item | median | p95 | fewer requests |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut figures = Vec::new();
    for r in &mut rows {
        r.fixed.delays.sort_by(f64::total_cmp);
        r.adaptive.delays.sort_by(f64::total_cmp);
        let per = |o: &Outcome| o.requests as f64 / o.items.max(1) as f64;
        let (fm, f95) = (
            percentile(&r.fixed.delays, 0.5),
            percentile(&r.fixed.delays, 0.95),
        );
        let (am, a95) = (
            percentile(&r.adaptive.delays, 0.5),
            percentile(&r.adaptive.delays, 0.95),
        );
        let fewer = r.fixed.requests as f64 / r.adaptive.requests.max(1) as f64;
        println!(
            "| {} ({}) | {} | {} | {:.1} | {:.1} | {:.1} | {} | {:.1} | {:.1} | {:.1} | {:.1}× |",
            r.name,
            r.sources,
            r.fixed.items,
            r.fixed.requests,
            per(&r.fixed),
            fm,
            f95,
            r.adaptive.requests,
            per(&r.adaptive),
            am,
            a95,
            fewer
        );
        figures.push(format!(
            "{{\"kind\":{:?},\"sources\":{},\"items\":{},\"fixed\":{{\"requests\":{},\"median\":{fm:.2},\"p95\":{f95:.2}}},\"adaptive\":{{\"requests\":{},\"median\":{am:.2},\"p95\":{a95:.2}}}}}",
            r.name, r.sources, r.fixed.items, r.fixed.requests, r.adaptive.requests
        ));
    }
    if json {
        println!("\n[{}]", figures.join(","));
    }
}
