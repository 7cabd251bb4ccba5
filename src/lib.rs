//! tidings: a daemon that fetches article sources on cron schedules,
//! normalizes every article into a store, and serves regenerated RSS, Atom
//! and JSON feeds over HTTP.
//!
//! The modules, bottom to top:
//!
//! - [`model`]: plain data (raw items, items, feed metadata). Depends on nothing.
//! - `text`: the text helpers every stage shares (bytes → text, the HTML
//!   tag scan and work budget, whitespace, a stable hash, month names).
//!   Depends on nothing; any module may use it.
//! - `telemetry`: the counters behind `/metrics`. Depends on nothing.
//! - [`schedule`]: cron timing and jitter; depends only on `model`-level data.
//! - [`rules`]: per-source content rules (`[source.rules]`): compiled by
//!   `config`, applied by `app` before normalization; its regex compiler
//!   (length and size caps) serves `serve` too. Depends on `model` and
//!   `text`.
//! - [`config`]: the TOML file, validated into a checked [`Config`]; uses
//!   `schedule` to check cron expressions and `rules` to compile rules.
//! - The stages, each depending only on `model`: `fetch` (HTTP), `source`
//!   (bytes or files → raw items), `extract` (an HTML article page →
//!   its metadata and body), `normalize` (raw item → item, pure),
//!   [`store`] (the `Store` trait; SQLite and PostgreSQL), `render` (items →
//!   feed bytes, pure), `serve` (HTTP routes over rendered bytes; it also
//!   counts requests in `telemetry`, and checks the patterns of feeds on
//!   request with `rules`).
//! - [`opml`]: OPML 2.0 both ways (sources → subscription list, and a
//!   reader's list → `[[source]]` TOML); depends on nothing in the crate.
//! - [`app`]: the composition root, the only module that sees every stage;
//!   `app::daemon` runs it as a service (supervision, reload, systemd).
//!
//! - `bench` and `fuzzing` (behind features): entry points for the
//!   benchmarks and the fuzz targets; like `app`, they see the stages.
//!
//! The rule: the stages never import each other; they meet in `app`, and the
//! `tidings` binary only parses arguments and calls `app`.

pub mod app;
#[cfg(feature = "bench")]
pub mod bench;
pub mod config;
mod extract;
mod fetch;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod model;
mod normalize;
pub mod opml;
mod render;
pub mod rules;
pub mod schedule;
mod serve;
mod source;
pub mod store;
mod telemetry;
mod text;

pub use app::{AppError, Format, Report};
pub use config::{Config, ConfigErrors};
pub use normalize::plain_text;
pub use schedule::Schedule;
