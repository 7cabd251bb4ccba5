//! Scores article extractors on labelled public pages, in one run: tidings
//! (its extraction stage, through `tidings::bench::extract`), dom_smoothie,
//! rs-trafilatura, the readability and readabilityrs crates, and ensembles
//! of them. See README.md for the corpora, the metrics and the commands.

use serde::Serialize;
use std::collections::HashMap;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Instant;

/// What a page is labelled with.
enum Body {
    /// The whole article text.
    Text(String),
    /// Snippets that must appear in the body and snippets that must not
    /// (trafilatura's evaluation set).
    Snippets {
        with: Vec<String>,
        without: Vec<String>,
    },
}

struct Page {
    corpus: &'static str,
    id: String,
    html: String,
    url: String,
    body: Body,
    /// `None` where the label says nothing (null or empty).
    title: Option<String>,
    byline: Option<String>,
    date: Option<String>,
}

/// What one extractor found on one page.
#[derive(Clone, Default, Serialize)]
struct Out {
    text: String,
    title: Option<String>,
    byline: Option<String>,
    date: Option<String>,
    ms: f64,
    error: Option<String>,
}

type Extractor = fn(&Page) -> Result<Out, String>;

const EXTRACTORS: &[(&str, Extractor)] = &[
    ("tidings", run_tidings),
    ("dom_smoothie", run_dom_smoothie),
    ("rs_trafilatura", run_trafilatura),
    ("readability", run_readability),
    ("readabilityrs", run_readabilityrs),
];

fn run_tidings(page: &Page) -> Result<Out, String> {
    let url = url::Url::parse(&page.url).ok();
    let found = tidings::bench::extract(&page.html, url.as_ref()).ok_or("no article")?;
    Ok(Out {
        text: found.body_text,
        title: found.title,
        byline: Some(found.authors.join(", ")).filter(|a| !a.is_empty()),
        date: found.published,
        ..Out::default()
    })
}

fn run_dom_smoothie(page: &Page) -> Result<Out, String> {
    let config = dom_smoothie::Config {
        text_mode: dom_smoothie::TextMode::Formatted,
        ..dom_smoothie::Config::default()
    };
    let mut r = dom_smoothie::Readability::new(page.html.as_str(), Some(&page.url), Some(config))
        .map_err(|e| e.to_string())?;
    let a = r.parse().map_err(|e| e.to_string())?;
    Ok(Out {
        text: a.text_content.to_string(),
        title: Some(a.title).filter(|t| !t.is_empty()),
        byline: a.byline,
        date: a.published_time,
        ..Out::default()
    })
}

fn run_trafilatura(page: &Page) -> Result<Out, String> {
    let options = rs_trafilatura::Options {
        url: Some(page.url.clone()),
        ..rs_trafilatura::Options::default()
    };
    let r =
        rs_trafilatura::extract_with_options(&page.html, &options).map_err(|e| e.to_string())?;
    Ok(Out {
        text: r.content_text,
        title: r.metadata.title,
        byline: r.metadata.author,
        date: r.metadata.date.map(|d| d.to_rfc3339()),
        ..Out::default()
    })
}

fn run_readability(page: &Page) -> Result<Out, String> {
    let url = url::Url::parse(&page.url).map_err(|e| e.to_string())?;
    let p = readability::extractor::extract(&mut page.html.as_bytes(), &url)
        .map_err(|e| e.to_string())?;
    Ok(Out {
        text: p.text,
        title: Some(p.title).filter(|t| !t.is_empty()),
        ..Out::default()
    })
}

fn run_readabilityrs(page: &Page) -> Result<Out, String> {
    let a = readabilityrs::Readability::new(&page.html, Some(&page.url), None)
        .map_err(|e| e.to_string())?
        .parse()
        .ok_or("no article")?;
    let text = a.text_content.unwrap_or_default();
    Ok(Out {
        text,
        title: a.title,
        byline: a.byline,
        ..Out::default()
    })
}

/// Runs one extractor on a page, timing it; a panic or an error is an empty
/// result that says why.
fn run(extractor: Extractor, page: &Page) -> Out {
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| extractor(page)));
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let mut out = match result {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => Out {
            error: Some(e),
            ..Out::default()
        },
        Err(_) => Out {
            error: Some("panicked".into()),
            ..Out::default()
        },
    };
    out.ms = ms;
    out
}

// ---------------------------------------------------------------- corpora

fn text_of_html(html: &str) -> String {
    let doc = dom_query::Document::from(html);
    doc.select("script, style, noscript").remove();
    block_text(&doc.select("body"))
}

/// Text with a line break between block elements, so that words of two
/// blocks never run together.
fn block_text(sel: &dom_query::Selection) -> String {
    let html = sel.inner_html().to_string();
    static BLOCK: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"(?i)<(/?(p|div|h[1-6]|li|br|tr|td|th|blockquote|pre|section|article|figure|figcaption|ul|ol|table|dd|dt)\b)").unwrap()
    });
    let spaced = BLOCK.replace_all(&html, "\n<$1");
    dom_query::Document::from(spaced.as_ref())
        .select("body")
        .text()
        .to_string()
}

fn non_empty(v: Option<&serde_json::Value>) -> Option<String> {
    v.and_then(|v| v.as_str())
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
}

/// Mozilla Readability's test pages: `DIR/*/source.html`, `expected.html`,
/// `expected-metadata.json`.
fn load_readability(dir: &Path) -> Vec<Page> {
    let mut pages = Vec::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("the Readability test-pages folder")
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for d in entries {
        let (Ok(source), Ok(expected), Ok(meta)) = (
            fs::read(d.join("source.html")),
            fs::read_to_string(d.join("expected.html")),
            fs::read_to_string(d.join("expected-metadata.json")),
        ) else {
            continue;
        };
        let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
        pages.push(Page {
            corpus: "readability",
            id: d.file_name().unwrap().to_string_lossy().into_owned(),
            html: tidings_decode(&source),
            url: "http://fakehost/test/page.html".into(),
            body: Body::Text(text_of_html(&expected)),
            title: non_empty(meta.get("title")),
            byline: non_empty(meta.get("byline")),
            date: non_empty(meta.get("publishedTime")),
        });
    }
    pages
}

/// The scrapinghub article-extraction-benchmark: `DIR/ground-truth.json`
/// and `DIR/html/ID.html` (or `.html.gz`).
fn load_scrapinghub(dir: &Path) -> Vec<Page> {
    let truth: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&fs::read_to_string(dir.join("ground-truth.json")).unwrap()).unwrap();
    let mut pages = Vec::new();
    for (id, v) in truth {
        let plain = dir.join("html").join(format!("{id}.html"));
        let bytes = fs::read(&plain).unwrap_or_else(|_| {
            let gz = fs::read(dir.join("html").join(format!("{id}.html.gz"))).unwrap();
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out)
                .unwrap();
            out
        });
        pages.push(Page {
            corpus: "scrapinghub",
            id,
            html: String::from_utf8_lossy(&bytes).into_owned(),
            url: non_empty(v.get("url")).unwrap_or_else(|| "https://example.com/".into()),
            body: Body::Text(non_empty(v.get("articleBody")).unwrap_or_default()),
            title: None,
            byline: None,
            date: None,
        });
    }
    pages
}

/// trafilatura's evaluation set: `DIR/evaldata.json` naming files in
/// `DIR/eval/` or `DIR/cache/`.
fn load_trafilatura(dir: &Path) -> Vec<Page> {
    let data: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&fs::read_to_string(dir.join("evaldata.json")).unwrap()).unwrap();
    let list = |v: Option<&serde_json::Value>| -> Vec<String> {
        v.and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str())
                    .map(collapse)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut pages = Vec::new();
    for (url, v) in data {
        // A few of the set's addresses lack their scheme.
        let url = if url.contains("://") {
            url
        } else {
            format!("https://{url}")
        };
        let file = v["file"].as_str().unwrap();
        let Some(bytes) = ["eval", "cache"]
            .iter()
            .find_map(|sub| fs::read(dir.join(sub).join(file)).ok())
        else {
            continue;
        };
        pages.push(Page {
            corpus: "trafilatura",
            id: file.to_string(),
            html: tidings_decode(&bytes),
            url,
            body: Body::Snippets {
                with: list(v.get("with")),
                without: list(v.get("without")),
            },
            title: non_empty(v.get("title")),
            byline: non_empty(v.get("author")),
            date: non_empty(v.get("date")),
        });
    }
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    pages
}

/// The page's bytes as text, by the charset it declares (as the daemon reads
/// it), so that every extractor gets the same text.
fn tidings_decode(bytes: &[u8]) -> String {
    tidings::bench::decode(bytes)
}

// ---------------------------------------------------------------- scoring

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

static WORD: LazyLock<regex::Regex> = LazyLock::new(|| regex::Regex::new(r"\w+").unwrap());

fn tokens(text: &str) -> Vec<&str> {
    WORD.find_iter(text).map(|m| m.as_str()).collect()
}

/// True positives, false positives and false negatives between two bags,
/// normalized to sum to one (as the scrapinghub benchmark does).
fn match_bags<K: std::hash::Hash + Eq>(truth: Vec<K>, pred: Vec<K>) -> (f64, f64, f64) {
    let mut counts: HashMap<K, (i64, i64)> = HashMap::new();
    for k in truth {
        counts.entry(k).or_default().0 += 1;
    }
    for k in pred {
        counts.entry(k).or_default().1 += 1;
    }
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    for (t, p) in counts.values() {
        tp += (*t).min(*p) as f64;
        fp += (p - t).max(0) as f64;
        fn_ += (t - p).max(0) as f64;
    }
    let s = tp + fp + fn_;
    if s > 0.0 {
        (tp / s, fp / s, fn_ / s)
    } else {
        (0.0, 0.0, 0.0)
    }
}

fn shingles(text: &str) -> Vec<Vec<&str>> {
    let t = tokens(text);
    if t.len() < 4 {
        return if t.is_empty() { Vec::new() } else { vec![t] };
    }
    t.windows(4).map(<[&str]>::to_vec).collect()
}

/// Precision and recall (as the scrapinghub benchmark defines them) from
/// normalized counts; `None` where undefined.
fn pr(tp: f64, fp: f64, fn_: f64) -> (Option<f64>, Option<f64>) {
    let p = if fp == 0.0 && fn_ == 0.0 {
        Some(1.0)
    } else if tp + fp > 0.0 {
        Some(tp / (tp + fp))
    } else {
        None
    };
    let r = if fp == 0.0 && fn_ == 0.0 {
        Some(1.0)
    } else if tp + fn_ > 0.0 {
        Some(tp / (tp + fn_))
    } else {
        None
    };
    (p, r)
}

#[derive(Clone, Copy, Default, Serialize)]
struct BodyScore {
    /// Bag of words.
    p: Option<f64>,
    r: Option<f64>,
    /// Four-word shingles (the scrapinghub benchmark's own metric).
    sp: Option<f64>,
    sr: Option<f64>,
}

fn score_body(body: &Body, text: &str) -> BodyScore {
    match body {
        Body::Text(truth) => {
            let (p, r) = {
                let (tp, fp, fn_) = match_bags(tokens(truth), tokens(text));
                pr(tp, fp, fn_)
            };
            let (sp, sr) = {
                let (tp, fp, fn_) = match_bags(shingles(truth), shingles(text));
                pr(tp, fp, fn_)
            };
            BodyScore { p, r, sp, sr }
        }
        Body::Snippets { with, without } => {
            let text = collapse(text);
            let found = with.iter().filter(|s| text.contains(s.as_str())).count() as f64;
            let leaked = without.iter().filter(|s| text.contains(s.as_str())).count() as f64;
            let r = (!with.is_empty()).then(|| found / with.len() as f64);
            let p = (found + leaked > 0.0).then(|| found / (found + leaked));
            BodyScore { p, r, sp: p, sr: r }
        }
    }
}

fn norm_title(t: &str) -> String {
    collapse(t)
}

/// A title folded for the lenient comparison: case, typographic quotes and
/// dashes, and the spacing around punctuation do not count.
fn fold_title(t: &str) -> String {
    let t: String = t
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '‘' | '’' | '‚' | '`' | '´' => '\'',
            '“' | '”' | '„' | '«' | '»' => '"',
            '–' | '—' | '‐' | '‑' => '-',
            '…' => '.',
            c => c,
        })
        .collect();
    t.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The lenient title match: after [`fold_title`], the label or the label
/// without a trailing ` | Site name` segment (of at most five words), the
/// convention of labels that keep the site's name.
fn title_matches_leniently(out: &str, label: &str) -> bool {
    let o = fold_title(out);
    if o.is_empty() {
        return false;
    }
    if o == fold_title(label) {
        return true;
    }
    [
        " | ", " - ", " – ", " — ", " · ", " :: ", " » ", " _", " [", " :",
    ]
    .iter()
    .filter_map(|sep| label.rfind(sep))
    .any(|i| label[i..].split_whitespace().count() <= 6 && fold_title(&label[..i]) == o)
}

fn norm_byline(b: &str) -> Vec<String> {
    let mut t: Vec<String> = tokens(&b.to_lowercase())
        .into_iter()
        .map(str::to_string)
        .collect();
    if t.first().is_some_and(|w| w == "by") {
        t.remove(0);
    }
    // "and" in the pages' languages (German, French, Spanish).
    t.retain(|w| !["and", "und", "et", "y"].contains(&w.as_str()));
    t
}

static ISO_DAY: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^(\d{4})-(\d{1,2})-(\d{1,2})").unwrap());

/// The calendar day a date names, as `YYYY-MM-DD`, in the offset it was
/// given in; `None` when it is not ISO 8601 (tidings' normalizer then reads
/// it: see `day_of_text`).
fn day(d: &str) -> Option<String> {
    let c = ISO_DAY.captures(d.trim())?;
    Some(format!(
        "{}-{:02}-{:02}",
        &c[1],
        c[2].parse::<u32>().ok()?,
        c[3].parse::<u32>().ok()?
    ))
}

fn day_of_text(d: &str) -> Option<String> {
    day(d).or_else(|| tidings::bench::parse_date(d).map(|d| d[..10].to_string()))
}

#[derive(Clone, Copy, Default, Serialize)]
struct MetaScore {
    title: Option<bool>,
    title_lenient: Option<bool>,
    byline: Option<bool>,
    date: Option<bool>,
}

fn score_meta(page: &Page, out: &Out) -> MetaScore {
    MetaScore {
        title: page.title.as_ref().map(|t| {
            out.title
                .as_deref()
                .is_some_and(|o| norm_title(o) == norm_title(t))
        }),
        title_lenient: page.title.as_ref().map(|t| {
            out.title
                .as_deref()
                .is_some_and(|o| title_matches_leniently(o, t))
        }),
        byline: page.byline.as_ref().map(|b| {
            out.byline
                .as_deref()
                .is_some_and(|o| norm_byline(o) == norm_byline(b))
        }),
        date: page.date.as_ref().map(|d| {
            let want = day(d);
            out.date
                .as_deref()
                .and_then(day_of_text)
                .is_some_and(|o| Some(o) == want)
        }),
    }
}

// ---------------------------------------------------------------- ensembles

/// Bag-of-words F1 between two texts: how much they agree.
fn agreement(a: &str, b: &str) -> f64 {
    let (tp, fp, fn_) = match_bags(tokens(a), tokens(b));
    if tp == 0.0 {
        0.0
    } else {
        2.0 * tp / (2.0 * tp + fp + fn_)
    }
}

/// The candidate that agrees most with the others (trafilatura's way of
/// choosing among its fallbacks, by majority).
fn vote(outs: &[&Out]) -> Out {
    let best = (0..outs.len())
        .max_by(|&i, &j| {
            let s = |k: usize| -> f64 {
                (0..outs.len())
                    .filter(|&o| o != k)
                    .map(|o| agreement(&outs[k].text, &outs[o].text))
                    .sum()
            };
            s(i).total_cmp(&s(j))
        })
        .unwrap();
    let mut out = outs[best].clone();
    out.ms = outs.iter().map(|o| o.ms).sum();
    out
}

// ---------------------------------------------------------------- report

#[derive(Default)]
struct Row {
    p: Vec<f64>,
    r: Vec<f64>,
    sp: Vec<f64>,
    sr: Vec<f64>,
    low: usize,
    low_where_other_high: usize,
    title: (usize, usize),
    title_lenient: (usize, usize),
    byline: (usize, usize),
    date: (usize, usize),
    ms: Vec<f64>,
    errors: usize,
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

fn pct(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn acc((ok, n): (usize, usize)) -> String {
    if n == 0 {
        "–".into()
    } else {
        format!("{:.1} % ({ok}/{n})", 100.0 * ok as f64 / n as f64)
    }
}

#[derive(Serialize)]
struct PageRecord<'a> {
    corpus: &'a str,
    id: &'a str,
    candidate: &'a str,
    body: BodyScore,
    meta: MetaScore,
    out: &'a Out,
    truth_title: &'a Option<String>,
    truth_byline: &'a Option<String>,
    truth_date: &'a Option<String>,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut pages = Vec::new();
    let mut dump: Option<PathBuf> = None;
    let mut only: Option<Vec<String>> = None;
    while let Some(a) = args.next() {
        let mut value = || PathBuf::from(args.next().expect("a value after the flag"));
        match a.as_str() {
            "--readability" => pages.extend(load_readability(&value())),
            "--scrapinghub" => pages.extend(load_scrapinghub(&value())),
            "--trafilatura" => pages.extend(load_trafilatura(&value())),
            "--pages" => dump = Some(value()),
            "--only" => {
                only = Some(
                    value()
                        .to_string_lossy()
                        .split(',')
                        .map(str::to_string)
                        .collect(),
                )
            }
            other => panic!("unknown argument {other}"),
        }
    }
    let extractors: Vec<_> = EXTRACTORS
        .iter()
        .filter(|(n, _)| only.as_ref().is_none_or(|o| o.iter().any(|x| x == n)))
        .collect();
    // outs[candidate][page]
    let mut names: Vec<String> = Vec::new();
    let mut outs: Vec<Vec<Out>> = Vec::new();
    for (name, f) in &extractors {
        eprintln!("running {name} on {} pages", pages.len());
        names.push(name.to_string());
        outs.push(pages.iter().map(|p| run(*f, p)).collect());
    }
    let ensembles: &[(&str, &[&str])] = &[
        (
            "vote(tidings, dom_smoothie, rs_trafilatura)",
            &["tidings", "dom_smoothie", "rs_trafilatura"],
        ),
        (
            "vote(dom_smoothie, rs_trafilatura, readabilityrs)",
            &["dom_smoothie", "rs_trafilatura", "readabilityrs"],
        ),
    ];
    for (name, members) in ensembles {
        let Some(ids) = members
            .iter()
            .map(|m| names.iter().position(|x| x == m))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let combined = (0..pages.len())
            .map(|p| vote(&ids.iter().map(|&i| &outs[i][p]).collect::<Vec<_>>()))
            .collect();
        names.push(name.to_string());
        outs.push(combined);
    }

    let scores: Vec<Vec<(BodyScore, MetaScore)>> = outs
        .iter()
        .map(|o| {
            pages
                .iter()
                .zip(o)
                .map(|(p, o)| (score_body(&p.body, &o.text), score_meta(p, o)))
                .collect()
        })
        .collect();

    if let Some(path) = &dump {
        let mut s = String::new();
        for (c, name) in names.iter().enumerate() {
            for (i, p) in pages.iter().enumerate() {
                let rec = PageRecord {
                    corpus: p.corpus,
                    id: &p.id,
                    candidate: name,
                    body: scores[c][i].0,
                    meta: scores[c][i].1,
                    out: &outs[c][i],
                    truth_title: &p.title,
                    truth_byline: &p.byline,
                    truth_date: &p.date,
                };
                s.push_str(&serde_json::to_string(&rec).unwrap());
                s.push('\n');
            }
        }
        fs::write(path, s).unwrap();
    }

    let mut corpora: Vec<&str> = pages.iter().map(|p| p.corpus).collect();
    corpora.dedup();
    for corpus in corpora {
        let on: Vec<usize> = (0..pages.len())
            .filter(|&i| pages[i].corpus == corpus)
            .collect();
        println!("\n### {corpus} ({} pages)\n", on.len());
        println!(
            "| candidate | F1 | precision | recall | F1 (4-shingles) | recall < 0.5 | … where another > 0.9 | title | title (lenient) | byline | date | median ms | p95 ms | errors |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (c, name) in names.iter().enumerate() {
            let mut row = Row::default();
            for &i in &on {
                let (b, m) = scores[c][i];
                row.p.extend(b.p);
                row.r.extend(b.r);
                row.sp.extend(b.sp);
                row.sr.extend(b.sr);
                if b.r.is_some_and(|r| r < 0.5) {
                    row.low += 1;
                    let other_high = (0..names.len())
                        .any(|o| o != c && scores[o][i].0.r.is_some_and(|r| r > 0.9));
                    if other_high {
                        row.low_where_other_high += 1;
                    }
                }
                for (slot, v) in [
                    (&mut row.title, m.title),
                    (&mut row.title_lenient, m.title_lenient),
                    (&mut row.byline, m.byline),
                    (&mut row.date, m.date),
                ] {
                    if let Some(ok) = v {
                        slot.1 += 1;
                        slot.0 += usize::from(ok);
                    }
                }
                row.ms.push(outs[c][i].ms);
                row.errors += usize::from(outs[c][i].error.is_some());
            }
            let (p, r) = (mean(&row.p), mean(&row.r));
            println!(
                "| {name} | {:.3} | {p:.3} | {r:.3} | {:.3} | {} | {} | {} | {} | {} | {} | {:.2} | {:.2} | {} |",
                f1(p, r),
                f1(mean(&row.sp), mean(&row.sr)),
                row.low,
                row.low_where_other_high,
                acc(row.title),
                acc(row.title_lenient),
                acc(row.byline),
                acc(row.date),
                pct(&row.ms, 0.5),
                pct(&row.ms, 0.95),
                row.errors,
            );
        }
    }
}
