"""gunicorn settings for the Alexa endpoint.

Run: ``gunicorn -c skill/serve/gunicorn_conf.py 'skill.app:create_app()'``.

Each worker is a process with its own skill object; the app is preloaded so templates,
content and models are read once before the fork. Override with the usual environment
variables: ``PORT``/``BIND``, ``WEB_CONCURRENCY``.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 10
keepalive = 5
preload_app = True
# Alexa requests are small; refuse oversized request lines and headers early.
limit_request_line = 4094
limit_request_fields = 100
loglevel = os.environ.get("STEP_COACH_LOG_LEVEL", "info").lower()
accesslog = None  # the app logs one line per request itself, without user ids
errorlog = "-"


def post_worker_init(worker):
    """gunicorn's own refusals (414, 431, a malformed request) in the app's JSON."""
    from skill.serve import refusals

    refusals.install()
