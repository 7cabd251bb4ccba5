#!/usr/bin/env python3
"""Writes a benchmark setup into DIR: N generated RSS 2.0 feeds under
DIR/www/f/, a 50-item feed at DIR/www/big.xml, an nginx config serving
DIR/www on ORIGIN_PORT, a tidings config with one source per feed (and one
merged feed of all of them) listening on TIDINGS_PORT, and newsboat's urls
file (run.py writes newsboat's configs).

Each feed has 20 items in the shape of a blog's feed with summaries: title,
link, guid, author, pubDate and about 700 bytes of HTML (paragraphs, links,
emphasis), some 17 KB a feed. Deterministic: the same N gives the same bytes.

usage: gen.py DIR N ORIGIN_PORT TIDINGS_PORT [--spread MINUTES] [--access-log]
[--store-url URL]

--spread M gives source k the schedule "k%M/M * * * *" (every M minutes, the
sources spread over the minutes of the interval) instead of "@daily": a
steady load of N/M/60 fetches a second once the first cycle is done
(bench/scale.py). --access-log makes nginx log each answer's status to
DIR/nginx/logs/access.log. --store-url sets `[store] url`.
"""
import argparse
import os
import random
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
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("n", type=int)
    ap.add_argument("origin_port")
    ap.add_argument("tidings_port")
    ap.add_argument("--spread", type=int, default=None)
    ap.add_argument("--access-log", action="store_true")
    ap.add_argument("--store-url", default=None)
    args = ap.parse_args()
    out, n, origin_port, tidings_port = args.dir, args.n, args.origin_port, args.tidings_port
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
    access_log = (
        f"log_format st '$status'; access_log {out}/nginx/logs/access.log st buffer=64k flush=1s;"
        if args.access_log else "access_log off;"
    )
    with open(os.path.join(out, "nginx", "nginx.conf"), "w") as f:
        f.write(f"""daemon off;
user root;
worker_processes auto;
pid {out}/nginx/nginx.pid;
error_log {out}/nginx/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    {access_log}
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
    store_url = f'url = "{args.store_url}"\n' if args.store_url else ""
    with open(os.path.join(out, "tidings.toml"), "w") as f:
        f.write(f"""[server]
listen = "127.0.0.1:{tidings_port}"
max_connections = 4096

[store]
state_dir = "{out}/state"
{store_url}
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
            schedule = (
                f'schedule = "{feed % args.spread}/{args.spread} * * * *"\n' if args.spread else ""
            )
            f.write(f'[[source]]\nid = "f{feed:05}"\nkind = "feed"\nurl = "{origin}/f/{feed:05}.xml"\n'
                    f"{schedule}\n")
        f.write('[[feed]]\nid = "all"\ntitle = "Everything"\nsources = ["*"]\nlimit = 50\n')
    with open(os.path.join(out, "urls"), "w") as f:
        for feed in range(n):
            f.write(f"{origin}/f/{feed:05}.xml\n")


if __name__ == "__main__":
    main()
