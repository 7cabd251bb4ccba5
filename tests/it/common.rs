//! Shared test parts: a real origin HTTP server on loopback that logs every
//! request, and the real `tidings` binary run on a config in a temp dir.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Response, StatusCode, header};
use axum::routing::get;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the origin saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    /// When, on tokio's clock (the virtual time of a paused-clock test).
    pub tick: tokio::time::Instant,
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub user_agent: Option<String>,
    pub accept_encoding: Option<String>,
    pub status: u16,
    /// Every header of the request.
    pub headers: HeaderMap,
}

/// How the origin answers one request to a scripted path.
#[derive(Clone, Debug)]
pub enum Reply {
    /// The path's document, conditional GET honoured (as for `put`).
    Doc,
    /// A status with headers and an empty body.
    Status(u16, Vec<(&'static str, String)>),
    /// A redirect with this status to this location.
    Redirect(u16, String),
    /// The document after a delay.
    Slow(Duration),
    /// The document once the test opens the gate.
    Gated(Gate),
    /// `bytes` bytes, one every `every`.
    Drip { bytes: usize, every: Duration },
    /// Zeros without end.
    Endless,
    /// A gzip body that decodes to `decoded` zero bytes.
    GzipBomb { decoded: usize },
}

/// Holds a [`Reply::Gated`] answer until the test opens it: a slow server
/// whose slowness ends on an event, not after a time.
#[derive(Clone, Debug, Default)]
pub struct Gate(Arc<std::sync::atomic::AtomicBool>);

impl Gate {
    pub fn open(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    async fn passed(&self) {
        while !self.0.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A document the origin serves at a path.
#[derive(Clone)]
pub struct Doc {
    pub content_type: String,
    pub body: Vec<u8>,
    pub etag: String,
    pub last_modified: String,
}

#[derive(Default)]
struct OriginState {
    docs: Mutex<HashMap<String, Doc>>,
    /// Replies per path: the n-th request gets the n-th, the last repeats.
    scripts: Mutex<HashMap<String, Vec<Reply>>>,
    log: Mutex<Vec<Seen>>,
    in_flight: std::sync::atomic::AtomicUsize,
    max_in_flight: std::sync::atomic::AtomicUsize,
}

/// A loopback HTTP server with conditional GET, for tidings to fetch from.
pub struct Origin {
    pub addr: SocketAddr,
    state: Arc<OriginState>,
}

impl Origin {
    pub async fn start() -> Origin {
        let state = Arc::new(OriginState::default());
        let app = Router::new()
            .route("/{*path}", get(serve_doc))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Origin { addr, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// Serves `body` at `path` with validators derived from the body.
    pub fn put(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        let body = body.into();
        let etag = format!(
            "\"{:x}\"",
            body.iter()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(*b)))
        );
        self.state.docs.lock().unwrap().insert(
            format!("/{}", path.trim_start_matches('/')),
            Doc {
                content_type: content_type.into(),
                body,
                etag,
                last_modified: "Mon, 31 Jul 2017 12:00:00 GMT".into(),
            },
        );
    }

    /// Answers requests to `path` with `replies`, one per request in order;
    /// the last one repeats.
    pub fn script(&self, path: &str, replies: Vec<Reply>) {
        self.state
            .scripts
            .lock()
            .unwrap()
            .insert(format!("/{}", path.trim_start_matches('/')), replies);
    }

    /// The most requests the origin had in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.state
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn log(&self) -> Vec<Seen> {
        self.state.log.lock().unwrap().clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<Seen> {
        self.log().into_iter().filter(|s| s.path == path).collect()
    }
}

async fn serve_doc(
    State(state): State<Arc<OriginState>>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response<Body> {
    use std::sync::atomic::Ordering::SeqCst;
    let now = state.in_flight.fetch_add(1, SeqCst) + 1;
    state.max_in_flight.fetch_max(now, SeqCst);
    let path = format!("/{path}");
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let served_before = state
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.path == path)
        .count();
    let reply = state
        .scripts
        .lock()
        .unwrap()
        .get(&path)
        .map(|r| r[served_before.min(r.len() - 1)].clone())
        .unwrap_or(Reply::Doc);
    let (at, tick) = (Instant::now(), tokio::time::Instant::now());
    let response = answer(&state, &path, &headers, reply).await;
    state.in_flight.fetch_sub(1, SeqCst);
    state.log.lock().unwrap().push(Seen {
        at,
        tick,
        path,
        if_none_match: text(header::IF_NONE_MATCH),
        if_modified_since: text(header::IF_MODIFIED_SINCE),
        user_agent: text(header::USER_AGENT),
        accept_encoding: text(header::ACCEPT_ENCODING),
        status: response.status().as_u16(),
        headers,
    });
    response
}

async fn answer(
    state: &OriginState,
    path: &str,
    headers: &HeaderMap,
    reply: Reply,
) -> Response<Body> {
    let status = |code: u16| Response::builder().status(code);
    match reply {
        Reply::Doc => doc(state, path, headers),
        Reply::Slow(delay) => {
            tokio::time::sleep(delay).await;
            doc(state, path, headers)
        }
        Reply::Gated(gate) => {
            gate.passed().await;
            doc(state, path, headers)
        }
        Reply::Status(code, extra) => {
            let mut b = status(code);
            for (k, v) in extra {
                b = b.header(k, v);
            }
            b.body(Body::empty()).unwrap()
        }
        Reply::Redirect(code, to) => status(code)
            .header(header::LOCATION, to)
            .body(Body::empty())
            .unwrap(),
        Reply::Drip { bytes, every } => {
            let stream = futures_util::stream::unfold(0usize, move |sent| async move {
                if sent == bytes {
                    return None;
                }
                tokio::time::sleep(every).await;
                Some((
                    Ok::<_, std::io::Error>(bytes::Bytes::from_static(b" ")),
                    sent + 1,
                ))
            });
            status(200)
                .header(header::CONTENT_TYPE, "application/rss+xml")
                .body(Body::from_stream(stream))
                .unwrap()
        }
        Reply::Endless => {
            let chunk = bytes::Bytes::from(vec![b' '; 64 * 1024]);
            let stream =
                futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            status(200)
                .header(header::CONTENT_TYPE, "application/rss+xml")
                .body(Body::from_stream(stream))
                .unwrap()
        }
        Reply::GzipBomb { decoded } => status(200)
            .header(header::CONTENT_TYPE, "application/rss+xml")
            .header(header::CONTENT_ENCODING, "gzip")
            .body(Body::from(gzip_bomb(decoded)))
            .unwrap(),
    }
}

/// A gzip body of `decoded` zero bytes, made once per size: compressing it
/// takes seconds in a debug build on a busy machine, longer than a test's
/// fetch timeout.
fn gzip_bomb(decoded: usize) -> bytes::Bytes {
    static MADE: Mutex<Option<HashMap<usize, bytes::Bytes>>> = Mutex::new(None);
    let mut made = MADE.lock().unwrap();
    made.get_or_insert_with(HashMap::new)
        .entry(decoded)
        .or_insert_with(|| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..decoded.div_ceil(zeros.len()) {
                std::io::Write::write_all(&mut gz, &zeros).unwrap();
            }
            bytes::Bytes::from(gz.finish().unwrap())
        })
        .clone()
}

fn doc(state: &OriginState, path: &str, headers: &HeaderMap) -> Response<Body> {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let Some(doc) = state.docs.lock().unwrap().get(path).cloned() else {
        return Response::builder()
            .status(404)
            .body(Body::from("not found"))
            .unwrap();
    };
    let fresh = text(header::IF_NONE_MATCH).is_some_and(|t| t == doc.etag)
        || (text(header::IF_NONE_MATCH).is_none()
            && text(header::IF_MODIFIED_SINCE).is_some_and(|t| t == doc.last_modified));
    let builder = Response::builder()
        .header(header::ETAG, &doc.etag)
        .header(header::LAST_MODIFIED, &doc.last_modified);
    if fresh {
        builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap()
    } else {
        builder
            .header(header::CONTENT_TYPE, &doc.content_type)
            .body(Body::from(doc.body))
            .unwrap()
    }
}

/// An HTTP client for talking to the daemon, without automatic
/// decompression so tests see `Content-Encoding` themselves.
pub fn client() -> reqwest::Client {
    // The crate uses rustls without a built-in provider; pick ring, as the
    // daemon does.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap()
}

/// A free loopback port (bound, then released for the daemon to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tidings"))
}

/// Runs `tidings ARGS` to completion; returns (exit code, stdout, stderr).
pub fn tidings(args: &[&str]) -> (i32, String, String) {
    tidings_under(&[], args)
}

/// Runs `WRAPPER... tidings ARGS` to completion (a limit such as `prlimit`
/// or `timeout` in front, or nothing), in the tests' environment; returns
/// (exit code, stdout, stderr).
pub fn tidings_under(wrapper: &[&str], args: &[&str]) -> (i32, String, String) {
    let mut cmd = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut cmd = Command::new(program);
            cmd.args(rest).arg(bin());
            cmd
        }
        None => Command::new(bin()),
    };
    let out = cmd
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("STATE_DIRECTORY")
        .env_remove("TIDINGS_CONFIG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A `tidings run` process, killed when dropped.
pub struct Daemon {
    pub child: Child,
    pub base: String,
    pub stderr_path: PathBuf,
}

impl Daemon {
    /// Starts `tidings run -c config` (with its stderr in `log`) and waits
    /// until it answers HTTP on `port`.
    pub fn start(config: &std::path::Path, port: u16, log: PathBuf) -> Daemon {
        Daemon::start_with(config, port, log, &[])
    }

    /// As `start`, with extra environment variables.
    pub fn start_with(
        config: &std::path::Path,
        port: u16,
        log: PathBuf,
        env: &[(&str, &str)],
    ) -> Daemon {
        let child = Command::new(bin())
            .args(["run", "-c"])
            .arg(config)
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .env_remove("STATE_DIRECTORY")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let d = Daemon {
            child,
            base: format!("http://127.0.0.1:{port}"),
            stderr_path: log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "daemon did not listen: {}",
                d.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        d
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Sends `signal` (such as `HUP`) to the daemon.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
    }

    /// Sends SIGTERM and waits for the exit; returns the exit code and how
    /// long it took.
    pub fn terminate(&mut self) -> (Option<i32>, Duration) {
        let start = Instant::now();
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code(), start.elapsed());
            }
            if start.elapsed() > Duration::from_secs(15) {
                return (None, start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` every 100 ms until it returns Some, or panics after
/// `secs` seconds with `what`.
pub async fn wait_for<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A plain HTTP client for talking to the daemon (reqwest needs a TLS
/// crypto provider installed before any client is built).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A config file for a test, built section by section: `[server]` listens
/// on loopback, `[store]` keeps its state in the test's folder, `[fetch]`
/// allows the loopback origin; each test adds only what it is about.
pub struct Config {
    dir: PathBuf,
    server: String,
    store: String,
    fetch: String,
    entries: String,
}

impl Config {
    /// A config in `dir` (state in `dir/state`) listening on `port`.
    pub fn new(dir: &std::path::Path, port: u16) -> Config {
        Config {
            dir: dir.to_path_buf(),
            server: format!("listen = \"127.0.0.1:{port}\"\n"),
            store: format!("state_dir = \"{}\"\n", dir.join("state").display()),
            fetch: "allow_private = true\n".to_string(),
            entries: String::new(),
        }
    }

    /// More `[server]` lines.
    pub fn server(mut self, lines: &str) -> Config {
        self.server.push_str(lines);
        self.server.push('\n');
        self
    }

    /// More `[fetch]` lines.
    pub fn fetch(mut self, lines: &str) -> Config {
        self.fetch.push_str(lines);
        self.fetch.push('\n');
        self
    }

    /// A `feed` source polling `url`.
    pub fn feed_source(self, id: &str, url: &str) -> Config {
        self.entries(&format!(
            "[[source]]\nid = \"{id}\"\nkind = \"feed\"\nurl = \"{url}\"\n"
        ))
    }

    /// `[[source]]` and `[[feed]]` entries as written.
    pub fn entries(mut self, toml: &str) -> Config {
        self.entries.push('\n');
        self.entries.push_str(toml);
        self.entries.push('\n');
        self
    }

    /// The config's text.
    pub fn text(&self) -> String {
        format!(
            "[server]\n{}\n[store]\n{}\n[fetch]\n{}{}",
            self.server, self.store, self.fetch, self.entries
        )
    }

    /// Writes the config as `dir/name` and returns its path.
    pub fn write_as(&self, name: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, self.text()).unwrap();
        path
    }

    /// Writes the config as `dir/tidings.toml` and returns its path.
    pub fn write(&self) -> PathBuf {
        self.write_as("tidings.toml")
    }
}

/// Runs `newsboat -x reload` subscribed to `urls`, with `folder` (made
/// here) as its home, config and cache; returns the cache it wrote, to read
/// what newsboat stored. Fails when newsboat is missing or fails.
pub async fn newsboat_reload(folder: PathBuf, urls: &[String]) -> rusqlite::Connection {
    std::fs::create_dir(&folder).unwrap();
    let list: String = urls.iter().map(|u| format!("{u}\n")).collect();
    std::fs::write(folder.join("urls"), list).unwrap();
    std::fs::write(folder.join("config"), "").unwrap();
    let home = folder.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("newsboat")
            .current_dir(&home)
            .env("HOME", &home)
            .args([
                "-x", "reload", "-u", "urls", "-c", "cache.db", "-C", "config",
            ])
            .output()
            .expect("install newsboat: apt-get install -y newsboat")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "newsboat failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    rusqlite::Connection::open(folder.join("cache.db")).unwrap()
}

/// The count of `tidings_feed_renders_total` for `feed` in a `/metrics`
/// text (0 when absent).
pub fn renders(metrics: &str, feed: &str) -> f64 {
    let label = format!("tidings_feed_renders_total{{feed=\"{feed}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&label))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}
