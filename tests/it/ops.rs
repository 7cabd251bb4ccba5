//! What operators and scripts rely on from the command line: colours only
//! on a terminal and never under `NO_COLOR`, a closed pipe is no failure,
//! exit codes (2 for usage, 1 for failures), `-` for stdin, `-c` only where
//! a config is read, the version with its commit, `fetch` printing lines as
//! fetches end (and a progress bar naming what is in flight on a terminal),
//! zone-marked times in `sources`, JSON logs, and the man page and
//! completions generated from the command line's own definitions.

use crate::common::{Gate, Origin, Reply, bin, free_port, tidings};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour</title><link>https://harbour.example/</link><description>d</description>
<item><title>Ferry timetable changes</title><link>https://harbour.example/ferry</link><pubDate>Thu, 05 Mar 2026 12:00:00 GMT</pubDate><description>From Monday.</description></item>
</channel></rss>"#;

/// A config with the given sources (`id = path on the origin`) and one feed
/// of them all.
fn config(dir: &Path, origin: &Origin, sources: &[(&str, &str)]) -> String {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:{}\"\n[store]\nstate_dir = \"{}\"\n[fetch]\nallow_private = true\n",
        free_port(),
        dir.join("state").display()
    );
    for (id, path) in sources {
        text.push_str(&format!(
            "\n[[source]]\nid = \"{id}\"\nkind = \"feed\"\nurl = \"{}\"\n",
            origin.url(path)
        ));
    }
    text.push_str("\n[[feed]]\nid = \"all\"\nsources = [\"*\"]\n");
    let cfg = dir.join("tidings.toml");
    std::fs::write(&cfg, text).unwrap();
    cfg.display().to_string()
}

/// Runs `tidings ARGS` on a pseudo-terminal (util-linux `script`), stdout
/// and stderr both on it; returns the exit code and what the terminal saw.
fn on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let line = std::iter::once(bin().display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("RUST_LOG", "warn")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("JOURNAL_STREAM")
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("script runs (Debian package bsdutils)");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Like [`on_a_terminal`], the terminal's output flushed to `typescript`
/// as it comes; opens `gate` once it shows `shown`.
fn on_a_terminal_until(
    args: &[&str],
    env: &[(&str, &str)],
    typescript: &Path,
    shown: &str,
    gate: &Gate,
) -> (i32, String) {
    let line = std::iter::once(bin().display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = Command::new("script")
        .args(["-qefc", &line])
        .arg(typescript)
        .env("RUST_LOG", "warn")
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("script runs (Debian package bsdutils)");
    let seen = || std::fs::read_to_string(typescript).unwrap_or_default();
    let status = loop {
        if seen().contains(shown) {
            gate.open();
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (status.code().unwrap_or(-1), seen())
}

/// Whether `text` holds an SGR (colour or style) escape sequence.
fn has_colour(text: &str) -> bool {
    regex::Regex::new("\x1b\\[[0-9;]*m").unwrap().is_match(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colours_only_on_a_terminal_and_never_with_no_color() {
    let origin = Origin::start().await;
    // A 410 is logged as a warning: a log line to colour.
    origin.script("gone.xml", vec![Reply::Status(410, vec![])]);
    origin.script("gone2.xml", vec![Reply::Status(410, vec![])]);
    origin.script("gone3.xml", vec![Reply::Status(410, vec![])]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &origin, &[("gone", "gone.xml")]);
    let (code, seen) = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        move || on_a_terminal(&["fetch", "-c", &cfg], &[])
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "{seen}");
    assert!(seen.contains("gone"), "{seen}");
    assert!(has_colour(&seen), "a terminal gets colours: {seen:?}");

    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &origin, &[("gone", "gone2.xml")]);
    let (code, seen) = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        move || on_a_terminal(&["fetch", "-c", &cfg], &[("NO_COLOR", "1")])
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "{seen}");
    assert!(
        seen.contains("WARN"),
        "the warning is still logged: {seen:?}"
    );
    assert!(!has_colour(&seen), "NO_COLOR: {seen:?}");

    // Not a terminal: no escape sequence of any kind, and no bar.
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &origin, &[("gone", "gone3.xml")]);
    let (code, out, err) = tokio::task::spawn_blocking(move || tidings(&["fetch", "-c", &cfg]))
        .await
        .unwrap();
    assert_eq!(code, 1);
    assert!(err.contains("WARN"), "{err}");
    assert!(!format!("{out}{err}").contains('\x1b'), "{out:?} {err:?}");
    assert!(!err.contains("1/1"), "no bar off a terminal: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_prints_each_line_as_it_ends_and_names_what_is_in_flight() {
    let origin = Origin::start().await;
    origin.put("slow.xml", "application/rss+xml", RSS);
    let gate = Gate::default();
    origin.script("slow.xml", vec![Reply::Gated(gate.clone())]);
    origin.put("fast.xml", "application/rss+xml", RSS);
    let dir = tempfile::tempdir().unwrap();
    // The slow source comes first in the config, and its line second: it
    // is answered only once the fast one's line is out.
    let cfg = config(
        dir.path(),
        &origin,
        &[("slow", "slow.xml"), ("fast", "fast.xml")],
    );
    let (code, out) = tokio::task::spawn_blocking({
        let (cfg, gate) = (cfg.clone(), gate.clone());
        move || {
            let mut child = Command::new(bin())
                .args(["fetch", "-c", &cfg])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut out = String::new();
            for line in BufReader::new(child.stdout.take().unwrap()).lines() {
                let line = line.unwrap();
                if line.starts_with("fast:") {
                    gate.open();
                }
                out.push_str(&line);
                out.push('\n');
            }
            (child.wait().unwrap().code(), out)
        }
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0));
    assert_eq!(
        out,
        "fast: new 1, updated 0, unchanged 0\nslow: new 1, updated 0, unchanged 0\n"
    );

    // On a terminal, the bar names the source still in flight once the
    // other is done; the slow one is answered when the terminal shows it.
    let gate = Gate::default();
    origin.script("slow.xml", vec![Reply::Gated(gate.clone())]);
    let typescript = dir.path().join("typescript");
    let (code, seen) = tokio::task::spawn_blocking(move || {
        on_a_terminal_until(
            &["fetch", "-c", &cfg],
            &[("NO_COLOR", "1")],
            &typescript,
            "1/2 slow",
            &gate,
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{seen}");
    assert!(seen.contains("1/2 slow"), "{seen:?}");
    assert!(seen.contains("fast: unchanged (not modified)"), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_quietly_with_0() {
    let origin = Origin::start().await;
    origin.put("harbour.xml", "application/rss+xml", RSS);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &origin, &[("harbour", "harbour.xml")]);
    let (code, _, err) = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        move || tidings(&["fetch", "-c", &cfg])
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{err}");
    for args in [
        vec!["render", "-c", &cfg, "all"],
        vec!["opml", "export", "-c", &cfg],
        vec!["sources", "-c", &cfg],
        vec!["check", "-c", &cfg],
        vec!["man"],
    ] {
        let mut child = Command::new(bin())
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader is gone before the first write.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert_eq!(err, "", "{args:?}");
    }
    // As a shell sees it.
    let out = Command::new("bash")
        .args([
            "-c",
            &format!(
                "{} render -c {cfg} all | head -1; echo \"status ${{PIPESTATUS[0]}}\"",
                bin().display()
            ),
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("<?xml"), "{said}");
    assert!(said.ends_with("status 0\n"), "{said}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2_and_failures_1() {
    let origin = Origin::start().await;
    origin.put("harbour.xml", "application/rss+xml", RSS);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &origin, &[("harbour", "harbour.xml")]);
    for (args, code, said) in [
        (
            vec!["fetch", "-c", &cfg, "nope"],
            2,
            "no source has the id \"nope\"",
        ),
        (
            vec!["preview", "-c", &cfg, "nope"],
            2,
            "no source has the id \"nope\"",
        ),
        (
            vec!["render", "-c", &cfg, "nope"],
            2,
            "no feed has the id \"nope\"",
        ),
        (
            vec!["render", "-c", &cfg, "all", "--format", "yaml"],
            2,
            "invalid value 'yaml'",
        ),
        (vec!["fetch", "--no-such-flag"], 2, "unexpected argument"),
        (vec!["frobnicate"], 2, "unrecognized subcommand"),
        (
            vec!["extract", "--url", "not a url", "-"],
            2,
            "not an absolute URL",
        ),
        (vec!["completions", "tcsh"], 2, "invalid value 'tcsh'"),
        (
            vec!["check", "-c", "/nonexistent/tidings.toml"],
            1,
            "/nonexistent/tidings.toml",
        ),
        (
            vec!["opml", "import", "/nonexistent/subscriptions.opml"],
            1,
            "cannot read /nonexistent/subscriptions.opml",
        ),
    ] {
        let (got, _, err) = tidings(&args);
        assert_eq!(got, code, "{args:?}: {err}");
        assert!(err.contains(said), "{args:?}: {err}");
    }
}

#[test]
fn a_dash_is_standard_input_wherever_a_file_is_read() {
    let opml = r#"<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
<outline type="rss" text="Harbour News" xmlUrl="https://harbour.example/feed.xml"/>
</body></opml>"#;
    let from_file = {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("subs.opml");
        std::fs::write(&file, opml).unwrap();
        tidings(&["opml", "import", file.to_str().unwrap()])
    };
    assert_eq!(from_file.0, 0, "{}", from_file.2);
    assert!(
        from_file
            .1
            .contains("url = \"https://harbour.example/feed.xml\""),
        "{}",
        from_file.1
    );
    let mut child = Command::new(bin())
        .args(["opml", "import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), opml.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), from_file.1);
}

#[test]
fn only_commands_that_read_the_config_take_c() {
    for (args, takes) in [
        (vec!["run"], true),
        (vec!["check"], true),
        (vec!["fetch"], true),
        (vec!["sources"], true),
        (vec!["preview"], true),
        (vec!["render"], true),
        (vec!["opml", "export"], true),
        (vec!["extract"], false),
        (vec!["opml", "import"], false),
        (vec!["man"], false),
        (vec!["completions"], false),
    ] {
        let mut help = args.clone();
        help.push("--help");
        let (code, out, err) = tidings(&help);
        assert_eq!(code, 0, "{help:?}: {err}");
        assert_eq!(
            out.contains("-c, --config <FILE>"),
            takes,
            "{help:?}: {out}"
        );
    }
    let (code, _, err) = tidings(&["extract", "-c", "x.toml", "-"]);
    assert_eq!(code, 2);
    assert!(err.contains("unexpected argument '-c'"), "{err}");
}

#[test]
fn the_version_names_the_commit() {
    let (code, out, err) = tidings(&["--version"]);
    assert_eq!(code, 0, "{err}");
    let git = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("git runs (the tests run in a git checkout)");
    assert!(git.status.success(), "not a git checkout");
    let commit = String::from_utf8_lossy(&git.stdout).trim().to_string();
    assert_eq!(
        out,
        format!("tidings {} ({commit})\n", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_times_carry_their_zone() {
    let origin = Origin::start().await;
    origin.put("harbour.xml", "application/rss+xml", RSS);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &origin, &[("harbour", "harbour.xml")]);
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        let fetched = tidings(&["fetch", "-c", &cfg]);
        assert_eq!(fetched.0, 0, "{}", fetched.2);
        tidings(&["sources", "-c", &cfg])
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{err}");
    let row = out.lines().nth(1).unwrap();
    let stamp = regex::Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC").unwrap();
    // Last fetch and next due.
    assert_eq!(stamp.find_iter(row).count(), 2, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_as_json_by_flag_or_environment() {
    let origin = Origin::start().await;
    origin.script("gone.xml", vec![Reply::Status(410, vec![])]);
    origin.script("gone2.xml", vec![Reply::Status(410, vec![])]);
    let runs = [
        (vec!["--log-format", "json"], vec![]),
        (vec![], vec![("TIDINGS_LOG_FORMAT", "json")]),
    ];
    for ((flag, env), path) in runs.into_iter().zip(["gone.xml", "gone2.xml"]) {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path(), &origin, &[("gone", path)]);
        let out = tokio::task::spawn_blocking(move || {
            Command::new(bin())
                .args(&flag)
                .args(["fetch", "-c", &cfg])
                .env("RUST_LOG", "warn")
                .envs(env)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err.lines().collect();
        assert!(!lines.is_empty(), "no log lines");
        for line in &lines {
            let event: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            assert!(event["timestamp"].is_string(), "{line}");
        }
        let gone: serde_json::Value = lines
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|e| e["fields"]["source"] == "gone")
            .unwrap_or_else(|| panic!("no event of the source: {err}"));
        assert_eq!(gone["level"], "WARN", "{gone}");
        assert!(
            gone["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("gone")),
            "{gone}"
        );
    }
}

#[test]
fn the_man_page_renders() {
    let (code, page, err) = tidings(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{page}");
    let page_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(page_file.path(), &page).unwrap();
    // groff, warnings on: the roff is clean.
    let out = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(page_file.path())
        .output()
        .expect("groff runs (Debian package groff-base)");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "groff warnings");
    // man -l, as a reader would: the sections and every subcommand.
    let out = Command::new("man")
        .args(["-l", "-P", "cat"])
        .arg(page_file.path())
        .env("MANWIDTH", "100")
        .env("MAN_KEEP_FORMATTING", "")
        .output()
        .expect("man runs (Debian package man-db)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "NAME",
        "tidings - Makes and merges news feeds",
        "SYNOPSIS",
        "SUBCOMMANDS",
        "tidings-fetch(1)",
        "tidings-completions(1)",
        "--log-format",
        "VERSION",
    ] {
        assert!(text.contains(needle), "{needle:?} not in\n{text}");
    }
}

#[test]
fn man_dir_writes_a_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = tidings(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "tidings-check.1",
            "tidings-completions.1",
            "tidings-discover.1",
            "tidings-extract.1",
            "tidings-fetch.1",
            "tidings-man.1",
            "tidings-opml-export.1",
            "tidings-opml-import.1",
            "tidings-opml.1",
            "tidings-preview.1",
            "tidings-render.1",
            "tidings-run.1",
            "tidings-sources.1",
            "tidings.1",
        ]
    );
    let (_, main_page, _) = tidings(&["man"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("tidings.1")).unwrap(),
        main_page
    );
    let fetch = std::fs::read_to_string(dir.path().join("tidings-fetch.1")).unwrap();
    assert!(
        fetch.contains("Fetch all (or the named) sources once"),
        "{fetch}"
    );
}

#[test]
fn completions_for_every_shell() {
    for (shell, needle) in [
        ("bash", "complete -F _tidings"),
        ("zsh", "#compdef tidings"),
        ("fish", "complete -c tidings"),
        ("elvish", "edit:completion:arg-completer[tidings]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let (code, script, err) = tidings(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(script.contains(needle), "{shell}: {script}");
        assert!(script.contains("opml"), "{shell}: no subcommands");
    }
    // bash loads the script and completes a subcommand with it.
    let (_, script, _) = tidings(&["completions", "bash"]);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), script).unwrap();
    let out = Command::new("bash")
        .args([
            "-c",
            &format!(
                "source {}; COMP_WORDS=(tidings ren); COMP_CWORD=1; _tidings tidings ren tidings; echo \"${{COMPREPLY[@]}}\"",
                file.path().display()
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "render",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
