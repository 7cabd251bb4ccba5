//! Normalization's behaviour, item by item and part by part.

use super::date::*;
use super::html::*;
use super::url::*;
use super::*;
use chrono::{FixedOffset, TimeDelta, TimeZone};
use chrono_tz::Europe::Berlin;

fn url(s: &str) -> Url {
    Url::parse(s).expect("test URL")
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("test date")
}

fn ctx(base: Option<&Url>) -> Context<'_> {
    Context {
        source: "blog",
        base_url: base,
        timezone: Berlin,
        now: utc(2024, 5, 1, 12, 0, 0),
        max_item: 1 << 20,
    }
}

#[test]
fn clean_url_resolves_and_strips_trackers() {
    let base = url("https://example.org/blog/post/");
    assert_eq!(
        clean_url("../other?id=5", Some(&base)).as_deref(),
        Some("https://example.org/blog/other?id=5")
    );
    assert_eq!(
        clean_url(
            "https://example.org/a?utm_source=rss&id=5&FBCLID=x&b=&UTM_Medium=y&ncid=1&c=2#top",
            None
        )
        .as_deref(),
        Some("https://example.org/a?id=5&b=&c=2#top")
    );
    assert_eq!(
        clean_url(
            "https://example.org/a?utm_source=rss&gclid=1&mc_eid=2#frag",
            None
        )
        .as_deref(),
        Some("https://example.org/a#frag")
    );
    assert_eq!(
        clean_url(" //cdn.example.org/x?q=a%20b&__s=1 ", Some(&base)).as_deref(),
        Some("https://cdn.example.org/x?q=a%20b")
    );
    assert_eq!(clean_url("relative/path", None), None);
    assert_eq!(clean_url("", Some(&base)), None);
    assert_eq!(clean_url("javascript:alert(1)", Some(&base)), None);
    assert_eq!(clean_url("data:text/html,hi", Some(&base)), None);
    assert_eq!(clean_url("mailto:a@example.org", None), None);
    assert_eq!(clean_url("http://", None), None);
}

#[test]
fn sanitize_removes_dangerous_markup() {
    let html = r#"<p onclick="x()" style="color:red">Hi<script>alert(1)</script></p>
        <style>p{}</style><form action="/x"><input name="q">Search</form>
        <a href="javascript:alert(1)">js</a><a href="data:text/html,x">data</a>
        <img src="x.png" onerror="alert(1)"><img src="data:image/png;base64,AAAA">
        <iframe src="https://evil.example/embed/x">fallback</iframe>
        <iframe src="https://www.youtube.com/watch?v=x"></iframe>
        <noscript><img src="n.png"></noscript><svg><script>alert(1)</script></svg>"#;
    let out = sanitize_html(html, Some(&url("https://example.org/")));
    for bad in [
        "script",
        "alert",
        "onclick",
        "onerror",
        "style",
        "form",
        "input",
        "Search",
        "javascript",
        "data:",
        "iframe",
        "evil",
        "fallback",
        "n.png",
    ] {
        assert!(!out.contains(bad), "{bad:?} left in {out}");
    }
    assert!(out.contains("<p>Hi</p>"), "{out}");
    assert!(
        out.contains(r#"<img src="https://example.org/x.png">"#),
        "{out}"
    );
}

#[test]
fn sanitize_keeps_allowed_iframes() {
    let base = url("https://example.org/");
    let out = sanitize_html(
        r#"<iframe src="//www.youtube.com/embed/abc?rel=0" width="560" allowfullscreen onload="x()">text</iframe>"#,
        Some(&base),
    );
    assert_eq!(
        out,
        r#"<iframe src="https://www.youtube.com/embed/abc?rel=0" width="560" allowfullscreen=""></iframe>"#
    );
    for src in [
        "https://www.youtube-nocookie.com/embed/abc",
        "https://player.vimeo.com/video/42",
    ] {
        let out = sanitize_html(&format!(r#"<iframe src="{src}"></iframe>"#), None);
        assert_eq!(out, format!(r#"<iframe src="{src}"></iframe>"#));
    }
}

#[test]
fn sanitize_resolves_links_and_images() {
    let base = url("https://example.org/blog/");
    let out = sanitize_html(
        r##"<a href="post?id=1&amp;utm_source=feed#c">post</a> <a href="#top">top</a> <a href="mailto:me@example.org">mail</a> <blockquote cite="/src">q</blockquote>"##,
        Some(&base),
    );
    assert_eq!(
        out,
        r#"<a href="https://example.org/blog/post?id=1#c" rel="noopener noreferrer">post</a> <a href="https://example.org/blog/#top" rel="noopener noreferrer">top</a> <a href="mailto:me@example.org" rel="noopener noreferrer">mail</a> <blockquote cite="https://example.org/src">q</blockquote>"#
    );
    // Without a base a relative URL cannot be made absolute, so it goes.
    assert_eq!(
        sanitize_html(r#"<a href="/x">x</a><img src="y.png" alt="y">"#, None),
        r#"<a rel="noopener noreferrer">x</a><img alt="y">"#
    );
}

#[test]
fn sanitize_resolves_lazy_images() {
    let base = url("https://example.org/a/");
    let cases = [
        (
            r#"<img src="data:image/gif;base64,R0lGOD" data-src="big.jpg?w=1&amp;h=2" alt="A &quot;cat&quot;">"#,
            r#"<img src="https://example.org/a/big.jpg?w=1&amp;h=2" alt="A &quot;cat&quot;">"#,
        ),
        (
            r#"<img src="placeholder.gif" data-lazy-src="/lazy.png">"#,
            r#"<img src="https://example.org/lazy.png">"#,
        ),
        (
            r#"<img data-original="https://cdn.example.org/o.png" width="10">"#,
            r#"<img src="https://cdn.example.org/o.png" width="10">"#,
        ),
        (
            r#"<img src="real.png" data-src="">"#,
            r#"<img src="https://example.org/a/real.png">"#,
        ),
        (r#"<img data-src="javascript:alert(1)">"#, "<img>"),
        // Markup inside an attribute value is not a tag.
        (
            r#"<a title='<img data-src="x.png">'>t</a>"#,
            r#"<a title="&lt;img data-src=&quot;x.png&quot;&gt;" rel="noopener noreferrer">t</a>"#,
        ),
        // Nor is markup in an iframe's fallback content.
        (
            r#"<iframe src="https://player.vimeo.com/video/1"><img data-src="x.png"></iframe>"#,
            r#"<iframe src="https://player.vimeo.com/video/1"></iframe>"#,
        ),
    ];
    for (html, expected) in cases {
        assert_eq!(sanitize_html(html, Some(&base)), expected, "{html}");
    }
}

#[test]
fn plain_text_decodes_entities_once() {
    assert_eq!(plain_text("AT&amp;T"), "AT&T");
    assert_eq!(plain_text("a &lt;b&gt; c"), "a <b> c");
    assert_eq!(plain_text("x < y"), "x < y");
    assert_eq!(plain_text("<b>Bold</b>  title\n"), "Bold title");
    assert_eq!(plain_text("&amp;amp;"), "&amp;");
    assert_eq!(plain_text("caf&eacute;&nbsp;&#8211; &#x2014;"), "café – —");
    assert_eq!(
        plain_text("<p>One</p><p>Two<br>Three</p><script>x()</script><style>p{}</style>"),
        "One Two Three"
    );
    assert_eq!(plain_text("   "), "");
}

#[test]
fn html_over_the_work_budget_is_served_as_text() {
    let deep = format!("{}x", "<div>".repeat(crate::text::budget::MAX_DEPTH + 1));
    let out = sanitize_html(
        &format!("{deep} &amp; <script>evil()</script>&lt;b&gt;"),
        None,
    );
    assert_eq!(out, "<p>x &amp; &lt;b&gt;</p>");
    assert_eq!(plain_text(&deep), "x");
}

#[test]
fn distinct_texts_keep_first_seen_order() {
    let values: Vec<String> = ["b", "a", "b", "", "<i>a</i>", "c"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(distinct_texts(&values, 100), ["b", "a", "c"]);
    assert_eq!(distinct_texts(&values, 2), ["b", "a"]);
}

#[test]
fn parses_rfc_822_forms() {
    let expected = utc(2017, 7, 31, 12, 5, 0);
    for text in [
        "Mon, 31 Jul 2017 14:05:00 +0200",
        "31 Jul 2017 14:05:00 +0200",
        "Fri, 31 Jul 2017 14:05:00 +0200",
        "Mon, 31 Jul 2017 14:05 +02:00",
        "Mon, 31 Jul 2017 12:05:00 GMT",
        "Mon, 31 Jul 2017 12:05:00 UT",
        "Mon, 31 Jul 2017 12:05:00 Z",
        "Mon, 31 Jul 2017 08:05:00 EDT",
        "Mon, 31 Jul 2017 07:05:00 EST",
        "Mon, 31 Jul 2017 05:05:00 PDT",
        "Mon, 31 Jul 17 12:05:00 GMT",
        "Mon, 31-Jul-2017 12:05:00 GMT",
        "Mon, 31 Jul 2017 14:05:00 +0200 (CEST)",
        "Mon Jul 31 12:05:00 2017 UTC",
    ] {
        assert_eq!(parse_date(text, Berlin), Some(expected), "{text}");
    }
    assert_eq!(
        parse_date("Sat, 1 Jul 2017 09:00:00 -0500", Berlin),
        Some(utc(2017, 7, 1, 14, 0, 0))
    );
    assert_eq!(
        parse_date("Thu, 01 Jan 98 00:00:00 GMT", Berlin),
        Some(utc(1998, 1, 1, 0, 0, 0))
    );
}

#[test]
fn parses_iso_forms() {
    let cases = [
        ("2017-07-31T14:05:00+02:00", utc(2017, 7, 31, 12, 5, 0)),
        ("2017-07-31t12:05:00z", utc(2017, 7, 31, 12, 5, 0)),
        ("2017-07-31 09:05:00 -0300", utc(2017, 7, 31, 12, 5, 0)),
        ("2017-07-31T12:05Z", utc(2017, 7, 31, 12, 5, 0)),
        ("2017-07-31T12:05:00 UTC", utc(2017, 7, 31, 12, 5, 0)),
        // No offset: Berlin time, summer and winter.
        ("2017-07-31T14:05:00", utc(2017, 7, 31, 12, 5, 0)),
        ("2017-07-31 14:05", utc(2017, 7, 31, 12, 5, 0)),
        ("2017-01-31 14:05", utc(2017, 1, 31, 13, 5, 0)),
        ("2017-07-31", utc(2017, 7, 30, 22, 0, 0)),
        // Skipped by the spring DST change: read as winter time.
        ("2017-03-26 02:30", utc(2017, 3, 26, 1, 30, 0)),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_date(text, Berlin), Some(expected), "{text}");
    }
    let fraction = parse_date("2017-07-31T12:05:00.5Z", Berlin).expect("parses");
    assert_eq!(fraction.timestamp_subsec_nanos(), 500_000_000);
    // Digits beyond nanoseconds are dropped.
    let fraction = parse_date("2017-07-31T14:05:00,123456789123+02:00", Berlin).expect("parses");
    assert_eq!(
        fraction,
        utc(2017, 7, 31, 12, 5, 0) + TimeDelta::nanoseconds(123_456_789)
    );
}

#[test]
fn parses_human_forms() {
    let cases = [
        ("31 July 2017", utc(2017, 7, 30, 22, 0, 0)),
        ("July 31, 2017", utc(2017, 7, 30, 22, 0, 0)),
        ("Jul. 31st, 2017", utc(2017, 7, 30, 22, 0, 0)),
        (
            "Monday, July 31, 2017 at 2:05 PM",
            utc(2017, 7, 31, 12, 5, 0),
        ),
        ("31 July 2017 12:05am", utc(2017, 7, 30, 22, 5, 0)),
        ("5 Sept 2017 14:05 GMT", utc(2017, 9, 5, 14, 5, 0)),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_date(text, Berlin), Some(expected), "{text}");
    }
    assert_eq!(
        parse_date("31 July 2017", chrono_tz::UTC),
        Some(utc(2017, 7, 31, 0, 0, 0))
    );
}

#[test]
fn rejects_non_dates() {
    for text in [
        "",
        "yesterday",
        "31 Feb 2017",
        "2017-13-01",
        "2017-07-31T25:00",
        "Mon, 31 Jul 2017 14:05:00 XYZ",
        "31 Jul",
        "July 2017",
        "31 Jul 2017 13:00 pm",
        "31 Jul 2017 14:05 +2500",
        "31 Jul 2017 Jul",
    ] {
        assert_eq!(parse_date(text, Berlin), None, "{text}");
    }
}

#[test]
fn item_links_use_xml_base_then_document() {
    let document = url("https://example.org/feed.xml");
    let raw = RawItem {
        link: Some("post?utm_campaign=x".into()),
        base_url: Some("/blog/".into()),
        ..RawItem::default()
    };
    let item = item(raw.clone(), &ctx(Some(&document)));
    assert_eq!(item.link.as_deref(), Some("https://example.org/blog/post"));
    assert_eq!(item.id, "https://example.org/blog/post");

    let without_base = super::item(
        RawItem {
            base_url: None,
            ..raw.clone()
        },
        &ctx(Some(&document)),
    );
    assert_eq!(
        without_base.link.as_deref(),
        Some("https://example.org/post")
    );

    let no_base_at_all = super::item(
        RawItem {
            base_url: None,
            ..raw
        },
        &ctx(None),
    );
    assert_eq!(no_base_at_all.link, None);
}

#[test]
fn item_ids_fall_back_from_guid_to_link_to_hash() {
    let document = url("https://example.org/");
    let raw = RawItem {
        guid: Some("  tag:example.org,2017:1 \n".into()),
        link: Some("/a?fbclid=1".into()),
        title: Some("T".into()),
        content_html: Some("<p>Body</p>".into()),
        ..RawItem::default()
    };
    let ctx = ctx(Some(&document));
    assert_eq!(item(raw.clone(), &ctx).id, "tag:example.org,2017:1");

    let no_guid = RawItem {
        guid: Some("  ".into()),
        ..raw.clone()
    };
    assert_eq!(item(no_guid.clone(), &ctx).id, "https://example.org/a");

    let neither = RawItem {
        link: None,
        ..no_guid
    };
    let first = item(neither.clone(), &ctx);
    let second = item(neither.clone(), &ctx);
    assert_eq!(first.id, second.id);
    assert!(first.id.starts_with("sha256:"), "{}", first.id);
    assert_eq!(first.id.len(), "sha256:".len() + 64);
    let other = item(
        RawItem {
            content_html: Some("Other".into()),
            ..neither
        },
        &ctx,
    );
    assert_ne!(other.id, first.id);
}

#[test]
fn a_guid_is_never_taken_for_a_link() {
    let raw = RawItem {
        guid: Some("https://example.org/p/1?utm_source=x".into()),
        ..RawItem::default()
    };
    let item = item(raw, &ctx(None));
    assert_eq!(item.id, "https://example.org/p/1?utm_source=x");
    assert_eq!(item.link, None);
    assert_eq!(item.title, "(untitled)");
}

#[test]
fn item_titles_are_plain_text_with_fallbacks() {
    let ctx = ctx(None);
    let titled = item(
        RawItem {
            title: Some("<b>Q&amp;A:</b>  &lt;tags&gt;\n".into()),
            ..RawItem::default()
        },
        &ctx,
    );
    assert_eq!(titled.title, "Q&A: <tags>");

    let body = "<p>".to_owned() + &"word ".repeat(30) + "</p>";
    let from_body = item(
        RawItem {
            title: Some(" <i></i> ".into()),
            summary_html: Some(body),
            ..RawItem::default()
        },
        &ctx,
    );
    assert_eq!(
        from_body.title,
        "word ".repeat(16).trim_end().to_owned() + "…"
    );

    let long_word = item(
        RawItem {
            content_html: Some("x".repeat(100)),
            ..RawItem::default()
        },
        &ctx,
    );
    assert_eq!(long_word.title, "x".repeat(80) + "…");

    let short = item(
        RawItem {
            content_html: Some("Just this.".into()),
            ..RawItem::default()
        },
        &ctx,
    );
    assert_eq!(short.title, "Just this.");
}

#[test]
fn item_cleans_lists_and_html() {
    let base = url("https://example.org/");
    let raw = RawItem {
        authors: vec![
            "Ann &amp; Bob".into(),
            " ".into(),
            "<b>Ann &amp; Bob</b>".into(),
            "Cy".into(),
        ],
        categories: vec![
            " rust ".into(),
            "".into(),
            "rust".into(),
            "web&amp;dev".into(),
        ],
        summary_html: Some("<script>x()</script>  ".into()),
        content_html: Some(r#"<p>Hi <a href="/x">x</a></p>"#.into()),
        enclosures: vec![
            Enclosure {
                url: "/ep1.mp3?utm_source=pod".into(),
                mime_type: "audio/mpeg".into(),
                length: 10,
                duration: None,
            },
            Enclosure {
                url: "javascript:x".into(),
                ..Enclosure::default()
            },
        ],
        ..RawItem::default()
    };
    let item = item(raw, &ctx(Some(&base)));
    assert_eq!(item.authors, ["Ann & Bob", "Cy"]);
    assert_eq!(item.categories, ["rust", "web&dev"]);
    assert_eq!(item.summary_html, None);
    assert_eq!(
        item.content_html.as_deref(),
        Some(r#"<p>Hi <a href="https://example.org/x" rel="noopener noreferrer">x</a></p>"#)
    );
    assert_eq!(
        item.enclosures,
        [Enclosure {
            url: "https://example.org/ep1.mp3".into(),
            mime_type: "audio/mpeg".into(),
            length: 10,
            duration: None,
        }]
    );
    assert_eq!(item.source, "blog");
}

#[test]
fn dates_before_year_one_are_clamped() {
    let raw = RawItem {
        guid: Some("old".into()),
        title: Some("t".into()),
        published: Some(RawDate::At(
            DateTime::from_timestamp(-70_000_000_000, 0)
                .unwrap()
                .fixed_offset(),
        )),
        ..RawItem::default()
    };
    let item = item(raw, &ctx(None));
    assert_eq!(item.published.to_rfc3339(), "0001-01-01T00:00:00+00:00");
}

#[test]
fn item_dates() {
    let ctx = ctx(None);
    let date = |text: &str| Some(RawDate::Text(text.into()));

    let undated = item(RawItem::default(), &ctx);
    assert_eq!(
        (undated.published, undated.dated, undated.updated),
        (ctx.now, false, None)
    );

    let unparsable = item(
        RawItem {
            published: date("soon"),
            ..RawItem::default()
        },
        &ctx,
    );
    assert_eq!((unparsable.published, unparsable.dated), (ctx.now, false));

    let future = item(
        RawItem {
            published: date("2030-01-01T00:00:00Z"),
            ..RawItem::default()
        },
        &ctx,
    );
    assert_eq!((future.published, future.dated), (ctx.now, true));

    let at = FixedOffset::east_opt(2 * 3600)
        .and_then(|o| o.with_ymd_and_hms(2017, 7, 31, 14, 5, 0).single())
        .expect("test date");
    let both = item(
        RawItem {
            published: Some(RawDate::At(at)),
            updated: date("2017-08-01 10:00"),
            ..RawItem::default()
        },
        &ctx,
    );
    assert_eq!(both.published, utc(2017, 7, 31, 12, 5, 0));
    assert_eq!(both.updated, Some(utc(2017, 8, 1, 8, 0, 0)));

    let same = item(
        RawItem {
            published: Some(RawDate::At(at)),
            updated: date("Mon, 31 Jul 2017 12:05:00 GMT"),
            ..RawItem::default()
        },
        &ctx,
    );
    assert_eq!(same.updated, None);

    let only_updated = item(
        RawItem {
            updated: date("31 July 2017"),
            ..RawItem::default()
        },
        &ctx,
    );
    assert_eq!(only_updated.published, utc(2017, 7, 30, 22, 0, 0));
    assert!(only_updated.dated);
    assert_eq!(only_updated.updated, None);

    let updated_in_future = item(
        RawItem {
            published: date("2024-04-01"),
            updated: date("2099-01-01"),
            ..RawItem::default()
        },
        &ctx,
    );
    assert_eq!(updated_in_future.updated, Some(ctx.now));
}
