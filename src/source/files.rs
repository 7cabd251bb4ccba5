//! The `files` kind: a directory of local article files, Markdown (`*.md`,
//! `*.markdown`) and HTML (`*.html`, `*.htm`), read into [`RawItem`]s.
//!
//! A Markdown file may open with YAML (`---`) or TOML (`+++`) front matter.
//! Without it, the shape of a plain exported article is understood: a `# `
//! title, a bold byline and a date line under it, then the body. HTML files get
//! a small hand-written scan for title, author, date, canonical link and main
//! content; full content extraction belongs to another module.
//!
//! Dates are handed on as text ([`RawDate::Text`]) for normalization to read.
//! File modification times are not used: a copy or a checkout changes them,
//! and they say nothing about when the article was published.
//!
//! Depends only on `model`; renders Markdown with `pulldown-cmark`, reads front
//! matter with `serde_norway` and `toml`, decodes HTML attribute values with
//! `html-escape`.

use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::model::{RawDate, RawItem};
use crate::text;

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

/// One article from an HTML file's text; its guid is the canonical link
/// the page names, if any (else the caller gives it one from its path).
///
/// Title: `<title>`, else the first `<h1>` (entities and inline markup kept
/// for normalization). Authors: `<meta name="author">`. Date:
/// `<meta property="article:published_time">`, else the first
/// `<time datetime>`. Content: the inner HTML of the first `<article>`, else
/// `<main>`, else `<body>`, else everything after `</head>`.
pub fn parse_html(text: &str) -> RawItem {
    let html = strip_bom(text);
    let tags = scan_tags(html);
    let opening = |name: &'static str| tags.iter().filter(move |t| !t.closing && t.name == name);

    let title = ["title", "h1"]
        .iter()
        .filter_map(|name| inner_html(html, &tags, name))
        .map(str::trim)
        .find(|t| !t.is_empty())
        .map(str::to_owned);
    let authors = opening("meta")
        .filter(|t| {
            t.attr("name")
                .is_some_and(|n| n.eq_ignore_ascii_case("author"))
        })
        .filter_map(|t| t.attr("content"))
        .filter(|a| !a.is_empty())
        .collect();
    // The page-level meta comes first: a <time> may as well belong to a
    // comment or a related-articles box.
    let published = opening("meta")
        .filter(|t| t.attr("property").as_deref() == Some("article:published_time"))
        .chain(opening("time"))
        .filter_map(|t| {
            t.attr(if t.name == "meta" {
                "content"
            } else {
                "datetime"
            })
        })
        .find(|d| !d.is_empty())
        .map(RawDate::Text);
    let link = opening("link")
        .filter(|t| {
            t.attr("rel").is_some_and(|rel| {
                rel.split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("canonical"))
            })
        })
        .filter_map(|t| t.attr("href"))
        .find(|href| !href.is_empty());
    let content = ["article", "main", "body"]
        .iter()
        .find_map(|name| inner_html(html, &tags, name))
        .unwrap_or_else(|| {
            tags.iter()
                .find(|t| t.closing && t.name == "head")
                .map_or(html, |head| &html[head.end..])
        })
        .trim();

    RawItem {
        guid: link.clone(),
        link,
        title,
        authors,
        published,
        content_html: (!content.is_empty()).then(|| content.to_owned()),
        ..RawItem::default()
    }
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

// ---------------------------------------------------------------- Markdown

/// One Markdown article, with the path its errors should name (the full path when
/// reading a directory).
pub(crate) fn markdown_item(path: &Path, text: &str) -> Result<RawItem, FilesError> {
    let bad = |(line, message)| FilesError::FrontMatter {
        path: path.to_path_buf(),
        line,
        message,
    };
    let text = strip_bom(text);
    let (block, body) = split_front_matter(text).map_err(bad)?;
    let mut item = match block {
        Some(block) => with_front_matter(block.parse().map_err(bad)?, body),
        None => plain_article(body),
    };
    item.guid.clone_from(&item.link);
    Ok(item)
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES
}

/// Markdown rendered to HTML; `None` when there is nothing to render.
fn render(markdown: &str) -> Option<String> {
    if markdown.trim().is_empty() {
        return None;
    }
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, markdown_options()));
    Some(html)
}

/// A plain exported article: title heading, then optionally a bold byline
/// and a date line, each possibly after blank lines; the rest is the body.
/// Text before the heading stays in the body.
fn plain_article(text: &str) -> RawItem {
    let Some(heading) = find_h1(text, false) else {
        return RawItem {
            content_html: render(text),
            ..RawItem::default()
        };
    };
    let mut rest = heading.end;
    let mut authors = Vec::new();
    if let Some((line, next)) = next_line(text, rest)
        && let Some(name) = byline(line)
    {
        authors.push(name.to_owned());
        rest = next;
    }
    // A date line is also taken right under the title when there is no byline.
    let mut published = None;
    if let Some((line, next)) = next_line(text, rest)
        && let Some(date) = date_line(line)
    {
        published = Some(RawDate::Text(date.to_owned()));
        rest = next;
    }
    let body = [&text[..heading.start], &text[rest..]].concat();
    RawItem {
        title: Some(heading.html),
        authors,
        published,
        content_html: render(&body),
        ..RawItem::default()
    }
}

fn with_front_matter(front: FrontMatter, body: &str) -> RawItem {
    let mut title = front
        .title
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let content_html = match find_h1(body, true) {
        // The heading repeats the title, or stands in for a missing one.
        Some(heading) if title.as_deref().is_none_or(|t| t == heading.plain) => {
            let rest = [&body[..heading.start], &body[heading.end..]].concat();
            title.get_or_insert(heading.html);
            render(&rest)
        }
        _ => render(body),
    };
    let strings = |list: Option<Strings>| -> Vec<String> {
        list.map(|l| l.0)
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    RawItem {
        link: front
            .link
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty()),
        title,
        authors: strings(front.author),
        summary_html: front.summary.as_deref().and_then(render),
        content_html,
        published: front.date.map(|d| RawDate::Text(d.0)),
        categories: strings(front.tags),
        ..RawItem::default()
    }
}

/// A level-1 heading: where it sits (`end` at a line start) and its text.
struct Heading {
    start: usize,
    end: usize,
    /// Inline HTML, as a title may carry (normalization strips it).
    html: String,
    /// Plain text, to compare with a front matter title.
    plain: String,
}

/// The first top-level `#` (or setext `=`) heading; with `leading_only`, only
/// when it is the first block. Found with the Markdown parser so that a `# `
/// line in a code block is not taken for one.
fn find_h1(text: &str, leading_only: bool) -> Option<Heading> {
    let mut depth = 0usize;
    let mut events = Parser::new_ext(text, markdown_options()).into_offset_iter();
    while let Some((event, range)) = events.next() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) if depth == 0 => {
                let inner: Vec<Event> = events
                    .by_ref()
                    .map(|(e, _)| e)
                    .take_while(|e| !matches!(e, Event::End(TagEnd::Heading(_))))
                    .collect();
                let mut html = String::new();
                pulldown_cmark::html::push_html(&mut html, inner.iter().cloned());
                let mut plain = String::new();
                for event in &inner {
                    match event {
                        Event::Text(t) | Event::Code(t) => plain.push_str(t),
                        Event::SoftBreak | Event::HardBreak => plain.push(' '),
                        _ => {}
                    }
                }
                return Some(Heading {
                    start: range.start,
                    end: line_end(text, range.end),
                    html: html.trim().to_owned(),
                    plain: plain.trim().to_owned(),
                });
            }
            _ if leading_only => return None,
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// `pos` if it starts a line, else the start of the next line.
fn line_end(text: &str, pos: usize) -> usize {
    if pos == 0 || text[..pos].ends_with('\n') {
        pos
    } else {
        text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1)
    }
}

/// The first non-blank line at or after `pos` (a line start), without its
/// line ending, and where the line after it starts.
fn next_line(text: &str, mut pos: usize) -> Option<(&str, usize)> {
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let line = text[pos..end].trim_end_matches(['\n', '\r']);
        if !line.trim().is_empty() {
            return Some((line, end));
        }
        pos = end;
    }
    None
}

/// Strips a Markdown hard line break (two trailing spaces or a backslash).
fn without_line_break(line: &str) -> &str {
    let line = line.trim();
    line.strip_suffix('\\').unwrap_or(line).trim()
}

/// The name in a line that is only bold text: `**Name**` or `__Name__`.
fn byline(line: &str) -> Option<&str> {
    let line = without_line_break(line);
    let name = ["**", "__"]
        .iter()
        .find_map(|mark| line.strip_prefix(mark)?.strip_suffix(mark))?
        .trim();
    let only_bold = !name.is_empty() && !name.contains("**") && !name.contains("__");
    only_bold.then_some(name)
}

/// The date in a line that holds only a date (`31 July 2017`, `July 31,
/// 2017`, `Mon, 31 Jul 2017 10:00 BST`, `2017-07-31`, `31/07/2017`), without
/// emphasis around it. Nothing is parsed: a line qualifies when it has a
/// four-digit year and a month name or a numeric day-month-year, and every
/// other word is a weekday, a number, a time, `at`, am/pm or a zone
/// abbreviation, so a body sentence that starts with a date is not taken.
fn date_line(line: &str) -> Option<&str> {
    let text = without_line_break(line).trim_matches(['*', '_']).trim();
    if text.is_empty() || text.len() > 60 {
        return None;
    }
    let name_of = |word: &str, names: &[&str]| text::name_index(word, names).is_some();
    let (mut year, mut month, mut numeric_date) = (false, false, false);
    for token in text.split(|c: char| c.is_whitespace() || c == ',') {
        let word = token.trim_end_matches('.').to_ascii_lowercase();
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let ordinal = ["st", "nd", "rd", "th"].iter().any(|s| {
            word.strip_suffix(s)
                .is_some_and(|n| n.len() <= 2 && digits(n))
        });
        let zone = (2..=5).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_uppercase());
        let filler = word.is_empty()
            || ordinal
            || zone
            || name_of(&word, &text::WEEKDAYS)
            || ["at", "am", "pm", "a.m", "p.m"].contains(&word.as_str());
        if name_of(&word, &text::MONTHS) {
            month = true;
        } else if digits(&word) {
            year |= word.len() == 4;
        } else if !word.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_digit() || b"-/.:+TZ".contains(&b))
        {
            // `2017-07-31T10:00:00Z`, `31/07/2017`, `10:30`, `+02:00`.
            let day = token.split('T').next().unwrap_or_default();
            let groups: Vec<&str> = day.split(['-', '/', '.']).collect();
            numeric_date |= groups.len() == 3 && groups.iter().all(|g| digits(g));
            year |= groups.iter().any(|g| g.len() == 4 && digits(g));
        } else if !filler {
            return None;
        }
    }
    (year && (month || numeric_date)).then_some(text)
}

/// Front matter as it sits in the file: the text between the fences and the
/// file line its first line is on.
struct FrontMatterBlock<'a> {
    toml: bool,
    text: &'a str,
    first_line: usize,
}

/// Splits front matter (opening after any blank lines) from the body. An
/// opening fence without a closing one is an error `(line, message)`.
fn split_front_matter(text: &str) -> Result<(Option<FrontMatterBlock<'_>>, &str), (usize, String)> {
    let mut lines = text
        .split_inclusive('\n')
        .scan(0, |pos, raw| {
            let start = *pos;
            *pos += raw.len();
            Some((start, *pos, raw.trim_end()))
        })
        .zip(1..);
    let Some(((_, open_end, open), open_line)) = lines.find(|((_, _, line), _)| !line.is_empty())
    else {
        return Ok((None, text));
    };
    let fence = match open {
        "---" | "+++" => open,
        _ => return Ok((None, text)),
    };
    for ((start, end, line), _) in lines {
        // YAML may also end its document with `...`.
        if line == fence || (fence == "---" && line == "...") {
            let block = FrontMatterBlock {
                toml: fence == "+++",
                text: &text[open_end..start],
                first_line: open_line + 1,
            };
            return Ok((Some(block), &text[end..]));
        }
    }
    Err((
        open_line,
        format!("no closing `{fence}` for the front matter opened here"),
    ))
}

impl FrontMatterBlock<'_> {
    /// The keys, or `(file line, message)`.
    fn parse(&self) -> Result<FrontMatter, (usize, String)> {
        if self.toml {
            toml::from_str(self.text).map_err(|e| {
                let offset = e.span().map_or(0, |span| span.start);
                let line = self
                    .text
                    .bytes()
                    .take(offset)
                    .filter(|&b| b == b'\n')
                    .count();
                (self.first_line + line, e.message().to_owned())
            })
        } else {
            // `Option`, as empty YAML is null, not a mapping.
            serde_norway::from_str::<Option<FrontMatter>>(self.text)
                .map(Option::unwrap_or_default)
                .map_err(|e| {
                    let line = e.location().map_or(0, |l| l.line().saturating_sub(1));
                    (self.first_line + line, yaml_message(&e))
                })
        }
    }
}

/// The YAML error without the positions serde_norway appends: they count
/// lines inside the block, and the error gives the file's line instead.
fn yaml_message(error: &serde_norway::Error) -> String {
    let text = error.to_string();
    let cut = [" at line ", " at position "]
        .iter()
        .filter_map(|marker| text.find(marker))
        .min()
        .unwrap_or(text.len());
    text[..cut].to_owned()
}

/// The front matter keys this kind reads; serde ignores the others.
#[derive(Debug, Default, Deserialize)]
struct FrontMatter {
    title: Option<String>,
    #[serde(alias = "authors")]
    author: Option<Strings>,
    date: Option<DateText>,
    link: Option<String>,
    tags: Option<Strings>,
    summary: Option<String>,
}

/// A value given as one string or a list of strings.
#[derive(Debug)]
struct Strings(Vec<String>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringsVisitor;

        impl<'de> Visitor<'de> for StringsVisitor {
            type Value = Strings;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Strings, E> {
                Ok(Strings(vec![value.to_owned()]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
                let mut all = Vec::new();
                while let Some(value) = seq.next_element::<String>()? {
                    all.push(value);
                }
                Ok(Strings(all))
            }
        }

        deserializer.deserialize_any(StringsVisitor)
    }
}

/// A date as text: a string, or a TOML datetime written back as text.
#[derive(Debug)]
struct DateText(String);

impl<'de> Deserialize<'de> for DateText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;

        impl<'de> Visitor<'de> for DateVisitor {
            type Value = DateText;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date string or a TOML datetime")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<DateText, E> {
                Ok(DateText(value.trim().to_owned()))
            }

            // The toml deserializer hands a datetime to `deserialize_any` as a
            // map; `Datetime` itself knows how to read that map.
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DateText, A::Error> {
                toml::value::Datetime::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|datetime| DateText(datetime.to_string()))
                    // Any other map (a YAML one): say what was expected.
                    .map_err(|_| de::Error::invalid_type(de::Unexpected::Map, &self))
            }
        }

        deserializer.deserialize_any(DateVisitor)
    }
}

// -------------------------------------------------------------------- HTML

/// Elements whose text is not markup: the scan jumps to their end tag.
const RAW_TEXT: [&str; 4] = ["script", "style", "title", "textarea"];

/// A start or end tag found by [`scan_tags`].
struct HtmlTag<'a> {
    /// Lowercase.
    name: String,
    closing: bool,
    start: usize,
    /// Just past the `>`.
    end: usize,
    src: &'a str,
}

impl HtmlTag<'_> {
    /// An attribute's value, entities decoded and trimmed.
    fn attr(&self, wanted: &str) -> Option<String> {
        let (src, b) = (self.src, self.src.as_bytes());
        let is_space = |i: usize| b.get(i).is_some_and(u8::is_ascii_whitespace);
        let mut i = 1 + usize::from(self.closing) + self.name.len();
        loop {
            while is_space(i) || b.get(i) == Some(&b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                return None;
            }
            let name_start = i;
            while i < b.len() && !is_space(i) && !matches!(b[i], b'=' | b'>' | b'/') {
                i += 1;
            }
            let name = &src[name_start..i];
            while is_space(i) {
                i += 1;
            }
            let mut value = "";
            if b.get(i) == Some(&b'=') {
                i += 1;
                while is_space(i) {
                    i += 1;
                }
                match b.get(i) {
                    Some(&quote @ (b'"' | b'\'')) => {
                        let start = i + 1;
                        let end = src[start..]
                            .find(char::from(quote))
                            .map_or(src.len(), |e| start + e);
                        value = &src[start..end];
                        i = end + 1;
                    }
                    _ => {
                        let start = i;
                        while i < b.len() && !is_space(i) && b[i] != b'>' {
                            i += 1;
                        }
                        value = &src[start..i];
                    }
                }
            }
            if name.eq_ignore_ascii_case(wanted) {
                return Some(html_escape::decode_html_entities(value).trim().to_owned());
            }
        }
    }
}

/// The start and end tags of a document, in order; comments are skipped and
/// so is the text of [`RAW_TEXT`] elements. Positions are byte offsets of
/// ASCII characters, so slicing at them is safe.
fn scan_tags(html: &str) -> Vec<HtmlTag<'_>> {
    let lower = html.to_ascii_lowercase();
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut pos = 0;
    while let Some(found) = html[pos..].find('<') {
        let start = pos + found;
        if html[start..].starts_with("<!--") {
            pos = html[start + 4..]
                .find("-->")
                .map_or(html.len(), |e| start + 4 + e + 3);
            continue;
        }
        let closing = bytes.get(start + 1) == Some(&b'/');
        let name_start = start + 1 + usize::from(closing);
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            // `<!doctype …>`, `<?xml …?>` or a `<` in text.
            pos = start + 1;
            continue;
        }
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b':')
            .count();
        let name = lower[name_start..name_start + name_len].to_owned();
        let end = tag_end(bytes, name_start + name_len);
        pos = end;
        if !closing && RAW_TEXT.contains(&name.as_str()) {
            let close = format!("</{name}");
            pos = lower[end..].find(&close).map_or(html.len(), |i| end + i);
        }
        tags.push(HtmlTag {
            name,
            closing,
            start,
            end,
            src: &html[start..end],
        });
    }
    tags
}

/// Just past the `>` that ends a tag, skipping quoted attribute values (they
/// may hold `>`); the end of the text when the tag is not closed.
fn tag_end(bytes: &[u8], mut i: usize) -> usize {
    let mut after_equals = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'>' => return i + 1,
            b'=' => after_equals = true,
            b'"' | b'\'' if after_equals => {
                i = bytes[i + 1..]
                    .iter()
                    .position(|&c| c == b)
                    .map_or(bytes.len(), |p| i + 1 + p);
                after_equals = false;
            }
            b if b.is_ascii_whitespace() => {}
            _ => after_equals = false,
        }
        i += 1;
    }
    bytes.len()
}

/// The inner HTML of the first `name` element, up to its matching end tag
/// (or the end of the document when it has none).
fn inner_html<'a>(html: &'a str, tags: &[HtmlTag<'_>], name: &str) -> Option<&'a str> {
    let open = tags.iter().position(|t| !t.closing && t.name == name)?;
    let start = tags[open].end;
    let mut depth = 0usize;
    for tag in tags[open + 1..].iter().filter(|t| t.name == name) {
        if !tag.closing {
            depth += 1;
        } else if depth == 0 {
            return Some(&html[start..tag.start]);
        } else {
            depth -= 1;
        }
    }
    Some(&html[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_markdown(rel_path: &str, text: &str) -> Result<RawItem, FilesError> {
        markdown_item(Path::new(rel_path), text)
    }

    const SEED: &str = "\n\n# Putin confirms expulsion of US diplomats from Russia\n\n\
        **Nick Beams**  \n31 July 2017\n\n\
        In a major escalation of tensions between the world's two largest nuclear powers, \
        Russian President Vladimir Putin confirmed Sunday that 755 US diplomats and \
        contractors would be expelled.\n\n\
        The Russian measures were taken in response to new sanctions.\n\n\
        As the *World Socialist Web Site* noted on Saturday, the conflict is deepening.\n";

    fn text(date: &Option<RawDate>) -> Option<&str> {
        match date {
            Some(RawDate::Text(t)) => Some(t),
            _ => None,
        }
    }

    #[test]
    fn plain_article_shape() {
        let item = parse_markdown("2017/putin.md", SEED).expect("parses");
        assert_eq!(item.guid, None);
        assert_eq!(item.link, None);
        assert_eq!(
            item.title.as_deref(),
            Some("Putin confirms expulsion of US diplomats from Russia")
        );
        assert_eq!(item.authors, ["Nick Beams"]);
        assert_eq!(text(&item.published), Some("31 July 2017"));
        let body = item.content_html.expect("body");
        assert!(body.starts_with("<p>In a major escalation"), "{body}");
        assert!(body.contains("<p>The Russian measures"), "{body}");
        assert!(body.contains("<em>World Socialist Web Site</em>"), "{body}");
        for gone in [
            "<h1>",
            "Putin confirms expulsion",
            "Nick Beams",
            "31 July 2017",
        ] {
            assert!(!body.contains(gone), "{gone} in {body}");
        }
    }

    #[test]
    fn byline_with_backslash_break_and_other_date_forms() {
        let item = parse_markdown(
            "a.md",
            "# Title\n\n**Jane Roe**\\\r\nJuly 31, 2017\r\n\r\nBody.\r\n",
        )
        .expect("parses");
        assert_eq!(item.authors, ["Jane Roe"]);
        assert_eq!(text(&item.published), Some("July 31, 2017"));
        assert_eq!(item.content_html.as_deref(), Some("<p>Body.</p>\n"));

        let item = parse_markdown("b.md", "# Title\n\n**Jane Roe**\n\n*2017-07-31*\n\nBody.\n")
            .expect("parses");
        assert_eq!(text(&item.published), Some("2017-07-31"));
        assert_eq!(item.content_html.as_deref(), Some("<p>Body.</p>\n"));
    }

    #[test]
    fn plain_article_without_byline_or_date() {
        let md = "Kicker line.\n\n# A *bold* move\n\nJuly 2017 was hot, said **everyone**.\n\n```sh\n# not a title\n```\n";
        let item = parse_markdown("c.md", md).expect("parses");
        assert_eq!(item.title.as_deref(), Some("A <em>bold</em> move"));
        assert!(item.authors.is_empty());
        assert_eq!(item.published, None);
        let body = item.content_html.expect("body");
        assert!(
            body.starts_with("<p>Kicker line.</p>\n<p>July 2017 was hot"),
            "{body}"
        );
        assert!(body.contains("# not a title"), "{body}");

        let item = parse_markdown("d.md", "Just text, no heading.\n").expect("parses");
        assert_eq!(item.title, None);
        assert_eq!(
            item.content_html.as_deref(),
            Some("<p>Just text, no heading.</p>\n")
        );
    }

    #[test]
    fn date_lines() {
        for date in [
            "31 July 2017",
            "Monday, 31 Jul. 2017",
            "31st July 2017 at 10:30 BST",
            "2017-07-31T10:00:00+02:00",
            "31/07/2017",
        ] {
            assert_eq!(date_line(date), Some(date), "{date}");
        }
        for not_date in [
            "2017",
            "July",
            "In July 2017 the city grew",
            "Nick Beams",
            "10:30",
        ] {
            assert_eq!(date_line(not_date), None, "{not_date}");
        }
    }

    #[test]
    fn yaml_front_matter() {
        let md = "\n---\ntitle: Bridge reopens\nauthor:\n  - Ana Silva\n  - Tom Berg\ndate: 2026-03-12\n\
            link: https://example.org/bridge\ntags: [city, transport]\nsummary: The *old* bridge is back.\n\
            layout: post\n---\n\n# Bridge reopens\n\nTraffic resumed ~~today~~ on Monday.\n";
        let item = parse_markdown("bridge.md", md).expect("parses");
        assert_eq!(item.guid.as_deref(), Some("https://example.org/bridge"));
        assert_eq!(item.link.as_deref(), Some("https://example.org/bridge"));
        assert_eq!(item.title.as_deref(), Some("Bridge reopens"));
        assert_eq!(item.authors, ["Ana Silva", "Tom Berg"]);
        assert_eq!(text(&item.published), Some("2026-03-12"));
        assert_eq!(item.categories, ["city", "transport"]);
        assert_eq!(
            item.summary_html.as_deref(),
            Some("<p>The <em>old</em> bridge is back.</p>\n")
        );
        assert_eq!(
            item.content_html.as_deref(),
            Some("<p>Traffic resumed <del>today</del> on Monday.</p>\n")
        );

        // A heading that differs from the title stays in the body.
        let item =
            parse_markdown("e.md", "---\ntitle: One\nauthor: Solo\n---\n# Two\n").expect("parses");
        assert_eq!(item.authors, ["Solo"]);
        assert_eq!(item.content_html.as_deref(), Some("<h1>Two</h1>\n"));
    }

    #[test]
    fn toml_front_matter_with_datetime() {
        let md = "+++\ndate = 2026-03-12T09:30:00+01:00\ntags = \"science\"\nextra = { a = 1 }\n+++\n\
            # Ice *cores*\n\nA table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nNote.[^1]\n\n[^1]: Footnote.\n";
        let item = parse_markdown("ice.md", md).expect("parses");
        assert_eq!(item.guid, None);
        assert_eq!(item.title.as_deref(), Some("Ice <em>cores</em>"));
        assert_eq!(text(&item.published), Some("2026-03-12T09:30:00+01:00"));
        assert_eq!(item.categories, ["science"]);
        let body = item.content_html.expect("body");
        assert!(body.starts_with("<p>A table:</p>\n<table>"), "{body}");
        assert!(body.contains("footnote-definition"), "{body}");
    }

    #[test]
    fn bad_front_matter_names_file_and_line() {
        let md = "---\ntitle: Fine\nauthor: [unclosed\ndate: x\n---\nBody\n";
        let err = parse_markdown("news/bad.md", md).expect_err("bad YAML");
        let FilesError::FrontMatter { line, .. } = &err else {
            panic!("{err:?}");
        };
        assert!((3..=5).contains(line), "{err}");
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("news/bad.md:{line}: bad front matter: ")),
            "{shown}"
        );
        assert!(!shown.contains(" at line "), "{shown}");

        let err = parse_markdown("t.md", "\n+++\ntitle = \"ok\"\nauthor = 3\n+++\n")
            .expect_err("bad type");
        assert!(
            err.to_string().starts_with("t.md:4: bad front matter: "),
            "{err}"
        );

        let err = parse_markdown("u.md", "---\ntitle: never closed\n").expect_err("unclosed");
        assert!(err.to_string().starts_with("u.md:1: "), "{err}");

        let item =
            parse_markdown("v.md", "---\n# only a comment\n---\n# Title\n").expect("empty YAML");
        assert_eq!(item.title.as_deref(), Some("Title"));
    }

    #[test]
    fn read_dir_reports_bad_files_and_skips_hidden_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        fs::create_dir_all(root.join("sub")).expect("mkdir");
        fs::create_dir_all(root.join(".git")).expect("mkdir");
        let write = |name: &str, text: &str| fs::write(root.join(name), text).expect("write");
        write("b.md", SEED);
        write("sub/a.HTML", "<html><body><p>Hi</p></body></html>");
        write("bad.md", "---\ntitle: [\n---\n");
        write(".draft.md", "# Hidden\n");
        write(".git/c.md", "# Hidden too\n");
        write("notes.txt", "# Not an article\n");

        let (items, errors) = read_dir(root, false).expect("readable");
        let paths: Vec<_> = items.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["b.md", "sub/a.HTML"]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            matches!(&errors[0], FilesError::FrontMatter { path, .. } if *path == root.join("bad.md"))
        );

        let missing = read_dir(&root.join("missing"), false).expect_err("no such dir");
        assert!(
            missing.to_string().starts_with("cannot read directory "),
            "{missing}"
        );
    }

    #[test]
    fn only_regular_files_in_the_folder_under_the_cap_are_read() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().expect("temp dir");
        fs::write(outside.path().join("secret.md"), "# Secret\n").expect("write");
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        fs::write(root.join("ok.md"), b"# Caf\xe9 ok\n").expect("write");
        symlink(outside.path().join("secret.md"), root.join("leak.md")).expect("link");
        symlink("/dev/zero", root.join("zero.md")).expect("link");
        let fifo = root.join("fifo.md");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .expect("mkfifo")
                .success()
        );
        let big = fs::File::create(root.join("sparse.md")).expect("create");
        big.set_len(MAX_FILE + 1).expect("sparse");

        let (items, errors) = read_dir(root, false).expect("readable");
        let paths: Vec<_> = items.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["ok.md"]);
        assert_eq!(items[0].1.title.as_deref(), Some("Caf\u{fffd} ok"));
        let why: Vec<String> = errors.iter().map(ToString::to_string).collect();
        // The FIFO itself is not even listed: only files and links are.
        assert_eq!(why.len(), 3, "{why:?}");
        assert!(
            why.iter()
                .any(|e| e.contains("leak.md") && e.contains("follow_links")),
            "{why:?}"
        );
        assert!(
            why.iter()
                .any(|e| e.contains("zero.md") && e.contains("not a regular file")),
            "{why:?}"
        );
        assert!(
            why.iter()
                .any(|e| e.contains("sparse.md") && e.contains("larger than")),
            "{why:?}"
        );

        let (items, _) = read_dir(root, true).expect("readable");
        assert!(items.iter().any(|(p, _)| p == "leak.md"));
        assert!(read_one(root, "ok.md", false).is_some());
        for bad in [
            "../ok.md",
            "leak.md",
            "fifo.md",
            ".hidden.md",
            "ok.txt",
            "/etc/passwd",
            "a//b.md",
        ] {
            assert!(read_one(root, bad, false).is_none(), "{bad}");
        }
    }

    #[test]
    fn html_article() {
        let html = "\u{feff}<!DOCTYPE html>\n<html><head>\n<title> Tom &amp; Jerry </title>\n\
            <meta name=\"Author\" content=\"Ann O&#39;Neil\">\n\
            <meta property=\"article:published_time\" content=\"2026-05-01T08:00:00Z\">\n\
            <link rel=\"alternate canonical\" href=\"https://example.org/a?x=1&amp;y=2\">\n\
            <script>if (a < b) { document.write('<article>') }</script>\n\
            </head><body><nav>menu</nav><!-- <article>old</article> -->\n\
            <article class=\"post\"><h1>Tom</h1><article>inner</article><p data-x=\"a>b\">Text</p></article>\n\
            </body></html>";
        let item = parse_html(html);
        assert_eq!(item.title.as_deref(), Some("Tom &amp; Jerry"));
        assert_eq!(item.authors, ["Ann O'Neil"]);
        assert_eq!(text(&item.published), Some("2026-05-01T08:00:00Z"));
        assert_eq!(item.link.as_deref(), Some("https://example.org/a?x=1&y=2"));
        assert_eq!(item.guid, item.link);
        assert_eq!(
            item.content_html.as_deref(),
            Some("<h1>Tom</h1><article>inner</article><p data-x=\"a>b\">Text</p>")
        );

        let item =
            parse_html("<h1>Only <b>heading</b></h1><time datetime='2026-01-02'>2 Jan</time>");
        assert_eq!(item.guid, None);
        assert_eq!(item.title.as_deref(), Some("Only <b>heading</b>"));
        assert_eq!(text(&item.published), Some("2026-01-02"));
        assert!(item.content_html.is_some_and(|c| c.starts_with("<h1>")));
    }
}
