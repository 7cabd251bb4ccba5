//! The one-shot commands of the command line (`fetch`, `sources`, `render`,
//! `preview`, `extract`, `opml export`): each opens what it needs, does one
//! thing and returns. Part of `app`, the composition root.

use super::{App, AppError, Failure, Format, GONE, Report, is_gone, public_url, state_dir};
use crate::config::{Config, Source, SourceKind};
use crate::extract;
use crate::model::Item;
use crate::normalize;
use crate::opml::{self, Outline};
use crate::schedule::adaptive;
use crate::store::{self, FetchOutcome, SourceState};
use chrono::Utc;

/// What `tidings check` finds beyond the config's own validation: what
/// `run` would trip on later in the filesystem (a `files` folder that
/// cannot be read), each naming its source. Empty when all is well.
pub fn check(config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    for source in &config.sources {
        if let SourceKind::Files { path, .. } = &source.kind
            && let Err(e) = std::fs::read_dir(path)
        {
            problems.push(format!(
                "source {:?}: path: cannot read the folder {}: {e}",
                source.id,
                path.display()
            ));
        }
    }
    problems
}

/// `tidings opml export` and `GET /opml`: the configured sources as OPML 2.0,
/// by default subscribed through this server (see [`opml`] for why).
pub fn opml_export(config: &Config, target: opml::Target) -> Vec<u8> {
    let outlines: Vec<Outline> = config
        .sources
        .iter()
        .map(|s| {
            // The served list (`GET /opml`) is public: no password or
            // token in a URL shown there. Listing the origins is for the
            // operator, who needs them whole.
            let shown = |url: &url::Url| match target {
                opml::Target::Served => public_url(url),
                opml::Target::Origin => url.to_string(),
            };
            let (origin, page) = match &s.kind {
                SourceKind::Feed { url } => (Some(shown(url)), None),
                SourceKind::Html { url, .. } => (None, Some(shown(url))),
                SourceKind::Files { .. } => (None, None),
            };
            Outline {
                id: s.id.clone(),
                title: s.title.clone(),
                origin,
                page,
                tags: s.tags.clone(),
            }
        })
        .collect();
    let feeds: Vec<opml::MergedFeed> = config
        .feeds
        .iter()
        .map(|f| opml::MergedFeed {
            id: f.id.clone(),
            title: f.title.clone(),
        })
        .collect();
    opml::export(&config.server.base_url, &outlines, &feeds, target)
}

/// What [`fetch`] tells its caller as it goes.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// The fetch of this source began.
    Started(&'a str),
    /// A fetch ended, with its line.
    Done(&'a Report),
}

/// `tidings fetch`: fetches the named sources (all when `only` is empty)
/// once, concurrently within the fetch limits; calls `progress` as each
/// starts and as each ends (in the order they end). Returns the reports in
/// config order.
///
/// Fails before fetching anything when a name is no source's id.
pub async fn fetch(
    config: Config,
    only: &[String],
    mut progress: impl FnMut(Progress<'_>),
) -> Result<Vec<Report>, AppError> {
    for id in only {
        if config.source(id).is_none() {
            return Err(AppError::UnknownSource(id.clone()));
        }
    }
    let app = App::open(config).await?;
    let chosen: Vec<Source> = app
        .config()
        .sources
        .iter()
        .filter(|s| only.is_empty() || only.contains(&s.id))
        .cloned()
        .collect();
    // Starts come from the tasks; they are handed to `progress` here, on
    // the caller's task, so `progress` needs to be neither Send nor Sync.
    let (started_tx, mut started) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = tokio::task::JoinSet::new();
    let mut ids = std::collections::HashMap::new();
    for (i, source) in chosen.into_iter().enumerate() {
        let app = app.clone();
        let id = source.id.clone();
        let started_tx = started_tx.clone();
        let task = tasks.spawn(async move {
            let _ = started_tx.send(source.id.clone());
            (i, app.fetch_source(&source).await)
        });
        ids.insert(task.id(), (i, id));
    }
    drop(started_tx);
    let mut reports = Vec::new();
    loop {
        let done = tokio::select! {
            biased;
            Some(id) = started.recv() => {
                progress(Progress::Started(&id));
                continue;
            }
            done = tasks.join_next_with_id() => match done {
                Some(done) => done,
                None => break,
            },
        };
        // A task that died still gets its line, as a failure.
        let r = match done {
            Ok((_, r)) => r,
            Err(e) => {
                let (i, source) = ids.remove(&e.id()).unwrap_or_default();
                let why = if e.is_panic() { "crashed" } else { "cancelled" };
                (
                    i,
                    Report {
                        source,
                        result: Err(Failure::Died(why)),
                        warning: None,
                    },
                )
            }
        };
        progress(Progress::Done(&r.1));
        reports.push(r);
    }
    reports.sort_by_key(|(i, _)| *i);
    Ok(reports.into_iter().map(|(_, r)| r).collect())
}

/// One row of `tidings sources`.
#[derive(Debug, Clone)]
pub struct SourceRow {
    pub id: String,
    pub kind: &'static str,
    pub schedule: String,
    pub state: Option<SourceState>,
    /// A permanent move, a 410, or the last error, in words.
    pub note: String,
}

/// `tidings sources`: each configured source with what the store knows of
/// it, in config order.
pub async fn sources(config: Config) -> Result<Vec<SourceRow>, AppError> {
    let store = store::open(&config.store.url, &state_dir(&config)).await?;
    let states = store.source_states().await?;
    Ok(config
        .sources
        .iter()
        .map(|source| {
            let state = states.iter().find(|s| s.id == source.id).cloned();
            let config_url = match &source.kind {
                SourceKind::Feed { url } | SourceKind::Html { url, .. } => Some(url.to_string()),
                SourceKind::Files { .. } => None,
            };
            let current = state
                .as_ref()
                .filter(|s| s.config_url == config_url)
                .and_then(|s| s.url.clone());
            let note = if is_gone(source, state.as_ref()) {
                GONE.to_string()
            } else if let Some(url) = current.filter(|u| Some(u) != config_url.as_ref()) {
                format!("moved to {url}")
            } else {
                state
                    .as_ref()
                    .and_then(|s| s.last_error.clone())
                    .unwrap_or_default()
            };
            // The feed autodiscovery found on the source's page.
            let via = state
                .as_ref()
                .filter(|s| s.config_url == config_url)
                .and_then(|s| s.feed_url.as_deref());
            let note = match via {
                Some(feed) if note.is_empty() => format!("via {feed}"),
                Some(feed) => format!("via {feed}; {note}"),
                None => note,
            };
            SourceRow {
                id: source.id.clone(),
                kind: source.kind.name(),
                schedule: match (source.adaptive, state.as_ref().and_then(|s| s.interval)) {
                    (true, Some(every)) => format!("adaptive {}", adaptive::show(every)),
                    (true, None) => "adaptive".to_string(),
                    (false, _) => source.schedule.to_string(),
                },
                state,
                note,
            }
        })
        .collect())
}

/// `tidings render`: one feed, from the store, in one format.
pub async fn render(config: Config, feed: &str, format: Format) -> Result<Vec<u8>, AppError> {
    let app = App::open(config).await?;
    let feed = app
        .config()
        .feed(feed)
        .cloned()
        .ok_or_else(|| AppError::UnknownFeed(feed.to_string()))?;
    let items = app.feed_items(&feed).await?;
    let archived = app.store.archive_head(&feed.id).await?.map(|(n, _)| n);
    Ok(format.render(&app.feed_meta(&feed, &items, archived), &items))
}

/// What `tidings extract` prints: the article on one page, normalized as an
/// item would be (title as plain text, date parsed, HTML sanitized with
/// absolute links).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Extracted {
    pub title: Option<String>,
    /// The authors, joined with `, `.
    pub author: Option<String>,
    /// RFC 3339, UTC; `None` when the page gives no date it can be read from.
    pub published: Option<String>,
    pub body_html: Option<String>,
    pub body_text: String,
    pub url: Option<String>,
}

/// `tidings extract`: the article on one HTML page, read from `bytes`; `url`
/// is where the page lives, for relative links.
///
/// Fails when `url` is not an absolute URL or the page holds no article.
pub fn extract_page(bytes: &[u8], url: Option<&str>) -> Result<Extracted, AppError> {
    let base = url
        .map(|u| url::Url::parse(u).map_err(|_| AppError::BadUrl(u.to_string())))
        .transpose()?;
    let html = super::ingest::page_html(bytes, None);
    let article = extract::extract(&html, base.as_ref()).map_err(AppError::Extract)?;
    // Without --url, the page's own canonical URL resolves its relative links.
    let base = base.or_else(|| article.url.as_deref().and_then(|u| url::Url::parse(u).ok()));
    let title = article.title.is_some();
    let body_text = article.body_text.clone();
    let ctx = normalize::Context {
        source: "extract",
        base_url: base.as_ref(),
        timezone: chrono_tz::UTC,
        now: Utc::now(),
        // Extraction shows the whole article it found.
        max_item: usize::MAX,
    };
    let item = normalize::item(article.into_raw(base.as_ref()), &ctx);
    Ok(Extracted {
        title: title.then_some(item.title),
        author: (!item.authors.is_empty()).then(|| item.authors.join(", ")),
        published: item.dated.then(|| item.published.to_rfc3339()),
        body_html: item.content_html,
        body_text,
        url: item.link,
    })
}

/// `tidings preview`: fetches one source now and returns its normalized
/// items, newest first, without writing anything to the store. Every
/// article page is fetched, as if the store were empty.
///
/// Fails when the id names no source, or the source cannot be read.
pub async fn preview(config: Config, id: &str) -> Result<Vec<Item>, AppError> {
    let source = config
        .source(id)
        .cloned()
        .ok_or_else(|| AppError::UnknownSource(id.to_string()))?;
    let app = App::open(config).await?;
    let id = source.id.clone();
    read_preview(&app, &source, id).await
}

/// One source's items read now, newest first, nothing written; a failure
/// is named `name`.
pub(super) async fn read_preview(
    app: &App,
    source: &Source,
    name: String,
) -> Result<Vec<Item>, AppError> {
    match app.read_source(source, None, app.now(), true).await.outcome {
        Ok(FetchOutcome::Fetched { mut items, .. }) => {
            items.sort_by_key(|i| std::cmp::Reverse(i.published));
            Ok(items)
        }
        Ok(FetchOutcome::NotModified | FetchOutcome::Failed { .. }) => Ok(Vec::new()),
        Err(error) => Err(AppError::Preview(name, error)),
    }
}
