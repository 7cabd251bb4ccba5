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

mod address;

use address::{PublicOnly, url_is_private};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use std::collections::HashMap;
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
    /// The answer's `Link` header values, as sent (WebSub hubs and the
    /// feed's own URL may be given there).
    pub links: Vec<String>,
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
    let links = resp
        .headers()
        .get_all(header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    let url = resp.url().clone();
    // Sized once by the length the server states, up to a megabyte (a
    // server may state any length, and a body grows past it as it comes).
    let hint = resp
        .content_length()
        .unwrap_or(0)
        .min(max_body)
        .min(1 << 20);
    let mut bytes = BytesMut::with_capacity(usize::try_from(hint).unwrap_or(0));
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
        links,
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

impl Fetcher {
    /// Sends a WebSub subscriber's request to `hub`: a form-encoded POST
    /// of `form` (`hub.mode=subscribe` or `unsubscribe`, `hub.topic`, ...),
    /// not redirected. The hub's URL comes from a fetched feed, so the
    /// address policy applies as to any fetch: a loopback or private target
    /// is refused unless `allow_private`.
    ///
    /// Fails on a non-2xx answer (hubs answer 202 Accepted), on timeout,
    /// on a refused address and on network errors.
    pub async fn hub_request(
        &self,
        hub: &Url,
        form: &[(&str, &str)],
        user_agent: &str,
        timeout: Duration,
    ) -> Result<(), FetchError> {
        if !self.allow_private && url_is_private(hub) {
            return Err(FetchError::Refused {
                host: hub.host_str().unwrap_or("").to_string(),
            });
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let send = async {
            let _permits = self.permits(hub).await?;
            self.client
                .post(hub.clone())
                .header(header::USER_AGENT, user_agent)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .map_err(network)
        };
        let resp = tokio::time::timeout(timeout, send)
            .await
            .map_err(|_| FetchError::Timeout(timeout))??;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(FetchError::Status {
                code: resp.status().as_u16(),
                retry_after: retry_after(resp.headers()),
            })
        }
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
mod tests;
