//! Generated RSS feeds in the shape of bench/gen.py's: 20 items each, with
//! title, link, guid, author, date and about 700 bytes of HTML.

use std::fmt::Write;

const WORDS: &[&str] = &[
    "the",
    "council",
    "voted",
    "on",
    "a",
    "new",
    "plan",
    "for",
    "river",
    "bridge",
    "after",
    "months",
    "of",
    "debate",
    "residents",
    "said",
    "traffic",
    "would",
    "ease",
    "while",
    "engineers",
    "warned",
    "about",
    "costs",
    "schools",
    "libraries",
    "market",
    "square",
    "budget",
    "season",
    "opens",
    "repairs",
    "fresh",
    "proposals",
];

/// A small deterministic generator (xorshift), so every run reads the same bytes.
struct Words(u64);

impl Words {
    fn next(&mut self) -> &'static str {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        WORDS[(self.0 % WORDS.len() as u64) as usize]
    }

    fn sentence(&mut self, n: usize) -> String {
        let words: Vec<&str> = (0..n).map(|_| self.next()).collect();
        let mut s = words.join(" ");
        s[..1].make_ascii_uppercase();
        s
    }
}

/// Feed number `feed`, of `items` items.
pub fn feed(feed: usize, items: usize) -> Vec<u8> {
    let mut w = Words(0x9E37_79B9_7F4A_7C15 ^ (feed as u64 + 1));
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Feed {feed}</title><link>https://example.org/</link>\
         <description>Generated feed {feed}</description>"
    );
    for k in 0..items {
        let mut body = String::new();
        for p in 0..3 {
            let mut text = format!("{}. {}.", w.sentence(13), w.sentence(12));
            if p == 1 {
                let _ = write!(
                    text,
                    " Read <a href=\"/a/{feed}/{k}.html#more\">more</a> or see <em>the minutes</em>."
                );
            }
            let _ = write!(body, "<p>{text}</p>");
        }
        let body = body
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let day = 28 - (k % 27);
        let _ = write!(
            out,
            "<item><title>{}</title><link>https://example.org/a/{feed}/{k}.html</link>\
             <guid isPermaLink=\"false\">{feed}-{k}</guid>\
             <author>desk{}@example.org (Desk {})</author>\
             <pubDate>{day:02} Nov 2026 {:02}:{:02}:00 +0000</pubDate>\
             <description>{body}</description></item>",
            w.sentence(8),
            feed % 7,
            feed % 7,
            k % 24,
            feed % 60,
        );
    }
    out.push_str("</channel></rss>\n");
    out.into_bytes()
}
