#!/usr/bin/env python3
"""Runs the fetch-cycle, daemon-memory and serving benchmarks of
BENCHMARKS.md against their peers, in one run, on loopback.

For each N in --sizes it generates N feeds (bench/gen.py), serves them with
nginx, and measures, --runs times each (the peer --peer-runs times, since
newsboat takes minutes at 20,000 feeds):

- `tidings fetch` of all N sources into an empty store (cold), then again
  with every feed answering 304 (conditional): wall time and peak RSS;
- `newsboat -x reload` on the same feeds, with an empty cache (cold), then
  again (conditional): wall time and peak RSS; once with its default
  config (one reload thread) and once with `reload-threads` equal to
  tidings' `concurrency`;
- the transfer limit: wrk over the same N URLs (a Lua script rotating over
  the paths, as many connections as tidings' `concurrency`), plain and with
  `If-None-Match: *` (every answer a 304), as the time N requests take at
  wrk's rate;
- `tidings run` (the daemon) from an empty store until every source was
  fetched once: time, peak and current RSS.

Then, with the daemon from the last size still running, the serving
benchmark: wrk (2 threads, 64 connections) for --duration seconds against
tidings serving a 50-item feed and against nginx serving the same bytes from
a file, for 200 and for 304 (If-None-Match) answers, alternating, --runs
times each.

It prints medians as a Markdown table and writes every figure to --json.
Needs: nginx, newsboat, wrk, GNU time (/usr/bin/time), and
target/release/tidings (`cargo build --release`).
"""
import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TIDINGS = os.path.join(ROOT, "target", "release", "tidings")
ORIGIN_PORT = 18080
TIDINGS_PORT = 18081
# tidings' `fetch.concurrency` in gen.py's config: newsboat's threads and
# wrk's connections for the limit are the same.
CONCURRENCY = 32


def timed(cmd, timeout=None, **kw):
    """Runs cmd under GNU time: (wall seconds, peak RSS in MB, exit code).
    Past `timeout` seconds it is stopped: (None, None, None)."""
    try:
        out = subprocess.run(
            ["/usr/bin/time", "-f", "@@ %e %M", *cmd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
            **kw,
        )
    except subprocess.TimeoutExpired:
        subprocess.run(["pkill", "-x", cmd[0]])
        return None, None, None
    if out.returncode != 0:
        # What the tool said, so a failed run can be told apart from a slow one.
        sys.stderr.write("\n".join(out.stderr.splitlines()[-20:]) + "\n")
    line = [l for l in out.stderr.splitlines() if l.startswith("@@ ")][-1]
    _, wall, kb = line.split()
    return float(wall), int(kb) / 1024, out.returncode


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, b""


def recorded(db):
    """Sources with a fetch recorded in the SQLite store at `db`."""
    if not os.path.exists(db):
        return 0
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return c.execute("SELECT COUNT(*) FROM sources WHERE last_fetch IS NOT NULL").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        c.close()


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        fields = dict(l.split(":", 1) for l in f if ":" in l)
    return (int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024)


def start_nginx(work):
    conf = os.path.join(work, "nginx", "nginx.conf")
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", os.path.join(work, "nginx")])
    for _ in range(100):
        try:
            get(f"http://127.0.0.1:{ORIGIN_PORT}/big.xml")
            return proc
        except OSError:
            time.sleep(0.05)
    sys.exit("nginx did not start")


def stop(proc):
    """Stops proc (SIGTERM), killing it after 60 s; says how long it took."""
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        print(f"  pid {proc.pid} did not stop in 60 s: killed", flush=True)
        proc.kill()
        proc.wait()
    took = time.monotonic() - started
    if took > 5:
        print(f"  pid {proc.pid} took {took:.1f} s to stop", flush=True)


def cycle(work, n, runs, peer_runs, peer_timeout, limit_duration):
    conf = os.path.join(work, "tidings.toml")
    state = os.path.join(work, "state")
    cache = os.path.join(work, "newsboat.db")
    res = {k: [] for k in ("tidings_cold", "tidings_cond", "limit_cold", "limit_cond")}
    for i in range(runs):
        for key, header in (("limit_cold", None), ("limit_cond", "If-None-Match: *")):
            rps = wrk_paths(work, n, limit_duration, header)
            res[key].append({"s": n / rps, "rps": rps})
            print(f"  N={n} {key} run {i + 1}: {rps:,.0f} req/s, {n / rps:.3f} s for {n}", flush=True)
        shutil.rmtree(state, ignore_errors=True)
        for key in ("tidings_cold", "tidings_cond"):
            wall, mb, rc = timed([TIDINGS, "fetch", "-c", conf], cwd=work)
            if rc != 0:
                sys.exit(f"tidings fetch failed ({key}, N={n})")
            res[key].append({"s": wall, "mb": mb})
            print(f"  N={n} {key} run {i + 1}: {wall:.2f} s, {mb:.1f} MB", flush=True)
    for threads in (None, CONCURRENCY):
        suffix = "" if threads is None else str(threads)
        conf_file = os.path.join(work, f"newsboat{suffix}.conf")
        with open(conf_file, "w") as f:
            f.write("" if threads is None else f"reload-threads {threads}\n")
        newsboat = [
            "newsboat", "-x", "reload", "-u", os.path.join(work, "urls"),
            "-c", cache, "-C", conf_file,
        ]
        for i in range(peer_runs):
            for ext in ("", "-journal", "-wal", ".lock"):
                if os.path.exists(cache + ext):
                    os.remove(cache + ext)
            for mode in ("cold", "cond"):
                key = f"newsboat{suffix}_{mode}"
                res.setdefault(key, [])
                wall, mb, _ = timed(newsboat, timeout=peer_timeout, cwd=work)
                if wall is None:
                    res[key].append({"s": None, "mb": None, "stopped_after": peer_timeout})
                    print(f"  N={n} {key} run {i + 1}: stopped after {peer_timeout} s", flush=True)
                    break
                res[key].append({"s": wall, "mb": mb})
                print(f"  N={n} {key} run {i + 1}: {wall:.2f} s, {mb:.1f} MB", flush=True)
    return res


def daemon(work, n, runs):
    """Starts the daemon on an empty store `runs` times; returns the figures
    and the last daemon, left running for the serving benchmark."""
    conf = os.path.join(work, "tidings.toml")
    res = []
    proc = None
    for i in range(runs):
        if proc:
            stop(proc)
        shutil.rmtree(os.path.join(work, "state"), ignore_errors=True)
        started = time.monotonic()
        proc = subprocess.Popen(
            [TIDINGS, "run", "-c", conf], cwd=work,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        # Counted in the store, read-only beside the daemon (WAL): polling
        # /metrics this often would make the daemon encode its every series
        # 50 times a second, and that work and memory would be measured too.
        db = os.path.join(work, "state", "tidings.db")
        while recorded(db) < n + 1:
            if proc.poll() is not None:
                sys.exit("the daemon exited")
            time.sleep(0.02)
        took = time.monotonic() - started
        time.sleep(1)
        hwm, now = rss_mb(proc.pid)
        res.append({"s": took, "peak_mb": hwm, "rss_mb": now})
        print(f"  N={n} daemon run {i + 1}: all fetched in {took:.2f} s, peak {hwm:.1f} MB, now {now:.1f} MB", flush=True)
    return res, proc


def wrk(url, duration, header=None):
    cmd = ["wrk", "-t2", "-c64", f"-d{duration}s", "--latency"]
    if header:
        cmd += ["-H", header]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    if "Non-2xx or 3xx" in out:
        sys.exit(f"wrk saw errors from {url}:\n{out}")
    return rps


ROTATE = """
local paths, i = {}, 0
for line in io.lines(os.getenv("TIDINGS_BENCH_PATHS")) do paths[#paths + 1] = line end
local header = os.getenv("TIDINGS_BENCH_HEADER")
local headers = {}
if header and header ~= "" then
  local k, v = header:match("^([^:]+):%s*(.*)$")
  headers[k] = v
end
function init(args)
  -- Each thread starts at another place in the list.
  i = math.random(#paths)
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], headers)
end
"""


def wrk_paths(work, n, duration, header=None):
    """wrk over the N feeds' paths in turn, with CONCURRENCY connections:
    requests per second. The limit of a fetch cycle is N over that rate."""
    script = os.path.join(work, "rotate.lua")
    paths = os.path.join(work, "paths")
    with open(script, "w") as f:
        f.write(ROTATE)
    with open(paths, "w") as f:
        f.writelines(f"/f/{k:05}.xml\n" for k in range(n))
    env = dict(os.environ, TIDINGS_BENCH_PATHS=paths, TIDINGS_BENCH_HEADER=header or "")
    cmd = ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{duration}s", "-s", script,
           f"http://127.0.0.1:{ORIGIN_PORT}/"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    if "Non-2xx or 3xx" in out:
        sys.exit(f"wrk saw errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def serving(work, runs, duration):
    feed = f"http://127.0.0.1:{TIDINGS_PORT}/sources/big.rss"
    status, headers, body = get(feed)
    assert status == 200, status
    with open(os.path.join(work, "www", "served.rss"), "wb") as f:
        f.write(body)
    static = f"http://127.0.0.1:{ORIGIN_PORT}/served.rss"
    _, nginx_headers, nginx_body = get(static)
    assert nginx_body == body
    tag = headers["etag"]
    nginx_tag = nginx_headers["etag"]
    assert get(feed, {"If-None-Match": tag})[0] == 304
    assert get(static, {"If-None-Match": nginx_tag})[0] == 304
    res = {k: [] for k in ("tidings_200", "nginx_200", "tidings_304", "nginx_304")}
    for i in range(runs):
        res["tidings_200"].append(wrk(feed, duration))
        res["nginx_200"].append(wrk(static, duration))
        res["tidings_304"].append(wrk(feed, duration, f"If-None-Match: {tag}"))
        res["nginx_304"].append(wrk(static, duration, f"If-None-Match: {nginx_tag}"))
        print("  serving run {}: {}".format(i + 1, {k: v[-1] for k, v in res.items()}), flush=True)
    return {"bytes": len(body), **res}


def med(rows, key=None):
    return statistics.median(r[key] for r in rows) if key else statistics.median(rows)


def peer(rows, name):
    done = [r for r in rows if r["s"] is not None]
    if done:
        return f"{name} {med(done, 's'):.2f} s, {med(done, 'mb'):.0f} MB"
    if rows:
        return f"{name} stopped after {rows[0]['stopped_after']} s"
    return f"{name} not run"


def save(path, results):
    with open(path, "w") as f:
        json.dump(results, f, indent=1)


def main():
    global ORIGIN_PORT, TIDINGS_PORT, TIDINGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2000,20000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--peer-runs", default="3,1", help="newsboat runs per size")
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--limit-duration", type=int, default=3,
                    help="seconds per wrk run over the N feeds (the transfer limit)")
    ap.add_argument("--peer-timeout", type=int, default=None,
                    help="stop a newsboat run after this many seconds (reported as such)")
    # Memory-backed, for both tools alike: newsboat commits each feed with an
    # fsync, and the disk under test machines varies more than the programs.
    ap.add_argument("--work", default="/dev/shm/tidings-bench")
    ap.add_argument("--json", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--parts", default="cycle,daemon,serving",
                    help="which benchmarks to run (serving needs the daemon: it starts one)")
    ap.add_argument("--ports", default=f"{ORIGIN_PORT},{TIDINGS_PORT}",
                    help="nginx's and tidings' ports (two runs side by side need their own)")
    ap.add_argument("--tidings", default=TIDINGS, help="the binary to measure")
    args = ap.parse_args()
    TIDINGS = args.tidings
    ORIGIN_PORT, TIDINGS_PORT = (int(p) for p in args.ports.split(","))
    if not os.path.exists(TIDINGS):
        sys.exit(f"{TIDINGS} is missing: run `cargo build --release` first")
    sizes = [int(s) for s in args.sizes.split(",")]
    peer_runs = [int(s) for s in args.peer_runs.split(",")]
    results = {"runs": args.runs, "sizes": {}}
    daemon_proc = None
    for idx, n in enumerate(sizes):
        work = os.path.join(args.work, str(n))
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), work, str(n),
                        str(ORIGIN_PORT), str(TIDINGS_PORT)], check=True)
        nginx = start_nginx(work)
        try:
            print(f"N={n}", flush=True)
            parts = args.parts.split(",")
            results["sizes"][n] = {}
            if "cycle" in parts:
                results["sizes"][n]["cycle"] = cycle(
                    work, n, args.runs, peer_runs[min(idx, len(peer_runs) - 1)], args.peer_timeout,
                    args.limit_duration)
                save(args.json, results)
            if "daemon" in parts or "serving" in parts:
                d, daemon_proc = daemon(work, n, args.runs if "daemon" in parts else 1)
                if "daemon" in parts:
                    results["sizes"][n]["daemon"] = d
                    save(args.json, results)
            if idx == 0 and "serving" in parts:
                results["serving"] = serving(work, args.runs, args.duration)
                save(args.json, results)
        finally:
            if daemon_proc:
                stop(daemon_proc)
                daemon_proc = None
            stop(nginx)
    print("\n| benchmark | tidings | × limit | limit (wrk) | newsboat, 1 thread | newsboat, "
          f"{CONCURRENCY} threads |\n|---|---|---|---|---|---|")
    for n, r in results["sizes"].items():
        c = r.get("cycle", {})
        for mode in ("cold", "cond") if c else ():
            t, lim = c[f"tidings_{mode}"], c[f"limit_{mode}"]
            print(f"| fetch cycle N={n} {mode} | {med(t, 's'):.2f} s, {med(t, 'mb'):.0f} MB "
                  f"| {med(t, 's') / med(lim, 's'):.1f}× | {med(lim, 's'):.3f} s "
                  f"({med(lim, 'rps'):,.0f} req/s) "
                  f"| {peer(c.get(f'newsboat_{mode}', []), 'newsboat')} "
                  f"| {peer(c.get(f'newsboat{CONCURRENCY}_{mode}', []), 'newsboat')} |")
        d = r.get("daemon")
        if d:
            print(f"| daemon N={n}, first cycle | {med(d, 's'):.2f} s, peak {med(d, 'peak_mb'):.0f} MB, "
                  f"then {med(d, 'rss_mb'):.0f} MB | |")
    if "serving" in results:
        s = results["serving"]
        for code in ("200", "304"):
            t, p = med(s[f"tidings_{code}"]), med(s[f"nginx_{code}"])
            print(f"| serving {s['bytes']} B feed, {code} | {t:,.0f} req/s ({t / p:.2f}x) | nginx {p:,.0f} req/s |")


if __name__ == "__main__":
    main()
