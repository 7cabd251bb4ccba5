//! Local article files as readers meet them: two `files` sources that each
//! hold an `index.md` give two items with ids of their own, newsboat shows
//! both, each item's link is the article's page served by tidings, and
//! items stored under the old `file:PATH` ids move to the new ones in place.

use crate::common::{Daemon, free_port, http, newsboat_reload, tidings, wait_for};

/// Every item id in the SQLite store at `path`, sorted.
fn item_ids(path: &std::path::Path) -> Vec<String> {
    let db = rusqlite::Connection::open(path).unwrap();
    let mut st = db.prepare("SELECT id FROM items ORDER BY id").unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_folders_with_index_md_give_two_articles_with_pages() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("a/index.md"),
        "# Harbour notes\n\n**Ann Berg**\n\n2 March 2026\n\nThe ferry runs again.\n",
    );
    write(
        &root.join("b/index.md"),
        "# Lake notes\n\n**Bo Lind**\n\n3 March 2026\n\nThe ice is thin & grey.\n",
    );
    write(&root.join("b/sub dir/Ünï.md"), "# Nested\n\nDeeper.\n");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let cfg = root.join("tidings.toml");
    std::fs::write(
        &cfg,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"{base}\"\n\n[store]\nstate_dir = \"{}\"\n\n\
             [[source]]\nid = \"notes-a\"\nkind = \"files\"\npath = \"a\"\n\n\
             [[source]]\nid = \"notes-b\"\nkind = \"files\"\npath = \"b\"\n",
            root.join("state").display()
        ),
    )
    .unwrap();
    let mut daemon = Daemon::start(&cfg, port, root.join("daemon.log"));
    let feed_a = format!("{base}/sources/notes-a.rss");
    let feed_b = format!("{base}/sources/notes-b.rss");
    wait_for(20, "both sources served", || async {
        let a = http().get(&feed_a).send().await.ok()?.text().await.ok()?;
        let b = http().get(&feed_b).send().await.ok()?.text().await.ok()?;
        (a.contains("Harbour notes") && b.contains("Lake notes")).then_some(())
    })
    .await;

    let db = newsboat_reload(root.join("newsboat"), &[feed_a.clone(), feed_b.clone()]).await;
    let mut st = db
        .prepare("SELECT title, guid, url FROM rss_item ORDER BY title")
        .unwrap();
    let rows: Vec<(String, String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let titles: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        titles,
        ["Harbour notes", "Lake notes", "Nested"],
        "{rows:?}"
    );
    assert_eq!(rows[0].1, "tag:tidings,2026:notes-a/index.md");
    assert_eq!(rows[1].1, "tag:tidings,2026:notes-b/index.md");
    assert_eq!(rows[2].1, "tag:tidings,2026:notes-b/sub%20dir/Ünï.md");

    // Following an item's link opens the article.
    assert_eq!(rows[0].2, format!("{base}/articles/notes-a/index.md"));
    for (title, _, link) in &rows {
        let resp = http().get(link).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{link}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = resp.text().await.unwrap();
        assert!(page.contains(&format!("<h1>{title}</h1>")), "{page}");
    }
    let lake = http()
        .get(&rows[1].2)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        lake.contains("Bo Lind") && lake.contains("thin &amp; grey"),
        "{lake}"
    );
    // Nothing outside the folders, nor other kinds of file, is served.
    for bad in [
        "notes-a/../b/index.md",
        "notes-a/%2e%2e/b/index.md",
        "notes-a/tidings.toml",
        "nope/index.md",
        "notes-a/missing.md",
    ] {
        let resp = http()
            .get(format!("{base}/articles/{bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{bad}");
    }
    daemon.terminate();

    // Items stored under the ids of before move in place, not duplicated.
    let store = root.join("state/tidings.db");
    {
        let db = rusqlite::Connection::open(&store).unwrap();
        // Version 4: the store as it was before local article ids moved
        // (the migrations after that one must bear running again).
        db.execute_batch(
            "UPDATE items SET id = 'file:' || replace(substr(id, length('tag:tidings,2026:') + length(source) + 2), '%20', ' ');
             PRAGMA user_version = 4;",
        )
        .unwrap();
        assert_eq!(
            item_ids(&store),
            ["file:index.md", "file:index.md", "file:sub dir/Ünï.md"]
        );
    }
    let (code, out, err) = tidings(&["fetch", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("unchanged"), "{out}");
    assert_eq!(
        item_ids(&store),
        [
            "tag:tidings,2026:notes-a/index.md",
            "tag:tidings,2026:notes-b/index.md",
            "tag:tidings,2026:notes-b/sub%20dir/Ünï.md"
        ]
    );
}
