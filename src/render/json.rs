//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>), serialized with serde.

use serde::Serialize;

use super::{UNKNOWN_MIME, rfc3339};
use crate::model::{FeedMeta, Item};

const VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct Feed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: String,
    feed_url: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hubs: Option<[Hub<'a>; 1]>,
    /// The older items: the archive page before this document.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<String>,
    items: Vec<JsonItem<'a>>,
    /// tidings' extension: the RFC 5005 links.
    #[serde(rename = "_tidings", skip_serializing_if = "Option::is_none")]
    tidings: Option<FeedExtension>,
}

/// JSON Feed's extension object for a feed document in an archive: RFC
/// 5005's links and whether it is an archive page.
#[derive(Serialize)]
struct FeedExtension {
    archive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    current: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev_archive: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_archive: Option<String>,
}

#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    title: &'a str,
    content_html: &'a str,
    date_published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
    /// tidings' extension: where the item came from.
    #[serde(rename = "_tidings", skip_serializing_if = "Option::is_none")]
    tidings: Option<Extension<'a>>,
}

/// JSON Feed's extension object for tidings (`_tidings`).
#[derive(Serialize)]
struct Extension<'a> {
    /// Every source that carried the item, the one it came through first.
    sources: Vec<Carrier<'a>>,
}

#[derive(Serialize)]
struct Carrier<'a> {
    id: &'a str,
    title: &'a str,
    /// The source's own feed on this server.
    feed_url: String,
    /// Where the source lives upstream, without secrets.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [String],
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Attachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_in_seconds: Option<u64>,
}

/// JSON Feed 1.1 bytes (compact UTF-8).
pub fn json(meta: &FeedMeta, items: &[Item]) -> Vec<u8> {
    let feed = Feed {
        version: VERSION,
        title: &meta.title,
        home_page_url: meta.home_url(),
        feed_url: meta.url("json"),
        description: &meta.description,
        hubs: meta.hub.as_deref().map(|url| {
            [Hub {
                kind: "WebSub",
                url,
            }]
        }),
        next_url: None,
        items: items.iter().map(|i| item(meta, i)).collect(),
        tidings: None,
    };
    let feed = match meta.archive {
        None => feed,
        Some(_) => {
            let links = meta.archive_links("json");
            let link = |rel: &str| {
                links
                    .iter()
                    .find(|(r, _)| *r == rel)
                    .map(|(_, u)| u.clone())
            };
            Feed {
                next_url: link("prev-archive"),
                tidings: Some(FeedExtension {
                    archive: meta.is_archive(),
                    current: link("current"),
                    prev_archive: link("prev-archive"),
                    next_archive: link("next-archive"),
                }),
                ..feed
            }
        }
    };
    serde_json::to_vec(&feed).expect("these structs always serialize")
}

fn item<'a>(meta: &'a FeedMeta, item: &'a Item) -> JsonItem<'a> {
    let carriers: Vec<Carrier<'a>> = meta
        .carriers(item)
        .map(|s| Carrier {
            id: &s.id,
            title: &s.title,
            feed_url: meta.source_url(&s.id, "json"),
            url: s.url.as_deref(),
            tags: &s.tags,
        })
        .collect();
    JsonItem {
        id: item.global_id(),
        url: item.link.as_deref(),
        title: &item.title,
        // JSON Feed's `summary` is plain text, which we do not have; HTML
        // goes in `content_html`, which must be present (possibly empty)
        // when there is no `content_text`.
        content_html: item
            .content_html
            .as_deref()
            .or(item.summary_html.as_deref())
            .unwrap_or_default(),
        date_published: rfc3339(item.published),
        date_modified: item.updated.map(|_| rfc3339(item.modified())),
        authors: item.authors.iter().map(|name| Author { name }).collect(),
        tags: &item.categories,
        attachments: item
            .enclosures
            .iter()
            .map(|e| Attachment {
                url: &e.url,
                mime_type: if e.mime_type.is_empty() {
                    UNKNOWN_MIME
                } else {
                    &e.mime_type
                },
                // Zero means "unknown" in feeds; the field is optional.
                size_in_bytes: (e.length > 0).then_some(e.length),
                duration_in_seconds: e.duration,
            })
            .collect(),
        tidings: (!carriers.is_empty()).then_some(Extension { sources: carriers }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;
    use serde_json::{Value, json};

    fn parse(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).expect("valid JSON")
    }

    #[test]
    fn feed_fields() {
        let v = parse(&json(&fixtures::meta(), &fixtures::items()));
        assert_eq!(v["version"], VERSION);
        assert_eq!(v["title"], "All & <everything>");
        assert_eq!(v["home_page_url"], "https://news.example.org/");
        assert_eq!(v["feed_url"], "https://news.example.org/feeds/all.json");
        assert_eq!(v["description"], "Every source, merged");
        assert_eq!(
            v["hubs"],
            json!([{"type": "WebSub", "url": "https://hub.example.net/"}])
        );
        assert_eq!(v["items"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn full_item_fields() {
        let v = parse(&json(&fixtures::meta(), &fixtures::items()));
        assert_eq!(
            v["items"][0],
            json!({
                "id": "https://blog.example.com/p/1",
                "url": "https://blog.example.com/p/1",
                "title": "Fish & <chips> ]]> done",
                "content_html": "<p>Long body with ]]> inside &amp; more</p>",
                "date_published": "2024-03-04T08:00:00Z",
                "date_modified": "2024-03-05T09:30:00Z",
                "authors": [{"name": "Ann Author"}, {"name": "Bob"}],
                "tags": ["food", "news & views"],
                "attachments": [
                    {"url": "https://cdn.example.com/a.mp3", "mime_type": "audio/mpeg",
                     "size_in_bytes": 12345},
                    {"url": "https://cdn.example.com/b.ogg", "mime_type": "audio/ogg",
                     "size_in_bytes": 678}
                ]
            })
        );
    }

    #[test]
    fn sparse_items_skip_empty_fields() {
        let v = parse(&json(&fixtures::meta(), &fixtures::items()));
        assert_eq!(
            v["items"][1],
            json!({
                "id": "urn:tidings:wsws:post%2042",
                "url": "https://wsws.example.org/en/42.html",
                "title": "Second",
                "content_html": "<p>Only a summary</p>",
                "date_published": "2024-03-03T07:00:00Z"
            })
        );
        assert_eq!(
            v["items"][2],
            json!({
                "id": "urn:tidings:notes:n-1",
                "title": "Bare",
                "content_html": "",
                "date_published": "2024-03-02T06:00:00Z"
            })
        );
    }

    #[test]
    fn blank_title_and_unknown_attachment_details_are_left_out() {
        let mut item = fixtures::bare();
        item.title = String::new();
        item.enclosures = vec![crate::model::Enclosure {
            url: "https://cdn.example.com/x".into(),
            ..Default::default()
        }];
        let v = parse(&json(&fixtures::meta(), &[item]));
        assert!(v["items"][0].get("title").is_none());
        assert_eq!(
            v["items"][0]["attachments"],
            json!([{"url": "https://cdn.example.com/x", "mime_type": UNKNOWN_MIME}])
        );
    }

    #[test]
    fn empty_list_without_hub_or_description() {
        let mut meta = fixtures::meta();
        meta.hub = None;
        meta.description = String::new();
        let v = parse(&json(&meta, &[]));
        assert_eq!(v["items"], json!([]));
        assert!(v.get("hubs").is_none());
        assert!(v.get("description").is_none());
    }

    #[test]
    fn deterministic_bytes() {
        let (meta, items) = (fixtures::meta(), fixtures::items());
        assert_eq!(json(&meta, &items), json(&meta, &items));
    }

    #[test]
    fn merged_items_list_their_sources_in_the_extension() {
        let (meta, item) = fixtures::merged();
        let v = parse(&json(&meta, &[item]));
        assert_eq!(
            v["items"][0]["_tidings"],
            json!({"sources": [
                {"id": "wsws", "title": "World Socialist Web Site",
                 "feed_url": "https://news.example.org/sources/wsws.json",
                 "url": "https://wsws.example.org/rss", "tags": ["news", "world"]},
                {"id": "mirror", "title": "Mirror & Co",
                 "feed_url": "https://news.example.org/sources/mirror.json",
                 "tags": ["world", "archive"]},
            ]})
        );
        let plain = parse(&json(&fixtures::meta(), &[fixtures::linked()]));
        assert!(plain["items"][0].get("_tidings").is_none());
    }
}
