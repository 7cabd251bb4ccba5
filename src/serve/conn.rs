//! Serving connections: [`run`] accepts within [`Limits`], hands each
//! connection to a serving thread, each request to the [`Service`] (its
//! answer at once, else its router, on the caller's runtime), watches each
//! connection's activity (idle, unread responses) and drains on stop.
//! Depends only on hyper, axum's `Router`, tokio (and tokio-util's
//! abort-on-drop handle) and the `Service` of `serve`.

use super::Service;
use axum::extract::Request;
use bytes::Bytes;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Bounds on what clients may hold, so slow, idle or half-open ones cannot
/// starve readers.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; one more is closed as soon as accepted.
    pub max_connections: usize,
    /// Time a client has to send a request's head; the longest a
    /// connection (HTTP/1 or HTTP/2) stays open with no request in progress
    /// (a request body still arriving after its answer was sent does not
    /// count); the longest a response may go unread (an HTTP/2 window
    /// never opened); and how long a connection being closed may take to
    /// finish what it has in progress.
    pub header_timeout: std::time::Duration,
}

/// Largest request head accepted: feed readers send a few hundred bytes.
const MAX_HEAD: usize = 16 * 1024;

/// Streams one HTTP/2 connection may have open at once: a feed reader needs
/// a handful, and each is a task here.
const MAX_STREAMS: u32 = 32;

/// The longest the daemon waits for open connections when it stops: SIGTERM
/// must end the process within 10 s.
const STOP_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves `service` on `listener` within `limits` until `shutdown` resolves,
/// then stops accepting and gives open connections a short while to finish
/// their requests.
///
/// Connections are served the way nginx's workers serve them: on a
/// multi-threaded runtime, one serving thread per worker, each with a
/// single-threaded runtime of its own, takes the connections the acceptor
/// hands it in turn, so a connection's reads, answers and writes stay on
/// one thread instead of waking another for each request. Requests the
/// [`Service`] cannot answer at once are routed on the caller's runtime,
/// where the rest of the daemon runs. On a single-threaded runtime (the
/// tests on tokio's paused clock) connections are served on it.
///
/// Each connection is watched: once it has had no request in progress for
/// `header_timeout`, or a response it has not read from for as long, it is
/// asked to close (HTTP/2 GOAWAY), and one that has not closed
/// `header_timeout` later is dropped. hyper's own timers cover HTTP/1
/// heads only, and an HTTP/2 client answering PINGs, holding a stream
/// open, or never opening its flow-control window for a response would
/// otherwise keep its slot for ever.
///
/// Fails when a serving thread cannot be started.
pub async fn run(
    listener: tokio::net::TcpListener,
    service: Service,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let here = tokio::runtime::Handle::current();
    let (lanes, done) = lanes(&here)?;
    let open = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let conns = Arc::new(Connections::new(service, limits, here));
    tokio::pin!(shutdown);
    for lane in lanes.iter().cycle() {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like pass; back off
                    // instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        // Out of this runtime's reactor, into the lane's (registered
        // there, inside its task).
        let Ok(stream) = stream.into_std() else {
            continue;
        };
        let (conns, stop) = (conns.clone(), stop_rx.clone());
        lane.spawn(async move {
            if let Ok(stream) = tokio::net::TcpStream::from_std(stream) {
                conns.serve(stream, stop).await;
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a permit until it ends: taking them all waits
    // for the last one.
    let _ = open.acquire_many(limits.max_connections as u32).await;
    drop(done);
    Ok(())
}

/// The runtimes connections are served on: one single-threaded runtime on
/// a thread of its own per worker of `here`, or `here` itself when it has
/// one thread. The serving threads run until the returned sender is
/// dropped (or `run`, holding it, is).
fn lanes(
    here: &tokio::runtime::Handle,
) -> std::io::Result<(Vec<tokio::runtime::Handle>, tokio::sync::watch::Sender<()>)> {
    let (done, finished) = tokio::sync::watch::channel(());
    if here.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread {
        return Ok((vec![here.clone()], done));
    }
    let mut lanes = Vec::new();
    for n in 0..here.metrics().num_workers().max(1) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        lanes.push(runtime.handle().clone());
        let mut finished = finished.clone();
        std::thread::Builder::new()
            .name(format!("tidings-serve-{n}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let _ = finished.changed().await;
                })
            })?;
    }
    Ok((lanes, done))
}

/// What every connection is served with: hyper's settings, the service,
/// and the runtime requests the service cannot answer at once are routed
/// on.
struct Connections {
    builder: hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    service: Service,
    routed: hyper_util::service::TowerToHyperService<axum::Router>,
    routing: tokio::runtime::Handle,
    limit: std::time::Duration,
}

impl Connections {
    fn new(service: Service, limits: Limits, routing: tokio::runtime::Handle) -> Connections {
        use hyper_util::rt::{TokioExecutor, TokioTimer};
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_buf_size(MAX_HEAD);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(MAX_HEAD as u32)
            .max_concurrent_streams(MAX_STREAMS)
            .keep_alive_interval(Some(limits.header_timeout))
            .keep_alive_timeout(limits.header_timeout);
        let routed = hyper_util::service::TowerToHyperService::new(service.router.clone());
        Connections {
            builder,
            service,
            routed,
            routing,
            limit: limits.header_timeout,
        }
    }

    /// Serves one connection until it ends, is closed for idling or
    /// stalling, or has drained after `stop` changed.
    async fn serve(
        self: Arc<Self>,
        stream: tokio::net::TcpStream,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let activity = Arc::new(Activity::new());
        let svc = {
            let (conns, activity) = (self.clone(), activity.clone());
            hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let busy = activity.begin();
                let answer = conns.service.at_once(&req).ok_or(req).map_err(|req| {
                    // Aborted if the connection goes before the answer, as
                    // the handler would be were it polled here.
                    tokio_util::task::AbortOnDropHandle::new(
                        conns
                            .routing
                            .spawn(hyper::service::Service::call(&conns.routed, req)),
                    )
                });
                async move {
                    let resp = match answer {
                        Ok(resp) => resp.map(|b| Payload::Bytes(Some(b).filter(|b| !b.is_empty()))),
                        Err(routing) => match routing.await {
                            Ok(resp) => resp?.map(Payload::Routed),
                            // The handler panicked, or the daemon is stopping.
                            Err(_) => {
                                let mut resp = axum::http::Response::new(Payload::Bytes(None));
                                *resp.status_mut() = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                                resp
                            }
                        },
                    };
                    Ok::<_, std::convert::Infallible>(resp.map(|b| Tracked::new(b, busy)))
                }
            })
        };
        let limit = self.limit;
        let conn = self
            .builder
            .serve_connection_with_upgrades(hyper_util::rt::TokioIo::new(stream), svc);
        tokio::pin!(conn);
        let mut drain_until: Option<tokio::time::Instant> = None;
        loop {
            let draining = drain_until.is_some();
            tokio::select! {
                _ = conn.as_mut() => break,
                _ = stop.changed(), if !draining => {
                    conn.as_mut().graceful_shutdown();
                    drain_until = Some(tokio::time::Instant::now() + limit.min(STOP_DRAIN));
                }
                _ = tokio::time::sleep(limit / 4), if !draining => {
                    if activity.idle_for() >= limit || activity.stalled_for() >= limit {
                        conn.as_mut().graceful_shutdown();
                        drain_until = Some(tokio::time::Instant::now() + limit);
                    }
                }
                _ = tokio::time::sleep_until(drain_until.unwrap_or_else(tokio::time::Instant::now)), if draining => break,
            }
        }
    }
}

/// What one connection is doing: requests in progress (from their head to
/// the end of the response body), when the last one ended, and when each
/// response being sent last made progress.
struct Activity {
    // A std mutex: it is held only to read or update counters and times.
    state: std::sync::Mutex<ActivityState>,
}

struct ActivityState {
    busy: usize,
    since: tokio::time::Instant,
    /// Responses being sent, by number: when their body was created or
    /// last read by the connection. A few at most (one on HTTP/1, up to
    /// `MAX_STREAMS` on HTTP/2), so a list.
    sending: Vec<(u64, tokio::time::Instant)>,
    next: u64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            state: std::sync::Mutex::new(ActivityState {
                busy: 0,
                since: tokio::time::Instant::now(),
                sending: Vec::new(),
                next: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ActivityState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn begin(self: &Arc<Self>) -> Busy {
        self.lock().busy += 1;
        Busy {
            activity: self.clone(),
            response: None,
        }
    }

    /// A response starts being sent; returns its number for
    /// [`Activity::progress`].
    fn sending(&self) -> u64 {
        let mut state = self.lock();
        let n = state.next;
        state.next += 1;
        state.sending.push((n, tokio::time::Instant::now()));
        n
    }

    fn progress(&self, response: u64) {
        if let Some((_, at)) = self.lock().sending.iter_mut().find(|(n, _)| *n == response) {
            *at = tokio::time::Instant::now();
        }
    }

    /// How long no request has been in progress; zero while one is.
    fn idle_for(&self) -> std::time::Duration {
        let state = self.lock();
        if state.busy > 0 {
            std::time::Duration::ZERO
        } else {
            state.since.elapsed()
        }
    }

    /// How long the response that has waited longest has not been read
    /// from: an HTTP/2 client that never opens its flow-control window
    /// leaves its response unread (and the connection busy) for ever.
    fn stalled_for(&self) -> std::time::Duration {
        self.lock()
            .sending
            .iter()
            .map(|(_, at)| *at)
            .min()
            .map_or(std::time::Duration::ZERO, |at| at.elapsed())
    }
}

/// One request in progress on a connection, until dropped; with the
/// number of its response once that is being sent.
struct Busy {
    activity: Arc<Activity>,
    response: Option<u64>,
}

impl Drop for Busy {
    fn drop(&mut self) {
        let mut state = self.activity.lock();
        state.busy -= 1;
        state.since = tokio::time::Instant::now();
        if let Some(n) = self.response
            && let Some(at) = state.sending.iter().position(|(m, _)| *m == n)
        {
            state.sending.swap_remove(at);
        }
    }
}

/// A response's body: bytes answered at once (`None` once sent, or for
/// none), or the router's.
enum Payload {
    Bytes(Option<Bytes>),
    Routed(axum::body::Body),
}

/// A response body that keeps its request counted as in progress until it
/// is sent (or dropped), and tells the connection's watch each time it is
/// read.
struct Tracked {
    inner: Payload,
    response: u64,
    // Dropped with the body: the request ends and the response is no
    // longer being sent.
    busy: Busy,
}

impl Tracked {
    fn new(inner: Payload, mut busy: Busy) -> Tracked {
        let response = busy.activity.sending();
        busy.response = Some(response);
        Tracked {
            inner,
            response,
            busy,
        }
    }
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        this.busy.activity.progress(this.response);
        match &mut this.inner {
            Payload::Bytes(bytes) => {
                Poll::Ready(bytes.take().map(|b| Ok(http_body::Frame::data(b))))
            }
            Payload::Routed(body) => std::pin::Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Payload::Bytes(bytes) => bytes.is_none(),
            Payload::Routed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match &self.inner {
            Payload::Bytes(bytes) => {
                http_body::SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            Payload::Routed(body) => body.size_hint(),
        }
    }
}
