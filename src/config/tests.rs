//! The validator's behaviour on whole config texts.

use super::*;

fn errors(text: &str) -> Vec<String> {
    Config::parse("t.toml", text)
        .unwrap_err()
        .0
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn defaults_fill_a_minimal_config() {
    let c = Config::parse(
        "/etc/t/t.toml",
        "[[source]]\nid = \"n\"\nkind = \"files\"\npath = \"a\"\n",
    )
    .unwrap();
    assert_eq!(c.server.listen, "127.0.0.1:8080");
    assert_eq!(c.server.base_url, "http://127.0.0.1:8080");
    assert_eq!(c.fetch.timeout, Duration::from_secs(30));
    assert_eq!(c.fetch.max_body, 10 << 20);
    // Relative to the config file's folder, as `files` paths are.
    assert_eq!(c.store.state_dir, Path::new("/etc/t/data"));
    assert_eq!(c.sources[0].schedule.to_string(), "*/15 * * * *");
    assert_eq!(
        c.sources[0].kind,
        SourceKind::Files {
            path: "/etc/t/a".into(),
            follow_links: false,
        }
    );
    assert!(c.fetch.user_agent.starts_with("tidings/"));
}

#[test]
fn sources_with_one_schedule_share_its_parse() {
    let source = |id: &str, schedule: &str| {
        format!(
            "[[source]]\nid = \"{id}\"\nkind = \"files\"\npath = \"a\"\nschedule = \"{schedule}\"\n"
        )
    };
    let text = [
        source("a", "7/15 * * * *"),
        source("b", "7/15 * * * *"),
        source("c", "8/15 * * * *"),
        "[[source]]\nid = \"d\"\nkind = \"files\"\npath = \"a\"\n".to_string(),
        "[[source]]\nid = \"e\"\nkind = \"files\"\npath = \"a\"\n".to_string(),
    ]
    .concat();
    let c = Config::parse("t.toml", &text).unwrap();
    let s: Vec<&Schedule> = c.sources.iter().map(|s| &s.schedule).collect();
    assert!(s[0].shares_parse_with(s[1]));
    assert!(!s[0].shares_parse_with(s[2]));
    assert_eq!(s[2].to_string(), "8/15 * * * *");
    assert!(s[3].shares_parse_with(s[4]));
}

#[test]
fn every_error_is_reported_with_its_place() {
    let text = r#"[server]
listen = "nowhere"

[fetch]
schedule = "* * *"
timeout = "soon"

[[source]]
id = "Bad Id"
kind = "feed"
url = "ftp://x"

[[source]]
id = "ok"
kind = "feed"
url = "https://example.org/feed"
colour = "red"

[[feed]]
id = "all"
sources = ["ok", "missing"]
include = ["("]
"#;
    let e = errors(text);
    assert_eq!(e.len(), 8, "{e:#?}");
    assert!(e[0].starts_with("t.toml:2:10: server.listen: "), "{}", e[0]);
    assert!(
        e[1].starts_with("t.toml:5:12: fetch.schedule: "),
        "{}",
        e[1]
    );
    assert!(e[2].starts_with("t.toml:6:11: fetch.timeout: "), "{}", e[2]);
    assert!(e[3].starts_with("t.toml:9:6: source[0].id: "), "{}", e[3]);
    assert!(e[4].starts_with("t.toml:11:7: source[0].url: "), "{}", e[4]);
    assert!(
        e[5].starts_with("t.toml:17:1: source[1].colour: unknown field"),
        "{}",
        e[5]
    );
    assert!(
        e[6].starts_with("t.toml:21:18: feed[0].sources: no source has the id \"missing\""),
        "{}",
        e[6]
    );
    assert!(
        e[7].starts_with("t.toml:22:12: feed[0].include: invalid regex"),
        "{}",
        e[7]
    );
}

#[test]
fn unknown_section_and_syntax_errors() {
    let e = errors("[srever]\nlisten = \"x\"\n");
    assert_eq!(
        e,
        vec!["t.toml:1:2: srever: unknown key; expected server, store, fetch, source or feed"]
    );
    let e = errors("[server\n");
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("t.toml:1:"), "{}", e[0]);
    assert!(e[0].contains("(syntax)"), "{}", e[0]);
}

#[test]
fn missing_and_wrong_kind() {
    let e = errors(
        "[[source]]\nkind = \"feed\"\nurl = \"https://a.example/\"\n\n[[source]]\nid = \"b\"\nkind = \"rss\"\n",
    );
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(
        e[0].contains("source[0].id: missing field `id`"),
        "{}",
        e[0]
    );
    assert!(
        e[1].starts_with("t.toml:7:8: source[1].kind: unknown variant `rss`"),
        "{}",
        e[1]
    );
}

#[test]
fn feeds_resolve_stars_and_tags_in_config_order() {
    let text = r#"
[[source]]
id = "a"
kind = "feed"
url = "https://a.example/"
tags = ["x"]
[[source]]
id = "b"
kind = "feed"
url = "https://b.example/"
[[source]]
id = "c"
kind = "feed"
url = "https://c.example/"
tags = ["x"]
[[feed]]
id = "x"
tags = ["x"]
[[feed]]
id = "all"
sources = ["*", "b"]
"#;
    let c = Config::parse("t.toml", text).unwrap();
    assert_eq!(c.feed("x").unwrap().sources, ["a", "c"]);
    assert_eq!(c.feed("all").unwrap().sources, ["a", "b", "c"]);
}

#[test]
fn store_debug_hides_password() {
    let c = Config::parse(
        "t.toml",
        "[store]\nurl = \"postgres://u:secret@db/x\"\n[[source]]\nid = \"a\"\nkind = \"feed\"\nurl = \"https://a.example/\"\n",
    )
    .unwrap();
    let shown = format!("{:?}", c.store);
    assert!(!shown.contains("secret"), "{shown}");
}

#[test]
fn what_a_fetch_would_trip_on_is_refused_up_front() {
    let e = errors(
        "[[source]]\nid = \"broken\"\nkind = \"feed\"\nurl = \"https://a.example/\"\nlabel = 1\n\n\
         [[source]]\nid = \"news\"\nkind = \"html\"\nurl = \"https://b.example/\"\nfull_text = true\n\
         select = { item = \"article[[\", title = \"h2\" }\n",
    );
    // The failed first entry does not shift the second's place.
    assert!(e[0].contains("source[0].label: unknown field"), "{e:?}");
    assert!(
        e[1].contains("source[1] (news).full_text: an html source"),
        "{e:?}"
    );
    assert!(
        e[2].contains("source[1] (news).select.item: \"article[[\" is not a CSS selector"),
        "{e:?}"
    );
    assert_eq!(e.len(), 3, "{e:?}");
    assert_eq!(
        errors(""),
        ["t.toml:1:1: source: no [[source]]: a config needs at least one source to fetch"]
    );
}

#[test]
fn websub_subscribing_needs_a_base_url_and_polls_daily_by_default() {
    let source = "[[source]]\nid = \"n\"\nkind = \"files\"\npath = \"a\"\n";
    let errs = errors(&format!("[server]\nwebsub_subscribe = true\n\n{source}"));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("t.toml:2:20: server.websub_subscribe: needs server.base_url"),
        "{errs:?}"
    );
    let c = Config::parse(
        "t.toml",
        &format!(
            "[server]\nbase_url = \"https://feeds.example/\"\nwebsub_subscribe = true\n\n{source}"
        ),
    )
    .unwrap();
    assert!(c.server.websub_subscribe);
    assert_eq!(c.fetch.websub_poll, Duration::from_secs(24 * 3600));
    let c = Config::parse(
        "t.toml",
        &format!("[fetch]\nwebsub_poll = \"6h\"\n\n{source}"),
    )
    .unwrap();
    assert!(!c.server.websub_subscribe);
    assert_eq!(c.fetch.websub_poll, Duration::from_secs(6 * 3600));
    let errs = errors(&format!("[fetch]\nwebsub_poll = \"often\"\n\n{source}"));
    assert!(errs[0].contains("fetch.websub_poll"), "{errs:?}");
}

#[test]
fn archive_pages_hold_up_to_a_thousand_items_and_settle_for_an_hour() {
    let source = "[[source]]\nid = \"n\"\nkind = \"files\"\npath = \"a\"\n";
    let c = Config::parse(
        "t.toml",
        &format!("{source}[[feed]]\nid = \"all\"\nsources = [\"*\"]\n"),
    )
    .unwrap();
    assert_eq!(c.feeds[0].archive_page, 100);
    assert_eq!(c.server.archive_settle, Duration::from_secs(3600));
    let off = format!("{source}[[feed]]\nid = \"all\"\nsources = [\"*\"]\narchive_page = 0\n");
    assert_eq!(
        Config::parse("t.toml", &off).unwrap().feeds[0].archive_page,
        0
    );
    let e = errors(&format!(
        "[server]\narchive_settle = \"soon\"\n{source}[[feed]]\nid = \"all\"\nsources = [\"*\"]\narchive_page = 5000\n"
    ));
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].contains("server.archive_settle"), "{e:?}");
    assert!(
        e[1].contains(
            "feed[0].archive_page: 5000 is out of range: expected 0 (no archive) to 1000"
        ),
        "{e:?}"
    );
}

#[test]
fn adaptive_schedules_and_their_bounds() {
    let source = "[[source]]\nid = \"a\"\nkind = \"feed\"\nurl = \"https://example.org/f\"\nschedule = \"adaptive\"\n";
    let c = Config::parse("t.toml", source).unwrap();
    assert!(c.sources[0].adaptive);
    // The [fetch] default stands behind it, for a fixed interval.
    assert_eq!(c.sources[0].schedule.to_string(), "*/15 * * * *");
    assert_eq!(c.fetch.adaptive_min, Duration::from_secs(600));
    assert_eq!(c.fetch.adaptive_max, Duration::from_secs(86_400));
    let c = Config::parse(
        "t.toml",
        &format!("[fetch]\nadaptive_min = \"1m\"\nadaptive_max = \"2h\"\n{source}"),
    )
    .unwrap();
    assert_eq!(c.fetch.adaptive_min, Duration::from_secs(60));
    assert_eq!(c.fetch.adaptive_max, Duration::from_secs(7200));

    let e = errors(&format!(
        "[fetch]\nadaptive_min = \"3h\"\nadaptive_max = \"2h\"\n{source}"
    ));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].starts_with(
            "t.toml:2:16: fetch.adaptive_min: adaptive_min (3h) is longer than adaptive_max (2h)"
        ),
        "{}",
        e[0]
    );
    let e = errors(&format!(
        "[fetch]\nadaptive_min = \"30s\"\nadaptive_max = \"2d\"\n{source}"
    ));
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(
        e[0].contains("fetch.adaptive_min: \"30s\" is out of range"),
        "{}",
        e[0]
    );
    assert!(
        e[1].contains("fetch.adaptive_max: \"2d\" is out of range"),
        "{}",
        e[1]
    );
    let e = errors(&format!("[fetch]\nschedule = \"adaptive\"\n{source}"));
    assert!(
        e[0].contains("fetch.schedule: \"adaptive\" is a source's schedule"),
        "{}",
        e[0]
    );
}
