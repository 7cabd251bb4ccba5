//! Extraction on article pages of several shapes, each inside a page full of
//! chrome: every test checks the metadata, that the body holds every
//! paragraph of the article, and that it holds none of the chrome.

use super::*;

mod metadata;

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
        "jsonld" => include_str!("../../../tests/fixtures/pages/jsonld.html"),
        "opengraph" => include_str!("../../../tests/fixtures/pages/opengraph.html"),
        "plain" => include_str!("../../../tests/fixtures/pages/plain.html"),
        "byline" => include_str!("../../../tests/fixtures/pages/byline.html"),
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
fn bylines_under_the_headline_in_other_languages() {
    let body = "<p>Der erste Absatz des Artikels ist lang genug, um als Text dieses kleinen Beispiels zu gelten, und er geht weiter.</p>\
                <p>Ein zweiter Absatz folgt ihm, ebenfalls lang genug, um als Artikeltext für die Bewertung hier zu zählen.</p>";
    for (line, want) in [
        ("<p><i>von Anna Lind</i></p>", vec!["Anna Lind"]),
        ("<p>VON Anna Lind und Bo Li</p>", vec!["Anna Lind", "Bo Li"]),
        ("<p>Text: Anna Lind</p>", vec!["Anna Lind"]),
        ("<p>Par Anna Lind et Bo Li</p>", vec!["Anna Lind", "Bo Li"]),
    ] {
        let html = format!("<html><body><h1>Der Hafen</h1>{line}{body}</body></html>");
        let a = extract(&html, None).unwrap();
        assert_eq!(a.authors, want, "{line}");
        assert!(!a.body_text.contains("Anna Lind"), "{line}");
    }
    // A sentence that opens like a byline is none.
    let html = format!(
        "<html><body><h1>Der Hafen</h1><p>Von Montag an gilt der neue Fahrplan.</p>{body}</body></html>"
    );
    assert!(extract(&html, None).unwrap().authors.is_empty());
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

/// Sentences of article text, distinct from each other, `n` of them.
fn sentences(topic: &str, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            format!(
                "Paragraph {i} about {topic} tells what the harbour board decided, why the vote was close, and what the fishermen said afterwards in the square."
            )
        })
        .collect()
}

/// [`sentences`] as `<p>` elements, one each.
fn paragraphs(topic: &str, n: usize) -> String {
    sentences(topic, n)
        .iter()
        .map(|p| format!("<p>{p}</p>"))
        .collect()
}

fn assert_holds(name: &str, text: &str, wanted: &[String], unwanted: &[&str]) {
    let text = collapse(text);
    for w in wanted {
        assert!(
            text.contains(w.as_str()),
            "{name}: body lacks {w:?}: {text}"
        );
    }
    for u in unwanted {
        assert!(!text.contains(u), "{name}: body has {u:?}: {text}");
    }
}

#[test]
fn article_inside_a_div_soup_without_article_element() {
    let body = sentences("the div soup", 6);
    let paras: String = body
        .iter()
        .map(|p| format!("<div class=\"t\">{p}</div>"))
        .collect();
    let side: String = (1..=12)
        .map(|i| format!("<div class=\"box\"><a href=\"/s{i}\">Other story number {i}</a></div>"))
        .collect();
    let html = format!(
        "<html><head><title>Soup</title></head><body><div class=\"w\"><div class=\"top\"><a href=\"/\">Front page</a> <a href=\"/l\">Local news</a></div>\
         <div class=\"c1\"><div class=\"c2\"><div class=\"h\">Harbour vote</div>{paras}</div></div><div class=\"c3\">{side}</div></div></body></html>"
    );
    let a = extract(&html, None).unwrap();
    assert_holds(
        "div soup",
        &a.body_text,
        &body,
        &["Other story number", "Front page"],
    );
}

#[test]
fn live_blog_keeps_every_entry() {
    let entries = sentences("the live blog", 12);
    let posts: String = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            format!(
                "<div class=\"post\"><time datetime=\"2024-05-01T10:{i:02}:00Z\">10:{i:02}</time><p>{e}</p></div>"
            )
        })
        .collect();
    let html = format!(
        "<html><head><title>Live: the vote</title></head><body><nav><a href=\"/\">Local news</a></nav>\
         <main><h1>Live: the vote</h1><div class=\"feed\">{posts}</div></main>\
         <aside><h2>Related stories</h2><p>Port workers strike again</p></aside></body></html>"
    );
    let a = extract(&html, None).unwrap();
    assert_holds(
        "live blog",
        &a.body_text,
        &entries,
        &["Related stories", "Local news"],
    );
}

#[test]
fn a_dense_byline_and_caption_do_not_replace_the_body() {
    let body = sentences("the caption page", 5);
    let paras: String = body.iter().map(|p| format!("<p>{p}</p>")).collect();
    let html = format!(
        "<html><head><title>Boats</title><meta name=\"author\" content=\"Ana Silva\"></head><body>\
         <div class=\"page\"><h1>Boats</h1>\
         <div class=\"byline\">By Ana Silva, harbour correspondent, with reporting from Bo Li, Cem Kaya, Dana Ruiz and Eli Roth in the port office</div>\
         <figure><img src=\"/b.jpg\"><figcaption>Fishing boats lie at anchor in the old harbour on a grey morning, photographed from the breakwater by the harbour photographer.</figcaption></figure>\
         {paras}</div></body></html>"
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(a.authors, ["Ana Silva"]);
    assert_holds(
        "dense byline",
        &a.body_text,
        &body,
        &["photographed from the breakwater"],
    );
}

#[test]
fn body_split_in_sibling_containers() {
    let body = sentences("the split body", 9);
    let part = |range: std::ops::Range<usize>| -> String {
        body[range].iter().map(|p| format!("<p>{p}</p>")).collect()
    };
    let html = format!(
        "<html><head><title>Split</title></head><body><div class=\"story\"><h1>Split</h1>\
         <div class=\"body-part\">{}</div><div class=\"ad\">Advertisement</div>\
         <div class=\"body-part\">{}</div><div class=\"ad\">Advertisement</div>\
         <div class=\"body-part\">{}</div></div>\
         <footer>All rights reserved</footer></body></html>",
        part(0..3),
        part(3..6),
        part(6..9)
    );
    let a = extract(&html, None).unwrap();
    assert_holds(
        "siblings",
        &a.body_text,
        &body,
        &["Advertisement", "All rights reserved"],
    );
}

#[test]
fn non_english_pages() {
    let german: Vec<String> = (1..=5)
        .map(|i| format!("Absatz {i}: Der Gemeinderat hat am Donnerstag über den Hafen abgestimmt, und die Fischer zeigten sich danach auf dem Marktplatz erleichtert."))
        .collect();
    let paras: String = german.iter().map(|p| format!("<p>{p}</p>")).collect();
    let html = format!(
        "<html lang=\"de\"><head><title>Hafen | Stadtblatt</title></head><body><nav><a href=\"/\">Startseite</a></nav>\
         <article><h1>Hafen</h1><p>Von Jörg Müller</p>{paras}</article><footer>Impressum</footer></body></html>"
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(a.title.as_deref(), Some("Hafen"));
    assert_holds(
        "german",
        &a.body_text,
        &german,
        &["Startseite", "Impressum"],
    );

    // Japanese has no spaces between words: the body is measured in letters.
    let japanese: Vec<String> = (1..=4)
        .map(|i| format!("第{i}段落：市議会は木曜日に港の計画について採決し、漁師たちはその後広場で安堵の表情を見せました。計画は来年から始まる予定です。"))
        .collect();
    let paras: String = japanese.iter().map(|p| format!("<p>{p}</p>")).collect();
    let html = format!(
        "<html lang=\"ja\"><head><title>港の計画</title></head><body><nav><a href=\"/\">ホーム</a></nav>\
         <div class=\"main\"><h1>港の計画</h1>{paras}</div><footer>著作権</footer></body></html>"
    );
    let a = extract(&html, None).unwrap();
    assert_holds("japanese", &a.body_text, &japanese, &["ホーム", "著作権"]);
}
fn dense(html: &str) -> Option<density::Paragraphs> {
    let doc = Document::from(html);
    meta::read(&doc, None);
    chrome::mark_chrome(&doc);
    density::candidate(&doc)
}

#[test]
fn the_paragraphs_beat_a_table_of_names_and_a_disclosure_box() {
    let story = sentences("the table page", 8);
    let paras: String = story.iter().map(|p| format!("<p>{p}</p>")).collect();
    let rows: String = (1..=60)
        .map(|i| {
            format!("<tr><td>Signer {i}</td><td>Town {i}</td><td>signer{i}@example.org</td></tr>")
        })
        .collect();
    let html = format!(
        "<html><head><title>Letter</title></head><body>\
         <section class=\"disclosure-body\"><p>Many of the offers on this site come from partners who pay us; this does not change what we write about them.</p></section>\
         <div class=\"text\">{paras}<table class=\"signers\">{rows}</table></div>\
         <div style=\"display: none\"><p>Keywords, keywords and more hidden keywords that the page never shows to anyone who reads it.</p></div>\
         </body></html>"
    );
    let found = dense(&html).expect("a paragraph candidate");
    assert_holds(
        "table",
        &found.text,
        &story,
        &["offers on this site", "hidden keywords"],
    );
    // And through the whole stage: the article, never the box alone.
    let a = extract(&html, None).unwrap();
    assert_holds("table page", &a.body_text, &story, &["hidden keywords"]);
}

#[test]
fn a_list_of_teasers_is_no_paragraph_candidate() {
    let teasers: String = sentences("a teaser", 10)
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!("<li><h3><a href=\"/s{i}\">Headline of the story number {i} on the front page</a></h3><p>{t}</p></li>")
        })
        .collect();
    let html = format!("<html><body><ul class=\"stories\">{teasers}</ul></body></html>");
    assert!(dense(&html).is_none());
}

#[test]
fn a_far_longer_article_elsewhere_replaces_a_short_wrong_pick() {
    let story = sentences("the login page", 10);
    let paras: String = story.iter().map(|p| format!("<p>{p}</p>")).collect();
    let html = format!(
        "<html><head><title>Harbour</title></head><body>\
         <div class=\"b-dialog\"><div class=\"pw\"><p>The password needs at least one capital letter, one digit and one of the signs that the form lists below.</p></div></div>\
         <div class=\"wrap\"><div class=\"col\">{paras}</div></div></body></html>"
    );
    let a = extract(&html, None).unwrap();
    assert_holds("dialog", &a.body_text, &story, &["password needs"]);
}

#[test]
fn a_short_article_in_a_container_named_like_chrome_is_kept() {
    // Readability's pick is all chrome (the container's class reads like
    // a widget) and nothing else on the page holds text: it holds a
    // paragraph of prose, so it is the article (a menu is not: see
    // `a_page_without_text_is_no_article`).
    let html = "<html><body><div class=\"widget\"><p>The ice on the harbour steps caught us all this morning, and the gulls laughed at every one of us.</p></div></body></html>";
    let a = extract(html, None).unwrap();
    assert!(
        a.body_text.contains("The ice on the harbour"),
        "{}",
        a.body_text
    );
}

#[test]
fn a_section_named_by_its_layout_or_heading_keeps_its_prose() {
    let story = sentences("the layout page", 15);
    let part = |range: std::ops::Range<usize>| -> String {
        story[range].iter().map(|p| format!("<p>{p}</p>")).collect()
    };
    let html = format!(
        "<html><head><title>Layout</title></head><body><div class=\"doc\"><h1>Layout</h1>\
         <div class=\"section\" id=\"sharing-with-a-single-developer\"><h2>Sharing with a single developer</h2>{}</div>\
         <section class=\"Report__Section Report__Section--Ads\"><h2>Verdict</h2>{}</section>\
         <div class=\"share\"><a href=\"/t\">Share on Twitter</a> <a href=\"/m\">Email this story</a></div>\
         <div class=\"body has-sidebar\">{}</div>\
         <div class=\"sidebar\"><p>Ferry timetable</p></div></div></body></html>",
        part(0..5),
        part(5..10),
        part(10..15)
    );
    let a = extract(&html, None).unwrap();
    assert_holds(
        "layout",
        &a.body_text,
        &story,
        &["Share on Twitter", "Email this story", "Ferry timetable"],
    );
}

#[test]
fn captions_credits_and_the_author_bio_inside_the_article_are_cut() {
    let story = sentences("the caption classes", 8);
    let part = |range: std::ops::Range<usize>| -> String {
        story[range].iter().map(|p| format!("<p>{p}</p>")).collect()
    };
    let html = format!(
        "<html><head><title>Harbour</title></head><body><div class=\"story-body\"><h1>Harbour</h1>{}\
         <div class=\"photo\"><img src=\"/a.jpg\"><span class=\"news-caption\">The breakwater at dawn, seen from the lighthouse steps</span>\
         <span class=\"photo-credit\">Photo: Lena Berg, Harbour Agency</span></div>{}\
         <div class=\"gallery-item no_caption\"><p>{}</p></div>\
         <div class=\"user-bio\"><p>Ana Silva covers the port and the fishing fleet for the Gazette and lives by the harbour.</p></div>\
         <p class=\"copyright-line\">© 2024 The Harbour Gazette</p></div></body></html>",
        part(0..4),
        part(4..7),
        story[7]
    );
    let a = extract(&html, None).unwrap();
    assert_holds(
        "captions",
        &a.body_text,
        &story,
        &[
            "seen from the lighthouse",
            "Lena Berg",
            "covers the port",
            "© 2024",
        ],
    );
}

#[test]
fn date_stamps_and_link_lines_inside_the_body_are_cut() {
    let story = sentences("the link lines", 8);
    let part = |range: std::ops::Range<usize>| -> String {
        story[range].iter().map(|p| format!("<p>{p}</p>")).collect()
    };
    let kept = [
        "The board met on 4 March 2024 and will meet again in May, after the fishing season."
            .to_string(),
        "https://example.org/minutes/2024-03.pdf".to_string(),
        "Read the board's report on its site before the vote.".to_string(),
        "Harbour charter of 1911".to_string(),
        "Fishing rules of 1956".to_string(),
    ];
    let html = format!(
        "<html><head><title>Harbour</title></head><body><div class=\"article-text\"><h1>Harbour</h1>\
         <div>Updated 5:27 am CST, Wednesday, November 20, 2019</div><p>PUBLISHED: 10:48, Tue, Nov 19, 2019</p>{}\
         <p><strong>DON'T MISS</strong></p>\
         <p><a href=\"/a\">Port workers strike again over the night shifts [VIDEO]</a></p>\
         <p><a href=\"/b\">Ferry fares rise for the third year running [INSIGHT]</a></p>\
         <p>{}</p><p><a href=\"/m\">https://example.org/minutes/2024-03.pdf</a></p>\
         <p><a href=\"/r\">Read the board's report</a> on its site before the vote.</p>{}\
         <p>Related: <a href=\"/c\">Where the old harbour wall came from, in pictures</a></p>\
         <h2>Sources</h2><ul><li><a href=\"/s1\">Harbour charter of 1911</a></li><li><a href=\"/s2\">Fishing rules of 1956</a></li></ul>\
         {}<p>Published 1 day ago</p></div></body></html>",
        part(0..3),
        kept[0],
        part(3..6),
        part(6..8)
    );
    let a = extract(&html, None).unwrap();
    let wanted: Vec<String> = story.iter().chain(&kept).cloned().collect();
    assert_holds(
        "link lines",
        &a.body_text,
        &wanted,
        &[
            "5:27 am",
            "PUBLISHED",
            "DON'T MISS",
            "Port workers strike",
            "Ferry fares",
            "old harbour wall",
            "1 day ago",
        ],
    );
}

#[test]
fn the_rest_of_an_article_in_a_wider_container_is_taken() {
    let first = sentences("the first part", 9);
    let rest = sentences("the second part", 9);
    let part = |ps: &[String]| -> String { ps.iter().map(|p| format!("<p>{p}</p>")).collect() };
    let blocks = |ps: &[String]| -> String {
        ps.iter()
            .map(|p| format!("<div class=\"block\"><p>{p}</p></div>"))
            .collect()
    };
    let html = format!(
        "<html><head><title>Harbour</title></head><body><div class=\"story\"><h1>Harbour</h1>\
         <div class=\"article-body\">{}</div><div class=\"wrap\"><div class=\"inner\"><div class=\"rest\">{}</div></div></div></div>\
         <footer>All rights reserved</footer></body></html>",
        part(&first),
        blocks(&rest)
    );
    let a = extract(&html, None).unwrap();
    let all: Vec<String> = first.iter().chain(&rest).cloned().collect();
    assert_holds("wider", &a.body_text, &all, &["All rights reserved"]);
    // Teasers under the article, each under a linked headline, are no
    // part of it.
    let teasers: String = rest
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!("<div class=\"block\"><h3><a href=\"/s{i}\">Story {i} from the front page</a></h3><p>{p}</p></div>")
        })
        .collect();
    let html = format!(
        "<html><head><title>Harbour</title></head><body><div class=\"story\"><h1>Harbour</h1>\
         <div class=\"article-body\">{}</div><div class=\"wrap\"><div class=\"rest\">{teasers}</div></div></div>\
         </body></html>",
        part(&first)
    );
    let a = extract(&html, None).unwrap();
    assert_holds("teasers", &a.body_text, &first, &["the second part"]);
}

#[test]
fn an_article_given_in_noscript_or_a_main_widget_is_read() {
    let story = sentences("the script page", 8);
    let paras: String = story.iter().map(|p| format!("<p>{p}</p>")).collect();
    for wrapper in ["noscript", "div class=\"widget Blog\""] {
        let tag = wrapper.split(' ').next().unwrap();
        let html = format!(
            "<html><head><title>Harbour</title></head><body><div id=\"app\"></div>\
             <{wrapper}><div class=\"post\"><h1>Harbour</h1>{paras}</div></{tag}>\
             <footer>All rights reserved</footer></body></html>"
        );
        let a = extract(&html, None).unwrap();
        assert_holds(wrapper, &a.body_text, &story, &["All rights reserved"]);
        assert_eq!(a.title.as_deref(), Some("Harbour"), "{wrapper}");
    }
}

#[test]
fn comments_under_a_compound_class_name_are_no_article() {
    let story = paragraphs("the mine deal", 4);
    let comment = "Readers wrote at length below the piece, arguing over coal, money, pensions, weather, football and whatever else came to mind that evening.";
    let comments: String = (0..20)
        .map(|i| format!("<li id=\"bb_message_{i}\"><div class=\"objlink\"><p>{comment} Number {i}.</p></div></li>"))
        .collect();
    let html = format!(
        "<html><head><title>The mine deal</title></head><body><div id=\"pages\"><article><h1>The mine deal</h1>{story}</article>\
         <div class=\"sect sect_commentlinks\"><ul class=\"sectbody directory\">{comments}</ul></div></div></body></html>"
    );
    let text = extract(&html, None).unwrap().body_text;
    assert!(text.contains("Paragraph 1 about the mine deal"), "{text}");
    assert!(!text.contains("Readers wrote"), "{text}");
}
