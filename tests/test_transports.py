"""--url: the same turns over HTTP, and endpoints that are not Alexa's, as one line."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from skill import settings
from skill.local.runner.transports import HttpSkill, RunnerError
from tests.support import servers
from tests.support.runner import assert_one_line_error, json_turns, run, says

# --- over HTTP ------------------------------------------------------------------------------


def _comparable(turn: dict[str, Any]) -> tuple:
    return (
        turn["request_type"],
        turn["intent"],
        turn["slots"],
        turn["end_session"],
        turn["new_session"],
    )


def test_url_gives_the_same_turns_as_in_process(capsys) -> None:
    utterances = says("open step coach", "start russian push ups", "next", "why do glutes matter")
    utterances += says("stop", "start glute bridges")
    status, out, _ = run(capsys, "--mute", "--json", *utterances)
    assert status == 0
    local = json_turns(out)
    env = {settings.VERIFY: "0", settings.STORE: "none"}
    with servers.gunicorn(env=env, workers=1) as server:
        status, out, err = run(capsys, "--mute", "--json", "--url", server.url + "/", *utterances)
    assert status == 0, err
    remote = json_turns(out)
    assert [_comparable(turn) for turn in remote] == [_comparable(turn) for turn in local]
    for stable, turn in zip(["Step Coach", "Step 1 of 5", "Step 2 of 5"], remote, strict=False):
        assert stable in turn["text"]


def test_url_to_a_closed_port(capsys) -> None:
    url = f"http://127.0.0.1:{servers.free_port()}/"
    assert_one_line_error(
        *run(capsys, "--mute", "--url", url, "--say", "open step coach"), "connection refused"
    )


class _NotAlexa(BaseHTTPRequestHandler):
    """Answers that no Alexa endpoint would give."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        answers = {
            "/html": (200, "text/html", b"<html><body>Hello</body></html>"),
            "/fail": (500, "application/json", b'{"error": "internal_error", "message": "x"}'),
            "/list": (200, "application/json", b"[1, 2]"),
        }
        if self.path == "/slow":
            time.sleep(1.0)
        status, kind, body = answers.get(self.path, (404, "text/plain", b"no"))
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the runner gave up waiting (the /slow case)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def not_alexa() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotAlexa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/html", ["other than JSON", "text/html"]),
        ("/fail", ["HTTP 500", "internal_error"]),
        ("/list", ["not an Alexa response"]),
        ("/missing", ["HTTP 404"]),
    ],
)
def test_url_that_is_not_an_alexa_endpoint(not_alexa, capsys, path, words) -> None:
    result = run(capsys, "--mute", "--url", not_alexa + path, "--say", "open step coach")
    assert_one_line_error(*result, *words)


def test_url_that_answers_too_slowly(not_alexa) -> None:
    skill = HttpSkill(not_alexa + "/slow", timeout=(1.0, 0.2))
    try:
        with pytest.raises(RunnerError, match=r"no answer from .* within 0\.2 s"):
            skill.send({"version": "1.0"})
    finally:
        skill.close()
