"""`make bench`: measures a release build of Strongroom on this machine and rewrites
BENCHMARKS.md. Every figure is the median of several rounds; figures that are compared are
measured side by side, alternating, in the same run, against the same server process.

1. GetSecretValue with a service-account JWT under concurrent load (wrk) next to /healthz.
2. GetSecrets on an application with 100,000 secrets: name-filtered pages, one client.
3. The panel: compressed wasm/JS/CSS bytes, navigation to hydrated (bench/hydration.mjs).
4. Server RSS idle and under the load of 1; start-up time with 100,000 secrets stored.
"""

import argparse
import datetime
import json
import os
import platform
import re
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

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "bench", "bench-password-1"
BIG_SECRETS = 100_000
PANEL_SECRETS = 1_000

# Budgets from the issue; each check says whether a figure is within its budget.
BUDGET_API_RATIO = 0.5
BUDGET_GET_SECRETS_P50_MS = 5.0
BUDGET_WASM_BYTES = 250 * 1000
BUDGET_HYDRATED_MS = 500.0


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
            results["panel"] = bench.measure_panel()
        finally:
            bench.stop()
    results["machine"] = machine()
    results["settings"] = vars(args)
    report = render(results)
    out = ROOT / args.out
    out.write_text(report)
    (ROOT / "target" / "bench-results.json").write_text(json.dumps(results, indent=2))
    print(report)
    print(f"Wrote {out}")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--binary", default="target/release/strongroom")
    p.add_argument("--site-root", default="target/site")
    p.add_argument("--out", default="BENCHMARKS.md")
    p.add_argument("--rounds", type=int, default=3, help="rounds of each load figure")
    p.add_argument("--seconds", type=int, default=10, help="length of one wrk run")
    p.add_argument("--connections", type=int, nargs="+", default=[32, 128, 256],
                   help="wrk connection counts for item 1 (each measured)")
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
        env.update(STRONGROOM_ADMIN_USER=USER, STRONGROOM_ADMIN_PASSWORD=PASSWORD)
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
        for name in ("calls", "big", "panel"):
            self.api("AddApplication", application_name=name)
        self.stop()
        self.import_secrets("calls", 100)
        began = time.perf_counter()
        self.import_secrets("big", BIG_SECRETS)
        self.import_seconds = time.perf_counter() - began
        self.import_secrets("panel", PANEL_SECRETS)
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
        env = dict(os.environ, BENCH_JWT=self.jwt, BENCH_APP="calls",
                   BENCH_SECRET="secret_000042")
        levels, peak_rss, self.reads_sent = [], 0, 0
        for connections in self.args.connections:
            rounds = {"healthz": [], "read": []}
            for _ in range(self.args.rounds):
                rounds["healthz"].append(self.wrk(self.base + "/healthz", connections, env))
                run, rss = self.wrk_sampling_rss(self.base + "/platform_api", connections, env,
                                                 ROOT / "bench/get_secret_value.lua")
                rounds["read"].append(run)
                peak_rss = max(peak_rss, rss)
            self.reads_sent += sum(r["requests"] for r in rounds["read"])
            level = {k: summarize(v) for k, v in rounds.items()}
            level["ratio"] = level["read"]["rps"] / level["healthz"]["rps"]
            level["connections"] = connections
            level["rounds"] = rounds
            levels.append(level)
        # Throughput is the rate at saturation: each endpoint's best over the concurrencies.
        best = {k: max(level[k]["rps"] for level in levels) for k in ("healthz", "read")}
        throughput = dict(best, ratio=best["read"] / best["healthz"])
        return {"levels": levels, "throughput": throughput, "rss_load_kb": peak_rss}

    def count_reads(self):
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'secret.read' "
                              "AND detail = 'GetSecretValue'").fetchone()[0]

    def audit_check(self):
        return {"responses": self.reads_sent, "records": self.count_reads() - self.reads_before}

    # --- 2. GetSecrets on 100,000 secrets -------------------------------------------------

    def measure_get_secrets(self):
        body = self.api("GetSecrets", application_name="big", secret_name_part="421",
                        count=20, offset=20)
        assert body["count"] == 20 and body["total_count"] == 300, body
        env = dict(os.environ, BENCH_JWT=self.jwt, BENCH_APP="big")
        runs = [self.wrk(self.base + "/platform_api", 1, env, ROOT / "bench/get_secrets.lua")
                for _ in range(self.args.rounds)]
        summary = summarize(runs)
        summary["rounds"] = runs
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
        return panel

    # --- wrk ------------------------------------------------------------------------------

    def wrk_command(self, url, connections, script):
        cmd = ["wrk", "-t1", f"-c{connections}", f"-d{self.args.seconds}s", "--latency"]
        if script:
            cmd += ["-s", str(script)]
        return cmd + [url]

    def wrk(self, url, connections, env, script=None):
        out = subprocess.run(self.wrk_command(url, connections, script), env=env,
                             capture_output=True, text=True, check=True).stdout
        return parse_wrk(out)

    def wrk_sampling_rss(self, url, connections, env, script):
        proc = subprocess.Popen(self.wrk_command(url, connections, script), env=env,
                                stdout=subprocess.PIPE, text=True)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, self.rss_kb())
            time.sleep(0.25)
        return parse_wrk(proc.stdout.read()), peak


def parse_wrk(out):
    def duration_ms(text):
        value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50_ms": duration_ms(latency["50"]),
        "p99_ms": duration_ms(latency["99"]),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def summarize(runs):
    return {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms")} | {
        "non_2xx": sum(r["non_2xx"] for r in runs)}


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
    return {"cores": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def mark(ok):
    return "within budget" if ok else "**over budget**"


def render(r):
    m, api, gs, panel, st = r["machine"], r["api"], r["get_secrets"], r["panel"], r["startup"]
    s = r["settings"]
    kib = lambda b: f"{b / 1000:,.1f} KB"
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`); do not edit by hand. Release build, loopback, "
        "the load generator (wrk, one thread) on the same machine as the server.",
        "",
        f"- Machine: {m['cores']} cores, {m['cpu']}, Linux {m['kernel']}",
        f"- Date: {m['date']}",
        f"- Each load figure is the median of {s['rounds']} rounds of {s['seconds']} s; "
        f"`/healthz` and GetSecretValue alternate round by round against the same process.",
        "",
        "## 1. Management API read path",
        "",
        "GetSecretValue by name with a service-account JWT (RS256, one token reused, as the "
        "clients do); every response carries the value, and its audit record is committed (group "
        "commit, `synchronous=FULL`) before it is sent. Each concurrency is measured on its own; "
        "group commit turns concurrency into throughput, at the cost of latency.",
        "",
        "| Connections | Endpoint | Requests/s | p50 | p99 | GetSecretValue / `/healthz` |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for level in api["levels"]:
        h, g = level["healthz"], level["read"]
        lines += [
            f"| {level['connections']} | `/healthz` | {h['rps']:,.0f} | {h['p50_ms']:.2f} ms | "
            f"{h['p99_ms']:.2f} ms | |",
            f"| {level['connections']} | GetSecretValue | {g['rps']:,.0f} | {g['p50_ms']:.2f} ms | "
            f"{g['p99_ms']:.2f} ms | {level['ratio']:.2f} |",
        ]
    t = api["throughput"]
    non_2xx = sum(level[k]["non_2xx"] for level in api["levels"] for k in ("healthz", "read"))
    lines += [
        "",
        f"- Throughput (each endpoint's best requests/s over the concurrencies above): "
        f"GetSecretValue {t['read']:,.0f} / `/healthz` {t['healthz']:,.0f} = **{t['ratio']:.2f}** "
        f"(budget ≥ {BUDGET_API_RATIO}): {mark(t['ratio'] >= BUDGET_API_RATIO)}. At low "
        f"concurrency a read waits for its group's commit and the ratio is lower (see the table).",
        f"- Audit records written during the read rounds: {r['audit']['records']:,} for "
        f"{r['audit']['responses']:,} responses counted by wrk (requests still in flight when "
        f"wrk stops are answered and audited but not counted).",
        f"- Non-2xx responses: {non_2xx}",
        "",
        "## 2. GetSecrets on 100,000 secrets",
        "",
        "One client, back to back; each request filters by another 3-digit name part (300 "
        "of the 100,000 names match) and asks for one of the first five pages of 20.",
        "",
        "| Requests/s | p50 | p99 |",
        "|---:|---:|---:|",
        f"| {gs['rps']:,.0f} | {gs['p50_ms']:.2f} ms | {gs['p99_ms']:.2f} ms |",
        "",
        f"- p50 {gs['p50_ms']:.2f} ms (budget < {BUDGET_GET_SECRETS_P50_MS} ms): "
        f"{mark(gs['p50_ms'] < BUDGET_GET_SECRETS_P50_MS)}",
        "",
        "## 3. The panel",
        "",
        f"An application's Secrets page holding {PANEL_SECRETS:,} secrets, opened cold (new "
        f"browser context, empty cache) {len(panel['hydrated_ms'])} times in headless Chromium; "
        f"bytes are the compressed bodies as transferred.",
        "",
        "| Asset | Transferred | Encoding |",
        "|---|---:|---|",
    ]
    for asset in panel["assets"]:
        lines.append(f"| {asset['kind']} `{asset['name']}` | {kib(asset['bytes'])} | "
                     f"{asset['encoding']} |")
    wasm = sum(a["bytes"] for a in panel["assets"] if a["kind"] == "wasm")
    lines += [
        "",
        f"- wasm transferred: {kib(wasm)} (budget ≤ {kib(BUDGET_WASM_BYTES)}): "
        f"{mark(wasm <= BUDGET_WASM_BYTES)}",
        f"- Navigation to hydrated: median **{panel['hydrated_median_ms']:.0f} ms** (runs: "
        f"{', '.join(f'{t:.0f}' for t in panel['hydrated_ms'])} ms; budget < "
        f"{BUDGET_HYDRATED_MS:.0f} ms): {mark(panel['hydrated_median_ms'] < BUDGET_HYDRATED_MS)}",
        "",
        "## 4. Memory and start-up",
        "",
        "| Figure | Value |",
        "|---|---:|",
        f"| RSS idle (after start-up, 100,000 secrets stored) | {r['rss_idle_kb'] / 1024:.1f} MiB |",
        f"| RSS peak under the load of item 1 | {api['rss_load_kb'] / 1024:.1f} MiB |",
        f"| Start-up to serving `/healthz`, 100,000 secrets stored (median of "
        f"{len(st['seconds'])}) | {st['median_ms']:.0f} ms |",
        f"| `strongroom secret import` of 100,000 secrets (one transaction) | "
        f"{st['import_100k_seconds']:.1f} s |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
