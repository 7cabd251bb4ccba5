#!/usr/bin/env python3
"""Writes a benchmark setup into DIR: N generated RSS 2.0 feeds under
DIR/www/f/, a 50-item feed at DIR/www/big.xml, an nginx config serving
DIR/www on ORIGIN_PORT, a tidings config with one source per feed (and one
merged feed of all of them) listening on TIDINGS_PORT, and newsboat's urls
file and config.

Each feed has 20 items in the shape of a blog's feed with summaries: title,
link, guid, author, pubDate and about 700 bytes of HTML (paragraphs, links,
emphasis), some 17 KB a feed. Deterministic: the same N gives the same bytes.

usage: gen.py DIR N ORIGIN_PORT TIDINGS_PORT
"""
import os
import random
import sys
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

WORDS = (
    "the council voted on a new plan for the river bridge after months of "
    "debate residents said traffic would ease while engineers warned about "
    "costs schools libraries and the market square were also discussed as "
    "budget season opens with a long list of repairs and fresh proposals"
).split()


def sentence(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def item_xml(rng, origin, feed, k, when):
    title = sentence(rng, 8)[:-1]
    link = f"{origin}/a/{feed}/{k}.html"
    paras = []
    for p in range(3):
        text = " ".join(sentence(rng, rng.randint(10, 16)) for _ in range(2))
        if p == 1:
            text += f' Read <a href="/a/{feed}/{k}.html#more">more</a> or see <em>the minutes</em>.'
        paras.append(f"<p>{text}</p>")
    body = "".join(paras)
    return (
        "<item>"
        f"<title>{escape(title)}</title>"
        f"<link>{link}</link>"
        f'<guid isPermaLink="false">{feed}-{k}</guid>'
        f"<author>desk{feed % 7}@example.org (Desk {feed % 7})</author>"
        f"<pubDate>{format_datetime(when)}</pubDate>"
        f"<description>{escape(body)}</description>"
        "</item>"
    )


def feed_xml(origin, feed, items, start):
    rng = random.Random(feed)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>',
        f"<title>Feed {feed}</title><link>{origin}/</link>",
        f"<description>Generated feed {feed}</description>",
    ]
    for k in range(items):
        when = start - timedelta(hours=k * 5 + feed % 5, minutes=feed % 60)
        parts.append(item_xml(rng, origin, feed, k, when))
    parts.append("</channel></rss>\n")
    return "".join(parts)


def main():
    out, n, origin_port, tidings_port = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    origin = f"http://127.0.0.1:{origin_port}"
    start = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
    www = os.path.join(out, "www")
    os.makedirs(os.path.join(www, "f"), exist_ok=True)
    for feed in range(n):
        with open(os.path.join(www, "f", f"{feed:05}.xml"), "w") as f:
            f.write(feed_xml(origin, feed, 20, start))
    with open(os.path.join(www, "big.xml"), "w") as f:
        f.write(feed_xml(origin, 99999, 50, start))
    os.makedirs(os.path.join(out, "nginx", "logs"), exist_ok=True)
    with open(os.path.join(out, "nginx", "nginx.conf"), "w") as f:
        f.write(f"""daemon off;
user root;
worker_processes auto;
pid {out}/nginx/nginx.pid;
error_log {out}/nginx/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types {{ application/rss+xml xml rss; }}
    server {{
        listen 127.0.0.1:{origin_port} backlog=4096;
        root {www};
    }}
}}
""")
    with open(os.path.join(out, "tidings.toml"), "w") as f:
        f.write(f"""[server]
listen = "127.0.0.1:{tidings_port}"
max_connections = 4096

[store]
state_dir = "{out}/state"

[fetch]
schedule = "@daily"
concurrency = 32
per_host = 32
allow_private = true

[[source]]
id = "big"
kind = "feed"
url = "{origin}/big.xml"

""")
        for feed in range(n):
            f.write(f'[[source]]\nid = "f{feed:05}"\nkind = "feed"\nurl = "{origin}/f/{feed:05}.xml"\n\n')
        f.write('[[feed]]\nid = "all"\ntitle = "Everything"\nsources = ["*"]\nlimit = 50\n')
    with open(os.path.join(out, "urls"), "w") as f:
        for feed in range(n):
            f.write(f"{origin}/f/{feed:05}.xml\n")
    with open(os.path.join(out, "newsboat.conf"), "w") as f:
        f.write("")


if __name__ == "__main__":
    main()
