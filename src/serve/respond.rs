//! Answering from [`Feeds`]: the response for a stored path with its
//! ETag, Last-Modified and Cache-Control, 304s for conditional requests
//! (RFC 9110, 13.2.2), the body in the encoding the client prefers, and
//! the short 404 text. Depends only on `super::feeds` and axum's types.

use super::feeds::{Feeds, Rendered};
use axum::body::Body;
use axum::http::{self, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::io::Write;

pub(super) fn not_found(what: &str, name: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("no {what} named {name:?} (try .rss, .atom or .json)\n"),
    )
        .into_response()
}

/// The encodings a body is sent in; the value indexes the `etags` of
/// [`Rendered`]'s headers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity = 0,
    Gzip = 1,
    Br = 2,
}

pub(super) fn respond(feeds: &Feeds, kind: &str, name: &str, headers: &HeaderMap) -> Response {
    let what = if kind == "feeds" { "feed" } else { "source" };
    respond_path(feeds, &format!("{kind}/{name}"), headers).unwrap_or_else(|| not_found(what, name))
}

/// The answer for what is stored under `path`; `None` when nothing is.
pub(super) fn respond_path(feeds: &Feeds, path: &str, headers: &HeaderMap) -> Option<Response> {
    let r = feeds.get(path)?;
    let base = path.rsplit_once('.').map_or(path, |(b, _)| b);
    Some(answer(feeds, &r, base, headers))
}

/// The answer with `r`, whose `Cache-Control` follows the refresh of the
/// feed at `base` (a path without extension).
pub(super) fn answer(feeds: &Feeds, r: &Rendered, base: &str, headers: &HeaderMap) -> Response {
    answer_bytes(feeds, r, base, headers).map(Body::from)
}

/// [`answer`] with the body as bytes (empty for a 304), for the routes
/// answered without the router.
///
/// Runs for every request: the header values come made with `r` (one per
/// version, not per request), and nothing is formatted but `max-age`.
pub(super) fn answer_bytes(
    feeds: &Feeds,
    r: &Rendered,
    base: &str,
    headers: &HeaderMap,
) -> http::Response<Bytes> {
    let encoding = choose_encoding(headers);
    let mut resp = http::Response::new(Bytes::new());
    let out = resp.headers_mut();
    out.reserve(8);
    out.insert(header::ETAG, r.headers.etags[encoding as usize].clone());
    out.insert(header::LAST_MODIFIED, r.headers.last_modified.clone());
    // An archive page never changes once served (RFC 5005; it is frozen
    // in the store).
    let cache = if base.contains("/archive/") {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        max_age(feeds.max_age(base, Utc::now()))
    };
    out.insert(header::CACHE_CONTROL, cache);
    out.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if not_modified(headers, r) {
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
        return resp;
    }
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(r.content_type),
    );
    *resp.body_mut() = match encoding {
        Encoding::Identity => r.body.clone(),
        Encoding::Gzip => {
            out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r.gzip()
        }
        Encoding::Br => {
            out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
            r.br()
        }
    };
    resp
}

/// `public, max-age=SECONDS`, formatted without allocating but for the
/// value itself.
fn max_age(seconds: i64) -> HeaderValue {
    let mut buf = [0u8; 40];
    let mut w = &mut buf[..];
    // 40 bytes hold the prefix and any i64.
    let _ = write!(w, "public, max-age={seconds}");
    let len = 40 - w.len();
    HeaderValue::from_bytes(&buf[..len]).expect("ASCII digits are a valid header value")
}

/// `If-None-Match` decides when present (any encoding's tag of the current
/// bytes matches); else `If-Modified-Since` (RFC 9110, 13.2.2).
fn not_modified(headers: &HeaderMap, r: &Rendered) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        // What a client sends back is most often one tag as it was given.
        if r.headers.etags.iter().any(|tag| tag == inm) {
            return true;
        }
        if let Ok(inm) = inm.to_str() {
            return inm.split(',').any(|t| {
                let t = t.trim();
                let t = t.strip_prefix("W/").unwrap_or(t).trim_matches('"');
                t == "*" || t.strip_suffix("-gz").or(t.strip_suffix("-br")).unwrap_or(t) == r.tag
            });
        }
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
}
