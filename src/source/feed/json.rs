//! JSON Feed 1.0 and 1.1, read leniently: a field of the wrong type is
//! skipped, not the feed (a `tags` string, a numeric id, a 1.0 `author`, any
//! `version`). Read straight off `serde_json`'s tree rather than through
//! feed-rs, whose typed model refuses such feeds whole.

use super::reader::escape;
use super::{DateParser, FeedError, ParsedFeed};
use crate::model::{Enclosure, RawDate, RawItem};
use serde_json::Value;

pub fn parse(text: &str, parse_date: DateParser) -> Result<ParsedFeed, FeedError> {
    let feed: Value = serde_json::from_str(text)
        .map_err(|e| FeedError::new(format!("the document is not valid JSON: {e}")))?;
    let Some(obj) = feed.as_object() else {
        return Err(FeedError::new("the JSON document is not an object"));
    };
    let looks_like_feed = obj
        .get("version")
        .and_then(Value::as_str)
        .is_some_and(|v| v.contains("jsonfeed.org"))
        || obj.get("items").is_some_and(Value::is_array);
    if !looks_like_feed {
        return Err(FeedError::new(
            "the JSON document is not a JSON Feed (no version, no items)",
        ));
    }
    let feed_authors = authors(&feed);
    let items = obj
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|i| i.is_object())
        .map(|i| {
            let mut raw = item(i, parse_date);
            if raw.authors.is_empty() {
                raw.authors = feed_authors.clone();
            }
            raw
        })
        .collect();
    Ok(ParsedFeed {
        title: string(&feed, "title").map(|t| escape(&t)),
        link: string(&feed, "home_page_url"),
        ttl: None,
        items,
        hubs: obj
            .get("hubs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|h| string(h, "type").is_none_or(|t| t.eq_ignore_ascii_case("websub")))
            .filter_map(|h| string(h, "url"))
            .collect(),
        self_link: string(&feed, "feed_url"),
    })
}

fn item(i: &Value, parse_date: DateParser) -> RawItem {
    let date = |key: &str| {
        string(i, key)
            .and_then(|d| parse_date(d.trim()))
            .map(|d| RawDate::At(d.fixed_offset()))
    };
    let content =
        string(i, "content_html").or_else(|| string(i, "content_text").map(|t| text_html(&t)));
    RawItem {
        guid: match i.get("id") {
            Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
        link: string(i, "url").or_else(|| string(i, "external_url")),
        title: string(i, "title").map(|t| escape(&t)),
        authors: authors(i),
        summary_html: string(i, "summary").map(|t| escape(&t)),
        content_html: content,
        published: date("date_published"),
        updated: date("date_modified"),
        categories: match i.get("tags") {
            Some(Value::Array(tags)) => {
                tags.iter().filter_map(scalar).map(|t| escape(&t)).collect()
            }
            Some(tag) => scalar(tag).map(|t| escape(&t)).into_iter().collect(),
            None => Vec::new(),
        },
        enclosures: i
            .get("attachments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| {
                Some(Enclosure {
                    url: string(a, "url")?,
                    mime_type: string(a, "mime_type")
                        .unwrap_or_else(|| "application/octet-stream".into()),
                    length: a.get("size_in_bytes").and_then(number).unwrap_or(0),
                    duration: a.get("duration_in_seconds").and_then(number),
                })
            })
            .collect(),
        base_url: None,
    }
}

/// 1.1's `authors`, else 1.0's `author`; a name, or a bare string.
fn authors(v: &Value) -> Vec<String> {
    let list: Vec<&Value> = match (v.get("authors"), v.get("author")) {
        (Some(Value::Array(a)), _) => a.iter().collect(),
        (Some(one), _) | (None, Some(one)) => vec![one],
        (None, None) => Vec::new(),
    };
    let mut names: Vec<String> = Vec::new();
    for a in list {
        let name = match a {
            Value::String(s) => Some(s.clone()),
            Value::Object(_) => string(a, "name").or_else(|| string(a, "url")),
            _ => None,
        };
        if let Some(name) = name.map(|n| escape(n.trim())).filter(|n| !n.is_empty())
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

fn string(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|s| !s.trim().is_empty())
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// `content_text` as HTML: escaped, paragraphs and line breaks kept.
fn text_html(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", escape(p.trim()).replace('\n', "<br>")))
        .collect()
}
