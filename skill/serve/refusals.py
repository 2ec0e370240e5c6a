"""gunicorn's own refusals as the endpoint's JSON, not HTML.

gunicorn answers some requests before the app sees them: 400 for a malformed request
line or a NUL byte in a header, 414 for a request line over ``limit_request_line``, 431
for too many or too large headers. It writes those answers with ``gunicorn.util
.write_error``, an HTML page; :func:`install` (called by ``gunicorn_conf.py`` as each
worker starts) puts :func:`write_json_error` in its place, so a caller always gets
``{"error": ..., "message": ...}``, as from the app.
"""

from __future__ import annotations

import json
import socket

from gunicorn import util

# gunicorn's message can quote the caller's request line; a refusal need not repeat all of it.
MAX_MESSAGE = 200


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Same signature and framing as ``gunicorn.util.write_error``, with a JSON body."""
    body = json.dumps(
        {"error": reason.lower().replace(" ", "_"), "message": mesg[:MAX_MESSAGE]}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install() -> None:
    util.write_error = write_json_error
