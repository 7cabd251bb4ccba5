//! One item as a standalone HTML page: how a local article file is shown at
//! its link (`/articles/{source}/{path}`). The item's HTML is already
//! sanitized; everything else is escaped here.

use crate::model::Item;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

/// A complete HTML5 document for `item`.
pub fn article_page(item: &Item) -> String {
    let body = item
        .content_html
        .as_deref()
        .or(item.summary_html.as_deref())
        .unwrap_or_default();
    let date = item.published.format("%Y-%m-%d");
    let byline = if item.authors.is_empty() {
        String::new()
    } else {
        format!(
            "<span class=\"byline\">{}</span> · ",
            text(&item.authors.join(", "))
        )
    };
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>\
         <style>body{{max-width:42em;margin:2em auto;padding:0 1em;font:1.05em/1.6 system-ui,sans-serif}}\
         img{{max-width:100%;height:auto}}.meta{{color:#666}}\
         @media (prefers-color-scheme:dark){{body{{background:#111;color:#ddd}}a{{color:#8cf}}.meta{{color:#999}}}}</style>\
         </head><body><article><h1>{title}</h1><p class=\"meta\">{byline}<time datetime=\"{iso}\">{date}</time></p>\n{body}\n</article></body></html>\n",
        title = text(&item.title),
        iso = attr(&item.published.to_rfc3339()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_but_the_sanitized_body() {
        let item = Item {
            title: "<script>x</script> & co".into(),
            authors: vec!["Ann <a@b>".into()],
            content_html: Some("<p>Body</p>".into()),
            ..Item::default()
        };
        let page = article_page(&item);
        assert!(
            page.contains("<title>&lt;script&gt;x&lt;/script&gt; &amp; co</title>"),
            "{page}"
        );
        assert!(page.contains("Ann &lt;a@b&gt;"));
        assert!(page.contains("<p>Body</p>"));
        assert!(!page.contains("<script>"));
    }
}
