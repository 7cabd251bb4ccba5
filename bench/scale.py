#!/usr/bin/env python3
"""The daemon at scale (BENCHMARKS.md, "100,000 sources"): N generated feeds
(bench/gen.py), each source on a 15-minute schedule spread over the minutes
of the interval, served by nginx; `tidings run` from an empty store, on
SQLite or on PostgreSQL. Measured, in one run:

- the first cycle: from the daemon's start until the store has a fetch
  recorded for every source (all cold: every item new), with the daemon's
  peak RSS;
- then a sustained conditional load for --sustain seconds: every source
  comes due again on its schedule (about N/900 fetches a second at 15
  minutes) and nginx answers 304. Every --every seconds: the requests nginx
  answered since the last sample (its access log), the daemon's CPU share
  and RSS, and how many sources are overdue by more than a minute (due in
  the store, not yet fetched): if the daemon holds the rate, that stays 0.

For PostgreSQL it starts a cluster of its own (initdb, as the `postgres`
user when run as root) in the work folder, with the server's default
durability settings (the folder is on tmpfs, where fsync costs nothing).

Prints a summary and writes every sample to --json. Needs nginx, the
PostgreSQL server binaries for --store postgres, and target/release/tidings.

usage: scale.py [--n 100000] [--store sqlite|postgres] [--sustain 300]
"""
import argparse
import glob
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request

from run import stop

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TIDINGS = os.path.join(ROOT, "target", "release", "tidings")
TICKS = os.sysconf("SC_CLK_TCK")


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        fields = dict(l.split(":", 1) for l in f if ":" in l)
    mb = lambda k: int(fields[k].split()[0]) / 1024
    return mb("VmHWM"), mb("VmRSS")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / TICKS


def log_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


class Sqlite:
    def __init__(self, work):
        self.path = os.path.join(work, "state", "tidings.db")
        self.url = None

    def query(self, sql):
        if not os.path.exists(self.path):
            return 0
        # Read-only, beside the daemon: WAL lets readers in while it writes.
        c = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            return c.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:
            return 0
        finally:
            c.close()

    def overdue(self, before):
        return self.query(f"SELECT COUNT(*) FROM sources WHERE next_due < {int(before * 1000)}")

    def stop(self):
        pass


class Postgres:
    def __init__(self, work, port):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            sys.exit("no /usr/lib/postgresql/*/bin/initdb")
        self.bin = os.path.dirname(bins[-1])
        self.dir = os.path.join(work, "pg")
        self.port = port
        os.makedirs(self.dir)
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.as_pg = as_pg
        if as_pg:
            subprocess.run(["chown", "-R", "postgres:", self.dir], check=True)
        subprocess.run(as_pg + [f"{self.bin}/initdb", "-D", f"{self.dir}/data", "-U", "tidings",
                                "-A", "trust", "-E", "UTF8", "--locale=C"],
                       check=True, stdout=subprocess.DEVNULL)
        self.server = subprocess.Popen(
            as_pg + [f"{self.bin}/postgres", "-D", f"{self.dir}/data", "-p", str(port),
                     "-k", self.dir, "-c", "listen_addresses=127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "pg.log"), "w"))
        for _ in range(200):
            if subprocess.run(self.psql("postgres", "SELECT 1"), capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            sys.exit("the PostgreSQL server did not start")
        subprocess.run(self.psql("postgres", "CREATE DATABASE bench"), check=True,
                       stdout=subprocess.DEVNULL)
        self.url = f"postgres://tidings@127.0.0.1:{port}/bench"

    def psql(self, db, sql):
        return [f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "tidings",
                "-d", db, "-tAc", sql]

    def query(self, sql):
        out = subprocess.run(self.psql("bench", sql), capture_output=True, text=True)
        return int(out.stdout.strip() or 0) if out.returncode == 0 else 0

    def overdue(self, before):
        return self.query(f"SELECT COUNT(*) FROM sources WHERE next_due < to_timestamp({before})")

    def stop(self):
        # pg_ctl, not a signal to `runuser`, which does not pass SIGINT on
        # (a 100,000-source run's server was still up a minute later).
        subprocess.run(self.as_pg + [f"{self.bin}/pg_ctl", "stop", "-m", "fast", "-D",
                                     f"{self.dir}/data"], stdout=subprocess.DEVNULL)
        self.server.wait(timeout=60)


def main():
    global TIDINGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--sustain", type=int, default=300, help="seconds of the conditional load")
    ap.add_argument("--every", type=int, default=10, help="seconds between samples")
    ap.add_argument("--spread", type=int, default=15, help="the schedule's interval, minutes")
    ap.add_argument("--ports", default="38080,38081,38082", help="nginx, tidings, PostgreSQL")
    ap.add_argument("--work", default="/dev/shm/tidings-scale")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--json", default=None)
    ap.add_argument("--tidings", default=TIDINGS, help="the binary to measure")
    args = ap.parse_args()
    TIDINGS = args.tidings
    if not os.path.exists(TIDINGS):
        sys.exit(f"{TIDINGS} is missing: run `cargo build --release` first")
    origin, listen, pg_port = args.ports.split(",")
    work = os.path.join(args.work, f"{args.n}-{args.store}")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    store = Postgres(work, pg_port) if args.store == "postgres" else None
    nginx = daemon = None
    try:
        started = time.monotonic()
        gen = [sys.executable, os.path.join(HERE, "gen.py"), work, str(args.n), origin, listen,
               "--spread", str(args.spread), "--access-log"]
        if store:
            gen += ["--store-url", store.url]
        subprocess.run(gen, check=True)
        store = store or Sqlite(work)
        print(f"generated {args.n} feeds in {time.monotonic() - started:.0f} s", flush=True)
        nginx = subprocess.Popen(["nginx", "-c", os.path.join(work, "nginx", "nginx.conf"),
                                  "-p", os.path.join(work, "nginx")])
        access = os.path.join(work, "nginx", "logs", "access.log")
        time.sleep(1)
        started = time.monotonic()
        daemon = subprocess.Popen([TIDINGS, "run", "-c", os.path.join(work, "tidings.toml")],
                                  cwd=work, stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(work, "daemon.log"), "w"))
        first = []
        while True:
            time.sleep(2)
            if daemon.poll() is not None:
                sys.exit("the daemon exited")
            done = store.query("SELECT COUNT(*) FROM sources WHERE last_fetch IS NOT NULL")
            hwm, rss = proc_status(daemon.pid)
            t = time.monotonic() - started
            first.append({"t": t, "recorded": done, "peak_mb": hwm, "rss_mb": rss,
                          "cpu_s": cpu_seconds(daemon.pid)})
            print(f"  first cycle {t:6.1f} s: {done} recorded, RSS {rss:.0f} MB (peak {hwm:.0f})",
                  flush=True)
            if done >= args.n + 1:
                break
        first_s = first[-1]["t"]
        time.sleep(5)
        settled = proc_status(daemon.pid)
        print(f"first cycle: {first_s:.1f} s, peak {first[-1]['peak_mb']:.0f} MB, "
              f"{settled[1]:.0f} MB five seconds later", flush=True)
        samples = []
        lines, cpu, at = log_lines(access), cpu_seconds(daemon.pid), time.monotonic()
        end = at + args.sustain
        while time.monotonic() < end:
            time.sleep(args.every)
            now_lines, now_cpu, now = log_lines(access), cpu_seconds(daemon.pid), time.monotonic()
            overdue = store.overdue(time.time() - 60)
            hwm, rss = proc_status(daemon.pid)
            s = {"t": now - started, "req_per_s": (now_lines - lines) / (now - at),
                 "cpu": (now_cpu - cpu) / (now - at), "rss_mb": rss, "peak_mb": hwm,
                 "overdue_1min": overdue}
            samples.append(s)
            print(f"  sustained {s['t']:6.0f} s: {s['req_per_s']:6.1f} req/s, "
                  f"CPU {s['cpu'] * 100:3.0f} %, RSS {rss:.0f} MB, overdue > 1 min: {overdue}",
                  flush=True)
            lines, cpu, at = now_lines, now_cpu, now
        rates = sorted(s["req_per_s"] for s in samples)
        result = {
            "n": args.n, "store": args.store, "first_cycle_s": first_s,
            "first_cycle_peak_mb": first[-1]["peak_mb"], "settled_mb": settled[1],
            "sustain_s": args.sustain,
            "req_per_s_median": rates[len(rates) // 2] if rates else None,
            "expected_req_per_s": args.n / (args.spread * 60),
            "cpu_median": sorted(s["cpu"] for s in samples)[len(samples) // 2] if samples else None,
            "rss_mb_end": samples[-1]["rss_mb"] if samples else settled[1],
            "peak_mb_end": samples[-1]["peak_mb"] if samples else first[-1]["peak_mb"],
            "overdue_max": max((s["overdue_1min"] for s in samples), default=None),
            "first": first, "samples": samples,
        }
        print(json.dumps({k: v for k, v in result.items() if k not in ("first", "samples")}))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)
    finally:
        for p in (daemon, nginx):
            if p and p.poll() is None:
                # Killed after a minute, so that nginx and the cluster are
                # still stopped.
                stop(p)
        if store:
            store.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
