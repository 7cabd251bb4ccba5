//! The HTTP client every source fetch goes through: conditional GET with
//! stored validators, compressed transfer, a whole-transfer timeout, a cap on
//! decoded body size, and limits on requests in flight (all hosts, and per
//! host).
//!
//! Redirects are followed here rather than by the HTTP library, so each hop
//! is seen: a permanent move is reported to the caller, and each hop counts
//! against its host's limit.
//!
//! Depends only on `model`-level data; it knows nothing of feeds or stores.
//! Bodies are returned as raw bytes: the parser decides the text encoding.

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

/// Limits shared by every request of one fetcher.
#[derive(Debug, Clone)]
pub struct Limits {
    pub concurrency: usize,
    pub per_host: usize,
    /// Whether loopback, private, link-local and unique-local addresses may
    /// be fetched; when not, they are refused after DNS resolution (so a
    /// name that resolves, or rebinds, to one cannot slip through) and on
    /// every redirect hop.
    pub allow_private: bool,
    /// The proxy every request goes through. Without one, none is used,
    /// whatever `HTTP_PROXY` and the like say: a proxy resolves names
    /// itself, out of reach of the address check.
    pub proxy: Option<Url>,
}

/// One conditional GET.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub url: &'a Url,
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
    pub user_agent: &'a str,
    /// The whole transfer, from connecting to the last body byte; with
    /// `timeout_queued`, also the wait for a slot within the limits before
    /// the first request is sent.
    pub timeout: Duration,
    /// Whether waiting for the first request's slot counts towards
    /// `timeout`. A source's own fetch counts it (it runs under a lease
    /// that must not expire meanwhile); article pages do not, since a
    /// source's pages queue behind each other on one host, and a page
    /// waiting its turn has not been slow.
    pub timeout_queued: bool,
    /// Decoded bytes at most.
    pub max_body: u64,
    /// The source's own headers (cookies, tokens): sent only to requests,
    /// first or after a redirect, whose origin is `headers_origin`'s.
    pub headers: &'a [(String, String)],
    /// The URL whose origin (scheme, host, port) `headers` belong to: the
    /// source's own.
    pub headers_origin: &'a Url,
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// The body of a `2xx`; `None` for `304 Not Modified` (the stored copy
    /// is current).
    pub body: Option<Body>,
    /// Where the request was sent for good: the URL after the leading run of
    /// permanent redirects (301/308), when there was at least one.
    pub moved_to: Option<Url>,
    /// How long the server says the answer stays fresh (`Cache-Control:
    /// max-age`, else `Expires` minus `Date`).
    pub fresh_for: Option<Duration>,
}

/// A `2xx` answer with its decoded body.
#[derive(Debug, Clone)]
pub struct Body {
    pub bytes: Bytes,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The URL after redirects.
    pub url: Url,
}

/// Why a fetch failed. Network failures keep reqwest's error (without its
/// URL, which may carry secrets) as their cause; [`error_chain`] gives the
/// whole chain as one line.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server answered with a status other than 2xx, 3xx or 304;
    /// `retry_after` is its `Retry-After`, when it gave one.
    #[error("{}", status_text(*.code, *.retry_after))]
    Status {
        code: u16,
        retry_after: Option<Duration>,
    },
    /// The whole transfer took longer than the timeout.
    #[error("timed out after {}s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The decoded body grew past `max_body`.
    #[error("body larger than {0} bytes")]
    TooLarge(u64),
    /// More than [`MAX_REDIRECTS`] redirects.
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    /// A redirect without a usable `Location`.
    #[error("HTTP {status} without a usable Location")]
    BadRedirect { status: u16 },
    /// The target is a loopback, private, link-local or unique-local address
    /// and `allow_private` is off.
    #[error(
        "refused: {host} is a loopback, private or special-purpose address (set fetch.allow_private to allow it)"
    )]
    Refused { host: String },
    /// Connecting, TLS or reading the body failed, or the client could not
    /// be built.
    #[error("{0}")]
    Network(#[source] reqwest::Error),
    /// A URL to send to (a hub's) is not a URL.
    #[error("invalid URL {url:?}")]
    BadUrl {
        url: String,
        #[source]
        source: url::ParseError,
    },
    /// The fetcher's limits were closed (the daemon is stopping).
    #[error("the fetcher is shutting down")]
    Closed(#[source] tokio::sync::AcquireError),
    /// A header in the source's config could not be sent.
    #[error("invalid header {0}")]
    BadHeader(String),
}

fn status_text(code: u16, retry_after: Option<Duration>) -> String {
    let reason = reqwest::StatusCode::from_u16(code)
        .ok()
        .and_then(|c| c.canonical_reason())
        .unwrap_or("");
    match retry_after {
        Some(d) => format!("HTTP {code} {reason} (retry after {}s)", d.as_secs()),
        None => format!("HTTP {code} {reason}"),
    }
}

fn network(e: reqwest::Error) -> FetchError {
    FetchError::Network(e.without_url())
}

/// Redirects followed at most, as browsers and feed readers commonly do.
pub const MAX_REDIRECTS: usize = 5;

/// A cheap cloneable HTTP client with shared limits.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    all: Arc<Semaphore>,
    per_host: usize,
    // A std mutex: it guards a map lookup and is never held across an await.
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    allow_private: bool,
}

impl Fetcher {
    /// A fetcher with the given limits.
    ///
    /// Fails when the TLS stack cannot be set up (no usable root
    /// certificates).
    pub fn new(limits: &Limits) -> Result<Fetcher, FetchError> {
        // Several fetchers may be built in one process; only the first install
        // takes effect, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder();
        if !limits.allow_private {
            builder = builder.dns_resolver(PublicOnly);
        }
        builder = match &limits.proxy {
            Some(proxy) => builder.proxy(reqwest::Proxy::all(proxy.as_str()).map_err(network)?),
            None => builder.no_proxy(),
        };
        let client = builder
            .gzip(true)
            .brotli(true)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(15))
            .build()
            .map_err(network)?;
        Ok(Fetcher {
            client,
            all: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            per_host: limits.per_host.max(1),
            hosts: Arc::new(Mutex::new(HashMap::new())),
            allow_private: limits.allow_private,
        })
    }

    /// Performs one conditional GET within the limits, following up to
    /// five redirects; `timeout` covers all of it.
    ///
    /// Returns the body on 2xx and no body on 304; fails on any other
    /// status, on timeout, on a body over `max_body`, on too many redirects
    /// and on network errors.
    pub async fn get(&self, req: &Request<'_>) -> Result<Response, FetchError> {
        let first = if req.timeout_queued {
            None
        } else {
            Some(self.permits(req.url).await?)
        };
        match tokio::time::timeout(req.timeout, self.follow(req, first)).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout(req.timeout)),
        }
    }

    /// Follows redirects from `req.url`; `first` are the first hop's
    /// permits when already taken.
    async fn follow(
        &self,
        req: &Request<'_>,
        mut first: Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)>,
    ) -> Result<Response, FetchError> {
        let (common, own) = request_headers(req)?;
        let own_origin = req.headers_origin.origin();
        let mut url = req.url.clone();
        let mut moved_to = None;
        let mut still_permanent = true;
        for _ in 0..=MAX_REDIRECTS {
            // Names are checked by the resolver; addresses written in the URL
            // never reach it, so they are checked here, on every hop.
            if !self.allow_private && url_is_private(&url) {
                return Err(FetchError::Refused {
                    host: url.host_str().unwrap_or("").to_string(),
                });
            }
            let _permits = match first.take() {
                Some(taken) => taken,
                None => self.permits(&url).await?,
            };
            // One policy for credentials: the configured headers go to the
            // source's own origin only, never to another host a redirect
            // (or an article link) names.
            let mut headers = common.clone();
            if url.origin() == own_origin {
                headers.extend(own.clone());
            }
            let resp = self
                .client
                .get(url.clone())
                .headers(headers)
                .send()
                .await
                .map_err(network)?;
            let status = resp.status();
            if status.is_redirection() && status != reqwest::StatusCode::NOT_MODIFIED {
                let next = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .ok_or(FetchError::BadRedirect {
                        status: status.as_u16(),
                    })?;
                let permanent = matches!(status.as_u16(), 301 | 308);
                still_permanent &= permanent;
                if still_permanent {
                    moved_to = Some(next.clone());
                }
                url = next;
                continue;
            }
            let fresh_for = freshness(resp.headers());
            if status == reqwest::StatusCode::NOT_MODIFIED {
                return Ok(Response {
                    body: None,
                    moved_to,
                    fresh_for,
                });
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    code: status.as_u16(),
                    retry_after: retry_after(resp.headers()),
                });
            }
            let body = read_body(resp, req.max_body).await?;
            return Ok(Response {
                body: Some(body),
                moved_to,
                fresh_for,
            });
        }
        Err(FetchError::TooManyRedirects)
    }

    /// A permit of the URL's host, then one of the global limit: taking the
    /// host's first means a busy host holds no global permits that other
    /// hosts could use.
    async fn permits(
        &self,
        url: &Url,
    ) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit), FetchError> {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let host_sem = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        let host = host_sem.acquire_owned().await.map_err(FetchError::Closed)?;
        let all = self
            .all
            .clone()
            .acquire_owned()
            .await
            .map_err(FetchError::Closed)?;
        Ok((host, all))
    }
}

/// The headers every hop gets (user agent, validators), and the source's
/// own, which go only to its origin.
fn request_headers(req: &Request<'_>) -> Result<(HeaderMap, HeaderMap), FetchError> {
    let mut own = HeaderMap::new();
    for (name, value) in req.headers {
        let n = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| FetchError::BadHeader(name.clone()))?;
        let v = HeaderValue::from_str(value).map_err(|_| FetchError::BadHeader(name.clone()))?;
        own.insert(n, v);
    }
    let mut headers = HeaderMap::new();
    let ua = HeaderValue::from_str(req.user_agent)
        .map_err(|_| FetchError::BadHeader("User-Agent".into()))?;
    headers.insert(header::USER_AGENT, ua);
    if let Some(v) = req.etag.and_then(|e| HeaderValue::from_str(e).ok()) {
        headers.insert(header::IF_NONE_MATCH, v);
    }
    if let Some(v) = req
        .last_modified
        .and_then(|e| HeaderValue::from_str(e).ok())
    {
        headers.insert(header::IF_MODIFIED_SINCE, v);
    }
    Ok((headers, own))
}

/// Reads the body, counting decoded bytes as they arrive, so an endless or
/// decompression-bomb body is cut off without being buffered.
async fn read_body(resp: reqwest::Response, max_body: u64) -> Result<Body, FetchError> {
    let text_header = |name: header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = text_header(header::CONTENT_TYPE);
    let etag = text_header(header::ETAG);
    let last_modified = text_header(header::LAST_MODIFIED);
    let url = resp.url().clone();
    let mut bytes = BytesMut::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(network)?;
        if (bytes.len() + chunk.len()) as u64 > max_body {
            return Err(FetchError::TooLarge(max_body));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Body {
        bytes: bytes.freeze(),
        content_type,
        etag,
        last_modified,
        url,
    })
}

/// `Retry-After` as a delay: delta-seconds or an HTTP date (RFC 9110, 10.2.3).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// How long an answer stays fresh: `Cache-Control: max-age` wins over
/// `Expires` (RFC 9111, 5.3), which counts from the response's `Date`.
fn freshness(headers: &HeaderMap) -> Option<Duration> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(cc) = text(header::CACHE_CONTROL) {
        let max_age = cc.split(',').find_map(|d| {
            let (k, v) = d.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("max-age")
                .then(|| v.trim().trim_matches('"').parse::<u64>().ok())?
        });
        if let Some(secs) = max_age {
            return Some(Duration::from_secs(secs));
        }
    }
    let expires = httpdate::parse_http_date(text(header::EXPIRES)?).ok()?;
    let date = text(header::DATE)
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .unwrap_or_else(std::time::SystemTime::now);
    Some(expires.duration_since(date).unwrap_or_default())
}

impl Fetcher {
    /// Tells a WebSub hub that the feed at `topic` changed: a form-encoded
    /// `POST hub.mode=publish&hub.url=TOPIC`, the publish ping hubs such as
    /// Superfeedr, websubhub.com and the Google hub accept.
    ///
    /// Fails on a non-2xx answer, on timeout and on network errors.
    pub async fn publish(
        &self,
        hub: &str,
        topic: &str,
        user_agent: &str,
        timeout: Duration,
    ) -> Result<(), FetchError> {
        let hub = Url::parse(hub).map_err(|source| FetchError::BadUrl {
            url: hub.to_string(),
            source,
        })?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("hub.mode", "publish")
            .append_pair("hub.url", topic)
            .finish();
        let send = self
            .client
            .post(hub)
            .header(header::USER_AGENT, user_agent)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send();
        let resp = tokio::time::timeout(timeout, send)
            .await
            .map_err(|_| FetchError::Timeout(timeout))?
            .map_err(network)?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(FetchError::Status {
                code: resp.status().as_u16(),
                retry_after: None,
            })
        }
    }
}

/// Whether `ip` is an address a fetcher for the open web must not reach:
/// every block of IANA's IPv4 and IPv6 special-purpose address registries
/// (loopback, private, shared, link-local, documentation, benchmarking,
/// reserved, discard-only, unique-local, ORCHID, SRv6 SIDs, ...), multicast
/// and broadcast; and an address that embeds an IPv4 one (mapped, NAT64's
/// well-known prefix, 6to4) when the IPv4 address is one of those. The
/// IPv4-compatible (`::/96`), local-use NAT64 (`64:ff9b:1::/48`) and IETF
/// protocol (`2001::/23`, Teredo among them) blocks are refused whole: what
/// they lead to cannot be checked here.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_special_v4(a),
        IpAddr::V6(a) => is_special_v6(a),
    }
}

fn is_special_v4(a: std::net::Ipv4Addr) -> bool {
    let n = u32::from(a);
    // (network, prefix length) of the IPv4 special-purpose registry, plus
    // multicast (224.0.0.0/4) and the 6to4 relay anycast block.
    const BLOCKS: &[(u32, u32)] = &[
        (0x0000_0000, 8),  // 0.0.0.0/8 "this network"
        (0x0a00_0000, 8),  // 10.0.0.0/8 private
        (0x6440_0000, 10), // 100.64.0.0/10 shared address space
        (0x7f00_0000, 8),  // 127.0.0.0/8 loopback
        (0xa9fe_0000, 16), // 169.254.0.0/16 link-local
        (0xac10_0000, 12), // 172.16.0.0/12 private
        (0xc000_0000, 24), // 192.0.0.0/24 IETF protocol assignments
        (0xc000_0200, 24), // 192.0.2.0/24 TEST-NET-1
        (0xc058_6300, 24), // 192.88.99.0/24 6to4 relay anycast
        (0xc0a8_0000, 16), // 192.168.0.0/16 private
        (0xc612_0000, 15), // 198.18.0.0/15 benchmarking
        (0xc633_6400, 24), // 198.51.100.0/24 TEST-NET-2
        (0xcb00_7100, 24), // 203.0.113.0/24 TEST-NET-3
        (0xe000_0000, 4),  // 224.0.0.0/4 multicast
        (0xf000_0000, 4),  // 240.0.0.0/4 reserved, and the broadcast address
    ];
    BLOCKS
        .iter()
        .any(|&(net, len)| n >> (32 - len) == net >> (32 - len))
}

fn is_special_v6(a: std::net::Ipv6Addr) -> bool {
    let n = u128::from(a);
    let within = |net: u128, len: u32| n >> (128 - len) == net >> (128 - len);
    let embedded = |at: u32| std::net::Ipv4Addr::from((n >> at) as u32);
    if within(0xffff_0000_0000, 96) {
        // ::ffff:0:0/96, IPv4-mapped.
        return is_special_v4(embedded(0));
    }
    if within(0x0064_ff9b << 96, 96) {
        // 64:ff9b::/96, NAT64's well-known prefix.
        return is_special_v4(embedded(0));
    }
    if within(0x2002 << 112, 16) {
        // 2002::/16, 6to4: the IPv4 address follows the prefix.
        return is_special_v4(embedded(80));
    }
    // (network, prefix length) of the IPv6 special-purpose registry, plus
    // multicast and the deprecated site-local block.
    const BLOCKS: &[(u128, u32)] = &[
        (0, 96),                      // ::/96 unspecified, loopback, IPv4-compatible
        (0x0064_ff9b_0001 << 80, 48), // 64:ff9b:1::/48 local-use NAT64
        (0x0100 << 112, 64),          // 100::/64 discard-only
        (0x2001 << 112, 23),          // 2001::/23 IETF protocol assignments (Teredo...)
        (0x2001_0db8 << 96, 32),      // 2001:db8::/32 documentation
        (0x3fff << 112, 20),          // 3fff::/20 documentation
        (0x5f00 << 112, 16),          // 5f00::/16 SRv6 SIDs
        (0xfc00 << 112, 7),           // fc00::/7 unique-local
        (0xfe80 << 112, 10),          // fe80::/10 link-local
        (0xfec0 << 112, 10),          // fec0::/10 site-local (deprecated)
        (0xff00 << 112, 8),           // ff00::/8 multicast
    ];
    BLOCKS.iter().any(|&(net, len)| within(net, len))
}

fn url_is_private(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(a)) => is_private(IpAddr::V4(a)),
        Some(url::Host::Ipv6(a)) => is_private(IpAddr::V6(a)),
        _ => false,
    }
}

/// A resolver that answers only with public addresses, so a connection —
/// the first or after a redirect — can only go where the check allowed: no
/// second lookup can rebind the name between check and connect.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                found.into_iter().filter(|a| !is_private(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(FetchError::Refused { host })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// An error and its causes on one line: reqwest's top-level message alone
/// ("error sending request") does not say what went wrong. Callers pass
/// reqwest errors `without_url()`: the text is stored and shown on the
/// public index page, and a URL may hold a password or a token.
/// An error and its causes as one line, each cause once.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cause = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body as AxumBody;
    use axum::http::Response as AxumResponse;
    use axum::routing::get;

    /// A loopback server whose one route answers with `handler`.
    async fn origin<F, Fut>(handler: F) -> Url
    where
        F: Fn() -> Fut + Clone + Send + Sync + 'static,
        Fut: std::future::Future<Output = AxumResponse<AxumBody>> + Send + 'static,
    {
        let app = Router::new().route("/{*p}", get(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/feed", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    fn request(url: &Url, timeout: Duration) -> Request<'_> {
        Request {
            url,
            etag: None,
            last_modified: None,
            user_agent: "tidings-test",
            timeout,
            max_body: 1 << 20,
            timeout_queued: true,
            headers: &[],
            headers_origin: url,
        }
    }

    fn fetcher() -> Fetcher {
        Fetcher::new(&Limits {
            concurrency: 4,
            per_host: 2,
            allow_private: true,
            proxy: None,
        })
        .unwrap()
    }

    // The paused clock makes the drip and the timeout exact and instant: a
    // body of one byte a second is cut off at the whole-transfer timeout,
    // however steadily bytes arrive.
    #[tokio::test(start_paused = true)]
    async fn a_dripping_body_is_cut_off_at_the_timeout() {
        let url = origin(|| async {
            let stream = futures_util::stream::unfold(0u32, |n| async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                Some((Ok::<_, std::io::Error>(Bytes::from_static(b"x")), n + 1))
            });
            AxumResponse::new(AxumBody::from_stream(stream))
        })
        .await;
        let start = tokio::time::Instant::now();
        let err = fetcher()
            .get(&request(&url, Duration::from_secs(30)))
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Timeout(_)), "{err}");
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test]
    async fn headers_give_retry_after_and_freshness() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(120)));
        let later =
            httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(600));
        h.insert(header::RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let wait = retry_after(&h).unwrap();
        assert!(
            wait > Duration::from_secs(590) && wait <= Duration::from_secs(600),
            "{wait:?}"
        );

        let mut h = HeaderMap::new();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=900"),
        );
        h.insert(
            header::EXPIRES,
            HeaderValue::from_static("Thu, 01 Jan 2099 00:00:00 GMT"),
        );
        assert_eq!(freshness(&h), Some(Duration::from_secs(900)));
        h.remove(header::CACHE_CONTROL);
        h.insert(
            header::DATE,
            HeaderValue::from_static("Wed, 31 Dec 2098 23:00:00 GMT"),
        );
        assert_eq!(freshness(&h), Some(Duration::from_secs(3600)));
    }

    #[tokio::test]
    async fn private_targets_are_refused_by_address_and_by_name() {
        let url = origin(|| async { AxumResponse::new(AxumBody::from("<rss/>")) }).await;
        let guarded = Fetcher::new(&Limits {
            concurrency: 4,
            per_host: 2,
            allow_private: false,
            proxy: None,
        })
        .unwrap();
        let err = guarded
            .get(&request(&url, Duration::from_secs(5)))
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Refused { .. }), "{err}");
        assert!(err.to_string().contains("refused: 127.0.0.1"), "{err}");
        // A name that resolves to loopback is refused after resolution.
        let by_name =
            Url::parse(&format!("http://localhost:{}/feed", url.port().unwrap())).unwrap();
        let err = guarded
            .get(&request(&by_name, Duration::from_secs(5)))
            .await
            .unwrap_err();
        // Refused by the resolver: the refusal is the cause of reqwest's error.
        let text = error_chain(&err);
        assert!(text.contains("refused: localhost"), "{text}");
        // A redirect hop to a private address is refused like a first hop.
        let via = Url::parse("http://[::ffff:10.1.2.3]/x").unwrap();
        assert!(url_is_private(&via));
        // The same origin is fine when private targets are allowed.
        assert!(
            fetcher()
                .get(&request(&url, Duration::from_secs(5)))
                .await
                .is_ok()
        );
    }

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:192.168.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "::",
            "::127.0.0.1",
            "::8.8.8.8",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::808:808",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:db8::1",
            "ff02::1",
            "fec0::1",
            "100::1",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "192.88.99.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "100.128.0.1",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "::ffff:8.8.8.8",
            "198.20.0.1",
            "223.255.255.255",
        ] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn too_many_redirects_fail() {
        let url = origin(|| async {
            AxumResponse::builder()
                .status(302)
                .header("Location", "/again")
                .body(AxumBody::empty())
                .unwrap()
        })
        .await;
        let err = fetcher()
            .get(&request(&url, Duration::from_secs(5)))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "more than 5 redirects");
    }
}
