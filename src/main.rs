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
    #[command(flatten)]
    Configured(Configured),
    /// Read one HTML article page and print what extraction finds, as JSON
    Extract {
        /// Where the page lives, for relative links and as its default URL
        #[arg(long)]
        url: Option<String>,
        /// The page: a file, or - for standard input
        file: PathBuf,
    },
}

/// The commands that read the config file.
#[derive(Subcommand)]
enum Configured {
    /// Run the daemon: fetch on schedule, store, serve
    Run,
    /// Validate the config; every error names FILE:LINE:COLUMN
    Check,
    /// Fetch all (or the named) sources once, now
    Fetch {
        /// Source ids
        sources: Vec<String>,
    },
    /// Fetch one source and print its normalized items, without storing them
    Preview {
        /// Source id
        source: String,
    },
    /// Print a feed from the store
    Render {
        /// Feed id
        feed: String,
        #[arg(long, value_enum, default_value_t = FormatArg::Rss)]
        format: FormatArg,
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
    match &cli.command {
        Command::Extract { url, file } => print_extract(file, url.as_deref()),
        Command::Configured(command) => run_configured(&cli, command),
    }
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

fn run_configured(cli: &Cli, command: &Configured) -> anyhow::Result<ExitCode> {
    let Some(config) = load(cli) else {
        return Ok(ExitCode::from(1));
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    match command {
        Configured::Check => {
            println!(
                "{}: ok ({} sources, {} feeds)",
                config.path.display(),
                config.sources.len(),
                config.feeds.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Configured::Run => {
            runtime.block_on(app::run(config, None, stop_signal()))?;
            Ok(ExitCode::SUCCESS)
        }
        Configured::Fetch { sources } => {
            let total = if sources.is_empty() {
                config.sources.len()
            } else {
                sources.len()
            };
            let tty = std::io::stderr().is_terminal();
            let done = std::sync::atomic::AtomicUsize::new(0);
            let reports = runtime.block_on(app::fetch(config, sources, |_| {
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
            }))?;
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
        Configured::Preview { source } => {
            let items = runtime.block_on(app::preview(config, source))?;
            let mut out = std::io::stdout().lock();
            for item in &items {
                write_preview(&mut out, item)?;
            }
            writeln!(out, "{} items", items.len())?;
            Ok(ExitCode::SUCCESS)
        }
        Configured::Render { feed, format } => {
            let bytes = runtime.block_on(app::render(config, feed, (*format).into()))?;
            std::io::stdout().lock().write_all(&bytes)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Characters of the body `tidings preview` shows.
const PREVIEW_BODY_CHARS: usize = 200;

/// One item as `tidings preview` prints it: the title, then indented fields.
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

/// Resolves on SIGTERM or SIGINT.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
