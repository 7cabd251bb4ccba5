//! The CPU side of a read: fetched HTML tamed to the work budget, a feed
//! parsed and each item normalized through the source's content rules, and
//! the `include`/`exclude` filters (before article pages are fetched and
//! after). Pure; uses the stages `app` may use.

use crate::app::compose;
use crate::config::Source;
use crate::model::{Item, RawItem};
use crate::normalize;
use crate::rules::Rules;
use crate::source;
use crate::text;
use chrono::{DateTime, Utc};

/// A fetched HTML page as text within the HTML work budget before anything
/// parses it (listings, article extraction, `tidings extract`): tags nested
/// too deep are dropped with their text kept ([`text::budget::tame`]), so an
/// article inside a hundred thousand wrappers survives, then the page is
/// cut where it has too many tags ([`text::budget::cut_to_budget`]).
pub(crate) fn page_html(bytes: &[u8], content_type: Option<&str>) -> String {
    let html = text::decode::decode_html(bytes, content_type);
    let mut html = match text::budget::tame(&html) {
        std::borrow::Cow::Borrowed(_) => html,
        std::borrow::Cow::Owned(tamed) => tamed,
    };
    text::budget::cut_to_budget(&mut html);
    html
}

/// A feed's title, its RSS `<ttl>` in minutes, each raw item with its
/// normalized form, and the WebSub hubs and `rel="self"` URL it states.
pub(crate) type ParsedItems = (
    Option<String>,
    Option<u32>,
    Vec<(RawItem, Item)>,
    (Vec<String>, Option<String>),
);

/// What normalizing a source's items needs, owned so that it goes into a
/// CPU thread: the source's id, zone and content rules, and the bound on
/// an item's bytes.
pub(super) struct Normalizing {
    pub(super) id: String,
    timezone: chrono_tz::Tz,
    pub(super) rules: Rules,
    pub(super) max_item: usize,
}

impl Normalizing {
    pub(super) fn of(source: &Source, max_item: usize) -> Normalizing {
        Normalizing {
            id: source.id.clone(),
            timezone: source.timezone,
            rules: source.rules.clone(),
            max_item,
        }
    }

    /// The context of items read at `now` from a document at `base_url`
    /// (none for a local file, which has no address of its own to resolve
    /// its links against).
    pub(super) fn context<'a>(
        &'a self,
        base_url: Option<&'a url::Url>,
        now: DateTime<Utc>,
    ) -> normalize::Context<'a> {
        normalize::Context {
            source: &self.id,
            base_url,
            timezone: self.timezone,
            now,
            max_item: self.max_item,
        }
    }
}

/// Parses a fetched feed and normalizes every item: the CPU work of a feed
/// fetch (the ingest benchmark times it too).
#[cfg(any(test, feature = "bench", feature = "fuzzing"))]
pub(crate) fn parse_feed(
    id: &str,
    tz: chrono_tz::Tz,
    bytes: &[u8],
    content_type: Option<&str>,
    url: &url::Url,
    now: DateTime<Utc>,
    max_item: usize,
) -> Result<ParsedItems, source::feed::FeedError> {
    let ctx = normalize::Context {
        source: id,
        base_url: Some(url),
        timezone: tz,
        now,
        max_item,
    };
    parse_feed_ruled(bytes, content_type, &ctx, &Rules::default())
}

/// `parse_feed` with the source's content rules applied to each item;
/// `ctx.base_url` is the feed's URL.
pub(super) fn parse_feed_ruled(
    bytes: &[u8],
    content_type: Option<&str>,
    ctx: &normalize::Context,
    rules: &Rules,
) -> Result<ParsedItems, source::feed::FeedError> {
    let url = ctx.base_url.map_or("", |u| u.as_str());
    let tz = ctx.timezone;
    let parsed = source::feed::parse(bytes, content_type, url, ctx.max_item, move |t| {
        normalize::parse_date(t, tz)
    })?;
    Ok((
        parsed.title,
        parsed.ttl,
        normalize_all(parsed.items, ctx, rules),
        (parsed.hubs, parsed.self_link),
    ))
}

/// Each raw item, through the source's rules, with its normalized form:
/// the raw one is kept to merge with the article page behind it (its rules
/// already applied, so the merge does not apply them twice).
pub(super) fn normalize_all(
    raws: Vec<RawItem>,
    ctx: &normalize::Context,
    rules: &Rules,
) -> Vec<(RawItem, Item)> {
    raws.into_iter()
        .map(|mut raw| {
            rules.raw_item(&mut raw, ctx.max_item);
            let item = normalize_ruled(raw.clone(), ctx, rules);
            (raw, item)
        })
        .collect()
}

/// A raw item whose HTML rules were applied, normalized, then given its
/// title rewrites.
pub(super) fn normalize_ruled(raw: RawItem, ctx: &normalize::Context, rules: &Rules) -> Item {
    let mut item = normalize::item(raw, ctx);
    rules.item(&mut item, ctx.max_item);
    item
}

/// Before article pages are fetched (`follow`): the items the source's
/// `include`/`exclude` rules would leave out whatever their page says, so
/// their pages are not fetched at all. That is an item with its own title
/// and summary: the merge with its page keeps both, so its filter text
/// (title, then summary) cannot change. The rest are judged after.
/// Also returns how many it left out.
pub(super) fn settled(
    source: &Source,
    mut pairs: Vec<(RawItem, Item)>,
    follow: bool,
) -> (Vec<(RawItem, Item)>, usize) {
    let before = pairs.len();
    if follow && source.rules.filters() {
        pairs.retain(|(raw, item)| {
            raw.title.is_none()
                || item.summary_html.is_none()
                || source.rules.keeps(&compose::filter_text(item))
        });
    }
    let left_out = before - pairs.len();
    (pairs, left_out)
}

/// The items that pass the source's `include` and `exclude` rules, matched
/// on the text a `[[feed]]`'s filters read. What they leave out is logged
/// (at info in a preview, where it is the point); also returns how many.
pub(super) fn filtered(source: &Source, mut items: Vec<Item>, preview: bool) -> (Vec<Item>, usize) {
    if !source.rules.filters() {
        return (items, 0);
    }
    let before = items.len();
    items.retain(|i| source.rules.keeps(&compose::filter_text(i)));
    let left_out = before - items.len();
    if left_out > 0 {
        if preview {
            tracing::info!(
                source = source.id,
                "{left_out} of {before} items left out by the source's include/exclude rules"
            );
        } else {
            tracing::debug!(source = source.id, "{left_out} items left out by rules");
        }
    }
    (items, left_out)
}
