#!/usr/bin/env python3
"""Reads a corpus of other projects' feeds with tidings and with feedparser,
the same bytes through both, and prints what tidings loses or reads
differently: feeds lost, entries lost, mismatches by field, panics.

Every file under the corpus folders is served over loopback by a server this
script starts; tidings fetches each as a `feed` source (`tidings fetch`, the
real binary, into a throwaway SQLite store) and serves it back as JSON Feed
(`tidings run`, `/sources/ID.json`). feedparser parses the same bytes. Only feeds from which
feedparser reads at least one entry count.

    python3 bench/interop/run.py --bin target/release/tidings CORPUS_DIR... [--out results.json]

`--save served.json` also fetches every file (feedparser's or not) and saves
what tidings serves for each, item by item (the JSON Feed fields, and the
Atom feed's summary and content apart); `--compare OLD NEW` compares two
such saves field by field, to show what a change to the reader changed.

Develop against feedparser's own tests (kurtmckee/feedparser: tests/wellformed,
tests/illformed, tests/encoding) and feed-rs's fixtures (feed-rs/fixture);
bench/interop/README.md says how to get them.
"""
import argparse
import calendar
import html
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import socket
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser

SUFFIXES = {".xml", ".rss", ".atom", ".rdf", ".json", ".feed"}
TRACKING = re.compile(r"[?&](utm_[a-z]+|fbclid|gclid)=[^&#]*", re.I)


def text(value):
    """Markup stripped, entities decoded, white space collapsed."""
    value = re.sub(r"<[^>]*>", " ", value or "")
    return " ".join(html.unescape(value).split())


def plain(value):
    """tidings' titles are plain text already; "(untitled)" is its word for none."""
    value = " ".join((value or "").split())
    return "" if value == "(untitled)" else value


def link(value):
    """A URL compared as URLs are equal: scheme and host in lowercase, no
    tracking parameters."""
    value = TRACKING.sub("", (value or "").strip()).rstrip("?&")
    parts = urllib.parse.urlsplit(value)
    if parts.scheme in ("http", "https"):
        value = urllib.parse.urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))
    return value


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def guess_type(self, path):
        return "application/json" if path.endswith(".json") else "application/xml"


def serve(root):
    handler = lambda *a, **k: Quiet(*a, directory=str(root), **k)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fp_date(entry):
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        if entry.get(key):
            return calendar.timegm(entry[key])
    return None


def fp_author(entry):
    detail = entry.get("author_detail") or {}
    return detail.get("name") or entry.get("author") or detail.get("email")


ATOM = "{http://www.w3.org/2005/Atom}"


def served(port, sid, fetched):
    """What tidings serves for one source: the JSON Feed's items, each with
    the Atom feed's summary and content of the same entry (JSON Feed has one
    HTML field for both). A date within `fetched` (seconds: the run's start
    and end) is the time of the fetch, standing in for a date the feed does
    not give, and is saved as such: it differs from run to run."""
    get = lambda ext: urllib.request.urlopen(f"http://127.0.0.1:{port}/sources/{sid}.{ext}", timeout=30).read()
    try:
        feed = json.loads(get("json"))
        atom = ET.fromstring(get("atom"))
    except Exception as e:
        return {"error": type(e).__name__}
    entries = {}
    for entry in atom.iter(ATOM + "entry"):
        part = lambda name: (entry.find(ATOM + name).text or "") if entry.find(ATOM + name) is not None else None
        entries[entry.findtext(ATOM + "id")] = {"summary": part("summary"), "content": part("content")}
    items = []
    from datetime import datetime
    for item in feed.get("items", []):
        item.pop("_tidings", None)
        for key in ("date_published", "date_modified"):
            when = item.get(key)
            if when and fetched[0] <= datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp() <= fetched[1]:
                item[key] = "(the time of the fetch)"
        item.update(entries.get(item.get("id"), {"summary": None, "content": None}))
        items.append(item)
    return {"title": feed.get("title"), "items": items}


def compare(old_path, new_path, show):
    """Two saves of `--save`, field by field: the counts of each kind of
    difference and `show` examples of each."""
    old, new = json.loads(old_path.read_text()), json.loads(new_path.read_text())
    counts, examples = {}, {}
    note = lambda kind, where, a, b: (
        counts.__setitem__(kind, counts.get(kind, 0) + 1),
        examples.setdefault(kind, []).append((where, a, b)),
    )
    items = 0
    for where in sorted(set(old) | set(new)):
        a, b = old.get(where), new.get(where)
        if a is None or b is None:
            note("file only in one", where, a is not None, b is not None)
            continue
        if a.get("error") != b.get("error"):
            note("error", where, a.get("error"), b.get("error"))
            continue
        if a.get("title") != b.get("title"):
            note("feed title", where, a.get("title"), b.get("title"))
        ai, bi = a.get("items", []), b.get("items", [])
        items += len(ai)
        if len(ai) != len(bi):
            note("item count", where, len(ai), len(bi))
        for n, (x, y) in enumerate(zip(ai, bi)):
            for field in sorted(set(x) | set(y)):
                if x.get(field) != y.get(field):
                    note(field, f"{where}#{n}", x.get(field), y.get(field))
    print(f"files: {len(old)} / {len(new)}, items (old): {items}")
    print("differences by field:", json.dumps(counts))
    for kind, found in examples.items():
        for where, a, b in found[:show]:
            if isinstance(a, str) and isinstance(b, str) and len(a) + len(b) > 400:
                # Long texts: from a little before where they first differ.
                at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                a, b = f"…{a[max(0, at - 60):at + 140]}… ({len(a)})", f"…{b[max(0, at - 60):at + 140]}… ({len(b)})"
            print(f"  {kind}: {where}:\n    old={a!r}\n    new={b!r}")
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="*", type=Path)
    ap.add_argument("--bin", default="target/release/tidings")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--save", type=Path, help="save what tidings serves for every file here")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"),
                    help="compare two saves of --save field by field, and stop")
    ap.add_argument("--show", type=int, default=20, help="mismatches to print per field")
    args = ap.parse_args()
    if args.compare:
        compare(*args.compare, args.show)
        return
    if not args.corpus:
        ap.error("a corpus folder is needed")

    files = []
    for root in args.corpus:
        files += sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
    common = Path(os.path.commonpath([p.parent for p in files]))
    server = serve(common)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    url_of = lambda p: base + "/".join(p.relative_to(common).parts)
    expected = {}
    for p in files:
        # The same base as tidings: the address the document was fetched from.
        d = feedparser.parse(p.read_bytes(), response_headers={"content-location": url_of(p)})
        if d.entries:
            expected[p] = d
    print(f"{len(files)} files, {len(expected)} with entries feedparser reads", file=sys.stderr)

    work = Path(tempfile.mkdtemp(prefix="tidings-interop-"))
    ids = {p: f"f{i:05d}" for i, p in enumerate(files if args.save else expected)}
    cfg = work / "tidings.toml"
    with cfg.open("w") as f:
        port = free_port()
        f.write(f'[server]\nlisten = "127.0.0.1:{port}"\n\n')
        f.write(f'[store]\nstate_dir = "{work}/state"\n\n[fetch]\nallow_private = true\nconcurrency = 32\nper_host = 32\n\n')
        for p, sid in ids.items():
            url = url_of(p)
            f.write(f'[[source]]\nid = "{sid}"\nkind = "feed"\nurl = "{url}"\n\n')
    started = time.time() - 1
    fetch = subprocess.run([args.bin, "fetch", "-c", str(cfg)], capture_output=True, text=True,
                           env=dict(os.environ, RUST_LOG="warn"))
    panics = fetch.stderr.count("panicked") + fetch.stdout.count("crashed")
    log = (work / "daemon.log").open("w")
    daemon = subprocess.Popen([args.bin, "run", "-c", str(cfg)], stderr=log, env=dict(os.environ, RUST_LOG="warn"))
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)

    report = {"files": len(files), "feeds": len(expected), "entries": 0, "feeds_lost": [],
              "entries_lost": 0, "entries_different": 0, "fields": {}, "panics": panics, "examples": {}}
    mismatch = lambda field, where, fp, td: (
        report["fields"].__setitem__(field, report["fields"].get(field, 0) + 1),
        report["examples"].setdefault(field, []).append({"file": where, "feedparser": fp, "tidings": td}),
    )
    for p, d in expected.items():
        where = str(p.relative_to(common))
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/sources/{ids[p]}.json", timeout=30) as r:
                items = json.load(r)["items"]
        except Exception:
            items = []
        report["entries"] += len(d.entries)
        if not items:
            report["feeds_lost"].append(where)
            report["entries_lost"] += len(d.entries)
            continue
        unused = list(items)
        for entry in d.entries:
            match = None
            keys = (
                ("url", link(entry.get("link")), lambda i: link(i.get("url"))),
                ("title", text(entry.get("title")), lambda i: plain(i.get("title"))),
                ("summary", text(entry.get("summary"))[:60], lambda i: text(i.get("content_html"))[:60]),
            )
            for _, value, of in keys:
                if value and match is None:
                    match = next((i for i in unused if of(i) == value), None)
            if match is None and len(d.entries) == len(items) == 1:
                match = unused[0]
            if match is None:
                report["entries_lost"] += 1
                mismatch("lost", where, entry.get("title") or entry.get("link"), [i.get("title") for i in unused])
                continue
            unused.remove(match)
            different = False
            if text(entry.get("title")) and text(entry.title) != plain(match.get("title")):
                mismatch("title", where, text(entry.title), match.get("title"))
                different = True
            # feedparser takes an Atom id for a link when there is none, even
            # a urn: or tag: id; only web addresses are compared.
            if link(entry.get("link")).startswith("http") and link(entry.link) != link(match.get("url")):
                mismatch("link", where, entry.link, match.get("url"))
                different = True
            when = fp_date(entry)
            if when is not None:
                from datetime import datetime
                got = match.get("date_published")
                got = calendar.timegm(datetime.fromisoformat(got.replace("Z", "+00:00")).utctimetuple()) if got else None
                if got != when:
                    mismatch("date", where, when, got)
                    different = True
            author = fp_author(entry)
            if author:
                names = [a.get("name") for a in match.get("authors", [])]
                if text(author) not in [plain(n) for n in names]:
                    mismatch("author", where, author, names)
                    different = True
            report["entries_different"] += different
    if args.save:
        fetched = (started, time.time() + 1)
        saved = {str(p.relative_to(common)): served(port, sid, fetched) for p, sid in ids.items()}
        # The corpus's address changes from run to run.
        args.save.write_text(json.dumps(saved, indent=1, sort_keys=True).replace(base.rstrip("/"), "http://corpus"))
    server.shutdown()
    daemon.terminate()
    daemon.wait()
    report["panics"] += (work / "daemon.log").read_text().count("panicked")
    n = report["entries"] or 1
    print(f"feeds: {report['feeds']}, lost: {len(report['feeds_lost'])}")
    print(f"entries: {report['entries']}, lost: {report['entries_lost']} ({100*report['entries_lost']/n:.2f} %), "
          f"different: {report['entries_different']} ({100*report['entries_different']/n:.2f} %), "
          f"lost or different: {100*(report['entries_lost']+report['entries_different'])/n:.2f} %")
    print("mismatches by field:", json.dumps(report["fields"]))
    print("panics:", report["panics"])
    for field, examples in report["examples"].items():
        for e in examples[: args.show]:
            print(f"  {field}: {e['file']}: feedparser={e['feedparser']!r} tidings={e['tidings']!r}")
    for f in report["feeds_lost"][: args.show]:
        print(f"  feed lost: {f}")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
