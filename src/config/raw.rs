//! The config file's shape as serde reads it: every value kept with its
//! span so the validator can point at it. Nothing here is checked yet.

use super::{ContentMode, Select};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub(super) listen: Option<Spanned<String>>,
    pub(super) base_url: Option<Spanned<String>>,
    pub(super) websub_hub: Option<Spanned<String>>,
    pub(super) max_connections: Option<Spanned<i64>>,
    pub(super) header_timeout: Option<Spanned<String>>,
    pub(super) admin_token: Option<Spanned<String>>,
    pub(super) archive_settle: Option<Spanned<String>>,
    pub(super) websub_subscribe: Option<Spanned<bool>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    pub(super) url: Option<Spanned<String>>,
    pub(super) state_dir: Option<String>,
    pub(super) retain_days: Option<Spanned<i64>>,
    pub(super) keep_min: Option<Spanned<i64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFetch {
    pub(super) schedule: Option<Spanned<String>>,
    pub(super) user_agent: Option<String>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) max_body: Option<Spanned<String>>,
    pub(super) concurrency: Option<Spanned<i64>>,
    pub(super) per_host: Option<Spanned<i64>>,
    pub(super) allow_private: Option<bool>,
    pub(super) proxy: Option<Spanned<String>>,
    pub(super) max_item: Option<Spanned<String>>,
    pub(super) max_items: Option<Spanned<i64>>,
    pub(super) adaptive_min: Option<Spanned<String>>,
    pub(super) adaptive_max: Option<Spanned<String>>,
    pub(super) websub_poll: Option<Spanned<String>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawKind {
    Feed,
    Html,
    Files,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) id: Spanned<String>,
    pub(super) title: Option<String>,
    pub(super) kind: Spanned<RawKind>,
    pub(super) url: Option<Spanned<String>>,
    pub(super) path: Option<Spanned<String>>,
    pub(super) follow_links: Option<Spanned<bool>>,
    pub(super) schedule: Option<Spanned<String>>,
    pub(super) full_text: Option<Spanned<bool>>,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    pub(super) timezone: Option<Spanned<String>>,
    pub(super) user_agent: Option<String>,
    pub(super) timeout: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) headers: BTreeMap<String, String>,
    pub(super) select: Option<Spanned<Select>>,
    pub(super) rules: Option<Spanned<RawRules>>,
}

/// `[source.rules]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRules {
    pub(super) body: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) remove: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) rewrite: Vec<Spanned<RawRewrite>>,
    #[serde(default)]
    pub(super) include: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) exclude: Vec<Spanned<String>>,
}

/// One `rewrite = [{ field, pattern, with }]` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRewrite {
    pub(super) field: Spanned<String>,
    pub(super) pattern: Spanned<String>,
    #[serde(default)]
    pub(super) with: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    pub(super) id: Spanned<String>,
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    pub(super) sources: Option<Vec<Spanned<String>>>,
    pub(super) tags: Option<Vec<Spanned<String>>>,
    pub(super) limit: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) include: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) exclude: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) dedupe: bool,
    pub(super) content: Option<ContentMode>,
    #[serde(default)]
    pub(super) error_items: bool,
    pub(super) archive_page: Option<Spanned<i64>>,
}
