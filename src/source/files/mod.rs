//! The `files` kind: a directory of local article files, Markdown (`*.md`,
//! `*.markdown`) and HTML (`*.html`, `*.htm`), read into [`RawItem`]s.
//!
//! A Markdown file may open with YAML (`---`) or TOML (`+++`) front matter.
//! Without it, the shape of a plain exported article is understood: a `# `
//! title, a bold byline and a date line under it, then the body. HTML files
//! give their title, author, date, canonical link and main content; full
//! content extraction belongs to another stage.
//!
//! Parts: this module walks the folder and reads files within their limits;
//! `markdown` and `html` turn one file's text into an item.
//!
//! Dates are handed on as text
//! ([`RawDate::Text`](crate::model::RawDate::Text)) for normalization to
//! read.
//! File modification times are not used: a copy or a checkout changes them,
//! and they say nothing about when the article was published.
//!
//! Depends only on `model` and `text`; renders Markdown with
//! `pulldown-cmark`, reads front matter with `serde_norway` and `toml`,
//! parses HTML with `dom_query`.

mod html;
mod markdown;
#[cfg(test)]
mod tests;

pub use html::parse_html;
pub use markdown::markdown_item;

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::model::RawItem;

/// Why a directory or file could not be read; Display names the path and what
/// is wrong.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// The directory, or one of its subdirectories, could not be listed.
    #[error("cannot read directory {}: {source}", .path.display())]
    ReadDir { path: PathBuf, source: io::Error },
    /// A file could not be read, or is not UTF-8.
    #[error("cannot read {}: {source}", .path.display())]
    ReadFile { path: PathBuf, source: io::Error },
    /// A Markdown file's front matter is malformed or not closed. `line` is
    /// 1-based and counted in the whole file, so an editor can jump to it.
    #[error("{}:{line}: bad front matter: {message}", .path.display())]
    FrontMatter {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// What a folder held: each article with its path relative to the folder
/// (`/`-separated), and what could not be read.
pub type Folder = (Vec<(String, RawItem)>, Vec<FilesError>);

/// Largest article file read, in bytes; a larger one is reported and skipped.
pub const MAX_FILE: u64 = 8 * 1024 * 1024;

/// Every article file under `dir` (recursive; *.md, *.markdown, *.html,
/// *.htm; hidden files skipped), sorted by path, each with its path relative
/// to `dir` (`/`-separated).
///
/// A file that cannot be read or parsed is reported in the Vec of errors; the
/// others are still returned. Fails as a whole only when `dir` itself cannot
/// be read. Only regular files up to [`MAX_FILE`] bytes are read (a FIFO or a
/// device would hang or never end). Hidden directories are skipped, symbolic
/// links to directories are not followed (so a link cycle cannot recurse
/// forever), and a link to a file outside `dir` is refused unless
/// `follow_links`.
pub fn read_dir(dir: &Path, follow_links: bool) -> Result<Folder, FilesError> {
    let entries = fs::read_dir(dir).map_err(|source| FilesError::ReadDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    let mut errors = Vec::new();
    walk(dir, entries, &mut files, &mut errors);
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let root = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());

    let mut items = Vec::with_capacity(files.len());
    for (path, kind) in files {
        match read_file(dir, &root, &path, kind, follow_links) {
            Ok(item) => items.push(item),
            Err(error) => errors.push(error),
        }
    }
    Ok((items, errors))
}

/// The article at `rel_path` under `dir`, read as [`read_dir`] reads each:
/// `None` when the path is not an article file there (a hidden or `..`
/// component, another extension, not a regular file, or a link out of `dir`
/// without `follow_links`).
pub fn read_one(dir: &Path, rel_path: &str, follow_links: bool) -> Option<RawItem> {
    let parts: Vec<&str> = rel_path.split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || p.starts_with('.') || p.contains('\\'))
    {
        return None;
    }
    let path = parts.iter().fold(dir.to_path_buf(), |p, part| p.join(part));
    let kind = kind_of(&path)?;
    let root = fs::canonicalize(dir).ok()?;
    read_file(dir, &root, &path, kind, follow_links)
        .ok()
        .map(|(_, item)| item)
}

/// What a file's extension says it holds.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Markdown,
    Html,
}

fn kind_of(path: &Path) -> Option<Kind> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "md" | "markdown" => Some(Kind::Markdown),
        "html" | "htm" => Some(Kind::Html),
        _ => None,
    }
}

/// Collects the article files below `dir`; errors below the top level are
/// reported, not fatal.
fn walk(
    dir: &Path,
    entries: fs::ReadDir,
    files: &mut Vec<(PathBuf, Kind)>,
    errors: &mut Vec<FilesError>,
) {
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(source) => {
                errors.push(FilesError::ReadDir {
                    path: dir.to_path_buf(),
                    source,
                });
                continue;
            }
        };
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        // `file_type` does not follow symbolic links.
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(source) => {
                errors.push(FilesError::ReadDir { path, source });
                continue;
            }
        };
        if file_type.is_dir() {
            match fs::read_dir(&path) {
                Ok(sub) => walk(&path, sub, files, errors),
                Err(source) => errors.push(FilesError::ReadDir { path, source }),
            }
        } else if (file_type.is_file() || file_type.is_symlink())
            && let Some(kind) = kind_of(&path)
        {
            files.push((path, kind));
        }
    }
}

fn read_file(
    dir: &Path,
    root: &Path,
    path: &Path,
    kind: Kind,
    follow_links: bool,
) -> Result<(String, RawItem), FilesError> {
    let refuse = |why: &str| FilesError::ReadFile {
        path: path.to_path_buf(),
        source: io::Error::other(why.to_string()),
    };
    let read = |source| FilesError::ReadFile {
        path: path.to_path_buf(),
        source,
    };
    // Checked before opening: opening a FIFO blocks until a writer comes.
    let meta = fs::metadata(path).map_err(read)?;
    if !meta.is_file() {
        return Err(refuse("not a regular file"));
    }
    if meta.len() > MAX_FILE {
        return Err(refuse(&format!("larger than {MAX_FILE} bytes")));
    }
    if !follow_links {
        let real = fs::canonicalize(path).map_err(read)?;
        if !real.starts_with(root) {
            return Err(refuse(
                "a link out of the folder (set follow_links = true to read it)",
            ));
        }
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut bytes))
        .map_err(read)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(refuse(&format!("larger than {MAX_FILE} bytes")));
    }
    // A stray byte that is not UTF-8 costs that character, not the article.
    let text = String::from_utf8_lossy(&bytes);
    let rel_path = path
        .strip_prefix(dir)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    let item = match kind {
        Kind::Markdown => markdown_item(path, &text)?,
        Kind::Html => parse_html(&text),
    };
    Ok((rel_path, item))
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}
