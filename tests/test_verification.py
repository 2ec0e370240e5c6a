"""Alexa request verification: every rule refuses what it should, with a stable reason.

Certificates come from the private test PKI in ``signing.py`` and are served from memory;
nothing here touches the network. Verifiers trust only the test root, so "untrusted root"
really means untrusted.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.alexa.requests import timestamp as iso
from skill.serve import certificates, verification
from skill.serve.certificates import (
    ChainTooLargeError,
    fetch_certificate_chain,
    is_valid_cert_chain_url,
    load_pem_certificates,
)
from skill.serve.verification import (
    SIGNATURE_CERT_CHAIN_URL_HEADER,
    SIGNATURE_HEADER,
    Reason,
    RequestVerifier,
    VerificationError,
)
from tests.support.signing import APPLICATION_ID, CERT_URL_BASE, TestAlexaSigner, envelope

SIGNER = TestAlexaSigner.valid()
NOW = datetime.now(UTC).replace(microsecond=0)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class CountingFetch:
    """Serves one chain for any URL and counts downloads."""

    def __init__(self, chain_pem: bytes = SIGNER.chain_pem) -> None:
        self.chain_pem = chain_pem
        self.urls: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, url: str) -> bytes:
        with self._lock:
            self.urls.append(url)
        return self.chain_pem

    @property
    def calls(self) -> int:
        return len(self.urls)


def signed_request(
    signer: TestAlexaSigner = SIGNER, *, at: datetime = NOW, **envelope_options: Any
) -> tuple[dict[str, str], bytes, dict[str, Any]]:
    request_envelope = envelope(timestamp=iso(at), **envelope_options)
    headers, body = signer.signed(request_envelope)
    return headers, body, request_envelope


def refusal(verifier: RequestVerifier, headers, body, request_envelope) -> VerificationError:
    with pytest.raises(VerificationError) as caught:
        verifier.verify(headers, body, request_envelope)
    return caught.value


def make_verifier(signer: TestAlexaSigner = SIGNER, **overrides: Any) -> RequestVerifier:
    overrides.setdefault("clock", Clock())
    return signer.verifier(**overrides)


# --- the happy path -------------------------------------------------------------------------


def test_a_signed_request_passes() -> None:
    make_verifier(allowed_application_ids=[APPLICATION_ID]).verify(*signed_request())


def test_header_names_are_matched_case_insensitively() -> None:
    headers, body, request_envelope = signed_request()
    lowered = {name.lower(): value for name, value in headers.items()}
    make_verifier().verify(lowered, body, request_envelope)


def test_the_real_clock_is_the_default() -> None:
    """Certificates are minted around the real "now", so the default clock must pass too."""
    SIGNER.verifier().verify(*signed_request(at=datetime.now(UTC)))


@pytest.mark.parametrize(
    "timestamp",
    [
        iso(NOW),
        NOW.strftime("%Y-%m-%dT%H:%M:%S.123Z"),
        NOW.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.123456789Z"),
        NOW.astimezone(UTC).replace(tzinfo=None).isoformat(),  # no offset: read as UTC
        (NOW + timedelta(hours=2)).replace(tzinfo=None).isoformat() + "+02:00",
        iso(NOW - timedelta(seconds=150)),
        iso(NOW + timedelta(seconds=150)),
    ],
    # Named by form, not by the time: test workers collect at different moments.
    ids=["z", "millis", "nanos", "no-offset", "offset", "150s-old", "150s-ahead"],
)
def test_accepted_timestamp_forms(timestamp: str) -> None:
    request_envelope = envelope(timestamp=timestamp)
    headers, body = SIGNER.signed(request_envelope)
    make_verifier().verify(headers, body, request_envelope)


# --- headers and URL --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dropped", "reason"),
    [
        (SIGNATURE_CERT_CHAIN_URL_HEADER, Reason.SIGNATURE_CERT_CHAIN_URL_MISSING),
        (SIGNATURE_HEADER, Reason.SIGNATURE_MISSING),
    ],
)
@pytest.mark.parametrize("how", ["absent", "blank"])
def test_missing_headers_are_refused(dropped: str, reason: Reason, how: str) -> None:
    headers, body, request_envelope = signed_request()
    if how == "absent":
        del headers[dropped]
    else:
        headers[dropped] = "  "
    refused = refusal(make_verifier(), headers, body, request_envelope)
    assert (refused.status, refused.reason) == (400, reason)


def test_no_headers_at_all_is_refused() -> None:
    _, body, request_envelope = signed_request()
    refused = refusal(make_verifier(), {}, body, request_envelope)
    assert refused.reason == Reason.SIGNATURE_CERT_CHAIN_URL_MISSING


INVALID_URLS = [
    "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "ftp://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://notamazon.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem",
    "https://evil.example/s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
    "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api",
    "https://s3.amazonaws.com/echo.api/",
    "https://s3.amazonaws.com/echo.api/../invalid.pem",
    "https://s3.amazonaws.com/echo.api/./../invalid.pem",
    "https://s3.amazonaws.com/echo.api/%2e%2e/invalid.pem",
    "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:80/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:99999/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:https/echo.api/echo-api-cert.pem",
    "https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://evil.example\\@s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/echo api.pem",
    "https://[s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "//s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "not a url",
]
VALID_URLS = [
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
]


@pytest.mark.parametrize("url", INVALID_URLS)
def test_bad_certificate_urls_are_refused_before_any_download(url: str) -> None:
    fetch = CountingFetch()
    headers, body, request_envelope = signed_request()
    headers[SIGNATURE_CERT_CHAIN_URL_HEADER] = url
    refused = refusal(make_verifier(fetch=fetch), headers, body, request_envelope)
    assert (refused.status, refused.reason) == (400, Reason.SIGNATURE_CERT_CHAIN_URL_INVALID)
    assert fetch.calls == 0


@pytest.mark.parametrize("url", VALID_URLS)
def test_valid_certificate_url_variants_are_accepted(url: str) -> None:
    fetch = CountingFetch()
    headers, body, request_envelope = signed_request()
    headers[SIGNATURE_CERT_CHAIN_URL_HEADER] = url
    make_verifier(fetch=fetch).verify(headers, body, request_envelope)
    assert fetch.urls == [url]
    assert is_valid_cert_chain_url(url)


# --- the signature ----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["not base64!!", "YWJj=", "YWJjZA", "=YWJj", "YW=Jj", "ÿÿÿÿ"])
def test_a_signature_that_is_not_base64_is_refused(bad: str) -> None:
    headers, body, request_envelope = signed_request()
    headers[SIGNATURE_HEADER] = bad
    refused = refusal(make_verifier(), headers, body, request_envelope)
    assert (refused.status, refused.reason) == (400, Reason.SIGNATURE_MALFORMED)


def test_a_signature_over_a_different_body_is_refused() -> None:
    headers, body, request_envelope = signed_request()
    headers[SIGNATURE_HEADER] = SIGNER.sign(body + b" ")[SIGNATURE_HEADER]
    refused = refusal(make_verifier(), headers, body, request_envelope)
    assert (refused.status, refused.reason) == (400, Reason.SIGNATURE_INVALID)


def test_a_tampered_body_is_refused() -> None:
    headers, body, request_envelope = signed_request()
    tampered = body.replace(b"LaunchRequest", b"LaunchRequesT")
    refused = refusal(make_verifier(), headers, tampered, request_envelope)
    assert refused.reason == Reason.SIGNATURE_INVALID


def test_a_signature_of_the_wrong_length_is_refused() -> None:
    headers, body, request_envelope = signed_request()
    headers[SIGNATURE_HEADER] = base64.b64encode(b"short").decode()
    assert refusal(make_verifier(), headers, body, request_envelope).reason == (
        Reason.SIGNATURE_INVALID
    )


# --- the certificate chain --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signer", "reason"),
    [
        (TestAlexaSigner.expired(), Reason.CERTIFICATE_EXPIRED),
        (TestAlexaSigner.not_yet_valid(), Reason.CERTIFICATE_NOT_YET_VALID),
        (TestAlexaSigner.wrong_san(), Reason.CERTIFICATE_SUBJECT_MISMATCH),
        (TestAlexaSigner.no_san(), Reason.CERTIFICATE_SUBJECT_MISMATCH),
        (TestAlexaSigner.ec_key(), Reason.CERTIFICATE_KEY_UNSUPPORTED),
        (TestAlexaSigner.untrusted(), Reason.CERTIFICATE_CHAIN_UNTRUSTED),
    ],
    ids=["expired", "not-yet-valid", "wrong-san", "no-san", "ec-key", "untrusted-root"],
)
def test_bad_certificates_are_refused(signer: TestAlexaSigner, reason: Reason) -> None:
    refused = refusal(make_verifier(signer), *signed_request(signer))
    assert (refused.status, refused.reason) == (400, reason)


def test_the_test_root_is_not_trusted_by_default() -> None:
    """With certifi's roots only, our private test chain must not verify."""
    verifier = RequestVerifier(fetch=SIGNER.fetch, clock=Clock())
    assert refusal(verifier, *signed_request()).reason == Reason.CERTIFICATE_CHAIN_UNTRUSTED


def test_a_chain_missing_its_intermediate_is_refused() -> None:
    leaf_only = CountingFetch(
        SIGNER.chain_pem.split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
    )
    refused = refusal(make_verifier(fetch=leaf_only), *signed_request())
    assert refused.reason == Reason.CERTIFICATE_CHAIN_UNTRUSTED


def test_extra_roots_may_be_given_as_a_path_or_text(tmp_path) -> None:
    root_file = tmp_path / "root.pem"
    root_file.write_bytes(SIGNER.root_pem)
    for source in (root_file, str(root_file), SIGNER.root_pem.decode()):
        make_verifier(extra_ca_pem=source).verify(*signed_request())


def test_an_unparsable_extra_bundle_fails_at_start_up() -> None:
    with pytest.raises(ValueError):
        RequestVerifier(extra_ca_pem=b"no certificates here", trust_default_roots=False)


def test_a_bundle_with_one_bad_block_keeps_the_others_when_lenient() -> None:
    broken = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    assert load_pem_certificates(broken + SIGNER.root_pem, strict=False) == [SIGNER.root]
    with pytest.raises(ValueError):
        load_pem_certificates(broken + SIGNER.root_pem)


@pytest.mark.parametrize(
    "options", [{"timestamp_tolerance": -1}, {"cache_size": -1}, {"max_chain_bytes": 0}]
)
def test_nonsense_limits_fail_at_start_up(options: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        RequestVerifier(verify_signature=False, **options)


def test_a_verifier_without_roots_cannot_be_built() -> None:
    with pytest.raises(ValueError):
        RequestVerifier(trust_default_roots=False)
    RequestVerifier(trust_default_roots=False, verify_signature=False)


# --- downloading ------------------------------------------------------------------------------


def _raise(error: Exception) -> Callable[[str], bytes]:
    def fetch(url: str) -> bytes:
        raise error

    return fetch


@pytest.mark.parametrize(
    ("fetch", "reason"),
    [
        (_raise(requests.ConnectionError("no route")), Reason.CERTIFICATE_CHAIN_UNAVAILABLE),
        (_raise(TimeoutError()), Reason.CERTIFICATE_CHAIN_UNAVAILABLE),
        (_raise(ChainTooLargeError("big")), Reason.CERTIFICATE_CHAIN_TOO_LARGE),
        (lambda url: b"-" * (64 * 1024 + 1), Reason.CERTIFICATE_CHAIN_TOO_LARGE),
        (lambda url: "a str, not bytes", Reason.CERTIFICATE_CHAIN_UNAVAILABLE),
        (lambda url: b"<html>Access denied</html>", Reason.CERTIFICATE_CHAIN_MALFORMED),
        (
            lambda url: b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            Reason.CERTIFICATE_CHAIN_MALFORMED,
        ),
    ],
    ids=["exception", "timeout", "too-large-error", "oversized", "not-bytes", "html", "bad-der"],
)
def test_download_failures_are_refused(fetch: Callable[[str], bytes], reason: Reason) -> None:
    refused = refusal(make_verifier(fetch=fetch), *signed_request())
    assert (refused.status, refused.reason) == (400, reason)


class FakeResponse:
    """Just enough of ``requests.Response`` for the default fetch."""

    def __init__(self, chunks: list[bytes], status: int = 200, length: str | None = None) -> None:
        self.chunks = chunks
        self.status_code = status
        self.headers = {} if length is None else {"Content-Length": length}

    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def iter_content(self, chunk_size: int) -> list[bytes]:
        return self.chunks


@pytest.fixture
def fake_get(monkeypatch):
    """Replace ``requests.get``; returns the list of calls and a slot for the response."""
    calls: list[tuple[str, dict[str, Any]]] = []
    response: dict[str, FakeResponse] = {}

    def get(url: str, **options: Any) -> FakeResponse:
        calls.append((url, options))
        return response["next"]

    monkeypatch.setattr(requests, "get", get)
    return calls, response


def test_the_default_fetch_streams_without_redirects_and_with_timeouts(fake_get) -> None:
    calls, response = fake_get
    response["next"] = FakeResponse([SIGNER.chain_pem[:100], SIGNER.chain_pem[100:]])
    assert fetch_certificate_chain(SIGNER.cert_url) == SIGNER.chain_pem
    [(url, options)] = calls
    assert url == SIGNER.cert_url
    assert options["stream"] is True
    assert options["allow_redirects"] is False
    assert options["timeout"] == certificates.FETCH_TIMEOUT


def test_the_default_fetch_is_what_a_verifier_uses_when_given_none(fake_get) -> None:
    _, response = fake_get
    response["next"] = FakeResponse([SIGNER.chain_pem])
    verifier = RequestVerifier(
        extra_ca_pem=SIGNER.root_pem, trust_default_roots=False, clock=Clock()
    )
    verifier.verify(*signed_request())


def test_the_default_fetch_gives_up_on_a_trickle(fake_get, monkeypatch) -> None:
    fake_get[1]["next"] = FakeResponse([b"x", b"y"])
    monkeypatch.setattr(certificates, "FETCH_DEADLINE_SECONDS", -1.0)
    with pytest.raises(TimeoutError):
        fetch_certificate_chain(SIGNER.cert_url)


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (FakeResponse([b"x" * 10], length=str(64 * 1024 + 1)), ChainTooLargeError),
        (FakeResponse([b"x" * 40_000, b"x" * 40_000]), ChainTooLargeError),
        (FakeResponse([b"gone"], status=404), OSError),
        (FakeResponse([b"moved"], status=301), OSError),
    ],
    ids=["declared-too-large", "streamed-too-large", "404", "redirect"],
)
def test_the_default_fetch_refuses_bad_downloads(fake_get, response, error) -> None:
    fake_get[1]["next"] = response
    with pytest.raises(error):
        fetch_certificate_chain(SIGNER.cert_url)
    verifier = RequestVerifier(extra_ca_pem=SIGNER.root_pem, trust_default_roots=False)
    with pytest.raises(VerificationError) as caught:
        verifier.verify(*signed_request(at=datetime.now(UTC)))
    assert caught.value.status == 400
    assert caught.value.reason in (
        Reason.CERTIFICATE_CHAIN_TOO_LARGE,
        Reason.CERTIFICATE_CHAIN_UNAVAILABLE,
    )


# --- the cache --------------------------------------------------------------------------------


def test_a_validated_chain_is_downloaded_once() -> None:
    fetch = CountingFetch()
    verifier = make_verifier(fetch=fetch)
    verifier.verify(*signed_request())
    verifier.verify(*signed_request(application_id="another skill, same chain"))
    assert fetch.calls == 1


def test_a_refused_chain_is_remembered_briefly_then_fetched_again() -> None:
    signer = TestAlexaSigner.wrong_san()
    fetch = CountingFetch(signer.chain_pem)
    verifier = make_verifier(signer, fetch=fetch)
    for _ in range(3):
        assert refusal(verifier, *signed_request(signer)).reason == "certificate_subject_mismatch"
    assert fetch.calls == 1  # one download for three requests
    forgetful = make_verifier(signer, fetch=fetch, failure_ttl=0)
    for _ in range(2):
        refusal(forgetful, *signed_request(signer))
    assert fetch.calls == 3  # past its time, a refusal is tried again


def test_a_stalled_host_is_not_asked_again_by_every_request() -> None:
    """Before: each request naming a new certificate URL held a worker for a whole fetch."""
    calls = []

    def stalled(url: str) -> bytes:
        calls.append(url)
        raise TimeoutError("the host did not answer")

    verifier = make_verifier(fetch=stalled)
    for number in range(5):
        headers, body, request_envelope = signed_request()
        headers = {**headers, "SignatureCertChainUrl": f"{CERT_URL_BASE}cert-{number}.pem"}
        assert refusal(verifier, headers, body, request_envelope).reason == (
            "certificate_chain_unavailable"
        )
    assert len(calls) == 1


def test_a_missing_chain_does_not_block_other_urls() -> None:
    signer = TestAlexaSigner.valid()
    calls = []

    def fetch(url: str) -> bytes:
        calls.append(url)
        if url != signer.cert_url:
            raise OSError("HTTP status 404")
        return signer.chain_pem

    verifier = make_verifier(signer, fetch=fetch)
    headers, body, request_envelope = signed_request(signer)
    wrong = {**headers, "SignatureCertChainUrl": f"{CERT_URL_BASE}no-such.pem"}
    refusal(verifier, wrong, body, request_envelope)
    verifier.verify(headers, body, request_envelope)  # the real URL is still fetched
    assert len(calls) == 2


def test_downloads_in_flight_are_bounded() -> None:
    from skill.serve.verification import MAX_FETCHES_IN_FLIGHT

    started, release = threading.Semaphore(0), threading.Event()
    in_flight, most = [0], [0]
    lock = threading.Lock()

    def slow(url: str) -> bytes:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        started.release()
        release.wait(10)
        with lock:
            in_flight[0] -= 1
        raise TimeoutError("stalled")

    def request_for(number: int) -> tuple[dict[str, str], bytes, dict[str, Any]]:
        headers, body, request_envelope = signed_request()
        headers = {**headers, "SignatureCertChainUrl": f"{CERT_URL_BASE}cert-{number}.pem"}
        return headers, body, request_envelope

    verifier = make_verifier(fetch=slow)
    threads = [
        threading.Thread(target=refusal, args=(verifier, *request_for(number)))
        for number in range(MAX_FETCHES_IN_FLIGHT)
    ]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert started.acquire(timeout=10)
    # Every slot is taken: a request with yet another URL is refused without a download.
    extra = refusal(verifier, *request_for(99))
    assert extra.reason == "certificate_chain_unavailable" and "under way" in extra.detail
    release.set()
    for thread in threads:
        thread.join(10)
    assert most[0] == MAX_FETCHES_IN_FLIGHT


def test_the_cache_is_bounded_and_least_recently_used() -> None:
    fetch = CountingFetch()
    verifier = make_verifier(fetch=fetch, cache_size=2)
    urls = [f"https://s3.amazonaws.com/echo.api/cert-{n}.pem" for n in range(3)]

    def verify(url: str) -> None:
        headers, body, request_envelope = signed_request()
        headers[SIGNATURE_CERT_CHAIN_URL_HEADER] = url
        verifier.verify(headers, body, request_envelope)

    for url in [urls[0], urls[1], urls[0], urls[2]]:  # cert-1 is now the oldest, and evicted
        verify(url)
    assert fetch.calls == 3
    verify(urls[0])
    verify(urls[2])
    assert fetch.calls == 3
    verify(urls[1])
    assert fetch.urls[-1] == urls[1]
    assert fetch.calls == 4


def test_a_zero_sized_cache_downloads_every_time() -> None:
    fetch = CountingFetch()
    verifier = make_verifier(fetch=fetch, cache_size=0)
    verifier.verify(*signed_request())
    verifier.verify(*signed_request())
    assert fetch.calls == 2


def test_a_cached_chain_is_not_used_past_the_leaf_expiry() -> None:
    clock = Clock()
    fetch = CountingFetch()
    verifier = make_verifier(fetch=fetch, clock=clock)
    verifier.verify(*signed_request())
    expiry = SIGNER.leaf.not_valid_after_utc
    clock.now = expiry  # the last valid instant: still served from the cache
    verifier.verify(*signed_request(at=clock.now))
    assert fetch.calls == 1
    clock.now = expiry + timedelta(seconds=1)
    refused = refusal(verifier, *signed_request(at=clock.now))
    assert refused.reason == Reason.CERTIFICATE_EXPIRED
    assert fetch.calls == 2


def test_clear_cache_forces_a_new_download() -> None:
    fetch = CountingFetch()
    verifier = make_verifier(fetch=fetch)
    verifier.verify(*signed_request())
    verifier.clear_cache()
    verifier.verify(*signed_request())
    assert fetch.calls == 2


def test_concurrent_requests_share_the_cache() -> None:
    fetch = CountingFetch()
    verifier = make_verifier(fetch=fetch, cache_size=4)
    request = signed_request()
    verifier.verify(*request)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: verifier.verify(*request), range(200)))
    assert fetch.calls == 1


# --- the timestamp ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (NOW - timedelta(seconds=151), Reason.TIMESTAMP_TOO_OLD),
        (NOW - timedelta(days=3), Reason.TIMESTAMP_TOO_OLD),
        (NOW + timedelta(seconds=151), Reason.TIMESTAMP_IN_FUTURE),
        (NOW + timedelta(hours=1), Reason.TIMESTAMP_IN_FUTURE),
    ],
)
def test_stale_and_future_timestamps_are_refused(moment: datetime, reason: Reason) -> None:
    refused = refusal(make_verifier(), *signed_request(at=moment))
    assert (refused.status, refused.reason) == (400, reason)


def test_the_tolerance_is_configurable() -> None:
    verifier = make_verifier(timestamp_tolerance=10)
    assert refusal(verifier, *signed_request(at=NOW - timedelta(seconds=11))).reason == (
        Reason.TIMESTAMP_TOO_OLD
    )


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [
        (None, Reason.TIMESTAMP_MISSING),
        (1764054000000, Reason.TIMESTAMP_INVALID),
        (["2026-11-25T07:00:00Z"], Reason.TIMESTAMP_INVALID),
        ("yesterday", Reason.TIMESTAMP_INVALID),
        ("", Reason.TIMESTAMP_INVALID),
        ("2026-13-45T99:00:00Z", Reason.TIMESTAMP_INVALID),
        ("0001-01-01T00:00:00+01:00", Reason.TIMESTAMP_TOO_OLD),
        ("9999-12-31T23:59:59-23:59", Reason.TIMESTAMP_IN_FUTURE),
        ("2" * 10_000, Reason.TIMESTAMP_INVALID),
    ],
)
def test_missing_unparsable_and_extreme_timestamps_are_refused(
    timestamp: Any, reason: Reason
) -> None:
    request_envelope = envelope()
    if timestamp is None:
        del request_envelope["request"]["timestamp"]
    else:
        request_envelope["request"]["timestamp"] = timestamp
    headers, body = SIGNER.signed(request_envelope)
    refused = refusal(make_verifier(), headers, body, request_envelope)
    assert (refused.status, refused.reason) == (400, reason)


# --- the application id -----------------------------------------------------------------------


def test_a_request_for_another_skill_is_forbidden() -> None:
    verifier = make_verifier(allowed_application_ids={"amzn1.ask.skill.ours"})
    refused = refusal(verifier, *signed_request())
    assert (refused.status, refused.reason) == (403, Reason.APPLICATION_ID_MISMATCH)


def test_the_application_id_is_not_checked_when_none_is_configured() -> None:
    make_verifier().verify(*signed_request(application_id="amzn1.ask.skill.anyone"))


def test_the_application_id_falls_back_to_the_session() -> None:
    headers, body, request_envelope = signed_request()
    del request_envelope["context"]
    make_verifier(allowed_application_ids=[APPLICATION_ID]).verify(headers, body, request_envelope)


def test_context_wins_over_the_session() -> None:
    headers, body, request_envelope = signed_request()
    request_envelope["session"]["application"]["applicationId"] = "amzn1.ask.skill.other"
    make_verifier(allowed_application_ids=[APPLICATION_ID]).verify(headers, body, request_envelope)


def _without_sections(request_envelope: dict) -> None:
    del request_envelope["context"], request_envelope["session"]


def _sections_of_the_wrong_type(request_envelope: dict) -> None:
    request_envelope.update(context=[], session="x")


def _ids_that_are_not_strings(request_envelope: dict) -> None:
    request_envelope["context"]["System"]["application"]["applicationId"] = 42
    request_envelope["session"]["application"]["applicationId"] = None


@pytest.mark.parametrize("verify_signature", [True, False])
@pytest.mark.parametrize(
    "mangle", [_without_sections, _sections_of_the_wrong_type, _ids_that_are_not_strings]
)
def test_a_missing_application_id_is_refused(verify_signature: bool, mangle) -> None:
    headers, body, request_envelope = signed_request()
    mangle(request_envelope)
    verifier = make_verifier(
        allowed_application_ids=[APPLICATION_ID], verify_signature=verify_signature
    )
    refused = refusal(verifier, headers, body, request_envelope)
    assert (refused.status, refused.reason) == (400, Reason.APPLICATION_ID_MISSING)


def test_without_signature_checks_only_the_application_id_is_checked() -> None:
    verifier = RequestVerifier(
        verify_signature=False,
        allowed_application_ids=[APPLICATION_ID],
        trust_default_roots=False,
        fetch=_raise(AssertionError("must not download")),
    )
    stale = envelope(timestamp="1999-01-01T00:00:00Z")
    verifier.verify({}, b"not even the same body", stale)
    refused = refusal(verifier, {}, b"", envelope(application_id="amzn1.ask.skill.other"))
    assert (refused.status, refused.reason) == (403, Reason.APPLICATION_ID_MISMATCH)


def test_one_string_of_application_ids_is_a_mistake() -> None:
    with pytest.raises(TypeError):
        RequestVerifier(allowed_application_ids=APPLICATION_ID, verify_signature=False)


# --- malformed envelopes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_envelope",
    [[], "a string", None, {"request": []}, {"request": "LaunchRequest"}, {}],
    ids=["list", "str", "null", "request-list", "request-str", "no-request"],
)
def test_malformed_envelopes_are_refused(request_envelope: Any) -> None:
    headers, body, _ = signed_request()
    refused = refusal(make_verifier(), headers, body, request_envelope)
    assert (refused.status, refused.reason) == (400, Reason.ENVELOPE_INVALID)


# --- the error itself and the log -------------------------------------------------------------


def test_refusals_are_logged_once_without_the_body_or_user(caplog) -> None:
    headers, body, request_envelope = signed_request()
    headers[SIGNATURE_HEADER] = SIGNER.sign(b"other")[SIGNATURE_HEADER]
    with caplog.at_level(logging.INFO, logger="skill.verification"):
        refusal(make_verifier(), headers, body, request_envelope)
    [record] = [r for r in caplog.records if r.name == "skill.verification"]
    assert record.levelno == logging.WARNING
    assert "signature_invalid" in record.getMessage()
    assert "TESTUSER" not in caplog.text
    assert "LaunchRequest" not in caplog.text


def test_errors_carry_reason_status_and_a_safe_message() -> None:
    refused = refusal(make_verifier(), *signed_request(at=NOW - timedelta(hours=1)))
    assert refused.reason == "timestamp_too_old"
    assert json.dumps({"reason": refused.reason}) == '{"reason": "timestamp_too_old"}'
    assert refused.message == "The request timestamp is more than 150 seconds old."
    assert str(refused) == "timestamp_too_old: The request timestamp is more than 150 seconds old."


def test_the_reason_vocabulary_is_documented() -> None:
    for reason in Reason:
        assert reason.value in verification.__doc__


# --- anything at all only ever raises VerificationError ---------------------------------------

_GOOD_BODY = json.dumps(envelope(timestamp=iso(NOW))).encode()
_GOOD_HEADERS = SIGNER.sign(_GOOD_BODY)
_HEADER_NAMES = st.sampled_from(
    [
        SIGNATURE_CERT_CHAIN_URL_HEADER,
        SIGNATURE_HEADER,
        SIGNATURE_CERT_CHAIN_URL_HEADER.lower(),
        SIGNATURE_HEADER.upper(),
    ]
)
_HEADER_VALUES = st.one_of(
    st.sampled_from([*_GOOD_HEADERS.values(), *VALID_URLS, *INVALID_URLS]),
    st.text(max_size=80),
    st.binary(max_size=40).map(lambda raw: base64.b64encode(raw).decode()),
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
_SECTION_KEYS = st.sampled_from(["request", "context", "session", "System", "application"])


@st.composite
def _envelopes(draw: st.DrawFn) -> Any:
    if draw(st.booleans()):
        return draw(_JSON)
    base = copy.deepcopy(envelope(timestamp=iso(NOW)))
    for _ in range(draw(st.integers(0, 3))):
        section = draw(st.sampled_from(["request", "context", "session"]))
        target = base if draw(st.booleans()) else base.get(section)
        key = draw(st.one_of(_SECTION_KEYS, st.sampled_from(["timestamp", "applicationId"])))
        if isinstance(target, dict):
            target[key] = draw(_JSON | st.sampled_from([iso(NOW), APPLICATION_ID]))
    return base


_FUZZ_VERIFIERS = [
    make_verifier(),
    make_verifier(allowed_application_ids=[APPLICATION_ID]),
    make_verifier(fetch=_raise(OSError("down")), cache_size=0),
    make_verifier(fetch=lambda url: b"garbage", cache_size=0),
    make_verifier(fetch=CountingFetch(), allowed_application_ids=["x"]),
    RequestVerifier(verify_signature=False, allowed_application_ids=[APPLICATION_ID]),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    verifier=st.sampled_from(_FUZZ_VERIFIERS),
    headers=st.dictionaries(_HEADER_NAMES | st.text(max_size=10), _HEADER_VALUES, max_size=4),
    body=st.sampled_from([_GOOD_BODY]) | st.binary(max_size=200),
    request_envelope=_envelopes(),
)
def test_anything_is_either_accepted_or_refused_cleanly(
    verifier: RequestVerifier, headers: dict[str, str], body: bytes, request_envelope: Any
) -> None:
    try:
        verifier.verify(headers, body, request_envelope)
    except VerificationError as refused:
        assert refused.reason in set(Reason)
        assert refused.status in (400, 403)
        assert refused.message and "\n" not in refused.message
