"""Soak test: many valid, invalid and hostile requests against the endpoint under gunicorn.

``python -m bench.soak --requests 20000`` starts the skill under gunicorn (verification
off, the default SQLite store in a throwaway file) and, for a share of the traffic, a
second one with verification ON trusting only the test CA. A few client threads then send
a mix of real conversation turns, known-bad bodies, fuzzed bodies and headers, oversized
bodies, wrong methods and paths, and malformed raw HTTP. It passes when:

* no answer is a 5xx, and no request ends in a client-side error (reset, timeout, ...);
* every valid turn gets a 200 with speech, every known-bad request a 4xx;
* the workers neither crash nor restart, and none logs a traceback;
* each worker's resident memory grows by less than ``--max-growth-mb`` between the end of
  the warm-up and the end of the run.

It prints one summary line and exits non-zero on any failure. ``tests/test_soak.py`` runs a
short version through :func:`soak`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.endpoint import SIGNED_APP, SKILL_APP, write_pki
from bench.scenario import APPLICATION_ID, SESSION, MixRequest, envelope
from bench.signed_app import PKI_DIR
from tests.support import servers
from tests.support.signing import TestAlexaSigner

# What a response must be for the request to count as handled correctly.
OK_200 = "200"  # a valid conversation turn
CLIENT_ERROR = "4xx"  # a request known to be wrong
NOT_5XX = "not 5xx"  # fuzz: any answer but a server error is fine
TOO_LARGE = "413"

DEFAULT_MAX_GROWTH_MB = 20.0
MAX_BODY_BYTES = 128 * 1024  # the endpoint's default limit (skill.app.DEFAULT_MAX_BODY_BYTES)
SOCKET_TIMEOUT_S = 30.0
# A worker's log lines that mean something went wrong inside it.
_BAD_LOG = re.compile(r"\[CRITICAL\]|WORKER TIMEOUT|Worker .* (?:exited|was sent)")

# Further things people say mid-workout, on top of the benchmark session's turns.
EXTRA_TURNS: tuple[MixRequest, ...] = (
    MixRequest("Pause", intent="AMAZON.PauseIntent"),
    MixRequest("Resume", intent="AMAZON.ResumeIntent"),
    MixRequest("Repeat", intent="AMAZON.RepeatIntent"),
    MixRequest("Previous", intent="AMAZON.PreviousIntent"),
    MixRequest("StartOver", intent="AMAZON.StartOverIntent"),
    MixRequest("Help", intent="AMAZON.HelpIntent"),
    MixRequest("Yes", intent="AMAZON.YesIntent"),
    MixRequest("No", intent="AMAZON.NoIntent"),
    MixRequest("Fallback", intent="AMAZON.FallbackIntent"),
    MixRequest("Home", intent="AMAZON.NavigateHomeIntent"),
    MixRequest("List", intent="ListExercisesIntent"),
    MixRequest("ProtectKnees", intent="ProtectKneesIntent"),
    MixRequest("Slower", intent="SetPaceIntent", slots={"pace": ("slower", "slow")}),
    MixRequest("Faster", intent="SetPaceIntent", slots={"pace": ("faster", "fast")}),
    MixRequest(
        "Plank", intent="StartWorkoutIntent", slots={"exercise": ("planks", "forearm_plank")}
    ),
    MixRequest("Unknown", intent="StartWorkoutIntent", slots={"exercise": ("yoga <b>", None)}),
    MixRequest(
        "Medius", intent="ExplainIntent", slots={"topic": ("the glute medius", "glute_medius")}
    ),
    MixRequest("UnknownTopic", intent="ExplainIntent", slots={"topic": ("quantum knees", None)}),
    MixRequest("NoSlot", intent="StartWorkoutIntent"),
    MixRequest("Cancel", intent="AMAZON.CancelIntent"),
    MixRequest("Ended", request_type="SessionEndedRequest"),
)


def _deep_attributes(depth: int = 900) -> bytes:
    """A launch whose session attributes nest within the JSON parser's limit (~1000 levels)
    but past what the SDK's recursive copy of the attributes survives."""
    body = json.dumps(envelope(SESSION[0], {"deep": "@@"}, new=True)).encode()
    return body.replace(b'"@@"', b'{"a":' * depth + b"1" + b"}" * depth)


# Bodies that are wrong in a known way: each must get a 4xx.
KNOWN_BAD_BODIES: tuple[bytes, ...] = (
    b"",
    b"not json",
    b"\xff\xfe\x00",
    b"[]",
    b"{}",
    b"null",
    b"42",
    b'"a string"',
    b'{"version": "1.0"}',
    b'{"version": 1, "request": {}}',
    b'{"version": "1.0", "request": {"type": "Nope"}}',
    b'{"version": "1.0", "request": {"type": "LaunchRequest"}}',
    b'{"version": "1.0", "request": {"type": "IntentRequest", "requestId": "r", "timestamp": "t"}}',
    b'{"version": NaN, "request": []}',
    b"[" * 5000,  # nested beyond the JSON parser's recursion limit
    b"[" * 3000 + b"]" * 3000,
    _deep_attributes(),
)


@dataclass(frozen=True)
class Probe:
    """One request to send, and what its answer must be."""

    kind: str
    expect: str
    method: str = "POST"
    path: str = "/"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is on a fresh socket instead of through http.client
    signed: bool = False  # goes to the server with verification ON
    checks_speech: bool = False


@dataclass
class Tally:
    """What one client thread saw."""

    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    client_errors: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        self.sent += other.sent
        self.statuses.update(other.statuses)
        self.kinds.update(other.kinds)
        self.client_errors.update(other.client_errors)
        self.unexpected.extend(other.unexpected)


@dataclass
class SoakResult:
    requests: int
    threads: int
    duration_s: float
    tally: Tally
    rss_before_kib: dict[str, int]  # "server/pid" -> VmRSS after the warm-up
    rss_after_kib: dict[str, int]
    workers_replaced: bool
    log_problems: list[str]  # unhandled errors in the server logs: these fail the soak
    handled_errors: list[str]  # errors the skill's catch-all answered (reported, not failed)
    max_growth_mb: float

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.tally.statuses.items() if status >= 500)

    @property
    def growth_mb(self) -> dict[str, float]:
        return {
            worker: (self.rss_after_kib.get(worker, 0) - before) / 1024
            for worker, before in self.rss_before_kib.items()
        }

    def failures(self) -> list[str]:
        found = []
        if self.server_errors:
            found.append(f"{self.server_errors} server errors (5xx)")
        if self.tally.client_errors:
            found.append(f"client errors {dict(self.tally.client_errors)}")
        if self.tally.unexpected:
            found.append(
                f"{len(self.tally.unexpected)} unexpected answers, e.g. {self.tally.unexpected[:3]}"
            )
        if self.workers_replaced:
            found.append("gunicorn workers died or were replaced during the run")
        if self.log_problems:
            found.append(
                f"{len(self.log_problems)} problems in the server logs: "
                f"{dict(Counter(self.log_problems).most_common(5))}"
            )
        grown = {w: g for w, g in self.growth_mb.items() if g >= self.max_growth_mb}
        if grown:
            found.append(f"worker memory grew by {grown} MiB (limit {self.max_growth_mb})")
        return found

    @property
    def ok(self) -> bool:
        return not self.failures()

    def summary(self) -> str:
        rate = self.requests / self.duration_s if self.duration_s else 0.0
        statuses = dict(sorted(self.tally.statuses.items()))
        memory = ", ".join(
            f"{worker} {before / 1024:.1f}->{self.rss_after_kib.get(worker, 0) / 1024:.1f}"
            for worker, before in self.rss_before_kib.items()
        )
        verdict = "OK" if self.ok else "FAILED: " + "; ".join(self.failures())
        if self.handled_errors:
            common = dict(Counter(self.handled_errors).most_common(3))
            verdict += (
                f" (errors the skill's catch-all answered: {len(self.handled_errors)}, {common})"
            )
        return (
            f"soak: {self.requests} requests in {self.duration_s:.1f} s ({rate:.0f}/s) from "
            f"{self.threads} threads; kinds {dict(sorted(self.tally.kinds.items()))}; "
            f"statuses {statuses}; 5xx {self.server_errors}; client errors "
            f"{sum(self.tally.client_errors.values())}; unexpected {len(self.tally.unexpected)}; "
            f"worker RSS MiB before->after: {memory}; {verdict}"
        )


# --- traffic ------------------------------------------------------------------------------


def _random_value(rng: random.Random) -> Any:
    """A JSON value of a random type, sometimes big, sometimes nested."""
    choice = rng.randrange(12)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 2**63, 1.5e308, -0.0])
    if choice == 3:
        return ""
    if choice == 4:
        return "x" * rng.randint(1, 5000)
    if choice == 5:
        return "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 40)))
    if choice == 6:
        return '<audio src="https://evil.example/x.mp3"/> & <speak>'
    if choice == 7:
        return []
    if choice == 8:
        return {}
    if choice == 9:
        return [1, "a", None, {"b": []}]
    if choice == 10:
        nested: Any = "bottom"
        for _ in range(rng.randint(5, 40)):
            nested = {"n": nested} if rng.random() < 0.5 else [nested]
        return nested
    return {"unexpected": {"key": rng.random()}}


def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path to a value inside nested dicts and lists."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def mutate(document: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy of an envelope with one to three fields replaced, removed or added."""
    document = json.loads(json.dumps(document))
    for _ in range(rng.randint(1, 3)):
        path = rng.choice([p for p in _paths(document) if p])
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        action = rng.randrange(3)
        if action == 0:
            parent[last] = _random_value(rng)
        elif action == 1 and isinstance(parent, dict):
            del parent[last]
        elif isinstance(parent, dict):
            parent[f"fuzz{rng.randrange(1000)}"] = _random_value(rng)
        else:
            parent[last] = _random_value(rng)
    return document


def _header_token(rng: random.Random, length: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
    return "".join(rng.choice(alphabet) for _ in range(length))


def fuzzed_headers(rng: random.Random) -> dict[str, str]:
    """Odd but well-formed headers: content types, extras, junk signatures, long values."""
    headers = {
        "Content-Type": rng.choice(
            [
                "application/json",
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=zzz",
                "application/json; charset=latin-1",
                "",
                "*/*",
            ]
        )
    }
    for _ in range(rng.randint(0, 40)):
        headers[f"X-{_header_token(rng, rng.randint(1, 20))}"] = _header_token(
            rng, rng.randint(0, 200)
        )
    if rng.random() < 0.3:
        headers["X-Long"] = "a" * rng.randint(1000, 7000)
    if rng.random() < 0.3:
        headers["Signature-256"] = _header_token(rng, rng.randint(0, 400))
        headers["SignatureCertChainUrl"] = rng.choice(
            ["https://s3.amazonaws.com/echo.api/x.pem", "http://evil/x", "", "a" * 500]
        )
    if rng.random() < 0.2:
        headers["Accept-Encoding"] = "gzip, deflate, br"
    if rng.random() < 0.1:
        headers["Expect"] = "100-continue"
    return headers


RAW_REQUESTS: tuple[bytes, ...] = (
    b"\x00\x01\x02 garbage\r\n\r\n",
    b"GET /\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nBadHeader\r\nContent-Length: 2\r\n\r\n{}",
    b"GET /health HTTP/1.1\r\nHost: x\r\n"
    + b"".join(b"X-%d: 1\r\n" % i for i in range(150))
    + b"\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n",
    b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
    b"0\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"get / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
    bytes(range(256)) * 4,
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}",
)

WRONG_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/"),
    ("PUT", "/"),
    ("DELETE", "/"),
    ("PATCH", "/"),
    ("OPTIONS", "/"),
    ("HEAD", "/"),
    ("GET", "/health"),
    ("HEAD", "/health"),
    ("POST", "/health"),
    ("GET", "/nope"),
    ("POST", "/nope"),
    ("GET", "/../../etc/passwd"),
    ("GET", "//"),
    ("GET", "/%00"),
    ("GET", "/?" + "q=1&" * 200),
    ("BREW", "/"),
)


class Traffic:
    """One client thread's requests: a live conversation interleaved with hostile ones.

    The conversation carries the session attributes of each answer into the next turn,
    as Alexa does, so valid turns exercise real state (paced steps, offers, pauses).
    """

    def __init__(self, rng: random.Random, user: int, signed_share: float) -> None:
        self.rng = rng
        self.user = user
        self.signed_share = signed_share
        self.attributes: dict[str, Any] = {}
        self.session_open = False
        self.position = 0

    # The weights of each kind of request, in percent.
    KINDS: tuple[tuple[str, int], ...] = (
        ("turn", 45),
        ("bad_body", 12),
        ("fuzz_body", 15),
        ("fuzz_headers", 10),
        ("wrong_route", 8),
        ("raw_http", 5),
        ("oversized", 2),
        ("truncated", 3),
    )

    def next_probe(self) -> Probe:
        kind = self.rng.choices([k for k, _ in self.KINDS], [w for _, w in self.KINDS])[0]
        probe = getattr(self, f"_{kind}")()
        if probe.raw is None and probe.method == "POST" and self.rng.random() < self.signed_share:
            return self._signed(probe)
        return probe

    def next_turn(self) -> tuple[MixRequest, dict[str, Any]]:
        """The next valid turn of the conversation (a launch when no session is open)."""
        if not self.session_open:
            turn, new = SESSION[0], True
        elif self.rng.random() < 0.6:
            self.position = self.position % (len(SESSION) - 1) + 1
            turn, new = SESSION[self.position], False
        else:
            turn, new = self.rng.choice(EXTRA_TURNS), False
        return turn, envelope(turn, self.attributes, new=new, user=self.user)

    def absorb(self, turn: MixRequest, answer: dict[str, Any]) -> None:
        """Carry the answer's attributes forward; a closed session starts over."""
        ended = turn.request_type == "SessionEndedRequest" or answer.get("response", {}).get(
            "shouldEndSession"
        )
        self.session_open = not ended
        self.attributes = {} if ended else (answer.get("sessionAttributes") or {})

    def _json(self, document: Any) -> bytes:
        return json.dumps(document).encode()

    def _turn(self) -> Probe:
        turn, request = self.next_turn()
        return Probe(
            "turn",
            OK_200,
            body=self._json(request),
            headers={"Content-Type": "application/json", "X-MixRequest": turn.label},
            checks_speech=turn.request_type != "SessionEndedRequest",
        )

    def _bad_body(self) -> Probe:
        return Probe("bad_body", CLIENT_ERROR, body=self.rng.choice(KNOWN_BAD_BODIES))

    def _fuzz_body(self) -> Probe:
        if self.rng.random() < 0.2:
            body = self.rng.randbytes(self.rng.randint(0, 4000))
        else:
            _, request = self.next_turn()
            body = self._json(mutate(request, self.rng))
        return Probe("fuzz_body", NOT_5XX, body=body, headers={"Content-Type": "application/json"})

    def _truncated(self) -> Probe:
        _, request = self.next_turn()
        body = self._json(request)
        return Probe("truncated", CLIENT_ERROR, body=body[: self.rng.randrange(1, len(body))])

    def _fuzz_headers(self) -> Probe:
        _, request = self.next_turn()
        return Probe(
            "fuzz_headers", NOT_5XX, body=self._json(request), headers=fuzzed_headers(self.rng)
        )

    def _wrong_route(self) -> Probe:
        method, path = self.rng.choice(WRONG_ROUTES)
        body = b"{}" if method in ("POST", "PUT", "PATCH") else b""
        return Probe("wrong_route", NOT_5XX, method=method, path=path, body=body)

    def _raw_http(self) -> Probe:
        return Probe("raw_http", CLIENT_ERROR, raw=self.rng.choice(RAW_REQUESTS))

    def _oversized(self) -> Probe:
        size = self.rng.randint(MAX_BODY_BYTES + 1024, 4 * MAX_BODY_BYTES)
        return Probe("oversized", TOO_LARGE, body=b'{"pad": "' + b"x" * size + b'"}')

    def _signed(self, probe: Probe) -> Probe:
        """The same request to the verifying server: signed, or signed and then broken."""
        signer = TestAlexaSigner.valid()
        headers = {**probe.headers, **signer.sign(probe.body)}
        if probe.kind != "turn" or self.rng.random() < 0.7:
            return replace(probe, signed=True, headers=headers, expect=_signed_expectation(probe))
        breakage = self.rng.randrange(4)
        if breakage == 0:
            headers.pop("Signature-256", None)
        elif breakage == 1:
            headers["Signature-256"] = "AAAA" + headers["Signature-256"][4:]
        elif breakage == 2:
            headers["SignatureCertChainUrl"] = "https://s3.amazonaws.com/echo.api/other.pem"
        else:
            return replace(
                probe,
                kind="bad_signature",
                signed=True,
                headers=headers,
                body=probe.body + b" ",
                expect=CLIENT_ERROR,
                checks_speech=False,
            )
        return replace(
            probe,
            kind="bad_signature",
            signed=True,
            headers=headers,
            expect=CLIENT_ERROR,
            checks_speech=False,
        )


def _signed_expectation(probe: Probe) -> str:
    return probe.expect if probe.kind in ("turn", "bad_body", "oversized") else NOT_5XX


# --- the client ---------------------------------------------------------------------------


def _raw_exchange(host: str, port: int, data: bytes) -> int:
    """Send raw bytes, half-close, read the answer's status code (0 when none came)."""
    with socket.create_connection((host, port), timeout=SOCKET_TIMEOUT_S) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    match = re.match(rb"HTTP/1\.[01] (\d{3})", received)
    return int(match.group(1)) if match else 0


def _meets(expect: str, status: int) -> bool:
    if expect == OK_200:
        return status == 200
    if expect == CLIENT_ERROR:
        return 400 <= status < 500
    if expect == TOO_LARGE:
        return status == 413
    return 0 < status < 500


class Client:
    """One thread's keep-alive connections (gunicorn's sync workers may close them)."""

    def __init__(self, servers_by_kind: dict[bool, servers.Server]) -> None:
        self.servers = servers_by_kind
        self.connections: dict[bool, http.client.HTTPConnection] = {}

    def _connection(self, signed: bool) -> http.client.HTTPConnection:
        if signed not in self.connections:
            server = self.servers[signed]
            self.connections[signed] = http.client.HTTPConnection(
                server.host, server.port, timeout=SOCKET_TIMEOUT_S
            )
        return self.connections[signed]

    def send(self, probe: Probe) -> tuple[int, bytes]:
        server = self.servers[probe.signed]
        if probe.raw is not None:
            return _raw_exchange(server.host, server.port, probe.raw), b""
        connection = self._connection(probe.signed)
        try:
            connection.request(probe.method, probe.path, body=probe.body, headers=probe.headers)
            answer = connection.getresponse()
            content = answer.read()
        except BaseException:
            connection.close()
            raise
        if answer.will_close:
            connection.close()
        return answer.status, content

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()


def _check(
    probe: Probe, status: int, content: bytes, traffic: Traffic, turn: MixRequest | None
) -> str | None:
    """None when the answer is what the probe expects; otherwise why not."""
    if not _meets(probe.expect, status):
        sent = probe.raw if probe.raw is not None else probe.body
        return (
            f"{probe.kind} {probe.method} {probe.path} -> {status}: {content[:100]!r} "
            f"(sent {len(sent)} bytes: {sent[:80]!r})"
        )
    if probe.kind == "turn" and turn is not None:
        try:
            answer = json.loads(content)
        except ValueError:
            return f"turn {turn.label} -> 200 but not JSON"
        traffic.absorb(turn, answer)
        if probe.checks_speech and not answer.get("response", {}).get("outputSpeech"):
            return f"turn {turn.label} -> 200 without speech"
    return None


def run_client(
    servers_by_kind: dict[bool, servers.Server],
    count: int,
    seed: int,
    user: int,
    signed_share: float,
) -> Tally:
    """Send ``count`` requests from one thread; never raises for a failed request."""
    rng = random.Random(seed)
    traffic = Traffic(rng, user, signed_share if True in servers_by_kind else 0.0)
    client = Client(servers_by_kind)
    tally = Tally()
    try:
        for _ in range(count):
            probe = traffic.next_probe()
            turn = _turn_of(probe)
            tally.sent += 1
            tally.kinds[probe.kind] += 1
            try:
                status, content = client.send(probe)
            except (OSError, http.client.HTTPException) as failure:
                tally.client_errors[f"{probe.kind}: {type(failure).__name__}"] += 1
                if turn is not None:
                    traffic.absorb(turn, {"response": {"shouldEndSession": True}})
                continue
            tally.statuses[status] += 1
            problem = _check(probe, status, content, traffic, turn)
            if problem is not None:
                tally.unexpected.append(problem)
                if turn is not None:
                    traffic.absorb(turn, {"response": {"shouldEndSession": True}})
    finally:
        client.close()
    return tally


def _turn_of(probe: Probe) -> MixRequest | None:
    if probe.kind != "turn":
        return None
    label = probe.headers.get("X-MixRequest")
    return next((t for t in (*SESSION, *EXTRA_TURNS) if t.label == label), None)


def _run_threads(
    servers_by_kind: dict[bool, servers.Server],
    total: int,
    threads: int,
    seed: int,
    signed_share: float,
) -> Tally:
    shares = [total // threads + (1 if index < total % threads else 0) for index in range(threads)]
    tallies: list[Tally] = [Tally() for _ in range(threads)]

    def work(index: int) -> None:
        tallies[index] = run_client(
            servers_by_kind, shares[index], seed + index, index, signed_share
        )

    workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    merged = Tally()
    for tally in tallies:
        merged.merge(tally)
    return merged


# --- the whole soak -------------------------------------------------------------------------


def _memory(running: dict[bool, servers.Server]) -> dict[str, int]:
    samples = {}
    for signed, server in running.items():
        for pid in server.worker_pids():
            samples[f"{'signed' if signed else 'plain'}/{pid}"] = servers.rss_kib(pid)
    return samples


def _log_problems(running: dict[bool, servers.Server]) -> tuple[list[str], list[str]]:
    """(unhandled, handled) problems in the server logs, a traceback by its final line.

    A traceback right after the skill's "handler failed" line was caught by its catch-all
    handler, which still answered with a spoken apology; every other one, and any worker
    timeout or crash, is unhandled.
    """
    unhandled: list[str] = []
    handled: list[str] = []
    for server in running.values():
        previous = ""
        in_traceback = False
        caught = False
        for line in server.log_path.read_text(errors="replace").splitlines():
            if line.startswith("Traceback"):
                in_traceback, caught = True, "handler failed" in previous
            elif in_traceback and not line.startswith((" ", "\t")):
                (handled if caught else unhandled).append(f"traceback: {line[:160]}")
                in_traceback = False
            elif not in_traceback and _BAD_LOG.search(line):
                unhandled.append(line[:160])
            if not line.startswith((" ", "\t")):
                previous = line
    return unhandled, handled


@contextmanager
def _servers(
    signed_share: float, store: str, workers: int, extra_env: Mapping[str, str]
) -> Iterator[dict[bool, servers.Server]]:
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="step-coach-soak-")))
        env = {
            **extra_env,
            "STEP_COACH_STORE": store,
            "STEP_COACH_DB": str(folder / "plain.sqlite3"),
            "STEP_COACH_VERIFY": "0",
            "STEP_COACH_SKILL_ID": APPLICATION_ID,
        }
        running = {
            False: stack.enter_context(servers.gunicorn(SKILL_APP, env=env, workers=workers))
        }
        if signed_share > 0:
            write_pki(folder)
            signed_env = {
                **extra_env,
                "STEP_COACH_STORE": store,
                "STEP_COACH_DB": str(folder / "signed.sqlite3"),
                PKI_DIR: str(folder),
            }
            running[True] = stack.enter_context(
                servers.gunicorn(SIGNED_APP, env=signed_env, workers=workers)
            )
        yield running


def soak(
    requests: int = 20_000,
    *,
    threads: int = 4,
    signed_share: float = 0.1,
    store: str = "sqlite",
    workers: int = servers.WORKERS,
    warmup: int | None = None,
    max_growth_mb: float = DEFAULT_MAX_GROWTH_MB,
    seed: int = 1,
    extra_env: Mapping[str, str] | None = None,
) -> SoakResult:
    """Run the soak and return what happened; :meth:`SoakResult.ok` says whether it passed.

    The warm-up (by default a tenth of ``requests``, at least 200) runs the same mix first,
    so caches are filled before the baseline memory sample. ``extra_env`` goes to both
    servers (a profiler, a patched build on ``PYTHONPATH``).
    """
    warmup = max(200, requests // 10) if warmup is None else warmup
    with _servers(signed_share, store, workers, extra_env or {}) as running:
        workers_at_start = {signed: server.worker_pids() for signed, server in running.items()}
        _run_threads(running, warmup, threads, seed + 1000, signed_share)
        before = _memory(running)
        started = time.monotonic()
        tally = _run_threads(running, requests, threads, seed, signed_share)
        duration = time.monotonic() - started
        after = _memory(running)
        replaced = any(
            server.worker_pids() != workers_at_start[signed] for signed, server in running.items()
        ) or any(server.process.poll() is not None for server in running.values())
        problems, handled = _log_problems(running)
    return SoakResult(
        requests=requests,
        threads=threads,
        duration_s=duration,
        tally=tally,
        rss_before_kib=before,
        rss_after_kib=after,
        workers_replaced=replaced,
        log_problems=problems,
        handled_errors=handled,
        max_growth_mb=max_growth_mb,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--signed-share", type=float, default=0.1, help="share of requests to the verifying server"
    )
    parser.add_argument("--store", choices=("sqlite", "none"), default="sqlite")
    parser.add_argument("--workers", type=int, default=servers.WORKERS)
    parser.add_argument("--max-growth-mb", type=float, default=DEFAULT_MAX_GROWTH_MB)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    result = soak(
        args.requests,
        threads=args.threads,
        signed_share=args.signed_share,
        store=args.store,
        workers=args.workers,
        max_growth_mb=args.max_growth_mb,
        seed=args.seed,
    )
    print(result.summary())
    for problem in result.tally.unexpected[:20]:
        print(f"  unexpected: {problem}", file=sys.stderr)
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
