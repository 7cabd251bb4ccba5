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
use respond::{answer, not_found, respond, respond_path};
pub use websub::{Callbacks, Delivery, Intent};

use crate::telemetry::Metrics;
use axum::Router;
use axum::extract::{MatchedPath, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::{Arc, RwLock};

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

/// The router for every route this module serves.
pub fn router(shared: Shared) -> Router {
    let admin = Router::new()
        .route("/", get(index_route))
        .route("/opml", get(opml_route))
        .route("/metrics", get(metrics))
        .route_layer(axum::middleware::from_fn_with_state(shared.clone(), guard));
    Router::new()
        .merge(admin)
        .route("/feeds/{name}", get(feed_route))
        .route("/feeds/{id}/archive/{page}", get(archive_route))
        .route("/sources/{name}", get(source_route))
        .route("/articles/{source}/{*path}", get(article_route))
        .route("/healthz", get(healthz))
        .route(
            "/websub/{source}",
            get(websub::verify).post(websub::deliver),
        )
        .fallback(unmatched)
        .layer(axum::middleware::from_fn_with_state(shared.clone(), count))
        .with_state(shared)
}

/// The admin token's check: 401 with a Bearer challenge unless the
/// request carries the token (compared in constant time).
async fn guard(State(shared): State<Shared>, req: Request, next: Next) -> Response {
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
async fn count(State(shared): State<Shared>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let resp = next.run(req).await;
    shared.metrics.request(&route, resp.status().as_u16());
    resp
}

async fn healthz(State(shared): State<Shared>) -> Response {
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

async fn metrics(State(shared): State<Shared>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.metrics.encode(),
    )
        .into_response()
}

async fn index_route(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    respond_path(&shared.feeds, INDEX, &headers).unwrap_or_else(|| not_found("page", "/"))
}

async fn opml_route(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    respond_path(&shared.feeds, OPML, &headers).unwrap_or_else(|| not_found("page", "/opml"))
}

async fn feed_route(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        return query::respond(&shared, &name, &query, &headers).await;
    }
    respond(&shared.feeds, "feeds", &name, &headers)
}

/// A page of a feed's RFC 5005 archive (`/feeds/all/archive/3.atom`),
/// read from the store when a reader asks and its bytes are not kept.
async fn archive_route(
    State(shared): State<Shared>,
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
    State(shared): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    // Checked before rendering: a request for `ID.xyz` must not make the
    // source's feeds be rendered (from the store) only to answer 404.
    let Some((base, ext)) = name.rsplit_once('.') else {
        return not_found("source", &name);
    };
    if !FORMATS.contains(&ext) {
        return not_found("source", &name);
    }
    let path = format!("sources/{name}");
    if shared.feeds.get(&path).is_none() {
        shared.on_demand.render(&format!("sources/{base}")).await;
    }
    respond(&shared.feeds, "sources", &name, &headers)
}

async fn article_route(
    State(shared): State<Shared>,
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
