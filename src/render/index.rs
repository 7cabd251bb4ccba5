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

/// The page's style: one column on a phone, a grid from 40em, the
/// reader's light or dark scheme, long URLs and errors wrapped anywhere so
/// nothing overflows the viewport.
const STYLE: &str = ":root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#5f6368;--line:#e3e3e3;--bad:#b3261e;--warn:#8a5a00;--link:#0b57d0}\
@media (prefers-color-scheme:dark){:root{--fg:#e6e6e6;--bg:#121212;--muted:#a8a8a8;--line:#3a3a3a;--bad:#ff8a80;--warn:#ffcc80;--link:#8ab4f8}}\
*{box-sizing:border-box}\
body{margin:0 auto;max-width:64rem;padding:1rem;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg);overflow-wrap:anywhere}\
a{color:var(--link)}h1{margin:.2em 0}h2{margin:1.2em 0 .4em}\
.muted,small{color:var(--muted)}.bad{color:var(--bad)}.warn{color:var(--warn)}\
ul.feeds,ul.sources,ul.recent{list-style:none;padding:0;margin:0}\
ul.feeds>li,ul.sources>li{border-bottom:1px solid var(--line);padding:.6rem 0}\
ul.recent{margin:.3rem 0 0 1rem}ul.recent li::before{content:'\\2022  ';color:var(--muted)}\
ul.sources>li{display:grid;grid-template-columns:minmax(0,1fr);gap:.1rem 1rem}\
@media (min-width:40em){ul.sources>li{grid-template-columns:minmax(0,2fr) minmax(0,1fr) minmax(0,2fr)}}\
details>summary{cursor:pointer}details pre{white-space:pre-wrap;margin:.3rem 0}";

/// Times in the reader's zone and relative ("3 min ago"); the page
/// without script shows them in UTC.
const SCRIPT: &str = "(function(){var u=[['year',31536e6],['month',2592e6],['day',864e5],['hour',36e5],['minute',6e4]];\
var f=typeof Intl!=='undefined'&&Intl.RelativeTimeFormat?new Intl.RelativeTimeFormat(undefined,{numeric:'auto'}):null;\
document.querySelectorAll('time[datetime]').forEach(function(t){var d=new Date(t.getAttribute('datetime'));if(isNaN(d))return;\
var ms=d-Date.now(),a=Math.abs(ms),s='just now';for(var i=0;i<u.length;i++){if(a>=u[i][1]){var n=Math.round(ms/u[i][1]);s=f?f.format(n,u[i][0]):(n+' '+u[i][0]+'s');break;}}\
t.title=d.toLocaleString();t.textContent=s;});})();";

/// Longest error shown on one line; the whole text is a click away.
const ERROR_LINE: usize = 100;

/// The index page as UTF-8 HTML bytes. Links are absolute (under
/// `base_url`), like the feeds' own self links.
pub fn index(page: &Index) -> Vec<u8> {
    let base = &page.base_url;
    let mut h = String::with_capacity(8192);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<meta name=\"color-scheme\" content=\"light dark\">\n");
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
    let _ = writeln!(h, "<style>{STYLE}</style>");
    h.push_str(
        "</head>\n<body>\n<h1>tidings</h1>\n<h2>Feeds</h2>\n<ul class=\"feeds\" id=\"feeds\">\n",
    );
    for feed in &page.feeds {
        let _ = write!(h, "<li><strong>{}</strong>", text(&feed.title));
        if !feed.description.is_empty() {
            let _ = write!(
                h,
                " <span class=\"muted\">— {}</span>",
                text(&feed.description)
            );
        }
        h.push_str("<br>");
        for (ext, _, label) in FORMATS {
            let _ = write!(
                h,
                " <a href=\"{}\">{label}</a>",
                attr(&format!("{base}/feeds/{}.{ext}", feed.id))
            );
        }
        if !feed.recent.is_empty() {
            h.push_str("\n<ul class=\"recent\">");
            for item in &feed.recent {
                match &item.link {
                    Some(link) => {
                        let _ = write!(
                            h,
                            "<li><a class=\"item\" href=\"{}\">{}</a></li>",
                            attr(link),
                            text(&item.title)
                        );
                    }
                    None => {
                        let _ = write!(h, "<li>{}</li>", text(&item.title));
                    }
                }
            }
            h.push_str("</ul>");
        }
        h.push_str("</li>\n");
    }
    h.push_str("</ul>\n<h2>Sources</h2>\n<ul class=\"sources\" id=\"sources\">\n");
    for s in &page.sources {
        let name = match &s.title {
            Some(t) if !t.is_empty() && *t != s.id => {
                format!("{} <small>{}</small>", text(t), text(&s.id))
            }
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
        let health = match s.outcome.as_deref() {
            None => "<span class=\"muted\">not fetched yet</span>".to_string(),
            Some("error") => format!(
                "<span class=\"bad\">failing ({} in a row)</span>",
                s.consecutive_errors
            ),
            Some("warning") => "<span class=\"warn\">warning</span>".to_string(),
            Some(o) => text(o).into_owned(),
        };
        let mut times = match s.last_fetch {
            None => String::new(),
            Some(at) => format!("fetched {}", time(at)),
        };
        if let Some(next) = s.next_due {
            let what = if s.outcome.as_deref() == Some("error") {
                "retry"
            } else {
                "next"
            };
            if !times.is_empty() {
                times.push_str(" · ");
            }
            let _ = write!(times, "{what} {}", time(next));
        }
        let error = s.error.as_deref().map(error_line).unwrap_or_default();
        let _ = writeln!(
            h,
            "<li id=\"source-{}\"><div><strong>{name}</strong> <small>{}</small><br>{}</div><div>{health} · {}</div><div>{times}{error}</div></li>",
            attr(&s.id),
            text(&s.kind),
            feeds.join(" "),
            match s.items {
                1 => "1 item".to_string(),
                n => format!("{n} items"),
            }
        );
    }
    let _ = write!(
        h,
        "</ul>\n<p><a href=\"{}\">All sources as OPML</a></p>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        attr(&format!("{base}/opml"))
    );
    h.into_bytes()
}

/// A `<time>` in UTC, which the page's script shows in the reader's zone.
fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        rfc3339(at),
        at.format("%Y-%m-%d %H:%M UTC")
    )
}

/// An error as one line, its first, cut at [`ERROR_LINE`] characters; the
/// whole text in a `<details>` when there is more.
fn error_line(error: &str) -> String {
    let first = error.lines().next().unwrap_or_default().trim();
    let short: String = first.chars().take(ERROR_LINE).collect();
    if short.len() == error.trim().len() {
        return format!("<br><span class=\"bad\">{}</span>", text(&short));
    }
    format!(
        "<details><summary class=\"bad\">{}…</summary><pre>{}</pre></details>",
        text(&short),
        text(error)
    )
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
                recent: vec![crate::model::Headline {
                    title: "Bridge <reopens>".into(),
                    link: Some("https://wire.example/bridge".into()),
                }],
            }],
            sources: vec![
                SourceHealth {
                    id: "wire".into(),
                    kind: "feed".into(),
                    title: Some("Wire".into()),
                    origin: Some("https://wire.example/rss?a=1&b=2".into()),
                    last_fetch: Some(Utc.with_ymd_and_hms(2026, 3, 5, 9, 30, 0).unwrap()),
                    next_due: Some(Utc.with_ymd_and_hms(2026, 3, 5, 9, 32, 0).unwrap()),
                    outcome: Some("error".into()),
                    error: Some(format!("HTTP 503 <oops>: {}\nsecond line", "x".repeat(120))),
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
    fn source_health_is_escaped_and_made_for_people() {
        let html = String::from_utf8(index(&page())).unwrap();
        assert!(html.contains("&lt;every&gt; source"), "{html}");
        assert!(
            html.contains(
                "<a href=\"https://wire.example/rss?a=1&amp;b=2\">Wire <small>wire</small></a>"
            ),
            "{html}"
        );
        assert!(html.contains("failing (2 in a row)"), "{html}");
        // One line of the error, the rest in details.
        assert!(
            html.contains("<details><summary class=\"bad\">HTTP 503 &lt;oops&gt;: xxx"),
            "{html}"
        );
        assert!(html.contains("\nsecond line</pre></details>"), "{html}");
        assert!(
            html.contains("fetched <time datetime=\"2026-03-05T09:30:00Z\">2026-03-05 09:30 UTC</time> · retry <time datetime=\"2026-03-05T09:32:00Z\">"),
            "{html}"
        );
        assert!(html.contains("12 items"), "{html}");
        assert!(html.contains("not fetched yet"), "{html}");
        assert!(
            html.contains(
                "<a class=\"item\" href=\"https://wire.example/bridge\">Bridge &lt;reopens&gt;</a>"
            ),
            "{html}"
        );
        assert!(html.contains("prefers-color-scheme:dark"), "{html}");
        assert!(html.contains("href=\"https://news.example.org/opml\""));
    }
}
