"""gunicorn for 2 cores, as its docs advise: (2 × cores) + 1 = 5 workers. gthread workers (2 threads each) keep
client connections alive, which sync workers never do; Benchmarks/api/run.sh names the class it ran in its table
(BENCH_GUNICORN_CLASS=sync to compare)."""

import multiprocessing
import os

workers = int(os.environ.get("BENCH_GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = os.environ.get("BENCH_GUNICORN_CLASS", "gthread")
# gunicorn turns sync into gthread when threads > 1: one thread for sync.
threads = int(os.environ.get("BENCH_GUNICORN_THREADS", 2 if worker_class == "gthread" else 1))
keepalive = 5
graceful_timeout = 5
backlog = 2048
accesslog = None
loglevel = "warning"
preload_app = True


def when_ready(server):
    """TCP_NODELAY on the listening sockets (accepted connections inherit it on Linux): without it a sync worker's
    separate header and body writes meet the client's delayed ACK and each answer waits ~40 ms."""
    import socket

    for listener in server.LISTENERS:
        listener.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
