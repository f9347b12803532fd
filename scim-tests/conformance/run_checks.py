#!/usr/bin/env python3
"""Run the scim2-tester conformance suite against a SCIM 2.0 server and summarize it.

Usage: run_checks.py --url BASE_URL --token TOKEN [--traffic FILE] [--verbose]

Every HTTP exchange is attributed to the check that made it, so each failing check is
printed with the requests it sent and what the server answered. The last line is
`scim2-tester: N passed, M failed`; the exit code is 1 if any check failed.

Status mapping (scim2_tester.Status):
  passed  = SUCCESS, COMPLIANT, ACCEPTABLE, DEVIATION (DEVIATION is also listed as a warning:
            it departs from a SHOULD but stays within the RFC)
  failed  = ERROR, CRITICAL
  skipped = SKIPPED (not counted in either)
"""

import argparse
import json
import os
import sys
from collections import Counter

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status
from scim2_tester import check_server

PASSED = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.DEVIATION}
FAILED = {Status.ERROR, Status.CRITICAL}

# (check name or None, method, url, request body, status, response body), in order.
TRAFFIC: list[list] = []
_UTILS = os.path.join("scim2_tester", "utils.py")


def _current_check() -> str | None:
    """Name of the innermost scim2-tester check running now (found on the call stack)."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "wrapped" and code.co_filename.endswith(_UTILS):
            func = frame.f_locals.get("func")
            if func is not None:
                return func.__name__
        frame = frame.f_back
    return None


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _on_request(request: httpx2.Request) -> None:
    body = request.content.decode("utf-8", "replace") if request.content else ""
    TRAFFIC.append([_current_check(), request.method, str(request.url), body, None, ""])


def _on_response(response: httpx2.Response) -> None:
    response.read()
    entry = TRAFFIC[-1]
    entry[4] = response.status_code
    entry[5] = response.text


def _format_exchange(entry: list, limit: int) -> list[str]:
    _check, method, url, req_body, status, resp_body = entry
    lines = [f"    > {method} {url}"]
    if req_body:
        lines.append(f"      body: {_short(req_body, limit)}")
    lines.append(f"    < {status} {_short(resp_body, limit) if resp_body else '(empty)'}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2")
    parser.add_argument("--token", required=True, help="Bearer token")
    parser.add_argument("--traffic", help="write every HTTP exchange (JSON lines) to this file")
    parser.add_argument("--timeout", type=float, default=15.0, help="per-request timeout, seconds")
    parser.add_argument("--verbose", action="store_true", help="print every check, not only problems")
    parser.add_argument("--body-limit", type=int, default=400, help="characters of a body shown")
    args = parser.parse_args()

    http = httpx2.Client(
        base_url=args.url,
        headers={"Authorization": f"Bearer {args.token}"},
        timeout=args.timeout,
        event_hooks={"request": [_on_request], "response": [_on_response]},
    )
    client = SyncSCIMClient(http)
    # Same strictness as `scim2 test` (its defaults).
    client.check_response_status_codes = True
    client.check_response_content_type = True

    print(f"Performing a SCIM compliance check on {args.url} ...", flush=True)
    try:
        results = check_server(client)
    except Exception as exc:  # the suite itself crashed: count it as one failure
        print(f"CRASH      check_server raised {type(exc).__name__}: {_short(str(exc), 600)}")
        print("scim2-tester: 0 passed, 1 failed")
        return 1

    if args.traffic:
        with open(args.traffic, "w", encoding="utf-8") as fd:
            for check, method, url, req_body, status, resp_body in TRAFFIC:
                fd.write(json.dumps({"check": check, "method": method, "url": url,
                                     "request": req_body, "status": status,
                                     "response": resp_body}) + "\n")

    counts = Counter(r.status for r in results)
    shown_traffic: set[str] = set()
    for r in results:
        bad = r.status in FAILED
        if not (args.verbose or bad or r.status in (Status.DEVIATION, Status.SKIPPED)):
            continue
        where = f" [{r.resource_type}]" if r.resource_type else ""
        print(f"{r.status.name:10} {r.title}{where}")
        if r.reason:
            print(f"    reason: {_short(str(r.reason), 600)}")
        if bad and r.data is not None and not isinstance(r.data, Exception) \
                and str(r.reason or "") not in str(r.data):
            print(f"    data: {_short(str(r.data), args.body_limit)}")
        if bad and r.title and r.title not in shown_traffic:
            # The requests of this check, once per check name. Cleanup DELETEs answered 404
            # are noise (scim2-tester re-deletes every resource of earlier checks), so they are
            # left out; the first error answer is shown with the two requests before it.
            shown_traffic.add(r.title)
            exchanges = [e for e in TRAFFIC if e[0] == r.title
                         and not (e[1] == "DELETE" and e[4] == 404)]
            errors = [i for i, e in enumerate(exchanges) if (e[4] or 0) >= 400]
            end = errors[0] + 1 if errors else len(exchanges)
            for entry in exchanges[max(0, end - 3):end]:
                for line in _format_exchange(entry, args.body_limit):
                    print(line)

    passed = sum(counts[s] for s in PASSED)
    failed = sum(counts[s] for s in FAILED)
    breakdown = ", ".join(f"{s.name.lower()}={counts[s]}" for s in Status if counts[s])
    print(f"statuses: {breakdown}; skipped={counts[Status.SKIPPED]}; requests={len(TRAFFIC)}")
    print(f"scim2-tester: {passed} passed, {failed} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
