#!/usr/bin/env python3
"""A stand-in management server for t_mgmt_sync: plain HTTP on HOST:PORT,
serving license.json and the config long-poll from files, so that a device
can be shown bundles the real server would never send (an older one, one
for another device, another instance's).

    mgmt_fake_server.py HOST PORT DIR

GET /license.json      -> DIR/license.json
GET /device/v1/config* -> DIR/<the name in DIR/mode>, read at each request
POST /device/v1/status -> 204;  anything else -> 404
It prints "serving" once it listens, and one line per request.
"""
import http.server
import os
import sys

HOST, PORT, DIR = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Connection", "close")
        if status != 204:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/license.json":
            name = "license.json"
        elif self.path.startswith("/device/v1/config"):
            with open(os.path.join(DIR, "mode")) as f:
                name = f.read().strip()
        else:
            return self.answer(404, b'{"error":{"code":"not_found","message":"no"}}')
        with open(os.path.join(DIR, name), "rb") as f:
            self.answer(200, f.read())

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        self.answer(204 if self.path == "/device/v1/status" else 404)

    def log_message(self, fmt, *args):
        print("%s %s" % (self.command, self.path), flush=True)


srv = http.server.HTTPServer((HOST, PORT), Handler)
print("serving", flush=True)
srv.serve_forever()
