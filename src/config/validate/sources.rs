//! Checking the `[[source]]` and `[[feed]]` entries: ids, kinds, URLs and
//! paths, schedules, and the feeds' references to sources. Uses the
//! [`Validator`] of `super` and the config's own types.

use super::super::raw::{RawFeed, RawKind, RawSource};
use super::super::*;
use super::{ADAPTIVE, MAX_ARCHIVE_PAGE, Validator, kind_name, valid_id};
use std::collections::HashSet;
use std::ops::Range;
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn sources(
        &mut self,
        raws: Vec<(usize, Range<usize>, RawSource)>,
        fetch: &Fetch,
        base_dir: &Path,
    ) -> Vec<Source> {
        let mut out: Vec<Source> = Vec::with_capacity(raws.len());
        // Ids seen so far: a scan of `out` per source was quadratic, minutes
        // at 100,000 sources.
        let mut ids: HashSet<String> = HashSet::new();
        for (i, span, raw) in raws {
            let id = raw.id.get_ref().clone();
            // The place in the file and, when it is one, the id.
            let key = |k: &str| match valid_id(&id) {
                true => format!("source[{i}] ({id}).{k}"),
                false => format!("source[{i}].{k}"),
            };
            if !valid_id(&id) {
                self.error(
                    raw.id.span(),
                    key("id"),
                    format!("{id:?}: use only a-z, 0-9, '-' and '_'"),
                );
            } else if !ids.insert(id.clone()) {
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
            if let Some(f) = raw.full_text.as_ref().filter(|f| *f.get_ref()) {
                match kind {
                    RawKind::Files => self.error(
                        f.span(),
                        key("full_text"),
                        "a files source already has the full text",
                    ),
                    RawKind::Html => self.error(
                        f.span(),
                        key("full_text"),
                        "an html source reads its articles with `select.follow = true` (or without selectors); full_text is for feed sources",
                    ),
                    RawKind::Feed => {}
                }
            }
            if let Some(select) = &raw.select {
                self.selectors(&key("select"), select);
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
            let adaptive = raw
                .schedule
                .as_ref()
                .is_some_and(|s| s.get_ref().trim() == ADAPTIVE);
            let schedule = match adaptive {
                true => None,
                false => self.schedule(&key("schedule"), raw.schedule.as_ref()),
            }
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
            let rules = raw
                .rules
                .map(|r| self.rules(&key("rules"), r.into_inner()))
                .unwrap_or_default();
            if let Some(kind) = kind {
                out.push(Source {
                    id,
                    title: raw
                        .title
                        .map(|t| t.trim().to_string())
                        .filter(|t| !t.is_empty()),
                    kind,
                    schedule,
                    full_text: raw.full_text.is_some_and(Spanned::into_inner),
                    tags: raw.tags,
                    timezone,
                    user_agent: raw.user_agent.unwrap_or_else(|| fetch.user_agent.clone()),
                    timeout,
                    headers: raw.headers.into_iter().collect(),
                    rules,
                    adaptive,
                });
            }
        }
        out
    }

    /// `declared` holds every source id written in the file, so a source
    /// already reported as invalid is not reported again as missing.
    pub(super) fn feeds(
        &mut self,
        raws: Vec<(usize, Range<usize>, RawFeed)>,
        sources: &[Source],
        declared: &[String],
    ) -> Vec<Feed> {
        let mut out: Vec<Feed> = Vec::new();
        let ids: HashSet<&str> = sources.iter().map(|s| s.id.as_str()).collect();
        for (i, span, raw) in raws {
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
            let mut chosen: HashSet<&str> = HashSet::new();
            for s in raw.sources.iter().flatten() {
                let name = s.get_ref();
                if name == "*" {
                    chosen.extend(ids.iter().copied());
                } else if let Some(id) = ids.get(name.as_str()) {
                    chosen.insert(id);
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
                chosen.extend(tagged.into_iter().map(|s| s.id.as_str()));
            }
            // Keep config order, once each.
            let chosen: Vec<String> = sources
                .iter()
                .filter(|s| chosen.contains(s.id.as_str()))
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
                error_items: raw.error_items,
                archive_page: match raw.archive_page {
                    Some(n) if *n.get_ref() > MAX_ARCHIVE_PAGE => {
                        self.error(
                            n.span(),
                            key("archive_page"),
                            format!(
                                "{} is out of range: expected 0 (no archive) to {MAX_ARCHIVE_PAGE} items a page",
                                n.get_ref()
                            ),
                        );
                        0
                    }
                    n => self.count(&key("archive_page"), n, 100, 0),
                },
            });
        }
        out
    }
}
