#!/usr/bin/env python3
"""Measures serving alone (row 2 of BENCHMARKS.md): the daemon serving a
50-item feed beside nginx serving the same bytes from a file, in one run.

It writes the setup with `gen.py DIR 0 …` (no generated feeds: only the
50-item feed `big`, nginx's config and tidings'), starts nginx and
`tidings run`, waits for the daemon's first fetch, writes the bytes the
daemon serves at `/sources/big.rss` to nginx's root, and then runs wrk
(2 threads, 64 connections, no Accept-Encoding: both send the identity
body) --runs times against each, alternating: 200s, then 304s
(`If-None-Match` with each one's ETag). Beside requests per second it
reports each server's CPU time per request (user + system, from /proc, for
the daemon and for nginx's workers): on cores shared with other work, that
varies less than the rate.

Its ports (18180, 18181) differ from run.py's, so the two can run on one
machine. It prints medians as a Markdown table, the load average before and
after, and writes every figure to --json.

Needs: nginx, wrk, target/release/tidings. Run as root (nginx's config says
`user root`).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

# The same HTTP, wrk and stop helpers as the fetch-cycle benchmark.
from run import get, stop, wrk

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ORIGIN_PORT = 18180
TIDINGS_PORT = 18181


def wait_for(url, proc, what):
    for _ in range(600):
        if proc.poll() is not None:
            sys.exit(f"{what} exited")
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit(f"{what} did not answer {url}")


def cpu_seconds(pids):
    """User + system CPU time of the processes `pids` so far, in seconds."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def measured(url, duration, pids, header=None):
    """wrk's requests/s, and the server's CPU microseconds per request."""
    before = cpu_seconds(pids)
    started = time.monotonic()
    rps = wrk(url, duration, header)
    took = time.monotonic() - started
    cpu = cpu_seconds(pids) - before
    return {"rps": rps, "cpu_us": cpu / (rps * took) * 1e6}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "tidings"))
    ap.add_argument("--work", default="/dev/shm/tidings-serve")
    ap.add_argument("--json", default=os.path.join(HERE, "serve.json"))
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        sys.exit(f"{args.bin} is missing: run `cargo build --release` first")
    shutil.rmtree(args.work, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), args.work, "0",
                    str(ORIGIN_PORT), str(TIDINGS_PORT)], check=True)
    nginx = subprocess.Popen(["nginx", "-c", os.path.join(args.work, "nginx", "nginx.conf"),
                              "-p", os.path.join(args.work, "nginx")])
    daemon = None
    try:
        wait_for(f"http://127.0.0.1:{ORIGIN_PORT}/big.xml", nginx, "nginx")
        daemon = subprocess.Popen([args.bin, "run", "-c", os.path.join(args.work, "tidings.toml")],
                                  cwd=args.work, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        feed = f"http://127.0.0.1:{TIDINGS_PORT}/sources/big.rss"
        wait_for(feed, daemon, "the daemon")
        # The feed is served (empty) before the daemon's first fetch ends.
        for _ in range(600):
            status, headers, body = get(feed)
            if status == 200 and body.count(b"<item>") == 50:
                break
            time.sleep(0.05)
        assert status == 200 and body.count(b"<item>") == 50, status
        with open(os.path.join(args.work, "www", "served.rss"), "wb") as f:
            f.write(body)
        static = f"http://127.0.0.1:{ORIGIN_PORT}/served.rss"
        _, nginx_headers, nginx_body = get(static)
        assert nginx_body == body
        tag, nginx_tag = headers["etag"], nginx_headers["etag"]
        assert get(feed, {"If-None-Match": tag})[0] == 304
        assert get(static, {"If-None-Match": nginx_tag})[0] == 304
        # nginx's workers serve; its master only waits.
        workers = subprocess.run(["pgrep", "-P", str(nginx.pid)], capture_output=True,
                                 text=True, check=True).stdout.split()
        load_before = os.getloadavg()
        res = {k: [] for k in ("tidings_200", "nginx_200", "tidings_304", "nginx_304")}
        for i in range(args.runs):
            res["tidings_200"].append(measured(feed, args.duration, [daemon.pid]))
            res["nginx_200"].append(measured(static, args.duration, workers))
            res["tidings_304"].append(
                measured(feed, args.duration, [daemon.pid], f"If-None-Match: {tag}"))
            res["nginx_304"].append(
                measured(static, args.duration, workers, f"If-None-Match: {nginx_tag}"))
            print("  run {}: {}".format(i + 1, {k: v[-1] for k, v in res.items()}), flush=True)
        load_after = os.getloadavg()
    finally:
        if daemon:
            stop(daemon)
        stop(nginx)
    out = {"bytes": len(body), "load_before": load_before, "load_after": load_after, **res}
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)
    print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print("| serving | tidings | nginx | ratio | CPU per request: tidings | nginx |")
    print("|---|---|---|---|---|---|")
    for code in ("200", "304"):
        t, p = (res[f"{who}_{code}"] for who in ("tidings", "nginx"))
        rt, rp = (statistics.median(r["rps"] for r in rows) for rows in (t, p))
        ct, cp = (statistics.median(r["cpu_us"] for r in rows) for rows in (t, p))
        print(f"| {len(body):,} B feed, {code} | {rt:,.0f} req/s | {rp:,.0f} req/s "
              f"| {rt / rp:.2f}x | {ct:.1f} µs | {cp:.1f} µs |")

if __name__ == "__main__":
    main()
