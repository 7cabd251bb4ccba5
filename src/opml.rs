//! OPML 2.0 both ways: the configured sources as a subscription list
//! ([`export`], for `GET /opml` and `tidings opml export`), and a reader's
//! subscription list as `[[source]]` TOML ([`import`], for
//! `tidings opml import FILE`).
//!
//! Export: by default each source's `xmlUrl` is the feed tidings serves for
//! it (`{base_url}/sources/{id}.rss`), so a reader (Miniflux, FreshRSS,
//! newsboat) importing the list subscribes through tidings — cleaned,
//! sanitized, and also for sources that have no feed of their own, as with an
//! RSSHub export. [`Target::Origin`] lists the upstream URLs instead (for
//! moving the subscriptions elsewhere, or back through [`import`]); sources
//! with no upstream URL keep the served one. An `html` source's page is its
//! `htmlUrl`. Only attributes the OPML 2.0 spec (and the W3C validator)
//! knows are written.
//!
//! Folders are written and read as Miniflux and FreshRSS do: by nesting. A
//! source sits in the folder of its first tag (its other tags stay in
//! `category`, which those readers ignore but tidings reads back); the
//! merged feeds are listed in a folder of their own, when subscribing
//! through tidings. Imported names become ids transliterated to ASCII
//! (`Góc nhìn` → `goc-nhin`) and are kept as the source's `title`.
//!
//! Depends on nothing inside the crate: `app` turns the config into
//! [`Outline`]s. Uses `quick-xml` to read and `toml` to write.

use quick_xml::escape::escape;
use quick_xml::events::Event;
use serde::Serialize;
use std::collections::HashSet;

/// One source as an OPML outline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outline {
    pub id: String,
    /// Its name for people; the id when it has none.
    pub title: Option<String>,
    /// Where tidings fetches its feed from (a `feed` source's URL).
    pub origin: Option<String>,
    /// The web page it is read from (an `html` source's URL).
    pub page: Option<String>,
    pub tags: Vec<String>,
}

/// A merged feed tidings serves, listed for subscribing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MergedFeed {
    pub id: String,
    pub title: String,
}

/// The folder the merged feeds are listed in.
pub const MERGED_FOLDER: &str = "tidings feeds";

/// Which URL an exported outline's `xmlUrl` gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The feed tidings serves for the source.
    Served,
    /// Where tidings fetches the source from, when it has such a URL.
    Origin,
}

/// OPML 2.0 bytes listing `outlines` in folders by their first tag, and,
/// when subscribing through tidings ([`Target::Served`]), the merged
/// `feeds`; `base_url` (without a trailing slash) is where tidings serves
/// them.
pub fn export(
    base_url: &str,
    outlines: &[Outline],
    feeds: &[MergedFeed],
    target: Target,
) -> Vec<u8> {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n<head>\n<title>tidings sources</title>\n</head>\n<body>\n",
    );
    let mut folders: Vec<&str> = Vec::new();
    for o in outlines {
        if let Some(tag) = o.tags.first()
            && !folders.contains(&tag.as_str())
        {
            folders.push(tag);
        }
    }
    for o in outlines.iter().filter(|o| o.tags.is_empty()) {
        outline(&mut x, "", base_url, o, target);
    }
    for folder in folders {
        folder_open(&mut x, folder);
        for o in outlines
            .iter()
            .filter(|o| o.tags.first().map(String::as_str) == Some(folder))
        {
            outline(&mut x, "  ", base_url, o, target);
        }
        x.push_str("</outline>\n");
    }
    if target == Target::Served && !feeds.is_empty() {
        folder_open(&mut x, MERGED_FOLDER);
        for f in feeds {
            let title = if f.title.is_empty() { &f.id } else { &f.title };
            x.push_str("  <outline type=\"rss\" text=\"");
            x.push_str(&escape(title));
            x.push_str("\" title=\"");
            x.push_str(&escape(title));
            x.push_str("\" xmlUrl=\"");
            x.push_str(&escape(format!("{base_url}/feeds/{}.rss", f.id)));
            x.push_str("\"/>\n");
        }
        x.push_str("</outline>\n");
    }
    x.push_str("</body>\n</opml>\n");
    x.into_bytes()
}

fn folder_open(x: &mut String, name: &str) {
    x.push_str("<outline text=\"");
    x.push_str(&escape(name));
    x.push_str("\" title=\"");
    x.push_str(&escape(name));
    x.push_str("\">\n");
}

fn outline(x: &mut String, indent: &str, base_url: &str, o: &Outline, target: Target) {
    let served = format!("{base_url}/sources/{}.rss", o.id);
    let xml_url = match (target, &o.origin) {
        (Target::Origin, Some(origin)) if o.page.is_none() => origin.clone(),
        _ => served,
    };
    let name = o.title.as_deref().unwrap_or(&o.id);
    x.push_str(indent);
    x.push_str("<outline type=\"rss\" text=\"");
    x.push_str(&escape(name));
    x.push_str("\" title=\"");
    x.push_str(&escape(name));
    x.push_str("\" xmlUrl=\"");
    x.push_str(&escape(&xml_url));
    x.push('"');
    if let Some(page) = &o.page {
        x.push_str(" htmlUrl=\"");
        x.push_str(&escape(page));
        x.push('"');
    }
    if o.tags.len() > 1 {
        x.push_str(" category=\"");
        x.push_str(&escape(o.tags[1..].join(",")));
        x.push('"');
    }
    x.push_str("/>\n");
}

/// Why an OPML file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    /// Not well-formed XML.
    #[error("not well-formed XML")]
    Xml(#[source] quick_xml::Error),
    /// An attribute that is not well-formed.
    #[error("not well-formed XML: an attribute")]
    Attribute(#[source] quick_xml::Error),
    /// The file ends inside an element.
    #[error("not well-formed XML: the file ends inside an element")]
    Unclosed,
    /// Not an OPML document.
    #[error("not an OPML document (no <opml> root)")]
    NotOpml,
    /// The sources found could not be written as TOML.
    #[error("cannot write the sources as TOML")]
    Toml(#[source] toml::ser::Error),
}

/// What [`import`] made of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// `[[source]]` tables, ready to paste into a config.
    pub toml: String,
    /// Outlines skipped, each with why.
    pub skipped: Vec<String>,
}

#[derive(Serialize)]
struct Sources {
    source: Vec<SourceToml>,
}

#[derive(Serialize)]
struct SourceToml {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    kind: &'static str,
    url: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
}

/// Reads an OPML subscription list into `[[source]]` tables of kind `feed`.
///
/// Every outline with an `xmlUrl` is a source;
/// its id is made from its `text` or `title` (else the URL's host), unique
/// within the file. The names of enclosing folder outlines and the
/// `category` attribute become tags. Fails only when the file is not
/// well-formed OPML; outlines with no usable URL are skipped and listed.
pub fn import(bytes: &[u8]) -> Result<Imported, OpmlError> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut seen_root = false;
    // quick-xml does not report elements left open at the end of the file.
    let mut depth = 0usize;
    let mut used = HashSet::new();
    let mut sources = Vec::new();
    let mut skipped = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(OpmlError::Xml)?;
        let (element, empty) = match &event {
            Event::Start(e) => {
                depth += 1;
                (e, false)
            }
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if e.local_name().as_ref() == b"outline" {
                    folders.pop();
                }
                buf.clear();
                continue;
            }
            Event::Eof if depth > 0 => {
                return Err(OpmlError::Unclosed);
            }
            Event::Eof => break,
            _ => {
                buf.clear();
                continue;
            }
        };
        match element.local_name().as_ref() {
            b"opml" => seen_root = true,
            b"outline" => {
                let mut attrs = std::collections::HashMap::new();
                for a in element.attributes().flatten() {
                    let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
                    let value = a
                        .decoded_and_normalized_value(
                            quick_xml::XmlVersion::Implicit1_0,
                            reader.decoder(),
                        )
                        .map_err(OpmlError::Attribute)?
                        .into_owned();
                    attrs.insert(key, value);
                }
                let name = attrs
                    .get("text")
                    .or(attrs.get("title"))
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty());
                let url = attrs.get("xmlUrl").cloned();
                match url {
                    Some(url) => {
                        let tags = tags_for(&folders, attrs.get("category"));
                        match source(name.as_deref(), &url, tags, &mut used) {
                            Some(s) => sources.push(s),
                            None => skipped.push(format!(
                                "{}: {url:?} is not an http(s) URL",
                                name.as_deref().unwrap_or("(untitled)")
                            )),
                        }
                    }
                    None if empty => {
                        if let Some(n) = &name {
                            skipped.push(format!("{n}: no xmlUrl"));
                        }
                    }
                    None => {}
                }
                if !empty {
                    folders.push(name);
                }
            }
            _ => {}
        }
        buf.clear();
    }
    if !seen_root {
        return Err(OpmlError::NotOpml);
    }
    let toml = if sources.is_empty() {
        String::new()
    } else {
        toml::to_string(&Sources { source: sources }).map_err(OpmlError::Toml)?
    };
    Ok(Imported { toml, skipped })
}

/// Tags from the enclosing folders and a `category` attribute
/// (comma-separated; of a `/a/b` path, the last part), as slugs.
fn tags_for(folders: &[Option<String>], category: Option<&String>) -> Vec<String> {
    let mut tags: Vec<String> = folders.iter().flatten().map(|f| slug(f)).collect();
    if let Some(c) = category {
        tags.extend(
            c.split(',')
                .filter_map(|t| t.trim().rsplit('/').next())
                .map(slug),
        );
    }
    let mut seen = HashSet::new();
    tags.retain(|t| !t.is_empty() && seen.insert(t.clone()));
    tags
}

fn source(
    name: Option<&str>,
    url: &str,
    tags: Vec<String>,
    used: &mut HashSet<String>,
) -> Option<SourceToml> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let base = name
        .map(slug)
        .filter(|s| !s.is_empty())
        .or_else(|| parsed.host_str().map(slug))
        .unwrap_or_else(|| "source".to_string());
    let mut id = base.clone();
    let mut n = 2;
    while !used.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    // The name is kept when the id had to change it.
    let title = name.filter(|n| *n != id).map(str::to_string);
    Some(SourceToml {
        id,
        title,
        kind: "feed",
        url: parsed.to_string(),
        tags,
    })
}

/// `[a-z0-9_-]+`: transliterated to ASCII (`deunicode`: `Góc nhìn` →
/// `Goc nhin`), lowercase letters and digits, every other run of characters
/// one `-`, at most 40 characters.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in deunicode::deunicode(s).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(40);
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outlines() -> Vec<Outline> {
        vec![
            Outline {
                id: "wire".into(),
                title: Some("Wire & Co".into()),
                origin: Some("https://wire.example/rss?a=1&b=2".into()),
                tags: vec!["news".into(), "world".into()],
                ..Outline::default()
            },
            Outline {
                id: "site".into(),
                page: Some("https://site.example/news/".into()),
                ..Outline::default()
            },
            Outline {
                id: "notes".into(),
                ..Outline::default()
            },
        ]
    }

    fn merged() -> Vec<MergedFeed> {
        vec![MergedFeed {
            id: "all".into(),
            title: "Everything".into(),
        }]
    }

    #[test]
    fn export_lists_served_feeds_in_folders_by_first_tag() {
        let x = export(
            "https://news.example.org",
            &outlines(),
            &merged(),
            Target::Served,
        );
        let x = String::from_utf8(x).unwrap();
        assert!(
            x.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">")
        );
        // The W3C validator warns about a `docs` head element and about
        // outline attributes the OPML spec does not list.
        assert!(!x.contains("<docs>"), "{x}");
        assert!(x.contains("<outline text=\"news\" title=\"news\">\n  <outline type=\"rss\" text=\"Wire &amp; Co\" title=\"Wire &amp; Co\" xmlUrl=\"https://news.example.org/sources/wire.rss\" category=\"world\"/>\n</outline>"), "{x}");
        assert!(x.contains("<outline type=\"rss\" text=\"site\" title=\"site\" xmlUrl=\"https://news.example.org/sources/site.rss\" htmlUrl=\"https://site.example/news/\"/>"), "{x}");
        assert!(x.contains("<outline type=\"rss\" text=\"notes\" title=\"notes\" xmlUrl=\"https://news.example.org/sources/notes.rss\"/>"), "{x}");
        assert!(x.contains("<outline text=\"tidings feeds\" title=\"tidings feeds\">\n  <outline type=\"rss\" text=\"Everything\" title=\"Everything\" xmlUrl=\"https://news.example.org/feeds/all.rss\"/>\n</outline>"), "{x}");
    }

    #[test]
    fn origin_export_imports_as_the_same_feed_sources() {
        let x = export(
            "https://news.example.org",
            &outlines(),
            &merged(),
            Target::Origin,
        );
        let text = String::from_utf8(x.clone()).unwrap();
        assert!(
            text.contains("xmlUrl=\"https://wire.example/rss?a=1&amp;b=2\""),
            "{text}"
        );
        assert!(!text.contains("feeds/all.rss"), "{text}");
        let back = import(&x).unwrap();
        assert!(back.toml.contains("[[source]]\nid = \"wire-co\"\ntitle = \"Wire & Co\"\nkind = \"feed\"\nurl = \"https://wire.example/rss?a=1&b=2\"\ntags = [\"news\", \"world\"]\n"), "{}", back.toml);
    }

    #[test]
    fn import_reads_folders_categories_and_makes_unique_ids() {
        let opml = br#"<?xml version="1.0"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
<outline text="Tech News">
  <outline type="rss" text="Ars Technica" xmlUrl="https://feeds.arstechnica.com/arstechnica/index" htmlUrl="https://arstechnica.com"/>
  <outline type="rss" text="Ars Technica" xmlUrl="https://arstechnica.com/science/feed/" category="/Science,space"/>
</outline>
<outline type="rss" xmlUrl="https://www.wsws.org/en/rss.xml"/>
<outline type="rss" text="Mail" xmlUrl="mailto:x@example.org"/>
<outline type="rss" text="back" xmlUrl="https://wire.example/rss?a=1&amp;b=2"/>
</body></opml>"#;
        let out = import(opml).unwrap();
        assert_eq!(
            out.toml,
            "[[source]]\nid = \"ars-technica\"\ntitle = \"Ars Technica\"\nkind = \"feed\"\nurl = \"https://feeds.arstechnica.com/arstechnica/index\"\ntags = [\"tech-news\"]\n\n\
             [[source]]\nid = \"ars-technica-2\"\ntitle = \"Ars Technica\"\nkind = \"feed\"\nurl = \"https://arstechnica.com/science/feed/\"\ntags = [\"tech-news\", \"science\", \"space\"]\n\n\
             [[source]]\nid = \"www-wsws-org\"\nkind = \"feed\"\nurl = \"https://www.wsws.org/en/rss.xml\"\n\n\
             [[source]]\nid = \"back\"\nkind = \"feed\"\nurl = \"https://wire.example/rss?a=1&b=2\"\n"
        );
        assert_eq!(out.skipped.len(), 1);
        assert!(out.skipped[0].starts_with("Mail:"), "{:?}", out.skipped);
    }

    #[test]
    fn import_rejects_what_is_not_opml() {
        assert!(matches!(import(b"<rss/>"), Err(OpmlError::NotOpml)));
        assert!(matches!(import(b"<opml><body>"), Err(OpmlError::Unclosed)));
    }

    #[test]
    fn slugs_are_valid_ids() {
        assert_eq!(slug("  Heise Online — News! "), "heise-online-news");
        assert_eq!(slug("Ünïcode"), "unicode");
        assert_eq!(slug("Góc nhìn"), "goc-nhin");
        assert_eq!(slug("Новости"), "novosti");
    }
}
