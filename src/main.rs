//! The `tidings` binary: parses arguments, sets up logging, loads the config,
//! calls `tidings::app`, and maps errors to exit codes (0 ok, 1 a reported
//! failure, 2 usage).

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tidings::{Config, Format, app};

#[derive(Parser)]
#[command(
    name = "tidings",
    version,
    about = "Makes and merges news feeds, and serves them over HTTP"
)]
struct Cli {
    /// The config file [default: $TIDINGS_CONFIG, else /etc/tidings/tidings.toml]
    #[arg(short, long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: fetch on schedule, store, serve
    Run,
    /// Validate the config; every error names FILE:LINE:COLUMN
    Check,
    /// Fetch all (or the named) sources once, now
    Fetch {
        /// Source ids
        sources: Vec<String>,
    },
    /// Show each source's state: last fetch, outcome, next due, items, errors
    Sources,
    /// Fetch one source and print its normalized items, without storing them
    Preview {
        /// Source id
        source: String,
    },
    /// Read one HTML article page and print what extraction finds, as JSON
    Extract {
        /// Where the page lives, for relative links and as its default URL
        #[arg(long)]
        url: Option<String>,
        /// The page: a file, or - for standard input
        file: PathBuf,
    },
    /// Print a feed from the store
    Render {
        /// Feed id
        feed: String,
        #[arg(long, value_enum, default_value_t = FormatArg::Rss)]
        format: FormatArg,
    },
    /// Sources as OPML 2.0, or OPML as [[source]] TOML
    Opml {
        #[command(subcommand)]
        action: OpmlAction,
    },
}

#[derive(Subcommand)]
enum OpmlAction {
    /// Print the configured sources as OPML 2.0 (xmlUrl: the feeds tidings serves)
    Export {
        /// Give each source's upstream feed URL as xmlUrl instead
        #[arg(long)]
        origin: bool,
    },
    /// Print the subscriptions of an OPML file as [[source]] TOML
    Import {
        /// The OPML file
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Rss,
    Atom,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Rss => Format::Rss,
            FormatArg::Atom => Format::Atom,
            FormatArg::Json => Format::Json,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tidings: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // journald stamps and colours lines itself.
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder.without_time().with_ansi(false).init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

fn config_path(cli: &Cli) -> PathBuf {
    cli.config
        .clone()
        .or_else(|| std::env::var_os("TIDINGS_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/etc/tidings/tidings.toml"))
}

/// Loads the config, printing every error; `None` when it is invalid.
fn load(cli: &Cli) -> Option<Config> {
    match Config::load(&config_path(cli)) {
        Ok(c) => Some(c),
        Err(errors) => {
            eprintln!("{errors}");
            None
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // These need no config: import writes config, extract reads one page.
    match &cli.command {
        Command::Opml {
            action: OpmlAction::Import { file },
        } => return opml_import(file),
        Command::Extract { url, file } => return print_extract(file, url.as_deref()),
        _ => {}
    }
    let Some(config) = load(&cli) else {
        return Ok(ExitCode::from(1));
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    match cli.command {
        Command::Check => {
            println!(
                "{}: ok ({} sources, {} feeds)",
                config.path.display(),
                config.sources.len(),
                config.feeds.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Run => {
            let done = runtime.block_on(async {
                let (tx, rx) = tokio::sync::mpsc::channel(4);
                tokio::spawn(forward_signals(tx));
                app::run(config, None, rx).await
            });
            // Store writes are done by now; CPU work a fetch abandoned may
            // still run on a blocking thread, and is not waited for.
            runtime.shutdown_timeout(std::time::Duration::from_millis(500));
            done?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Fetch { sources } => {
            let total = if sources.is_empty() {
                config.sources.len()
            } else {
                sources.len()
            };
            let tty = std::io::stderr().is_terminal();
            let done = std::sync::atomic::AtomicUsize::new(0);
            let reports = runtime.block_on(app::fetch(config, &sources, |_| {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if tty {
                    let width = 30;
                    let filled = width * n / total.max(1);
                    eprint!(
                        "\r[{}{}] {n}/{total}",
                        "#".repeat(filled),
                        " ".repeat(width - filled)
                    );
                    if n == total {
                        eprintln!();
                    }
                }
            }));
            // CPU work a fetch abandoned (past its source's timeout) may
            // still run on a blocking thread: exit without waiting for it,
            // as `run` does.
            runtime.shutdown_timeout(std::time::Duration::from_millis(500));
            let reports = reports?;
            let mut out = std::io::stdout().lock();
            for r in &reports {
                writeln!(out, "{r}")?;
            }
            Ok(if reports.iter().any(|r| r.result.is_err()) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Sources => {
            let rows = runtime.block_on(app::sources(config))?;
            print_sources(&rows)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Opml {
            action: OpmlAction::Export { origin },
        } => {
            let target = if origin {
                tidings::opml::Target::Origin
            } else {
                tidings::opml::Target::Served
            };
            std::io::stdout()
                .lock()
                .write_all(&app::opml_export(&config, target))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Opml {
            action: OpmlAction::Import { file },
        } => opml_import(&file),
        Command::Preview { source } => {
            let items = runtime.block_on(app::preview(config, &source));
            // As for `fetch`: abandoned work is not waited for.
            runtime.shutdown_timeout(std::time::Duration::from_millis(500));
            let items = items?;
            let mut out = std::io::stdout().lock();
            for item in &items {
                write_preview(&mut out, item)?;
            }
            writeln!(out, "{} items", items.len())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract { .. } => unreachable!("handled before the config is loaded"),
        Command::Render { feed, format } => {
            let bytes = runtime.block_on(app::render(config, &feed, format.into()))?;
            std::io::stdout().lock().write_all(&bytes)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints `tidings sources` as a table with aligned columns.
fn print_sources(rows: &[app::SourceRow]) -> std::io::Result<()> {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(
            || "-".to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
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

/// `tidings opml import FILE`: the file's subscriptions as `[[source]]` TOML
/// on stdout; skipped outlines on stderr.
fn opml_import(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let imported = tidings::opml::import(&bytes).with_context(|| file.display().to_string())?;
    for why in &imported.skipped {
        eprintln!("skipped {why}");
    }
    std::io::stdout()
        .lock()
        .write_all(imported.toml.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// `tidings extract`: needs no config.
fn print_extract(file: &std::path::Path, url: Option<&str>) -> anyhow::Result<ExitCode> {
    let bytes = if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("cannot read standard input")?;
        buf
    } else {
        std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?
    };
    let found = app::extract_page(&bytes, url)?;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &found)?;
    writeln!(out)?;
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

/// Turns SIGHUP into a reload and SIGTERM/SIGINT into a stop.
async fn forward_signals(tx: tokio::sync::mpsc::Sender<app::Control>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut hup), Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        eprintln!("tidings: cannot install signal handlers; stop with SIGKILL");
        return;
    };
    loop {
        let control = tokio::select! {
            _ = hup.recv() => app::Control::Reload,
            _ = term.recv() => app::Control::Stop,
            _ = int.recv() => app::Control::Stop,
        };
        if tx.send(control).await.is_err() || control == app::Control::Stop {
            return;
        }
    }
}
