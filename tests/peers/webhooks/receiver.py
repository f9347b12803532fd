#!/usr/bin/env python3
"""A webhook receiver for the tests: every delivery is verified with the real
`standardwebhooks` library (PyPI), not with Gatehouse's own code.

Prints its port on the first line of stdout, then serves on 127.0.0.1 until killed.

Control (JSON):
  POST /_config  {"secrets": ["whsec_..."], "status": 200, "hang": 0, "redirect": false,
                  "big": false}
                 secrets: each delivery is verified with each of them (verified_by lists
                 the indexes that verify); status: what deliveries are answered; hang: how
                 many of the next deliveries are held without an answer (until the
                 process ends); redirect: answer 302 to /_redirected; big: answer 1 MiB.
  GET  /_log     every delivery so far: {path, id, timestamp, signature, body,
                 verified_by, errors, status}
Any other POST is a delivery.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

LOCK = threading.Lock()
STATE = {"secrets": [], "status": 200, "hang": 0, "redirect": False, "big": False}
LOG = []
REDIRECTED = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_log":
            with LOCK:
                body = json.dumps({"deliveries": LOG, "redirected": len(REDIRECTED)}).encode()
            self.reply(200, body, {"Content-Type": "application/json"})
        elif self.path == "/_redirected":
            with LOCK:
                REDIRECTED.append(1)
            self.reply(200, b"followed")
        else:
            self.reply(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/_config":
            with LOCK:
                STATE.update(json.loads(body))
            self.reply(204)
            return
        if self.path == "/_redirected":
            with LOCK:
                REDIRECTED.append(1)
            self.reply(200, b"followed")
            return
        headers = {k: v for k, v in self.headers.items()}
        verified_by, errors = [], []
        with LOCK:
            secrets = list(STATE["secrets"])
            status = STATE["status"]
            hang = STATE["hang"] > 0
            if hang:
                STATE["hang"] -= 1
            redirect = STATE["redirect"]
            big = STATE["big"]
        for i, secret in enumerate(secrets):
            try:
                Webhook(secret).verify(body, headers)
                verified_by.append(i)
            except Exception as e:  # the library's verdict, recorded for the test
                errors.append(f"{i}: {e}")
        entry = {
            "path": self.path,
            "id": headers.get("webhook-id"),
            "timestamp": headers.get("webhook-timestamp"),
            "signature": headers.get("webhook-signature"),
            "body": body.decode("utf-8", "replace"),
            "verified_by": verified_by,
            "errors": errors,
            "status": None if hang else status,
        }
        with LOCK:
            LOG.append(entry)
        if hang:
            threading.Event().wait()
            return
        if redirect:
            self.reply(302, b"", {"Location": "/_redirected"})
        elif big:
            self.reply(status, b"x" * (1 << 20))
        else:
            self.reply(status, b'{"received": true}', {"Content-Type": "application/json"})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
