//! The HTTP client every source fetch goes through: conditional GET with
//! stored validators, compressed transfer, a whole-transfer timeout, a cap on
//! decoded body size, and limits on requests in flight (all hosts, and per
//! host).
//!
//! Depends only on `model`-level data; it knows nothing of feeds or stores.
//! Bodies are returned as raw bytes: the parser decides the text encoding.

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use url::Url;

/// Limits shared by every request of one fetcher.
#[derive(Debug, Clone)]
pub struct Limits {
    pub concurrency: usize,
    pub per_host: usize,
}

/// One conditional GET.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub url: &'a Url,
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
    pub user_agent: &'a str,
    /// The whole transfer, from connecting to the last body byte.
    pub timeout: Duration,
    /// Decoded bytes at most.
    pub max_body: u64,
    pub headers: &'a [(String, String)],
}

/// A successful answer.
#[derive(Debug, Clone)]
pub enum Response {
    /// `304 Not Modified`: the stored copy is current.
    NotModified,
    Body(Body),
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

/// Why a fetch failed.
#[derive(Debug)]
pub enum FetchError {
    /// The server answered with a status other than 2xx or 304.
    Status(u16),
    /// The whole transfer took longer than the timeout.
    Timeout(Duration),
    /// The decoded body grew past `max_body`.
    TooLarge(u64),
    /// Connecting, TLS, redirects or reading the body failed.
    Network(String),
    /// A header in the source's config could not be sent.
    BadHeader(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Status(s) => {
                let reason = reqwest::StatusCode::from_u16(*s)
                    .ok()
                    .and_then(|c| c.canonical_reason())
                    .unwrap_or("");
                write!(f, "HTTP {s} {reason}")
            }
            FetchError::Timeout(d) => write!(f, "timed out after {}s", d.as_secs_f64()),
            FetchError::TooLarge(max) => write!(f, "body larger than {max} bytes"),
            FetchError::Network(e) => write!(f, "{e}"),
            FetchError::BadHeader(h) => write!(f, "invalid header {h}"),
        }
    }
}

impl std::error::Error for FetchError {}

/// A cheap cloneable HTTP client with shared limits.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    all: Arc<Semaphore>,
    per_host: usize,
    // A std mutex: it guards a map lookup and is never held across an await.
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
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
        let client = reqwest::Client::builder()
            .gzip(true)
            .brotli(true)
            .redirect(reqwest::redirect::Policy::limited(5))
            .connect_timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| FetchError::Network(error_chain(&e)))?;
        Ok(Fetcher {
            client,
            all: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            per_host: limits.per_host.max(1),
            hosts: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// Performs one conditional GET within the limits.
    ///
    /// Returns `NotModified` on 304 and the decoded body on 2xx; fails on
    /// any other status, on timeout, on a body over `max_body`, and on
    /// network errors.
    pub async fn get(&self, req: &Request<'_>) -> Result<Response, FetchError> {
        let host = req.url.host_str().unwrap_or("").to_ascii_lowercase();
        let host_sem = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        // Take the host's permit first, so a busy host does not hold global
        // permits that other hosts could use.
        let _host = host_sem
            .acquire_owned()
            .await
            .map_err(|e| FetchError::Network(e.to_string()))?;
        let _all = self
            .all
            .acquire()
            .await
            .map_err(|e| FetchError::Network(e.to_string()))?;
        match tokio::time::timeout(req.timeout, self.transfer(req)).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout(req.timeout)),
        }
    }

    async fn transfer(&self, req: &Request<'_>) -> Result<Response, FetchError> {
        let mut headers = HeaderMap::new();
        for (name, value) in req.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| FetchError::BadHeader(name.clone()))?;
            let v =
                HeaderValue::from_str(value).map_err(|_| FetchError::BadHeader(name.clone()))?;
            headers.insert(n, v);
        }
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
        let resp = self
            .client
            .get(req.url.clone())
            .headers(headers)
            .send()
            .await
            .map_err(|e| FetchError::Network(error_chain(&e)))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Response::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
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
        // Count decoded bytes as they arrive, so an endless or
        // decompression-bomb body is cut off without being buffered.
        let mut bytes = BytesMut::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| FetchError::Network(error_chain(&e)))?;
            if (bytes.len() + chunk.len()) as u64 > req.max_body {
                return Err(FetchError::TooLarge(req.max_body));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Response::Body(Body {
            bytes: bytes.freeze(),
            content_type,
            etag,
            last_modified,
            url,
        }))
    }
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
        let hub = Url::parse(hub).map_err(|e| FetchError::Network(format!("{hub}: {e}")))?;
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
            .map_err(|e| FetchError::Network(error_chain(&e)))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(FetchError::Status(resp.status().as_u16()))
        }
    }
}

/// An error and its causes on one line: reqwest's top-level message alone
/// ("error sending request") does not say what went wrong.
fn error_chain(e: &dyn std::error::Error) -> String {
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
