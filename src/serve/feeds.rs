//! The table of rendered feeds the routes answer from: [`Rendered`] bytes
//! (compressed once per version, on the first request asking for it),
//! what [`Feeds::put`] did ([`Put`]), and [`Feeds`], held and on-demand
//! paths with their refresh times. Plain data: depends on no other module.

use axum::http::HeaderValue;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use lru::LruCache;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

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
    /// Made once per version rather than per request (boxed: a
    /// `Rendered` is moved around by value).
    pub(super) headers: Box<Headers>,
}

/// The header values of one [`Rendered`] version.
#[derive(Debug)]
pub(super) struct Headers {
    /// The `ETag` of each encoding: identity, gzip, br.
    pub(super) etags: [HeaderValue; 3],
    pub(super) last_modified: HeaderValue,
}

impl Rendered {
    /// Derives the ETag from the bytes, so the same bytes give the same
    /// ETag on every instance.
    pub fn new(
        content_type: &'static str,
        body: Vec<u8>,
        last_modified: DateTime<Utc>,
    ) -> Rendered {
        let tag = hex::encode(&Sha256::digest(&body)[..12]);
        // Hex digits, quotes and an HTTP date are always valid header
        // values.
        let value = |s: String| HeaderValue::try_from(s).expect("a valid header value");
        Rendered {
            content_type,
            headers: Box::new(Headers {
                etags: [
                    value(format!("\"{tag}\"")),
                    value(format!("\"{tag}-gz\"")),
                    value(format!("\"{tag}-br\"")),
                ],
                last_modified: value(httpdate::fmt_http_date(last_modified.into())),
            }),
            tag,
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
/// when a reader asks ([`OnDemand`](super::OnDemand)), the [`ON_DEMAND_KEPT`] most recently
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

    /// Holds `rendered` under `path` as it is (see [`Feeds::put`]).
    pub fn hold(&self, path: String, rendered: Arc<Rendered>) {
        self.map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path, rendered);
    }

    /// Drops what is held under `path`.
    pub fn forget(&self, path: &str) {
        self.map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path);
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

    /// Whether the bytes of the on-demand feed at `base` (a path without
    /// extension, `sources/ID`) are kept for readers in any format.
    pub fn kept(&self, base: &str) -> bool {
        self.kept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|(path, _)| path.rsplit_once('.').is_some_and(|(b, _)| b == base))
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

    pub(super) fn max_age(&self, base: &str, now: DateTime<Utc>) -> i64 {
        self.refresh
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(base)
            .map_or(0, |at| (*at - now).num_seconds().max(0))
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
