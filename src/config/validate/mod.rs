//! Raw config → checked [`Config`]: every problem collected with its line
//! and column, so one bad entry does not hide the next.
//!
//! This file holds the [`Validator`], the top-level sections and the
//! checks every section shares; `sources` checks the sources and feeds,
//! `rules` the content rules.

mod rules;
mod sources;

use super::raw::{RawFetch, RawKind, RawServer, RawStore};
use super::units::{parse_duration, parse_size};
use super::*;
use serde::de::DeserializeOwned;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

pub(super) struct Validator<'t> {
    file: String,
    text: &'t str,
    pub(super) errors: Vec<ConfigError>,
    /// Each schedule parsed so far, by its text: sources that share a
    /// schedule share its parsed form (about 1.3 KB each; 130 MB for
    /// 100,000 sources parsed one by one).
    schedules: HashMap<String, Schedule>,
}

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_SCHEDULE: &str = "*/15 * * * *";

/// The most items an archive page may hold: pages are rendered whole.
const MAX_ARCHIVE_PAGE: i64 = 1000;

impl<'t> Validator<'t> {
    /// A validator of config `text`, read from `file`, with nothing found yet.
    pub(super) fn new(file: String, text: &'t str) -> Validator<'t> {
        Validator {
            file,
            text,
            errors: Vec::new(),
            schedules: HashMap::new(),
        }
    }

    fn error(&mut self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) {
        let (line, column) = line_col(self.text, span.start);
        self.errors.push(ConfigError {
            file: self.file.clone(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        });
    }

    pub(super) fn config(&mut self, path: &Path) -> Option<Config> {
        let root = match DeTable::parse(self.text) {
            Ok(root) => root,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                self.error(span, "(syntax)", e.message().trim().to_string());
                return None;
            }
        };
        let mut server = RawServer::default();
        let mut store = RawStore::default();
        let mut fetch = RawFetch::default();
        let mut sources = Vec::new();
        let mut feeds = Vec::new();
        let mut declared = Vec::new();
        for (key, value) in root.get_ref() {
            match key.get_ref().as_ref() {
                "server" => server = self.section("server", value).unwrap_or_default(),
                "store" => store = self.section("store", value).unwrap_or_default(),
                "fetch" => fetch = self.section("fetch", value).unwrap_or_default(),
                "source" => {
                    declared = declared_ids(value);
                    sources = self.entries("source", value);
                }
                "feed" => feeds = self.entries("feed", value),
                other => self.error(
                    key.span(),
                    other.to_string(),
                    "unknown key; expected server, store, fetch, source or feed",
                ),
            }
        }
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let server = self.server(server);
        let store = self.store(store, &base_dir);
        let fetch = self.fetch(fetch, &server);
        if sources.is_empty() && self.errors.is_empty() {
            self.error(
                0..0,
                "source",
                "no [[source]]: a config needs at least one source to fetch",
            );
        }
        let sources = self.sources(sources, &fetch, &base_dir);
        let feeds = self.feeds(feeds, &sources, &declared);
        let source_index = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        Some(Config {
            path: path.to_path_buf(),
            server,
            store,
            fetch,
            sources,
            feeds,
            source_index,
        })
    }

    /// Deserializes one table, reporting serde's error at its place.
    fn section<T: DeserializeOwned>(
        &mut self,
        key: &str,
        value: &Spanned<DeValue<'t>>,
    ) -> Option<T> {
        match T::deserialize(ValueDeserializer::from(value.clone())) {
            Ok(v) => Some(v),
            Err(e) => {
                let span = e.span().unwrap_or(value.span());
                let inner = key_in_table(value.get_ref(), &span)
                    .or_else(|| backticked(e.message()))
                    .map(|k| format!("{key}.{k}"))
                    .unwrap_or_else(|| key.to_string());
                self.error(span, inner, e.message().trim().to_string());
                None
            }
        }
    }

    /// Deserializes each entry of an array of tables on its own.
    fn entries<T: DeserializeOwned>(
        &mut self,
        key: &str,
        value: &Spanned<DeValue<'t>>,
    ) -> Vec<(usize, Range<usize>, T)> {
        let DeValue::Array(array) = value.get_ref() else {
            self.error(value.span(), key, format!("expected [[{key}]] tables"));
            return Vec::new();
        };
        // Sized up front: grown by doubling, the copies and the fresh pages
        // they fault in were a fifth of loading a config of 2,000 sources.
        let mut out = Vec::with_capacity(array.len());
        for (i, entry) in array.iter().enumerate() {
            if let Some(t) = self.section(&format!("{key}[{i}]"), entry) {
                out.push((i, entry.span(), t));
            }
        }
        out
    }

    fn server(&mut self, raw: RawServer) -> Server {
        let listen = match raw.listen {
            Some(l) => {
                if l.get_ref().parse::<std::net::SocketAddr>().is_err() {
                    self.error(
                        l.span(),
                        "server.listen",
                        format!(
                            "{:?} is not an address:port such as 127.0.0.1:8080",
                            l.get_ref()
                        ),
                    );
                }
                l.into_inner()
            }
            None => DEFAULT_LISTEN.to_string(),
        };
        let base_url_set = raw.base_url.is_some();
        let base_url = match raw.base_url {
            Some(b) => {
                self.http_url("server.base_url", &b);
                b.into_inner().trim_end_matches('/').to_string()
            }
            None => format!("http://{listen}"),
        };
        let websub_hub = raw.websub_hub.map(|h| {
            self.http_url("server.websub_hub", &h);
            h.into_inner()
        });
        let admin_token = raw.admin_token.and_then(|t| {
            let token = t.get_ref().trim();
            // A header value, compared as given: visible ASCII only.
            if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic()) {
                self.error(
                    t.span(),
                    "server.admin_token",
                    "use at least 16 visible ASCII characters (e.g. `openssl rand -hex 24`)",
                );
                return None;
            }
            Some(Secret(token.to_string()))
        });
        let websub_subscribe = match raw.websub_subscribe {
            Some(w) if *w.get_ref() && !base_url_set => {
                self.error(
                    w.span(),
                    "server.websub_subscribe",
                    "needs server.base_url: the public URL hubs deliver to (callbacks are {base_url}/websub/{source})",
                );
                false
            }
            Some(w) => w.into_inner(),
            None => false,
        };
        Server {
            listen,
            base_url,
            websub_hub,
            max_connections: self.count("server.max_connections", raw.max_connections, 1024, 1)
                as usize,
            header_timeout: self
                .duration("server.header_timeout", raw.header_timeout.as_ref())
                .unwrap_or(Duration::from_secs(10)),
            admin_token,
            archive_settle: self
                .duration("server.archive_settle", raw.archive_settle.as_ref())
                .unwrap_or(Duration::from_secs(3600)),
            websub_subscribe,
        }
    }

    /// `base_dir`: the config file's folder, which a relative `state_dir`
    /// is read against (as `files` paths are), whatever the working
    /// directory.
    fn store(&mut self, raw: RawStore, base_dir: &Path) -> Store {
        let url = match raw.url {
            Some(u) => {
                let s = u.get_ref();
                if !(s.starts_with("sqlite:")
                    || s.starts_with("postgres://")
                    || s.starts_with("postgresql://"))
                {
                    // Only the scheme is repeated: the rest may hold a password.
                    let scheme = s.split_once(':').map_or("", |(scheme, _)| scheme);
                    self.error(
                        u.span(),
                        "store.url",
                        format!(
                            "unsupported scheme {scheme:?}: expected sqlite://FILE or postgres://USER@HOST/DB"
                        ),
                    );
                }
                u.into_inner()
            }
            None => "sqlite://tidings.db".to_string(),
        };
        Store {
            url,
            state_dir: base_dir.join(raw.state_dir.unwrap_or_else(|| "data".into())),
            retain_days: self.count("store.retain_days", raw.retain_days, 90, 1),
            keep_min: self.count("store.keep_min", raw.keep_min, 50, 0),
        }
    }

    fn fetch(&mut self, raw: RawFetch, server: &Server) -> Fetch {
        let schedule = match raw.schedule.as_ref() {
            Some(s) if s.get_ref().trim() == ADAPTIVE => {
                self.error(
                    s.span(),
                    "fetch.schedule",
                    "\"adaptive\" is a source's schedule; [fetch].schedule is the cron expression sources default to",
                );
                None
            }
            other => self.schedule("fetch.schedule", other),
        }
        .unwrap_or_else(default_schedule);
        let (adaptive_min, adaptive_max) = self.adaptive_bounds(&raw);
        let max_body = match raw.max_body {
            Some(m) => match parse_size(m.get_ref()) {
                Ok(n) => n,
                Err(why) => {
                    self.error(m.span(), "fetch.max_body", why.to_string());
                    0
                }
            },
            None => 10 * 1024 * 1024,
        };
        let max_item = match raw.max_item {
            Some(m) => match parse_size(m.get_ref()) {
                Ok(n) if n >= 1024 => usize::try_from(n).unwrap_or(usize::MAX),
                Ok(_) => {
                    self.error(m.span(), "fetch.max_item", "must be at least 1KiB");
                    0
                }
                Err(why) => {
                    self.error(m.span(), "fetch.max_item", why.to_string());
                    0
                }
            },
            None => 1024 * 1024,
        };
        let proxy = raw.proxy.and_then(|p| match url::Url::parse(p.get_ref()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
            // The value may hold a password: the error does not repeat it.
            _ => {
                self.error(
                    p.span(),
                    "fetch.proxy",
                    "expected an http or https URL such as \"http://proxy:3128\"",
                );
                None
            }
        });
        Fetch {
            schedule,
            user_agent: raw.user_agent.unwrap_or_else(|| {
                format!(
                    "tidings/{} (+{})",
                    env!("CARGO_PKG_VERSION"),
                    server.base_url
                )
            }),
            timeout: self
                .duration("fetch.timeout", raw.timeout.as_ref())
                .unwrap_or(Duration::from_secs(30)),
            max_body,
            concurrency: self.count("fetch.concurrency", raw.concurrency, 16, 1) as usize,
            per_host: self.count("fetch.per_host", raw.per_host, 2, 1) as usize,
            allow_private: raw.allow_private.unwrap_or(false),
            proxy,
            max_item,
            max_items: self.count("fetch.max_items", raw.max_items, 5000, 1) as usize,
            adaptive_min,
            adaptive_max,
            websub_poll: self
                .duration("fetch.websub_poll", raw.websub_poll.as_ref())
                .unwrap_or(Duration::from_secs(24 * 3600)),
        }
    }

    /// `[fetch] adaptive_min` and `adaptive_max`: each from a minute to a
    /// day (every computed wait is capped at a day), min no more than max.
    fn adaptive_bounds(&mut self, raw: &RawFetch) -> (Duration, Duration) {
        let (day, minute) = (Duration::from_secs(86_400), Duration::from_secs(60));
        let mut bound = |key: &str, raw: Option<&Spanned<String>>, default: Duration| {
            let Some(d) = self.duration(key, raw) else {
                return default;
            };
            if (minute..=day).contains(&d) {
                return d;
            }
            if let Some(raw) = raw {
                self.error(
                    raw.span(),
                    key,
                    format!(
                        "{:?} is out of range: it must be from 1m to 24h",
                        raw.get_ref()
                    ),
                );
            }
            default
        };
        let min = bound(
            "fetch.adaptive_min",
            raw.adaptive_min.as_ref(),
            Duration::from_secs(600),
        );
        let max = bound("fetch.adaptive_max", raw.adaptive_max.as_ref(), day);
        if min > max {
            let at = raw
                .adaptive_min
                .as_ref()
                .or(raw.adaptive_max.as_ref())
                .map_or(0..0, Spanned::span);
            self.error(
                at,
                "fetch.adaptive_min",
                format!(
                    "adaptive_min ({}) is longer than adaptive_max ({})",
                    humantime::format_duration(min),
                    humantime::format_duration(max)
                ),
            );
            return (min, min);
        }
        (min, max)
    }

    fn schedule(&mut self, key: &str, raw: Option<&Spanned<String>>) -> Option<Schedule> {
        let raw = raw?;
        if let Some(known) = self.schedules.get(raw.get_ref()) {
            return Some(known.clone());
        }
        match raw.get_ref().parse::<Schedule>() {
            Ok(s) => {
                self.schedules.insert(raw.get_ref().clone(), s.clone());
                Some(s)
            }
            Err(e) => {
                self.error(raw.span(), key, e.to_string());
                None
            }
        }
    }

    fn duration(&mut self, key: &str, raw: Option<&Spanned<String>>) -> Option<Duration> {
        let raw = raw?;
        match parse_duration(raw.get_ref()) {
            Ok(d) => Some(d),
            Err(why) => {
                self.error(raw.span(), key, why.to_string());
                None
            }
        }
    }

    fn count(&mut self, key: &str, raw: Option<Spanned<i64>>, default: u32, min: i64) -> u32 {
        match raw {
            None => default,
            Some(n) => match u32::try_from(*n.get_ref()) {
                Ok(v) if i64::from(v) >= min => v,
                _ => {
                    self.error(
                        n.span(),
                        key,
                        format!(
                            "{} is out of range: expected a whole number from {min}",
                            n.get_ref()
                        ),
                    );
                    default
                }
            },
        }
    }

    fn http_url(&mut self, key: &str, raw: &Spanned<String>) -> Option<url::Url> {
        match url::Url::parse(raw.get_ref()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
            Ok(_) => {
                self.error(
                    raw.span(),
                    key,
                    format!("{:?}: expected an http or https URL", raw.get_ref()),
                );
                None
            }
            Err(e) => {
                self.error(
                    raw.span(),
                    key,
                    format!("{:?} is not a URL: {e}", raw.get_ref()),
                );
                None
            }
        }
    }
}

/// A source's `schedule` that asks for an interval learned from its history.
const ADAPTIVE: &str = "adaptive";

fn default_schedule() -> Schedule {
    DEFAULT_SCHEDULE
        .parse()
        .expect("the default schedule is a valid cron expression")
}

fn kind_name(kind: RawKind) -> &'static str {
    match kind {
        RawKind::Feed => "feed",
        RawKind::Html => "html",
        RawKind::Files => "files",
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The `id` of every `[[source]]` entry that has a string one.
fn declared_ids(sources: &Spanned<DeValue<'_>>) -> Vec<String> {
    let DeValue::Array(entries) = sources.get_ref() else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|e| match e.get_ref() {
            DeValue::Table(t) => t
                .iter()
                .find(|(k, _)| k.get_ref() == "id")
                .and_then(|(_, v)| v.get_ref().as_str().map(str::to_string)),
            _ => None,
        })
        .collect()
}

/// The key of `table` whose key or value contains `span`, if any; dotted
/// down into a table inside (`rules.select`), whose span a `[a.b]` header
/// does not cover.
fn key_in_table(table: &DeValue<'_>, span: &Range<usize>) -> Option<String> {
    let DeValue::Table(t) = table else {
        return None;
    };
    t.iter().find_map(|(k, v)| {
        let inside = |r: Range<usize>| r.start <= span.start && span.start < r.end.max(r.start + 1);
        match key_in_table(v.get_ref(), span) {
            Some(inner) => Some(format!("{}.{inner}", k.get_ref())),
            None => (inside(k.span()) || inside(v.span())).then(|| k.get_ref().to_string()),
        }
    })
}

/// The first `name` quoted in backticks in a serde message such as
/// "missing field `id`".
fn backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

impl Fetch {
    /// The `[fetch]` section of a config that leaves it out: what a command
    /// run without a config (`tidings discover`) fetches with.
    pub fn defaults() -> Fetch {
        let mut v = Validator::new(String::new(), "");
        let server = v.server(RawServer::default());
        v.fetch(RawFetch::default(), &server)
    }
}
