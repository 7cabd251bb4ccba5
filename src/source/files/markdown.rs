//! Markdown article files: front matter (YAML or TOML) when there is one,
//! else the shape of a plain exported article (a `# ` title, a bold byline
//! and a date line under it, then the body).

use std::fmt;
use std::path::Path;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{FilesError, strip_bom};
use crate::model::{RawDate, RawItem};
use crate::text;

/// One Markdown article, with the path its errors should name (the full path when
/// reading a directory).
pub fn markdown_item(path: &Path, text: &str) -> Result<RawItem, FilesError> {
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
pub(super) fn date_line(line: &str) -> Option<&str> {
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
