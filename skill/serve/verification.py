"""Alexa web-service request verification, written on the ``cryptography`` package.

A skill hosted as a web service must prove to itself that each request really comes from
Alexa. Amazon's own helpers (ask-sdk-webservice-support, flask-ask-sdk) do this through
oscrypto, which crashes on OpenSSL >= 3.0.10, so the rules are implemented here instead:
https://developer.amazon.com/en-US/docs/alexa/custom-skills/host-a-custom-skill-as-a-web-service.html

1. ``SignatureCertChainUrl`` must be ``https://s3.amazonaws.com[:443]/echo.api/...`` (scheme
   and host case-insensitive, path checked after resolving ``.``/``..``). Anything else is
   refused before any download, so the header cannot make us fetch from elsewhere.
2. The PEM chain behind that URL (leaf first) is downloaded with short timeouts and a size
   cap, and validated with ``cryptography.x509.verification`` to a trusted root, for the
   name ``echo-api.amazon.com``. Validated chains are cached per URL (LRU, thread-safe) and
   an entry is never used outside the validity window of the chain it was built from. A
   refused chain is remembered for ``FAILURE_TTL`` seconds (the same refusal, no new
   download); so is a host that did not answer (every URL is on the one host, so for that
   while no URL starts a download); and at most ``MAX_FETCHES_IN_FLIGHT`` downloads run at
   once per process (beyond that a new URL is refused at once, as unavailable).
3. ``Signature-256`` is the base64 RSA PKCS#1 v1.5 SHA-256 signature of the raw body bytes,
   checked with the leaf's public key.
4. ``request.timestamp`` must be within ``timestamp_tolerance`` seconds (150) of now, in
   both directions, so a captured request cannot be replayed later.
5. The envelope's application id must be one of the allowed ids, when any are configured.

With ``verify_signature=False`` (local development only) steps 1-4 are skipped and only the
application id is checked.

Every refusal is a :class:`VerificationError` whose ``reason`` is one of :class:`Reason`:

==================================  ======  ==============================================
reason                              status  meaning
==================================  ======  ==============================================
envelope_invalid                    400     envelope (or its ``request``) is not an object
signature_cert_chain_url_missing    400     no ``SignatureCertChainUrl`` header
signature_cert_chain_url_invalid    400     that URL breaks Amazon's rules (step 1)
signature_missing                   400     no ``Signature-256`` header
signature_malformed                 400     ``Signature-256`` is not valid base64
timestamp_missing                   400     no ``request.timestamp``
timestamp_invalid                   400     timestamp is not an ISO 8601 string
timestamp_too_old                   400     timestamp older than the tolerance
timestamp_in_future                 400     timestamp further ahead than the tolerance
certificate_chain_unavailable       400     the chain could not be downloaded
certificate_chain_too_large         400     the chain is bigger than the size cap
certificate_chain_malformed         400     the download holds no parsable PEM certificate
certificate_not_yet_valid           400     leaf certificate not valid yet
certificate_expired                 400     leaf certificate expired
certificate_subject_mismatch        400     leaf SAN lacks ``echo-api.amazon.com``
certificate_chain_untrusted         400     chain does not verify to a trusted root
certificate_key_unsupported         400     leaf key is not an RSA key
signature_invalid                   400     signature does not match the body
application_id_missing              400     no application id in the envelope
application_id_mismatch             403     application id not among the allowed ones
==================================  ======  ==============================================

The vocabulary is stable: clients and dashboards may match on it.
"""

from __future__ import annotations

import binascii
import functools
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import DNSName, PolicyBuilder, Store
from cryptography.x509.verification import VerificationError as ChainVerificationError

from skill.serve.certificates import (
    ALEXA_CERT_SUBJECT,
    MAX_CHAIN_BYTES,
    ChainCache,
    ChainTooLargeError,
    FailureCache,
    TrustedChain,
    default_roots,
    dns_names,
    fetch_certificate_chain,
    is_valid_cert_chain_url,
    load_pem_certificates,
    read_pem,
)

log = logging.getLogger("skill.verification")

SIGNATURE_CERT_CHAIN_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"
DEFAULT_TIMESTAMP_TOLERANCE = 150
DEFAULT_CACHE_SIZE = 64
# How long a refused certificate URL keeps its refusal, without a new download.
FAILURE_TTL = 10.0
# The failure cache's key for "the certificate host is not answering".
_STALLED_HOST = "host"
# Downloads under way at once in one process; Alexa itself uses one URL at a time.
MAX_FETCHES_IN_FLIGHT = 2


class Reason(StrEnum):
    """Why a request was refused; a ``str``, so it serialises as itself. See the module doc."""

    ENVELOPE_INVALID = "envelope_invalid"
    SIGNATURE_CERT_CHAIN_URL_MISSING = "signature_cert_chain_url_missing"
    SIGNATURE_CERT_CHAIN_URL_INVALID = "signature_cert_chain_url_invalid"
    SIGNATURE_MISSING = "signature_missing"
    SIGNATURE_MALFORMED = "signature_malformed"
    TIMESTAMP_MISSING = "timestamp_missing"
    TIMESTAMP_INVALID = "timestamp_invalid"
    TIMESTAMP_TOO_OLD = "timestamp_too_old"
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    CERTIFICATE_CHAIN_UNAVAILABLE = "certificate_chain_unavailable"
    CERTIFICATE_CHAIN_TOO_LARGE = "certificate_chain_too_large"
    CERTIFICATE_CHAIN_MALFORMED = "certificate_chain_malformed"
    CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_SUBJECT_MISMATCH = "certificate_subject_mismatch"
    CERTIFICATE_CHAIN_UNTRUSTED = "certificate_chain_untrusted"
    CERTIFICATE_KEY_UNSUPPORTED = "certificate_key_unsupported"
    SIGNATURE_INVALID = "signature_invalid"
    APPLICATION_ID_MISSING = "application_id_missing"
    APPLICATION_ID_MISMATCH = "application_id_mismatch"


class VerificationError(Exception):
    """A refused request: ``reason`` and ``message`` are safe to send back to the caller.

    ``detail`` is for the log only (it may quote what the caller sent or what a library
    said); it never holds the body or user ids.
    """

    def __init__(
        self, reason: Reason, message: str, *, status: int = 400, detail: str = ""
    ) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.status: int = status
        self.message: str = message
        self.detail: str = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header value, matched case-insensitively; blank or non-text values count as absent."""
    value: object = headers.get(name)
    if value is None:
        wanted = name.lower()
        for key, candidate in headers.items():
            if isinstance(key, str) and key.lower() == wanted:
                value = candidate
                break
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _text_at(data: object, *path: str) -> str | None:
    """The string at ``data[path[0]][path[1]]...``, or None if any step is missing or mistyped."""
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data if isinstance(data, str) else None


def _application_id(envelope: Mapping[str, Any]) -> str | None:
    """``context.System`` is where Alexa always puts it; ``session`` is absent for some requests."""
    return _text_at(envelope, "context", "System", "application", "applicationId") or _text_at(
        envelope, "session", "application", "applicationId"
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RequestVerifier:
    """Checks that a request comes from Alexa, is fresh, and is meant for this skill.

    ``extra_ca_pem`` adds trusted roots (PEM bytes, PEM text, or a path to a PEM file);
    with ``trust_default_roots=False`` they are the only roots, which is what tests want.
    ``fetch`` downloads a chain given its URL (default :func:`fetch_certificate_chain`);
    ``clock`` returns the current time as an aware datetime (naive values are read as UTC).
    The instance is thread-safe and meant to live as long as the application.
    """

    def __init__(
        self,
        *,
        verify_signature: bool = True,
        allowed_application_ids: Iterable[str] = (),
        extra_ca_pem: bytes | str | os.PathLike[str] | None = None,
        trust_default_roots: bool = True,
        fetch: Callable[[str], bytes] | None = None,
        clock: Callable[[], datetime] | None = None,
        timestamp_tolerance: int = DEFAULT_TIMESTAMP_TOLERANCE,
        cache_size: int = DEFAULT_CACHE_SIZE,
        max_chain_bytes: int = MAX_CHAIN_BYTES,
        failure_ttl: float = FAILURE_TTL,
    ) -> None:
        if isinstance(allowed_application_ids, str):
            raise TypeError("allowed_application_ids must be a collection of ids, not one string")
        if timestamp_tolerance < 0 or cache_size < 0 or max_chain_bytes <= 0:
            raise ValueError("timestamp_tolerance and cache_size must be >= 0, max_chain_bytes > 0")
        self.verify_signature = verify_signature
        self.allowed_application_ids = frozenset(allowed_application_ids)
        self._fetch = fetch or functools.partial(fetch_certificate_chain, max_bytes=max_chain_bytes)
        self._clock = clock or _utc_now
        self._tolerance = timestamp_tolerance
        self._max_chain_bytes = max_chain_bytes
        self._cache = ChainCache(cache_size)
        self._failures = FailureCache(failure_ttl)
        self._fetch_slots = threading.BoundedSemaphore(MAX_FETCHES_IN_FLIGHT)

        roots: list[x509.Certificate] = []
        if trust_default_roots:
            roots.extend(default_roots())
        if extra_ca_pem is not None:
            roots.extend(load_pem_certificates(read_pem(extra_ca_pem)))
        if verify_signature and not roots:
            raise ValueError("no trusted roots: pass extra_ca_pem or keep trust_default_roots")
        self._store = Store(roots) if roots else None

    def clear_cache(self) -> None:
        """Forget every validated and refused chain (for tests, or after changing trust)."""
        self._cache.clear()
        self._failures.clear()

    def verify(self, headers: Mapping[str, str], body: bytes, envelope: Mapping[str, Any]) -> None:
        """Raise :class:`VerificationError` unless the request passes every check.

        ``body`` is the raw request body, exactly as received; ``envelope`` is that body
        parsed as JSON. The application id is checked last, once the envelope it comes
        from is known to be authentic.
        """
        try:
            if not isinstance(envelope, Mapping):
                raise VerificationError(
                    Reason.ENVELOPE_INVALID, "The request body must be a JSON object."
                )
            if self.verify_signature:
                self._check_authenticity(headers, body, envelope)
            self._check_application_id(envelope)
        except VerificationError as refused:
            log.warning(
                "refused an Alexa request: %s (status %s)%s",
                refused.reason,
                refused.status,
                f": {refused.detail}" if refused.detail else "",
            )
            raise

    def _check_authenticity(
        self, headers: Mapping[str, str], body: bytes, envelope: Mapping[str, Any]
    ) -> None:
        """Steps 1-4; the cheap local checks come before any download."""
        url = _header(headers, SIGNATURE_CERT_CHAIN_URL_HEADER)
        if url is None:
            raise VerificationError(
                Reason.SIGNATURE_CERT_CHAIN_URL_MISSING,
                f"The {SIGNATURE_CERT_CHAIN_URL_HEADER} header is missing.",
            )
        encoded_signature = _header(headers, SIGNATURE_HEADER)
        if encoded_signature is None:
            raise VerificationError(
                Reason.SIGNATURE_MISSING, f"The {SIGNATURE_HEADER} header is missing."
            )
        if not is_valid_cert_chain_url(url):
            raise VerificationError(
                Reason.SIGNATURE_CERT_CHAIN_URL_INVALID,
                f"The {SIGNATURE_CERT_CHAIN_URL_HEADER} header is not an Amazon certificate URL.",
                detail=repr(url[:200]),
            )
        try:
            # Strict mode refuses misplaced padding, which b64decode allows; it still lets
            # a stray "=" after a full quantum through, hence the length check.
            if len(encoded_signature) % 4:
                raise binascii.Error("length is not a multiple of 4")
            signature = binascii.a2b_base64(encoded_signature, strict_mode=True)
        except (binascii.Error, ValueError):
            raise VerificationError(
                Reason.SIGNATURE_MALFORMED, f"The {SIGNATURE_HEADER} header is not valid base64."
            ) from None
        now = self._now()
        self._check_timestamp(envelope, now)
        chain = self._trusted_chain(url, now)
        try:
            chain.public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise VerificationError(
                Reason.SIGNATURE_INVALID, "The request signature does not match its body."
            ) from None

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo is not None else now.replace(tzinfo=UTC)

    def _check_timestamp(self, envelope: Mapping[str, Any], now: datetime) -> None:
        request = envelope.get("request")
        if not isinstance(request, Mapping):
            raise VerificationError(
                Reason.ENVELOPE_INVALID, "The request envelope has no request object."
            )
        raw = request.get("timestamp")
        if raw is None:
            raise VerificationError(Reason.TIMESTAMP_MISSING, "The request has no timestamp.")
        try:
            if not isinstance(raw, str) or len(raw) > 64:
                raise ValueError("not a short string")
            moment = datetime.fromisoformat(raw)
            if moment.tzinfo is None:  # Alexa's timestamps are UTC
                moment = moment.replace(tzinfo=UTC)
            age = (now - moment).total_seconds()
        except (ValueError, OverflowError):
            raise VerificationError(
                Reason.TIMESTAMP_INVALID, "The request timestamp is not an ISO 8601 date and time."
            ) from None
        if age > self._tolerance:
            raise VerificationError(
                Reason.TIMESTAMP_TOO_OLD,
                f"The request timestamp is more than {self._tolerance} seconds old.",
                detail=f"age {age:.0f} s",
            )
        if age < -self._tolerance:
            raise VerificationError(
                Reason.TIMESTAMP_IN_FUTURE,
                f"The request timestamp is more than {self._tolerance} seconds in the future.",
                detail=f"ahead by {-age:.0f} s",
            )

    def _trusted_chain(self, url: str, now: datetime) -> TrustedChain:
        cached = self._cache.get(url, now)
        if cached is not None:
            return cached
        refused = self._failures.get(url) or self._failures.get(_STALLED_HOST)
        if isinstance(refused, VerificationError):
            raise VerificationError(
                refused.reason, refused.message, status=refused.status, detail="refused lately"
            )
        if not self._fetch_slots.acquire(blocking=False):
            raise VerificationError(
                Reason.CERTIFICATE_CHAIN_UNAVAILABLE,
                "The signing certificate chain could not be downloaded.",
                detail=f"{MAX_FETCHES_IN_FLIGHT} downloads already under way",
            )
        try:
            chain = self._validate(self._download(url), now)
        except VerificationError as refusal:
            self._failures.put(url, refusal)
            raise
        finally:
            self._fetch_slots.release()
        self._cache.put(url, chain)
        return chain

    def _download(self, url: str) -> bytes:
        try:
            data = self._fetch(url)
        except ChainTooLargeError as error:
            raise VerificationError(
                Reason.CERTIFICATE_CHAIN_TOO_LARGE,
                "The signing certificate chain is too large.",
                detail=str(error),
            ) from None
        except Exception as error:  # a pluggable fetch may fail in any way; all mean "no chain"
            refusal = VerificationError(
                Reason.CERTIFICATE_CHAIN_UNAVAILABLE,
                "The signing certificate chain could not be downloaded.",
                detail=f"{type(error).__name__}: {error}"[:300],
            )
            if isinstance(error, TimeoutError):  # certificates.HostUnreachable included
                self._failures.put(_STALLED_HOST, refusal)
            raise refusal from None
        if not isinstance(data, bytes | bytearray):
            raise VerificationError(
                Reason.CERTIFICATE_CHAIN_UNAVAILABLE,
                "The signing certificate chain could not be downloaded.",
                detail=f"fetch returned {type(data).__name__}",
            )
        if len(data) > self._max_chain_bytes:
            raise VerificationError(
                Reason.CERTIFICATE_CHAIN_TOO_LARGE,
                "The signing certificate chain is too large.",
                detail=f"{len(data)} bytes",
            )
        return bytes(data)

    def _validate(self, pem: bytes, now: datetime) -> TrustedChain:
        """Leaf checks first, so the common failures get a precise reason."""
        try:
            leaf, *intermediates = load_pem_certificates(pem)
            san_names = dns_names(leaf)
        except ValueError as error:
            raise VerificationError(
                Reason.CERTIFICATE_CHAIN_MALFORMED,
                "The signing certificate chain could not be parsed.",
                detail=str(error)[:300],
            ) from None
        if now < leaf.not_valid_before_utc:
            raise VerificationError(
                Reason.CERTIFICATE_NOT_YET_VALID, "The signing certificate is not valid yet."
            )
        if now > leaf.not_valid_after_utc:
            raise VerificationError(
                Reason.CERTIFICATE_EXPIRED, "The signing certificate has expired."
            )
        if ALEXA_CERT_SUBJECT not in san_names:
            raise VerificationError(
                Reason.CERTIFICATE_SUBJECT_MISMATCH,
                f"The signing certificate is not issued for {ALEXA_CERT_SUBJECT}.",
            )
        public_key = leaf.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise VerificationError(
                Reason.CERTIFICATE_KEY_UNSUPPORTED, "The signing certificate's key is not RSA."
            )
        assert self._store is not None  # guaranteed by __init__ when verify_signature is on
        verifier = (
            PolicyBuilder()
            .store(self._store)
            .time(now)
            .build_server_verifier(DNSName(ALEXA_CERT_SUBJECT))
        )
        try:
            verified = verifier.verify(leaf, intermediates)
        except ChainVerificationError as error:
            raise VerificationError(
                Reason.CERTIFICATE_CHAIN_UNTRUSTED,
                "The signing certificate chain does not lead to a trusted root.",
                detail=str(error)[:300],
            ) from None
        return TrustedChain(
            public_key=public_key,
            usable_from=max(cert.not_valid_before_utc for cert in verified),
            usable_until=min(cert.not_valid_after_utc for cert in verified),
        )

    def _check_application_id(self, envelope: Mapping[str, Any]) -> None:
        if not self.allowed_application_ids:
            return
        application_id = _application_id(envelope)
        if application_id is None:
            raise VerificationError(
                Reason.APPLICATION_ID_MISSING, "The request names no application id."
            )
        if application_id not in self.allowed_application_ids:
            raise VerificationError(
                Reason.APPLICATION_ID_MISMATCH,
                "The request is meant for another skill.",
                status=403,
            )
