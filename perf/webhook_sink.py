#!/usr/bin/env python3
"""The receiver of perf/events-bench.sh: answers every POST 204 and counts them
(GET /count). Prints its port first. No verification: the tests do that
(tests/peers/webhooks); this one only must not be the bottleneck."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNT = 0
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        global COUNT
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with LOCK:
            COUNT += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        with LOCK:
            body = str(COUNT).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
