#!/usr/bin/env python3
"""Open-loop load at a fixed rate: request i is due at start + i / rate, whatever earlier answers did, so a slow
answer cannot hide the queueing it causes (no coordinated omission). Latency counts from the due time.

    rate.py URL RATE SECONDS BODIES_FILE EXPECTED_FILE|- NAME

BODIES_FILE has one JSON body per line, used round-robin; EXPECTED_FILE the ResultCode each body must get (or `-`
to check only the status). Prints one line: RESULT name=… sent=… ok=… wrong=… errors=… p50_ms=… p99_ms=… max_ms=…
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

url, rate, seconds, bodies_file, expected_file, name = sys.argv[1:7]
rate = float(rate)
seconds = float(seconds)
bodies = [line.rstrip("\n") for line in open(bodies_file) if line.strip()]
expected = None if expected_file == "-" else [line.strip() for line in open(expected_file) if line.strip()]
parts = urllib.parse.urlsplit(url)
path = parts.path + ("?" + parts.query if parts.query else "")
total = int(rate * seconds)
lock = threading.Lock()
latencies, counts = [], {"ok": 0, "wrong": 0, "errors": 0}
next_index = [0]
start = time.monotonic() + 0.2


def worker():
    connection = None
    while True:
        with lock:
            i = next_index[0]
            if i >= total:
                return
            next_index[0] += 1
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body = bodies[i % len(bodies)]
        try:
            if connection is None:
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            connection.request("POST", path, body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = response.read()
            elapsed = time.monotonic() - due
            good = response.status == 200
            if good and expected is not None:
                good = json.loads(answer).get("ResultCode") == expected[i % len(expected)]
            with lock:
                latencies.append(elapsed)
                counts["ok" if good else "wrong"] += 1
        except Exception:  # a refused or dropped connection: counted, and a new connection next time
            connection = None
            with lock:
                counts["errors"] += 1


threads = [threading.Thread(target=worker) for _ in range(64)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
latencies.sort()


def percentile(p):
    return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0


print(
    f"RESULT name={name} sent={total} ok={counts['ok']} wrong={counts['wrong']} errors={counts['errors']} "
    f"p50_ms={percentile(0.50):.2f} p99_ms={percentile(0.99):.2f} max_ms={1000 * (latencies[-1] if latencies else 0):.2f}"
)
