"""Two release builds side by side, for a change that touches a hot path: the same load
figures as `make bench` (items 1, 2 and 5), with the two servers' rounds alternating in one run
so both see the same machine. Prints a Markdown table with each figure for both and the ratio
after / before.

    make build interop-tools bench-tools
    .tools/interop-venv/bin/python bench/compare.py --before /tmp/old/strongroom \
        --after target/release/strongroom

Build the older binary in its own clone with its own target directory. Two worktrees that
share one CARGO_TARGET_DIR share artifacts too (cargo hashes path dependencies relative to the
workspace, and judges freshness by mtimes), so one tree's build can silently contain the other
tree's code: it happened here.

Each build runs from its own data directory (a binary finds its assets through the hash.txt
next to it; the panel is not measured here, so --site-root only has to exist).
"""

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from run import ROOT, WRITE_CONNECTIONS, WRITE_SECRETS, WRITE_TIMEOUT_S, Bench, summarize


def main():
    args = parse_args()
    builds = {"before": args.before, "after": args.after}
    with tempfile.TemporaryDirectory(prefix="strongroom-compare-") as tmp:
        benches = {}
        try:
            for name, binary in builds.items():
                folder = Path(tmp) / name
                folder.mkdir()
                bench = Bench(binary.resolve(), (ROOT / args.site_root).resolve(), folder, args)
                benches[name] = bench
                bench.prepare()
                bench.start()
            rows = measure(benches, args)
        finally:
            for name, bench in benches.items():
                bench.stop()
                # Kept, so a failed figure can be explained after the temporary folder is gone.
                shutil.copy(bench.log.name, ROOT / "target" / f"bench-compare-{name}.log")
    (ROOT / "target" / "bench-compare.json").write_text(json.dumps(rows, indent=2))
    found = problems(rows)
    print(render(rows, args, found))
    if found:
        sys.exit("The comparison FAILED: its figures cannot be trusted.")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", type=Path, required=True, help="the older strongroom binary")
    p.add_argument("--after", type=Path, required=True, help="the newer strongroom binary")
    p.add_argument("--site-root", default="target/site")
    p.add_argument("--rounds", type=int, default=3, help="rounds of each figure, per build")
    p.add_argument("--seconds", type=int, default=10, help="length of one wrk run")
    p.add_argument("--connections", type=int, nargs="+", default=[32, 128, 256])
    p.add_argument("--wrk-threads", type=int, default=2)
    return p.parse_args()


def measure(benches, args):
    """Every figure as {build: summary}; within each round the builds alternate, and which
    goes first flips from round to round."""
    rows = []

    def alternate(label, one_round):
        runs = {name: [] for name in benches}
        for i in range(args.rounds):
            order = list(benches) if i % 2 == 0 else list(reversed(benches))
            for name in order:
                runs[name].append(one_round(benches[name]))
        rows.append((label, {name: summarize(r) | {"rounds": r} for name, r in runs.items()}))

    def wrk(bench, path, connections, script, timeout_s=2, **env):
        env = dict(bench.env(), BENCH_JWT=bench.jwt, **env)
        return bench.wrk(bench.base + path, connections, min(args.wrk_threads, connections), env,
                         ROOT / "bench" / script, timeout_s)[0]

    def checked_writes(bench):
        before = bench.count_audit("secret.update")
        run = wrk(bench, "/platform_api", WRITE_CONNECTIONS, "set_secret_value.lua",
                  WRITE_TIMEOUT_S, BENCH_APP="writes", BENCH_SECRETS=str(WRITE_SECRETS))
        run["audit_records"] = bench.count_audit("secret.update") - before
        return run

    for c in args.connections:
        alternate(f"`/healthz`, {c} connections",
                  lambda b: wrk(b, "/healthz", c, "healthz.lua"))
        alternate(f"GetSecretValue, {c} connections",
                  lambda b: wrk(b, "/platform_api", c, "get_secret_value.lua",
                                BENCH_APP="calls", BENCH_SECRET="secret_000042"))
    alternate("GetSecrets on 100,000 secrets, 1 connection",
              lambda b: wrk(b, "/platform_api", 1, "get_secrets.lua", BENCH_APP="big"))
    alternate(f"SetSecretInfo, {WRITE_CONNECTIONS} connections", checked_writes)
    return rows


def problems(rows):
    """What makes a figure untrustworthy: bad responses, socket errors, writes answered
    without their audit record."""
    found = []
    for label, by_build in rows:
        for name, s in by_build.items():
            if s["bad"] or s["socket_errors"]:
                found.append(f"{label} ({name}): {s['bad']} bad responses, {s['socket_errors']} "
                             "socket errors (" + ", ".join(
                                 r["socket_detail"] for r in s["rounds"] if r["socket_errors"])
                             + "); first bad: " + next(
                                 (r["first_bad"] for r in s["rounds"] if r["first_bad"]), "-"))
            for r in s["rounds"]:
                if r.get("audit_records", r["requests"]) < r["requests"]:
                    found.append(f"{label} ({name}): {r['audit_records']:,} audit records for "
                                 f"{r['requests']:,} responses")
    return found


def render(rows, args, found):
    lines = [
        f"Medians of {args.rounds} alternating rounds of {args.seconds} s per build, wrk at "
        f"{args.wrk_threads} threads (one for one connection); every response checked: "
        + ("none bad, every write audited." if not found else "**FAILED**:"),
        *[f"- {problem}" for problem in found],
        "",
        "| Figure | Before req/s | After req/s | After / before | Before p50 | After p50 | "
        "Before p99 | After p99 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, b in rows:
        before, after = b["before"], b["after"]
        lines.append(
            f"| {label} | {before['rps']:,.0f} | {after['rps']:,.0f} | "
            f"{after['rps'] / before['rps']:.3f} | {before['p50_ms']:.2f} ms | "
            f"{after['p50_ms']:.2f} ms | {before['p99_ms']:.2f} ms | {after['p99_ms']:.2f} ms |")
    levels = [r for r in rows if r[0].startswith(("`/healthz`", "GetSecretValue"))]
    lines += ["", "GetSecretValue / `/healthz` at each level, per build:", ""]
    for c in args.connections:
        pick = lambda prefix: next(b for label, b in levels
                                   if label == f"{prefix}, {c} connections")
        health, read = pick("`/healthz`"), pick("GetSecretValue")
        lines.append(f"- {c} connections: before {read['before']['rps'] / health['before']['rps']:.3f}, "
                     f"after {read['after']['rps'] / health['after']['rps']:.3f}")
    lines.append("")
    lines.append("Rounds (req/s): " + "; ".join(
        f"{label} before " + ", ".join(f"{r['rps']:,.0f}" for r in b["before"]["rounds"])
        + " after " + ", ".join(f"{r['rps']:,.0f}" for r in b["after"]["rounds"])
        for label, b in rows))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
