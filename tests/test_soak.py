"""A short soak: valid turns and hostile requests against the endpoint under gunicorn.

The same checks as ``python -m bench.soak`` (which sends 20,000 requests), on a few hundred:
no 5xx, no failed request at the client, the answer each kind of request must get, no
worker crash or traceback, and bounded worker memory. Nothing here is timed.
"""

from __future__ import annotations

import pytest

from bench import soak


@pytest.fixture(scope="module")
def result():
    return soak.soak(600, threads=3, warmup=150, signed_share=0.15, seed=7)


def test_every_kind_of_request_was_sent(result) -> None:
    kinds = set(result.tally.kinds)
    assert {"turn", "bad_body", "fuzz_body", "fuzz_headers", "wrong_route", "raw_http"} <= kinds
    assert result.tally.sent == 600
    assert result.tally.statuses[200] > 0


def test_no_server_errors(result) -> None:
    assert result.server_errors == 0, result.summary()


def test_no_request_failed_at_the_client(result) -> None:
    assert not result.tally.client_errors, result.summary()


def test_each_request_got_the_answer_its_kind_requires(result) -> None:
    """Valid turns: 200 with speech; known-bad requests: 4xx; oversized bodies: 413."""
    assert not result.tally.unexpected, result.tally.unexpected[:5]


def test_workers_survive_without_tracebacks(result) -> None:
    assert not result.workers_replaced
    assert not result.log_problems, result.log_problems[:5]


def test_worker_memory_stays_bounded(result) -> None:
    assert result.rss_before_kib, "no worker memory was sampled"
    assert set(result.rss_after_kib) == set(result.rss_before_kib)
    for worker, growth in result.growth_mb.items():
        assert growth < result.max_growth_mb, f"{worker} grew by {growth:.1f} MiB"
