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

mod query;

pub use query::{Answer, BadParameter, FeedQuery, Queries};

use crate::telemetry::Metrics;
use axum::Router;
use axum::extract::{MatchedPath, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use lru::LruCache;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

mod websub;
pub use websub::{Callbacks, Delivery, Intent};

/// One feed in one format, ready to send.
#[derive(Debug)]
pub struct Rendered {
    pub content_type: &'static str,
    pub body: Bytes,
    // Compressed on the first request that asks for the encoding: most
    // per-source feeds are rendered many times for each time one is read,
    // and compressing every render cost more than everything else a fetch
    // cycle does (bench/, BENCHMARKS.md).
    gzip: OnceLock<Bytes>,
    br: OnceLock<Bytes>,
    /// Hex digest of `body`; each encoding's ETag adds a suffix, as strong
    /// ETags must differ between representations.
    pub tag: String,
    pub last_modified: DateTime<Utc>,
}

impl Rendered {
    /// Derives the ETag from the bytes, so the same bytes give the same
    /// ETag on every instance.
    pub fn new(
        content_type: &'static str,
        body: Vec<u8>,
        last_modified: DateTime<Utc>,
    ) -> Rendered {
        Rendered {
            content_type,
            tag: hex::encode(&Sha256::digest(&body)[..12]),
            body: Bytes::from(body),
            gzip: OnceLock::new(),
            br: OnceLock::new(),
            last_modified,
        }
    }

    /// The body gzip-compressed, at the best level: it is done once per
    /// rendered version.
    pub fn gzip(&self) -> Bytes {
        self.gzip
            .get_or_init(|| {
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                // Writing into a Vec cannot fail.
                let _ = gz.write_all(&self.body);
                Bytes::from(gz.finish().unwrap_or_default())
            })
            .clone()
    }

    /// The body brotli-compressed at quality 9, with a window just large
    /// enough for the body (a larger one only costs memory to set up).
    pub fn br(&self) -> Bytes {
        self.br
            .get_or_init(|| {
                let bits = usize::BITS - self.body.len().leading_zeros();
                let window = bits.clamp(10, 22);
                let mut br = Vec::new();
                {
                    let mut w = brotli::CompressorWriter::new(&mut br, 4096, 9, window);
                    let _ = w.write_all(&self.body);
                }
                Bytes::from(br)
            })
            .clone()
    }
}

/// What [`Feeds::put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// Nothing was stored under the path before.
    First,
    /// Different bytes replaced the old ones.
    Changed,
    /// The same bytes were already there; nothing changed.
    Same,
}

/// How many on-demand renders (see [`Feeds::put_on_demand`]) are kept.
const ON_DEMAND_KEPT: NonZeroUsize = NonZeroUsize::new(96).expect("not zero");

/// The rendered feeds, keyed by path such as `feeds/all.rss`, with the time
/// each is next refreshed (for `Cache-Control`).
///
/// Held feeds ([`Feeds::put`]) stay in memory. On-demand ones (each
/// source's own feed: there may be thousands, each read rarely) keep only
/// the tag last published, for telling changes; their bytes are rendered
/// when a reader asks ([`OnDemand`]), the [`ON_DEMAND_KEPT`] most recently
/// asked for kept.
pub struct Feeds {
    // Std locks: lookups and swaps are short and never span an await.
    map: RwLock<HashMap<String, Arc<Rendered>>>,
    /// On-demand bytes, least recently read dropped first.
    kept: Mutex<LruCache<String, Arc<Rendered>>>,
    refresh: RwLock<HashMap<String, DateTime<Utc>>>,
    /// The tag last published at each on-demand path.
    published: RwLock<HashMap<String, String>>,
}

impl Default for Feeds {
    fn default() -> Feeds {
        Feeds {
            map: RwLock::default(),
            kept: Mutex::new(LruCache::new(ON_DEMAND_KEPT)),
            refresh: RwLock::default(),
            published: RwLock::default(),
        }
    }
}

impl Feeds {
    pub fn get(&self, path: &str) -> Option<Arc<Rendered>> {
        let held = self
            .map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(path)
            .cloned();
        held.or_else(|| {
            self.kept
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(path)
                .cloned()
        })
    }

    /// Stores `rendered` under `path` unless the same bytes are already
    /// there; returns what changed.
    pub fn put(&self, path: String, rendered: Rendered) -> Put {
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        let put = match map.get(&path) {
            Some(old) if old.tag == rendered.tag => return Put::Same,
            Some(_) => Put::Changed,
            None => Put::First,
        };
        map.insert(path, Arc::new(rendered));
        put
    }

    /// Publishes the bytes of an on-demand path: returns what changed
    /// since the last publication, and replaces the kept bytes if a reader
    /// made them be kept.
    pub fn put_on_demand(&self, path: String, rendered: Rendered) -> Put {
        let mut published = self.published.write().unwrap_or_else(|p| p.into_inner());
        let put = match published.get(&path) {
            Some(old) if *old == rendered.tag => return Put::Same,
            Some(_) => Put::Changed,
            None => Put::First,
        };
        published.insert(path.clone(), rendered.tag.clone());
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bytes) = kept.peek_mut(&path) {
            *bytes = Arc::new(rendered);
        }
        put
    }

    /// Keeps the bytes of an on-demand path rendered for a reader, making
    /// room by dropping the on-demand path's read least recently.
    pub fn keep(&self, path: String, rendered: Rendered) {
        self.kept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .put(path, Arc::new(rendered));
    }

    /// Forgets every feed whose path (`feeds/all.rss`) `keep` refuses: a
    /// feed or source removed from the config stops being served.
    pub fn retain(&self, keep: impl Fn(&str) -> bool) {
        self.map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|k, _| keep(k));
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let gone: Vec<String> = kept
            .iter()
            .map(|(k, _)| k)
            .filter(|k| !keep(k))
            .cloned()
            .collect();
        for k in gone {
            kept.pop(&k);
        }
        drop(kept);
        self.published
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|k, _| keep(k));
    }

    /// Sets when the feed at `base` (a path without extension) is next
    /// refreshed.
    pub fn set_refresh(&self, base: &str, at: DateTime<Utc>) {
        self.refresh
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(base.to_string(), at);
    }

    fn max_age(&self, base: &str, now: DateTime<Utc>) -> i64 {
        self.refresh
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(base)
            .map_or(0, |at| (*at - now).num_seconds().max(0))
    }
}

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

/// Bounds on what clients may hold, so slow, idle or half-open ones cannot
/// starve readers.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; one more is closed as soon as accepted.
    pub max_connections: usize,
    /// Time a client has to send a request's head; the longest a
    /// connection (HTTP/1 or HTTP/2) stays open with no request in progress
    /// (a request body still arriving after its answer was sent does not
    /// count); the longest a response may go unread (an HTTP/2 window
    /// never opened); and how long a connection being closed may take to
    /// finish what it has in progress.
    pub header_timeout: std::time::Duration,
}

/// Largest request head accepted: feed readers send a few hundred bytes.
const MAX_HEAD: usize = 16 * 1024;

/// Streams one HTTP/2 connection may have open at once: a feed reader needs
/// a handful, and each is a task here.
const MAX_STREAMS: u32 = 32;

/// The longest the daemon waits for open connections when it stops: SIGTERM
/// must end the process within 10 s.
const STOP_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves `router` on `listener` within `limits` until `shutdown` resolves,
/// then stops accepting and gives open connections a short while to finish
/// their requests.
///
/// Each connection is watched: once it has had no request in progress for
/// `header_timeout`, or a response it has not read from for as long, it is
/// asked to close (HTTP/2 GOAWAY), and one that has not closed
/// `header_timeout` later is dropped. hyper's own timers cover HTTP/1
/// heads only, and an HTTP/2 client answering PINGs, holding a stream
/// open, or never opening its flow-control window for a response would
/// otherwise keep its slot for ever.
///
/// Fails only when accepting fails for good.
pub async fn run(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEAD);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(MAX_HEAD as u32)
        .max_concurrent_streams(MAX_STREAMS)
        .keep_alive_interval(Some(limits.header_timeout))
        .keep_alive_timeout(limits.header_timeout);
    let builder = Arc::new(builder);
    let open = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let service = hyper_util::service::TowerToHyperService::new(router);
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like pass; back off
                    // instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let activity = Arc::new(Activity::new());
        let svc = {
            let (service, activity) = (service.clone(), activity.clone());
            hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let busy = activity.begin();
                let answer = hyper::service::Service::call(&service, req);
                async move {
                    let resp = answer.await?;
                    Ok::<_, std::convert::Infallible>(
                        resp.map(|b| axum::body::Body::new(Tracked::new(b, busy))),
                    )
                }
            })
        };
        let (builder, mut stop) = (builder.clone(), stop_rx.clone());
        let limit = limits.header_timeout;
        tokio::spawn(async move {
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            let mut drain_until: Option<tokio::time::Instant> = None;
            loop {
                let draining = drain_until.is_some();
                tokio::select! {
                    _ = conn.as_mut() => break,
                    _ = stop.changed(), if !draining => {
                        conn.as_mut().graceful_shutdown();
                        drain_until = Some(tokio::time::Instant::now() + limit.min(STOP_DRAIN));
                    }
                    _ = tokio::time::sleep(limit / 4), if !draining => {
                        if activity.idle_for() >= limit || activity.stalled_for() >= limit {
                            conn.as_mut().graceful_shutdown();
                            drain_until = Some(tokio::time::Instant::now() + limit);
                        }
                    }
                    _ = tokio::time::sleep_until(drain_until.unwrap_or_else(tokio::time::Instant::now)), if draining => break,
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a permit until it ends: taking them all waits
    // for the last one.
    let _ = open.acquire_many(limits.max_connections as u32).await;
    Ok(())
}

/// What one connection is doing: requests in progress (from their head to
/// the end of the response body), when the last one ended, and when each
/// response being sent last made progress.
struct Activity {
    // A std mutex: it is held only to read or update counters and times.
    state: std::sync::Mutex<ActivityState>,
}

struct ActivityState {
    busy: usize,
    since: tokio::time::Instant,
    /// Responses being sent, by number: when their body was created or
    /// last read by the connection.
    sending: HashMap<u64, tokio::time::Instant>,
    next: u64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            state: std::sync::Mutex::new(ActivityState {
                busy: 0,
                since: tokio::time::Instant::now(),
                sending: HashMap::new(),
                next: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ActivityState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn begin(self: &Arc<Self>) -> Busy {
        self.lock().busy += 1;
        Busy(self.clone())
    }

    /// A response starts being sent; returns its number for
    /// [`Activity::progress`].
    fn sending(&self) -> u64 {
        let mut state = self.lock();
        let n = state.next;
        state.next += 1;
        state.sending.insert(n, tokio::time::Instant::now());
        n
    }

    fn progress(&self, response: u64) {
        if let Some(at) = self.lock().sending.get_mut(&response) {
            *at = tokio::time::Instant::now();
        }
    }

    /// How long no request has been in progress; zero while one is.
    fn idle_for(&self) -> std::time::Duration {
        let state = self.lock();
        if state.busy > 0 {
            std::time::Duration::ZERO
        } else {
            state.since.elapsed()
        }
    }

    /// How long the response that has waited longest has not been read
    /// from: an HTTP/2 client that never opens its flow-control window
    /// leaves its response unread (and the connection busy) for ever.
    fn stalled_for(&self) -> std::time::Duration {
        self.lock()
            .sending
            .values()
            .min()
            .map_or(std::time::Duration::ZERO, |at| at.elapsed())
    }
}

/// One request in progress on a connection, until dropped.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.busy -= 1;
        state.since = tokio::time::Instant::now();
    }
}

/// A response body that keeps its request counted as in progress until it
/// is sent (or dropped), and tells the connection's watch each time it is
/// read.
struct Tracked {
    inner: axum::body::Body,
    response: u64,
    busy: Busy,
}

impl Tracked {
    fn new(inner: axum::body::Body, busy: Busy) -> Tracked {
        let response = busy.0.sending();
        Tracked {
            inner,
            response,
            busy,
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.busy.0.lock().sending.remove(&self.response);
    }
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        self.busy.0.progress(self.response);
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
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

fn not_found(what: &str, name: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("no {what} named {name:?} (try .rss, .atom or .json)\n"),
    )
        .into_response()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
    Br,
}

fn respond(feeds: &Feeds, kind: &str, name: &str, headers: &HeaderMap) -> Response {
    let what = if kind == "feeds" { "feed" } else { "source" };
    respond_path(feeds, &format!("{kind}/{name}"), headers).unwrap_or_else(|| not_found(what, name))
}

/// The answer for what is stored under `path`; `None` when nothing is.
fn respond_path(feeds: &Feeds, path: &str, headers: &HeaderMap) -> Option<Response> {
    let r = feeds.get(path)?;
    let base = path.rsplit_once('.').map_or(path, |(b, _)| b);
    Some(answer(feeds, &r, base, headers))
}

/// The answer with `r`, whose `Cache-Control` follows the refresh of the
/// feed at `base` (a path without extension).
fn answer(feeds: &Feeds, r: &Rendered, base: &str, headers: &HeaderMap) -> Response {
    let encoding = choose_encoding(headers);
    let etag = match encoding {
        Encoding::Identity => format!("\"{}\"", r.tag),
        Encoding::Gzip => format!("\"{}-gz\"", r.tag),
        Encoding::Br => format!("\"{}-br\"", r.tag),
    };
    let now = Utc::now();
    let mut out = HeaderMap::new();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            out.insert(name, v);
        }
    };
    set(header::ETAG, etag);
    set(
        header::LAST_MODIFIED,
        httpdate::fmt_http_date(r.last_modified.into()),
    );
    // An archive page never changes once served (RFC 5005; it is frozen
    // in the store).
    let cache = if base.contains("/archive/") {
        "public, max-age=31536000, immutable".to_string()
    } else {
        format!("public, max-age={}", feeds.max_age(base, now))
    };
    set(header::CACHE_CONTROL, cache);
    set(header::VARY, "Accept-Encoding".into());
    if not_modified(headers, r) {
        return (StatusCode::NOT_MODIFIED, out).into_response();
    }
    set(header::CONTENT_TYPE, r.content_type.into());
    let body = match encoding {
        Encoding::Identity => r.body.clone(),
        Encoding::Gzip => {
            set(header::CONTENT_ENCODING, "gzip".into());
            r.gzip()
        }
        Encoding::Br => {
            set(header::CONTENT_ENCODING, "br".into());
            r.br()
        }
    };
    (StatusCode::OK, out, body).into_response()
}

/// `If-None-Match` decides when present (any encoding's tag of the current
/// bytes matches); else `If-Modified-Since` (RFC 9110, 13.2.2).
fn not_modified(headers: &HeaderMap, r: &Rendered) -> bool {
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        return inm.split(',').any(|t| {
            let t = t.trim();
            let t = t.strip_prefix("W/").unwrap_or(t).trim_matches('"');
            t == "*" || t.strip_suffix("-gz").or(t.strip_suffix("-br")).unwrap_or(t) == r.tag
        });
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .is_some_and(|since| {
            let since: DateTime<Utc> = since.into();
            r.last_modified.timestamp() <= since.timestamp()
        })
}

/// The encoding the client prefers (RFC 9110, 12.5.3): the highest
/// q-value among br and gzip, br on a tie, none when both are refused. A
/// coding named explicitly wins over `*`, so `br;q=0, *` refuses br.
fn choose_encoding(headers: &HeaderMap) -> Encoding {
    let Some(accept) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Encoding::Identity;
    };
    let mut any = None;
    let (mut br, mut gzip) = (None, None);
    for part in accept.split(',') {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| v.trim().parse::<f32>().ok())?
            })
            .unwrap_or(1.0);
        match coding.as_str() {
            "br" => br = Some(q),
            "gzip" | "x-gzip" => gzip = Some(q),
            "*" => any = Some(q),
            _ => {}
        }
    }
    let br = br.or(any).unwrap_or(0.0);
    let gzip = gzip.or(any).unwrap_or(0.0);
    if br > 0.0 && br >= gzip {
        Encoding::Br
    } else if gzip > 0.0 {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_demand_bytes_kept_are_the_most_recently_read() {
        let feeds = Feeds::default();
        let rendered = |i: usize| Rendered::new("application/rss+xml", vec![i as u8], Utc::now());
        for i in 0..ON_DEMAND_KEPT.get() {
            feeds.keep(format!("sources/s{i}.rss"), rendered(i));
        }
        // s0 is read again, so s1 is now the least recently read.
        assert!(feeds.get("sources/s0.rss").is_some());
        feeds.keep("sources/new.rss".into(), rendered(0));
        assert!(feeds.get("sources/s0.rss").is_some());
        assert!(feeds.get("sources/s1.rss").is_none());
        assert!(feeds.get("sources/new.rss").is_some());
        feeds.retain(|k| k != "sources/new.rss");
        assert!(feeds.get("sources/new.rss").is_none());
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn encodings_follow_accept_encoding() {
        assert!(choose_encoding(&headers(&[])) == Encoding::Identity);
        assert!(
            choose_encoding(&headers(&[(header::ACCEPT_ENCODING, "gzip, deflate")]))
                == Encoding::Gzip
        );
        assert!(
            choose_encoding(&headers(&[(header::ACCEPT_ENCODING, "gzip, br")])) == Encoding::Br
        );
        let chosen = |accept: &str| choose_encoding(&headers(&[(header::ACCEPT_ENCODING, accept)]));
        assert!(chosen("br;q=0, gzip") == Encoding::Gzip);
        assert!(chosen("br;q=0, *") == Encoding::Gzip);
        assert!(chosen("*;q=0") == Encoding::Identity);
        assert!(chosen("gzip;q=0, br;q=0") == Encoding::Identity);
        assert!(chosen("gzip;q=1.0, br;q=0.5") == Encoding::Gzip);
        assert!(chosen("gzip;q=0.5, br;q=0.5") == Encoding::Br);
        assert!(chosen("*") == Encoding::Br);
        assert!(chosen("GZIP ; Q=0.8") == Encoding::Gzip);
    }

    #[test]
    fn conditional_requests() {
        let r = Rendered::new(
            "application/rss+xml",
            b"<rss/>".to_vec(),
            DateTime::from_timestamp(1_500_000_000, 0).unwrap(),
        );
        let tag = format!("\"{}\"", r.tag);
        assert!(not_modified(&headers(&[(header::IF_NONE_MATCH, &tag)]), &r));
        assert!(not_modified(
            &headers(&[(header::IF_NONE_MATCH, &format!("\"x\", \"{}-gz\"", r.tag))]),
            &r
        ));
        assert!(!not_modified(
            &headers(&[(header::IF_NONE_MATCH, "\"x\"")]),
            &r
        ));
        let date = httpdate::fmt_http_date(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_500_000_000),
        );
        assert!(not_modified(
            &headers(&[(header::IF_MODIFIED_SINCE, &date)]),
            &r
        ));
        let earlier = httpdate::fmt_http_date(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_400_000_000),
        );
        assert!(!not_modified(
            &headers(&[(header::IF_MODIFIED_SINCE, &earlier)]),
            &r
        ));
        // If-None-Match wins over If-Modified-Since.
        assert!(!not_modified(
            &headers(&[
                (header::IF_NONE_MATCH, "\"x\""),
                (header::IF_MODIFIED_SINCE, &date)
            ]),
            &r
        ));
    }

    #[test]
    fn compressed_bodies_round_trip() {
        // A tiny body and one that needs a larger brotli window.
        for body in [
            b"<rss>hello hello hello</rss>".to_vec(),
            (0..5000)
                .flat_map(|i| format!("<i>{i}</i>").into_bytes())
                .collect(),
        ] {
            round_trip(body);
        }
    }

    fn round_trip(body: Vec<u8>) {
        let r = Rendered::new("application/rss+xml", body.clone(), Utc::now());
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&r.gzip()[..]), &mut out)
            .unwrap();
        assert_eq!(out, body);
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut brotli::Decompressor::new(&r.br()[..], 4096), &mut out)
            .unwrap();
        assert_eq!(out, body);
    }
}
