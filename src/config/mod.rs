//! The TOML config: parsed with serde into raw types, then validated into a
//! checked [`Config`], so the rest of the program never sees an unvalidated
//! value.
//!
//! Every problem is reported at once, each as `FILE:LINE:COLUMN: key: what is
//! wrong`: each top-level section and each `[[source]]`/`[[feed]]` entry is
//! deserialized on its own, so one bad entry does not hide the next.
//!
//! Parts: `raw` (the file's shape as serde reads it, with spans), `validate`
//! (raw → checked, collecting every error), `units` (durations and sizes);
//! this module holds the checked types.
//!
//! Depends on `model`-level data, on [`crate::schedule`] (to check cron
//! expressions) and on [`crate::rules`] (to compile `[source.rules]`);
//! nothing else in the crate.
//!
//! ```
//! let cfg = tidings::Config::parse(
//!     "tidings.toml",
//!     "[[source]]\nid = \"a\"\nkind = \"feed\"\nurl = \"https://example.org/rss\"\n",
//! ).unwrap();
//! assert_eq!(cfg.sources[0].id, "a");
//! ```

mod raw;
#[cfg(test)]
mod tests;
mod units;
mod validate;

pub use units::{UnitError, parse_duration, parse_size};

use crate::rules::Rules;
use crate::schedule::Schedule;
use chrono_tz::Tz;
use regex::Regex;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use validate::Validator;

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
    /// When set, the index page, `/metrics` and `/opml` answer only
    /// requests with `Authorization: Bearer TOKEN`; feeds stay public.
    pub admin_token: Option<Secret>,
    /// How long after an item is first stored before it may enter a
    /// frozen archive page: longer than any fetch takes, so an item of a
    /// fetch still being written can never land before a page that froze
    /// meanwhile.
    pub archive_settle: Duration,
    /// Subscribe at the WebSub hubs that `feed` sources advertise, with
    /// callbacks under `base_url` (which must then be set).
    pub websub_subscribe: bool,
}

/// A value never printed: `Debug` shows `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
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
    /// The bounds of `schedule = "adaptive"`: the shortest and the longest
    /// interval it may learn.
    pub adaptive_min: Duration,
    pub adaptive_max: Duration,
    /// How often a source whose hub pushes to a live subscription is still
    /// polled: the safety interval.
    pub websub_poll: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: String,
    /// How the source is named to people (index page, OPML, its feed);
    /// else the feed's own title, else the id.
    pub title: Option<String>,
    pub kind: SourceKind,
    pub schedule: Schedule,
    pub full_text: bool,
    pub tags: Vec<String>,
    pub timezone: Tz,
    pub user_agent: String,
    pub timeout: Duration,
    pub headers: Vec<(String, String)>,
    /// `[source.rules]`, compiled (none: [`Rules::default`]).
    pub rules: Rules,
    /// `schedule = "adaptive"`: polled at an interval learned from its own
    /// history, within `[fetch] adaptive_min`/`adaptive_max`; `schedule` is
    /// then the `[fetch]` default, used where a fixed interval is asked for
    /// (the feeds' `ttl`).
    pub adaptive: bool,
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
    /// Each source of the feed that is failing (or listing nothing) shows
    /// as one item saying so and since when, as RSS-Bridge does.
    pub error_items: bool,
    /// Items per RFC 5005 archive page; 0: no archive.
    pub archive_page: u32,
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
            && self.error_items == other.error_items
            && self.archive_page == other.archive_page
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", lines(.0))]
pub struct ConfigErrors(pub Vec<ConfigError>);

fn lines(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

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
        let mut v = Validator::new(path.display().to_string(), text);
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
