//! `tidings preview --url URL`: a source that is not in any config, read
//! as `tidings preview` reads a configured one, without a config file or a
//! store on disk.
//!
//! The flags become a one-source config (`kind`, `url`, `full_text`,
//! `[source.select]` from `--select KEY=CSS`, `[source.rules]` from
//! `--rule 'KEY = VALUE'` in TOML), checked by the config's own
//! validation, so a flag is refused exactly when the same key in a config
//! file would be, and the error names the flag.

use super::commands::read_preview;
use super::{App, AppError};
use crate::config::Config;
use crate::model::Item;
use crate::store;
use toml::{Table, Value};

/// What `--kind` says the URL is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewKind {
    Feed,
    Html,
}

/// A source given on the command line.
#[derive(Debug, Clone, Default)]
pub struct UrlSource {
    pub url: String,
    /// `None`: html when `select` is given, else feed.
    pub kind: Option<PreviewKind>,
    /// `KEY=CSS` (or `follow=true`), keys as in `[source.select]`.
    pub select: Vec<String>,
    /// `KEY = VALUE` in TOML, keys as in `[source.rules]`; lists given
    /// again are appended to.
    pub rules: Vec<String>,
    pub full_text: bool,
    /// Whether loopback and private addresses may be fetched.
    pub allow_private: bool,
}

/// The id the previewed source gets.
const ID: &str = "preview";

/// `tidings preview --url`: the source's normalized items, newest first,
/// nothing written anywhere.
///
/// Fails with [`AppError::BadPreview`] when the flags make no valid
/// source, and as `preview` does when it cannot be read.
pub async fn preview_url(given: &UrlSource) -> Result<Vec<Item>, AppError> {
    let config = config(given)?;
    let source = config.sources[0].clone();
    // An in-memory SQLite store: a preview writes nothing, and the store
    // is only there because every app has one. (":memory:" joined to an
    // empty folder is itself, which SQLite opens in memory.)
    let store = store::open("sqlite::memory:", std::path::Path::new("")).await?;
    let app = App::with_store(config, store)?;
    read_preview(&app, &source, given.url.clone()).await
}

/// The one-source config the flags describe.
fn config(given: &UrlSource) -> Result<Config, AppError> {
    let mut problems = Vec::new();
    let kind = match given.kind {
        Some(PreviewKind::Feed) => "feed",
        Some(PreviewKind::Html) => "html",
        None if given.select.is_empty() => "feed",
        None => "html",
    };
    let mut source = Table::new();
    source.insert("id".into(), ID.into());
    source.insert("kind".into(), kind.into());
    source.insert("url".into(), given.url.clone().into());
    if given.full_text {
        source.insert("full_text".into(), true.into());
    }
    if !given.select.is_empty() {
        let mut select = Table::new();
        for s in &given.select {
            match s.split_once('=') {
                Some(("follow", v)) => match v.trim() {
                    "true" => select.insert("follow".into(), true.into()),
                    "false" => select.insert("follow".into(), false.into()),
                    other => {
                        problems.push(format!(
                            "--select follow={other}: expected follow=true or follow=false"
                        ));
                        None
                    }
                },
                Some((key, css)) => select.insert(key.trim().into(), css.trim().into()),
                None => {
                    problems.push(format!(
                        "--select {s:?}: expected KEY=CSS, such as item=article"
                    ));
                    None
                }
            };
        }
        source.insert("select".into(), select.into());
    }
    if !given.rules.is_empty() {
        let mut rules = Table::new();
        for r in &given.rules {
            match r.parse::<Table>() {
                Ok(t) => {
                    for (k, v) in t {
                        match (rules.get_mut(&k), v) {
                            (Some(Value::Array(old)), Value::Array(more)) => old.extend(more),
                            (_, v) => {
                                rules.insert(k, v);
                            }
                        }
                    }
                }
                Err(e) => problems.push(format!(
                    "--rule {r:?}: not TOML such as 'body = \"div.story\"': {}",
                    e.message()
                )),
            }
        }
        source.insert("rules".into(), rules.into());
    }
    if !problems.is_empty() {
        return Err(AppError::BadPreview(problems));
    }
    let mut fetch = Table::new();
    fetch.insert("allow_private".into(), given.allow_private.into());
    let mut root = Table::new();
    root.insert("fetch".into(), fetch.into());
    root.insert("source".into(), Value::Array(vec![source.into()]));
    Config::parse("--url", &root.to_string()).map_err(|errors| {
        AppError::BadPreview(
            errors
                .0
                .iter()
                .map(|e| format!("{}: {}", flag(&e.key), e.message))
                .collect(),
        )
    })
}

/// The flag a config key of the previewed source came from.
fn flag(key: &str) -> String {
    let key = key
        .strip_prefix(&format!("source[0] ({ID})."))
        .or_else(|| key.strip_prefix("source[0]."))
        .unwrap_or(key);
    match key.split_once('.') {
        Some(("select", k)) => format!("--select {k}"),
        Some(("rules", k)) => format!("--rule {k}"),
        _ => match key {
            "select" => "--select".into(),
            "rules" => "--rule".into(),
            "full_text" => "--full-text".into(),
            "url" => "--url".into(),
            other => other.into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(given: UrlSource) -> Vec<String> {
        match config(&given) {
            Err(AppError::BadPreview(p)) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags_make_one_source_or_name_the_flag_that_does_not() {
        let given = UrlSource {
            url: "https://example.org/news/".into(),
            select: vec![
                "item=article".into(),
                "link=h2 a".into(),
                "follow=true".into(),
            ],
            rules: vec![
                "remove = [\".share\"]".into(),
                "remove = [\".ad\"]".into(),
                "exclude = [\"(?i)sponsored\"]".into(),
            ],
            ..UrlSource::default()
        };
        let cfg = config(&given).unwrap();
        let s = &cfg.sources[0];
        assert_eq!(s.kind.name(), "html");
        assert_eq!(s.rules.remove.len(), 2);
        assert!(!s.rules.keeps("Sponsored\n"));
        let p = refused(UrlSource {
            url: "ftp://example.org/".into(),
            ..UrlSource::default()
        });
        assert!(p[0].starts_with("--url: "), "{p:?}");
        let p = refused(UrlSource {
            url: "https://example.org/".into(),
            select: vec!["item=div".into(), "colour=red".into()],
            ..UrlSource::default()
        });
        assert!(p[0].starts_with("--select colour: unknown field"), "{p:?}");
        let p = refused(UrlSource {
            url: "https://example.org/".into(),
            select: vec!["item=div[".into()],
            rules: vec!["body = \"p:::x\"".into()],
            ..UrlSource::default()
        });
        assert!(p.iter().any(|p| p.starts_with("--select item: ")), "{p:?}");
        assert!(p.iter().any(|p| p.starts_with("--rule body: ")), "{p:?}");
        let p = refused(UrlSource {
            url: "https://example.org/".into(),
            kind: Some(PreviewKind::Feed),
            select: vec!["item=article".into(), "nonsense".into()],
            rules: vec!["body =".into()],
            ..UrlSource::default()
        });
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(
            p[0].starts_with("--select \"nonsense\": expected KEY=CSS"),
            "{p:?}"
        );
        assert!(p[1].starts_with("--rule \"body =\": not TOML"), "{p:?}");
        let p = refused(UrlSource {
            url: "https://example.org/".into(),
            kind: Some(PreviewKind::Feed),
            select: vec!["item=article".into()],
            ..UrlSource::default()
        });
        assert_eq!(p, ["--select: only an html source has selectors"]);
    }
}
