#!/usr/bin/env python3
"""The cost model: Lambda memory sizes chosen from the measurements, the
cost of each operation, a monthly scenario against Amazon Cognito, and a
chart of latency and cost against memory size.

    python3 tests/cost/cost.py [--measurements tests/cost/measurements.json]
                               [--prices tests/cost/prices.toml]
                               [--chart tests/cost/chart.svg]
                               [--mau 100000] [--logins 2] [--token-ops 200]

Reads the prices (tests/cost/prices.toml, the one place they are written)
and the figures `lambda_emulate` wrote (tests/cost/measurements.json), and
prints Markdown: per function and memory size the measured latency and the
Lambda cost, the size chosen and why, the cost per million of each
operation at the chosen sizes (the account flows with their emails: the
mail queue's SQS requests, the mailer's invocation, SES), and the monthly
scenario. Writes the chart
(SVG, drawn here: no plotting library). Python 3.11+, standard library only.

How a size is chosen (per function; one size for the four functions that
hash passwords, which share a template parameter):
  1. candidates: every measured size where nothing failed or was OOM-killed
     and peak RSS is at most half the memory size;
  2. Lambda cost per request at each = GB-s (billed warm p50 duration x
     MemorySize) x price + request price; affordable: within 10 % of the
     cheapest candidate;
  3. among the affordable, the lowest warm p99: below about 512 MB a
     request that needs more CPU than one 100 ms period's quota waits for
     the next period, so the tail, not the median, is where small sizes
     hurt (warm p50s differ by less than this machine's noise); sizes whose
     warm p99 is within 5 % of the lowest count as equally fast, and of
     those the lowest cold p50 wins (then the smaller size).
"""

import argparse
import json
import math
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The functions that check passwords: one MemorySize parameter for all four.
PASSWORD_FUNCTIONS = ["login", "jwt-login", "token-obtain-pair", "password-change"]

# DynamoDB request units per operation, from the calls asserted in
# tests/tests/contract/calls.rs (README, "DynamoDB calls per request").
# Every item we read is under 4 KB and read strongly consistently (1 RRU per
# key, found or not); every item we write is under 1 KB (1 WRU per write).
# A password check: the throttle's transaction of 3 conditional updates
# before (2 WRU per item in a transaction), and on success its release
# (DeleteItem + 2 UpdateItems) and the address remembered (UpdateItem).
OPERATIONS = [
    # (operation, measured case, RRU, WRU, the calls)
    ("login (session)", "login", 3, 11,
     "TransactWriteItems of 3 updates (throttle), BatchGetItem (user, hash-cost marks) + GetItem (id), "
     "DeleteItem + 3 UpdateItem (release, remembered), PutItem (session)"),
    ("obtain pair", "token-obtain-pair", 3, 10,
     "TransactWriteItems of 3 updates (throttle), BatchGetItem (user, hash-cost marks) + GetItem (id), "
     "DeleteItem + 3 UpdateItem (release, remembered)"),
    ("refresh", "token-refresh", 3, 1,
     "BatchGetItem of 3 keys (user, token entry, family), UpdateItem (the family's refresh count)"),
    ("refresh with rotation", "token-refresh:rotate", 3, 2,
     "BatchGetItem of 3 keys, UpdateItem (count), conditional PutItem"),
    ("verify (access token)", "token-verify", 2, 0, "BatchGetItem (user, family)"),
    ("info by Bearer", "info", 2, 0, "BatchGetItem (user, family)"),
    ("info by session", "info:session", 2, 0, "GetItem (session), GetItem (user)"),
    ("first login of an imported Django user (pbkdf2)", "login:django-pbkdf2", 3, 12,
     "as login, + UpdateItem (the hash upgrade)"),
    # Passkeys (issue 23): the steps the harness can replay. A ceremony's
    # finish needs a fresh signature per invocation, which a fixed event
    # cannot carry (tests/BENCHMARKS.md section 16 gives its units).
    ("passkey options (a login, or the second step)", "login-passkey", 0, 1,
     "PutItem (the ceremony's state)"),
    ("passkey list", "passkeys", 2, 0, "BatchGetItem (user, family)"),
    ("passkey sign-up options", "registration-passkey", 1, 4,
     "TransactWriteItems of 1 update (sign-ups per client address) with GetItem (username) at once, "
     "UpdateItem (the user-id counter), PutItem (the ceremony's state)"),
    # The OAuth provider (OAUTH_ENABLED): each endpoint's main job, from the
    # functions' doc comments (functions/oauth-*/src/lib.rs) and counted
    # through the harness's proxy (tests/BENCHMARKS.md section 17). A code
    # item is under 1 KB (1 WRU).
    ("OAuth authorize: a code (first-party client, a session)", "oauth-authorize:code", 3, 1,
     "GetItem (session) + GetItem (user), GetItem (client), PutItem (the code)"),
    ("OAuth authorize: the consent page (third-party client)", "oauth-authorize:consent-page", 3, 0,
     "GetItem (session) + GetItem (user), GetItem (client)"),
    ("OAuth token: a code exchanged (access, refresh, id_token)", "oauth-token:code", 2, 1,
     "GetItem (client), conditional UpdateItem (the code redeemed), GetItem (user)"),
    ("OAuth token: client_credentials", "oauth-token:client-credentials", 1, 0, "GetItem (client)"),
    ("OAuth introspect (a user's token issued to another client)", "oauth-tokens:introspect", 5, 0,
     "GetItem (the caller), then BatchGetItem of 3 keys (user, blacklist entry, family) and GetItem "
     "(the token's client) at once"),
    ("OAuth userinfo", "oauth-userinfo:ok", 4, 0,
     "BatchGetItem of 3 keys (user, blacklist entry, family) and GetItem (client) at once"),
    ("OAuth grants: the list (by Bearer)", "oauth-grants:list", 2, 0, "BatchGetItem (user, family)"),
]

# The account functions share PasswordFunctionsMemory with the functions
# above (template.yaml) but are measured only through their variants (the
# flows on): they take that group's size.
SHARED_PASSWORD_SIZE = ["registration", "password-reset"]

# Functions measured only through their variants at their template size,
# which is fixed in template.yaml: the mailer (512 MB, tests/BENCHMARKS.md
# section 11; its variants run the account jobs), and the OAuth provider's
# functions (the global 256 MB; their variants run each endpoint's main
# job with the provider on, section 17).
TEMPLATE_SIZES = {
    "mailer": 512,
    "oauth-authorize": 256,
    "oauth-token": 256,
    "oauth-tokens": 256,
    "oauth-userinfo": 256,
    "oauth-grants": 256,
}

# The account flows (issue 22): a request, and for those that send an
# email the mailer's run of the job it queued. DynamoDB units per side from
# the code (shared/src/accounts, shared/src/store/dynamo: throttle.rs,
# users.rs, keys.rs), as above: 1 RRU per strongly consistent read, 1 WRU
# per write, 2 per item of a transaction. Each emailing operation adds
# SQS_REQUESTS_PER_JOB requests and one SES email. The mailer's figures
# are for an address that has an account (for an unknown one the mailer
# only looks it up: no key written, no email), one message per batch.
ACCOUNT_OPERATIONS = [
    # (operation, request case, RRU, WRU, mailer case or None, mailer RRU, mailer WRU, the calls)
    ("sign-up", "registration:signup", 1, 13, "mailer:confirm", 1, 1,
     "TransactWriteItems of 1 update (sign-ups per client address), GetItem (username), UpdateItem (the user-id "
     "counter), TransactWriteItems of 3 puts (id, username and address items), TransactWriteItems of 2 updates "
     "(the recipient's email limits), SQS SendMessage; the mailer: GetItem (user), PutItem (key), SES SendEmail"),
    ("verify-email", "registration:verify-email", 2, 4, None, 0, 0,
     "GetItem (key), GetItem (user), TransactWriteItems of a delete (key) and an update (user)"),
    ("resend-email or password reset request", "password-reset:request", 0, 4, "mailer:reset", 2, 1,
     "TransactWriteItems of 2 updates (the recipient's email limits), SQS SendMessage; the mailer: GetItem "
     "(address item) + GetItem (user), PutItem (key), SES SendEmail"),
    ("password reset confirm", "password-reset:confirm", 2, 6, None, 0, 0,
     "TransactWriteItems of 1 update (confirmations per uid and client address), GetItem (user) + GetItem "
     "(token), TransactWriteItems of a delete (token) and an update (user)"),
]

# SQS requests per email job, each under 64 KB (one request each): the
# request's SendMessage, and the ReceiveMessage that hands it to the mailer
# and the DeleteMessage after it is sent, both made by Lambda's poller for
# the event source mapping and billed to the account as SQS requests. At
# low traffic a batch holds one message (one receive and one delete per
# job); fuller batches share them. The pollers' empty long polls (up to
# 20 s each) while the queue is idle are a fixed cost per month, not per
# operation, and not counted here.
SQS_REQUESTS_PER_JOB = 3

RSS_SHARE = 0.5      # peak RSS at most this share of MemorySize
COST_SLACK = 1.10    # at most 10 % over the cheapest size
SAME_SPEED = 1.05    # warm p99s within 5 % count as equal


def load(args):
    prices = tomllib.loads(Path(args.prices).read_text())
    data = json.loads(Path(args.measurements).read_text())
    return prices, data["cases"]


def sizes_of(case):
    """(MemorySize in MB, figures) measured for a case, by size."""
    return sorted(
        (int(k), v) for k, v in case["sizes"].items() if k != "unrestricted"
    )


def lambda_cost(prices, mb, ms):
    """Lambda's charge for one invocation of `ms` at `mb` MB."""
    lam = prices["lambda"]
    g = lam.get("billing_granularity_ms", 1)
    billed = math.ceil(ms / g) * g
    return billed / 1000 * mb / 1024 * lam["gb_second"] + lam["request"]


def fits(figures, mb):
    return (
        not figures.get("failures")
        and not figures.get("oom_kills")
        and not figures.get("unexpected_statuses")
        and figures.get("warm_ms")
        and figures["peak_rss_kib"] / 1024 <= RSS_SHARE * mb
    )


def choose(prices, cases, functions):
    """The size for `functions` (one shared size) and a row per size."""
    per_size = {}
    for f in functions:
        for mb, fig in sizes_of(cases[f]):
            row = per_size.setdefault(
                mb, {"ok": True, "cost": 0.0, "warm": 0.0, "warm99": 0.0, "cold": 0.0}
            )
            row["ok"] = row["ok"] and bool(fits(fig, mb))
            if fig.get("warm_ms") and fig.get("cold_ms"):
                row["cost"] += lambda_cost(prices, mb, fig["warm_ms"]["p50"])
                row["warm"] += fig["warm_ms"]["p50"]
                row["warm99"] += fig["warm_ms"]["p99"]
                row["cold"] += fig["cold_ms"]["p50"]
    # Only sizes measured for every function of the group.
    counted = {mb for mb in per_size if all(mb in dict(sizes_of(cases[f])) for f in functions)}
    candidates = {mb: r for mb, r in per_size.items() if r["ok"] and mb in counted}
    if not candidates:
        return None, per_size, "no size fits"
    cheapest = min(r["cost"] for r in candidates.values())
    affordable = {mb: r for mb, r in candidates.items() if r["cost"] <= COST_SLACK * cheapest}
    fastest = min(r["warm99"] for r in affordable.values())
    fast = {mb: r for mb, r in affordable.items() if r["warm99"] <= SAME_SPEED * fastest}
    chosen = min(fast, key=lambda mb: (fast[mb]["cold"], mb))
    for mb, r in per_size.items():
        r["vs_cheapest"] = r["cost"] / cheapest - 1
        r["affordable"] = mb in affordable
    why = (
        f"{len(affordable)} of {len(candidates)} fitting sizes within {COST_SLACK - 1:.0%} of the cheapest; "
        f"of those, {len(fast)} within {SAME_SPEED - 1:.0%} of the lowest warm p99; lowest cold p50: {chosen} MB"
    )
    return chosen, per_size, why


def ms(v):
    if v is None:
        return "–"
    return f"{v:.0f} ms" if v >= 100 else f"{v:.1f} ms"


def usd(v, digits=2):
    return f"${v:,.{digits}f}"


def per_million(v):
    return f"${v * 1e6:,.2f}"


def function_table(prices, cases, f, chosen, group_rows):
    case = cases[f]
    unrestricted = case["sizes"].get("unrestricted", {}).get("cold_ms") or {}
    lines = [
        f"**{f}** ({case['event']})",
        "",
        "| MemorySize | cold p50 | cold p99 | init p50 | warm p50 | warm p99 | peak RSS | Lambda $/million (warm p50) | vs cheapest | |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for key, fig in sorted(case["sizes"].items(), key=lambda kv: (kv[0] == "unrestricted", int(kv[0]) if kv[0] != "unrestricted" else 0)):
        cold, warm, init = fig.get("cold_ms") or {}, fig.get("warm_ms") or {}, fig.get("init_ms") or {}
        if key == "unrestricted":
            cost, vs, mark = "", "", "(no limit: both cores)"
        else:
            mb = int(key)
            cost = per_million(lambda_cost(prices, mb, warm["p50"])) if warm else "–"
            row = group_rows.get(mb, {})
            vs = f"{row['vs_cheapest']:+.0%}" if "vs_cheapest" in row else ""
            notes = []
            if mb == chosen:
                notes.append("**chosen**")
            if fig.get("oom_kills"):
                notes.append(f"OOM-killed ×{fig['oom_kills']}")
            if fig.get("failures"):
                notes.append(f"{len(fig['failures'])} failed")
            if fig.get("unexpected_statuses"):
                notes.append(f"{fig['unexpected_statuses']} unexpected statuses")
            if fig.get("peak_rss_kib", 0) / 1024 > RSS_SHARE * mb:
                notes.append("RSS over half")
            mark = ", ".join(notes)
        rss = f"{fig['peak_rss_kib'] / 1024:.1f} MiB" if fig.get("peak_rss_kib") else "–"
        label = key if key == "unrestricted" else f"{key} MB"
        lines.append(
            f"| {label} | {ms(cold.get('p50'))} | {ms(cold.get('p99'))} | {ms(init.get('p50'))} | "
            f"{ms(warm.get('p50'))} | {ms(warm.get('p99'))} | {rss} | {cost} | {vs} | {mark} |"
        )
    if chosen and unrestricted.get("p50"):
        c = case["sizes"][str(chosen)]["cold_ms"]["p50"]
        lines += ["", f"Cold start at {chosen} MB: {c / unrestricted['p50']:.2f}× unrestricted."]
    return lines


def operation_costs(prices, cases, chosen_size):
    rows = []
    lam, api, ddb = prices["lambda"], prices["http_api"], prices["dynamodb"]
    for name, case_name, rru, wru, calls in OPERATIONS:
        case = cases.get(case_name)
        if not case:
            continue
        mb = chosen_size.get(case["function"])
        fig = case["sizes"].get(str(mb)) if mb else None
        if not fig or not fig.get("warm_ms"):
            continue
        warm = fig["warm_ms"]["p50"]
        duration = lambda_cost(prices, mb, warm) - lam["request"]
        dynamo = rru * ddb["read_request_unit"] + wru * ddb["write_request_unit"]
        total = duration + lam["request"] + api["request"] + dynamo
        cold = fig.get("cold_ms", {}).get("p50")
        # A cold start bills init + the first invocation (provided.al2023) instead of a warm one.
        cold_extra = (lambda_cost(prices, mb, cold) - lambda_cost(prices, mb, warm)) if cold else 0
        rows.append(dict(name=name, case=case_name, mb=mb, warm=warm, duration=duration,
                         request=lam["request"], api=api["request"], dynamo=dynamo, rru=rru,
                         wru=wru, total=total, cold_extra=cold_extra, calls=calls))
    return rows


def account_costs(prices, cases, chosen_size):
    """The account flows' operations: the request, SQS, the mailer, SES."""
    rows = []
    lam, api, ddb = prices["lambda"], prices["http_api"], prices["dynamodb"]

    def side(case_name):
        case = cases.get(case_name)
        if not case:
            return None
        mb = chosen_size.get(case["function"])
        fig = case["sizes"].get(str(mb)) if mb else None
        if not fig or not fig.get("warm_ms"):
            return None
        warm = fig["warm_ms"]["p50"]
        cold = (fig.get("cold_ms") or {}).get("p50")
        # Not below zero: a cold p50 under the warm p50 is this machine's noise.
        cold_extra = max(0, lambda_cost(prices, mb, cold) - lambda_cost(prices, mb, warm)) if cold else 0
        return dict(mb=mb, warm=warm, lam=lambda_cost(prices, mb, warm), cold_extra=cold_extra)

    for name, case_name, rru, wru, mailer_case, m_rru, m_wru, calls in ACCOUNT_OPERATIONS:
        request = side(case_name)
        if not request:
            continue
        mailer = side(mailer_case) if mailer_case else None
        if mailer_case and not mailer:
            continue
        dynamo = (rru + m_rru) * ddb["read_request_unit"] + (wru + m_wru) * ddb["write_request_unit"]
        jobs = 1 if mailer else 0
        sqs = jobs * SQS_REQUESTS_PER_JOB * prices["sqs"]["request"]
        ses = jobs * prices["ses"]["email"]
        mailer_lam = mailer["lam"] if mailer else 0
        total = request["lam"] + api["request"] + dynamo + sqs + mailer_lam + ses
        cold_extra = request["cold_extra"] + (mailer["cold_extra"] if mailer else 0)
        rows.append(dict(name=name, case=case_name, mb=request["mb"], warm=request["warm"],
                         lam=request["lam"], api=api["request"], dynamo=dynamo, rru=rru + m_rru,
                         wru=wru + m_wru, sqs=sqs, sqs_requests=jobs * SQS_REQUESTS_PER_JOB,
                         mailer=mailer, mailer_case=mailer_case, mailer_lam=mailer_lam, ses=ses,
                         total=total, cold_extra=cold_extra, calls=calls))
    return rows


def cognito_monthly(prices, plan, mau):
    cost, below = 0.0, 0
    for up_to, price in prices["cognito"][plan]["tiers"]:
        band = max(0, min(mau, up_to) - below)
        cost += band * price
        below = up_to
        if mau <= up_to:
            break
    return cost


def svg_chart(prices, cases, chosen_size, path):
    """Latency and Lambda cost against MemorySize for login and info."""
    panels = []
    for f in ["login", "info"]:
        if f not in cases:
            continue
        pts = [(mb, fig) for mb, fig in sizes_of(cases[f]) if fig.get("warm_ms") and fig.get("cold_ms")]
        if not pts:
            continue
        lat = {
            "cold p50": [(mb, fig["cold_ms"]["p50"]) for mb, fig in pts],
            "warm p50": [(mb, fig["warm_ms"]["p50"]) for mb, fig in pts],
            "warm p99": [(mb, fig["warm_ms"]["p99"]) for mb, fig in pts],
        }
        cost = {
            "$/million (warm)": [(mb, lambda_cost(prices, mb, fig["warm_ms"]["p50"]) * 1e6) for mb, fig in pts],
        }
        panels.append((f"{f}: latency (ms, log scale)", lat, True, chosen_size.get(f)))
        panels.append((f"{f}: Lambda cost per million invocations (USD)", cost, False, chosen_size.get(f)))
    if not panels:
        return False
    W, H, cols = 460, 300, 2
    rows = math.ceil(len(panels) / cols)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W * cols}" height="{H * rows + 30}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="100%" height="100%" fill="white"/>',
        f'<text x="10" y="20" font-size="14" font-weight="bold">Latency and cost against Lambda MemorySize '
        f'(cgroup CPU share; {prices["lambda"]["architecture"]} prices; drawn by tests/cost/cost.py)</text>',
    ]
    colors = {"cold p50": "#c0392b", "warm p50": "#2471a3", "warm p99": "#85c1e9",
              "$/million (warm)": "#1e8449"}
    for i, (title, series, logy, chosen) in enumerate(panels):
        ox, oy = (i % cols) * W, 30 + (i // cols) * H
        l, r, t, b = ox + 60, ox + W - 20, oy + 30, oy + H - 45
        xs = sorted({mb for s in series.values() for mb, _ in s})
        lx = lambda mb: l + (math.log2(mb) - math.log2(xs[0])) / max(1e-9, math.log2(xs[-1]) - math.log2(xs[0])) * (r - l)
        ys = [v for s in series.values() for _, v in s if v > 0]
        lo, hi = (min(ys), max(ys))
        if logy:
            lo, hi = 10 ** math.floor(math.log10(lo)), 10 ** math.ceil(math.log10(hi))
            fy = lambda v: b - (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (b - t)
            ticks, v = [], lo
            while v <= hi * 1.001:
                ticks.append(v)
                v *= 10
        else:
            lo, hi = 0, hi * 1.15
            fy = lambda v: b - (v - lo) / (hi - lo) * (b - t)
            raw = hi / 6 if hi > 0 else 1
            mag = 10 ** math.floor(math.log10(raw))
            step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
            ticks = [k * step for k in range(int(hi / step) + 1)]
        out.append(f'<text x="{ox + 10}" y="{oy + 18}" font-weight="bold">{title}</text>')
        out.append(f'<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="black"/>')
        out.append(f'<line x1="{l}" y1="{t}" x2="{l}" y2="{b}" stroke="black"/>')
        for v in ticks:
            y = fy(v)
            text = f"{v:g}"
            out.append(f'<line x1="{l}" y1="{y:.1f}" x2="{r}" y2="{y:.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{l - 5}" y="{y + 4:.1f}" text-anchor="end">{text}</text>')
        for mb in xs:
            x = lx(mb)
            out.append(f'<text x="{x:.1f}" y="{b + 16}" text-anchor="middle">{mb}</text>')
        out.append(f'<text x="{(l + r) / 2}" y="{b + 32}" text-anchor="middle">MemorySize (MB)</text>')
        if chosen in xs:
            x = lx(chosen)
            out.append(f'<line x1="{x:.1f}" y1="{t}" x2="{x:.1f}" y2="{b}" stroke="#888" stroke-dasharray="4 3"/>')
            out.append(f'<text x="{x - 3:.1f}" y="{b - 6}" fill="#555" text-anchor="end">chosen</text>')
        for k, (name, s) in enumerate(series.items()):
            c = colors.get(name, "black")
            d = " ".join(f"{'M' if j == 0 else 'L'}{lx(mb):.1f},{fy(v):.1f}" for j, (mb, v) in enumerate(s))
            out.append(f'<path d="{d}" fill="none" stroke="{c}" stroke-width="2"/>')
            for mb, v in s:
                out.append(f'<circle cx="{lx(mb):.1f}" cy="{fy(v):.1f}" r="3" fill="{c}"/>')
            out.append(f'<rect x="{r - 130}" y="{t + 4 + 16 * k}" width="10" height="10" fill="{c}"/>')
            out.append(f'<text x="{r - 115}" y="{t + 13 + 16 * k}">{name}</text>')
    out.append("</svg>")
    Path(path).write_text("\n".join(out) + "\n")
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--measurements", default=HERE / "measurements.json")
    p.add_argument("--prices", default=HERE / "prices.toml")
    p.add_argument("--chart", default=HERE / "chart.svg")
    p.add_argument("--mau", type=int, default=100_000)
    p.add_argument("--logins", type=int, default=2, help="logins (obtain pair) per user per month")
    p.add_argument("--token-ops", type=int, default=200, help="refreshes or verifications per user per month")
    args = p.parse_args()
    prices, cases = load(args)

    functions = [name for name in cases if ":" not in name]
    groups = [[f for f in PASSWORD_FUNCTIONS if f in cases]] + [[f] for f in functions if f not in PASSWORD_FUNCTIONS]
    groups = [g for g in groups if g]
    chosen_size, out = {}, []
    out += ["### Sizes per function", ""]
    summary = ["| function(s) | chosen MemorySize | why |", "|---|---:|---|"]
    details = []
    for group in groups:
        chosen, rows, why = choose(prices, cases, group)
        for f in group:
            chosen_size[f] = chosen
        summary.append(f"| {', '.join(group)} | {chosen} MB | {why} |")
        for f in group:
            details += function_table(prices, cases, f, chosen, rows) + [""]
    # The account functions: their group's size (one template parameter).
    if PASSWORD_FUNCTIONS[0] in chosen_size:
        for f in SHARED_PASSWORD_SIZE:
            chosen_size.setdefault(f, chosen_size[PASSWORD_FUNCTIONS[0]])
    for f, mb in TEMPLATE_SIZES.items():
        chosen_size.setdefault(f, mb)
    # Variants (Django hashes, session, rotation) at their function's sizes.
    for name in cases:
        if ":" in name:
            _, rows, _ = choose(prices, cases, [name])
            details += function_table(prices, cases, name, chosen_size.get(cases[name]["function"]), rows) + [""]
    out += summary + [""] + details

    rows = operation_costs(prices, cases, chosen_size)
    out += [
        "### Cost per million operations, at the chosen sizes",
        "",
        "| operation | MemorySize | warm p50 | Lambda duration | Lambda requests | HTTP API | DynamoDB (RRU/WRU) | total per million | + per million cold starts |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['name']} | {r['mb']} MB | {ms(r['warm'])} | {per_million(r['duration'])} | {per_million(r['request'])} | "
            f"{per_million(r['api'])} | {per_million(r['dynamo'])} ({r['rru']}/{r['wru']}) | **{per_million(r['total'])}** | "
            f"{per_million(r['cold_extra'])} |"
        )
    out += ["", "DynamoDB calls behind the request units: " + "; ".join(f"{r['name']}: {r['calls']}" for r in rows), ""]

    accounts = account_costs(prices, cases, chosen_size)
    if accounts:
        out += [
            "### The account flows: cost per million operations, with their emails",
            "",
            "| operation | MemorySize | warm p50 | Lambda (duration + request) | HTTP API | DynamoDB (RRU/WRU) | "
            "SQS (requests) | mailer Lambda (MemorySize, warm p50) | SES | total per million | + per million cold starts |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in accounts:
            m = r["mailer"]
            mailer = f"{per_million(r['mailer_lam'])} ({m['mb']} MB, {ms(m['warm'])})" if m else "–"
            out.append(
                f"| {r['name']} | {r['mb']} MB | {ms(r['warm'])} | {per_million(r['lam'])} | {per_million(r['api'])} | "
                f"{per_million(r['dynamo'])} ({r['rru']}/{r['wru']}) | {per_million(r['sqs'])} ({r['sqs_requests']}) | "
                f"{mailer} | {per_million(r['ses'])} | **{per_million(r['total'])}** | {per_million(r['cold_extra'])} |"
            )
        out += [
            "",
            "Measured cases: " + "; ".join(
                f"{r['name']}: `{r['case']}`" + (f" and `{r['mailer_case']}`" if r["mailer_case"] else "")
                for r in accounts
            ) + ". The calls: " + "; ".join(f"{r['name']}: {r['calls']}" for r in accounts) + ".",
            "",
            f"SQS: {SQS_REQUESTS_PER_JOB} requests per email (the request's SendMessage; the ReceiveMessage and "
            "DeleteMessage of the mailer's event source mapping, whose poller's calls are billed as SQS requests), "
            "one message per batch; the pollers' empty long polls while the queue is idle are a fixed monthly "
            "cost, not counted. SES: one email per job, for an address that has an account. A request for an "
            "unknown address costs the same request and SQS, the mailer's lookup, and no key or email.",
            "",
        ]

    by_case = {r["case"]: r for r in rows}
    login = by_case.get("token-obtain-pair")
    if login:
        out += [
            f"### Monthly: {args.mau:,} monthly active users, {args.logins} logins and {args.token_ops} token operations each",
            "",
            "| | per user per month | per month |",
            "|---|---:|---:|",
        ]
        for op, label in [("token-refresh", "refreshes"), ("token-refresh:rotate", "refreshes with rotation"), ("token-verify", "verifications")]:
            r = by_case.get(op)
            if not r:
                continue
            per_user = args.logins * login["total"] + args.token_ops * r["total"]
            out.append(f"| ours: {args.logins} × obtain pair + {args.token_ops} {label} | {usd(per_user, 5)} | **{usd(per_user * args.mau)}** |")
            front = prices.get("front")
            if front and op == "token-refresh":
                per_request = front["cloudfront_request"] + front["cloudfront_function"] + front["waf_request"]
                requests = args.logins + args.token_ops
                with_front = per_user * args.mau + requests * args.mau * per_request + front["waf_month"]
                out.append(
                    f"| ours, the same, behind the per-client front (CloudFront + AWS WAF: "
                    f"{per_million(per_request)} per million requests + {usd(front['waf_month'])} a month) | "
                    f"{usd(with_front / args.mau, 5)} | **{usd(with_front)}** |"
                )
        for plan in ["lite", "essentials", "plus"]:
            if plan in prices["cognito"]:
                total = cognito_monthly(prices, plan, args.mau)
                out.append(f"| Cognito user pools, {plan.capitalize()} | {usd(total / args.mau, 5)} | **{usd(total)}** |")
        out += [
            "",
            "Ours excludes what both options have alike or what is small: the DynamoDB storage (about "
            "1 KB per user and per open session: cents a month), CloudWatch Logs (Lambda's START/END/REPORT "
            "lines and our JSON lines per invocation), data transfer. Cognito bills per MAU whatever the "
            "requests (its token refreshes count a user as active; verifying its tokens is local).",
            "",
        ]

    if svg_chart(prices, cases, chosen_size, args.chart):
        chart = Path(args.chart).resolve()
        root = HERE.parent.parent
        out += [f"Chart: {chart.relative_to(root) if chart.is_relative_to(root) else chart}", ""]
    checked = prices.get("checked")
    out.append(f"Prices: tests/cost/prices.toml (checked {checked}).")
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
