#!/usr/bin/env python3
"""Turns the raw files of one perf/scim-bench.sh run (perf/out/run-<ts>/) into a Markdown table."""

import json
import os
import sys

run, users = sys.argv[1], int(sys.argv[2])


def load(name, default=None):
    p = os.path.join(run, name + ".json")
    if not os.path.exists(p):
        return default
    with open(p) as f:
        return json.load(f)


env = load("env", {})
seed_gh, seed_ref, seed_gh1k = load("seed_gh", {}), load("seed_ref", {}), load("seed_gh1k", {})
get_gh, get_ref, get_gh1k = load("get_gh"), load("get_ref"), load("get_gh1k")
post_gh, post_ref = load("post_gh"), load("post_ref")
g_big, g_small = load("group_big", {}), load("group_small", {})
get_floor, get_floor1k, post_floor = load("get_floor"), load("get_floor1k"), load("post_floor")
post_floor_rows = load("post_floor_rows")
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def ms(us):
    return f"{us / 1000:.2f} ms" if us is not None else "n/a"


def rate(d):
    return f"{d['rps']:,.0f} req/s" if d else "n/a"


def ratio(a, b):
    return a / b if a and b else None


def ok(cond):
    return "n/a" if cond is None else ("yes" if cond else "**NO**")


def cpu_per_req(name, requests):
    c = load(name + "_cpu")
    if not c or not requests:
        return "n/a"
    return f"{c['server_cpu_ticks'] * TICK_MS / requests:.2f} ms"


# RSS samples: epoch label phase rss_kb hwm_kb cpu_ticks
rss = {}
phases_busy = []
try:
    for line in open(os.path.join(run, "rss.tsv")):
        t, label, phase, r, h, *_ = line.split()
        cur = rss.setdefault(label, {"rss": 0, "hwm": 0, "n": 0, "by_phase": {}})
        cur["rss"] = max(cur["rss"], int(r))
        cur["hwm"] = max(cur["hwm"], int(h))
        cur["n"] += 1
        cur["by_phase"][phase] = max(cur["by_phase"].get(phase, 0), int(r))
except FileNotFoundError:
    pass
phase_cpu = {}
try:
    marks = [l.split() for l in open(os.path.join(run, "phases.txt")) if l.strip()]
    ncpu = os.cpu_count() or 1
    for i, parts in enumerate(marks):
        name, info = parts[0], " ".join(parts[5:])
        if i + 1 < len(marks):
            b0, t0 = int(parts[3]), int(parts[4])
            b1, t1 = int(marks[i + 1][3]), int(marks[i + 1][4])
            secs = float(marks[i + 1][2]) - float(parts[2])
            if name != "wait":
                phase_cpu[name] = (ncpu * (b1 - b0) / max(1, t1 - t0), secs)
        if name != "wait":
            phases_busy.append((name, info))
except (FileNotFoundError, IndexError, ValueError):
    pass
# Gatehouse (100k) CPU use per phase, from the 1 s samples' cpu ticks.
gh_cpu = {}
try:
    per = {}
    for line in open(os.path.join(run, "rss.tsv")):
        t, label, phase, r, h, ticks = line.split()
        if label == "gh100k":
            per.setdefault(phase, []).append((int(t), int(ticks)))
    for phase, v in per.items():
        if len(v) > 1 and v[-1][0] > v[0][0]:
            gh_cpu[phase] = (v[-1][1] - v[0][1]) * TICK_MS / 1000 / (v[-1][0] - v[0][0])
except (FileNotFoundError, ValueError):
    pass

rows = []
add = rows.append

gh_secs = seed_gh.get("seconds")
gh_done = seed_gh.get("created") == users
add(("1. Initial sync: POST %s users, %s connections" % (f"{users:,}", env.get("seed_conc")),
     f"{gh_secs:.1f} s ({seed_gh.get('rate', 0):,.0f}/s)" + ("" if gh_done else f", only {seed_gh.get('created'):,} created"),
     f"{seed_ref.get('created', 0):,} users in {seed_ref.get('seconds', 0):.1f} s ({seed_ref.get('rate', 0):,.0f}/s); "
     f"{users:,} projected {seed_ref.get('projected_100k_s_from_probe', 0)} s",
     f"{ratio(seed_gh.get('rate'), seed_ref.get('rate')):.1f}×" if seed_ref.get("rate") else "n/a",
     "< 60 s", ok(gh_done and gh_secs < 60)))

r_get = ratio(get_gh and get_gh["rps"], get_ref and get_ref["rps"])
add((f"2. GET userName eq filter, wrk -t2 -c2 ({seed_gh.get('created', 0):,} vs {seed_ref.get('stored', 0):,} stored)",
     rate(get_gh), rate(get_ref), f"{r_get:.1f}×" if r_get else "n/a", "≥ 15×", ok(r_get and r_get >= 15)))
add(("   GET p50 / p99 latency",
     f"{ms(get_gh and get_gh['p50_us'])} / {ms(get_gh and get_gh['p99_us'])}",
     f"{ms(get_ref and get_ref['p50_us'])} / {ms(get_ref and get_ref['p99_us'])}", "",
     "Gatehouse p50 < 1 ms", ok(get_gh and get_gh["p50_us"] < 1000)))
r_scale = ratio(get_gh and get_gh["rps"], get_gh1k and get_gh1k["rps"])
add((f"3. GET filter, Gatehouse with {seed_gh1k.get('created', 0):,} vs {seed_gh.get('created', 0):,} users stored",
     f"{seed_gh1k.get('created', 0):,}: {rate(get_gh1k)} (p50 {ms(get_gh1k and get_gh1k['p50_us'])}); "
     f"{seed_gh.get('created', 0):,}: {rate(get_gh)} (p50 {ms(get_gh and get_gh['p50_us'])})",
     "", f"large/small = {r_scale:.2f}" if r_scale else "n/a", "about equal (≥ 0.8)", ok(r_scale and r_scale >= 0.8)))
r_post = ratio(post_gh and post_gh["rps"], post_ref and post_ref["rps"])
add(("4. POST /Users (unique userNames), wrk -t2 -c2", rate(post_gh), rate(post_ref),
     f"{r_post:.1f}×" if r_post else "n/a", "≥ 5×", ok(r_post and r_post >= 5)))
add(("   POST p50 / p99 latency",
     f"{ms(post_gh and post_gh['p50_us'])} / {ms(post_gh and post_gh['p99_us'])}",
     f"{ms(post_ref and post_ref['p50_us'])} / {ms(post_ref and post_ref['p99_us'])}", "",
     "Gatehouse p50 < 1 ms", ok(post_gh and post_gh["p50_us"] < 1000)))


def grp(g, kind):
    if not g:
        return "n/a"
    return f"{g[kind + '_p50_ms']:.2f} / {g[kind + '_p99_ms']:.2f} ms"


for kind in ("add", "remove"):
    worst = max(g_big.get(f"{kind}_p50_ms", 1e9), g_big.get(f"{kind}_p99_ms", 1e9))
    same = None
    if g_big and g_small:
        same = g_big[f"{kind}_p50_ms"] <= 1.5 * g_small[f"{kind}_p50_ms"] + 0.2
    add((f"5. Group PATCH {kind} one member, p50 / p99 ({g_big.get('reps', 0)} sequential)",
         f"{g_big.get('members', 0):,} members: {grp(g_big, kind)}",
         f"(Gatehouse) {g_small.get('members', 0):,} members: {grp(g_small, kind)}", "",
         "< 5 ms; big ≈ small", ok(worst < 5 and bool(same))))


def share(a, floor):
    r = ratio(a and a["rps"], floor and floor["rps"])
    return (f"{100 * r:.0f}%" if r else "n/a"), r


def body_size(name):
    p = os.path.join(run, name)
    return os.path.getsize(p) if os.path.exists(p) else None


for label, a, floor, goal in (
    (f"7. GET filter, share of the floor ({seed_gh.get('created', 0):,} users)", get_gh, get_floor, 0.80),
    (f"7. GET filter, share of the floor ({seed_gh1k.get('created', 0):,} users)", get_gh1k, get_floor1k, 0.80),
    ("7. POST /Users, share of the floor", post_gh, post_floor, 0.95),
):
    text, r = share(a, floor)
    add((label, f"{rate(a)} (p99 {ms(a and a['p99_us'])})", f"(floor) {rate(floor)} (p99 {ms(floor and floor['p99_us'])})",
         text, f"≥ {100 * goal:.0f}% of the floor", ok(r and r >= goal)))
if post_floor_rows:
    text, _ = share(post_gh, post_floor_rows)
    add(("7. POST /Users, share of the floor that stores Gatehouse's rows (no goal: what Gatehouse's own code costs)",
         rate(post_gh), f"(floor, same rows) {rate(post_floor_rows)} (p99 {ms(post_floor_rows['p99_us'])})",
         text, "", ""))
gh = rss.get("gh100k", {})
add(("6. Gatehouse max VmRSS / VmHWM (1 s samples, whole run)",
     f"{gh.get('rss', 0) / 1024:.1f} / {gh.get('hwm', 0) / 1024:.1f} MB",
     f"(reference, Python) {rss.get('ref', {}).get('rss', 0) / 1024:.0f} MB", "",
     "< 100 MB", ok(gh and gh["hwm"] < 100 * 1024)))

# PostgreSQL: the same phases, the 4-organization row and the two-replica rows.
pg_rows = []
seed_pg = load("seed_pg", {})
get_pg, post_pg, g_big_pg = load("get_pg"), load("post_pg"), load("group_big_pg", {})
get_floor_pg, post_floor_pg = load("get_floor_pg"), load("post_floor_pg")
if seed_pg:
    padd = pg_rows.append
    secs = seed_pg.get("seconds", 0)
    pg_done = seed_pg.get("created") == users
    sq = f"{seed_gh.get('seconds', 0):.1f} s" if seed_gh else "n/a"
    padd((f"Initial sync: POST {users:,} users, {env.get('seed_conc')} connections",
          f"{secs:.1f} s ({seed_pg.get('rate', 0):,.0f}/s)" + ("" if pg_done else f", only {seed_pg.get('created'):,} created"),
          sq, "< 90 s", ok(pg_done and secs < 90)))
    t, r = share(get_pg, get_floor_pg)
    padd(("GET userName eq filter, wrk -t2 -c2",
          f"{rate(get_pg)}, p50 / p99 {ms(get_pg and get_pg['p50_us'])} / {ms(get_pg and get_pg['p99_us'])}; "
          f"{t} of the floor on PostgreSQL ({rate(get_floor_pg)})",
          f"{rate(get_gh)}; {share(get_gh, get_floor)[0]} of the floor on SQLite", "≥ 50% of the floor", ok(r and r >= 0.5)))
    t, r = share(post_pg, post_floor_pg)
    padd(("POST /Users, wrk -t2 -c2",
          f"{rate(post_pg)}, p50 / p99 {ms(post_pg and post_pg['p50_us'])} / {ms(post_pg and post_pg['p99_us'])}; "
          f"{t} of the floor on PostgreSQL ({rate(post_floor_pg)})",
          f"{rate(post_gh)}; {share(post_gh, post_floor)[0]} of the floor on SQLite", "", ""))
    for kind in ("add", "remove"):
        padd((f"Group PATCH {kind} one member ({g_big_pg.get('members', 0):,} members), p50 / p99",
              grp(g_big_pg, kind), grp(g_big, kind), "< 5 ms",
              ok(g_big_pg and g_big_pg[f"{kind}_p99_ms"] < 5)))
    alone = load("post_org1_alone")
    four = [load(f"post_org4_{i}") for i in range(4)]
    if alone and all(four):
        total = sum(d["rps"] for d in four)
        r4 = total / alone["rps"]
        padd(("4 organizations provisioning at once (4 tokens × 4 connections) vs 1 alone (4 connections)",
              f"{total:,.0f} req/s in all (" + ", ".join(f"{d['rps']:,.0f}" for d in four) + ")",
              f"1 alone: {alone['rps']:,.0f} req/s", f"{r4:.2f}×", ok(r4 >= 1.6)))

    def created(d):
        return d["requests"] - d["non2xx"]

    one_g, r1_g, r2_g = load("get_pg_one"), load("get_pg_r1"), load("get_pg_r2")
    one_p, r1_p, r2_p = load("post_pg_one"), load("post_pg_r1"), load("post_pg_r2")
    dup = open(os.path.join(run, "pg_duplicates.txt")).read().strip() if os.path.exists(os.path.join(run, "pg_duplicates.txt")) else "n/a"
    if one_g and r1_g and r2_g:
        both = r1_g["rps"] + r2_g["rps"]
        fivexx = sum(d.get("s5xx", 0) for d in (one_g, r1_g, r2_g))
        padd(("Two replicas, GET (1 wrk thread × 2 connections on each) vs one replica (4 connections)",
              f"{both:,.0f} req/s combined", f"one: {one_g['rps']:,.0f} req/s", f"{both / one_g['rps']:.2f}×",
              f"5xx: {fivexx}" if fivexx else ok(True)))
    if one_p and r1_p and r2_p:
        secs = max(r1_p["duration_us"], r2_p["duration_us"]) / 1e6
        made = (created(r1_p) + created(r2_p)) / secs
        fivexx = sum(d.get("s5xx", 0) for d in (one_p, r1_p, r2_p))
        conflicts = r1_p.get("s409", 0) + r2_p.get("s409", 0)
        padd(("Two replicas, POST of the same userNames on both (each created once, 409 on the other)",
              f"{made:,.0f} creates/s combined; {conflicts:,} answered 409; duplicate userNames in the database: {dup}",
              f"one: {one_p['rps']:,.0f} req/s", f"{made / one_p['rps']:.2f}×",
              ok(fivexx == 0 and dup == "0")))

out = []
out.append(f"# SCIM benchmark {env.get('start', '')}\n")
out.append(f"Gatehouse {env.get('rev')} (release build, SQLite; {env.get('dirty_files', 0)} uncommitted source files; "
           f"binary built {env.get('bin_age_s', 0) // 60} min before the run) vs scim2-server {env.get('scim2_server')} "
           f"(in memory, wsgiref threads). {env.get('nproc')} cores ({env.get('cpu')}), shared; wrk runs {env.get('wrk_secs')} s.\n")
out.append("| figure | Gatehouse | reference | ratio | goal | met |")
out.append("|---|---|---|---|---|---|")
for r in rows:
    out.append("| " + " | ".join(str(c) for c in r) + " |")
if pg_rows:
    out.append("")
    out.append("PostgreSQL 15 (the throwaway server the tests use: loopback, fsync off), same binary, same run:\n")
    out.append("| figure | PostgreSQL | SQLite (same run) | goal | met |")
    out.append("|---|---|---|---|---|")
    for r in pg_rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
out.append("")
out.append("Server CPU per request (Gatehouse, utime+stime / requests): "
           f"seed {cpu_per_req('seed_gh', seed_gh.get('created'))}, "
           f"GET@100k {cpu_per_req('get_gh', get_gh and get_gh['requests'])}, "
           f"GET@1k {cpu_per_req('get_gh1k', get_gh1k and get_gh1k['requests'])}, "
           f"POST {cpu_per_req('post_gh', post_gh and post_gh['requests'])}.")
if gh:
    out.append("Gatehouse max RSS by phase (MB): " + ", ".join(
        f"{p} {v / 1024:.0f}" for p, v in gh["by_phase"].items()) + f" ({gh['n']} samples).")
if g_big:
    out.append(f"Filling the {g_big.get('members', 0):,}-member group (PATCH add, 500 a request): {g_big.get('fill_seconds')} s.")
sizes = (body_size("gh_get_body.json"), body_size("floor_get_body.json"))
if all(sizes):
    out.append(f"One GET answer: Gatehouse {sizes[0]} bytes, floor {sizes[1]} bytes (perf/scim_floor.rs: axum + sqlx, "
               "one indexed query, no auth, same database pragmas).")
errs = []
for name, d in (("get_gh", get_gh), ("get_ref", get_ref), ("get_gh1k", get_gh1k), ("post_gh", post_gh), ("post_ref", post_ref),
                ("get_floor", get_floor), ("get_floor1k", get_floor1k), ("post_floor", post_floor),
                ("post_floor_rows", post_floor_rows)):
    if d and (d["non2xx"] or d["timeouts"] or d["read_errors"] or d["connect_errors"]):
        errs.append(f"{name}: non-2xx {d['non2xx']}, timeouts {d['timeouts']}, read errors {d['read_errors']}, connect errors {d['connect_errors']}")
if errs:
    out.append("Errors: " + "; ".join(errs) + ".")
out.append("Machine load when each phase started (rustc = other engineers' rustc/clippy processes): " +
           "; ".join(f"{p} {b}" for p, b in phases_busy) + ".")
if phase_cpu:
    out.append(f"CPU in use during each phase, in cores of {os.cpu_count()} (whole machine / the 100k Gatehouse; "
               "the rest is the load client, the reference server and other users of the machine; waits for an idle machine excluded): " +
               "; ".join(f"{p} {c:.2f} / {gh_cpu.get(p, 0):.2f} ({secs:.0f} s)" for p, (c, secs) in phase_cpu.items()) + ".")
if seed_ref.get("created", users) < users:
    out.append(f"\nThe reference server was seeded with {seed_ref.get('created', 0):,} users, not {users:,}: "
               f"its 2,000-user probe projected {seed_ref.get('projected_100k_s_from_probe')} s for 100k, over the "
               "seeding budget (REF_SEED_BUDGET). Its GET/POST figures are at that size.")
out.append(f"\nRaw data: `{os.path.relpath(run, os.path.dirname(os.path.dirname(run)))}/`.")
print("\n".join(out))
