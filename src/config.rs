//! The TOML config: parsed with serde into raw types, then validated into a
//! checked [`Config`], so the rest of the program never sees an unvalidated
//! value.
//!
//! Every problem is reported at once, each as `FILE:LINE:COLUMN: key: what is
//! wrong`: each top-level section and each `[[source]]`/`[[feed]]` entry is
//! deserialized on its own, so one bad entry does not hide the next.
//!
//! Depends on `model`-level data and on [`crate::schedule`] (to check cron
//! expressions); nothing else in the crate.
//!
//! ```
//! let cfg = tidings::Config::parse(
//!     "tidings.toml",
//!     "[[source]]\nid = \"a\"\nkind = \"feed\"\nurl = \"https://example.org/rss\"\n",
//! ).unwrap();
//! assert_eq!(cfg.sources[0].id, "a");
//! ```

use crate::schedule::Schedule;
use chrono_tz::Tz;
use regex::Regex;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was read from; relative `files` paths are resolved
    /// against its directory.
    pub path: PathBuf,
    pub server: Server,
    pub store: Store,
    pub fetch: Fetch,
    pub sources: Vec<Source>,
    pub feeds: Vec<Feed>,
    /// Each source's position in `sources`, by id: a daemon with thousands
    /// of sources looks them up by id on every fetch and render.
    source_index: HashMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub listen: String,
    /// Without a trailing slash.
    pub base_url: String,
    pub websub_hub: Option<String>,
    /// Connections open at once.
    pub max_connections: usize,
    /// Time a client has to send a request's headers.
    pub header_timeout: Duration,
}

#[derive(Clone, PartialEq)]
pub struct Store {
    /// `sqlite://…` (relative to `state_dir`) or `postgres://…`.
    pub url: String,
    pub state_dir: PathBuf,
    pub retain_days: u32,
    pub keep_min: u32,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A postgres URL may carry a password: never print it.
        let url = match url::Url::parse(&self.url) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                u.to_string()
            }
            _ => self.url.clone(),
        };
        f.debug_struct("Store")
            .field("url", &url)
            .field("state_dir", &self.state_dir)
            .field("retain_days", &self.retain_days)
            .field("keep_min", &self.keep_min)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fetch {
    pub schedule: Schedule,
    pub user_agent: String,
    pub timeout: Duration,
    pub max_body: u64,
    pub concurrency: usize,
    pub per_host: usize,
    pub allow_private: bool,
    /// The proxy every request goes through; `None`: none, whatever the
    /// environment's proxy variables say.
    pub proxy: Option<url::Url>,
    /// Bytes of an item's HTML (content, summary) kept; the rest is cut.
    pub max_item: usize,
    /// Items kept per source; the oldest beyond are pruned.
    pub max_items: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: String,
    pub kind: SourceKind,
    pub schedule: Schedule,
    pub full_text: bool,
    pub tags: Vec<String>,
    pub timezone: Tz,
    pub user_agent: String,
    pub timeout: Duration,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    Feed {
        url: url::Url,
    },
    Html {
        url: url::Url,
        select: Option<Select>,
    },
    Files {
        path: PathBuf,
        /// Read symbolic links that lead out of `path` (refused unless set).
        follow_links: bool,
    },
}

impl SourceKind {
    pub fn name(&self) -> &'static str {
        match self {
            SourceKind::Feed { .. } => "feed",
            SourceKind::Html { .. } => "html",
            SourceKind::Files { .. } => "files",
        }
    }

    /// The URL a feed or html source is configured with; `None` for files.
    pub fn url(&self) -> Option<&url::Url> {
        match self {
            SourceKind::Feed { url } | SourceKind::Html { url, .. } => Some(url),
            SourceKind::Files { .. } => None,
        }
    }

    /// Where the source reads from, for display: a URL or a directory.
    pub fn location(&self) -> String {
        match self {
            SourceKind::Feed { url } | SourceKind::Html { url, .. } => url.to_string(),
            SourceKind::Files { path, .. } => path.display().to_string(),
        }
    }
}

/// CSS selectors for an `html` source's listing page.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Select {
    pub item: String,
    pub title: Option<String>,
    pub link: Option<String>,
    pub date: Option<String>,
    pub summary: Option<String>,
    #[serde(default)]
    pub follow: bool,
}

#[derive(Debug, Clone)]
pub struct Feed {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The ids of the sources the feed draws on, resolved from `sources`
    /// (ids or `*`) and `tags`, in config order.
    pub sources: Vec<String>,
    pub limit: usize,
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
    pub dedupe: bool,
    pub content: ContentMode,
}

impl PartialEq for Feed {
    fn eq(&self, other: &Self) -> bool {
        let pats = |v: &[Regex]| v.iter().map(|r| r.as_str().to_string()).collect::<Vec<_>>();
        self.id == other.id
            && self.title == other.title
            && self.description == other.description
            && self.sources == other.sources
            && self.limit == other.limit
            && pats(&self.include) == pats(&other.include)
            && pats(&self.exclude) == pats(&other.exclude)
            && self.dedupe == other.dedupe
            && self.content == other.content
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentMode {
    Full,
    Summary,
}

/// One problem in a config file, located by line and column (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, self.key, self.message
        )
    }
}

/// Every problem found in a config file, in file order; one per line when
/// displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Config {
    /// Reads and validates the config file at `path`.
    ///
    /// Fails with every problem found, each naming `path`, line and column;
    /// an unreadable file is one error at line 1.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError {
                file: file.clone(),
                line: 1,
                column: 1,
                key: "(file)".into(),
                message: format!("cannot read: {e}"),
            }])
        })?;
        Config::parse(path, &text)
    }

    /// Validates config `text` as if read from `path`.
    pub fn parse(path: impl AsRef<Path>, text: &str) -> Result<Config, ConfigErrors> {
        let path = path.as_ref();
        let mut v = Validator {
            file: path.display().to_string(),
            text,
            errors: Vec::new(),
        };
        let config = v.config(path);
        if v.errors.is_empty() {
            config.ok_or_else(|| ConfigErrors(Vec::new()))
        } else {
            v.errors.sort_by_key(|e| (e.line, e.column));
            Err(ConfigErrors(v.errors))
        }
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.source_index.get(id).map(|&i| &self.sources[i])
    }

    pub fn feed(&self, id: &str) -> Option<&Feed> {
        self.feeds.iter().find(|f| f.id == id)
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    websub_hub: Option<Spanned<String>>,
    max_connections: Option<Spanned<i64>>,
    header_timeout: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStore {
    url: Option<Spanned<String>>,
    state_dir: Option<String>,
    retain_days: Option<Spanned<i64>>,
    keep_min: Option<Spanned<i64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    schedule: Option<Spanned<String>>,
    user_agent: Option<String>,
    timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<String>>,
    concurrency: Option<Spanned<i64>>,
    per_host: Option<Spanned<i64>>,
    allow_private: Option<bool>,
    proxy: Option<Spanned<String>>,
    max_item: Option<Spanned<String>>,
    max_items: Option<Spanned<i64>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum RawKind {
    Feed,
    Html,
    Files,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: Spanned<String>,
    kind: Spanned<RawKind>,
    url: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    follow_links: Option<Spanned<bool>>,
    schedule: Option<Spanned<String>>,
    full_text: Option<Spanned<bool>>,
    #[serde(default)]
    tags: Vec<String>,
    timezone: Option<Spanned<String>>,
    user_agent: Option<String>,
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    select: Option<Spanned<Select>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    id: Spanned<String>,
    title: Option<String>,
    description: Option<String>,
    sources: Option<Vec<Spanned<String>>>,
    tags: Option<Vec<Spanned<String>>>,
    limit: Option<Spanned<i64>>,
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    dedupe: bool,
    content: Option<ContentMode>,
}

struct Validator<'t> {
    file: String,
    text: &'t str,
    errors: Vec<ConfigError>,
}

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_SCHEDULE: &str = "*/15 * * * *";

impl<'t> Validator<'t> {
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

    fn config(&mut self, path: &Path) -> Option<Config> {
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
        let server = self.server(server);
        let store = self.store(store);
        let fetch = self.fetch(fetch, &server);
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
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
    ) -> Vec<(Range<usize>, T)> {
        let DeValue::Array(array) = value.get_ref() else {
            self.error(value.span(), key, format!("expected [[{key}]] tables"));
            return Vec::new();
        };
        array
            .iter()
            .enumerate()
            .filter_map(|(i, entry)| {
                self.section(&format!("{key}[{i}]"), entry)
                    .map(|t| (entry.span(), t))
            })
            .collect()
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
        Server {
            listen,
            base_url,
            websub_hub,
            max_connections: self.count("server.max_connections", raw.max_connections, 1024, 1)
                as usize,
            header_timeout: self
                .duration("server.header_timeout", raw.header_timeout.as_ref())
                .unwrap_or(Duration::from_secs(10)),
        }
    }

    fn store(&mut self, raw: RawStore) -> Store {
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
            state_dir: PathBuf::from(raw.state_dir.unwrap_or_else(|| "data".into())),
            retain_days: self.count("store.retain_days", raw.retain_days, 90, 1),
            keep_min: self.count("store.keep_min", raw.keep_min, 50, 0),
        }
    }

    fn fetch(&mut self, raw: RawFetch, server: &Server) -> Fetch {
        let schedule = self
            .schedule("fetch.schedule", raw.schedule.as_ref())
            .unwrap_or_else(default_schedule);
        let max_body = match raw.max_body {
            Some(m) => match parse_size(m.get_ref()) {
                Ok(n) => n,
                Err(why) => {
                    self.error(m.span(), "fetch.max_body", why);
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
                    self.error(m.span(), "fetch.max_item", why);
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
        }
    }

    fn sources(
        &mut self,
        raws: Vec<(Range<usize>, RawSource)>,
        fetch: &Fetch,
        base_dir: &Path,
    ) -> Vec<Source> {
        let mut out: Vec<Source> = Vec::new();
        for (i, (span, raw)) in raws.into_iter().enumerate() {
            let key = |k: &str| format!("source[{i}].{k}");
            let id = raw.id.get_ref().clone();
            if !valid_id(&id) {
                self.error(
                    raw.id.span(),
                    key("id"),
                    format!("{id:?}: use only a-z, 0-9, '-' and '_'"),
                );
            } else if out.iter().any(|s| s.id == id) {
                self.error(
                    raw.id.span(),
                    key("id"),
                    format!("{id:?} is already the id of another source"),
                );
            }
            let kind = *raw.kind.get_ref();
            let wants_url = matches!(kind, RawKind::Feed | RawKind::Html);
            if !wants_url && let Some(u) = &raw.url {
                self.error(
                    u.span(),
                    key("url"),
                    "a files source reads `path`, not `url`",
                );
            }
            if wants_url && let Some(p) = &raw.path {
                self.error(p.span(), key("path"), "only a files source has a `path`");
            }
            if wants_url && let Some(f) = &raw.follow_links {
                self.error(
                    f.span(),
                    key("follow_links"),
                    "only a files source has `follow_links`",
                );
            }
            if kind != RawKind::Html
                && let Some(s) = &raw.select
            {
                self.error(s.span(), key("select"), "only an html source has selectors");
            }
            if kind == RawKind::Files
                && let Some(f) = raw.full_text.as_ref().filter(|f| *f.get_ref())
            {
                self.error(
                    f.span(),
                    key("full_text"),
                    "a files source already has the full text",
                );
            }
            let url = if wants_url {
                match &raw.url {
                    Some(u) => self.http_url(&key("url"), u),
                    None => {
                        self.error(
                            span.clone(),
                            key("url"),
                            format!("a {} source needs a url", kind_name(kind)),
                        );
                        None
                    }
                }
            } else {
                None
            };
            let kind = match (kind, url) {
                (RawKind::Feed, Some(url)) => Some(SourceKind::Feed { url }),
                (RawKind::Html, Some(url)) => Some(SourceKind::Html {
                    url,
                    select: raw.select.map(Spanned::into_inner),
                }),
                (RawKind::Files, _) => match &raw.path {
                    Some(p) => Some(SourceKind::Files {
                        path: base_dir.join(p.get_ref()),
                        follow_links: raw.follow_links.as_ref().is_some_and(|f| *f.get_ref()),
                    }),
                    None => {
                        self.error(span.clone(), key("path"), "a files source needs a path");
                        None
                    }
                },
                _ => None,
            };
            let schedule = self
                .schedule(&key("schedule"), raw.schedule.as_ref())
                .unwrap_or_else(|| fetch.schedule.clone());
            let timezone = match &raw.timezone {
                Some(tz) => match tz.get_ref().parse::<Tz>() {
                    Ok(tz) => tz,
                    Err(_) => {
                        self.error(
                            tz.span(),
                            key("timezone"),
                            format!(
                                "{:?} is not an IANA time zone such as Europe/Berlin",
                                tz.get_ref()
                            ),
                        );
                        Tz::UTC
                    }
                },
                None => Tz::UTC,
            };
            let timeout = self
                .duration(&key("timeout"), raw.timeout.as_ref())
                .unwrap_or(fetch.timeout);
            if let Some(kind) = kind {
                out.push(Source {
                    id,
                    kind,
                    schedule,
                    full_text: raw.full_text.is_some_and(Spanned::into_inner),
                    tags: raw.tags,
                    timezone,
                    user_agent: raw.user_agent.unwrap_or_else(|| fetch.user_agent.clone()),
                    timeout,
                    headers: raw.headers.into_iter().collect(),
                });
            }
        }
        out
    }

    /// `declared` holds every source id written in the file, so a source
    /// already reported as invalid is not reported again as missing.
    fn feeds(
        &mut self,
        raws: Vec<(Range<usize>, RawFeed)>,
        sources: &[Source],
        declared: &[String],
    ) -> Vec<Feed> {
        let mut out: Vec<Feed> = Vec::new();
        for (i, (span, raw)) in raws.into_iter().enumerate() {
            let key = |k: &str| format!("feed[{i}].{k}");
            let id = raw.id.get_ref().clone();
            if !valid_id(&id) {
                self.error(
                    raw.id.span(),
                    key("id"),
                    format!("{id:?}: use only a-z, 0-9, '-' and '_'"),
                );
            } else if out.iter().any(|f| f.id == id) {
                self.error(
                    raw.id.span(),
                    key("id"),
                    format!("{id:?} is already the id of another feed"),
                );
            }
            if raw.sources.is_none() && raw.tags.is_none() {
                self.error(
                    span,
                    key("sources"),
                    "name the sources (ids or \"*\") and/or tags the feed draws on",
                );
            }
            let mut chosen: Vec<String> = Vec::new();
            for s in raw.sources.iter().flatten() {
                let name = s.get_ref();
                if name == "*" {
                    chosen.extend(sources.iter().map(|s| s.id.clone()));
                } else if sources.iter().any(|src| &src.id == name) {
                    chosen.push(name.clone());
                } else if !declared.contains(name) {
                    self.error(
                        s.span(),
                        key("sources"),
                        format!("no source has the id {name:?}"),
                    );
                }
            }
            for t in raw.tags.iter().flatten() {
                let tag = t.get_ref();
                let tagged: Vec<_> = sources.iter().filter(|s| s.tags.contains(tag)).collect();
                if tagged.is_empty() {
                    self.error(
                        t.span(),
                        key("tags"),
                        format!("no source has the tag {tag:?}"),
                    );
                }
                chosen.extend(tagged.into_iter().map(|s| s.id.clone()));
            }
            // Keep config order, once each.
            let chosen: Vec<String> = sources
                .iter()
                .filter(|s| chosen.contains(&s.id))
                .map(|s| s.id.clone())
                .collect();
            let include = self.regexes(&key("include"), &raw.include);
            let exclude = self.regexes(&key("exclude"), &raw.exclude);
            out.push(Feed {
                title: raw.title.unwrap_or_else(|| id.clone()),
                description: raw.description.unwrap_or_default(),
                id,
                sources: chosen,
                limit: self.count(&key("limit"), raw.limit, 50, 1) as usize,
                include,
                exclude,
                dedupe: raw.dedupe,
                content: raw.content.unwrap_or(ContentMode::Full),
            });
        }
        out
    }

    fn regexes(&mut self, key: &str, pats: &[Spanned<String>]) -> Vec<Regex> {
        pats.iter()
            .filter_map(|p| match Regex::new(p.get_ref()) {
                Ok(r) => Some(r),
                Err(e) => {
                    let why = e
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or("invalid")
                        .trim()
                        .to_string();
                    self.error(
                        p.span(),
                        key,
                        format!("invalid regex {:?}: {why}", p.get_ref()),
                    );
                    None
                }
            })
            .collect()
    }

    fn schedule(&mut self, key: &str, raw: Option<&Spanned<String>>) -> Option<Schedule> {
        let raw = raw?;
        match raw.get_ref().parse::<Schedule>() {
            Ok(s) => Some(s),
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
                self.error(raw.span(), key, why);
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

/// The key of `table` whose key or value contains `span`, if any.
fn key_in_table(table: &DeValue<'_>, span: &Range<usize>) -> Option<String> {
    let DeValue::Table(t) = table else {
        return None;
    };
    t.iter().find_map(|(k, v)| {
        let inside = |r: Range<usize>| r.start <= span.start && span.start < r.end.max(r.start + 1);
        (inside(k.span()) || inside(v.span())).then(|| k.get_ref().to_string())
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

/// Parses `30s`, `2m`, `1h`, `500ms`, `1h30m` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a duration such as 30s, 2m, 1h or 500ms");
    let t = s.trim();
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        total += match unit.trim() {
            "ms" => Duration::from_millis(n),
            "s" | "sec" => Duration::from_secs(n),
            "m" | "min" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3600),
            "d" => Duration::from_secs(n * 86400),
            _ => return Err(bad()),
        };
    }
    if total.is_zero() {
        return Err(format!("{s:?}: a duration must be more than zero"));
    }
    Ok(total)
}

/// Parses `10MiB`, `512KiB`, `1GB`, `1000` (bytes).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("{s:?} is not a size such as 10MiB, 512KiB or 1000000");
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..digits].parse().map_err(|_| bad())?;
    let mult: u64 = match t[digits..].trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(bad()),
    };
    match n.checked_mul(mult) {
        Some(0) => Err(format!("{s:?}: a size must be more than zero")),
        Some(v) => Ok(v),
        None => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        Config::parse("t.toml", text)
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn defaults_fill_a_minimal_config() {
        let c = Config::parse(
            "/etc/t/t.toml",
            "[[source]]\nid = \"n\"\nkind = \"files\"\npath = \"a\"\n",
        )
        .unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:8080");
        assert_eq!(c.server.base_url, "http://127.0.0.1:8080");
        assert_eq!(c.fetch.timeout, Duration::from_secs(30));
        assert_eq!(c.fetch.max_body, 10 << 20);
        assert_eq!(c.sources[0].schedule.to_string(), "*/15 * * * *");
        assert_eq!(
            c.sources[0].kind,
            SourceKind::Files {
                path: "/etc/t/a".into(),
                follow_links: false,
            }
        );
        assert!(c.fetch.user_agent.starts_with("tidings/"));
    }

    #[test]
    fn every_error_is_reported_with_its_place() {
        let text = r#"[server]
listen = "nowhere"

[fetch]
schedule = "* * *"
timeout = "soon"

[[source]]
id = "Bad Id"
kind = "feed"
url = "ftp://x"

[[source]]
id = "ok"
kind = "feed"
url = "https://example.org/feed"
colour = "red"

[[feed]]
id = "all"
sources = ["ok", "missing"]
include = ["("]
"#;
        let e = errors(text);
        assert_eq!(e.len(), 8, "{e:#?}");
        assert!(e[0].starts_with("t.toml:2:10: server.listen: "), "{}", e[0]);
        assert!(
            e[1].starts_with("t.toml:5:12: fetch.schedule: "),
            "{}",
            e[1]
        );
        assert!(e[2].starts_with("t.toml:6:11: fetch.timeout: "), "{}", e[2]);
        assert!(e[3].starts_with("t.toml:9:6: source[0].id: "), "{}", e[3]);
        assert!(e[4].starts_with("t.toml:11:7: source[0].url: "), "{}", e[4]);
        assert!(
            e[5].starts_with("t.toml:17:1: source[1].colour: unknown field"),
            "{}",
            e[5]
        );
        assert!(
            e[6].starts_with("t.toml:21:18: feed[0].sources: no source has the id \"missing\""),
            "{}",
            e[6]
        );
        assert!(
            e[7].starts_with("t.toml:22:12: feed[0].include: invalid regex"),
            "{}",
            e[7]
        );
    }

    #[test]
    fn unknown_section_and_syntax_errors() {
        let e = errors("[srever]\nlisten = \"x\"\n");
        assert_eq!(
            e,
            vec!["t.toml:1:2: srever: unknown key; expected server, store, fetch, source or feed"]
        );
        let e = errors("[server\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("t.toml:1:"), "{}", e[0]);
        assert!(e[0].contains("(syntax)"), "{}", e[0]);
    }

    #[test]
    fn missing_and_wrong_kind() {
        let e = errors(
            "[[source]]\nkind = \"feed\"\nurl = \"https://a.example/\"\n\n[[source]]\nid = \"b\"\nkind = \"rss\"\n",
        );
        assert_eq!(e.len(), 2, "{e:#?}");
        assert!(
            e[0].contains("source[0].id: missing field `id`"),
            "{}",
            e[0]
        );
        assert!(
            e[1].starts_with("t.toml:7:8: source[1].kind: unknown variant `rss`"),
            "{}",
            e[1]
        );
    }

    #[test]
    fn feeds_resolve_stars_and_tags_in_config_order() {
        let text = r#"
[[source]]
id = "a"
kind = "feed"
url = "https://a.example/"
tags = ["x"]
[[source]]
id = "b"
kind = "feed"
url = "https://b.example/"
[[source]]
id = "c"
kind = "feed"
url = "https://c.example/"
tags = ["x"]
[[feed]]
id = "x"
tags = ["x"]
[[feed]]
id = "all"
sources = ["*", "b"]
"#;
        let c = Config::parse("t.toml", text).unwrap();
        assert_eq!(c.feed("x").unwrap().sources, ["a", "c"]);
        assert_eq!(c.feed("all").unwrap().sources, ["a", "b", "c"]);
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("0s").is_err());
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn store_debug_hides_password() {
        let c = Config::parse("t.toml", "[store]\nurl = \"postgres://u:secret@db/x\"\n").unwrap();
        let shown = format!("{:?}", c.store);
        assert!(!shown.contains("secret"), "{shown}");
    }
}
