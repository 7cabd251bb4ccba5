//! The HTTP side: rendered feeds, the index page and the OPML list served
//! from memory with strong ETags, Last-Modified, 304s, HEAD and gzip/br
//! bodies compressed once per rendered version.
//!
//! Also `/healthz` (asking `app` through the [`Health`] trait), `/metrics`
//! (the [`Metrics`] every request is counted in), and the WebSub
//! subscriber's callback `/websub/{source}` (`websub`, asking `app`
//! through the [`Callbacks`] trait).
//!
//! Feeds on request (`/feeds/{id}.rss?limit=…`) are `query`'s.
//!
//! Depends only on `model`-level data and `telemetry` (and `rules` for
//! query patterns): `app` renders feeds and puts the bytes into the shared
//! [`Feeds`] table; this module never touches the store.
//!
//! This file holds the routes and the traits `app` implements; `feeds`
//! owns the table of rendered bytes, `respond` the answers from it
//! (conditional requests, encodings), `conn` the accept loop and its
//! connection limits.

mod conn;
mod feeds;
mod query;
mod respond;
mod websub;

pub use conn::{Limits, run};
pub use feeds::{Feeds, Put, Rendered};
pub use query::{Answer, BadParameter, FeedQuery, Queries};
use respond::{answer, answer_bytes, not_found, respond, respond_path};
pub use websub::{Callbacks, Delivery, Intent};

use crate::telemetry::{Metrics, RequestCounter};
use axum::Router;
use axum::extract::{MatchedPath, Path, RawQuery, Request, State};
use axum::http::{self, HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

/// Whether the daemon is fit to serve: `app` answers for the store and the
/// scheduler.
#[async_trait::async_trait]
pub trait Health: Send + Sync {
    async fn healthy(&self) -> bool;
}

/// Renders an on-demand path (a source's feed) into [`Feeds::keep`] when
/// a reader asks for it and its bytes are not kept; `app` implements it.
#[async_trait::async_trait]
pub trait OnDemand: Send + Sync {
    /// Renders the feed at `base` (`sources/ID`) in every format; false
    /// when there is no such feed.
    async fn render(&self, base: &str) -> bool;

    /// The HTML page of the local article at `path` in the `files` source
    /// `source`; `None` when there is none.
    async fn article(&self, source: &str, path: &str) -> Option<String>;

    /// Renders the feed `id` in the format `ext` (`rss`) narrowed by
    /// `query` (see `query`).
    async fn query(&self, id: &str, ext: &str, query: &FeedQuery) -> Answer;

    /// The index page, rendered when none is held; `None` when it cannot
    /// be rendered.
    async fn index(&self) -> Option<Arc<Rendered>>;
}

/// What the routes share.
#[derive(Clone)]
pub struct Shared {
    pub feeds: Arc<Feeds>,
    pub metrics: Arc<Metrics>,
    pub health: Arc<dyn Health>,
    pub on_demand: Arc<dyn OnDemand>,
    /// When set, the index page, `/opml` and `/metrics` need
    /// `Authorization: Bearer TOKEN`; swapped on reload.
    pub admin_token: Arc<RwLock<Option<String>>>,
    /// The WebSub subscriptions behind `/websub/{source}`.
    pub callbacks: Arc<dyn Callbacks>,
    /// Feeds on request kept, dropped by `app` when their feed changes.
    pub queries: Arc<Queries>,
}

/// The path in [`Feeds`] of the index page (`GET /`).
pub const INDEX: &str = "index.html";

/// The path in [`Feeds`] of the sources' OPML (`GET /opml`).
pub const OPML: &str = "opml";

/// The route patterns, as the router matches them and `/metrics` labels
/// requests.
mod routes {
    pub const INDEX: &str = "/";
    pub const OPML: &str = "/opml";
    pub const METRICS: &str = "/metrics";
    pub const FEED: &str = "/feeds/{name}";
    pub const ARCHIVE: &str = "/feeds/{id}/archive/{page}";
    pub const SOURCE: &str = "/sources/{name}";
    pub const ARTICLE: &str = "/articles/{source}/{*path}";
    pub const HEALTHZ: &str = "/healthz";
    pub const WEBSUB: &str = "/websub/{source}";
    pub const ALL: [&str; 9] = [
        INDEX, OPML, METRICS, FEED, ARCHIVE, SOURCE, ARTICLE, HEALTHZ, WEBSUB,
    ];
}

/// What [`run`] serves: every route through the router, except the
/// answers readers ask for all the time, which [`Service::at_once`] makes
/// without it.
#[derive(Clone)]
pub struct Service {
    router: Router,
    shared: Arc<Shared>,
    counters: Arc<Counters>,
}

/// The service for every route this module serves.
pub fn router(shared: Shared) -> Service {
    // One `Arc` as the state: axum clones the state for every request
    // (with every service wrapping a route), and `Shared` is seven.
    let shared = Arc::new(shared);
    let admin = Router::new()
        .route(routes::INDEX, get(index_route))
        .route(routes::OPML, get(opml_route))
        .route(routes::METRICS, get(metrics))
        .route_layer(axum::middleware::from_fn_with_state(shared.clone(), guard));
    let counters = Arc::new(Counters::new(shared.metrics.clone()));
    let router = Router::new()
        .merge(admin)
        .route(routes::FEED, get(feed_route))
        .route(routes::ARCHIVE, get(archive_route))
        .route(routes::SOURCE, get(source_route))
        .route(routes::ARTICLE, get(article_route))
        .route(routes::HEALTHZ, get(healthz))
        .route(routes::WEBSUB, get(websub::verify).post(websub::deliver))
        .fallback(unmatched)
        .layer(axum::middleware::from_fn_with_state(
            counters.clone(),
            count,
        ))
        .with_state(shared.clone());
    Service {
        router,
        shared,
        counters,
    }
}

impl Service {
    /// The answer to a `GET` of a feed or a source's feed whose bytes are
    /// in memory (`/feeds/all.rss`, `/sources/ID.atom`, no query), made
    /// and counted as its route would, without the router: nearly every
    /// request a feed reader makes is one, and the router's matching, path
    /// extraction, middleware and boxed bodies cost more than the answer.
    /// `None` for anything else, which the router answers (a name to
    /// decode, a source's feed to render first, a miss's 404).
    fn at_once<B>(&self, req: &http::Request<B>) -> Option<http::Response<Bytes>> {
        if req.method() != Method::GET || req.uri().query().is_some() {
            return None;
        }
        // `feeds/NAME.EXT`: the path in `Feeds`, as the routes make it.
        let path = req.uri().path().strip_prefix('/')?;
        let route = if path.starts_with("feeds/") {
            routes::FEED
        } else if path.starts_with("sources/") {
            routes::SOURCE
        } else {
            return None;
        };
        let (_, name) = path.split_once('/')?;
        if name.contains(['/', '%']) {
            return None;
        }
        let (base, ext) = path.rsplit_once('.')?;
        if !FORMATS.contains(&ext) {
            return None;
        }
        let r = self.shared.feeds.get(path)?;
        let resp = answer_bytes(&self.shared.feeds, &r, base, req.headers());
        self.counters.count(Some(route), resp.status());
        Some(resp)
    }
}

/// The counters of requests by route and status. Those of the answers
/// feed readers get all the time (200 and 304) on each route are resolved
/// on their first use and then only incremented; any other answer is
/// counted through its labels.
struct Counters {
    metrics: Arc<Metrics>,
    /// By route pattern: the counters of its 200s and of its 304s.
    routes: HashMap<&'static str, [OnceLock<RequestCounter>; 2]>,
}

impl Counters {
    fn new(metrics: Arc<Metrics>) -> Counters {
        let routes = routes::ALL
            .iter()
            .map(|r| (*r, [OnceLock::new(), OnceLock::new()]))
            .collect();
        Counters { metrics, routes }
    }

    fn count(&self, route: Option<&str>, status: StatusCode) {
        let route = route.unwrap_or("unmatched");
        let slot = match status {
            StatusCode::OK => 0,
            StatusCode::NOT_MODIFIED => 1,
            _ => return self.metrics.request(route, status.as_u16()),
        };
        match self.routes.get(route) {
            Some(counters) => counters[slot]
                .get_or_init(|| self.metrics.request_counter(route, status.as_u16()))
                .inc(),
            None => self.metrics.request(route, status.as_u16()),
        }
    }
}

/// The admin token's check: 401 with a Bearer challenge unless the
/// request carries the token (compared in constant time).
async fn guard(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let wanted = shared
        .admin_token
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    if let Some(wanted) = wanted {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default()
            .trim();
        let same = given.len() == wanted.len()
            && given
                .bytes()
                .zip(wanted.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return (
                StatusCode::UNAUTHORIZED,
                [
                    (header::WWW_AUTHENTICATE, "Bearer realm=\"tidings\""),
                    (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                ],
                "this page needs the admin token: Authorization: Bearer TOKEN\n",
            )
                .into_response();
        }
    }
    next.run(req).await
}

/// Counts each request by route pattern and status.
async fn count(State(counters): State<Arc<Counters>>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let resp = next.run(req).await;
    counters.count(route.as_ref().map(MatchedPath::as_str), resp.status());
    resp
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    let text = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    if shared.health.healthy().await {
        (StatusCode::OK, text, "ok\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            text,
            "unhealthy: the store or the scheduler does not answer\n",
        )
            .into_response()
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.metrics.encode(),
    )
        .into_response()
}

// The routes answering from `Feeds` take the request itself for its
// headers: the `HeaderMap` extractor would copy them for every request.

async fn index_route(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let page = match shared.feeds.get(INDEX) {
        Some(page) => Some(page),
        None => shared.on_demand.index().await,
    };
    match page {
        Some(page) => answer(&shared.feeds, &page, "index", req.headers()),
        None => not_found("page", "/"),
    }
}

async fn opml_route(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    respond_path(&shared.feeds, OPML, req.headers()).unwrap_or_else(|| not_found("page", "/opml"))
}

async fn feed_route(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    req: Request,
) -> Response {
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        return query::respond(&shared, &name, &query, req.headers()).await;
    }
    respond(&shared.feeds, "feeds", &name, req.headers())
}

/// A page of a feed's RFC 5005 archive (`/feeds/all/archive/3.atom`),
/// read from the store when a reader asks and its bytes are not kept.
async fn archive_route(
    State(shared): State<Arc<Shared>>,
    Path((id, page)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let name = format!("{id}/archive/{page}");
    let Some((n, ext)) = page.rsplit_once('.') else {
        return not_found("archive page", &name);
    };
    if !FORMATS.contains(&ext) || n.parse::<u64>().is_err() {
        return not_found("archive page", &name);
    }
    let path = format!("feeds/{name}");
    if shared.feeds.get(&path).is_none() {
        shared
            .on_demand
            .render(&format!("feeds/{id}/archive/{n}"))
            .await;
    }
    respond_path(&shared.feeds, &path, &headers).unwrap_or_else(|| {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("no archive page {n} of a feed named {id:?} (a page exists once it is full)\n"),
        )
            .into_response()
    })
}

async fn source_route(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    req: Request,
) -> Response {
    // Checked before rendering: a request for `ID.xyz` must not make the
    // source's feeds be rendered (from the store) only to answer 404.
    let Some((_, ext)) = name.rsplit_once('.') else {
        return not_found("source", &name);
    };
    if !FORMATS.contains(&ext) {
        return not_found("source", &name);
    }
    let path = format!("sources/{name}");
    let base_path = &path[..path.len() - ext.len() - 1];
    let rendered = match shared.feeds.get(&path) {
        Some(r) => Some(r),
        None => {
            shared.on_demand.render(base_path).await;
            shared.feeds.get(&path)
        }
    };
    match rendered {
        Some(r) => answer(&shared.feeds, &r, base_path, req.headers()),
        None => not_found("source", &name),
    }
}

async fn article_route(
    State(shared): State<Arc<Shared>>,
    Path((source, path)): Path<(String, String)>,
) -> Response {
    match shared.on_demand.article(&source, &path).await {
        Some(page) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "max-age=60"),
            ],
            page,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("no article {path:?} in a files source named {source:?}\n"),
        )
            .into_response(),
    }
}

/// The extensions of the formats every feed is served in.
const FORMATS: [&str; 3] = ["rss", "atom", "json"];

/// A path no route serves: a short text, like an unknown id's.
async fn unmatched() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found: see / for the feeds served here\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts `at_once` never asks: no health, no renders, no
    /// subscriptions.
    struct Nothing;

    #[async_trait::async_trait]
    impl Health for Nothing {
        async fn healthy(&self) -> bool {
            false
        }
    }

    #[async_trait::async_trait]
    impl OnDemand for Nothing {
        async fn render(&self, _: &str) -> bool {
            false
        }
        async fn article(&self, _: &str, _: &str) -> Option<String> {
            None
        }
        async fn query(&self, _: &str, _: &str, _: &FeedQuery) -> Answer {
            Answer::NoFeed
        }
        async fn index(&self) -> Option<Arc<Rendered>> {
            None
        }
    }

    #[async_trait::async_trait]
    impl Callbacks for Nothing {
        async fn verify(&self, _: &str, _: &str, _: Intent) -> bool {
            false
        }
        async fn deliver(&self, _: &str, _: Option<&str>, _: Option<&str>, _: Bytes) -> Delivery {
            Delivery::Gone
        }
        fn max_body(&self) -> usize {
            0
        }
    }

    fn request(method: Method, uri: &str, inm: Option<&str>) -> http::Request<()> {
        let mut req = http::Request::builder().method(method).uri(uri);
        if let Some(tag) = inm {
            req = req.header(header::IF_NONE_MATCH, tag);
        }
        req.body(()).unwrap()
    }

    #[test]
    fn feeds_in_memory_are_answered_and_counted_without_the_router() {
        let feeds = Arc::new(Feeds::default());
        let metrics = Arc::new(Metrics::new());
        let body = b"<rss>all</rss>".to_vec();
        feeds.put(
            "feeds/all.rss".into(),
            Rendered::new("application/rss+xml", body.clone(), chrono::Utc::now()),
        );
        feeds.keep(
            "sources/s.atom".into(),
            Rendered::new(
                "application/atom+xml",
                b"<feed/>".to_vec(),
                chrono::Utc::now(),
            ),
        );
        let service = router(Shared {
            feeds: feeds.clone(),
            metrics: metrics.clone(),
            health: Arc::new(Nothing),
            on_demand: Arc::new(Nothing),
            admin_token: Arc::new(RwLock::new(None)),
            callbacks: Arc::new(Nothing),
            queries: Arc::new(Queries::default()),
        });
        let resp = service
            .at_once(&request(Method::GET, "/feeds/all.rss", None))
            .expect("answered at once");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.body().as_ref(), &body[..]);
        let tag = resp.headers()[header::ETAG].to_str().unwrap().to_string();
        assert_eq!(resp.headers()[header::VARY], "Accept-Encoding");
        assert!(resp.headers().contains_key(header::LAST_MODIFIED));
        let resp = service
            .at_once(&request(Method::GET, "/feeds/all.rss", Some(&tag)))
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
        assert!(resp.body().is_empty());
        let resp = service
            .at_once(&request(Method::GET, "/sources/s.atom", None))
            .unwrap();
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/atom+xml");
        // What the router answers: a query, HEAD, a name to decode, an
        // archive page, an unknown format, a miss.
        for (method, uri) in [
            (Method::GET, "/feeds/all.rss?limit=1"),
            (Method::HEAD, "/feeds/all.rss"),
            (Method::GET, "/feeds/a%6Cl.rss"),
            (Method::GET, "/feeds/all/archive/1.rss"),
            (Method::GET, "/feeds/all.xyz"),
            (Method::GET, "/feeds/none.rss"),
            (Method::GET, "/sources/s.rss"),
            (Method::GET, "/"),
        ] {
            assert!(
                service
                    .at_once(&request(method.clone(), uri, None))
                    .is_none(),
                "{method} {uri}"
            );
        }
        let counted = metrics.encode();
        for line in [
            "route=\"/feeds/{name}\",status=\"200\"} 1",
            "route=\"/feeds/{name}\",status=\"304\"} 1",
            "route=\"/sources/{name}\",status=\"200\"} 1",
        ] {
            assert!(counted.contains(line), "{line} in {counted}");
        }
    }
}
