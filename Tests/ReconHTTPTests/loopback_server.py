#!/usr/bin/env python3
"""Loopback HTTP server for the ReconHTTP tests.

Binds 127.0.0.1 on a free port and prints "<port> <closed_port>" as its first stdout line, where
closed_port was free a moment ago and nothing listens on it. Exits when stdin closes, so it never
outlives the test process.

Routes:
  GET|POST /echo           JSON {method, path, body, headers (lower-cased names), client_port}
  GET /slow?ms=N           sleeps N ms, then answers JSON {"slept_ms": N}
  GET /big?bytes=N         N bytes of "x" with Content-Length; add &chunked=1 for chunked encoding
  GET /status/N            status N with a JSON body {"status": N}
  GET /redirect            302 to /echo
"""
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def route(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        length = int(self.headers.get("Content-Length", "0") or "0")
        body = self.rfile.read(length) if length > 0 else b""
        try:
            if url.path == "/echo":
                self.reply_json(200, {
                    "method": self.command,
                    "path": url.path,
                    "body": body.decode("utf-8", "replace"),
                    "headers": {name.lower(): value for name, value in self.headers.items()},
                    "client_port": self.client_address[1],
                })
            elif url.path == "/slow":
                ms = int(query.get("ms", ["1000"])[0])
                time.sleep(ms / 1000)
                self.reply_json(200, {"slept_ms": ms})
            elif url.path == "/big":
                size = int(query.get("bytes", ["0"])[0])
                self.reply_big(size, query.get("chunked", ["0"])[0] == "1")
            elif url.path.startswith("/status/"):
                status = int(url.path[len("/status/"):])
                self.reply_json(status, {"status": status})
            elif url.path == "/redirect":
                self.reply_json(302, {"to": "/echo"}, [("Location", "/echo")])
            else:
                self.reply_json(404, {"error": "no route"})
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (timeouts, size caps): expected in these tests.
            self.close_connection = True

    def reply_json(self, status, value, extra_headers=()):
        payload = json.dumps(value).encode()
        no_body = status in (204, 304) or 100 <= status < 200
        self.send_response(status)
        for name, header_value in extra_headers:
            self.send_header(name, header_value)
        if no_body:
            self.end_headers()
            return
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def reply_big(self, size, chunked):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        block = b"x" * 65536
        left = size
        while left > 0:
            part = block[: min(left, len(block))]
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            else:
                self.wfile.write(part)
            left -= len(part)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that hang up mid-answer are part of the tests; stay quiet.
        pass


def closed_port():
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def exit_when_stdin_closes():
    sys.stdin.buffer.read()
    os._exit(0)


def main():
    # A parent spawning from a thread that blocks signals passes that mask on; SIGTERM must work.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], closed_port(), flush=True)
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
