//! Extraction on article pages of several shapes, each inside a page full of
//! chrome: every test checks the metadata, that the body holds every
//! paragraph of the article, and that it holds none of the chrome.

use super::*;

/// Phrases that only occur in the fixtures' navigation, share bars, related
/// lists, sidebars, comments and footers.
const CHROME: &[&str] = &[
    "Local news",
    "Share on Twitter",
    "Email this story",
    "Related stories",
    "Ferry timetable",
    "harbourwatcher",
    "cables creak",
    "All rights reserved",
    "Privacy policy",
    "Search the Gazette",
    "Subscribe for one euro",
    "Most read",
    "comet visible",
    "Advertisement",
    "independent publication",
    "Sign up now",
    "newsletter every Friday",
    "Recent articles",
    "Port workers strike",
    "Copyright 1998",
    "Topics",
    "Tweet",
    "LinkedIn",
    "Tags:",
    "More by Tomas",
    "Leave a comment",
    "queued for an hour",
    "Longer opening hours",
    "Town Post",
    "Front page",
    "Terms of use",
];

fn page(name: &str) -> &'static str {
    match name {
        "jsonld" => include_str!("../../tests/fixtures/pages/jsonld.html"),
        "opengraph" => include_str!("../../tests/fixtures/pages/opengraph.html"),
        "plain" => include_str!("../../tests/fixtures/pages/plain.html"),
        "byline" => include_str!("../../tests/fixtures/pages/byline.html"),
        _ => panic!("no fixture {name}"),
    }
}

fn check(
    name: &str,
    url: &str,
    title: &str,
    author: &str,
    date: &str,
    paragraphs: &[&str],
) -> Article {
    let base = Url::parse(url).unwrap();
    let a = extract(page(name), Some(&base)).unwrap();
    assert_eq!(a.title.as_deref(), Some(title), "{name}: title");
    assert_eq!(a.authors, vec![author.to_string()], "{name}: author");
    assert_eq!(
        a.published,
        Some(RawDate::Text(date.into())),
        "{name}: date"
    );
    let text = collapse(&a.body_text);
    let html = collapse(&a.body_html);
    for p in paragraphs {
        assert!(text.contains(p), "{name}: body text lacks {p:?}: {text}");
        assert!(html.contains(p), "{name}: body html lacks {p:?}");
    }
    for c in CHROME {
        assert!(
            !text.contains(c),
            "{name}: body text has chrome {c:?}: {text}"
        );
        assert!(!html.contains(c), "{name}: body html has chrome {c:?}");
    }
    assert!(
        !text.contains(title),
        "{name}: the body repeats the headline"
    );
    assert!(
        !text.contains(author),
        "{name}: the body repeats the byline"
    );
    a
}

#[test]
fn json_ld_in_a_graph() {
    let a = check(
        "jsonld",
        "https://gazette.example/2021/harbour-bridge/?utm_source=x",
        "Harbour bridge closes for six months of repairs",
        "Ilse Marquardt",
        "2021-04-06T08:30:00+02:00",
        &[
            "The harbour bridge will close to all traffic from Monday",
            "Commuters who cross the bridge each morning",
            "Engineers found the corrosion during a routine inspection",
            "\"We cannot wait for a cable to fail,\"",
            "Shop owners on the north shore fear a drop in trade.",
            "The bridge should reopen in October.",
        ],
    );
    assert_eq!(
        a.url.as_deref(),
        Some("https://gazette.example/2021/harbour-bridge/")
    );
    assert!(a.body_html.contains("<img"), "the figure stays");
}

#[test]
fn opengraph_and_article_meta() {
    let a = check(
        "opengraph",
        "https://science.example/lake-sediment?ref=home",
        "Lake sediment shows a century of pollution",
        "Dr. Anneke Vos",
        "2019-11-14T10:00:00Z",
        &[
            "Cores drilled from the bed of Lake Varde",
            "The researchers pulled twelve cores",
            "Lead concentrations rise sharply after 1920",
            "The most recent layers contain microplastics",
            "one thin layer for every year.",
        ],
    );
    assert_eq!(
        a.url.as_deref(),
        Some("https://science.example/lake-sediment")
    );
}

#[test]
fn no_metadata_bold_byline_and_date_line() {
    let a = check(
        "plain",
        "https://news.example/en/2017/07/31/council.html",
        "Council votes to hold early election",
        "Mara Lindqvist",
        "31 July 2017",
        &[
            "The town council voted on Thursday to dissolve itself",
            "Eleven of the nineteen councillors supported the motion.",
            "The budget dispute began in February",
            "Since then the council has failed to pass any spending plan",
            "Campaigning begins officially in two weeks.",
        ],
    );
    assert!(
        !a.body_text.contains("31 July 2017"),
        "the date line is cut"
    );
    assert_eq!(
        a.url.as_deref(),
        Some("https://news.example/en/2017/07/31/council.html")
    );
}

#[test]
fn no_metadata_by_line() {
    check(
        "byline",
        "https://post.example/culture/library",
        "The library reopens after two years",
        "Tomas Ferreira",
        "12 March 2021",
        &[
            "After two years of rebuilding, the central library opened",
            "The old reading room has been restored",
            "Librarians say the collection has grown",
            "so that students have somewhere quiet to work.",
        ],
    );
}

#[test]
fn bold_name_with_date_in_one_block_and_markdown_bold() {
    let body = "<p>The first paragraph of the story is long enough to be the body text of this small test article, and it goes on.</p>\
                <p>A second paragraph follows it, also long enough to count as article text for the readability scoring here.</p>";
    let html = format!(
        "<html><body><h1>Heading</h1><p><strong>Nick Beams</strong><br>31 July 2017</p>{body}</body></html>"
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(a.authors, ["Nick Beams"]);
    assert_eq!(a.published, Some(RawDate::Text("31 July 2017".into())));
    assert!(a.body_text.contains("The first paragraph"));
    assert!(!a.body_text.contains("Nick Beams"));

    let html = format!(
        "<html><body><h1>Heading</h1><p>**Nick Beams**</p><p>31 July 2017</p>{body}</body></html>"
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(a.authors, ["Nick Beams"]);
    assert_eq!(a.published, Some(RawDate::Text("31 July 2017".into())));
}

#[test]
fn a_page_without_text_is_no_article() {
    assert_eq!(
        extract(
            "<html><body><nav><a href='/'>Home</a></nav></body></html>",
            None
        ),
        Err(ExtractError::NoArticle)
    );
}

#[test]
fn decodes_declared_charsets() {
    let latin1 = b"<html><head><meta charset=\"iso-8859-1\"></head><body>caf\xe9</body></html>";
    assert!(decode(latin1, None).contains("café"));
    assert!(decode(b"caf\xe9", Some("text/html; charset=windows-1252")).contains("café"));
    assert!(decode("café".as_bytes(), None).contains("café"));
}
