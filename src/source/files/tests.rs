//! Reading folders and article files.

use super::markdown::date_line;
use super::*;
use crate::model::RawDate;

fn parse_markdown(rel_path: &str, text: &str) -> Result<RawItem, FilesError> {
    markdown_item(Path::new(rel_path), text)
}

const SEED: &str = "\n\n# Putin confirms expulsion of US diplomats from Russia\n\n\
    **Nick Beams**  \n31 July 2017\n\n\
    In a major escalation of tensions between the world's two largest nuclear powers, \
    Russian President Vladimir Putin confirmed Sunday that 755 US diplomats and \
    contractors would be expelled.\n\n\
    The Russian measures were taken in response to new sanctions.\n\n\
    As the *World Socialist Web Site* noted on Saturday, the conflict is deepening.\n";

fn text(date: &Option<RawDate>) -> Option<&str> {
    match date {
        Some(RawDate::Text(t)) => Some(t),
        _ => None,
    }
}

#[test]
fn plain_article_shape() {
    let item = parse_markdown("2017/putin.md", SEED).expect("parses");
    assert_eq!(item.guid, None);
    assert_eq!(item.link, None);
    assert_eq!(
        item.title.as_deref(),
        Some("Putin confirms expulsion of US diplomats from Russia")
    );
    assert_eq!(item.authors, ["Nick Beams"]);
    assert_eq!(text(&item.published), Some("31 July 2017"));
    let body = item.content_html.expect("body");
    assert!(body.starts_with("<p>In a major escalation"), "{body}");
    assert!(body.contains("<p>The Russian measures"), "{body}");
    assert!(body.contains("<em>World Socialist Web Site</em>"), "{body}");
    for gone in [
        "<h1>",
        "Putin confirms expulsion",
        "Nick Beams",
        "31 July 2017",
    ] {
        assert!(!body.contains(gone), "{gone} in {body}");
    }
}

#[test]
fn byline_with_backslash_break_and_other_date_forms() {
    let item = parse_markdown(
        "a.md",
        "# Title\n\n**Jane Roe**\\\r\nJuly 31, 2017\r\n\r\nBody.\r\n",
    )
    .expect("parses");
    assert_eq!(item.authors, ["Jane Roe"]);
    assert_eq!(text(&item.published), Some("July 31, 2017"));
    assert_eq!(item.content_html.as_deref(), Some("<p>Body.</p>\n"));

    let item = parse_markdown("b.md", "# Title\n\n**Jane Roe**\n\n*2017-07-31*\n\nBody.\n")
        .expect("parses");
    assert_eq!(text(&item.published), Some("2017-07-31"));
    assert_eq!(item.content_html.as_deref(), Some("<p>Body.</p>\n"));
}

#[test]
fn plain_article_without_byline_or_date() {
    let md = "Kicker line.\n\n# A *bold* move\n\nJuly 2017 was hot, said **everyone**.\n\n```sh\n# not a title\n```\n";
    let item = parse_markdown("c.md", md).expect("parses");
    assert_eq!(item.title.as_deref(), Some("A <em>bold</em> move"));
    assert!(item.authors.is_empty());
    assert_eq!(item.published, None);
    let body = item.content_html.expect("body");
    assert!(
        body.starts_with("<p>Kicker line.</p>\n<p>July 2017 was hot"),
        "{body}"
    );
    assert!(body.contains("# not a title"), "{body}");

    let item = parse_markdown("d.md", "Just text, no heading.\n").expect("parses");
    assert_eq!(item.title, None);
    assert_eq!(
        item.content_html.as_deref(),
        Some("<p>Just text, no heading.</p>\n")
    );
}

#[test]
fn date_lines() {
    for date in [
        "31 July 2017",
        "Monday, 31 Jul. 2017",
        "31st July 2017 at 10:30 BST",
        "2017-07-31T10:00:00+02:00",
        "31/07/2017",
    ] {
        assert_eq!(date_line(date), Some(date), "{date}");
    }
    for not_date in [
        "2017",
        "July",
        "In July 2017 the city grew",
        "Nick Beams",
        "10:30",
    ] {
        assert_eq!(date_line(not_date), None, "{not_date}");
    }
}

#[test]
fn yaml_front_matter() {
    let md = "\n---\ntitle: Bridge reopens\nauthor:\n  - Ana Silva\n  - Tom Berg\ndate: 2026-03-12\n\
        link: https://example.org/bridge\ntags: [city, transport]\nsummary: The *old* bridge is back.\n\
        layout: post\n---\n\n# Bridge reopens\n\nTraffic resumed ~~today~~ on Monday.\n";
    let item = parse_markdown("bridge.md", md).expect("parses");
    assert_eq!(item.guid.as_deref(), Some("https://example.org/bridge"));
    assert_eq!(item.link.as_deref(), Some("https://example.org/bridge"));
    assert_eq!(item.title.as_deref(), Some("Bridge reopens"));
    assert_eq!(item.authors, ["Ana Silva", "Tom Berg"]);
    assert_eq!(text(&item.published), Some("2026-03-12"));
    assert_eq!(item.categories, ["city", "transport"]);
    assert_eq!(
        item.summary_html.as_deref(),
        Some("<p>The <em>old</em> bridge is back.</p>\n")
    );
    assert_eq!(
        item.content_html.as_deref(),
        Some("<p>Traffic resumed <del>today</del> on Monday.</p>\n")
    );

    // A heading that differs from the title stays in the body.
    let item =
        parse_markdown("e.md", "---\ntitle: One\nauthor: Solo\n---\n# Two\n").expect("parses");
    assert_eq!(item.authors, ["Solo"]);
    assert_eq!(item.content_html.as_deref(), Some("<h1>Two</h1>\n"));
}

#[test]
fn toml_front_matter_with_datetime() {
    let md = "+++\ndate = 2026-03-12T09:30:00+01:00\ntags = \"science\"\nextra = { a = 1 }\n+++\n\
        # Ice *cores*\n\nA table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nNote.[^1]\n\n[^1]: Footnote.\n";
    let item = parse_markdown("ice.md", md).expect("parses");
    assert_eq!(item.guid, None);
    assert_eq!(item.title.as_deref(), Some("Ice <em>cores</em>"));
    assert_eq!(text(&item.published), Some("2026-03-12T09:30:00+01:00"));
    assert_eq!(item.categories, ["science"]);
    let body = item.content_html.expect("body");
    assert!(body.starts_with("<p>A table:</p>\n<table>"), "{body}");
    assert!(body.contains("footnote-definition"), "{body}");
}

#[test]
fn bad_front_matter_names_file_and_line() {
    let md = "---\ntitle: Fine\nauthor: [unclosed\ndate: x\n---\nBody\n";
    let err = parse_markdown("news/bad.md", md).expect_err("bad YAML");
    let FilesError::FrontMatter { line, .. } = &err else {
        panic!("{err:?}");
    };
    assert!((3..=5).contains(line), "{err}");
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("news/bad.md:{line}: bad front matter: ")),
        "{shown}"
    );
    assert!(!shown.contains(" at line "), "{shown}");

    let err =
        parse_markdown("t.md", "\n+++\ntitle = \"ok\"\nauthor = 3\n+++\n").expect_err("bad type");
    assert!(
        err.to_string().starts_with("t.md:4: bad front matter: "),
        "{err}"
    );

    let err = parse_markdown("u.md", "---\ntitle: never closed\n").expect_err("unclosed");
    assert!(err.to_string().starts_with("u.md:1: "), "{err}");

    let item = parse_markdown("v.md", "---\n# only a comment\n---\n# Title\n").expect("empty YAML");
    assert_eq!(item.title.as_deref(), Some("Title"));
}

#[test]
fn read_dir_reports_bad_files_and_skips_hidden_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    fs::create_dir_all(root.join("sub")).expect("mkdir");
    fs::create_dir_all(root.join(".git")).expect("mkdir");
    let write = |name: &str, text: &str| fs::write(root.join(name), text).expect("write");
    write("b.md", SEED);
    write("sub/a.HTML", "<html><body><p>Hi</p></body></html>");
    write("bad.md", "---\ntitle: [\n---\n");
    write(".draft.md", "# Hidden\n");
    write(".git/c.md", "# Hidden too\n");
    write("notes.txt", "# Not an article\n");

    let (items, errors) = read_dir(root, false).expect("readable");
    let paths: Vec<_> = items.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["b.md", "sub/a.HTML"]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        matches!(&errors[0], FilesError::FrontMatter { path, .. } if *path == root.join("bad.md"))
    );

    let missing = read_dir(&root.join("missing"), false).expect_err("no such dir");
    assert!(
        missing.to_string().starts_with("cannot read directory "),
        "{missing}"
    );
}

#[test]
fn only_regular_files_in_the_folder_under_the_cap_are_read() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().expect("temp dir");
    fs::write(outside.path().join("secret.md"), "# Secret\n").expect("write");
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    fs::write(root.join("ok.md"), b"# Caf\xe9 ok\n").expect("write");
    symlink(outside.path().join("secret.md"), root.join("leak.md")).expect("link");
    symlink("/dev/zero", root.join("zero.md")).expect("link");
    let fifo = root.join("fifo.md");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    let big = fs::File::create(root.join("sparse.md")).expect("create");
    big.set_len(MAX_FILE + 1).expect("sparse");

    let (items, errors) = read_dir(root, false).expect("readable");
    let paths: Vec<_> = items.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["ok.md"]);
    assert_eq!(items[0].1.title.as_deref(), Some("Caf\u{fffd} ok"));
    let why: Vec<String> = errors.iter().map(ToString::to_string).collect();
    // The FIFO itself is not even listed: only files and links are.
    assert_eq!(why.len(), 3, "{why:?}");
    assert!(
        why.iter()
            .any(|e| e.contains("leak.md") && e.contains("follow_links")),
        "{why:?}"
    );
    assert!(
        why.iter()
            .any(|e| e.contains("zero.md") && e.contains("not a regular file")),
        "{why:?}"
    );
    assert!(
        why.iter()
            .any(|e| e.contains("sparse.md") && e.contains("larger than")),
        "{why:?}"
    );

    let (items, _) = read_dir(root, true).expect("readable");
    assert!(items.iter().any(|(p, _)| p == "leak.md"));
    assert!(read_one(root, "ok.md", false).is_some());
    for bad in [
        "../ok.md",
        "leak.md",
        "fifo.md",
        ".hidden.md",
        "ok.txt",
        "/etc/passwd",
        "a//b.md",
    ] {
        assert!(read_one(root, bad, false).is_none(), "{bad}");
    }
}

#[test]
fn html_article() {
    let html = "\u{feff}<!DOCTYPE html>\n<html><head>\n<title> Tom &amp; Jerry </title>\n\
        <meta name=\"Author\" content=\"Ann O&#39;Neil\">\n\
        <meta property=\"article:published_time\" content=\"2026-05-01T08:00:00Z\">\n\
        <link rel=\"alternate canonical\" href=\"https://example.org/a?x=1&amp;y=2\">\n\
        <script>if (a < b) { document.write('<article>') }</script>\n\
        </head><body><nav>menu</nav><!-- <article>old</article> -->\n\
        <article class=\"post\"><h1>Tom</h1><article>inner</article><p data-x=\"a>b\">Text</p></article>\n\
        </body></html>";
    let item = parse_html(html);
    assert_eq!(item.title.as_deref(), Some("Tom &amp; Jerry"));
    assert_eq!(item.authors, ["Ann O'Neil"]);
    assert_eq!(text(&item.published), Some("2026-05-01T08:00:00Z"));
    assert_eq!(item.link.as_deref(), Some("https://example.org/a?x=1&y=2"));
    assert_eq!(item.guid, item.link);
    assert_eq!(
        item.content_html.as_deref(),
        Some("<h1>Tom</h1><article>inner</article><p data-x=\"a&gt;b\">Text</p>")
    );

    let item = parse_html("<h1>Only <b>heading</b></h1><time datetime='2026-01-02'>2 Jan</time>");
    assert_eq!(item.guid, None);
    assert_eq!(item.title.as_deref(), Some("Only <b>heading</b>"));
    assert_eq!(text(&item.published), Some("2026-01-02"));
    assert!(item.content_html.is_some_and(|c| c.starts_with("<h1>")));
}
