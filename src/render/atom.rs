//! Atom 1.0 (RFC 4287), written with the `atom_syndication` crate.

use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Source, Text,
    WriteConfig,
};
use chrono::{DateTime, SubsecRound, Utc};

use super::{FH_NS, GENERATOR, TAG_SCHEME, UNTITLED, carrier_tags, xml_chars_only};
use crate::model::{FeedMeta, Item};
use atom_syndication::extension::{Extension, ExtensionMap};
use std::collections::BTreeMap;

/// Atom 1.0 (RFC 4287) bytes (UTF-8, with XML declaration).
///
/// The feed-level author is the feed's title, so entries whose source named
/// no author still satisfy RFC 4287's rule that every entry has one.
pub fn atom(meta: &FeedMeta, items: &[Item]) -> Vec<u8> {
    let mut links = vec![
        link("self", &meta.url("atom"), Some("application/atom+xml")),
        link("alternate", &meta.home_url(), Some("text/html")),
    ];
    if let Some(hub) = &meta.hub {
        links.push(link("hub", hub, None));
    }
    for (rel, href) in meta.archive_links("atom") {
        links.push(link(rel, &href, Some("application/atom+xml")));
    }
    let mut extensions = ExtensionMap::new();
    let mut namespaces = BTreeMap::new();
    if meta.is_archive() {
        let archive = Extension {
            name: "fh:archive".to_owned(),
            ..Extension::default()
        };
        extensions.insert(
            "fh".to_owned(),
            BTreeMap::from([("archive".to_owned(), vec![archive])]),
        );
        namespaces.insert("fh".to_owned(), FH_NS.to_owned());
    }
    let feed = Feed {
        title: Text::plain(meta.title.as_str()),
        id: meta.url("atom"),
        updated: fixed(meta.updated),
        authors: vec![person(&meta.title)],
        generator: Some(Generator {
            value: GENERATOR.to_owned(),
            ..Generator::default()
        }),
        links,
        subtitle: (!meta.description.is_empty()).then(|| Text::plain(meta.description.as_str())),
        entries: items.iter().map(|i| entry(meta, i)).collect(),
        extensions,
        namespaces,
        ..Feed::default()
    };
    // The crate's declaration omits the encoding; state it like the RSS one.
    let mut doc = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let config = WriteConfig {
        write_document_declaration: false,
        indent_size: None,
    };
    let body = feed
        .write_with_config(Vec::new(), config)
        .expect("writing XML to a Vec cannot fail");
    doc.push_str(&String::from_utf8(body).expect("atom_syndication writes UTF-8"));
    xml_chars_only(utc_as_z(doc))
}

/// One entry. In a merged feed, `source` names the source it came through
/// (its id, title and links: its own feed on this server, `self`, and
/// where it lives upstream, `related`), a `via` link each other source that
/// carried it (dedupe's merged copies), and a category in the `tag:tidings,2026:tag`
/// scheme each of their tags.
fn entry(meta: &FeedMeta, item: &Item) -> Entry {
    let mut links: Vec<Link> = item
        .link
        .iter()
        .map(|href| link("alternate", href, None))
        .collect();
    links.extend(item.enclosures.iter().map(|e| Link {
        href: e.url.clone(),
        rel: "enclosure".to_owned(),
        mime_type: (!e.mime_type.is_empty()).then(|| e.mime_type.clone()),
        // Zero means "unknown" in feeds; Atom lets us just leave it out.
        length: (e.length > 0).then(|| e.length.to_string()),
        ..Link::default()
    }));
    links.extend(meta.carriers(item).skip(1).map(|s| Link {
        title: Some(s.title.clone()),
        ..link(
            "via",
            &meta.source_url(&s.id, "atom"),
            Some("application/atom+xml"),
        )
    }));
    let source = meta.sources.get(&item.source).map(|s| {
        let own = meta.source_url(&s.id, "atom");
        let mut links = vec![link("self", &own, Some("application/atom+xml"))];
        links.extend(s.url.iter().map(|u| link("related", u, None)));
        Source {
            title: Text::plain(s.title.as_str()),
            id: own,
            updated: fixed(meta.updated),
            links,
            ..Source::default()
        }
    });
    let html = |value: &str| atom_content("html", value);
    let (summary, content) = match (&item.content_html, &item.summary_html) {
        (Some(body), summary) => (summary.as_deref().map(Text::html), Some(html(body))),
        (None, Some(summary)) if item.link.is_some() => (Some(Text::html(summary.as_str())), None),
        // RFC 4287 §4.1.1: an entry without an alternate link must have
        // content.
        (None, Some(summary)) => (None, Some(html(summary))),
        // Validators warn about entries with no text at all.
        (None, None) => (None, Some(atom_content("text", title(item)))),
    };
    Entry {
        title: Text::plain(title(item)),
        id: item.global_id(),
        updated: fixed(item.modified()),
        authors: item.authors.iter().map(|name| person(name)).collect(),
        categories: item
            .categories
            .iter()
            .map(|term| Category {
                term: term.clone(),
                ..Category::default()
            })
            .chain(carrier_tags(meta, item).into_iter().map(|t| Category {
                term: t.to_owned(),
                scheme: Some(TAG_SCHEME.to_owned()),
                ..Category::default()
            }))
            .collect(),
        links,
        source,
        published: Some(fixed(item.published)),
        summary,
        content,
        ..Entry::default()
    }
}

fn link(rel: &str, href: &str, mime_type: Option<&str>) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: mime_type.map(str::to_owned),
        ..Link::default()
    }
}

/// Atom requires a title, and validators warn when it is blank.
fn title(item: &Item) -> &str {
    if item.title.trim().is_empty() {
        UNTITLED
    } else {
        &item.title
    }
}

fn atom_content(kind: &str, value: &str) -> Content {
    Content {
        value: Some(value.to_owned()),
        content_type: Some(kind.to_owned()),
        ..Content::default()
    }
}

fn person(name: &str) -> Person {
    Person {
        name: name.to_owned(),
        ..Person::default()
    }
}

/// Whole seconds, because the crate prints fractions when there are any.
fn fixed(at: DateTime<Utc>) -> FixedDateTime {
    at.trunc_subsecs(0).fixed_offset()
}

/// Rewrites the `+00:00` the crate prints for UTC dates as `Z`, the form the
/// other formats use.
///
/// Exact: dates are the only text ending in `+00:00` right before an
/// `</updated>` or `</published>` tag, since the writer escapes every `<` in
/// text and attributes (it never emits CDATA).
fn utc_as_z(doc: String) -> String {
    doc.replace("+00:00</updated>", "Z</updated>")
        .replace("+00:00</published>", "Z</published>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;
    use atom_syndication::TextType;

    fn parse(bytes: &[u8]) -> Feed {
        Feed::read_from(bytes).expect("well-formed Atom")
    }

    fn rels(links: &[Link]) -> Vec<&str> {
        links.iter().map(|l| l.rel.as_str()).collect()
    }

    #[test]
    fn feed_fields() {
        let meta = fixtures::meta();
        let bytes = atom(&meta, &fixtures::items());
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed "));
        assert!(text.contains("<updated>2024-03-05T09:30:00Z</updated>"));
        assert!(!text.contains("+00:00"));
        let feed = parse(&bytes);
        assert_eq!(feed.id, "https://news.example.org/feeds/all.atom");
        assert_eq!(feed.title.value, "All & <everything>");
        assert_eq!(feed.subtitle.unwrap().value, "Every source, merged");
        assert_eq!(feed.updated, fixed(meta.updated));
        assert_eq!(feed.authors, [person("All & <everything>")]);
        assert_eq!(feed.generator.unwrap().value, "tidings");
        assert_eq!(rels(&feed.links), ["self", "alternate", "hub"]);
        assert_eq!(
            feed.links[0].href,
            "https://news.example.org/feeds/all.atom"
        );
        assert_eq!(
            feed.links[0].mime_type.as_deref(),
            Some("application/atom+xml")
        );
        assert_eq!(feed.links[1].href, "https://news.example.org/");
        assert_eq!(feed.links[1].mime_type.as_deref(), Some("text/html"));
        assert_eq!(feed.links[2].href, "https://hub.example.net/");
        assert_eq!(feed.entries.len(), 3);
    }

    #[test]
    fn full_entry_fields() {
        let items = fixtures::items();
        let feed = parse(&atom(&fixtures::meta(), &items));
        let e = &feed.entries[0];
        assert_eq!(e.id, "https://blog.example.com/p/1");
        assert_eq!(e.title.value, "Fish & <chips> ]]> done");
        assert_eq!(e.title.r#type, TextType::Text);
        assert_eq!(e.updated, fixed(items[0].modified()));
        assert_eq!(e.published, Some(fixed(items[0].published)));
        let authors: Vec<_> = e.authors.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(authors, ["Ann Author", "Bob"]);
        let summary = e.summary.as_ref().unwrap();
        assert_eq!(summary.r#type, TextType::Html);
        assert_eq!(summary.value, "<p>Short &amp; <b>sweet</b> ]]&gt;</p>");
        let content = e.content.as_ref().unwrap();
        assert_eq!(content.content_type.as_deref(), Some("html"));
        assert_eq!(
            content.value.as_deref(),
            Some("<p>Long body with ]]> inside &amp; more</p>")
        );
        let terms: Vec<_> = e.categories.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(terms, ["food", "news & views"]);
        assert_eq!(rels(&e.links), ["alternate", "enclosure", "enclosure"]);
        assert_eq!(e.links[0].href, "https://blog.example.com/p/1");
        assert_eq!(e.links[2].href, "https://cdn.example.com/b.ogg");
        assert_eq!(e.links[2].mime_type.as_deref(), Some("audio/ogg"));
        assert_eq!(e.links[2].length.as_deref(), Some("678"));
    }

    #[test]
    fn linked_entry_keeps_summary_without_content() {
        let feed = parse(&atom(&fixtures::meta(), &[fixtures::linked()]));
        let e = &feed.entries[0];
        assert_eq!(e.id, "urn:tidings:wsws:post%2042");
        assert_eq!(e.summary.as_ref().unwrap().value, "<p>Only a summary</p>");
        assert_eq!(e.content, None);
        assert_eq!(rels(&e.links), ["alternate"]);
    }

    #[test]
    fn entry_without_link_gets_content() {
        let mut summarized = fixtures::bare();
        summarized.summary_html = Some("<p>gist</p>".into());
        let feed = parse(&atom(&fixtures::meta(), &[summarized, fixtures::bare()]));
        let e = &feed.entries[0];
        assert_eq!(e.summary, None);
        assert_eq!(
            e.content.as_ref().unwrap().value.as_deref(),
            Some("<p>gist</p>")
        );
        let bare = &feed.entries[1];
        assert_eq!(bare.id, "urn:tidings:notes:n-1");
        assert!(bare.links.is_empty());
        assert!(bare.authors.is_empty());
        assert_eq!(bare.summary, None);
        assert_eq!(bare.content, Some(atom_content("text", "Bare")));
        assert_eq!(bare.updated, fixed(fixtures::bare().published));
    }

    #[test]
    fn entries_without_text_or_title_get_placeholders() {
        let mut linked = fixtures::linked();
        linked.summary_html = None;
        let mut untitled = fixtures::bare();
        untitled.title = " ".into();
        let feed = parse(&atom(&fixtures::meta(), &[linked, untitled]));
        let e = &feed.entries[0];
        assert_eq!(e.summary, None);
        assert_eq!(e.content, Some(atom_content("text", "Second")));
        let e = &feed.entries[1];
        assert_eq!(e.title.value, UNTITLED);
        assert_eq!(e.content, Some(atom_content("text", UNTITLED)));
    }

    #[test]
    fn escapes_markup() {
        let bytes = atom(&fixtures::meta(), &fixtures::items());
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.contains("<title>Fish &amp; &lt;chips&gt; ]]&gt; done</title>"));
        assert!(text.contains("Long body with ]]&gt; inside &amp;amp; more"));
    }

    #[test]
    fn date_rewrite_leaves_content_alone() {
        let mut item = fixtures::full();
        item.content_html = Some("+00:00</updated>".into());
        let feed = parse(&atom(&fixtures::meta(), &[item]));
        assert_eq!(
            feed.entries[0].content.as_ref().unwrap().value.as_deref(),
            Some("+00:00</updated>")
        );
    }

    #[test]
    fn empty_list_without_hub_or_description() {
        let mut meta = fixtures::meta();
        meta.hub = None;
        meta.description = String::new();
        let feed = parse(&atom(&meta, &[]));
        assert!(feed.entries.is_empty());
        assert_eq!(feed.subtitle, None);
        assert_eq!(rels(&feed.links), ["self", "alternate"]);
    }

    #[test]
    fn deterministic_bytes() {
        let (meta, items) = (fixtures::meta(), fixtures::items());
        assert_eq!(atom(&meta, &items), atom(&meta, &items));
    }

    #[test]
    fn merged_entries_carry_their_source_and_via_links() {
        let (meta, item) = fixtures::merged();
        let feed = Feed::read_from(&atom(&meta, &[item])[..]).unwrap();
        let e = &feed.entries[0];
        let source = e.source.as_ref().expect("a source element");
        assert_eq!(source.id, "https://news.example.org/sources/wsws.atom");
        assert_eq!(source.title.value, "World Socialist Web Site");
        let rels: Vec<(&str, &str)> = source
            .links
            .iter()
            .map(|l| (l.rel.as_str(), l.href.as_str()))
            .collect();
        assert_eq!(
            rels,
            [
                ("self", "https://news.example.org/sources/wsws.atom"),
                ("related", "https://wsws.example.org/rss"),
            ]
        );
        let via: Vec<_> = e.links.iter().filter(|l| l.rel == "via").collect();
        assert_eq!(via.len(), 1);
        assert_eq!(via[0].href, "https://news.example.org/sources/mirror.atom");
        assert_eq!(via[0].title.as_deref(), Some("Mirror & Co"));
        let tags: Vec<_> = e
            .categories
            .iter()
            .filter(|c| c.scheme.as_deref() == Some(TAG_SCHEME))
            .map(|c| c.term.as_str())
            .collect();
        assert_eq!(tags, ["news", "world", "archive"]);
    }
}
