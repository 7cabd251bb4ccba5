//! `tidings run` as a service: serve, supervise one task per source, reload
//! the config on request, and tell systemd how it goes (`READY=1`,
//! `RELOADING=1`, `WATCHDOG=1` while healthy, `STOPPING=1`).
//!
//! Part of `app`, the composition root.

use super::{App, AppError};
use crate::config::{Config, Source};
use crate::serve::{self, Health, OnDemand, Shared};
use sd_notify::NotifyState;
use std::collections::HashMap;
use std::os::fd::FromRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

/// What the daemon is asked to do while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Re-read the config file; keep the running config if it is invalid.
    Reload,
    /// Stop accepting, let store writes finish, return.
    Stop,
}

/// How often the supervisor ticks; the scheduler counts as alive while its
/// last tick is recent.
const TICK: Duration = Duration::from_secs(1);

/// The longest a stopping daemon waits for open HTTP requests.
const DRAIN: Duration = Duration::from_secs(5);

/// `tidings run`: renders what the store has, serves it on `listener` (else
/// a socket passed by systemd, else `server.listen`), and fetches each
/// source on its schedule until told to stop.
///
/// Fails when it cannot listen or open the store.
pub async fn run(
    config: Config,
    listener: Option<tokio::net::TcpListener>,
    mut control: mpsc::Receiver<Control>,
) -> Result<(), AppError> {
    let listener = match listener {
        Some(l) => l,
        None => listen(&config.server.listen).await?,
    };
    let app = App::open(config).await?;
    // Taken before rendering: a change made meanwhile is rendered again.
    let version = app.store.changes_since(0).await?.version;
    let (stop_tx, stop_rx) = watch::channel(false);
    let renderer = app.spawn_renderer(stop_rx.clone());
    app.render_all().await;
    info!(instance = app.scheduler.instance, "started");
    let ticks = Arc::new(AtomicI64::new(app.now().timestamp()));
    let health: Arc<dyn Health> = Arc::new(Checkup {
        app: app.clone(),
        ticks: ticks.clone(),
    });
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let admin_token = Arc::new(std::sync::RwLock::new(
        app.config().server.admin_token.clone().map(|t| t.0),
    ));
    let router = serve::router(Shared {
        feeds: app.publisher.feeds.clone(),
        metrics: app.metrics.clone(),
        health: health.clone(),
        on_demand: Arc::new(SourceFeeds(app.clone())),
        admin_token: admin_token.clone(),
        callbacks: Arc::new(super::push::PushCallbacks(app.clone())),
        queries: app.publisher.queries.clone(),
    });
    let mut server_stop = stop_rx.clone();
    let limits = serve::Limits {
        max_connections: app.config().server.max_connections,
        header_timeout: app.config().server.header_timeout,
    };
    let server = tokio::spawn(serve::run(listener, router, limits, async move {
        let _ = server_stop.changed().await;
    }));
    info!("serving on http://{addr}/");

    let mut sources = Supervisor::default();
    sources.sync(&app, &app.config().sources);
    let prune = tokio::spawn(app.clone().prune_loop(stop_rx.clone()));
    let archive = tokio::spawn(app.clone().archive_loop(stop_rx.clone()));
    let changes = tokio::spawn(app.clone().watch_loop(version, stop_rx.clone()));
    let push = tokio::spawn(app.clone().push_loop(stop_rx.clone()));
    let watchdog = sd_notify::watchdog_enabled()
        .map(|period| tokio::spawn(watchdog(health.clone(), period / 2, stop_rx.clone())));
    notify(&[NotifyState::Ready, NotifyState::Status("serving")]);

    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            c = control.recv() => match c {
                Some(Control::Reload) => {
                    notify(&[NotifyState::Reloading]);
                    reload(&app, &mut sources, &admin_token).await;
                    notify(&[NotifyState::Ready, NotifyState::Status("serving")]);
                }
                Some(Control::Stop) | None => break,
            },
            _ = tick.tick() => {
                sources.restart_crashed(&app);
                ticks.store(app.now().timestamp(), Ordering::Relaxed);
            }
        }
    }
    info!("stopping");
    notify(&[NotifyState::Stopping]);
    let _ = stop_tx.send(true);
    sources.stop_all().await;
    let _ = prune.await;
    let _ = archive.await;
    let _ = changes.await;
    let _ = push.await;
    let _ = renderer.await;
    if let Some(w) = watchdog {
        let _ = w.await;
    }
    match tokio::time::timeout(DRAIN, server).await {
        Ok(Ok(Ok(()))) | Err(_) => Ok(()),
        Ok(Ok(Err(e))) => Err(AppError::Listen(addr, e)),
        Ok(Err(e)) => Err(AppError::Listen(addr, std::io::Error::other(e))),
    }
}

/// The socket systemd passed (socket activation), else a new one bound to
/// `addr`.
async fn listen(addr: &str) -> Result<tokio::net::TcpListener, AppError> {
    let bind_err = |e| AppError::Listen(addr.to_string(), e);
    if let Some(fd) = sd_notify::listen_fds().ok().and_then(|mut fds| fds.next()) {
        // SAFETY: systemd hands over the listening socket as this fd (its
        // LISTEN_PID is ours), no other code in the process owns it, and
        // `listen` runs once, at start, so it is taken only once.
        let std = unsafe { std::net::TcpListener::from_raw_fd(fd) };
        std.set_nonblocking(true).map_err(bind_err)?;
        return tokio::net::TcpListener::from_std(std).map_err(bind_err);
    }
    tokio::net::TcpListener::bind(addr).await.map_err(bind_err)
}

/// Tells systemd, when it started the daemon with `NOTIFY_SOCKET`.
fn notify(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        warn!("cannot notify systemd: {e}");
    }
}

/// Re-reads the config file. A valid one replaces the running config: new
/// and changed sources start, removed ones stop, and every feed is
/// re-rendered (an unchanged one keeps its bytes and ETag). An invalid one
/// is logged, error by error, and the running config stays.
async fn reload(
    app: &Arc<App>,
    sources: &mut Supervisor,
    admin_token: &std::sync::RwLock<Option<String>>,
) {
    let old = app.config();
    let new = match Config::load(&old.path) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors.0 {
                error!("{e}");
            }
            warn!("reload refused: the running config stays");
            return;
        }
    };
    if new.server.listen != old.server.listen
        || new.store != old.store
        || new.fetch.concurrency != old.fetch.concurrency
        || new.fetch.per_host != old.fetch.per_host
        || new.fetch.allow_private != old.fetch.allow_private
        || new.fetch.proxy != old.fetch.proxy
    {
        warn!(
            "server.listen, [store], fetch.concurrency, fetch.per_host, fetch.allow_private and fetch.proxy take effect on restart"
        );
    }
    *admin_token.write().unwrap_or_else(|p| p.into_inner()) =
        new.server.admin_token.clone().map(|t| t.0);
    app.set_config(new);
    let config = app.config();
    sources.sync(app, &config.sources);
    // Subscriptions of removed sources (or all, with websub_subscribe
    // turned off) are given up; new ones asked for.
    app.push.wake();
    let keep = |path: &str| {
        let base = path.rsplit_once('.').map_or(path, |(b, _)| b);
        match base.split_once('/') {
            Some(("feeds", id)) => config.feed(id).is_some(),
            Some(("sources", id)) => config.source(id).is_some(),
            // The index page and the OPML list are rebuilt by render_all.
            _ => true,
        }
    };
    app.publisher.feeds.retain(keep);
    app.render_all().await;
    info!(
        "reloaded {}: {} sources, {} feeds",
        config.path.display(),
        config.sources.len(),
        config.feeds.len()
    );
}

/// One task per source, restarted when its config changes.
#[derive(Default)]
struct Supervisor {
    running: HashMap<String, Running>,
}

struct Running {
    // Shared with the source's task: one copy of the source besides the
    // config's, not two (at 100,000 sources each copy is tens of MB).
    source: Arc<Source>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Supervisor {
    /// Starts sources that are new or changed, and stops the others that
    /// are no longer configured (a stop lets a store write finish).
    fn sync(&mut self, app: &Arc<App>, sources: &[Source]) {
        let wanted: HashMap<&str, &Source> = sources.iter().map(|s| (s.id.as_str(), s)).collect();
        self.running.retain(|id, r| {
            let keep = wanted.get(id.as_str()).is_some_and(|s| **s == *r.source);
            if !keep {
                info!(source = id, "stopped");
                let _ = r.stop.send(true);
            }
            keep
        });
        for source in sources {
            if !self.running.contains_key(&source.id) {
                self.start(app, Arc::new(source.clone()));
            }
        }
    }

    fn start(&mut self, app: &Arc<App>, source: Arc<Source>) {
        let (stop, rx) = watch::channel(false);
        let task = tokio::spawn(app.clone().source_loop(source.clone(), rx));
        self.running
            .insert(source.id.clone(), Running { source, stop, task });
    }

    /// A source task that ended without being stopped panicked: log it and
    /// start it again, so one bad source cannot stop its own fetching.
    fn restart_crashed(&mut self, app: &Arc<App>) {
        let crashed: Vec<Arc<Source>> = self
            .running
            .values()
            .filter(|r| r.task.is_finished() && !*r.stop.borrow())
            .map(|r| r.source.clone())
            .collect();
        for source in crashed {
            error!(
                source = source.id,
                "the source's task ended unexpectedly; restarting it"
            );
            self.start(app, source);
        }
    }

    async fn stop_all(&mut self) {
        for r in self.running.values() {
            let _ = r.stop.send(true);
        }
        for (_, r) in self.running.drain() {
            let _ = r.task.await;
        }
    }
}

/// The daemon's health: the store answers and the supervisor ticked lately.
struct Checkup {
    app: Arc<App>,
    ticks: Arc<AtomicI64>,
}

#[async_trait::async_trait]
impl Health for Checkup {
    async fn healthy(&self) -> bool {
        let ticked = self.app.now().timestamp() - self.ticks.load(Ordering::Relaxed)
            <= 3 * TICK.as_secs() as i64;
        let store = tokio::time::timeout(Duration::from_secs(2), self.app.store.ping()).await;
        ticked && matches!(store, Ok(Ok(())))
    }
}

/// Renders sources' own feeds when readers ask for them.
struct SourceFeeds(Arc<App>);

#[async_trait::async_trait]
impl OnDemand for SourceFeeds {
    async fn render(&self, base: &str) -> bool {
        if let Some(id) = base.strip_prefix("sources/") {
            return self.0.render_source_on_demand(id).await;
        }
        let Some((id, n)) = base
            .strip_prefix("feeds/")
            .and_then(|rest| rest.split_once("/archive/"))
            .and_then(|(id, n)| Some((id, n.parse::<u64>().ok()?)))
        else {
            return false;
        };
        match self.0.archive_page(id, n).await {
            Ok(Some(pages)) => {
                for (path, rendered) in pages {
                    self.0.publisher.feeds.keep(path, rendered);
                }
                true
            }
            Ok(None) => false,
            Err(e) => {
                warn!(
                    feed = id,
                    "cannot read archive page {n}: {}",
                    crate::fetch::error_chain(&e)
                );
                false
            }
        }
    }

    async fn article(&self, source: &str, path: &str) -> Option<String> {
        self.0.local_article_page(source, path).await
    }

    async fn query(&self, id: &str, ext: &str, query: &serve::FeedQuery) -> serve::Answer {
        self.0.render_query(id, ext, query).await
    }

    async fn index(&self) -> Option<Arc<serve::Rendered>> {
        self.0.rendered_index().await
    }
}

/// Pets systemd's watchdog every `every`, but only while healthy: a daemon
/// whose store or scheduler hangs is restarted by systemd.
async fn watchdog(health: Arc<dyn Health>, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = tick.tick() => {
                if health.healthy().await {
                    notify(&[NotifyState::Watchdog]);
                } else {
                    warn!("unhealthy: not petting the watchdog");
                }
            }
        }
    }
}
