#!/usr/bin/env python3
"""Small SCIM load driver for perf/scim-bench.sh (standard library only).

A minimal asyncio HTTP/1.1 client (keep-alive when the server allows it, a new
connection per request when it answers `Connection: close`, as the reference
server does), so the client is cheap enough not to be what limits the figures.

Subcommands (each prints one JSON line on stdout):
  seed        POST --count users with realistic bodies over --concurrency connections
  check-get   GET a userName filter and verify exactly one match
  ids         the ids of the first --count users (sorted by creation)
  group-bench build a group of --members users (PATCH add in chunks), then time
              sequential single-member PATCH add / remove; with --also-members,
              a second group whose PATCHes interleave with the first's
"""

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
import urllib.parse

SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

FIRST = ["Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger"]
LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Dijkstra"]


def user_name(prefix: str, i: int) -> str:
    return f"{prefix}{i:06d}@bench.test"


def user_body(prefix: str, i: int) -> dict:
    given, family = FIRST[i % 10], LAST[(i // 10) % 10]
    name = user_name(prefix, i)
    return {
        "schemas": [SCIM_USER],
        "userName": name,
        "externalId": f"ext-{prefix}{i:06d}",
        "name": {"givenName": given, "familyName": family, "formatted": f"{given} {family}"},
        "displayName": f"{given} {family}",
        "emails": [{"value": name, "type": "work", "primary": True}],
        "active": True,
    }


class Conn:
    """One HTTP/1.1 connection that reconnects when the server closes it."""

    def __init__(self, host: str, port: int, token: str):
        self.host, self.port, self.token = host, port, token
        self.reader = self.writer = None

    async def _connect(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body=None):
        data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {self.token}\r\nAccept: application/scim+json\r\n"
            f"Content-Type: application/scim+json\r\nContent-Length: {len(data)}\r\n\r\n"
        ).encode()
        for attempt in (0, 1):
            if self.writer is None:
                await self._connect()
            try:
                self.writer.write(head + data)
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                # A kept-alive connection the server closed meanwhile: retry once.
                self.close()
                if attempt:
                    raise

    async def _response(self):
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        elif status in (204, 304):
            body = b""
        else:
            body = await self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close" or status_line.startswith(b"HTTP/1.0"):
            self.close()
        return status, body


def parse_base(base: str):
    u = urllib.parse.urlsplit(base)
    return u.hostname, u.port, u.path.rstrip("/")


async def seed(a):
    host, port, path = parse_base(a.base)
    next_i = a.start
    end = a.start + a.count
    created = 0
    statuses = {}
    errors = []
    t0 = time.perf_counter()
    deadline = t0 + a.budget if a.budget else None

    async def worker():
        nonlocal next_i, created
        conn = Conn(host, port, a.token)
        try:
            while next_i < end:
                if deadline and time.perf_counter() > deadline:
                    return
                i = next_i
                next_i += 1
                status, body = await conn.request("POST", f"{path}/Users", user_body(a.prefix, i))
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201:
                    created += 1
                elif len(errors) < 3:
                    errors.append(body[:300].decode(errors="replace"))
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(a.concurrency)))
    secs = time.perf_counter() - t0
    out = {
        "requested": a.count,
        "sent": next_i - a.start,
        "created": created,
        "seconds": round(secs, 3),
        "rate": round(created / secs, 1) if secs else 0,
        "statuses": statuses,
        "errors": errors,
        "client_cpu_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 2),
    }
    print(json.dumps(out))
    return 0 if created == next_i - a.start else 1


async def check_get(a):
    host, port, path = parse_base(a.base)
    conn = Conn(host, port, a.token)
    flt = urllib.parse.quote(f'userName eq "{a.user_name}"')
    status, body = await conn.request("GET", f"{path}/Users?filter={flt}")
    conn.close()
    doc = json.loads(body) if body else {}
    total = doc.get("totalResults")
    print(json.dumps({"status": status, "totalResults": total, "bytes": len(body)}))
    return 0 if status == 200 and total == 1 else 1


async def fetch_ids(conn, path, count, prefix=None):
    """Ids of the first `count` users (optionally only those whose userName starts with prefix)."""
    ids = []
    start = 1
    flt = ""
    if prefix:
        flt = "&filter=" + urllib.parse.quote(f'userName sw "{prefix}"')
    while len(ids) < count:
        page = min(1000, count - len(ids))
        status, body = await conn.request(
            "GET", f"{path}/Users?attributes=id&startIndex={start}&count={page}{flt}"
        )
        if status != 200:
            raise SystemExit(f"listing users failed: {status} {body[:200]!r}")
        res = json.loads(body).get("Resources", [])
        if not res:
            break
        ids.extend(r["id"] for r in res)
        start += len(res)
    return ids


def pct(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


async def timed(conn, method, path, body, expect):
    t = time.perf_counter_ns()
    status, resp = await conn.request(method, path, body)
    dt = (time.perf_counter_ns() - t) / 1e6
    if status not in expect:
        raise SystemExit(f"{method} {path} -> {status}: {resp[:300]!r}")
    return dt


async def build_group(conn, path, name, members, chunk):
    """A new group with `members` (PATCH add, `chunk` a request): its path, fill seconds, size."""
    status, body = await conn.request(
        "POST", f"{path}/Groups", {"schemas": [SCIM_GROUP], "displayName": name}
    )
    if status != 201:
        raise SystemExit(f"group create -> {status}: {body[:300]!r}")
    gpath = f"{path}/Groups/{json.loads(body)['id']}"
    t0 = time.perf_counter()
    for k in range(0, len(members), chunk):
        op = {"op": "add", "path": "members", "value": [{"value": m} for m in members[k : k + chunk]]}
        await timed(conn, "PATCH", gpath, {"schemas": [PATCH_OP], "Operations": [op]}, (200, 204))
    fill_secs = time.perf_counter() - t0
    # Check the size (only members' count, via the list response).
    status, body = await conn.request("GET", f"{gpath}?attributes=members")
    return gpath, fill_secs, len(json.loads(body).get("members", []))


async def group_bench(a):
    host, port, path = parse_base(a.base)
    conn = Conn(host, port, a.token)
    ids = await fetch_ids(conn, path, a.members + a.reps, a.prefix)
    if len(ids) < a.members + a.reps:
        raise SystemExit(f"need {a.members + a.reps} users, found {len(ids)}")
    members, spare = ids[: a.members], ids[a.members : a.members + a.reps]
    wanted = [(a.name, members)]
    if a.also_members:
        wanted.append((a.also_name, members[: a.also_members]))
    groups = []
    for name, group_members in wanted:
        gpath, fill_secs, size = await build_group(conn, path, name, group_members, a.chunk)
        groups.append({"name": name, "path": gpath, "fill": fill_secs, "size": size, "adds": [], "removes": []})
    # Alternate add/remove of distinct non-members: each group stays at N or N+1. With a
    # second group, its PATCHes interleave with the first's, so both are timed under the
    # same conditions (the same moment of the server, the same placement of its threads).
    for m in spare:
        add = {"op": "add", "path": "members", "value": [{"value": m}]}
        rem = {"op": "remove", "path": f'members[value eq "{m}"]'}
        for g in groups:
            g["adds"].append(await timed(conn, "PATCH", g["path"], {"schemas": [PATCH_OP], "Operations": [add]}, (200, 204)))
        for g in groups:
            g["removes"].append(await timed(conn, "PATCH", g["path"], {"schemas": [PATCH_OP], "Operations": [rem]}, (200, 204)))
    conn.close()
    r = lambda v: round(v, 3)
    out = [{
        "group": g["name"], "members": g["size"], "fill_seconds": round(g["fill"], 3), "reps": len(spare),
        "add_p50_ms": r(statistics.median(g["adds"])), "add_p99_ms": r(pct(g["adds"], 99)), "add_max_ms": r(max(g["adds"])),
        "remove_p50_ms": r(statistics.median(g["removes"])), "remove_p99_ms": r(pct(g["removes"], 99)),
        "remove_max_ms": r(max(g["removes"])),
    } for g in groups]
    result = out[0]
    if len(out) > 1:
        result["also"] = out[1]
    print(json.dumps(result))
    return 0


async def ids_cmd(a):
    host, port, path = parse_base(a.base)
    conn = Conn(host, port, a.token)
    ids = await fetch_ids(conn, path, a.count, a.prefix)
    conn.close()
    for i in ids:
        print(i)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("seed", "check-get", "ids", "group-bench"):
        s = sub.add_parser(name)
        s.add_argument("--base", required=True, help="SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2")
        s.add_argument("--token", required=True)
        if name == "seed":
            s.add_argument("--prefix", required=True)
            s.add_argument("--start", type=int, default=0)
            s.add_argument("--count", type=int, required=True)
            s.add_argument("--concurrency", type=int, default=4)
            s.add_argument("--budget", type=float, default=0, help="stop after this many seconds (0: none)")
        if name == "check-get":
            s.add_argument("--user-name", required=True)
        if name in ("ids", "group-bench"):
            s.add_argument("--prefix", default=None, help="only users whose userName starts with this")
        if name == "ids":
            s.add_argument("--count", type=int, required=True)
        if name == "group-bench":
            s.add_argument("--name", required=True)
            s.add_argument("--members", type=int, required=True)
            s.add_argument("--reps", type=int, default=500)
            s.add_argument("--chunk", type=int, default=500)
            s.add_argument("--also-members", type=int, default=0,
                           help="a second group of this many members, timed interleaved with the first")
            s.add_argument("--also-name", default="small")
    a = p.parse_args()
    fn = {"seed": seed, "check-get": check_get, "ids": ids_cmd, "group-bench": group_bench}[a.cmd]
    sys.exit(asyncio.run(fn(a)))


if __name__ == "__main__":
    main()
