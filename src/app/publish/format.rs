//! The feed formats tidings serves: each one's extension, content type and
//! renderer. Uses `render` and `serve`'s [`Rendered`].

use crate::model::{FeedMeta, Item};
use crate::render;
use crate::serve::Rendered;

/// A feed format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    pub fn ext(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    pub(in crate::app) fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    pub(in crate::app) fn render(self, meta: &FeedMeta, items: &[Item]) -> Vec<u8> {
        match self {
            Format::Rss => render::rss(meta, items),
            Format::Atom => render::atom(meta, items),
            Format::Json => render::json(meta, items),
        }
    }

    /// The feed rendered in this format, ready to serve, and its path
    /// (`feeds/all.rss`).
    pub(crate) fn rendered(self, meta: &FeedMeta, items: &[Item]) -> (String, Rendered) {
        let body = self.render(meta, items);
        (
            format!("{}.{}", meta.path, self.ext()),
            Rendered::new(self.content_type(), body, meta.updated),
        )
    }
}
