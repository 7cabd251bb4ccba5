//! The one-shot commands: `check`, `fetch`, `render`, and `run` refusing a
//! bad config.

use crate::common::{Origin, free_port, tidings};

const GOOD_RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title><link>https://local.example/</link><description>d</description>
<item><title>Water main repaired</title><link>https://local.example/water</link><pubDate>Thu, 05 Mar 2026 12:00:00 GMT</pubDate><description>Crews worked overnight.</description></item>
</channel></rss>"#;

#[test]
fn check_reports_every_error_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[fetch]\nschedule = \"every hour\"\n\n[[source]]\nid = \"a\"\nkind = \"feed\"\nurl = \"https://a.example/rss\"\nlabel = \"x\"\n\n[[feed]]\nid = \"all\"\nsources = [\"b\"]\n",
    )
    .unwrap();
    let file = cfg.display().to_string();
    let (code, _, err) = tidings(&["check", "-c", &file]);
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with(&format!(
            "{file}:2:12: fetch.schedule: invalid cron schedule"
        )),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!(
            "{file}:8:1: source[0].label: unknown field `label`"
        )),
        "{err}"
    );
    assert!(
        lines[2].starts_with(&format!(
            "{file}:12:12: feed[0].sources: no source has the id \"b\""
        )),
        "{err}"
    );
    // `run` refuses the same config the same way, without starting.
    let (code, _, err2) = tidings(&["run", "-c", &file]);
    assert_eq!(code, 1);
    assert_eq!(err2.lines().collect::<Vec<_>>(), lines);
    // A missing file is an error too; bad usage is exit 2.
    let (code, _, err) = tidings(&["check", "-c", "/nonexistent/tidings.toml"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("/nonexistent/tidings.toml:1:1: (file): cannot read"),
        "{err}"
    );
    assert_eq!(tidings(&["frobnicate"]).0, 2);
}

#[test]
fn the_shipped_example_config_is_valid() {
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/config/tidings.toml");
    let (code, out, err) = tidings(&["check", "-c", cfg]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok ("), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_then_render_from_the_store() {
    let origin = Origin::start().await;
    origin.put("local.xml", "application/rss+xml", GOOD_RSS);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("t.toml");
    std::fs::write(
        &cfg,
        format!(
            "[server]\nlisten = \"127.0.0.1:{}\"\n[store]\nstate_dir = \"{}\"\n[fetch]\nallow_private = true\n\n[[source]]\nid = \"local\"\nkind = \"feed\"\nurl = \"{}\"\n\n[[source]]\nid = \"gone\"\nkind = \"feed\"\nurl = \"{}\"\n\n[[feed]]\nid = \"all\"\nsources = [\"*\"]\n",
            free_port(),
            dir.path().join("state").display(),
            origin.url("local.xml"),
            origin.url("missing.xml"),
        ),
    )
    .unwrap();
    let file = cfg.display().to_string();
    let (code, out, err) = tokio::task::spawn_blocking({
        let file = file.clone();
        move || tidings(&["fetch", "-c", &file])
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "a failed source makes fetch exit 1: {out}{err}");
    // A line per source as its fetch ends, in whichever order they end.
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "gone: failed: HTTP 404 Not Found",
            "local: new 1, updated 0, unchanged 0"
        ]
    );
    // The second fetch of the good source is conditional.
    let (code, out, _) = tokio::task::spawn_blocking({
        let file = file.clone();
        move || tidings(&["fetch", "-c", &file, "local"])
    })
    .await
    .unwrap();
    assert_eq!(code, 0);
    assert_eq!(out, "local: unchanged (not modified)\n");
    assert_eq!(origin.requests_to("/local.xml")[1].status, 304);
    // Rendering reads the store.
    let (code, out, err) = tidings(&["render", "-c", &file, "all", "--format", "atom"]);
    assert_eq!(code, 0, "{err}");
    let feed = atom_syndication::Feed::read_from(out.as_bytes()).unwrap();
    assert_eq!(feed.entries().len(), 1);
    assert_eq!(feed.entries()[0].title().as_str(), "Water main repaired");
    let (code, _, err) = tidings(&["render", "-c", &file, "nope"]);
    assert_eq!(code, 2, "an unknown id is a usage error");
    assert!(err.contains("no feed has the id \"nope\""), "{err}");
    let (code, _, err) = tidings(&["fetch", "-c", &file, "nope"]);
    assert_eq!(code, 2, "an unknown id is a usage error");
    assert!(err.contains("no source has the id \"nope\""), "{err}");
}

#[test]
fn check_refuses_what_a_fetch_would_trip_on() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    // A selector CSS cannot parse, full_text on an html source, and a
    // failed entry before them that shifts nothing.
    let bad = write(
        "bad.toml",
        "[[source]]\nid = \"first\"\nkind = \"feed\"\nurl = \"https://a.example/\"\nlabel = 1\n\n\
         [[source]]\nid = \"news\"\nkind = \"html\"\nurl = \"https://b.example/\"\nfull_text = true\n\
         select = { item = \"article[[\" }\n\n\
         [[source]]\nid = \"hourly\"\nkind = \"feed\"\nurl = \"https://c.example/\"\nschedule = \"60 * * * *\"\n",
    );
    let (code, _, err) = tidings(&["check", "-c", &bad]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("source[0].label: unknown field"), "{err}");
    assert!(err.contains("source[1] (news).full_text"), "{err}");
    assert!(
        err.contains("source[1] (news).select.item: \"article[[\" is not a CSS selector"),
        "{err}"
    );
    assert!(
        err.contains("source[2] (hourly).schedule: invalid cron schedule \"60 * * * *\": the minute field \"60\" has 60: it must be 0 to 59"),
        "{err}"
    );
    assert!(!err.contains("report this to the developer"), "{err}");
    // An empty file, and a files folder that is not there.
    let (code, _, err) = tidings(&["check", "-c", &write("empty.toml", "")]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("needs at least one source"), "{err}");
    let missing = write(
        "missing.toml",
        "[[source]]\nid = \"notes\"\nkind = \"files\"\npath = \"no-such-folder\"\n",
    );
    let (code, _, err) = tidings(&["check", "-c", &missing]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("source \"notes\": path: cannot read the folder")
            && err.contains("no-such-folder"),
        "{err}"
    );
}

#[test]
fn state_dir_is_read_against_the_config_files_folder() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("etc");
    std::fs::create_dir(&conf).unwrap();
    let cfg = conf.join("tidings.toml");
    std::fs::write(
        &cfg,
        "[store]\nstate_dir = \"state\"\n\n[[source]]\nid = \"a\"\nkind = \"feed\"\nurl = \"https://a.example/\"\n",
    )
    .unwrap();
    let (code, out, err) = tidings(&["check", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let wanted = format!("state in {}", conf.join("state").display());
    assert!(out.contains(&wanted), "{out}");
    // `sources` run from elsewhere finds that store, not a new one here.
    let (code, _, err) = tidings(&["sources", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(conf.join("state/tidings.db").exists());
    assert!(!std::path::Path::new("state").exists());
}

/// A subscription list as Miniflux exports it (folders by nesting, `title`
/// and `text`, non-ASCII names), imported, configured and exported again
/// for moving back: the same feeds in the same folders, with their names.
#[test]
fn opml_round_trip_through_a_miniflux_export() {
    let miniflux = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
    <head>
        <title>Miniflux</title>
        <dateCreated>Tue, 01 Dec 2026 10:00:00 UTC</dateCreated>
    </head>
    <body>
        <outline text="Tin tức">
            <outline title="Góc nhìn" text="Góc nhìn" xmlUrl="https://vnexpress.example/rss/goc-nhin.rss" htmlUrl="https://vnexpress.example/goc-nhin" type="rss"></outline>
            <outline title="Thế giới" text="Thế giới" xmlUrl="https://vnexpress.example/rss/the-gioi.rss" htmlUrl="https://vnexpress.example/the-gioi" type="rss"></outline>
        </outline>
        <outline text="Tech">
            <outline title="LWN.net" text="LWN.net" xmlUrl="https://lwn.example/headlines/rss" htmlUrl="https://lwn.example/" type="rss"></outline>
        </outline>
    </body>
</opml>
"#;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("miniflux.opml");
    std::fs::write(&list, miniflux).unwrap();
    let (code, toml, err) = tidings(&["opml", "import", list.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        toml.contains("id = \"goc-nhin\"\ntitle = \"Góc nhìn\"\nkind = \"feed\"\nurl = \"https://vnexpress.example/rss/goc-nhin.rss\"\ntags = [\"tin-tuc\"]"),
        "{toml}"
    );
    let cfg = dir.path().join("tidings.toml");
    std::fs::write(&cfg, &toml).unwrap();
    let (code, _, err) = tidings(&["check", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, back, err) = tidings(&["opml", "export", "--origin", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        back.contains("<outline text=\"tin-tuc\" title=\"tin-tuc\">\n  <outline type=\"rss\" text=\"Góc nhìn\" title=\"Góc nhìn\" xmlUrl=\"https://vnexpress.example/rss/goc-nhin.rss\"/>\n  <outline type=\"rss\" text=\"Thế giới\" title=\"Thế giới\" xmlUrl=\"https://vnexpress.example/rss/the-gioi.rss\"/>\n</outline>"),
        "{back}"
    );
    assert!(
        back.contains(
            "<outline text=\"tech\" title=\"tech\">\n  <outline type=\"rss\" text=\"LWN.net\""
        ),
        "{back}"
    );
    // Imported again, the same sources.
    let again = dir.path().join("back.opml");
    std::fs::write(&again, &back).unwrap();
    let (code, toml_again, err) = tidings(&["opml", "import", again.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(toml_again, toml);
}
