//! tidings as a system service: sd_notify readiness and watchdog, SIGHUP
//! reload (good and bad), SIGTERM, /healthz and /metrics, the shipped
//! systemd unit — scored by `systemd-analyze` and run, hardening and all, by
//! a real systemd — and the Debian package, installed with `dpkg -i` into
//! that systemd's private namespaces and started there.

use crate::common::{Config, Daemon, Origin, client, free_port, wait_for};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Valley Post</title><link>https://valley.example/</link><description>d</description>
<item><title>Orchard harvest starts early</title><link>https://valley.example/orchard</link><pubDate>Sat, 07 Mar 2026 08:00:00 GMT</pubDate><description>Warm spring.</description></item>
</channel></rss>"#;

fn write_config(dir: &Path, port: u16, origin: &Origin, feeds: &str) -> PathBuf {
    Config::new(dir, port)
        .feed_source("valley", &origin.url("valley.xml"))
        .entries(feeds)
        .write()
}

/// Everything sent to a notify socket so far, one datagram per entry.
fn drain(socket: &UnixDatagram) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = socket.recv(&mut buf) {
        out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_reload_and_stop() {
    let origin = Origin::start().await;
    origin.put("valley.xml", "application/rss+xml", FEED);
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket.set_nonblocking(true).unwrap();
    let port = free_port();
    let cfg = write_config(
        dir.path(),
        port,
        &origin,
        "[[feed]]\nid = \"first\"\nsources = [\"*\"]\n",
    );
    let mut daemon = Daemon::start_with(
        &cfg,
        port,
        dir.path().join("log"),
        &[
            ("NOTIFY_SOCKET", socket_path.to_str().unwrap()),
            ("WATCHDOG_USEC", "1000000"),
        ],
    );
    let http = client();
    let first = format!("{}/feeds/first.rss", daemon.base);
    wait_for(10, "the feed to have its item", || {
        let (http, first) = (http.clone(), first.clone());
        async move {
            let body = http.get(&first).send().await.ok()?.text().await.ok()?;
            body.contains("Orchard harvest").then_some(())
        }
    })
    .await;
    // READY once listening with the store open; WATCHDOG at half the period.
    let mut said = Vec::new();
    wait_for(10, "two watchdog pets", || {
        said.extend(drain(&socket));
        let pets = said.iter().filter(|m| *m == "WATCHDOG=1\n").count();
        std::future::ready((pets >= 2).then_some(()))
    })
    .await;
    assert_eq!(said[0], "READY=1\nSTATUS=serving\n", "{said:?}");

    // A bad config on SIGHUP: the errors are logged with their place, the
    // running config keeps serving, on the same connection.
    let etag = http.get(&first).send().await.unwrap().headers()["etag"].clone();
    std::fs::write(
        &cfg,
        "[server]\nlisten = \"127.0.0.1:1\"\n\n[[feed]]\nid = \"Bad Id\"\nsources = [\"*\"]\n",
    )
    .unwrap();
    daemon.signal("HUP");
    let cfg_name = cfg.display().to_string();
    wait_for(10, "the refused reload in the log", || {
        let log = daemon.stderr();
        async move { log.contains("reload refused").then_some(()) }
    })
    .await;
    let log = daemon.stderr();
    assert!(
        log.contains(&format!("{cfg_name}:5:6: feed[0].id: ")),
        "{log}"
    );
    let again = http.get(&first).send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["etag"], etag);
    let said = drain(&socket);
    assert!(
        said.contains(&"RELOADING=1\n".to_string())
            && said.contains(&"READY=1\nSTATUS=serving\n".to_string()),
        "{said:?}"
    );

    // A good one: a new feed is served, a removed one is not.
    write_config(
        dir.path(),
        port,
        &origin,
        "[[feed]]\nid = \"second\"\ntitle = \"Second\"\nsources = [\"valley\"]\n",
    );
    daemon.signal("HUP");
    let second = format!("{}/feeds/second.json", daemon.base);
    wait_for(10, "the new feed", || {
        let (http, second) = (http.clone(), second.clone());
        async move {
            let body = http.get(&second).send().await.ok()?.text().await.ok()?;
            body.contains("Orchard harvest").then_some(())
        }
    })
    .await;
    assert_eq!(http.get(&first).send().await.unwrap().status(), 404);

    // SIGTERM: STOPPING, exit 0, quickly.
    let (code, took) = daemon.terminate();
    assert_eq!(code, Some(0), "{}", daemon.stderr());
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(drain(&socket).contains(&"STOPPING=1\n".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_metrics() {
    let origin = Origin::start().await;
    origin.put("valley.xml", "application/rss+xml", FEED);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = write_config(
        dir.path(),
        port,
        &origin,
        "[[feed]]\nid = \"all\"\nsources = [\"*\"]\n",
    );
    let daemon = Daemon::start(&cfg, port, dir.path().join("log"));
    let http = client();
    let all = format!("{}/feeds/all.rss", daemon.base);
    wait_for(10, "the feed", || {
        let (http, all) = (http.clone(), all.clone());
        async move {
            http.get(&all)
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?
                .contains("Orchard")
                .then_some(())
        }
    })
    .await;
    assert_eq!(
        http.get(format!("{}/feeds/none.rss", daemon.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let health = http
        .get(format!("{}/healthz", daemon.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok\n");

    let metrics = http
        .get(format!("{}/metrics", daemon.base))
        .send()
        .await
        .unwrap();
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = metrics.text().await.unwrap();
    let path = dir.path().join("metrics.txt");
    std::fs::write(&path, &text).unwrap();
    // Prometheus' own Python client parses the exposition.
    let script = r#"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        print(s.name, ",".join(f"{k}={v}" for k, v in sorted(s.labels.items())), float(s.value))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the exposition does not parse: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "tidings_fetches_total outcome=changed,source=valley 1.0",
        "tidings_fetch_duration_seconds_count source=valley 1.0",
        "tidings_items_stored_total source=valley 1.0",
        // Rendered empty at start, then with the fetched item.
        "tidings_feed_renders_total feed=feeds/all 2.0",
        "tidings_http_requests_total route=/feeds/{name},status=200",
        "tidings_http_requests_total route=/feeds/{name},status=404 1.0",
        "tidings_http_requests_total route=/healthz,status=200 1.0",
    ] {
        assert!(samples.contains(needle), "{needle:?} not in\n{samples}");
    }
}

const UNIT: &str = include_str!("../../systemd/tidings.service");

#[test]
fn the_unit_is_hardened_to_an_exposure_of_1_5_or_less() {
    let unit = concat!(env!("CARGO_MANIFEST_DIR"), "/systemd/tidings.service");
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager", unit])
        .output()
        .expect("systemd-analyze runs (Debian package systemd)");
    let text = String::from_utf8_lossy(&out.stdout);
    let level: f64 = text
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for tidings.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no exposure level in\n{text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(level <= 1.5, "exposure {level}\n{text}");
}

/// Run inside the new namespaces before systemd: everything systemd would
/// clean or write at boot gets a private tmpfs (its tmpfiles rules empty
/// /tmp at boot, which must not reach the host), the host's enabled units
/// are hidden, and udev, which has no devices to manage here, is masked.
/// Before that, the test's files (`$1`) and the binary's folder (`$2`)
/// are bound under /mnt, so a checkout under /tmp works too.
const STAGE_MOUNTS: &str = "mount -t tmpfs tmpfs /mnt
mkdir /mnt/stage /mnt/bin
mount --bind \"$1\" /mnt/stage
mount --bind \"$2\" /mnt/bin";

const PRIVATE_MOUNTS: &str = "mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /var/tmp
mount -t tmpfs tmpfs /var/lib
mount -t tmpfs tmpfs /etc/systemd/system
if [ -d /var/log/journal ]; then mount -t tmpfs tmpfs /var/log/journal; fi
for u in systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service systemd-udevd-control.socket systemd-udevd-kernel.socket; do
  ln -s /dev/null /etc/systemd/system/$u
done";

const START_SYSTEMD: &str = "exec /lib/systemd/systemd --system --unit=basic.target";

/// A systemd of its own, as PID 1 of new PID and mount namespaces, killed
/// (with everything it started) when dropped.
struct Systemd {
    unshare: Child,
    pid: u32,
}

impl Systemd {
    /// Boots with `stage` visible as /mnt/stage and the tidings binary as
    /// /mnt/bin/tidings.
    fn boot(log: &Path, stage: &Path) -> Systemd {
        Systemd::boot_with(log, stage, "", "")
    }

    /// As `boot`, with shell lines run before and after the private mounts.
    fn boot_with(log: &Path, stage: &Path, before: &str, after: &str) -> Systemd {
        let bin_dir = crate::common::bin()
            .parent()
            .expect("the binary sits in a folder")
            .to_path_buf();
        let script =
            format!("set -e\n{STAGE_MOUNTS}\n{before}\n{PRIVATE_MOUNTS}\n{after}\n{START_SYSTEMD}");
        let unshare = Command::new("unshare")
            .args([
                "--pid",
                "--fork",
                "--mount",
                "--mount-proc",
                "--propagation",
                "private",
                "sh",
                "-c",
                &script,
                "boot",
            ])
            .arg(stage)
            .arg(&bin_dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("unshare runs (Debian package util-linux)");
        let deadline = Instant::now() + Duration::from_secs(30);
        let pid = loop {
            let children = std::fs::read_to_string(format!(
                "/proc/{}/task/{}/children",
                unshare.id(),
                unshare.id()
            ))
            .unwrap_or_default();
            if let Some(pid) = children
                .split_whitespace()
                .next()
                .and_then(|p| p.parse().ok())
            {
                break pid;
            }
            assert!(Instant::now() < deadline, "systemd did not start");
            std::thread::sleep(Duration::from_millis(50));
        };
        let sd = Systemd { unshare, pid };
        loop {
            let state = sd.sh("systemctl is-system-running").1;
            if matches!(state.trim(), "running" | "degraded") {
                return sd;
            }
            assert!(
                Instant::now() < deadline,
                "systemd did not boot: {state}; {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Runs `script` with sh inside systemd's namespaces.
    fn sh(&self, script: &str) -> (bool, String) {
        let out = Command::new("nsenter")
            .args(["-t", &self.pid.to_string(), "-m", "-p", "sh", "-c", script])
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }

    fn show(&self, unit: &str, property: &str) -> String {
        self.sh(&format!("systemctl show -P {property} {unit}"))
            .1
            .trim()
            .to_string()
    }
}

impl Drop for Systemd {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.pid.to_string()])
            .status();
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn systemd_runs_the_hardened_unit() {
    let origin = Origin::start().await;
    origin.put("valley.xml", "application/rss+xml", FEED);
    // Readable by the unit's dynamic user; seen inside as /mnt/stage (see
    // BOOT), so it may live anywhere, /tmp included.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let port = free_port();
    let cfg = dir.path().join("tidings.toml");
    std::fs::write(
        &cfg,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[fetch]\nallow_private = true\n\n[[source]]\nid = \"valley\"\nkind = \"feed\"\nurl = \"{}\"\n\n[[feed]]\nid = \"all\"\nsources = [\"*\"]\n",
            origin.url("valley.xml")
        ),
    )
    .unwrap();
    std::fs::set_permissions(&cfg, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    // The shipped unit with only the binary, the config and the state
    // directory's name changed: every hardening line stays.
    let name = format!("tidings-test-{port}");
    let unit = |bin: &Path, config: &Path| -> String {
        UNIT.lines()
            .map(|l| {
                if l.starts_with("ExecStart=") {
                    format!("ExecStart={} run -c {}", bin.display(), config.display())
                } else if l.starts_with("StateDirectory=") {
                    format!("StateDirectory={name}")
                } else if l.starts_with("ConfigurationDirectory=") {
                    String::new()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Verified with the paths the host sees; run with those the booted
    // systemd sees.
    let unit_file: PathBuf = dir.path().join(format!("{name}.service"));
    std::fs::write(&unit_file, unit(&crate::common::bin(), &cfg)).unwrap();
    // The man page the unit's Documentation= names is not installed here;
    // the package test verifies it where it is.
    let verify = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&unit_file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(
        verify.status.success() && !said.contains(&name),
        "systemd-analyze verify: {said}"
    );

    std::fs::write(
        dir.path().join(format!("{name}.booted")),
        unit(
            Path::new("/mnt/bin/tidings"),
            Path::new("/mnt/stage/tidings.toml"),
        ),
    )
    .unwrap();
    let systemd = Systemd::boot(&dir.path().join("systemd.log"), dir.path());
    let (ok, out) = systemd.sh(&format!(
        "cp /mnt/stage/{name}.booted /run/systemd/system/{name}.service && systemctl daemon-reload && systemctl start {name}"
    ));
    assert!(
        ok,
        "start failed: {out}\n{}",
        systemd.sh(&format!("journalctl -u {name} --no-pager")).1
    );
    // Type=notify: `start` returned after READY=1.
    assert_eq!(systemd.show(&name, "ActiveState"), "active");
    assert_eq!(systemd.show(&name, "StatusText"), "serving");
    let http = client();
    let base = format!("http://127.0.0.1:{port}");
    wait_for(15, "the feed served by the unit", || {
        let (http, url) = (http.clone(), format!("{base}/feeds/all.json"));
        async move {
            http.get(&url)
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?
                .contains("Orchard")
                .then_some(())
        }
    })
    .await;
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // The daemon runs as a dynamic user, not root.
    let user = systemd.show(&name, "MainPID");
    let uid = systemd
        .sh(&format!("awk '/^Uid:/ {{print $2}}' /proc/{user}/status"))
        .1;
    assert_ne!(uid.trim(), "0", "runs as root");
    let (ok, out) = systemd.sh(&format!("systemctl reload {name}"));
    assert!(ok, "reload failed: {out}");
    // `ExecReload` only sends SIGHUP: the job ends when `kill` does, and the
    // unit is `reloading` from the daemon's RELOADING=1 to its READY=1.
    wait_for(10, "the reload logged and the unit active again", || {
        let reloaded = systemd
            .sh(&format!("journalctl -u {name} --no-pager -o cat"))
            .1
            .contains("reloaded");
        let state = systemd.show(&name, "ActiveState");
        async move { (reloaded && state == "active").then_some(()) }
    })
    .await;
    let (ok, out) = systemd.sh(&format!("systemctl stop {name}"));
    assert!(ok, "stop failed: {out}");
    assert_eq!(systemd.show(&name, "Result"), "success");
    assert_eq!(systemd.show(&name, "ExecMainStatus"), "0");
    let journal = systemd
        .sh(&format!("journalctl -u {name} --no-pager -o cat"))
        .1;
    assert!(
        journal.contains("valley: new 1") && journal.contains("reloaded"),
        "{journal}"
    );
    // No seccomp or permission refusal anywhere in its log.
    assert!(
        !journal.contains("Operation not permitted") && !journal.contains("Permission denied"),
        "{journal}"
    );
    let _ = std::fs::remove_dir_all(format!("/var/lib/private/{name}"));
    let _ = std::fs::remove_file(format!("/var/lib/{name}"));
}

/// Mounts run before the private ones in the package test: `/usr`, `/etc`
/// and `/var` become overlays whose writes land in the test's directory
/// (`DIR`), so `dpkg -i` installs into the namespaces and never into the
/// machine's own root; the overlaid dpkg database is kept aside before
/// `/var/lib` is emptied, and put back after.
const OVERLAYS: &str = "for d in usr etc var; do
  mkdir -p DIR/$d/upper DIR/$d/work
  mount -t overlay overlay -o lowerdir=/$d,upperdir=DIR/$d/upper,workdir=DIR/$d/work /$d
done
mkdir -p DIR/dpkg
mount --bind /var/lib/dpkg DIR/dpkg";
const DPKG_BACK: &str = "mkdir -p /var/lib/dpkg
mount --move DIR/dpkg /var/lib/dpkg";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debian_package_installs_and_serves() {
    // Built by `packaging/deb` (cargo build --release, the man page and
    // completions, cargo deb); .ci/run builds it before the tests, so this
    // is then a quick no-op rebuild.
    // Packaged from the `deb-test` profile (a debug build without debug
    // info): what is tested is the package, and a release build with LTO
    // would cost CI a quarter of an hour.
    let built = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/deb"))
        .env("CARGO", env!("CARGO"))
        .env("TIDINGS_DEB_PROFILE", "deb-test")
        .output()
        .expect("packaging/deb runs");
    let said = String::from_utf8_lossy(&built.stdout).into_owned()
        + &String::from_utf8_lossy(&built.stderr);
    assert!(
        built.status.success(),
        "packaging/deb failed (cargo-deb: `cargo install cargo-deb --locked`): {said}"
    );
    let deb = said
        .lines()
        .map(str::trim)
        .rfind(|l| l.ends_with(".deb"))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no .deb named in {said}"));
    let deb = std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join(deb)).unwrap();

    let origin = Origin::start().await;
    origin.put("valley.xml", "application/rss+xml", FEED);
    // Outside /tmp (a tmpfs in the namespaces) and /usr, /etc, /var (the
    // overlays).
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    // Seen inside as /mnt/stage (see STAGE_MOUNTS), wherever the checkout is.
    std::fs::copy(&deb, dir.path().join("tidings.deb")).unwrap();
    let root = "/mnt/stage";
    let systemd = Systemd::boot_with(
        &dir.path().join("systemd.log"),
        dir.path(),
        &OVERLAYS.replace("DIR", root),
        &DPKG_BACK.replace("DIR", root),
    );
    let (ok, out) = systemd.sh("dpkg -i /mnt/stage/tidings.deb");
    assert!(ok, "dpkg -i: {out}");
    let (_, status) = systemd.sh("dpkg-query -W -f '${Status} ${Conffiles}' tidings");
    assert!(status.starts_with("install ok installed"), "{status}");
    assert!(
        status.contains("/etc/tidings/tidings.toml"),
        "a conffile: {status}"
    );
    // Everything the package promises is in its place.
    for path in [
        "/usr/bin/tidings",
        "/lib/systemd/system/tidings.service",
        "/etc/tidings/articles/library-reopens.md",
        "/usr/share/man/man1/tidings.1.gz",
        "/usr/share/man/man1/tidings-fetch.1.gz",
        "/usr/share/man/man1/tidings-opml-import.1.gz",
        "/usr/share/bash-completion/completions/tidings",
        "/usr/share/zsh/vendor-completions/_tidings",
        "/usr/share/fish/vendor_completions.d/tidings.fish",
        "/usr/share/doc/tidings/copyright",
    ] {
        let (ok, out) = systemd.sh(&format!("test -s {path}"));
        assert!(ok, "{path} missing: {out}");
    }
    assert!(
        !Path::new("/usr/bin/tidings").exists(),
        "the package reached the machine's own /usr"
    );
    // The shipped example config is valid as installed, and the man page
    // is found by name.
    let (ok, out) = systemd.sh("tidings check");
    assert!(ok, "tidings check: {out}");
    let (ok, out) = systemd.sh("MANWIDTH=80 man -P cat tidings");
    assert!(ok && out.contains("tidings-fetch"), "man tidings: {out}");
    // The installed unit verifies, its Documentation= man page included.
    let (ok, out) = systemd.sh("systemd-analyze verify /lib/systemd/system/tidings.service");
    assert!(
        ok && !out.contains("tidings"),
        "systemd-analyze verify: {out}"
    );
    // Installed, not enabled or started: the example fetches public feeds.
    assert_eq!(systemd.show("tidings", "ActiveState"), "inactive");
    assert_eq!(
        systemd.sh("systemctl is-enabled tidings").1.trim(),
        "disabled"
    );

    // The operator's config, then enable --now.
    let port = free_port();
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n[fetch]\nallow_private = true\n\n[[source]]\nid = \"valley\"\nkind = \"feed\"\nurl = \"{}\"\n\n[[feed]]\nid = \"all\"\nsources = [\"*\"]\n",
        origin.url("valley.xml")
    );
    let cfg = dir.path().join("operator.toml");
    std::fs::write(&cfg, config).unwrap();
    let (ok, out) = systemd.sh(&format!(
        "install -m 644 {} /etc/tidings/tidings.toml && systemctl enable --now tidings",
        cfg.display()
    ));
    assert!(
        ok,
        "enable --now: {out}\n{}",
        systemd.sh("journalctl -u tidings --no-pager").1
    );
    assert_eq!(systemd.show("tidings", "ActiveState"), "active");
    assert_eq!(systemd.show("tidings", "StatusText"), "serving");
    // systemd found the bare ExecStart= name in /usr/bin.
    let pid = systemd.show("tidings", "MainPID");
    assert_eq!(
        systemd.sh(&format!("readlink /proc/{pid}/exe")).1.trim(),
        "/usr/bin/tidings"
    );
    let http = client();
    let base = format!("http://127.0.0.1:{port}");
    wait_for(15, "the feed served by the packaged unit", || {
        let (http, url) = (http.clone(), format!("{base}/feeds/all.rss"));
        async move {
            http.get(&url)
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?
                .contains("Orchard harvest")
                .then_some(())
        }
    })
    .await;
    // Its state went where the unit says, as its dynamic user.
    let (ok, out) = systemd.sh("ls /var/lib/private/tidings/");
    assert!(ok && out.contains("tidings.db"), "{out}");
    let (ok, out) = systemd.sh("systemctl stop tidings");
    assert!(ok, "stop: {out}");
    assert_eq!(systemd.show("tidings", "Result"), "success");
    // Removal takes the binary and leaves the conffiles (Debian's rule).
    let (ok, out) = systemd.sh("dpkg -r tidings");
    assert!(ok, "dpkg -r: {out}");
    assert!(!systemd.sh("test -e /usr/bin/tidings").0);
    assert!(systemd.sh("test -e /etc/tidings/tidings.toml").0);
}
