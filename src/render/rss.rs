//! RSS 2.0, following the RSS Advisory Board's specification and best
//! practices, written with the `rss` crate.

use std::collections::BTreeMap;

use ::rss::extension::dublincore::DublinCoreExtension;
use ::rss::extension::{Extension, ExtensionMap};
use ::rss::{Category, Channel, Enclosure, Guid, Item as RssItem, Source};
use chrono::{DateTime, Utc};

use super::{
    GENERATOR, SOURCE_SCHEME, TAG_SCHEME, UNKNOWN_MIME, UNTITLED, carrier_tags, xml_chars_only,
};
use crate::model::{FeedMeta, Item};

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const DOCS: &str = "https://www.rssboard.org/rss-specification";

/// RSS 2.0 bytes (UTF-8, with XML declaration).
///
/// The channel links itself and its WebSub hub with `atom:link`, names
/// authors with `dc:creator` (RSS `author` must be an e-mail address) and
/// carries full content in `content:encoded`.
pub fn rss(meta: &FeedMeta, items: &[Item]) -> Vec<u8> {
    let description = if meta.description.is_empty() {
        &meta.title
    } else {
        &meta.description
    };
    let mut atom_links = vec![atom_link(&[
        ("href", &meta.url("rss")),
        ("rel", "self"),
        ("type", "application/rss+xml"),
    ])];
    if let Some(hub) = &meta.hub {
        atom_links.push(atom_link(&[("href", hub), ("rel", "hub")]));
    }
    for (rel, href) in meta.archive_links("rss") {
        atom_links.push(atom_link(&[
            ("href", &href),
            ("rel", rel),
            ("type", "application/rss+xml"),
        ]));
    }
    let mut extensions = ExtensionMap::new();
    extensions.insert(
        "atom".to_owned(),
        BTreeMap::from([("link".to_owned(), atom_links)]),
    );
    let mut namespaces = BTreeMap::from([("atom".to_owned(), ATOM_NS.to_owned())]);
    if meta.is_archive() {
        let archive = Extension {
            name: "fh:archive".to_owned(),
            ..Extension::default()
        };
        extensions.insert(
            "fh".to_owned(),
            BTreeMap::from([("archive".to_owned(), vec![archive])]),
        );
        namespaces.insert("fh".to_owned(), super::FH_NS.to_owned());
    }
    let channel = Channel {
        title: meta.title.clone(),
        link: meta.home_url(),
        description: description.clone(),
        last_build_date: Some(rfc822(meta.updated)),
        generator: Some(GENERATOR.to_owned()),
        docs: Some(DOCS.to_owned()),
        ttl: meta.ttl_minutes.map(|ttl| ttl.to_string()),
        items: items.iter().map(|i| item(meta, i)).collect(),
        extensions,
        // The crate declares the namespaces of its typed extensions (dc,
        // content) itself, but not those used by generic extensions.
        namespaces,
        ..Channel::default()
    };
    let bytes = channel
        .write_to(Vec::new())
        .expect("writing XML to a Vec cannot fail");
    xml_chars_only(String::from_utf8(bytes).expect("the rss crate writes UTF-8"))
}

/// One item. In a merged feed, `source` names the source it came through
/// (its own feed on this server, and its title), and a `category` in the
/// `tag:tidings,2026:source` domain names each source that carried it, dedupe's
/// merged copies included (RSS allows one `source`), with their tags in
/// the `tag:tidings,2026:tag` domain.
fn item(meta: &FeedMeta, item: &Item) -> RssItem {
    // A guid is a permalink only when it is the item's own URL; every other
    // id is made globally unique, since a merged feed mixes sources.
    let guid = if item.link.as_deref() == Some(item.id.as_str()) {
        Guid {
            value: item.id.clone(),
            permalink: true,
        }
    } else {
        Guid {
            value: item.global_id(),
            permalink: false,
        }
    };
    let dublin_core_ext = (!item.authors.is_empty()).then(|| DublinCoreExtension {
        creators: item.authors.clone(),
        ..DublinCoreExtension::default()
    });
    let description = item
        .summary_html
        .clone()
        .or_else(|| item.content_html.clone());
    // An item needs a title or a description, and validators warn about a
    // blank title. Many readers take an RSS title for HTML, so its angle
    // brackets are escaped once more: a title that reads `<img onerror=…>`
    // stays text there instead of becoming a tag.
    let title = if !item.title.trim().is_empty() {
        Some(item.title.replace('<', "&lt;").replace('>', "&gt;"))
    } else if description.is_none() {
        Some(UNTITLED.to_owned())
    } else {
        None
    };
    RssItem {
        title,
        link: item.link.clone(),
        description,
        categories: item
            .categories
            .iter()
            .map(|name| Category::from(name.as_str()))
            .chain(meta.carriers(item).map(|s| Category {
                name: s.id.clone(),
                domain: Some(SOURCE_SCHEME.to_owned()),
            }))
            .chain(carrier_tags(meta, item).into_iter().map(|t| Category {
                name: t.to_owned(),
                domain: Some(TAG_SCHEME.to_owned()),
            }))
            .collect(),
        source: meta.sources.get(&item.source).map(|s| Source {
            url: meta.source_url(&s.id, "rss"),
            title: Some(s.title.clone()),
        }),
        // RSS allows a single enclosure; validators warn about more.
        enclosure: item.enclosures.first().map(|e| Enclosure {
            url: e.url.clone(),
            length: e.length.to_string(),
            mime_type: if e.mime_type.is_empty() {
                UNKNOWN_MIME.to_owned()
            } else {
                e.mime_type.clone()
            },
        }),
        // Podcast readers take an episode's length from iTunes' element.
        itunes_ext: item.enclosures.first().and_then(|e| e.duration).map(|d| {
            rss::extension::itunes::ITunesItemExtension {
                duration: Some(format!("{}:{:02}:{:02}", d / 3600, d / 60 % 60, d % 60)),
                ..Default::default()
            }
        }),
        guid: Some(guid),
        pub_date: Some(rfc822(item.published)),
        content: item.content_html.clone(),
        dublin_core_ext,
        ..RssItem::default()
    }
}

fn atom_link(attrs: &[(&str, &str)]) -> Extension {
    Extension {
        name: "atom:link".to_owned(),
        attrs: attrs
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        ..Extension::default()
    }
}

/// RFC 822 date in the `GMT` form the RSS specification's examples use.
fn rfc822(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    fn parse(bytes: &[u8]) -> Channel {
        Channel::read_from(bytes).expect("well-formed RSS")
    }

    #[test]
    fn channel_fields() {
        let meta = fixtures::meta();
        let bytes = rss(&meta, &fixtures::items());
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.starts_with(r#"<?xml version="1.0" encoding="utf-8"?>"#));
        let ch = parse(&bytes);
        assert_eq!(ch.title, "All & <everything>");
        assert_eq!(ch.link, "https://news.example.org/");
        assert_eq!(ch.description, "Every source, merged");
        assert_eq!(
            ch.last_build_date.as_deref(),
            Some("Tue, 05 Mar 2024 09:30:00 GMT")
        );
        assert_eq!(ch.ttl.as_deref(), Some("30"));
        assert_eq!(ch.generator.as_deref(), Some("tidings"));
        assert_eq!(ch.docs.as_deref(), Some(DOCS));
        assert_eq!(ch.namespaces.get("atom").map(String::as_str), Some(ATOM_NS));
        assert_eq!(ch.items.len(), 3);
        let links = &ch.extensions["atom"]["link"];
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].attrs["rel"], "self");
        assert_eq!(links[0].attrs["type"], "application/rss+xml");
        assert_eq!(
            links[0].attrs["href"],
            "https://news.example.org/feeds/all.rss"
        );
        assert_eq!(links[1].attrs["rel"], "hub");
        assert_eq!(links[1].attrs["href"], "https://hub.example.net/");
    }

    #[test]
    fn full_item_fields() {
        let ch = parse(&rss(&fixtures::meta(), &fixtures::items()));
        let it = &ch.items[0];
        assert_eq!(
            it.title.as_deref(),
            Some("Fish & &lt;chips&gt; ]]&gt; done")
        );
        assert_eq!(it.link.as_deref(), Some("https://blog.example.com/p/1"));
        assert_eq!(
            it.description.as_deref(),
            Some("<p>Short &amp; <b>sweet</b> ]]&gt;</p>")
        );
        assert_eq!(
            it.content.as_deref(),
            Some("<p>Long body with ]]> inside &amp; more</p>")
        );
        assert_eq!(
            it.pub_date.as_deref(),
            Some("Mon, 04 Mar 2024 08:00:00 GMT")
        );
        assert_eq!(it.author, None);
        let dc = it.dublin_core_ext.as_ref().unwrap();
        assert_eq!(dc.creators, ["Ann Author", "Bob"]);
        let cats: Vec<_> = it.categories.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(cats, ["food", "news & views"]);
        let enc = it.enclosure.as_ref().unwrap();
        assert_eq!(enc.url, "https://cdn.example.com/a.mp3");
        assert_eq!(enc.length, "12345");
        assert_eq!(enc.mime_type, "audio/mpeg");
        assert!(ch.namespaces.contains_key("dc"));
        assert!(ch.namespaces.contains_key("content"));
    }

    #[test]
    fn guid_is_permalink_only_when_id_is_the_link() {
        let ch = parse(&rss(&fixtures::meta(), &fixtures::items()));
        let guid = ch.items[0].guid.as_ref().unwrap();
        assert!(guid.permalink);
        assert_eq!(guid.value, "https://blog.example.com/p/1");
        let guid = ch.items[1].guid.as_ref().unwrap();
        assert!(!guid.permalink);
        assert_eq!(guid.value, "urn:tidings:wsws:post%2042");
        let guid = ch.items[2].guid.as_ref().unwrap();
        assert!(!guid.permalink);
        assert_eq!(guid.value, "urn:tidings:notes:n-1");
    }

    #[test]
    fn summary_falls_back_to_content_and_bare_items_stay_valid() {
        let mut only_content = fixtures::linked();
        only_content.summary_html = None;
        only_content.content_html = Some("<p>body</p>".into());
        let ch = parse(&rss(&fixtures::meta(), &[only_content, fixtures::bare()]));
        assert_eq!(ch.items[0].description.as_deref(), Some("<p>body</p>"));
        let bare = &ch.items[1];
        assert_eq!(bare.title.as_deref(), Some("Bare"));
        assert_eq!(bare.link, None);
        assert_eq!(bare.description, None);
        assert_eq!(bare.content, None);
        assert_eq!(bare.dublin_core_ext, None);
        assert_eq!(bare.enclosure, None);
    }

    #[test]
    fn blank_title_is_dropped_or_replaced() {
        let mut described = fixtures::linked();
        described.title = String::new();
        let mut bare = fixtures::bare();
        bare.title = String::new();
        let ch = parse(&rss(&fixtures::meta(), &[described, bare]));
        assert_eq!(ch.items[0].title, None);
        assert!(ch.items[0].description.is_some());
        assert_eq!(ch.items[1].title.as_deref(), Some(UNTITLED));
    }

    #[test]
    fn escapes_markup_and_cdata_terminators() {
        let bytes = rss(&fixtures::meta(), &fixtures::items());
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.contains("<title>Fish &amp; &amp;lt;chips&amp;gt; ]]&amp;gt; done</title>"));
        // A raw "]]>" inside CDATA would end it early; the writer splits it.
        assert!(!text.contains("with ]]> inside"));
        assert!(text.contains("<title>All &amp; &lt;everything&gt;</title>"));
    }

    #[test]
    fn empty_list_without_hub_or_ttl() {
        let mut meta = fixtures::meta();
        meta.hub = None;
        meta.ttl_minutes = None;
        meta.description = String::new();
        let ch = parse(&rss(&meta, &[]));
        assert!(ch.items.is_empty());
        assert_eq!(ch.description, ch.title);
        assert_eq!(ch.ttl, None);
        let links = &ch.extensions["atom"]["link"];
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].attrs["rel"], "self");
    }

    #[test]
    fn unknown_enclosure_type_is_octet_stream() {
        let mut item = fixtures::bare();
        item.enclosures = vec![crate::model::Enclosure {
            url: "https://cdn.example.com/x".into(),
            ..Default::default()
        }];
        let ch = parse(&rss(&fixtures::meta(), &[item]));
        let enc = ch.items[0].enclosure.as_ref().unwrap();
        assert_eq!(enc.mime_type, UNKNOWN_MIME);
        assert_eq!(enc.length, "0");
    }

    #[test]
    fn deterministic_bytes() {
        let (meta, items) = (fixtures::meta(), fixtures::items());
        assert_eq!(rss(&meta, &items), rss(&meta, &items));
    }

    #[test]
    fn merged_items_name_every_source_that_carried_them() {
        let (meta, item) = fixtures::merged();
        let ch = parse(&rss(&meta, &[item]));
        let it = &ch.items[0];
        let source = it.source.as_ref().expect("a source element");
        assert_eq!(source.url, "https://news.example.org/sources/wsws.rss");
        assert_eq!(source.title.as_deref(), Some("World Socialist Web Site"));
        let cats: Vec<(&str, Option<&str>)> = it
            .categories
            .iter()
            .map(|c| (c.name.as_str(), c.domain.as_deref()))
            .collect();
        assert_eq!(
            cats,
            [
                ("wsws", Some(SOURCE_SCHEME)),
                ("mirror", Some(SOURCE_SCHEME)),
                ("news", Some(TAG_SCHEME)),
                ("world", Some(TAG_SCHEME)),
                ("archive", Some(TAG_SCHEME)),
            ]
        );
        // A source's own feed names none.
        let plain = parse(&rss(&fixtures::meta(), &[fixtures::linked()]));
        assert!(plain.items[0].source.is_none());
        assert!(plain.items[0].categories.is_empty());
    }
}
