//! The binary's commands that print: `fetch` with its progress, `discover`,
//! the `sources` table, `opml import`, `extract` and `preview`, and reading
//! a file or standard input. Uses only the library's public API; `main`
//! parses the arguments and maps errors to exit codes.

use anyhow::Context as _;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use tidings::{Config, app};

/// `tidings fetch`: a line on stdout per source as its fetch ends; on a
/// terminal, a progress bar on stderr naming the sources in flight.
pub(crate) fn fetch(
    config: Config,
    runtime: &tokio::runtime::Runtime,
    only: &[String],
) -> anyhow::Result<ExitCode> {
    let total = if only.is_empty() {
        config.sources.len()
    } else {
        only.len()
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        // No colours in the template: the bar stays plain under NO_COLOR.
        bar.set_style(
            indicatif::ProgressStyle::with_template("[{bar:30}] {pos}/{len} {wide_msg}")
                .expect("the template is valid")
                .progress_chars("#>-"),
        );
        bar
    });
    let mut in_flight: Vec<String> = Vec::new();
    let mut out = std::io::stdout().lock();
    // The first failed write; later lines are not tried.
    let mut write_error: Option<std::io::Error> = None;
    let reports = runtime.block_on(app::fetch(config, only, |event| match event {
        // The sources in flight are kept only for the bar: a list of
        // thousands searched at every end costs more than the fetches.
        app::Progress::Started(id) => {
            if let Some(bar) = &bar {
                in_flight.push(id.to_string());
                bar.set_message(in_flight.join(", "));
            }
        }
        app::Progress::Done(report) => {
            if bar.is_some() {
                in_flight.retain(|id| *id != report.source);
            }
            if write_error.is_none() {
                let mut line = || writeln!(out, "{report}").and_then(|()| out.flush());
                let written = match &bar {
                    Some(bar) => bar.suspend(line),
                    None => line(),
                };
                write_error = written.err();
            }
            if let Some(bar) = &bar {
                bar.set_message(in_flight.join(", "));
                bar.inc(1);
            }
        }
    }));
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let reports = reports?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    Ok(if reports.iter().any(|r| r.result.is_err()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `tidings discover`: a line per feed found (kind, title, URL), tab
/// separated; exit 1 when none is found.
pub(crate) fn print_discover(url: &str) -> anyhow::Result<ExitCode> {
    let allow_private = std::env::var("TIDINGS_ALLOW_PRIVATE").is_ok_and(|v| v == "1");
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let found = runtime.block_on(app::discover(url, allow_private));
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    let mut out = std::io::stdout().lock();
    let line = |out: &mut std::io::StdoutLock<'_>, f: &app::Found| {
        writeln!(
            out,
            "{}\t{}\t{}",
            f.kind,
            f.title.as_deref().unwrap_or("-"),
            f.url
        )
    };
    match found? {
        app::Discovery::Feed(f) => {
            writeln!(out, "{} is a feed itself", f.url)?;
            line(&mut out, &f)?;
        }
        app::Discovery::Advertised(all) => {
            for f in &all {
                line(&mut out, f)?;
            }
        }
        app::Discovery::Probed(all) => {
            writeln!(
                out,
                "the page advertises no feed; these common paths answer one:"
            )?;
            for f in &all {
                line(&mut out, f)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints `tidings sources` as a table with aligned columns.
pub(crate) fn print_sources(rows: &[app::SourceRow]) -> std::io::Result<()> {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(
            || "-".to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
    };
    let header = [
        "ID",
        "KIND",
        "SCHEDULE",
        "LAST FETCH",
        "OUTCOME",
        "NEXT DUE",
        "ITEMS",
        "ERRORS",
        "NOTE",
    ];
    let mut table: Vec<[String; 9]> = vec![header.map(str::to_string)];
    for r in rows {
        let s = r.state.clone().unwrap_or_default();
        table.push([
            r.id.clone(),
            r.kind.to_string(),
            r.schedule.clone(),
            time(s.last_fetch),
            s.last_outcome.unwrap_or_else(|| "-".into()),
            time(s.next_due),
            s.items.to_string(),
            s.consecutive_errors.to_string(),
            r.note.clone(),
        ]);
    }
    let widths: Vec<usize> = (0..9)
        .map(|c| {
            table
                .iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = std::io::stdout().lock();
    for row in &table {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[c]));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Reads a file, or standard input for `-`.
fn read_input(file: &Path) -> anyhow::Result<Vec<u8>> {
    if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("cannot read standard input")?;
        Ok(buf)
    } else {
        std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
    }
}

/// `tidings opml import FILE|-`: the file's subscriptions as `[[source]]`
/// TOML on stdout; skipped outlines on stderr.
pub(crate) fn opml_import(file: &Path) -> anyhow::Result<ExitCode> {
    let bytes = read_input(file)?;
    let name = if file.as_os_str() == "-" {
        "standard input".to_string()
    } else {
        file.display().to_string()
    };
    let imported = tidings::opml::import(&bytes).context(name)?;
    for why in &imported.skipped {
        eprintln!("skipped {why}");
    }
    std::io::stdout()
        .lock()
        .write_all(imported.toml.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// `tidings extract FILE|-`: needs no config.
pub(crate) fn print_extract(file: &Path, url: Option<&str>) -> anyhow::Result<ExitCode> {
    let bytes = read_input(file)?;
    let found = app::extract_page(&bytes, url)?;
    // Serialized first, so a closed stdout is an io::Error main recognizes.
    let mut json = serde_json::to_vec_pretty(&found)?;
    json.push(b'\n');
    std::io::stdout().lock().write_all(&json)?;
    Ok(ExitCode::SUCCESS)
}

/// `tidings preview`: each item, then how many.
pub(crate) fn print_preview(items: &[tidings::model::Item]) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    for item in items {
        write_preview(&mut out, item)?;
    }
    writeln!(out, "{} items", items.len())?;
    Ok(ExitCode::SUCCESS)
}

/// Characters of the body `tidings preview` shows.
const PREVIEW_BODY_CHARS: usize = 200;

fn write_preview(out: &mut impl Write, item: &tidings::model::Item) -> std::io::Result<()> {
    writeln!(out, "{}", item.title)?;
    writeln!(out, "  link:   {}", item.link.as_deref().unwrap_or("-"))?;
    if item.dated {
        writeln!(out, "  date:   {}", item.published.to_rfc3339())?;
    } else {
        writeln!(out, "  date:   - (undated)")?;
    }
    writeln!(out, "  author: {}", item.authors.join(", "))?;
    let body = item
        .content_html
        .as_deref()
        .or(item.summary_html.as_deref())
        .map(tidings::plain_text)
        .unwrap_or_default();
    let start: String = body.chars().take(PREVIEW_BODY_CHARS).collect();
    let more = if body.chars().count() > PREVIEW_BODY_CHARS {
        "…"
    } else {
        ""
    };
    writeln!(out, "  body:   {start}{more}")?;
    writeln!(out)
}
