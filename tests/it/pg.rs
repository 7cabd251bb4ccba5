//! A PostgreSQL server for the tests: the one `TIDINGS_TEST_POSTGRES_URL`
//! names (its user must be allowed to create databases), else a throwaway
//! cluster started once per test process with `initdb` and `postgres` from
//! `/usr/lib/postgresql/*/bin`, on a temp dir and a free loopback port, run
//! as the `postgres` user when the tests run as root (initdb refuses root).
//! The cluster stops and its directory is removed when the test process
//! exits. Each test gets a database of its own, dropped afterwards.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// `postgres://USER@HOST:PORT` of the server, without a database.
fn server() -> &'static str {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    let server = SERVER.get_or_init(|| match std::env::var("TIDINGS_TEST_POSTGRES_URL") {
        Ok(url) => Ok(url),
        Err(_) => start_cluster(),
    });
    match server {
        Ok(url) => url,
        Err(why) => panic!(
            "the PostgreSQL tests need a server: {why}. Install PostgreSQL \
             (apt-get install postgresql) or set TIDINGS_TEST_POSTGRES_URL=postgres://USER:PASSWORD@HOST:PORT/DB"
        ),
    }
}

/// The newest PostgreSQL `bin` directory with `initdb`.
fn bin_dir() -> Result<PathBuf, String> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("no /usr/lib/postgresql ({e})"))?
        .filter_map(|d| d.ok())
        .filter_map(|d| {
            let version = d.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = d.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin".into())
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Runs the cluster under a shell that holds the test process's pipe on its
/// stdin: when the test process exits, for whatever reason, the pipe closes
/// and the shell stops the server and removes its directory.
const CLUSTER_SCRIPT: &str = r#"
set -e
bin=$1 dir=$2 port=$3
"$bin/initdb" -D "$dir/data" -U tidings -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
"$bin/postgres" -D "$dir/data" -p "$port" -k "$dir" -c listen_addresses=127.0.0.1 \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 \
  >"$dir/server.log" 2>&1 &
pid=$!
cat >/dev/null || true
kill -INT "$pid" 2>/dev/null || true
wait "$pid" || true
rm -rf "$dir"
"#;

fn start_cluster() -> Result<String, String> {
    let bin = bin_dir()?;
    let dir = tempfile::Builder::new()
        .prefix("tidings-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let port = crate::common::free_port().to_string();
    let mut cmd = if running_as_root() {
        let chown = Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(&dir)
            .status()
            .map_err(|e| format!("chown: {e}"))?;
        if !chown.success() {
            return Err("cannot give the cluster directory to the postgres user".into());
        }
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh"]);
        c
    } else {
        Command::new("sh")
    };
    let mut child = cmd
        .args(["-c", CLUSTER_SCRIPT, "sh"])
        .arg(&bin)
        .arg(&dir)
        .arg(&port)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the cluster: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port.parse().unwrap_or(0))).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            return Err(format!("the cluster did not start ({status}): {err}"));
        }
        if Instant::now() > deadline {
            return Err("the cluster did not listen within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // The pipe must stay open for the life of the process: leaked on purpose.
    std::mem::forget(child);
    Ok(format!("postgres://tidings@127.0.0.1:{port}"))
}

/// `url` with its database replaced by `db`.
fn with_db(url: &str, db: &str) -> String {
    let mut u = url::Url::parse(url).expect("TIDINGS_TEST_POSTGRES_URL is not a URL");
    u.set_path(db);
    u.to_string()
}

/// Runs one statement on the server's `postgres` database, retrying while
/// the server is still starting up.
async fn admin(sql: &str) {
    let url = with_db(server(), "postgres");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
            Ok((client, conn)) => {
                tokio::spawn(conn);
                client
                    .batch_execute(sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
                return;
            }
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot connect to the test PostgreSQL server: {e:?}"),
        }
    }
}

/// A database of its own for one test, dropped with this value.
pub struct TestDb {
    pub url: String,
    name: String,
}

impl TestDb {
    pub async fn new() -> TestDb {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "tidings_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        admin(&format!("CREATE DATABASE {name}")).await;
        TestDb {
            url: with_db(server(), &name),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop cannot await: a thread of its own runs the statement.
        let done = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(|rt| rt.block_on(admin(&sql)))
        })
        .join();
        if done.is_err() && !std::thread::panicking() {
            panic!("cannot drop the test database {}", self.name);
        }
    }
}
