//! The fetcher against origins on loopback.

use super::address::is_private;
use super::*;
use axum::Router;
use axum::body::Body as AxumBody;
use axum::http::Response as AxumResponse;
use axum::routing::get;

/// A loopback server whose one route answers with `handler`.
async fn origin<F, Fut>(handler: F) -> Url
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = AxumResponse<AxumBody>> + Send + 'static,
{
    let app = Router::new().route("/{*p}", get(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/feed", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn request(url: &Url, timeout: Duration) -> Request<'_> {
    Request {
        url,
        etag: None,
        last_modified: None,
        user_agent: "tidings-test",
        timeout,
        max_body: 1 << 20,
        timeout_queued: true,
        headers: &[],
        headers_origin: url,
    }
}

fn fetcher() -> Fetcher {
    Fetcher::new(&Limits {
        concurrency: 4,
        per_host: 2,
        allow_private: true,
        proxy: None,
    })
    .unwrap()
}

// The paused clock makes the drip and the timeout exact and instant: a
// body of one byte a second is cut off at the whole-transfer timeout,
// however steadily bytes arrive.
#[tokio::test(start_paused = true)]
async fn a_dripping_body_is_cut_off_at_the_timeout() {
    let url = origin(|| async {
        let stream = futures_util::stream::unfold(0u32, |n| async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Some((Ok::<_, std::io::Error>(Bytes::from_static(b"x")), n + 1))
        });
        AxumResponse::new(AxumBody::from_stream(stream))
    })
    .await;
    let start = tokio::time::Instant::now();
    let err = fetcher()
        .get(&request(&url, Duration::from_secs(30)))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Timeout(_)), "{err}");
    assert_eq!(start.elapsed(), Duration::from_secs(30));
}

#[tokio::test]
async fn headers_give_retry_after_and_freshness() {
    let mut h = HeaderMap::new();
    h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
    assert_eq!(retry_after(&h), Some(Duration::from_secs(120)));
    let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(600));
    h.insert(header::RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
    let wait = retry_after(&h).unwrap();
    assert!(
        wait > Duration::from_secs(590) && wait <= Duration::from_secs(600),
        "{wait:?}"
    );

    let mut h = HeaderMap::new();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=900"),
    );
    h.insert(
        header::EXPIRES,
        HeaderValue::from_static("Thu, 01 Jan 2099 00:00:00 GMT"),
    );
    assert_eq!(freshness(&h), Some(Duration::from_secs(900)));
    h.remove(header::CACHE_CONTROL);
    h.insert(
        header::DATE,
        HeaderValue::from_static("Wed, 31 Dec 2098 23:00:00 GMT"),
    );
    assert_eq!(freshness(&h), Some(Duration::from_secs(3600)));
}

#[tokio::test]
async fn private_targets_are_refused_by_address_and_by_name() {
    let url = origin(|| async { AxumResponse::new(AxumBody::from("<rss/>")) }).await;
    let guarded = Fetcher::new(&Limits {
        concurrency: 4,
        per_host: 2,
        allow_private: false,
        proxy: None,
    })
    .unwrap();
    let err = guarded
        .get(&request(&url, Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Refused { .. }), "{err}");
    assert!(err.to_string().contains("refused: 127.0.0.1"), "{err}");
    // A name that resolves to loopback is refused after resolution.
    let by_name = Url::parse(&format!("http://localhost:{}/feed", url.port().unwrap())).unwrap();
    let err = guarded
        .get(&request(&by_name, Duration::from_secs(5)))
        .await
        .unwrap_err();
    // Refused by the resolver: the refusal is the cause of reqwest's error.
    let text = error_chain(&err);
    assert!(text.contains("refused: localhost"), "{text}");
    // A redirect hop to a private address is refused like a first hop.
    let via = Url::parse("http://[::ffff:10.1.2.3]/x").unwrap();
    assert!(url_is_private(&via));
    // The same origin is fine when private targets are allowed.
    assert!(
        fetcher()
            .get(&request(&url, Duration::from_secs(5)))
            .await
            .is_ok()
    );
}

#[test]
fn private_ranges() {
    for ip in [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:192.168.0.1",
    ] {
        assert!(is_private(ip.parse().unwrap()), "{ip}");
    }
    for ip in [
        "::",
        "::127.0.0.1",
        "::8.8.8.8",
        "64:ff9b::7f00:1",
        "64:ff9b::a00:1",
        "64:ff9b:1::808:808",
        "2002:7f00:1::",
        "2002:a9fe:a9fe::1",
        "2001::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "2001:db8::1",
        "ff02::1",
        "fec0::1",
        "100::1",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.0.8",
        "192.0.2.1",
        "198.18.0.1",
        "198.19.255.255",
        "198.51.100.7",
        "203.0.113.9",
        "192.88.99.1",
    ] {
        assert!(is_private(ip.parse().unwrap()), "{ip}");
    }
    for ip in [
        "93.184.216.34",
        "8.8.8.8",
        "2606:4700::1111",
        "100.128.0.1",
        "64:ff9b::808:808",
        "2002:808:808::1",
        "::ffff:8.8.8.8",
        "198.20.0.1",
        "223.255.255.255",
    ] {
        assert!(!is_private(ip.parse().unwrap()), "{ip}");
    }
}

#[tokio::test]
async fn too_many_redirects_fail() {
    let url = origin(|| async {
        AxumResponse::builder()
            .status(302)
            .header("Location", "/again")
            .body(AxumBody::empty())
            .unwrap()
    })
    .await;
    let err = fetcher()
        .get(&request(&url, Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "more than 5 redirects");
}
