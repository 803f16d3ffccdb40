# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""The process of a lab pod, started by the lab's kubelet inside the pod's
network namespace. `--http PORT` (the image lab/backend): a tiny HTTP
server that says which pod answered and who asked; /healthz is its
readiness endpoint, GET /fail makes it answer 503 there and /recover 200
again (to turn a pod not ready on purpose). Without --http (the image
lab/client): a process that waits, so the pod stays Running while the
learner runs commands in its namespace."""

import argparse
import http.server
import signal
import sys
import threading

ap = argparse.ArgumentParser()
ap.add_argument("--name", required=True)
ap.add_argument("--http", type=int)
args = ap.parse_args()

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
if args.http is None:
    threading.Event().wait()

healthy = [True]


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/healthz":
            self.reply(200 if healthy[0] else 503, "ok\n" if healthy[0] else "failing\n")
        elif self.path == "/fail":
            healthy[0] = False
            self.reply(200, "readiness now fails\n")
        elif self.path == "/recover":
            healthy[0] = True
            self.reply(200, "readiness ok again\n")
        else:
            self.reply(200, "pod %s (%s:%d) answered %s from client %s\n" % (
                args.name, self.connection.getsockname()[0], args.http, self.path,
                self.client_address[0]))

    def log_message(self, fmt, *a):
        sys.stderr.write("%s %s\n" % (self.client_address[0], fmt % a))


srv = http.server.ThreadingHTTPServer(("0.0.0.0", args.http), Handler)
srv.serve_forever()
