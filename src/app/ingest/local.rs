//! `files` sources: the folder read off the async threads, each file an
//! item whose id and link name the file; and a single article's page, read
//! from disk as a fetch reads it, for `/articles/{source}/{path}`.

use super::{Normalizing, ReadError, filtered, normalize_ruled};
use crate::app::App;
use crate::config::{Source, SourceKind};
use crate::model::{Item, RawItem};
use crate::render;
use crate::source;
use crate::store::FetchOutcome;
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use tracing::warn;

pub(super) async fn read_files(
    source: &Source,
    path: PathBuf,
    follow_links: bool,
    base_url: String,
    now: DateTime<Utc>,
    max_item: usize,
    preview: bool,
) -> Result<(FetchOutcome, usize), ReadError> {
    let n = Normalizing::of(source, max_item);
    let done = tokio::task::spawn_blocking(move || {
        let (raws, errors) = source::files::read_dir(&path, follow_links)?;
        for e in errors {
            warn!(source = n.id, "skipped: {e}");
        }
        let ctx = n.context(None, now);
        let items: Vec<Item> = raws
            .into_iter()
            .map(|(rel_path, raw)| {
                let mut raw = local_article(&n.id, &rel_path, raw, &base_url);
                n.rules.raw_item(&mut raw, max_item);
                normalize_ruled(raw, &ctx, &n.rules)
            })
            .collect();
        Ok::<_, source::files::FilesError>(items)
    })
    .await
    .map_err(|source| ReadError::Crashed {
        what: "reading files",
        source,
    })??;
    let (items, left_out) = filtered(source, done, preview);
    Ok((
        FetchOutcome::Fetched {
            pages: Vec::new(),
            etag: None,
            last_modified: None,
            title: None,
            items,
        },
        left_out,
    ))
}

impl App {
    /// The page of a local article file, read from disk as a fetch reads it
    /// (so a path outside the source's folder, or not an article, is none).
    pub(in crate::app) async fn local_article_page(
        &self,
        source: &str,
        rel_path: &str,
    ) -> Option<String> {
        let config = self.config();
        let src = config.source(source)?;
        let SourceKind::Files { path, follow_links } = &src.kind else {
            return None;
        };
        let (dir, follow_links) = (path.clone(), *follow_links);
        let rel_path = rel_path.to_string();
        let base = config.server.base_url.clone();
        let n = Normalizing::of(src, config.fetch.max_item);
        let now = self.now();
        tokio::task::spawn_blocking(move || {
            let raw = source::files::read_one(&dir, &rel_path, follow_links)?;
            let ctx = n.context(None, now);
            let mut raw = local_article(&n.id, &rel_path, raw, &base);
            n.rules.raw_item(&mut raw, n.max_item);
            let item = normalize_ruled(raw, &ctx, &n.rules);
            Some(render::article_page(&item))
        })
        .await
        .ok()
        .flatten()
    }
}

/// A local article file with its identity: a `tag:` URI of its source and
/// path (unique across sources, stable across restarts) unless the file
/// names its own link, and, as its link, the page tidings serves it at.
fn local_article(source: &str, rel_path: &str, mut raw: RawItem, base_url: &str) -> RawItem {
    if raw.guid.is_none() {
        raw.guid = Some(local_article_id(source, rel_path));
    }
    if raw.link.is_none() {
        raw.link = local_article_url(base_url, source, rel_path);
    }
    raw
}

/// `tag:tidings,2026:SOURCE/PATH`, the path's characters that a tag URI
/// does not allow percent-encoded (non-ASCII stays, as IRIs allow). The
/// store's migration from the old `file:PATH` ids encodes the same set.
fn local_article_id(source: &str, rel_path: &str) -> String {
    let mut id = format!("tag:tidings,2026:{source}/");
    for c in rel_path.chars() {
        if c.is_ascii_alphanumeric() || ";/?:@&=+$.-_!~*'(),".contains(c) || !c.is_ascii() {
            id.push(c);
        } else {
            id.push_str(&format!("%{:02X}", c as u32));
        }
    }
    id
}

/// `BASE/articles/SOURCE/PATH`, where the server shows the article.
fn local_article_url(base_url: &str, source: &str, rel_path: &str) -> Option<String> {
    let mut url = url::Url::parse(base_url).ok()?;
    url.path_segments_mut()
        .ok()?
        .pop_if_empty()
        .push("articles")
        .push(source)
        .extend(rel_path.split('/'));
    Some(url.into())
}
