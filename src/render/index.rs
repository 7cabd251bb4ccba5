//! The index page (`GET /`): an HTML5 document listing every feed in its
//! three formats, with autodiscovery `<link rel="alternate">` tags so a
//! reader given the server's address finds them, and a table of every
//! source's health.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use std::fmt::Write;

use super::rfc3339;
use crate::model::Index;

/// The formats, as (extension, media type, label).
const FORMATS: [(&str, &str, &str); 3] = [
    ("rss", "application/rss+xml", "RSS"),
    ("atom", "application/atom+xml", "Atom"),
    ("json", "application/feed+json", "JSON Feed"),
];

/// The index page as UTF-8 HTML bytes. Links are absolute (under
/// `base_url`), like the feeds' own self links.
pub fn index(page: &Index) -> Vec<u8> {
    let base = &page.base_url;
    let mut h = String::with_capacity(4096);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<title>tidings</title>\n");
    for feed in &page.feeds {
        for (ext, mime, label) in FORMATS {
            // Writing into a String cannot fail.
            let _ = writeln!(
                h,
                "<link rel=\"alternate\" type=\"{mime}\" title=\"{} ({label})\" href=\"{}\">",
                attr(&feed.title),
                attr(&format!("{base}/feeds/{}.{ext}", feed.id)),
            );
        }
    }
    h.push_str("<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}table{border-collapse:collapse}td,th{padding:.2em .6em;text-align:left;border-bottom:1px solid #ddd}.error{color:#a00}</style>\n");
    h.push_str("</head>\n<body>\n<h1>tidings</h1>\n<h2>Feeds</h2>\n<ul id=\"feeds\">\n");
    for feed in &page.feeds {
        let _ = write!(h, "<li><strong>{}</strong>", text(&feed.title));
        if !feed.description.is_empty() {
            let _ = write!(h, " — {}", text(&feed.description));
        }
        h.push(':');
        for (ext, _, label) in FORMATS {
            let _ = write!(
                h,
                " <a href=\"{}\">{label}</a>",
                attr(&format!("{base}/feeds/{}.{ext}", feed.id))
            );
        }
        h.push_str("</li>\n");
    }
    h.push_str("</ul>\n<h2>Sources</h2>\n<table id=\"sources\">\n<thead><tr><th>source</th><th>kind</th><th>feeds</th><th>last fetch</th><th>outcome</th><th>items</th></tr></thead>\n<tbody>\n");
    for s in &page.sources {
        let name = match &s.title {
            Some(t) if !t.is_empty() && *t != s.id => format!("{} ({})", text(t), text(&s.id)),
            _ => text(&s.id).into_owned(),
        };
        let name = match &s.origin {
            Some(url) => format!("<a href=\"{}\">{name}</a>", attr(url)),
            None => name,
        };
        let feeds: Vec<String> = FORMATS
            .iter()
            .map(|(ext, _, label)| {
                format!(
                    "<a href=\"{}\">{label}</a>",
                    attr(&format!("{base}/sources/{}.{ext}", s.id))
                )
            })
            .collect();
        let last = s.last_fetch.map_or_else(
            || "never".to_string(),
            |at| {
                let at = rfc3339(at);
                format!("<time datetime=\"{at}\">{at}</time>")
            },
        );
        let outcome = match (s.outcome.as_deref(), &s.error) {
            (None, _) => "not fetched yet".to_string(),
            (Some("error"), error) => format!(
                "<span class=\"error\">error ({} in a row): {}</span>",
                s.consecutive_errors,
                text(error.as_deref().unwrap_or("unknown"))
            ),
            (Some(o), _) => text(o).into_owned(),
        };
        let _ = writeln!(
            h,
            "<tr id=\"source-{}\"><td>{name}</td><td>{}</td><td>{}</td><td>{last}</td><td>{outcome}</td><td>{}</td></tr>",
            attr(&s.id),
            text(&s.kind),
            feeds.join(" "),
            s.items
        );
    }
    let _ = write!(
        h,
        "</tbody>\n</table>\n<p><a href=\"{}\">All sources as OPML</a></p>\n</body>\n</html>\n",
        attr(&format!("{base}/opml"))
    );
    h.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeedLink, SourceHealth};
    use chrono::{TimeZone, Utc};

    fn page() -> Index {
        Index {
            base_url: "https://news.example.org".into(),
            feeds: vec![FeedLink {
                id: "all".into(),
                title: "All & \"everything\"".into(),
                description: "<every> source".into(),
            }],
            sources: vec![
                SourceHealth {
                    id: "wire".into(),
                    kind: "feed".into(),
                    title: Some("Wire".into()),
                    origin: Some("https://wire.example/rss?a=1&b=2".into()),
                    last_fetch: Some(Utc.with_ymd_and_hms(2026, 3, 5, 9, 30, 0).unwrap()),
                    outcome: Some("error".into()),
                    error: Some("HTTP 503 <oops>".into()),
                    consecutive_errors: 2,
                    items: 12,
                },
                SourceHealth {
                    id: "notes".into(),
                    kind: "files".into(),
                    ..SourceHealth::default()
                },
            ],
        }
    }

    #[test]
    fn autodiscovery_links_for_every_format() {
        let html = String::from_utf8(index(&page())).unwrap();
        for (ext, mime) in [
            ("rss", "application/rss+xml"),
            ("atom", "application/atom+xml"),
            ("json", "application/feed+json"),
        ] {
            assert!(
                html.contains(&format!("<link rel=\"alternate\" type=\"{mime}\" title=\"All &amp; &quot;everything&quot; (")),
                "{html}"
            );
            assert!(html.contains(&format!(
                "href=\"https://news.example.org/feeds/all.{ext}\""
            )));
            assert!(html.contains(&format!(
                "href=\"https://news.example.org/sources/wire.{ext}\""
            )));
        }
        // Autodiscovery belongs in the head.
        let head_end = html.find("</head>").unwrap();
        assert!(html.rfind("rel=\"alternate\"").unwrap() < head_end);
    }

    #[test]
    fn source_health_is_escaped() {
        let html = String::from_utf8(index(&page())).unwrap();
        assert!(html.contains("&lt;every&gt; source"), "{html}");
        assert!(
            html.contains("<a href=\"https://wire.example/rss?a=1&amp;b=2\">Wire (wire)</a>"),
            "{html}"
        );
        assert!(
            html.contains("error (2 in a row): HTTP 503 &lt;oops&gt;"),
            "{html}"
        );
        assert!(html.contains("2026-03-05T09:30:00Z"), "{html}");
        assert!(html.contains("<td>12</td>"), "{html}");
        assert!(
            html.contains("<td>never</td><td>not fetched yet</td>"),
            "{html}"
        );
        assert!(html.contains("href=\"https://news.example.org/opml\""));
    }
}
