"""`make bench`: measures a release build of Strongroom on this machine and rewrites
BENCHMARKS.md. Every figure is the median of several rounds; figures that are compared are
measured side by side, alternating, in the same run, against the same server process.

1. GetSecretValue with a service-account JWT under concurrent load (wrk) next to /healthz.
2. GetSecrets on an application with 100,000 secrets: name-filtered pages, one client.
3. The panel: compressed wasm/JS/CSS bytes, navigation to hydrated (bench/hydration.mjs).
4. Server RSS idle and under the load of 1; start-up time with 100,000 secrets stored.
5. SetSecretInfo (a new value each time) under concurrent load: the write path.
"""

import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import jwt

from report import failures, render

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "bench", "bench-password-1"
BIG_SECRETS = 100_000
PANEL_SECRETS = 1_000
WRITE_SECRETS = 100
WRITE_CONNECTIONS = 32
# Writes queue for SQLite's one write lock; wrk's default 2 s would drop the slowest from the
# latencies instead of showing them.
WRITE_TIMEOUT_S = 10


def main():
    args = parse_args()
    binary = (ROOT / args.binary).resolve()
    site_root = (ROOT / args.site_root).resolve()
    results = {}
    with tempfile.TemporaryDirectory(prefix="strongroom-bench-") as tmp:
        bench = Bench(binary, site_root, Path(tmp), args)
        try:
            bench.prepare()
            results["startup"] = bench.measure_startup()
            results["rss_idle_kb"] = bench.rss_kb()
            results["api"] = bench.measure_api_reads()
            results["get_secrets"] = bench.measure_get_secrets()
            results["audit"] = bench.audit_check()
            results["writes"] = bench.measure_writes(results["api"]["wrk_threads"])
            results["panel"] = bench.measure_panel()
        finally:
            bench.stop()
            # Kept for a run that fails: the temporary directory goes with it.
            bench.log.flush()
            shutil.copy(bench.log.name, ROOT / "target" / "bench-server.log")
    results["machine"] = machine()
    results["settings"] = vars(args)
    results["failures"] = failures(results)
    # The figures first: a report that cannot be rendered must not lose them.
    (ROOT / "target" / "bench-results.json").write_text(json.dumps(results, indent=2))
    report = render(results)
    out = ROOT / args.out
    out.write_text(report)
    print(report)
    print(f"Wrote {out}")
    if results["failures"]:
        sys.exit("The run FAILED: " + "; ".join(results["failures"]))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--binary", default="target/release/strongroom")
    p.add_argument("--site-root", default="target/site")
    p.add_argument("--out", default="BENCHMARKS.md")
    p.add_argument("--rounds", type=int, default=3, help="rounds of each load figure")
    p.add_argument("--seconds", type=int, default=10, help="length of one wrk run")
    p.add_argument("--connections", type=int, nargs="+", default=[32, 128, 256],
                   help="wrk connection counts for item 1 (each measured)")
    p.add_argument("--wrk-threads", type=int, default=None,
                   help="wrk threads for item 1; by default the faster of 1 and 2 threads on "
                        "/healthz at the highest connection count, measured first (the load "
                        "generator shares the cores with the server)")
    p.add_argument("--startups", type=int, default=5, help="timed start-ups")
    p.add_argument("--browser-runs", type=int, default=7, help="cold page loads")
    return p.parse_args()


class Bench:
    def __init__(self, binary, site_root, tmp, args):
        self.binary, self.site_root, self.tmp, self.args = binary, site_root, tmp, args
        self.data = tmp / "data"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log = open(tmp / "server.log", "w")

    # --- the server -----------------------------------------------------------------------

    def env(self):
        env = dict(os.environ)
        env.update(STRONGROOM_ADMIN_USER=USER, STRONGROOM_ADMIN_PASSWORD=PASSWORD,
                   BENCH_DIR=str(ROOT / "bench"))
        return env

    def cli(self, *args, stdin=None):
        return subprocess.run(
            [str(self.binary), *args, "--data-dir", str(self.data)],
            input=stdin, capture_output=True, text=True, check=True, env=self.env())

    def start(self):
        """Starts the server; returns seconds from spawn to the first successful /healthz."""
        began = time.perf_counter()
        self.process = subprocess.Popen(
            [str(self.binary), "serve", "--data-dir", str(self.data),
             "--listen", f"127.0.0.1:{self.port}", "--site-root", str(self.site_root),
             "--log", "warn"],
            stdout=self.log, stderr=self.log, env=self.env())
        while True:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return time.perf_counter() - began
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                sys.exit(f"the server exited early; see {self.log.name}")
            time.sleep(0.002)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    def cpu_seconds(self):
        """The server's user + system CPU time so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kb(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    # --- data -----------------------------------------------------------------------------

    def prepare(self):
        self.data.mkdir()
        creds_path = self.tmp / "credentials.json"
        self.cli("service-account", "create", "--role", "Developer", "--out", str(creds_path))
        creds = json.loads(creds_path.read_text())
        now = int(time.time())
        # The longest lifetime the API accepts: one token for the whole run, as clients do.
        self.jwt = jwt.encode(
            {"iss": str(creds["account_id"]), "iat": now - 5, "exp": now + 3595},
            creds["private_key"], algorithm="RS256", headers={"kid": creds["key_id"]})
        self.start()
        for name in ("calls", "big", "panel", "writes"):
            self.api("AddApplication", application_name=name)
        self.stop()
        self.import_secrets("calls", 100)
        began = time.perf_counter()
        self.import_secrets("big", BIG_SECRETS)
        self.import_seconds = time.perf_counter() - began
        self.import_secrets("panel", PANEL_SECRETS)
        self.import_secrets("writes", WRITE_SECRETS)
        self.db = self.data / "strongroom.db"

    def import_secrets(self, app, count):
        lines = "".join(
            json.dumps({"name": f"secret_{i:06d}", "value": f"value-{i}-" + "x" * 24,
                        "description": f"benchmark secret {i}"}) + "\n"
            for i in range(count))
        self.cli("secret", "import", app, stdin=lines)

    def api(self, cmd, **params):
        r = httpx.post(self.base + "/platform_api", data={"cmd": cmd, **params},
                       headers={"Authorization": f"Bearer {self.jwt}"}, timeout=30)
        body = r.json()
        if "error" in body:
            raise RuntimeError(f"{cmd}: {body['error']}")
        return body

    # --- 4. start-up and memory -----------------------------------------------------------

    def measure_startup(self):
        times = []
        for _ in range(self.args.startups):
            times.append(self.start())
            self.stop()
        self.start()
        time.sleep(2)  # idle: after start-up work settles
        return {"seconds": times, "median_ms": statistics.median(times) * 1000,
                "import_100k_seconds": self.import_seconds}

    # --- 1. the read path under load ------------------------------------------------------

    def measure_api_reads(self):
        body = self.api("GetSecretValue", application_name="calls", secret_name="secret_000042")
        assert body["result"][0]["secret_value"].startswith("value-42-"), body
        self.reads_before = self.count_reads()
        env = dict(self.env(), BENCH_JWT=self.jwt, BENCH_APP="calls",
                   BENCH_SECRET="secret_000042")
        threads, calibration = self.choose_wrk_threads(env)
        levels, peak_rss, self.reads_sent = [], 0, 0
        for connections in self.args.connections:
            rounds = {"healthz": [], "read": []}
            for _ in range(self.args.rounds):
                run, _ = self.wrk(self.base + "/healthz", connections, threads, env,
                                  ROOT / "bench/healthz.lua")
                rounds["healthz"].append(run)
                before = self.count_reads()
                run, rss = self.wrk(self.base + "/platform_api", connections, threads, env,
                                    ROOT / "bench/get_secret_value.lua")
                # Per round: in-flight extras of one round must not cover a shortfall in another.
                run["audit_records"] = self.count_reads() - before
                rounds["read"].append(run)
                peak_rss = max(peak_rss, rss)
            self.reads_sent += sum(r["requests"] for r in rounds["read"])
            level = {k: summarize(v) for k, v in rounds.items()}
            # The budget holds per level: each side's median over the same alternating rounds.
            level["ratio"] = level["read"]["rps"] / level["healthz"]["rps"]
            level["connections"] = connections
            level["rounds"] = rounds
            levels.append(level)
        return {"levels": levels, "rss_load_kb": peak_rss, "wrk_threads": threads,
                "calibration": calibration}

    def choose_wrk_threads(self, env):
        """The wrk thread count that gets the most out of /healthz, the cheapest endpoint (the
        one where the load generator is likeliest to be the limit)."""
        if self.args.wrk_threads:
            return self.args.wrk_threads, None
        connections = max(self.args.connections)
        runs = {1: [], 2: []}
        for _ in range(self.args.rounds):  # alternating, as the measured rounds do
            for t, done in runs.items():
                done.append(self.wrk(self.base + "/healthz", connections, t, env,
                                     ROOT / "bench/healthz.lua")[0])
        trials = {t: summarize(done) | {"rounds": done} for t, done in runs.items()}
        best = max(trials, key=lambda t: trials[t]["rps"])
        return best, {"connections": connections, "trials": trials}

    def count_reads(self):
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'secret.read' "
                              "AND detail = 'GetSecretValue'").fetchone()[0]

    def audit_check(self):
        return {"responses": self.reads_sent, "records": self.count_reads() - self.reads_before}

    # --- 5. the write path -----------------------------------------------------------------

    def measure_writes(self, threads):
        """SetSecretInfo rounds, each write a new value with its audit record in the same
        transaction; the records written are counted per round."""
        env = dict(self.env(), BENCH_JWT=self.jwt, BENCH_APP="writes",
                   BENCH_SECRETS=str(WRITE_SECRETS))
        runs = []
        for _ in range(self.args.rounds):
            before = self.count_audit("secret.update")
            run, _ = self.wrk(self.base + "/platform_api", WRITE_CONNECTIONS, threads, env,
                              ROOT / "bench/set_secret_value.lua", WRITE_TIMEOUT_S)
            run["audit_records"] = self.count_audit("secret.update") - before
            runs.append(run)
        return summarize(runs) | {"rounds": runs, "connections": WRITE_CONNECTIONS,
                                  "secrets": WRITE_SECRETS}

    def count_audit(self, action):
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM audit_log WHERE action = ?",
                              (action,)).fetchone()[0]

    # --- 2. GetSecrets on 100,000 secrets -------------------------------------------------

    def measure_get_secrets(self):
        matches = name_part_matches(BIG_SECRETS)
        for part in ("421", "042"):
            body = self.api("GetSecrets", application_name="big", secret_name_part=part,
                            count=20, offset=20)
            assert body["count"] == 20 and body["total_count"] == matches[part], (part, body)
        env = dict(self.env(), BENCH_JWT=self.jwt, BENCH_APP="big")
        runs = [self.wrk(self.base + "/platform_api", 1, 1, env, ROOT / "bench/get_secrets.lua")[0]
                for _ in range(self.args.rounds)]
        summary = summarize(runs)
        summary["rounds"] = runs
        counts = sorted(matches.values())
        summary["matches"] = {"min": counts[0], "max": counts[-1],
                              "median": statistics.median(counts),
                              "mean": statistics.mean(counts)}
        return summary

    # --- 3. the panel in Chromium ---------------------------------------------------------

    def measure_panel(self):
        app_id = next(a["application_id"] for a in self.api("GetApplications")["result"]
                      if a["application_name"].split(".")[0] == "panel")
        out = subprocess.run(
            ["node", "bench/hydration.mjs", "--base", self.base, "--user", USER,
             "--password", PASSWORD, "--application", str(app_id),
             "--runs", str(self.args.browser_runs)],
            cwd=ROOT / "end2end", capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"hydration.mjs failed:\n{out.stdout}\n{out.stderr}")
        panel = json.loads(out.stdout)
        panel["hydrated_median_ms"] = statistics.median(panel["hydrated_ms"])
        panel["chunks"] = wasm_chunks(self.site_root)
        panel["secrets"] = PANEL_SECRETS
        return panel

    # --- wrk ------------------------------------------------------------------------------

    def wrk(self, url, connections, threads, env, script, timeout_s=2):
        """One wrk run; returns its figures, with wrk's own CPU use and the server's, and the
        server's peak RSS sampled during the run. A response slower than `timeout_s` counts as
        a socket error (wrk's "timeout"), not in the latencies."""
        cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{self.args.seconds}s", "--latency",
               f"--timeout={timeout_s}s", "-s", str(script), url]
        # wrk is the only child reaped during the run: the growth of the children's CPU time
        # is its own.
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = self.cpu_seconds()
        began = time.perf_counter()
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
            peak, sampled = 0, 0.0
            while proc.poll() is None:
                if time.perf_counter() - sampled >= 0.25:
                    peak, sampled = max(peak, self.rss_kb()), time.perf_counter()
                time.sleep(0.01)  # a short step: the wall time is the CPU shares' divisor
            wall = time.perf_counter() - began
            out.seek(0)
            text = out.read()
        if proc.returncode != 0:
            sys.exit(f"wrk failed ({proc.returncode}):\n{text}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        run = parse_wrk(text)
        wrk_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
        # Shares of one core; a wrk thread near 100% means the load generator was the ceiling.
        run["wrk_cpu"] = wrk_cpu / wall
        run["wrk_threads"] = threads
        run["server_cpu"] = (self.cpu_seconds() - server_cpu) / wall
        return run, peak


def parse_wrk(out):
    def duration_ms(text):
        value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if set(latency) != {"50", "99"}:
        sys.exit(f"wrk printed no latency distribution:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    socket_detail = socket_errors.group(1) if socket_errors else ""
    # Printed by bench/checked.lua's done(); its absence means the check never ran.
    bad = re.search(r"^bench bad responses: (\d+)$", out, re.M)
    if not bad:
        sys.exit(f"wrk printed no count of bad responses:\n{out}")
    first_bad = re.search(r"^bench first bad response: (.*)$", out, re.M)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50_ms": duration_ms(latency["50"]),
        "p99_ms": duration_ms(latency["99"]),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "bad": int(bad.group(1)),
        "first_bad": first_bad.group(1) if first_bad else "",
        "socket_errors": sum(int(n) for n in re.findall(r"\d+", socket_detail)),
        "socket_detail": socket_detail,
    }


def summarize(runs):
    medians = ("rps", "p50_ms", "p99_ms", "wrk_cpu", "server_cpu")
    return {k: statistics.median(r[k] for r in runs) for k in medians} | {
        k: sum(r[k] for r in runs) for k in ("non_2xx", "bad", "socket_errors")} | {
        "wrk_threads": runs[0]["wrk_threads"]}


def name_part_matches(count):
    """How many of the generated names (`secret_000000`...) contain each 3-digit part."""
    matches = dict.fromkeys((f"{n:03d}" for n in range(1000)), 0)
    for i in range(count):
        digits = f"{i:06d}"
        for part in {digits[j:j + 3] for j in range(4)}:
            matches[part] += 1
    return matches


def wasm_chunks(site_root):
    """Every wasm file the build produced (the main bundle and each lazy chunk), with its raw
    and precompressed (brotli) size."""
    chunks = []
    for path in sorted(site_root.rglob("*.wasm")):
        br = path.with_name(path.name + ".br")
        chunks.append({"name": path.name, "raw": path.stat().st_size,
                       "br": br.stat().st_size if br.exists() else None})
    return chunks


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine():
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {"cores": len(os.sched_getaffinity(0)), "cpu": model, "kernel": platform.release(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


if __name__ == "__main__":
    main()
