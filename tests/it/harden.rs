//! Hardening against hostile publishers, clients and careless operators,
//! through the real binary on loopback: where a source's credentials may go,
//! what slow or idle HTTP/2 clients may hold, how much work one item may
//! cost, and what reaches readers and terminals. Tests of the address
//! policy run the binary inside a network namespace of its own (`unshare
//! -n`) with only loopback up, so no probe can leave the machine.

use crate::common::{Origin, Reply, tidings};
use std::path::{Path, PathBuf};

/// A config with `fetch` settings and `sources` (TOML of `[[source]]`
/// tables), with a merged feed of everything.
fn config(dir: &Path, fetch: &str, sources: &str) -> PathBuf {
    let text = format!(
        "[store]\nstate_dir = \"{}\"\n[fetch]\nallow_private = true\ntimeout = \"10s\"\n{fetch}\n{sources}\n[[feed]]\nid = \"all\"\nsources = [\"*\"]\nlimit = 500\n",
        dir.join("state").display()
    );
    let path = dir.join("tidings.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn rss(items: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>https://t.example/</link><description>d</description>",
    );
    for (guid, link) in items {
        s.push_str(&format!(
            "<item><title>Item {guid}</title><guid>{guid}</guid><link>{link}</link><pubDate>Fri, 06 Mar 2026 09:00:00 GMT</pubDate><description>teaser</description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

const ARTICLE: &str = "<html><head><title>A</title></head><body><article><h1>A</h1><p>The whole article body, long enough to be taken as the article by extraction, with several sentences of text. It goes on for a while so that it reads like prose.</p><p>A second paragraph with more words in it.</p></article></body></html>";

/// Finding 1: a source's headers (cookies, tokens) go to its own origin
/// only: not to the host a redirect names, nor to article pages on other
/// hosts; they still go to article pages on its own origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_go_only_to_the_sources_own_origin() {
    let own = Origin::start().await;
    let other = Origin::start().await;
    own.script("feed", vec![Reply::Redirect(302, own.url("moved"))]);
    own.script("moved", vec![Reply::Redirect(302, other.url("feed"))]);
    other.put(
        "feed",
        "application/rss+xml",
        rss(&[("a", &own.url("article")), ("b", &other.url("article"))]),
    );
    own.put("article", "text/html", ARTICLE);
    other.put("article", "text/html", ARTICLE);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "",
        &format!(
            "[[source]]\nid = \"s\"\nkind = \"feed\"\nurl = \"{}\"\nfull_text = true\nheaders = {{ \"Cookie\" = \"session=secret\", \"Authorization\" = \"Bearer tok\", \"X-Api-Key\" = \"k\" }}\n",
            own.url("feed")
        ),
    );
    let (code, out, err) = tidings(&["fetch", "-c", &cfg.display().to_string()]);
    assert_eq!(code, 0, "{out}{err}");
    let has_secrets = |seen: &crate::common::Seen| {
        ["cookie", "authorization", "x-api-key"]
            .iter()
            .filter(|h| seen.headers.contains_key(**h))
            .count()
    };
    for path in ["/feed", "/moved", "/article"] {
        let seen = own.requests_to(path);
        assert!(!seen.is_empty(), "own {path} not fetched");
        assert!(
            seen.iter().all(|s| has_secrets(s) == 3),
            "own origin {path} lacked the source's headers: {seen:?}"
        );
    }
    for path in ["/feed", "/article"] {
        let seen = other.requests_to(path);
        assert!(!seen.is_empty(), "other {path} not fetched");
        assert!(
            seen.iter().all(|s| has_secrets(s) == 0),
            "the source's headers went to another origin at {path}: {:?}",
            seen.iter().map(|s| &s.headers).collect::<Vec<_>>()
        );
    }
}
