//! `tidings extract` on pages built to break it: deep nesting, unclosed
//! tags, an attribute bomb, a page past the size bound, UTF-16, Shift_JIS,
//! a charset named late or wrongly, bytes that are not text, HTML cut off
//! mid-tag. Each runs the real binary under an address-space limit
//! (`prlimit --as`) and a timeout, and must print the article as JSON; a
//! page without an article exits 1 saying why.

use crate::common::tidings_under;
use serde_json::Value;

const SENTENCE: &str =
    "The council met on Thursday to discuss the harbour, and the mayor said the work would go on.";

fn paragraph() -> String {
    format!("<p>{}</p>", [SENTENCE; 4].join(" "))
}

/// Runs `tidings extract FILE` on `page` under 2 GiB of address space and
/// two minutes; returns (exit code, stdout, stderr).
fn extract(name: &str, page: &[u8]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, page).unwrap();
    tidings_under(
        &["prlimit", "--as=2147483648", "timeout", "120"],
        &["extract", path.to_str().unwrap()],
    )
}

/// The page gives JSON whose body holds the article's sentence.
fn holds_article(name: &str, page: &[u8]) -> Value {
    let (code, out, err) = extract(name, page);
    assert_eq!(code, 0, "{name}: exit {code}: {err}");
    let found: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{name}: {e}: {out}"));
    let text = found["body_text"].as_str().unwrap();
    assert!(
        text.contains(SENTENCE),
        "{name}: body lacks the article: {}",
        &text[..text.len().min(300)]
    );
    found
}

#[test]
fn nested_and_bloated_pages_give_the_article() {
    let article = paragraph().repeat(3);
    let deep = format!(
        "<html><body>{}{article}{}</body></html>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    holds_article("deep.html", deep.as_bytes());
    let unclosed = format!("<html><body>{}{article}", "<div><span><b>".repeat(50_000));
    holds_article("unclosed.html", unclosed.as_bytes());
    let attrs: String = (0..50_000).map(|i| format!(" data-a{i}=\"x\"")).collect();
    let bomb = format!("<html><body><article{attrs}>{article}</article></body></html>");
    holds_article("attributes.html", bomb.as_bytes());
    // Past the 8 MiB bound: the article at the top is read, the rest is not.
    let long = format!(
        "<html><head><title>Long</title></head><body><article><h1>A long page</h1>{article}</article>{}</body></html>",
        "<div><a href=\"/more\">more</a></div>".repeat(300_000)
    );
    holds_article("long.html", long.as_bytes());
}

#[test]
fn odd_encodings_and_broken_bytes_give_the_article() {
    let article = paragraph().repeat(3);
    let mut utf16 = vec![0xFF, 0xFE];
    let page = format!(
        "<html><head><title>Été</title></head><body><article><h1>Été à Paris</h1>{article}</article></body></html>"
    );
    utf16.extend(page.encode_utf16().flat_map(u16::to_le_bytes));
    let found = holds_article("utf16.html", &utf16);
    assert_eq!(found["title"], "Été à Paris");

    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("東京都は木曜日に新しい計画を発表しました。");
    let mut page =
        b"<html><head><meta charset=\"shift_jis\"><title>t</title></head><body><article><h1>"
            .to_vec();
    page.extend_from_slice(&sjis);
    page.extend_from_slice(b"</h1>");
    page.extend_from_slice(article.as_bytes());
    page.extend_from_slice(b"</article></body></html>");
    let found = holds_article("sjis.html", &page);
    assert_eq!(found["title"], "東京都は木曜日に新しい計画を発表しました。");

    // An archive's banner (scripts, one with its own charset) pushes the
    // page's `<meta>` past the first 1024 bytes.
    let (gb, _, _) = encoding_rs::GB18030.encode("话剧巡演结束");
    let mut page = format!(
        "<html><head><script src=\"/b.js\" charset=\"utf-8\"></script><script>{}</script>\
         <meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"/><title>",
        "var x = 1;".repeat(200)
    )
    .into_bytes();
    page.extend_from_slice(&gb);
    page.extend_from_slice(b"</title></head><body><article><h1>");
    page.extend_from_slice(&gb);
    page.extend_from_slice(b"</h1>");
    page.extend_from_slice(article.as_bytes());
    page.extend_from_slice(b"</article></body></html>");
    assert_eq!(
        holds_article("late-meta.html", &page)["title"],
        "话剧巡演结束"
    );
    // Converted to UTF-8, the page kept its old label.
    let stale = format!(
        "<html><head><meta charset=\"gb2312\"><title>话剧巡演结束</title></head>\
         <body><article><h1>话剧巡演结束</h1>{article}</article></body></html>"
    );
    assert_eq!(
        holds_article("stale.html", stale.as_bytes())["title"],
        "话剧巡演结束"
    );

    let mut garbage: Vec<u8> = b"<html><body><p>".to_vec();
    garbage.extend((0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    garbage.extend_from_slice(b"</p>\0");
    garbage.extend_from_slice(article.as_bytes());
    holds_article("garbage.html", &garbage);

    let cut = format!(
        "<html><body><article><h1>Cut off</h1>{article}<div <p <<>>&&&#99999999;<table><tr><td>{article}<script>never closed"
    );
    holds_article("cut.html", cut.as_bytes());
}

#[test]
fn a_page_without_an_article_exits_1_saying_why() {
    let page =
        "<html><body><nav><a href=\"/\">Home</a> <a href=\"/about\">About</a></nav></body></html>";
    let (code, out, err) = extract("menu.html", page.as_bytes());
    assert_eq!(code, 1, "{out}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("no article"), "{err}");
}
