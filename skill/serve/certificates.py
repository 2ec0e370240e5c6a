"""Alexa's signing certificates: where they may come from, fetching them, trusting them.

Steps 1 and 2 of :mod:`skill.serve.verification`: the chain URL is vetted before any
download, the download is bounded in time and size, and a validated chain is cached per
URL, never beyond the validity window it was built from.
"""

from __future__ import annotations

import functools
import logging
import os
import posixpath
import re
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from urllib.parse import unquote, urlsplit

import certifi
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.utils import CryptographyDeprecationWarning

log = logging.getLogger("skill.verification")

# The name Amazon's signing certificate is issued for.
ALEXA_CERT_SUBJECT = "echo-api.amazon.com"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH_PREFIX = "/echo.api/"
# Amazon's chain is a few kilobytes; refusing anything far bigger bounds memory and time.
MAX_CHAIN_BYTES = 64 * 1024
# (connect, read) seconds for each socket operation, and a cap on the whole download.
FETCH_TIMEOUT = (3.0, 3.0)
FETCH_DEADLINE_SECONDS = 6.0
# Characters that make URL parsers disagree; a URL holding any of them is refused outright.
_AMBIGUOUS_URL_CHARACTERS = frozenset(" \t\r\n\\@")
_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----\r?\n.+?-----END CERTIFICATE-----", re.DOTALL
)


class ChainTooLargeError(ValueError):
    """Raised by a fetch callable when the download exceeds the size cap."""


class HostUnreachable(TimeoutError):
    """The certificate host did not answer in time, or at all (a refused connection)."""


def fetch_certificate_chain(url: str, *, max_bytes: int = MAX_CHAIN_BYTES) -> bytes:
    """Download a certificate chain: no redirects, short timeouts, at most ``max_bytes``.

    Redirects are refused because the URL was vetted, not wherever S3 might send us.
    """
    deadline = time.monotonic() + FETCH_DEADLINE_SECONDS
    try:
        return _fetch(url, max_bytes, deadline)
    except (requests.Timeout, requests.ConnectionError) as error:
        raise HostUnreachable(str(error)) from error


def _fetch(url: str, max_bytes: int, deadline: float) -> bytes:
    with requests.get(url, timeout=FETCH_TIMEOUT, stream=True, allow_redirects=False) as response:
        if response.status_code != 200:
            raise OSError(f"HTTP status {response.status_code}")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise ChainTooLargeError(f"Content-Length {declared} exceeds {max_bytes}")
        data = bytearray()
        for chunk in response.iter_content(chunk_size=8192):
            data += chunk
            if len(data) > max_bytes:
                raise ChainTooLargeError(f"more than {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise HostUnreachable(f"download took longer than {FETCH_DEADLINE_SECONDS} s")
        return bytes(data)


def is_valid_cert_chain_url(url: str) -> bool:
    """Amazon's rule for ``SignatureCertChainUrl`` (step 1 of the module doc)."""
    if not url.isascii() or not url.isprintable() or _AMBIGUOUS_URL_CHARACTERS.intersection(url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a bracketed host that is no IPv6 address, a port out of range...
        return False
    if parts.scheme.lower() != "https" or parts.hostname != CERT_URL_HOST:
        return False
    if port not in (None, 443):
        return False
    # Percent-decoding first is stricter: "%2e%2e" cannot smuggle a ".." past normpath.
    return posixpath.normpath(unquote(parts.path)).startswith(CERT_URL_PATH_PREFIX)


def load_pem_certificates(data: bytes, *, strict: bool = True) -> list[x509.Certificate]:
    """Parse a PEM bundle one certificate at a time.

    Some roots in certifi's bundle have a zero serial number, which ``cryptography`` accepts
    with a deprecation warning today and may refuse later. Parsing each block on its own
    keeps the rest of the bundle usable (``strict=False``) and keeps that warning, about
    certificates we did not write, out of the logs and out of warnings-as-errors test runs.
    """
    certificates = []
    for block in _PEM_CERTIFICATE.findall(data):
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings(
                    "ignore",
                    message="Parsed a serial number",
                    category=CryptographyDeprecationWarning,
                )
                certificates.append(x509.load_pem_x509_certificate(block))
        except ValueError:
            if strict:
                raise
            log.debug("skipping an unparsable certificate in a trust bundle")
    if not certificates:
        raise ValueError("no PEM certificate found")
    return certificates


@functools.cache
def default_roots() -> tuple[x509.Certificate, ...]:
    """certifi's roots, read once per process."""
    with open(certifi.where(), "rb") as bundle:
        return tuple(load_pem_certificates(bundle.read(), strict=False))


def read_pem(source: bytes | str | os.PathLike[str]) -> bytes:
    """PEM bytes as given, PEM text as given, or else a path to a PEM file."""
    if isinstance(source, bytes):
        return source
    if isinstance(source, str) and "-----BEGIN" in source:
        return source.encode("ascii")
    with open(source, "rb") as handle:
        return handle.read()


@dataclass(frozen=True, slots=True)
class TrustedChain:
    """What a validated chain leaves behind: the key to check with, and for how long."""

    public_key: rsa.RSAPublicKey
    usable_from: datetime
    usable_until: datetime


Entry = TypeVar("Entry")


class _UrlCache(Generic[Entry]):
    """Entries by URL: bounded (LRU), thread-safe; an entry no longer usable is dropped."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, url: str, usable: Callable[[Entry], bool]) -> Entry | None:
        with self._lock:
            entry = self._entries.get(url)
            if entry is None:
                return None
            if not usable(entry):
                del self._entries[url]
                return None
            self._entries.move_to_end(url)
            return entry

    def _put(self, url: str, entry: Entry) -> None:
        if self._max_entries == 0:
            return
        with self._lock:
            self._entries[url] = entry
            self._entries.move_to_end(url)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class ChainCache(_UrlCache[TrustedChain]):
    """Validated chains by URL, never used outside the validity window they were built from.

    Downloads happen outside the lock, so a slow fetch never stalls requests whose chain is
    cached; two concurrent misses for one URL may both download, which is harmless.
    """

    def get(self, url: str, now: datetime) -> TrustedChain | None:
        return self._get(url, lambda entry: entry.usable_from <= now <= entry.usable_until)

    def put(self, url: str, entry: TrustedChain) -> None:
        self._put(url, entry)


class FailureCache(_UrlCache[tuple[float, Exception]]):
    """URLs whose chain was just refused, and why, for ``ttl`` seconds.

    A caller who sends a new certificate URL with every request would otherwise start a
    download every time, each holding a worker for the whole fetch timeout.
    """

    def __init__(self, ttl: float, max_entries: int = 256) -> None:
        super().__init__(max_entries)
        self._ttl = ttl

    def get(self, url: str) -> Exception | None:
        entry = self._get(url, lambda entry: time.monotonic() < entry[0])
        return None if entry is None else entry[1]

    def put(self, url: str, failure: Exception) -> None:
        self._put(url, (time.monotonic() + self._ttl, failure))


def dns_names(certificate: x509.Certificate) -> set[str]:
    """The certificate's DNS SANs, lower-cased; ValueError if its extensions are malformed."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return set()
    return {name.lower() for name in san.value.get_values_for_type(x509.DNSName)}
