//! WebSub: with `websub_hub`, every format advertises the hub, and a loopback
//! hub receives exactly one publish ping per feed URL for each change — none
//! for a refetch that changes nothing.

use crate::common::{Config, Origin, wait_for};
use crate::merge::wire_rss;
use crate::paused::InProcess;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::routing::post;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A loopback hub that records the `hub.url` of every publish ping.
struct Hub {
    url: String,
    pings: Arc<Mutex<Vec<String>>>,
}

impl Hub {
    async fn start() -> Hub {
        let pings = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/hub", post(ping))
            .with_state(pings.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hub", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Hub { url, pings }
    }

    /// How many pings each topic got.
    fn counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for topic in self.pings.lock().unwrap().iter() {
            *counts.entry(topic.clone()).or_default() += 1;
        }
        counts
    }

    fn total(&self) -> usize {
        self.pings.lock().unwrap().len()
    }
}

async fn ping(
    State(pings): State<Arc<Mutex<Vec<String>>>>,
    headers: HeaderMap,
    body: String,
) -> &'static str {
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/x-www-form-urlencoded"
    );
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(form.get("hub.mode").map(String::as_str), Some("publish"));
    pings.lock().unwrap().push(form["hub.url"].clone());
    "ok"
}

/// The daemon runs in process on tokio's paused clock (see `paused`):
/// `* * * * * *` polls every virtual second, and "three more fetches" pass
/// in a moment of real time.
#[tokio::test(start_paused = true)]
async fn the_hub_gets_one_ping_per_change() {
    let hub = Hub::start().await;
    let origin = Origin::start().await;
    origin.put("wire.xml", "application/rss+xml", wire_rss());
    let dir = tempfile::tempdir().unwrap();
    let base = "http://feeds.example";
    let cfg = Config::new(dir.path(), 0)
        .server(&format!("base_url = \"{base}\"\nwebsub_hub = \"{}\"", hub.url))
        .entries(&format!(
            "[[source]]\nid = \"wire\"\nkind = \"feed\"\nurl = \"{}\"\nschedule = \"* * * * * *\"\n\n\
             [[feed]]\nid = \"all\"\nsources = [\"*\"]\n",
            origin.url("wire.xml"),
        ))
        .write();
    let daemon = InProcess::start(&cfg).await;
    let topics: Vec<String> = ["feeds/all", "sources/wire"]
        .iter()
        .flat_map(|p| ["rss", "atom", "json"].map(|ext| format!("{base}/{p}.{ext}")))
        .collect();
    let expect =
        |n: usize| -> BTreeMap<String, usize> { topics.iter().map(|t| (t.clone(), n)).collect() };

    // The first fetch changes every feed: one ping per feed URL.
    wait_for(20, "the first pings", || async {
        (hub.total() >= topics.len()).then_some(())
    })
    .await;
    // Refetches that change nothing (304s) ping nothing.
    // Three more fetches: a ping the first two caused would have gone
    // out before the third fetch began.
    let fetched = origin.requests_to("/wire.xml").len();
    wait_for(20, "three more fetches", || async {
        (origin.requests_to("/wire.xml").len() >= fetched + 3).then_some(())
    })
    .await;
    assert_eq!(hub.counts(), expect(1));

    // Every format advertises the hub.
    for ext in ["rss", "atom"] {
        let (_, body) = daemon.get(&format!("/feeds/all.{ext}")).await;
        assert!(
            body.contains(&format!("href=\"{}\" rel=\"hub\"", hub.url))
                || body.contains(&format!("rel=\"hub\" href=\"{}\"", hub.url)),
            "{body}"
        );
    }
    let (_, json) = daemon.get("/feeds/all.json").await;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["hubs"][0]["type"], "WebSub");
    assert_eq!(json["hubs"][0]["url"], hub.url.as_str());

    // A change at the origin: exactly one more ping per feed URL.
    let changed = wire_rss().replace(
        "<item><title>Sponsored",
        "<item><title>Ferry back on winter timetable</title><link>https://wire.example/ferry</link><pubDate>Thu, 05 Mar 2026 10:00:00 GMT</pubDate><description>From Monday.</description></item>\n<item><title>Sponsored",
    );
    origin.put("wire.xml", "application/rss+xml", changed);
    wait_for(20, "the pings for the change", || async {
        (hub.total() >= 2 * topics.len()).then_some(())
    })
    .await;
    // Three more fetches: a ping the first two caused would have gone
    // out before the third fetch began.
    let fetched = origin.requests_to("/wire.xml").len();
    wait_for(20, "three more fetches", || async {
        (origin.requests_to("/wire.xml").len() >= fetched + 3).then_some(())
    })
    .await;
    assert_eq!(hub.counts(), expect(2));
    daemon.stop().await;
}
