"""BENCHMARKS.md from the figures bench/run.py measured: the verdicts against the budgets, the
reasons a run failed, and the signs that the load generator or the machine set a figure."""

# Budgets from the issues; each verdict says whether a figure is within its budget.
BUDGET_API_RATIO = 0.5
BUDGET_GET_SECRETS_P50_MS = 5.0
BUDGET_WASM_BYTES = 250 * 1000
BUDGET_HYDRATED_MS = 500.0
# A share of the available CPU at which a process counts as busy all the time.
BUSY = 0.9


def failures(r):
    """Why the run's figures cannot be trusted: any bad response (an HTTP error, an API error
    body, a body without the field asked for), any socket error, or fewer audit records than
    values handed out."""
    found = []
    runs = [("/healthz", run) for level in r["api"]["levels"] for run in level["rounds"]["healthz"]]
    runs += [("GetSecretValue", run) for level in r["api"]["levels"]
             for run in level["rounds"]["read"]]
    runs += [("GetSecrets", run) for run in r["get_secrets"]["rounds"]]
    runs += [("SetSecretInfo", run) for run in r["writes"]["rounds"]]
    if r["api"]["calibration"]:
        runs += [("/healthz (choosing wrk threads)", run)
                 for trial in r["api"]["calibration"]["trials"].values()
                 for run in trial["rounds"]]
    for name, run in runs:
        if run["bad"]:
            found.append(f"{name}: {run['bad']:,} bad responses (first: {run['first_bad']})")
        if run["socket_errors"]:
            found.append(f"{name}: {run['socket_errors']} socket errors ({run['socket_detail']})")
    for level in r["api"]["levels"]:
        for i, run in enumerate(level["rounds"]["read"]):
            if run["audit_records"] < run["requests"]:
                found.append(f"GetSecretValue at {level['connections']} connections, round "
                             f"{i + 1}: {run['audit_records']:,} read records for "
                             f"{run['requests']:,} responses")
    for i, run in enumerate(r["writes"]["rounds"]):
        if run["audit_records"] < run["requests"]:
            found.append(f"SetSecretInfo round {i + 1}: {run['audit_records']:,} update records "
                         f"for {run['requests']:,} responses")
    audit = r["audit"]
    if audit["records"] < audit["responses"]:
        found.append(f"{audit['records']:,} read records for {audit['responses']:,} GetSecretValue responses")
    return found




def wrk_bound(run):
    """A wrk thread busy 90% of the time or more cannot send faster: the figure is the load
    generator's ceiling, not the server's."""
    return run["wrk_cpu"] / run["wrk_threads"] >= BUSY


def machine_bound(run, cores):
    """wrk and the server together used (nearly) every core: the two compete for CPU, and the
    figure is what the machine could do for both, not what the server could do alone."""
    return run["wrk_cpu"] + run["server_cpu"] >= BUSY * cores


ENDPOINTS = (("healthz", "`/healthz`"), ("read", "GetSecretValue"))


def mark(ok):
    return "within budget" if ok else "**over budget**"


def held_rounds(levels, held):
    """Which rounds `held` says were limited by something other than the server, as
    "N of M `/healthz` rounds at C connections", or "" when none."""
    parts = []
    for level in levels:
        for key, name in ENDPOINTS:
            runs = level["rounds"][key]
            count = sum(1 for run in runs if held(run))
            if count:
                parts.append(f"{count} of {len(runs)} {name} rounds at {level['connections']} "
                             "connections")
    return "; ".join(parts)


def level_verdict(level, cores):
    """The API budget at one level. A ratio over the line is not trusted when a `/healthz`
    round was held down by wrk or by the machine: `/healthz` could have been faster, and the
    true ratio lower. (Under the line the verdict stands: a faster `/healthz` only lowers it.)"""
    if level["ratio"] < BUDGET_API_RATIO:
        return mark(False)
    held = [run for run in level["rounds"]["healthz"]
            if wrk_bound(run) or machine_bound(run, cores)]
    if held:
        return ("**inconclusive**: within on paper, but `/healthz` was held down by the load "
                "generator or the machine in " + f"{len(held)} of its rounds")
    return mark(True)


def render_writes(w, pct):
    rows = [f"| {i + 1} | {run['rps']:,.0f} | {run['p50_ms']:.2f} ms | {run['p99_ms']:.2f} ms | "
            f"{run['bad']} | {run['audit_records']:,} / {run['requests']:,} | "
            f"{pct(run['wrk_cpu'])} | {pct(run['server_cpu'])} |"
            for i, run in enumerate(w["rounds"])]
    return [
        "## 5. Management API write path",
        "",
        f"SetSecretInfo with a new value on every request, spread over {w['secrets']} secrets of "
        f"one application, {w['connections']} connections, wrk at {w['wrk_threads']} "
        f"thread{'s' if w['wrk_threads'] != 1 else ''}. Each write seals the value and commits "
        "it with its audit record in one transaction (`synchronous=FULL`). No issue sets a "
        "budget for writes; the figures are here to compare runs.",
        "",
        "| Round | Requests/s | p50 | p99 | Bad | Audit records / responses | wrk CPU | "
        "Server CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        f"| median | {w['rps']:,.0f} | {w['p50_ms']:.2f} ms | {w['p99_ms']:.2f} ms | {w['bad']} "
        f"| | {pct(w['wrk_cpu'])} | {pct(w['server_cpu'])} |",
        "",
    ]


def render(r):
    m, api, gs, panel, st = r["machine"], r["api"], r["get_secrets"], r["panel"], r["startup"]
    s = r["settings"]
    kib = lambda b: f"{b / 1000:,.1f} KB"
    pct = lambda share: f"{share * 100:.0f}%"
    threads = api["wrk_threads"]
    status = (["**This run FAILED**: its figures cannot be trusted.", ""]
              + [f"- {reason}" for reason in r["failures"]] + [""]) if r["failures"] else [
        "Run status: passed (no bad response, no socket error, every value sent was audited).", ""]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`); do not edit by hand. Release build, loopback, "
        "the load generator (wrk) on the same machine as the server, sharing its cores.",
        "",
        f"- Machine: {m['cores']} cores, {m['cpu']}, Linux {m['kernel']}",
        f"- Date: {m['date']}",
        f"- Each load figure is the median of {s['rounds']} rounds of {s['seconds']} s; "
        f"`/healthz` and GetSecretValue alternate round by round against the same process.",
        "- Every response is checked (bench/checked.lua): a non-200 status, or a body without the "
        "field asked for (`ok`, `secret_value`, `result`), counts as a bad response; the run "
        "fails on any bad response, any socket error, or fewer audit records than values sent.",
        "",
        *status,
        "## 1. Management API read path",
        "",
        "GetSecretValue by name with a service-account JWT (RS256, one token reused, as the "
        "clients do); every response carries the value, and its audit record is committed (group "
        "commit, `synchronous=FULL`) before it is sent. Each concurrency is measured on its own, "
        f"with wrk at {threads} thread{'s' if threads != 1 else ''}. "
        "CPU columns are medians over the rounds, as shares of one core (the machine has "
        f"{m['cores']}).",
        "",
        "| Connections | Endpoint | Requests/s | p50 | p99 | Bad | Socket errors | wrk CPU | "
        "Server CPU | GetSecretValue / `/healthz` |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in api["levels"]:
        for key, name in ENDPOINTS:
            x = level[key]
            ratio = f"{level['ratio']:.3f}" if key == "read" else ""
            lines.append(
                f"| {level['connections']} | {name} | {x['rps']:,.0f} | {x['p50_ms']:.2f} ms | "
                f"{x['p99_ms']:.2f} ms | {x['bad']} | {x['socket_errors']} | "
                f"{pct(x['wrk_cpu'])} | {pct(x['server_cpu'])} | {ratio} |")
    lines += ["", f"Budget: GetSecretValue ≥ {BUDGET_API_RATIO} × `/healthz` requests/s at every "
              "level, each against `/healthz` at the same level in the same rounds.", ""]
    verdicts = [level_verdict(level, m["cores"]) for level in api["levels"]]
    for level, verdict in zip(api["levels"], verdicts):
        lines.append(f"- {level['connections']} connections: "
                     f"{level['read']['rps']:,.0f} / {level['healthz']['rps']:,.0f} = "
                     f"**{level['ratio']:.3f}**: {verdict}")
    every = (mark(True) if all(v == mark(True) for v in verdicts)
             else mark(False) if any(v == mark(False) for v in verdicts)
             else "**inconclusive**")
    lines.append(f"- Every level: {every}")
    rounds = [(level["connections"], name, i + 1, run) for level in api["levels"]
              for key, name in ENDPOINTS for i, run in enumerate(level["rounds"][key])]
    by_wrk = held_rounds(api["levels"], wrk_bound)
    by_machine = held_rounds(api["levels"], lambda run: machine_bound(run, m["cores"]))
    busiest = max(run["wrk_cpu"] / run["wrk_threads"] for *_, run in rounds)
    calibration = api["calibration"]
    lines += [
        "- wrk threads: " + (
            f"{threads}, set by `--wrk-threads`." if not calibration else
            f"{threads}, the faster of "
            + " and ".join(f"{t} ({trial['rps']:,.0f} req/s, wrk CPU {pct(trial['wrk_cpu'])})"
                           for t, trial in sorted(calibration["trials"].items()))
            + f" on `/healthz` at {calibration['connections']} connections (medians of "
            f"{len(next(iter(calibration['trials'].values()))['rounds'])} alternating rounds, "
            "measured first)."),
        "- Load generator as the ceiling (a wrk thread busy ≥ 90%): " + (
            "**yes**, " + by_wrk + ". Those figures are wrk's limit."
            if by_wrk else f"no round (the busiest wrk thread: {pct(busiest)})."),
        "- Machine as the ceiling (wrk and the server together ≥ 90% of every core): " + (
            "**yes**, " + by_machine + ". The load generator runs on the same "
            "cores, so the server had what wrk left it. When the machine is full, wrk's CPU "
            "share is what the scheduler gave it, not what it asked for, so the wrk check "
            "above can miss a load generator that was the limit."
            if by_machine else "no round."),
        f"- Audit records written during the read rounds: {r['audit']['records']:,} for "
        f"{r['audit']['responses']:,} responses counted by wrk (requests still in flight when "
        f"wrk stops are answered and audited but not counted).",
        "",
        "Every round, by level (within a level, `/healthz` and GetSecretValue alternate as "
        "listed; CPU as shares of one core):",
        "",
        "| Connections | Endpoint | Round | Requests/s | wrk CPU | Server CPU |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for c, name, i, run in sorted(rounds, key=lambda x: (x[0], x[2], x[1] != "`/healthz`")):
        lines.append(f"| {c} | {name} | {i} | {run['rps']:,.0f} | {pct(run['wrk_cpu'])} | "
                     f"{pct(run['server_cpu'])} |")
    match = gs["matches"]
    gs_errors = gs["bad"]
    lines += [
        "",
        "## 2. GetSecrets on 100,000 secrets",
        "",
        "One client, back to back; each request filters by a random 3-digit name part and asks "
        "for one of the first five pages of 20. A part matches "
        f"{match['min']:,} to {match['max']:,} of the 100,000 names (median "
        f"{match['median']:,.0f}, mean {match['mean']:,.0f}; parts with a leading zero also "
        "match the names' leading digits).",
        "",
        "| Requests/s | p50 | p99 | Bad | Socket errors |",
        "|---:|---:|---:|---:|---:|",
        f"| {gs['rps']:,.0f} | {gs['p50_ms']:.2f} ms | {gs['p99_ms']:.2f} ms | {gs_errors} | "
        f"{gs['socket_errors']} |",
        "",
        f"- p50 {gs['p50_ms']:.2f} ms (budget < {BUDGET_GET_SECRETS_P50_MS} ms): "
        f"{mark(gs['p50_ms'] < BUDGET_GET_SECRETS_P50_MS)}",
        "",
        "## 3. The panel",
        "",
        f"An application's Secrets page holding {panel['secrets']:,} secrets, opened cold (new "
        f"browser context, empty cache) {len(panel['hydrated_ms'])} times in headless Chromium; "
        f"bytes are the compressed bodies as transferred. The wasm budget covers what the page "
        f"downloads before it is hydrated (what a user waits for).",
        "",
        "| Asset | Transferred | Encoding | Before hydrated |",
        "|---|---:|---|---|",
    ]
    for asset in panel["assets"]:
        lines.append(f"| {asset['kind']} `{asset['name']}` | {kib(asset['bytes'])} | "
                     f"{asset['encoding']} | {'yes' if asset['before_hydrated'] else 'no'} |")
    wasm = sum(a["bytes"] for a in panel["assets"]
               if a["kind"] == "wasm" and a["before_hydrated"])
    chunks = panel["chunks"]
    all_br = sum(c["br"] or 0 for c in chunks)
    no_br = [c["name"] for c in chunks if c["br"] is None]
    all_raw = sum(c["raw"] for c in chunks)
    lines += [
        "",
        f"- wasm transferred before hydrated: **{kib(wasm)}** (budget ≤ "
        f"{kib(BUDGET_WASM_BYTES)}): {mark(wasm <= BUDGET_WASM_BYTES)}",
        f"- Every wasm chunk the build produced, main bundle and lazy chunks ({len(chunks)} "
        f"files): {kib(all_br)} brotli, {kib(all_raw)} raw (not budgeted; shown so growth "
        f"in lazy chunks is visible)."
        + (f" **{len(no_br)} chunks have no .br copy** and are left out of the brotli total: "
           + ", ".join(no_br) if no_br else ""),
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
        *render_writes(r["writes"], pct),
    ]
    return "\n".join(lines)


