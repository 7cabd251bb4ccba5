//! Feeds on request: a declared feed narrowed by query parameters,
//! `/feeds/{id}.{rss,atom,json}?limit=&include=&exclude=&tags=&sources=`.
//!
//! [`parse`] reads and checks the query into a [`FeedQuery`] (a bad one is a
//! [`BadParameter`], answered 400 naming it); `app` renders it (through
//! [`super::OnDemand::query`]), and [`Queries`] keeps the
//! [`QUERIES_KEPT`] renders read most recently, keyed by the feed, format
//! and the query in canonical form (parameters in a fixed order, lists
//! sorted and without repeats), so `?tags=b,a` and `?tags=a,b` are one
//! entry with one ETag. A render of a feed drops its kept queries.
//!
//! Bounds: at most [`MAX_LIMIT`] items, [`MAX_PATTERNS`] patterns per
//! parameter of at most [`MAX_PATTERN`] bytes each, compiled within
//! [`MAX_REGEX_SIZE`] (the `regex` crate matches in linear time), a query
//! of at most [`MAX_QUERY`] bytes, and [`RENDERS`] renders at a time.
//!
//! A child of `serve`; uses `rules` to compile the patterns.

use super::{FORMATS, Rendered, Shared, answer, not_found};
use crate::rules;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lru::LruCache;
use regex::Regex;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Most items a feed on request may ask for.
pub const MAX_LIMIT: usize = 500;
/// Longest pattern, in bytes.
pub const MAX_PATTERN: usize = 256;
/// Patterns per parameter (`include`, `exclude`).
pub const MAX_PATTERNS: usize = 8;
/// Largest compiled program of a pattern.
pub const MAX_REGEX_SIZE: usize = 1 << 18;
/// Longest query string, in bytes.
pub const MAX_QUERY: usize = 4096;
/// Renders on request kept.
pub const QUERIES_KEPT: NonZeroUsize = NonZeroUsize::new(64).expect("not zero");
/// Renders on request running at once; more wait.
pub const RENDERS: usize = 2;

/// The parameters a feed on request takes.
const PARAMETERS: &str = "limit, include, exclude, tags or sources";

/// A checked query: each list sorted and without repeats.
#[derive(Debug, Clone, Default)]
pub struct FeedQuery {
    pub limit: Option<usize>,
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
    pub tags: Vec<String>,
    pub sources: Vec<String>,
}

impl FeedQuery {
    /// The query in canonical form: parameters in alphabetical order,
    /// lists sorted, form-encoded.
    pub fn canonical(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for r in &self.exclude {
            out.append_pair("exclude", r.as_str());
        }
        for r in &self.include {
            out.append_pair("include", r.as_str());
        }
        if let Some(limit) = self.limit {
            out.append_pair("limit", &limit.to_string());
        }
        if !self.sources.is_empty() {
            out.append_pair("sources", &self.sources.join(","));
        }
        if !self.tags.is_empty() {
            out.append_pair("tags", &self.tags.join(","));
        }
        out.finish()
    }

    /// Whether an item whose filter text is `text` passes `include` (any
    /// of them, when given) and `exclude` (none of them).
    pub fn keeps(&self, text: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|r| r.is_match(text)))
            && !self.exclude.iter().any(|r| r.is_match(text))
    }

    /// Whether it has `include` or `exclude` patterns.
    pub fn filters(&self) -> bool {
        !self.include.is_empty() || !self.exclude.is_empty()
    }
}

/// A parameter refused, and why: answered `400` with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {why}")]
pub struct BadParameter {
    pub param: String,
    pub why: String,
}

impl BadParameter {
    pub fn new(param: &str, why: impl Into<String>) -> BadParameter {
        BadParameter {
            param: param.to_string(),
            why: why.into(),
        }
    }
}

/// Reads a query string (without the `?`). `include` and `exclude` may
/// repeat (an item passes when it matches any `include`); `tags` and
/// `sources` are comma-separated and may repeat; `limit` is one number from
/// 1 to [`MAX_LIMIT`].
///
/// Fails naming the first parameter that is unknown, empty, repeated
/// (`limit`) or invalid.
pub fn parse(query: &str) -> Result<FeedQuery, BadParameter> {
    if query.len() > MAX_QUERY {
        return Err(BadParameter::new(
            "(query)",
            format!("{} bytes long; at most {MAX_QUERY}", query.len()),
        ));
    }
    let mut q = FeedQuery::default();
    let (mut include, mut exclude) = (Vec::new(), Vec::new());
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        // Patterns are taken as given (a space may matter); the rest trimmed.
        let pattern = value.as_ref();
        let value = value.trim();
        match name.as_ref() {
            "limit" => {
                if q.limit.is_some() {
                    return Err(BadParameter::new("limit", "given more than once"));
                }
                q.limit = Some(match value.parse::<usize>() {
                    Ok(0) => return Err(BadParameter::new("limit", "must be at least 1")),
                    Ok(n) if n > MAX_LIMIT => {
                        return Err(BadParameter::new(
                            "limit",
                            format!("{n} is more than {MAX_LIMIT}"),
                        ));
                    }
                    Ok(n) => n,
                    Err(_) => {
                        return Err(BadParameter::new(
                            "limit",
                            format!("{value:?} is not a whole number"),
                        ));
                    }
                });
            }
            "include" => include.push(pattern.to_string()),
            "exclude" => exclude.push(pattern.to_string()),
            "tags" => q.tags.extend(list("tags", value)?),
            "sources" => q.sources.extend(list("sources", value)?),
            other => {
                return Err(BadParameter::new(
                    other,
                    format!("unknown parameter; expected {PARAMETERS}"),
                ));
            }
        }
    }
    q.include = patterns("include", include)?;
    q.exclude = patterns("exclude", exclude)?;
    for list in [&mut q.tags, &mut q.sources] {
        list.sort();
        list.dedup();
    }
    Ok(q)
}

/// A comma-separated list, without empty entries; refused when none is left.
fn list(param: &str, value: &str) -> Result<Vec<String>, BadParameter> {
    let names: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    if names.is_empty() {
        return Err(BadParameter::new(param, "empty: name at least one"));
    }
    Ok(names)
}

/// The patterns of one parameter compiled, sorted, without repeats.
fn patterns(param: &str, mut given: Vec<String>) -> Result<Vec<Regex>, BadParameter> {
    given.sort();
    given.dedup();
    if given.len() > MAX_PATTERNS {
        return Err(BadParameter::new(
            param,
            format!("{} patterns; at most {MAX_PATTERNS}", given.len()),
        ));
    }
    given
        .iter()
        .map(|p| {
            if p.is_empty() {
                return Err(BadParameter::new(param, "empty pattern"));
            }
            rules::regex(p, MAX_PATTERN, MAX_REGEX_SIZE)
                .map_err(|e| BadParameter::new(param, e.to_string()))
        })
        .collect()
}

/// What `app` makes of a feed on request.
#[derive(Debug)]
pub enum Answer {
    Rendered(Rendered),
    /// No feed has the id (or the format is unknown).
    NoFeed,
    /// A parameter names what the feed does not have (a source, a tag).
    Refused(BadParameter),
    /// The store could not be read.
    Unavailable,
}

/// The renders on request kept, and the bound on renders at once.
pub struct Queries {
    // A std mutex: held only to look up, insert or drop entries.
    kept: Mutex<Kept>,
    renders: Semaphore,
}

struct Kept {
    lru: LruCache<String, Arc<Rendered>>,
    /// Counts [`Queries::forget`] calls: a render that began before one
    /// may hold items read before the change, and is not kept.
    generation: u64,
}

impl Default for Queries {
    fn default() -> Queries {
        Queries {
            kept: Mutex::new(Kept {
                lru: LruCache::new(QUERIES_KEPT),
                generation: 0,
            }),
            renders: Semaphore::new(RENDERS),
        }
    }
}

impl Queries {
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops every kept render of the feed `id`: its items changed.
    pub fn forget(&self, id: &str) {
        let prefix = format!("feeds/{id}.");
        let mut kept = self.lock();
        let gone: Vec<String> = kept
            .lru
            .iter()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect();
        for k in gone {
            kept.lru.pop(&k);
        }
        kept.generation += 1;
    }

    fn get(&self, key: &str) -> Option<Arc<Rendered>> {
        self.lock().lru.get(key).cloned()
    }

    fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Keeps a render begun at `generation`, unless a feed changed since.
    fn keep(&self, generation: u64, key: String, rendered: Arc<Rendered>) {
        let mut kept = self.lock();
        if kept.generation == generation {
            kept.lru.put(key, rendered);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().lru.len()
    }
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The answer to `GET /feeds/{name}?{query}`: the declared feed `name`
/// (`all.rss`) must be served; its kept render for the canonical query,
/// else one rendered now; with ETag, Last-Modified and 304s as for the
/// declared feed.
pub(super) async fn respond(
    shared: &Shared,
    name: &str,
    query: &str,
    headers: &HeaderMap,
) -> Response {
    let Some((id, ext)) = name.rsplit_once('.').filter(|(_, e)| FORMATS.contains(e)) else {
        return not_found("feed", name);
    };
    if shared.feeds.get(&format!("feeds/{name}")).is_none() {
        return not_found("feed", name);
    }
    let parsed = match parse(query) {
        Ok(q) => q,
        Err(e) => return text(StatusCode::BAD_REQUEST, format!("bad parameter {e}\n")),
    };
    let key = format!("feeds/{name}?{}", parsed.canonical());
    let base = format!("feeds/{id}");
    if let Some(r) = shared.queries.get(&key) {
        return answer(&shared.feeds, &r, &base, headers);
    }
    let Ok(_slot) = shared.queries.renders.acquire().await else {
        return text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n".into());
    };
    // Another request may have rendered it while this one waited.
    if let Some(r) = shared.queries.get(&key) {
        return answer(&shared.feeds, &r, &base, headers);
    }
    let generation = shared.queries.generation();
    match shared.on_demand.query(id, ext, &parsed).await {
        Answer::Rendered(r) => {
            let r = Arc::new(r);
            shared.queries.keep(generation, key, r.clone());
            answer(&shared.feeds, &r, &base, headers)
        }
        Answer::NoFeed => not_found("feed", name),
        Answer::Refused(e) => text(StatusCode::BAD_REQUEST, format!("bad parameter {e}\n")),
        Answer::Unavailable => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the store does not answer; try again later\n".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(query: &str) -> BadParameter {
        parse(query).unwrap_err()
    }

    #[test]
    fn queries_have_one_canonical_form() {
        let a = parse("tags=b,a&include=(?i)x&limit=5&include=y&sources=s").unwrap();
        let b = parse("sources=s&include=y&tags=a&tags=b,a&limit=5&include=(?i)x").unwrap();
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(
            a.canonical(),
            "include=%28%3Fi%29x&include=y&limit=5&sources=s&tags=a%2Cb"
        );
        assert_eq!(parse("").unwrap().canonical(), "");
        // Form encoding: `+` is a space, `%2B` a plus; patterns keep their
        // spaces.
        let q = parse("include=+war+&exclude=a%2B").unwrap();
        assert_eq!(q.include[0].as_str(), " war ");
        assert_eq!(q.exclude[0].as_str(), "a+");
        assert!(a.keeps("X marks") && !a.keeps("nothing"));
    }

    #[test]
    fn bad_parameters_are_named() {
        assert_eq!(refused("limit=0").param, "limit");
        assert_eq!(refused("limit=ten").why, "\"ten\" is not a whole number");
        assert_eq!(refused("limit=501").param, "limit");
        assert_eq!(refused("limit=1&limit=2").why, "given more than once");
        assert_eq!(refused("include=(").param, "include");
        assert!(refused("exclude=[z-a]").why.contains("invalid regex"));
        assert_eq!(refused("include=").why, "empty pattern");
        assert_eq!(refused("tags=,").param, "tags");
        let long = format!("include={}", "a".repeat(MAX_PATTERN + 1));
        assert!(refused(&long).why.contains("at most 256"), "{long}");
        let many: Vec<String> = (0..=MAX_PATTERNS)
            .map(|i| format!("exclude=p{i}"))
            .collect();
        assert_eq!(refused(&many.join("&")).param, "exclude");
        let e = refused("utm_source=x");
        assert_eq!(e.param, "utm_source");
        assert!(e.why.starts_with("unknown parameter"), "{e}");
        assert_eq!(refused(&"a".repeat(MAX_QUERY + 1)).param, "(query)");
        // A pattern whose program is too large.
        assert!(refused(r"include=\w{500}").why.contains("size limit"));
    }

    #[test]
    fn a_change_drops_the_feeds_renders_and_renders_begun_before_it() {
        let q = Queries::default();
        let r = || {
            Arc::new(Rendered::new(
                "application/rss+xml",
                vec![1],
                chrono::Utc::now(),
            ))
        };
        let g = q.generation();
        q.keep(g, "feeds/all.rss?limit=1".into(), r());
        q.keep(g, "feeds/all2.rss?limit=1".into(), r());
        assert_eq!(q.len(), 2);
        q.forget("all");
        assert!(q.get("feeds/all.rss?limit=1").is_none());
        assert!(q.get("feeds/all2.rss?limit=1").is_some());
        // Begun before the change: not kept.
        q.keep(g, "feeds/all.rss?limit=2".into(), r());
        assert!(q.get("feeds/all.rss?limit=2").is_none());
        for i in 0..QUERIES_KEPT.get() + 5 {
            q.keep(q.generation(), format!("feeds/x.rss?limit={i}"), r());
        }
        assert_eq!(q.len(), QUERIES_KEPT.get());
    }
}
