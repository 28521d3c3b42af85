"""gunicorn settings for the production profile (`make prod-local`; the same file in real use).

Every value can be changed from the environment without editing this file:
GUNICORN_BIND, WEB_CONCURRENCY (workers), GUNICORN_THREADS, GUNICORN_TIMEOUT.
Run: gunicorn -c scripts/gunicorn.conf.py "app:create_app()"
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: the site is database-bound and short requests; two per core plus one keeps both
# cores busy while a worker waits on PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"
# A request that takes longer than this is stuck (a hung chain node is cut off after ~1 s by the
# health checks and 10 s by web3); the worker is replaced and the request rolled back.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then, so a slow leak never becomes an outage.
max_requests = 2000
max_requests_jitter = 200
# Each worker opens its own database pool after the fork (no preload: no shared sockets).
preload_app = False
# The app writes one structured line per request itself (LOG_FORMAT=json); no second access log.
accesslog = None
errorlog = "-"
loglevel = "info"
# Trust X-Forwarded-* only from the reverse proxy on this machine.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "residents-web"
