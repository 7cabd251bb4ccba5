//! The `tidings` binary: parses arguments, sets up logging, loads the config,
//! calls `tidings::app`, and maps errors to exit codes (0 ok, 1 a reported
//! failure, 2 usage). The commands that print live in `cli`.

mod cli;

use anyhow::Context as _;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use cli::{fetch, opml_import, print_discover, print_extract, print_preview, print_sources};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use tidings::{AppError, Config, Format, app};

#[derive(Parser)]
#[command(
    name = "tidings",
    // The version and the commit it was built from (see build.rs).
    version = env!("TIDINGS_VERSION"),
    about = "Makes and merges news feeds, and serves them over HTTP"
)]
struct Cli {
    /// How log lines on stderr are written
    #[arg(
        long,
        global = true,
        value_enum,
        env = "TIDINGS_LOG_FORMAT",
        default_value_t = LogFormat::Text
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// `-c FILE`, on the subcommands that read the config.
#[derive(Args)]
struct ConfigArg {
    /// The config file [default: $TIDINGS_CONFIG, else /etc/tidings/tidings.toml]
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: fetch on schedule, store, serve
    Run {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Validate the config; every error names FILE:LINE:COLUMN
    Check {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Fetch all (or the named) sources once, now
    Fetch {
        #[command(flatten)]
        config: ConfigArg,
        /// Source ids
        sources: Vec<String>,
    },
    /// Show each source's state: last fetch, outcome, next due, items, errors
    Sources {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Fetch one source and print its normalized items, without storing them
    ///
    /// With --url, a source that is in no config: no config file is read,
    /// and loopback or private addresses are fetched only with
    /// TIDINGS_ALLOW_PRIVATE=1.
    Preview {
        #[command(flatten)]
        config: ConfigArg,
        /// Source id
        #[arg(required_unless_present = "url", conflicts_with = "url")]
        source: Option<String>,
        /// Preview the source at this URL instead of a configured one
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// What the URL is [default: html with --select, else feed]
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        /// A selector of the listing page, as in [source.select]: item=CSS,
        /// title=CSS, link=CSS, date=CSS, summary=CSS, follow=true (repeat
        /// the flag for each)
        #[arg(long, value_name = "KEY=CSS")]
        select: Vec<String>,
        /// A content rule, as a line of [source.rules] in TOML, such as
        /// 'body = "div.story"' or 'remove = [".share"]' (repeat the flag
        /// for each; lists add up)
        #[arg(long, value_name = "TOML")]
        rule: Vec<String>,
        /// Fetch each item's link and extract the article (feed sources)
        #[arg(long)]
        full_text: bool,
    },
    /// Read one HTML article page and print what extraction finds, as JSON
    Extract {
        /// Where the page lives, for relative links and as its default URL
        #[arg(long)]
        url: Option<String>,
        /// The page: a file, or - for standard input
        file: PathBuf,
    },
    /// Print the feeds a page advertises (or that common paths serve)
    ///
    /// Fetches as the daemon does, with the [fetch] defaults;
    /// TIDINGS_ALLOW_PRIVATE=1 allows loopback and private addresses.
    Discover {
        /// The page (or feed) to look at
        url: String,
    },
    /// Print a feed from the store
    Render {
        #[command(flatten)]
        config: ConfigArg,
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
    /// Print the man page (roff) on stdout, e.g. `tidings man | man -l -`
    Man {
        /// Write every page instead (tidings.1, and tidings-fetch.1 and so
        /// on for each subcommand) into this directory
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print shell completions on stdout
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum OpmlAction {
    /// Print the configured sources as OPML 2.0 (xmlUrl: the feeds tidings serves)
    Export {
        #[command(flatten)]
        config: ConfigArg,
        /// Give each source's upstream feed URL as xmlUrl instead
        #[arg(long)]
        origin: bool,
    },
    /// Print the subscriptions of an OPML file as [[source]] TOML
    Import {
        /// The OPML file, or - for standard input
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    /// An RSS, Atom or JSON feed
    Feed,
    /// A web page that lists articles
    Html,
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// One line of text per event
    Text,
    /// One JSON object per event
    Json,
}

fn main() -> ExitCode {
    bound_malloc_arenas();
    // Bad flags: clap prints the usage and exits 2.
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match run(cli) {
        Ok(code) => code,
        // A reader that stopped reading (`tidings render x | head -1`) is
        // not a failure, and nothing is left to say to it.
        Err(e) if broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tidings: {e:#}");
            ExitCode::from(if usage_error(&e) { 2 } else { 1 })
        }
    }
}

/// glibc's allocator gives threads that allocate at once arenas of their
/// own, up to eight per core, and memory freed in one arena serves only
/// that arena's threads: the daemon's workers and the store's blocking
/// threads each kept their share of what a fetch cycle freed. Two arenas
/// (BENCHMARKS.md, rows 1): 58 → 47 MB at 2,000 sources. A
/// `MALLOC_ARENA_MAX` in the environment, which glibc reads itself, wins.
fn bound_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt sets one parameter of glibc's allocator and is
        // called first in main, before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// Whether the error is stdout's reader having gone away.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Whether the error is the caller's: an id that names nothing, a flag's
/// value that is not what it must be.
fn usage_error(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<AppError>(),
        Some(
            AppError::UnknownSource(_)
                | AppError::UnknownFeed(_)
                | AppError::BadUrl(_)
                | AppError::BadPreview(_)
        )
    )
}

/// Whether stderr gets colours: only on a terminal, and never with
/// `NO_COLOR` set (anstream's reading of NO_COLOR, CLICOLOR and TERM=dumb,
/// the one clap's own messages follow).
fn stderr_colours() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // journald stamps and colours lines itself.
    let journal = std::env::var_os("JOURNAL_STREAM").is_some();
    match (format, journal) {
        (LogFormat::Json, _) => builder.json().with_ansi(false).init(),
        (LogFormat::Text, true) => builder.without_time().with_ansi(false).init(),
        (LogFormat::Text, false) => builder.with_ansi(stderr_colours()).init(),
    }
}

/// Loads the config named by `-c`, else `$TIDINGS_CONFIG`, else the system
/// one, printing every error; `None` when it is invalid.
fn load(arg: &ConfigArg) -> Option<Config> {
    let path = arg
        .config
        .clone()
        .or_else(|| std::env::var_os("TIDINGS_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/etc/tidings/tidings.toml"));
    match Config::load(&path) {
        Ok(c) => Some(c),
        Err(errors) => {
            eprintln!("{errors}");
            None
        }
    }
}

/// Loads the config and hands it, with a fresh async runtime, to `f`;
/// exit code 1 (the errors printed) when the config is invalid.
fn with_config(
    arg: &ConfigArg,
    f: impl FnOnce(Config, &tokio::runtime::Runtime) -> anyhow::Result<ExitCode>,
) -> anyhow::Result<ExitCode> {
    let Some(config) = load(arg) else {
        return Ok(ExitCode::from(1));
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let done = f(config, &runtime);
    // CPU work a fetch abandoned (past its source's timeout) may still run
    // on a blocking thread: exit without waiting for it, as `run` does.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    done
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        // These need no config: import writes config, extract reads one
        // page, man and completions describe the command line.
        Command::Opml {
            action: OpmlAction::Import { file },
        } => opml_import(&file),
        Command::Extract { url, file } => print_extract(&file, url.as_deref()),
        Command::Discover { url } => print_discover(&url),
        Command::Man { dir: Some(dir) } => {
            std::fs::create_dir_all(&dir)
                .and_then(|()| clap_mangen::generate_to(Cli::command(), &dir))
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { dir: None } => {
            let mut page = Vec::new();
            // As generate_to does: `help` is no page of its own.
            clap_mangen::Man::new(Cli::command().disable_help_subcommand(true))
                .render(&mut page)?;
            std::io::stdout().lock().write_all(&page)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tidings", &mut script);
            std::io::stdout().lock().write_all(&script)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { config } => with_config(&config, |config, _| {
            let problems = app::check(&config);
            if !problems.is_empty() {
                for p in &problems {
                    eprintln!("{}: {p}", config.path.display());
                }
                return Ok(ExitCode::from(1));
            }
            writeln!(
                std::io::stdout(),
                "{}: ok ({} sources, {} feeds; state in {})",
                config.path.display(),
                config.sources.len(),
                config.feeds.len(),
                app::state_dir(&config).display()
            )?;
            Ok(ExitCode::SUCCESS)
        }),
        Command::Run { config } => {
            let Some(config) = load(&config) else {
                return Ok(ExitCode::from(1));
            };
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
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
        Command::Fetch { config, sources } => {
            with_config(&config, |config, runtime| fetch(config, runtime, &sources))
        }
        Command::Sources { config } => with_config(&config, |config, runtime| {
            let rows = runtime.block_on(app::sources(config))?;
            print_sources(&rows)?;
            Ok(ExitCode::SUCCESS)
        }),
        Command::Opml {
            action: OpmlAction::Export { config, origin },
        } => with_config(&config, |config, _| {
            let target = if origin {
                tidings::opml::Target::Origin
            } else {
                tidings::opml::Target::Served
            };
            std::io::stdout()
                .lock()
                .write_all(&app::opml_export(&config, target))?;
            Ok(ExitCode::SUCCESS)
        }),
        Command::Preview {
            url: Some(url),
            kind,
            select,
            rule,
            full_text,
            ..
        } => {
            let given = app::UrlSource {
                url,
                kind: kind.map(|k| match k {
                    KindArg::Feed => app::PreviewKind::Feed,
                    KindArg::Html => app::PreviewKind::Html,
                }),
                select,
                rules: rule,
                full_text,
                allow_private: std::env::var("TIDINGS_ALLOW_PRIVATE")
                    .is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            };
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            let items = runtime.block_on(app::preview_url(&given));
            runtime.shutdown_timeout(std::time::Duration::from_millis(500));
            print_preview(&items?)
        }
        Command::Preview {
            config,
            source: Some(source),
            kind,
            select,
            rule,
            full_text,
            ..
        } => {
            // clap's `requires` does not hold these to --url beside a
            // positional that conflicts with it; refused here, as clap would.
            if kind.is_some() || !select.is_empty() || !rule.is_empty() || full_text {
                Cli::command()
                    .error(
                        clap::error::ErrorKind::MissingRequiredArgument,
                        "--kind, --select, --rule and --full-text describe a source given by --url",
                    )
                    .exit();
            }
            with_config(&config, |config, runtime| {
                print_preview(&runtime.block_on(app::preview(config, &source))?)
            })
        }
        // clap refuses this before it gets here.
        Command::Preview { .. } => anyhow::bail!("preview needs a source id or --url"),
        Command::Render {
            config,
            feed,
            format,
        } => with_config(&config, |config, runtime| {
            let bytes = runtime.block_on(app::render(config, &feed, format.into()))?;
            std::io::stdout().lock().write_all(&bytes)?;
            Ok(ExitCode::SUCCESS)
        }),
    }
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
