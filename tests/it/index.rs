//! The index page as people see it: rendered by headless Chromium at a
//! phone's and a desktop's width, in light and dark schemes, driven over
//! the DevTools protocol; nothing may overflow the viewport, and no upstream
//! URL's query (where tokens live) may reach the page.

use crate::common::{Config, Daemon, Origin, http, wait_for};
use base64::Engine;
use serde_json::{Value, json};
use std::io::BufRead;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket, stream::MaybeTlsStream};

const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Gazette</title><link>https://gazette.example/</link><description>d</description>
<item><title>Supercalifragilisticexpialidociouslyunbreakableheadlinewithoutanyspacesatallthatgoesonandon</title><link>https://gazette.example/a</link><guid>a</guid><pubDate>Mon, 02 Mar 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"#;

/// A headless Chromium with a DevTools endpoint, killed when dropped.
struct Browser {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium runs (apt-get install -y chromium)");
        let active = profile.path().join("DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            if let Ok(f) = std::fs::File::open(&active)
                && let Some(Ok(line)) = std::io::BufReader::new(f).lines().next()
                && let Ok(port) = line.trim().parse()
            {
                break port;
            }
            assert!(Instant::now() < deadline, "chromium did not open DevTools");
            std::thread::sleep(Duration::from_millis(50));
        };
        Browser {
            child,
            port,
            _profile: profile,
        }
    }

    /// A new tab's DevTools WebSocket address.
    async fn new_tab(&self) -> String {
        let target: Value = http()
            .put(format!(
                "http://127.0.0.1:{}/json/new?about:blank",
                self.port
            ))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .map(|b| serde_json::from_slice(&b).unwrap())
            .unwrap();
        target["webSocketDebuggerUrl"].as_str().unwrap().to_string()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Tab {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    next: u64,
}

impl Tab {
    fn open(ws: &str) -> Tab {
        let (socket, _) = tungstenite::connect(ws).unwrap();
        Tab { socket, next: 0 }
    }

    /// Sends one DevTools command and waits for its answer.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let msg = json!({"id": id, "method": method, "params": params});
        self.socket.send(Message::text(msg.to_string())).unwrap();
        loop {
            let Message::Text(text) = self.socket.read().unwrap() else {
                continue;
            };
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["id"] == json!(id) {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    fn eval(&mut self, expression: &str) -> Value {
        self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        )["result"]["value"]
            .clone()
    }

    /// Loads `url` at `width` in the `scheme` colour scheme.
    fn show(&mut self, url: &str, width: u32, scheme: &str) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600}),
        );
        self.call(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        );
        self.call("Page.navigate", json!({"url": url}));
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.eval("document.readyState") != json!("complete")
            || self.eval("location.href") != json!(url)
        {
            assert!(Instant::now() < deadline, "{url} did not load");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_page_fits_a_phone_and_a_desktop_in_both_schemes() {
    let origin = Origin::start().await;
    origin.put("gazette.xml", "application/rss+xml", FEED);
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    // A token in a query and a password in a URL; a failing source whose
    // error is one long line; a long title without spaces.
    let failing = format!(
        "{}/{}",
        origin.url("missing"),
        "a-very-long-path-segment-that-never-ends".repeat(4)
    );
    let cfg = Config::new(dir.path(), port)
        .fetch("schedule = \"*/2 * * * * *\"\ntimeout = \"3s\"")
        .feed_source(
            "gazette",
            &origin
                .url("gazette.xml?token=s3cr3t-t0ken")
                .replace("http://", "http://reader:hunter2@"),
        )
        .feed_source("failing", &failing)
        .entries("[[feed]]\nid = \"all\"\ntitle = \"Everything from the harbour and beyond\"\nsources = [\"*\"]")
        .write();
    let daemon = Daemon::start(&cfg, port, dir.path().join("log"));
    let index = format!("{}/", daemon.base);
    let client = http();
    let html = wait_for(20, "both sources on the index page", || {
        let (client, index) = (client.clone(), index.clone());
        async move {
            let body = client.get(&index).send().await.ok()?.text().await.ok()?;
            (body.contains("failing (") && body.contains("Supercalifragilistic")).then_some(body)
        }
    })
    .await;
    assert!(!html.contains("s3cr3t-t0ken"), "{html}");
    assert!(!html.contains("hunter2"), "{html}");

    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("index-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let browser = Browser::start();
    let ws = browser.new_tab().await;
    let measured = tokio::task::spawn_blocking(move || {
        let mut tab = Tab::open(&ws);
        let mut measured = Vec::new();
        for width in [390u32, 1280] {
            for scheme in ["light", "dark"] {
                tab.show(&index, width, scheme);
                let m = tab.eval(
                    "JSON.stringify([document.documentElement.scrollWidth, window.innerWidth, getComputedStyle(document.body).backgroundColor, document.body.innerText])",
                );
                let m: Value = serde_json::from_str(m.as_str().unwrap()).unwrap();
                let shot = tab.call("Page.captureScreenshot", json!({"format": "png"}));
                let png = base64::engine::general_purpose::STANDARD
                    .decode(shot["data"].as_str().unwrap())
                    .unwrap();
                std::fs::write(shots.join(format!("index-{width}-{scheme}.png")), png).unwrap();
                measured.push((width, scheme, m));
            }
        }
        measured
    })
    .await
    .unwrap();
    let mut backgrounds = std::collections::HashSet::new();
    for (width, scheme, m) in &measured {
        let (scroll, inner) = (m[0].as_u64().unwrap(), m[1].as_u64().unwrap());
        assert!(
            scroll <= inner,
            "{width} px, {scheme}: the page is {scroll} px wide in a {inner} px viewport"
        );
        assert_eq!(inner, u64::from(*width));
        backgrounds.insert(m[2].as_str().unwrap().to_string());
        // The script has put the times in relative form.
        let text = m[3].as_str().unwrap();
        assert!(text.contains(" ago") || text.contains("now"), "{text}");
    }
    assert_eq!(
        backgrounds.len(),
        2,
        "light and dark differ: {backgrounds:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_token_guards_the_index_metrics_and_opml_not_the_feeds() {
    let origin = Origin::start().await;
    origin.put("gazette.xml", "application/rss+xml", FEED);
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    let token = "0123456789abcdef-admin";
    let cfg = Config::new(dir.path(), port)
        .server(&format!("admin_token = \"{token}\""))
        .feed_source("gazette", &origin.url("gazette.xml"))
        .entries("[[feed]]\nid = \"all\"\nsources = [\"*\"]")
        .write();
    let daemon = Daemon::start(&cfg, port, dir.path().join("log"));
    let client = http();
    let feed = format!("{}/feeds/all.rss", daemon.base);
    wait_for(20, "the feed, without a token", || {
        let (client, feed) = (client.clone(), feed.clone());
        async move {
            let r = client.get(&feed).send().await.ok()?;
            (r.status() == 200).then_some(())
        }
    })
    .await;
    for path in ["/", "/metrics", "/opml"] {
        let url = format!("{}{path}", daemon.base);
        let bare = client.get(&url).send().await.unwrap();
        assert_eq!(bare.status(), 401, "{path}");
        assert!(
            bare.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let wrong = client
            .get(&url)
            .bearer_auth("0123456789abcdef-wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
        let right = client.get(&url).bearer_auth(token).send().await.unwrap();
        assert_eq!(right.status(), 200, "{path}");
    }
    for path in ["/feeds/all.atom", "/sources/gazette.json", "/healthz"] {
        let r = client
            .get(format!("{}{path}", daemon.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
}
