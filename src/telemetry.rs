//! What the daemon counts, for `/metrics` in the Prometheus text format:
//! fetches by source and outcome, fetch durations (each source's sum and
//! count, and one histogram over all sources), items stored, feed
//! renders, HTTP requests by route and status, and content WebSub hubs
//! pushed, by source and outcome. Each event is counted in
//! one place, here.
//!
//! Per-source series are what `/metrics` grows with: at 100,000 sources
//! every line a source adds is 100,000 lines of exposition and a series
//! held in memory, so a source has no buckets of its own (18 lines each
//! with them) and its labels' fixed words are `&'static str`.
//!
//! Depends on nothing inside the crate; `app` records fetches and renders,
//! `serve` records requests and encodes the whole.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FetchLabels {
    source: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabel {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FeedLabel {
    feed: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    status: String,
}

/// How a fetch ended, as the `outcome` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchResult {
    /// New or updated items.
    Changed,
    /// The same items as before.
    Unchanged,
    /// `304 Not Modified`.
    NotModified,
    /// Read, but it listed no items where it had some.
    Warning,
    Error,
}

impl FetchResult {
    fn label(self) -> &'static str {
        match self {
            FetchResult::Changed => "changed",
            FetchResult::Unchanged => "unchanged",
            FetchResult::NotModified => "not_modified",
            FetchResult::Warning => "warning",
            FetchResult::Error => "error",
        }
    }
}

/// One series of the HTTP requests counter (a route and a status), from
/// [`Metrics::request_counter`].
#[derive(Clone, Debug)]
pub struct RequestCounter(Counter);

impl RequestCounter {
    pub fn inc(&self) {
        self.0.inc();
    }
}

/// The daemon's counters, shared by every task.
pub struct Metrics {
    registry: Registry,
    fetches: Family<FetchLabels, Counter>,
    durations: Family<SourceLabel, Histogram>,
    all_durations: Histogram,
    items: Family<SourceLabel, Counter>,
    renders: Family<FeedLabel, Counter>,
    http: Family<HttpLabels, Counter>,
    pushes: Family<FetchLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("tidings");
        let fetches = Family::<FetchLabels, Counter>::default();
        registry.register(
            "fetches",
            "Source fetches by source and outcome",
            fetches.clone(),
        );
        // A histogram without buckets: only the sum and the count (and
        // the `+Inf` bucket, which equals the count), for each source's
        // mean; the distribution is over all sources, below.
        let durations = Family::<SourceLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(std::iter::empty())
        });
        registry.register(
            "fetch_duration_seconds",
            "Time to fetch, parse and store one source: its sum and count, by source",
            durations.clone(),
        );
        // 5 ms to about 80 s: loopback answers to slow sites at the timeout.
        let all_durations = Histogram::new(exponential_buckets(0.005, 2.0, 15));
        registry.register(
            "fetch_duration_all_sources_seconds",
            "Time to fetch, parse and store one source, over all sources",
            all_durations.clone(),
        );
        let items = Family::<SourceLabel, Counter>::default();
        registry.register(
            "items_stored",
            "Items inserted or updated, by source",
            items.clone(),
        );
        let renders = Family::<FeedLabel, Counter>::default();
        registry.register(
            "feed_renders",
            "Feed renders, by feed path: those that changed the served bytes, and those of a source's feed for a reader when its bytes were not kept",
            renders.clone(),
        );
        let http = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            http.clone(),
        );
        let pushes = Family::<FetchLabels, Counter>::default();
        registry.register(
            "websub_pushes",
            "Content WebSub hubs pushed, by source and outcome (accepted, or ignored: a signature that does not match, or unreadable content)",
            pushes.clone(),
        );
        Metrics {
            registry,
            fetches,
            durations,
            all_durations,
            items,
            renders,
            http,
            pushes,
        }
    }

    /// Counts one fetch of `source`, its outcome, duration, and the items
    /// it stored (new plus updated).
    pub fn fetched(&self, source: &str, result: FetchResult, took: Duration, stored: usize) {
        self.fetches
            .get_or_create(&FetchLabels {
                source: source.to_string(),
                outcome: result.label(),
            })
            .inc();
        let label = SourceLabel {
            source: source.to_string(),
        };
        let took = took.as_secs_f64();
        self.durations.get_or_create(&label).observe(took);
        self.all_durations.observe(took);
        self.items.get_or_create(&label).inc_by(stored as u64);
    }

    /// Counts a render of the feed at `path` (`feeds/all`) that changed it,
    /// or that a reader asked for (`sources/ID`, not kept).
    pub fn rendered(&self, path: &str) {
        self.renders
            .get_or_create(&FeedLabel {
                feed: path.to_string(),
            })
            .inc();
    }

    /// Counts one HTTP request answered on `route` (the route pattern, not
    /// the path, so ids cannot grow the series without bound).
    pub fn request(&self, route: &str, status: u16) {
        self.http
            .get_or_create(&HttpLabels {
                route: route.to_string(),
                status: status.to_string(),
            })
            .inc();
    }

    /// The counter [`Metrics::request`] increments for `route` and
    /// `status`, for a caller that counts the same pair often: it then only
    /// increments it, with no labels to build and look up. The series
    /// appears in `/metrics` once this is called.
    pub fn request_counter(&self, route: &str, status: u16) -> RequestCounter {
        RequestCounter(
            self.http
                .get_or_create(&HttpLabels {
                    route: route.to_string(),
                    status: status.to_string(),
                })
                .clone(),
        )
    }

    /// Counts content a hub pushed for `source` (a configured source: the
    /// label set stays bounded), and the items it stored.
    pub fn pushed(&self, source: &str, accepted: bool, stored: usize) {
        self.pushes
            .get_or_create(&FetchLabels {
                source: source.to_string(),
                outcome: if accepted { "accepted" } else { "ignored" },
            })
            .inc();
        self.items
            .get_or_create(&SourceLabel {
                source: source.to_string(),
            })
            .inc_by(stored as u64);
    }

    /// Everything, in the Prometheus text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_series() {
        let m = Metrics::new();
        m.fetched("wsws", FetchResult::Changed, Duration::from_millis(30), 3);
        m.rendered("feeds/all");
        m.request("/feeds/{name}", 200);
        let text = m.encode();
        for needle in [
            "tidings_fetches_total{source=\"wsws\",outcome=\"changed\"} 1",
            "tidings_fetch_duration_seconds_count{source=\"wsws\"} 1",
            "tidings_fetch_duration_seconds_sum{source=\"wsws\"} 0.03",
            "tidings_fetch_duration_all_sources_seconds_bucket{le=\"0.04\"} 1",
            "tidings_fetch_duration_all_sources_seconds_count 1",
            "tidings_items_stored_total{source=\"wsws\"} 3",
            "tidings_feed_renders_total{feed=\"feeds/all\"} 1",
            "tidings_http_requests_total{route=\"/feeds/{name}\",status=\"200\"} 1",
            "# EOF",
        ] {
            assert!(text.contains(needle), "{needle} not in\n{text}");
        }
    }

    #[test]
    fn a_source_adds_few_lines() {
        let m = Metrics::new();
        let lines = |m: &Metrics| m.encode().lines().count();
        m.fetched("a", FetchResult::Changed, Duration::from_millis(30), 3);
        let one = lines(&m);
        m.fetched("b", FetchResult::NotModified, Duration::from_secs(2), 0);
        // Its fetches, its items and its duration's sum, count and +Inf
        // bucket: no buckets of its own.
        assert_eq!(lines(&m) - one, 5, "{}", m.encode());
    }
}
