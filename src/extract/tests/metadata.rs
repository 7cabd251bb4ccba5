//! The metadata on its own: the site's name cut from the title, the
//! headline that is chrome, author names and where they are found, and the
//! European date lines and dated elements.

use super::*;

/// An article page with the given `<head>` and headline element, for the
/// title rules.
fn titled(head: &str, heading: &str) -> String {
    let paras = paragraphs("the title", 5);
    format!("<html><head>{head}</head><body>{heading}<article>{paras}</article></body></html>")
}

#[test]
fn the_site_name_is_cut_from_the_title_when_the_page_names_the_site() {
    let url = Url::parse("https://www.harbour-gazette.example/2024/vote.html").unwrap();
    let cases = [
        // og:site_name names it.
        (
            r#"<meta property="og:title" content="Harbour board votes for the new quay | The Gazette"><meta property="og:site_name" content="The Gazette">"#,
            "Harbour board votes for the new quay",
        ),
        // The host names it, and a tagline follows it.
        (
            "<title>Harbour board votes for the new quay - Harbour Gazette - News from the coast</title>",
            "Harbour board votes for the new quay",
        ),
        // A leading name, set off by a spaced separator.
        (
            "<title>harbour-gazette.example | Harbour board votes for the new quay</title>",
            "Harbour board votes for the new quay",
        ),
        // A hyphen inside a compound is no separator, even before the name.
        (
            r#"<meta property="og:title" content="Gazette-Leser wählen den Hafen-Gazette-Preis">"#,
            "Gazette-Leser wählen den Hafen-Gazette-Preis",
        ),
        // A tail the page does not name stays.
        (
            r#"<meta property="og:title" content="Harbour board votes - the second round">"#,
            "Harbour board votes - the second round",
        ),
        // A Chinese site's name says it is one; an underscore between two
        // characters of a script without spaces is a separator.
        (
            "<title>海外留学生看两会：出国前后关注点大不同_教育频道_中国青年网</title>",
            "海外留学生看两会：出国前后关注点大不同",
        ),
        (
            "<title>武汉的声音：有英勇的你，才有英雄的城！-新华网</title>",
            "武汉的声音：有英勇的你，才有英雄的城！",
        ),
        // A tail that names no site stays.
        (
            "<title>新竹尖石_美樹營地賞楓 (2)</title>",
            "新竹尖石_美樹營地賞楓 (2)",
        ),
    ];
    for (head, want) in cases {
        let a = extract(&titled(head, ""), Some(&url)).unwrap();
        assert_eq!(a.title.as_deref(), Some(want), "{head}");
    }
}

#[test]
fn the_visible_headline_beats_a_reworded_declared_title() {
    // The page's headline words it differently from its og:title (edited
    // after publication): the reader saw the headline.
    let html = titled(
        r#"<meta property="og:title" content="Harbour board backs the new quays on Monday">"#,
        "<h1>Harbour board backs the new quay on Monday</h1>",
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(
        a.title.as_deref(),
        Some("Harbour board backs the new quay on Monday")
    );
    // A headline that holds the title and a kicker before it is not a
    // rewording: the title stays.
    let html = titled(
        r#"<meta property="og:title" content="Harbour board backs the new quay">"#,
        "<h1><span>Local news</span> Harbour board backs the new quay</h1>",
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(a.title.as_deref(), Some("Harbour board backs the new quay"));
    // Nor is a headline that shares few of the title's words.
    let html = titled(
        r#"<meta property="og:title" content="Harbour board backs the new quay">"#,
        "<h1>Fishermen cheer as the vote passes</h1>",
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(a.title.as_deref(), Some("Harbour board backs the new quay"));
}

#[test]
fn a_headline_sharing_no_word_with_the_title_is_chrome() {
    let html = titled(
        "<title>Harbour board votes for the new quay</title>",
        "<h1>Press releases</h1>",
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(
        a.title.as_deref(),
        Some("Harbour board votes for the new quay")
    );
    // A headline that says the same as the title stays the headline.
    let html = titled(
        "<title>Harbour vote: the board backs the new quay - Gazette</title>",
        "<h1>The board backs the new quay</h1>",
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(a.title.as_deref(), Some("The board backs the new quay"));
    // Without a name to recognise, a tail longer than what it follows is
    // kept.
    let html = titled(
        "<title>Gazette - Harbour board votes for the new quay</title>",
        "",
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(
        a.title.as_deref(),
        Some("Gazette - Harbour board votes for the new quay")
    );
}

#[test]
fn a_kicker_in_the_headline_element_is_no_part_of_the_headline() {
    // The kicker is a topic line set before the headline in its element;
    // the declared title holds both.
    for (head, heading) in [
        (
            r#"<meta property="og:title" content="Harbour: Board backs the new quay">"#,
            r#"<h1><span class="story__kicker">Harbour</span><span class="sr-only">: </span><span>Board backs the new quay</span></h1>"#,
        ),
        (
            r#"<meta property="og:title" content="Board backs the new quay - Vote at the harbour">"#,
            r#"<h1><span class="dachzeile">Vote at the harbour</span> <span class="headline">Board backs the new quay</span></h1>"#,
        ),
        (
            "<title>Vote at the harbour - Board backs the new quay</title>",
            r#"<h1><span class="overline">Vote at the harbour</span>Board backs the new quay</h1>"#,
        ),
    ] {
        let a = extract(&titled(head, heading), None).unwrap();
        assert_eq!(
            a.title.as_deref(),
            Some("Board backs the new quay"),
            "{heading}"
        );
    }
    // A headline that is all kicker keeps its text, and a quotation mark
    // opening a headline is no separator.
    let a = extract(&titled("", r#"<h1 class="kicker-free"><span class="kicker">»Board backs the new quay«</span></h1>"#), None).unwrap();
    assert_eq!(a.title.as_deref(), Some("»Board backs the new quay«"));
}

#[test]
fn the_site_masthead_and_a_section_name_are_no_headline() {
    let url = Url::parse("https://www.harbour-gazette.example/2024/vote.html").unwrap();
    for (head, heading) in [
        // The logo: an h1 holding a link to the home page.
        (
            "<title>Board backs the new quay</title>",
            r#"<h1><a href="https://www.harbour-gazette.example/">The Coast Daily</a></h1><h2>Board backs the new quay</h2>"#,
        ),
        // An h1 that is the site's name, and one only a screen reader reads.
        (
            r#"<meta property="og:site_name" content="Harbour Gazette"><title>Board backs the new quay</title>"#,
            r#"<h1 class="aural">Harbour Gazette</h1><h1>Board backs the new quay</h1>"#,
        ),
        // A declared title that is the site's name or a section's.
        (
            r#"<meta property="og:title" content="Harbour Gazette"><meta property="og:site_name" content="Harbour Gazette">"#,
            "<h1>Board backs the new quay</h1>",
        ),
        (
            r#"<meta property="og:title" content="Press releases"><title>Gazette: Board backs the new quay</title>"#,
            "<h1>Board backs the new quay</h1>",
        ),
    ] {
        let a = extract(&titled(head, heading), Some(&url)).unwrap();
        assert_eq!(
            a.title.as_deref(),
            Some("Board backs the new quay"),
            "{head}{heading}"
        );
    }
    // A headline may hold the site's name; a page may give its headline as
    // its application name.
    let a = extract(
        &titled(
            r#"<meta name="application-name" content="Harbour board votes on the quay - Gazette">"#,
            "<h1>Harbour board votes on the quay</h1><h2>Gazette readers react</h2>",
        ),
        Some(&url),
    )
    .unwrap();
    assert_eq!(a.title.as_deref(), Some("Harbour board votes on the quay"));
}

#[test]
fn the_headline_the_title_holds_beats_chrome_headings_before_it() {
    let url = Url::parse("https://www.harbour-gazette.example/2024/vote.html").unwrap();
    for (head, heading, want) in [
        // Headings of the page's menus come first; the title holds the
        // article's, even inside a wrapper named like chrome.
        (
            "<title>Board backs the new quay - Coast Athletics Club</title>",
            r#"<h1>Quicklinks</h1><h1>Navigation</h1><div class="sidebar-wrap"><h1>Board backs the new quay</h1></div>"#,
            "Board backs the new quay",
        ),
        // A one-word headline, set off in the title by a separator.
        (
            "<title>Penny - Coast Wiki</title>",
            "<h1>Penny</h1>",
            "Penny",
        ),
        // The masthead, by its class, a rel=home link or an index page link.
        (
            "<title>Quay recipes: Muffin basics</title>",
            r#"<h1 class="logo"><a href="https://archive.example/web/1/https://quay.example/">Quay recipes</a></h1><h2>Muffin basics for the harbour</h2>"#,
            "Muffin basics for the harbour",
        ),
        (
            "<title>Shared history — the quay handbook</title>",
            r##"<h1><a href="index.html">the quay handbook</a></h1><h1>Shared history<a class="headerlink" href="#shared-history">¶</a></h1>"##,
            "Shared history",
        ),
        // Ruby readings are no part of the headline.
        (
            "",
            "<h1><ruby>子<rt>こ</rt></ruby>どもの<ruby>法律<rt>ほうりつ</rt></ruby>ができる</h1>",
            "子どもの法律ができる",
        ),
    ] {
        let a = extract(&titled(head, heading), Some(&url)).unwrap();
        assert_eq!(a.title.as_deref(), Some(want), "{head}{heading}");
    }
}

#[test]
fn the_headline_header_inside_a_wrapper_named_like_chrome_dates_the_page() {
    let paras = paragraphs("the quay", 6);
    let html = format!(
        r#"<html><head><title>Board backs the new quay - Gazette</title></head><body><nav><a href="/">Home</a></nav><article><div id="sidebar" class="content-area">
        <header><h1>Board backs the new quay</h1><div class="entry-meta"><span class="author vcard"><a class="url fn">Ana Silva</a></span>
        <time class="entry-date" datetime="2024-03-05T09:00:00+01:00">5 March</time></div></header>
        {paras}</div></article></body></html>"#
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(a.title.as_deref(), Some("Board backs the new quay"));
    assert_eq!(a.authors, vec!["Ana Silva".to_string()]);
    assert_eq!(
        a.published,
        Some(RawDate::Text("2024-03-05T09:00:00+01:00".into()))
    );
    assert!(a.body_text.contains(&sentences("the quay", 6)[0]));
}

#[test]
fn titles_from_several_properties_in_one_tag_and_other_vocabularies() {
    for head in [
        r#"<meta property="x:title og:title" content="Board backs the new quay">"#,
        r#"<meta name="parsely-title" content="Board backs the new quay">"#,
        r#"<meta name="DC.title" content="Board backs the new quay">"#,
    ] {
        let a = extract(&titled(head, ""), None).unwrap();
        assert_eq!(
            a.title.as_deref(),
            Some("Board backs the new quay"),
            "{head}"
        );
    }
}

#[test]
fn author_names_lose_their_lead_in_and_trail() {
    let cases = [
        ("von Peter Addor", Some("Peter Addor")),
        ("Von: Wolfgang Schmale", Some("Wolfgang Schmale")),
        ("Veröffentlicht von Chris Jung", Some("Chris Jung")),
        (
            "Post author By Helge Fahrnberger",
            Some("Helge Fahrnberger"),
        ),
        ("Par Chokri GHARBI", Some("Chokri GHARBI")),
        ("Autor: Petra Ruland", Some("Petra Ruland")),
        ("AuthorAndreas Kalt", Some("Andreas Kalt")),
        ("Von Patrick Czerny -", Some("Patrick Czerny")),
        (
            "Por Williams Perdomo @wperdomod -",
            Some("Williams Perdomo"),
        ),
        (
            "Johanna Kropfitsch Alle Artikel",
            Some("Johanna Kropfitsch"),
        ),
        // A degree after the name.
        ("Grant Tinsley, PhD", Some("Grant Tinsley")),
        ("Ana Silva, M.D., MPH", Some("Ana Silva")),
        // Names that merely start like a lead-in stay whole.
        ("Byron Parker", Some("Byron Parker")),
        ("Vonda Shepard", Some("Vonda Shepard")),
        ("Da Silva", Some("Da Silva")),
        ("Li, Md Rahman", Some("Li, Md Rahman")),
        // No names at all.
        ("Name (erforderlich)", None),
        ("Name *", None),
        ("Aylin sagt:", None),
        ("Posted on", None),
        // A date's weekday or a bare label taken for the byline.
        ("Donnerstag", None),
        ("Posted Monday", None),
        ("Veröffentlicht", None),
        ("Erscheinungsdatum", None),
    ];
    for (raw, want) in cases {
        assert_eq!(meta::clean_author(raw).as_deref(), want, "{raw}");
    }
}

#[test]
fn a_writer_beats_the_site_named_as_author() {
    let url = Url::parse("https://www.harbourgazette.example/vote.html").unwrap();
    let head = r#"<meta name="author" content="Harbour Gazette"><title>Harbour board votes for the new quay</title>"#;
    let with_writer = titled(
        head,
        r#"<h1>Harbour board votes for the new quay</h1><a rel="author" href="/mara">Mara Lindqvist</a>"#,
    );
    let a = extract(&with_writer, Some(&url)).unwrap();
    assert_eq!(a.authors, ["Mara Lindqvist"]);
    // With no writer named anywhere, the site's name is all there is.
    let alone = titled(head, "<h1>Harbour board votes for the new quay</h1>");
    let a = extract(&alone, Some(&url)).unwrap();
    assert_eq!(a.authors, ["Harbour Gazette"]);
    // A user name loses to the writer's name, and stays where it is all.
    let head = r#"<meta name="author" content="mara.lindqvist"><title>Harbour board votes for the new quay</title>"#;
    let a = extract(&titled(head, r#"<h1>Harbour board votes for the new quay</h1><a rel="author" href="/mara">Mara Lindqvist</a>"#), Some(&url)).unwrap();
    assert_eq!(a.authors, ["Mara Lindqvist"]);
    let a = extract(
        &titled(head, "<h1>Harbour board votes for the new quay</h1>"),
        Some(&url),
    )
    .unwrap();
    assert_eq!(a.authors, ["mara.lindqvist"]);
}

/// A page's chrome marked and its paragraph candidate read, as `extract`
/// does before Readability.

#[test]
fn european_date_lines_and_dated_elements() {
    let story = sentences("the dated page", 5);
    let paras: String = story.iter().map(|p| format!("<p>{p}</p>")).collect();
    let page = |date: &str| {
        format!(
            "<html><head><title>Hafen</title></head><body><div class=\"post\"><h1>Hafen</h1>\
             <div class=\"teaser\"><p>Ein kurzer Vorspann über den Hafen und die Fischer, die am Donnerstag abgestimmt haben.</p></div>\
             {paras}{date}</div>\
             <div class=\"comments\"><span class=\"date\">3. März 2025</span><p>Ein Kommentar.</p></div></body></html>"
        )
    };
    let published = |html: &str| extract(html, None).unwrap().published;
    assert_eq!(
        published(&page(
            "<span class=\"itemPostDate\">am 25.08.2015 22:30</span>"
        )),
        Some(RawDate::Text("2015-08-25".into()))
    );
    assert_eq!(
        published(&page(
            "<time datetime=\"01-11-2023 10:29\">1. November 2023 10:29</time>"
        )),
        Some(RawDate::Text("2023-11-01".into()))
    );
    // Only a comment is dated: the article has no date.
    assert_eq!(published(&page("")), None);
    // Month names of other languages, and a year-first date.
    assert_eq!(
        published(&page("<p class=\"date\">15 августа 2016, 13:43</p>")),
        Some(RawDate::Text("2016-08-15".into()))
    );
    assert_eq!(
        published(&page("<span class=\"date\">2019年6月24日 18時30分</span>")),
        Some(RawDate::Text("2019-06-24".into()))
    );
}

#[test]
fn dates_beside_a_place_or_a_lead_in_and_dates_of_pages_that_are_no_article() {
    let story = sentences("the dated notice", 5);
    let paras: String = story.iter().map(|p| format!("<p>{p}</p>")).collect();
    let page = |head: &str, date: &str| {
        format!(
            "<html><head><title>Hafen</title>{head}</head><body><div class=\"post\"><h1>Hafen</h1>\
             {date}{paras}</div></body></html>"
        )
    };
    let published = |html: &str| extract(html, None).unwrap().published;
    let day = |d: &str| Some(RawDate::Text(d.into()));
    for (line, want) in [
        ("<p>Lübeck, 31. März 2003</p>", "2003-03-31"),
        (
            "<p>Pressemitteilung vom 25. Januar 2022 | Berlin</p>",
            "2022-01-25",
        ),
        (
            "<div class=\"meta\">Gespeichert von rasos am 24. Juli 2017 - 18:55</div>",
            "2017-07-24",
        ),
        (
            "<span class=\"heading__meta\">Stand - 12.11.2021</span>",
            "2021-11-12",
        ),
    ] {
        assert_eq!(published(&page("", line)), day(want), "{line}");
    }
    // A kicker that names a day among many words is no date line.
    let kicker =
        "<p>Bern, 17.08.2007 - Rede des Präsidenten beim Städtegipfel in der Stadt, Basel</p>";
    assert_eq!(published(&page("", kicker)), None);
    // JSON-LD that calls the page a recipe or a web page still dates it,
    // and so does hAtom's `abbr.published`.
    let recipe = r#"<script type="application/ld+json">{"@type": "Recipe", "name": "Hafen", "datePublished": "2006-10-10"}</script>"#;
    assert_eq!(published(&page(recipe, "")), day("2006-10-10"));
    let hatom = r#"<abbr class="published" title="2020-04-28T21:11:00+02:00">21:11</abbr>"#;
    assert_eq!(
        published(&page("", hatom)),
        day("2020-04-28T21:11:00+02:00")
    );
}

#[test]
fn authors_in_author_elements_and_yoast_labels() {
    let story = sentences("the author page", 8);
    let paras: String = story.iter().map(|p| format!("<p>{p}</p>")).collect();
    let page = |head: &str, foot: &str| {
        format!(
            "<html><head><title>Hafen</title>{head}</head><body><div class=\"post\"><h1>Hafen</h1>{paras}{foot}</div>\
             <div class=\"comments\"><span class=\"comment-author\">Eva Gast</span><p>Ein Kommentar.</p></div></body></html>"
        )
    };
    let authors = |html: &str| extract(html, None).unwrap().authors;
    assert_eq!(
        authors(&page(
            "",
            "<p class=\"byline__author\">VON <a href=\"/a/mg\">Moritz Gathmann</a> am 21. April 2020</p>"
        )),
        ["Moritz Gathmann"]
    );
    assert_eq!(
        authors(&page(
            "",
            "<p class=\"date-author\">Janic Cathomen und Bo Li, 01.12.2021</p>"
        )),
        ["Janic Cathomen", "Bo Li"]
    );
    assert_eq!(
        authors(&page(
            "<meta name=\"twitter:label1\" content=\"Verfasst von\"><meta name=\"twitter:data1\" content=\"Steven Salentin\">",
            ""
        )),
        ["Steven Salentin"]
    );
    // A JSON-LD graph names the writer once, in a `Person` the article
    // refers to by its `@id`.
    let graph = r##"<script type="application/ld+json">{"@graph": [
        {"@type": "Article", "headline": "Hafen", "author": {"@id": "https://hafen.example/#anna"}},
        {"@type": "Person", "@id": "https://hafen.example/#anna", "name": "Anna Lind"}]}</script>"##;
    assert_eq!(authors(&page(graph, "")), ["Anna Lind"]);
    // Only a commenter is named: the article has no author.
    assert!(authors(&page("", "")).is_empty());
}

#[test]
fn the_address_dates_a_page_that_names_no_date() {
    let page = titled("<title>Harbour board votes for the new quay</title>", "");
    let dated = |url: &str| {
        extract(&page, Some(&Url::parse(url).unwrap()))
            .unwrap()
            .published
    };
    for (url, day) in [
        ("https://blog.example/2019/08/02/the-vote/", "2019-08-02"),
        (
            "https://news.example/local/2012-06/04/content_1.htm",
            "2012-06-04",
        ),
        ("https://news.example/2021-10-20-the-vote", "2021-10-20"),
    ] {
        assert_eq!(dated(url), Some(RawDate::Text(day.to_string())), "{url}");
    }
    // No calendar day, or no date at all.
    assert_eq!(dated("https://blog.example/2019/13/45/the-vote/"), None);
    assert_eq!(dated("https://blog.example/archive/20190802/"), None);
    // What the page says beats the address.
    let page = titled(
        r#"<meta property="article:published_time" content="2019-08-03T10:00:00Z">"#,
        "",
    );
    let a = extract(
        &page,
        Some(&Url::parse("https://blog.example/2019/08/02/x/").unwrap()),
    )
    .unwrap();
    assert_eq!(
        a.published,
        Some(RawDate::Text("2019-08-03T10:00:00Z".to_string()))
    );
}

#[test]
fn a_headline_inside_a_layout_that_holds_the_article_is_read() {
    // The wrapper's class reads like chrome, but it holds the article: it
    // is not chrome, and neither is the headline inside it.
    let paras = paragraphs("the layout", 5);
    let html = format!(
        "<html><head><title>Gazette</title></head><body><div class=\"sidebar-layout\"><article>\
         <h1>Harbour board backs the new quay</h1><p>By Ana Silva</p>{paras}</article></div></body></html>"
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(a.title.as_deref(), Some("Harbour board backs the new quay"));
    assert_eq!(a.authors, vec!["Ana Silva".to_string()]);
}

#[test]
fn a_date_after_a_publication_label_in_an_element_of_its_own() {
    let story = sentences("the fact box", 5);
    let paras: String = story.iter().map(|p| format!("<p>{p}</p>")).collect();
    let page = |facts: &str| {
        format!(
            "<html><head><title>Hafen</title></head><body><div class=\"col\"><h1>Hafen</h1>{paras}\
             <p>The board first met on 5 May 2020 to talk about the harbour.</p>\
             <div class=\"facts\">{facts}</div></div></body></html>"
        )
    };
    let published = |html: &str| extract(html, None).unwrap().published;
    assert_eq!(
        published(&page("<h5>Datum: </h5>03.11.2021")),
        Some(RawDate::Text("2021-11-03".into()))
    );
    assert_eq!(
        published(&page(
            "<span class=\"key\">Erstellt am</span><span class=\"value\"><span>09.02.2022</span></span>"
        )),
        Some(RawDate::Text("2022-02-09".into()))
    );
    assert_eq!(
        published(&page(
            "Letzte Änderung: 31.10.2023 - 14:49<br>Erschienen am: 01.11.2023<br>Lesungen: 61"
        )),
        Some(RawDate::Text("2023-11-01".into()))
    );
    // What the label dates may stand between it and its colon.
    assert_eq!(
        published(&page(
            "<p><em>Stand des Artikels: 26. Februar 2020, 12:30 Uhr.</em></p>"
        )),
        Some(RawDate::Text("2020-02-26".into()))
    );
    // The day of the last change, or a day in a sentence, is no
    // publication date.
    assert_eq!(published(&page("Letzte Änderung: 31.10.2023")), None);
    assert_eq!(
        published(&page(
            "<p>Stand der Dinge ist: am 5. Mai 2020 war alles gut.</p>"
        )),
        None
    );
}

#[test]
fn a_byline_element_named_for_its_tests() {
    let html = titled(
        "<title>Harbour</title>",
        "<h1>Harbour</h1><div data-testid=\"prism-byline\"><span>By</span> <a href=\"/team/ana\">Ana Silva</a></div>",
    );
    assert_eq!(extract(&html, None).unwrap().authors, vec!["Ana Silva"]);
    // Spans that only the style sheet sets apart, a date after the name.
    let html = titled(
        "<title>Harbour</title>",
        "<h1>Harbour</h1><div data-testid=\"prism-byline\"><div><span>By</span><span><a href=\"/team/jr\">J.R. Stone</a></span><span>Thursday, November 9, 2023 7:35AM</span></div></div>",
    );
    assert_eq!(extract(&html, None).unwrap().authors, vec!["J.R. Stone"]);
    let html = titled(
        "<title>Harbour</title>",
        "<h1>Harbour</h1><div class=\"byline\"><a href=\"/autor/ana\">Ana Silva</a><span>, </span><a href=\"/autor/bo\">Bo Li</a><span> y </span><a href=\"/autor/cy\">Cy Rojas</a></div>",
    );
    assert_eq!(
        extract(&html, None).unwrap().authors,
        vec!["Ana Silva", "Bo Li", "Cy Rojas"]
    );
}

#[test]
fn a_time_in_utc_a_day_off_the_day_the_page_shows_gives_way_to_it() {
    let story = sentences("the late meeting", 5);
    let paras: String = story.iter().map(|p| format!("<p>{p}</p>")).collect();
    let page = |declared: &str, shown: &str| {
        format!(
            "<html><head><title>Harbour</title>\
             <meta property=\"article:published_time\" content=\"{declared}\"></head>\
             <body><article><h1>Harbour</h1>{shown}{paras}</article></body></html>"
        )
    };
    let published = |html: &str| extract(html, None).unwrap().published;
    // Late in the evening of 3 May west of Greenwich is 4 May in UTC.
    assert_eq!(
        published(&page("2022-05-04T00:44:52Z", "<p>May 3, 2022</p>")),
        Some(RawDate::Text("2022-05-03".into()))
    );
    assert_eq!(
        published(&page(
            "Wed, 04 May 2022 02:41:00 GMT",
            "<time datetime=\"2022-05-03T22:41:00-04:00\">3 May</time>"
        )),
        Some(RawDate::Text("2022-05-03".into()))
    );
    // A date with its offset, or one the page agrees with, stands.
    assert_eq!(
        published(&page("2022-05-04T00:44:52-03:00", "<p>May 3, 2022</p>")),
        Some(RawDate::Text("2022-05-04T00:44:52-03:00".into()))
    );
    assert_eq!(
        published(&page("2022-05-04T10:00:00Z", "<p>May 4, 2022</p>")),
        Some(RawDate::Text("2022-05-04T10:00:00Z".into()))
    );
}

#[test]
fn the_byline_and_date_in_an_author_box_a_caption_or_a_footer_are_read() {
    let story = sentences("the harbour footer", 5);
    let paras: String = story.iter().map(|p| format!("<p>{p}</p>")).collect();
    let page = |meta: &str| {
        format!(
            "<html><head><title>Harbour</title></head><body><div class=\"post\"><h1>Harbour</h1>{meta}{paras}</div>\
             <div class=\"comments\"><span class=\"comment-author\">Eva Gast</span><time datetime=\"2025-03-03\">3 March</time><p>A comment.</p></div>\
             <div class=\"sidebar\"><span class=\"date\">4. März 2025</span></div></body></html>"
        )
    };
    let read = |meta: &str| {
        let a = extract(&page(meta), None).unwrap();
        (a.authors, a.published)
    };
    let day = |d: &str| Some(RawDate::Text(d.into()));
    // The author's box, cut from the body, names the writer and the day.
    assert_eq!(
        read(
            "<div class=\"author-box\"><span class=\"author\">Ana Silva</span><time datetime=\"2023-11-01\">1 November</time></div>"
        ),
        (vec!["Ana Silva".to_string()], day("2023-11-01"))
    );
    // A caption under the headline, and the footer of the article.
    assert_eq!(
        read("<p class=\"story__caption\">01. November 2021 | Harbour, Coast</p>").1,
        day("2021-11-01")
    );
    assert_eq!(
        read("<div class=\"footer\"><span class=\"news-date\">27.01.2020</span></div>").1,
        day("2020-01-27")
    );
    // Comments and a sidebar date other things: the article has no date.
    assert_eq!(read(""), (Vec::new(), None));
}

#[test]
fn a_heading_that_is_a_fragment_of_the_title_or_chrome_sharing_only_a_small_word_is_no_headline() {
    // A sub-heading the title holds in mid-phrase is no headline.
    let html = titled(
        r#"<meta property="og:title" content="The Harbour Board Project: Better Quays for All">"#,
        "<h2>Harbour Board Project:</h2>",
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(
        a.title.as_deref(),
        Some("The Harbour Board Project: Better Quays for All")
    );
    // A headline the title holds at one end still wins over it.
    let html = titled(
        r#"<meta property="og:title" content="The seven quays the harbour board wants to build">"#,
        "<h1>Seven quays the harbour board wants to build</h1>",
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(
        a.title.as_deref(),
        Some("Seven quays the harbour board wants to build")
    );
    // `and` is no word the two share: the `<h1>` is a box's heading.
    let html = titled(
        "<title>Quays: What They Are and How You Build Them</title>",
        "<h1>Information and Resources</h1>",
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(
        a.title.as_deref(),
        Some("Quays: What They Are and How You Build Them")
    );
}

#[test]
fn the_headline_that_is_the_title_tag_beats_a_declared_description() {
    let html = titled(
        r#"<script type="application/ld+json">{"@type": "Article", "headline": "Harbour list article"}</script><title>List of quays built on the coast - Gazette</title>"#,
        "<h1>List of quays built on the coast</h1>",
    );
    let a = extract(&html, None).unwrap();
    assert_eq!(a.title.as_deref(), Some("List of quays built on the coast"));
}

#[test]
fn author_names_lose_the_credit_around_them() {
    let url = Url::parse("https://www.harbourgazette.example/vote.html").unwrap();
    let authors = |head: &str| {
        let html = titled(
            &format!(
                r#"<meta property="og:site_name" content="Harbour Gazette"><title>Harbour board votes</title>{head}"#
            ),
            "<h1>Harbour board votes</h1>",
        );
        extract(&html, Some(&url)).unwrap().authors
    };
    for (author, want) in [
        ("Ana Silva, Harbour Gazette", vec!["Ana Silva"]),
        ("Harbour Gazette - Ana Silva", vec!["Ana Silva"]),
        ("Ana Silva Harbour Gazette Staff", vec!["Ana Silva"]),
        ("Bo Li Games Editor", vec!["Bo Li"]),
        ("Ana Silva (https://ana.example/)", vec!["Ana Silva"]),
        ("Ana Silva Foto: Bo Li", vec!["Ana Silva"]),
        ("Text und Interview: Ana Silva", vec!["Ana Silva"]),
        ("ana[at]harbourgazette.example", vec![]),
        // A name of three words stays whole.
        ("Mary Ann Silva", vec!["Mary Ann Silva"]),
    ] {
        assert_eq!(
            authors(&format!(r#"<meta name="author" content="{author}">"#)),
            want,
            "{author}"
        );
    }
}

#[test]
fn a_writer_named_by_a_given_name_is_named_in_full_where_the_page_does() {
    let story = sentences("the given name", 5);
    let paras: String = story.iter().map(|p| format!("<p>{p}</p>")).collect();
    let page = |bio: &str| {
        format!(
            "<html><head><title>Harbour</title><meta name=\"author\" content=\"Nils\"></head><body><article><h1>Harbour</h1>{paras}\
             <p>Nils Bergmann from the harbour office said nothing.</p>{bio}</article></body></html>"
        )
    };
    let authors = |html: &str| extract(html, None).unwrap().authors;
    assert_eq!(
        authors(&page(
            "<div class=\"author-box\"><p class=\"author-bio\">Nils Pickert ist freier Autor.</p></div>"
        )),
        ["Nils Pickert"]
    );
    // A name in the text, a label after the name, or a bio in an element
    // of its own after it, completes nothing.
    assert_eq!(authors(&page("")), ["Nils"]);
    assert_eq!(
        authors(&page(
            "<div class=\"author-box\"><h3>Nils</h3><p>Medizinstudent, Vater und Pfleger.</p></div>"
        )),
        ["Nils"]
    );
    assert_eq!(
        authors(&page("<span class=\"author-name\">Nils Autor</span>")),
        ["Nils"]
    );
}

#[test]
fn authors_in_contributor_autor_and_auteur_elements() {
    for foot in [
        "<span class=\"field-contributor\"><a href=\"/p/ana\">Ana Silva</a></span>",
        "<div class=\"autor\">Ana Silva</div>",
        "<span class=\"auteurs\">Ana Silva</span>",
    ] {
        let html = titled(
            "<title>Harbour</title>",
            &format!(
                "<h1>Harbour</h1><div class=\"intro\"><p>A few words before the name, long enough to be no byline at all: the harbour board met on Monday.</p></div>{foot}"
            ),
        );
        assert_eq!(
            extract(&html, None).unwrap().authors,
            ["Ana Silva"],
            "{foot}"
        );
    }
}

#[test]
fn a_writer_named_after_a_label_in_the_article_text() {
    let paras = paragraphs("the labelled writer", 5);
    let authors = |credit: &str| {
        let html = format!(
            "<html><head><title>Harbour</title></head><body><div class=\"col\"><h1>Harbour</h1>{paras}{credit}</div></body></html>"
        );
        extract(&html, None).unwrap().authors
    };
    for credit in [
        "<h5>Datum: </h5>03.11.2021 <br><h5>Autor: </h5>Peter Maahn/SP-X",
        "<p>(wird fortgesetzt)<br><strong>Text:</strong> Peter Maahn</p><p><strong>Fotos: </strong>Helmut Elstrodt</p>",
        "<p><i>von Peter Maahn</i></p>",
        "<span class=\"category\">Posted by Peter Maahn</span>",
    ] {
        assert_eq!(authors(credit), ["Peter Maahn"], "{credit}");
    }
    assert_eq!(
        authors("<p>Redaktion: Ana Silva und Bo Li (Pressestelle)</p>"),
        ["Ana Silva", "Bo Li"]
    );
    // A lead-in word inside a sentence, a list or a title after a label
    // names no writer.
    for credit in [
        "<p>Ein Portrait von <a href=\"/wiki/x\">Gottfried Lindauer</a>, im Museum.</p>",
        "<p>Musik<br>von Künstlern, Bands, DJs,<br>die bei uns spielen</p>",
        "<h6>Text: Mein Motto Konsumsparen: Fazit @site</h6>",
    ] {
        assert!(authors(credit).is_empty(), "{credit}");
    }
}

#[test]
fn dates_with_a_weekday_abbreviated_written_day_first_or_set_off_by_slashes() {
    let story = sentences("the slashed date", 5);
    let paras: String = story.iter().map(|p| format!("<p>{p}</p>")).collect();
    let page = |head: &str, line: &str| {
        format!(
            "<html><head><title>Hafen</title>{head}</head><body><article><h1>Hafen</h1>{line}{paras}</article></body></html>"
        )
    };
    let published = |html: &str| extract(html, None).unwrap().published;
    let day = |d: &str| Some(RawDate::Text(d.into()));
    assert_eq!(
        published(&page(
            "",
            "<time datetime=\"Di., 25.01.2022 - 14:45\">Di., 25.01.2022</time>"
        )),
        day("2022-01-25")
    );
    assert_eq!(
        published(&page(
            "<meta property=\"article:published_time\" content=\"17/02/2022\">",
            ""
        )),
        day("2022-02-17")
    );
    // A day that may be the month stays as written.
    assert_eq!(
        published(&page(
            "<meta property=\"article:published_time\" content=\"11/01/2023\">",
            ""
        )),
        day("11/01/2023")
    );
    assert_eq!(
        published(&page(
            "",
            "<div class=\"meta\"><a href=\"/a/ana\">Ana Silva</a> / 22.04.2020 / 06:15 / <a href=\"#c\">Kommentare</a></div>"
        )),
        day("2020-04-22")
    );
}

#[test]
fn a_date_before_the_headline_in_a_dateline_or_opening_the_title() {
    let story = sentences("the dateline", 5);
    let paras: String = story.iter().map(|p| format!("<p>{p}</p>")).collect();
    let page = |title: &str, before: &str, first: &str| {
        format!(
            "<html><head><title>{title}</title></head><body><article><div class=\"intro\">{before}<h1>Hafen</h1></div>\
             <p>Ein kurzer Vorspann über den Hafen und die Fischer, die sich am Donnerstag zur Abstimmung trafen.</p>\
             {first}{paras}</article></body></html>"
        )
    };
    let published = |html: &str| extract(html, None).unwrap().published;
    let day = |d: &str| Some(RawDate::Text(d.into()));
    // A line before the headline; an abbreviated month.
    assert_eq!(
        published(&page("Hafen", "<h3>02.01.2022</h3>", "")),
        day("2022-01-02")
    );
    assert_eq!(
        published(&page("Hafen", "<small>28. Jan. 2022 2. Liga</small>", "")),
        day("2022-01-28")
    );
    // A dateline opening one of the article's first paragraphs.
    assert_eq!(
        published(&page(
            "Hafen",
            "",
            "<p>29.11.2022 – Mehrfach und vehement hatte der Hafen die Pläne des Landes kritisiert, doch es half nichts.</p>"
        )),
        day("2022-11-29")
    );
    // A date opening the title, with nothing else to go by.
    assert_eq!(
        published(&page("23.01.2022 - Hafen", "", "")),
        day("2022-01-23")
    );
    // A date line under the headline beside a few other words, and one
    // after a weekday without a comma.
    for line in [
        "<div class=\"date\">25. Januar 2022 (DJV) Berlin</div>",
        "<p class=\"date\">Erstellt von Ana am Dienstag 25. Januar 2022</p>",
        "<p>Veröffentlichung: 25.01.2022</p>",
    ] {
        let html = titled("<title>Hafen</title>", &format!("<h1>Hafen</h1>{line}"));
        assert_eq!(published(&html), day("2022-01-25"), "{line}");
    }
    // A name of a month in a byline is still a name.
    assert_eq!(meta::clean_author("Jan").as_deref(), Some("Jan"));
    assert_eq!(published(&page("Hafen", "", "")), None);
}

#[test]
fn a_writer_beats_an_organization_named_as_author_and_initials_name_no_one() {
    let head = |author: &str| {
        format!(
            r#"<meta name="author" content="{author}"><title>Harbour board votes for the new quay</title>"#
        )
    };
    let with_writer = |author: &str| {
        titled(
            &head(author),
            r#"<h1>Harbour board votes for the new quay</h1><a rel="author" href="/mara">Mara Lindqvist</a>"#,
        )
    };
    for org in [
        "Harbour Trust e.V.",
        "Coastal Media GmbH",
        "QuayNews.de",
        "Redaktion Hafen",
    ] {
        let a = extract(&with_writer(org), None).unwrap();
        assert_eq!(a.authors, ["Mara Lindqvist"], "{org}");
    }
    // With no writer named, the organization is all there is.
    let alone = titled(
        &head("Harbour Trust e.V."),
        "<h1>Harbour board votes for the new quay</h1>",
    );
    assert_eq!(
        extract(&alone, None).unwrap().authors,
        ["Harbour Trust e.V."]
    );
    assert_eq!(meta::clean_author("I."), None);
    assert_eq!(
        meta::clean_author("J. R. Stone").as_deref(),
        Some("J. R. Stone")
    );
}

#[test]
fn a_user_name_in_hcard_or_forum_markup_names_the_writer_but_a_commenter_does_not() {
    let comments = "<section class=\"comments\"><article class=\"comment\"><p class=\"submitted\"><span class=\"username\">Gerhard Baier</span></p><p>A comment on the harbour, of some length too.</p></article></section>";
    for (by, name) in [
        (
            "<span class=\"author vcard\"><a class=\"url fn n\" href=\"/u/marc\">marc</a></span>",
            "marc",
        ),
        (
            "<div class=\"submitted\">Posted by <span class=\"username\">rasos</span></div>",
            "rasos",
        ),
        (
            "<span class=\"post-author vcard\">Posted by <span class=\"fn\">delta201</span></span>",
            "delta201",
        ),
    ] {
        let html = titled(
            "<title>Harbour</title>",
            &format!(
                "<h1>Harbour</h1>{by}<div class=\"intro\"><p>A few words before the end, long enough to be no byline at all: the harbour board met on Monday.</p></div>{comments}"
            ),
        );
        assert_eq!(extract(&html, None).unwrap().authors, [name], "{by}");
    }
    // Only a commenter's name: the page names no writer.
    let html = titled(
        "<title>Harbour</title>",
        &format!(
            "<h1>Harbour</h1><div class=\"intro\"><p>A few words before the end, long enough to be no byline at all: the harbour board met on Monday.</p></div>{comments}"
        ),
    );
    assert!(extract(&html, None).unwrap().authors.is_empty());
}

#[test]
fn a_recipe_and_a_forum_post_name_their_title_and_writer_in_json_ld() {
    for (kind, headline) in [("Recipe", "name"), ("DiscussionForumPosting", "headline")] {
        let head = format!(
            "<title>Harbour Cake by jesusfreak | Cakes</title>\
             <meta property=\"og:title\" content=\"Harbour Cake by jesusfreak | Cakes\">\
             <script type=\"application/ld+json\">{{\"@type\": \"{kind}\", \"{headline}\": \"Harbour Cake\",\
             \"author\": {{\"@type\": \"Person\", \"name\": \"jesusfreak\"}}, \"datePublished\": \"2021-03-04\"}}</script>"
        );
        let found = extract(&titled(&head, "<h1>Prefix Harbour Cake</h1>"), None).unwrap();
        assert_eq!(found.title.as_deref(), Some("Harbour Cake"), "{kind}");
        assert_eq!(found.authors, ["jesusfreak"], "{kind}");
        assert_eq!(
            found.published,
            Some(RawDate::Text("2021-03-04".into())),
            "{kind}"
        );
    }
}

#[test]
fn a_blogger_post_in_a_widget_is_dated_by_its_hatom_entry() {
    let text = sentences("the blog post", 3).join("<br><br>");
    let html = format!(
        "<html><head><title>Tach auch!</title></head><body>\
         <div class=\"widget Blog\" id=\"Blog1\"><div class=\"post hentry\">\
         <h3 class=\"post-title entry-title\">Tach auch!</h3>\
         <div class=\"post-body entry-content\">{text}</div>\
         <div class=\"post-footer\"><span class=\"post-timestamp\">at <a class=\"timestamp-link\">\
         <abbr class=\"published\" title=\"2020-04-28T21:11:00+02:00\">21:11</abbr></a></span></div>\
         </div></div></body></html>"
    );
    assert_eq!(
        extract(&html, None).unwrap().published,
        Some(RawDate::Text("2020-04-28T21:11:00+02:00".into()))
    );
}

#[test]
fn a_date_in_an_element_named_for_its_time_the_post_meta_or_the_author() {
    let paras = paragraphs("the dated post", 6);
    for (stamp, day) in [
        (
            "<span class=\"newsitem-time\">21.11.2022</span>",
            "2022-11-21",
        ),
        (
            "<div class=\"post-meta\">8. Dezember 2010</div>",
            "2010-12-08",
        ),
        (
            "<span data-testid=\"article-details-date\">3.11.2023</span>",
            "2023-11-03",
        ),
        (
            "<div class=\"left author\">Author: <a href=\"/u/58\">Bo2man</a> am 29.12.2010, 13:36 Uhr</div>",
            "2010-12-29",
        ),
    ] {
        let html = format!(
            "<html><head><title>Harbour</title></head><body><article><h1>Harbour</h1>{paras}{stamp}</article></body></html>"
        );
        assert_eq!(
            extract(&html, None).unwrap().published,
            Some(RawDate::Text(day.into())),
            "{stamp}"
        );
    }
}

#[test]
fn a_date_stamp_before_the_headline_is_no_part_of_it() {
    let html = titled(
        "<title>23.01.2022 - Wierer wins the last race - Biathlon</title>",
        "<h1>23.01.2022 - Wierer wins the last race</h1>",
    );
    let found = extract(&html, None).unwrap();
    assert_eq!(found.title.as_deref(), Some("Wierer wins the last race"));
    assert_eq!(found.published, Some(RawDate::Text("2022-01-23".into())));
    // A headline that is a date and one word keeps its date.
    let html = titled(
        "<title>23.01.2022 - Results</title>",
        "<h1>23.01.2022 - Results</h1>",
    );
    assert_eq!(
        extract(&html, None).unwrap().title.as_deref(),
        Some("23.01.2022 - Results")
    );
}

#[test]
fn a_site_name_after_a_spaced_colon_is_cut_and_a_french_colon_kept() {
    let html = titled(
        "<title>Réforme des retraites : le vote reporté : Le Journal | Depuis 1944</title>\
         <meta property=\"og:site_name\" content=\"Le Journal\">",
        "<div class=\"intro\">Le vote</div>",
    );
    assert_eq!(
        extract(&html, None).unwrap().title.as_deref(),
        Some("Réforme des retraites : le vote reporté")
    );
}

#[test]
fn a_label_opening_the_headline_element_is_a_kicker_and_a_subtitle_after_it_is_not() {
    for heading in [
        "<h1><span class=\"subtitle\">Olympia in Paris</span> Drinks by boat to the centre</h1>",
        "<h1><div class=\"topic-label\">100th birthday</div> Drinks by boat to the centre</h1>",
        "<h1><span class=\"Head_titleheader__MS\">Olympia</span><span aria-hidden=\"true\"> – </span><span>Drinks by boat to the centre</span></h1>",
    ] {
        let html = titled("<title>Drinks by boat to the centre</title>", heading);
        assert_eq!(
            extract(&html, None).unwrap().title.as_deref(),
            Some("Drinks by boat to the centre"),
            "{heading}"
        );
    }
    // After the headline's words, or with a word or none after it, the
    // label stays.
    for (heading, title) in [
        (
            "<h1>Drinks by boat <span class=\"subtitle\">to the centre</span></h1>",
            "Drinks by boat to the centre",
        ),
        (
            "<h1><span class=\"label\">Drinks by boat</span> today</h1>",
            "Drinks by boat today",
        ),
    ] {
        let html = titled("<title>Harbour news</title>", heading);
        assert_eq!(
            extract(&html, None).unwrap().title.as_deref(),
            Some(title),
            "{heading}"
        );
    }
}
