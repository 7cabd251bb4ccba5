//! One module per source kind, each turning what it reads into
//! [`RawItem`](crate::model::RawItem)s: `feed` parses RSS/Atom/JSON Feed bytes,
//! `files` reads local article files, `html` reads listing pages; `discover`
//! finds the feeds an HTML page advertises.
//!
//! Depends only on `model`; fetching bytes and normalizing items happen
//! elsewhere and meet these modules in `app`.

pub mod discover;
pub mod feed;
pub mod files;
pub mod html;
