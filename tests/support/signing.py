"""Test support: a private certificate authority that signs requests the way Alexa does.

Not a test module; tests and benchmarks import it as ``from tests.support import signing``.
Nothing here touches the network: certificate
chains are served from memory by :meth:`TestAlexaSigner.fetch`.

The hierarchy mirrors Amazon's: a root CA, an intermediate CA, and a leaf for
``echo-api.amazon.com`` with the extensions ``cryptography``'s verifier insists on
(BasicConstraints, KeyUsage, ExtendedKeyUsage serverAuth, SubjectKeyIdentifier,
AuthorityKeyIdentifier). RSA keys are generated once per process and cached, because the
endpoint tests and benchmarks reuse this module and key generation is the slow part.

API::

    signer = TestAlexaSigner.valid()    # the good chain; see also .expired(), .not_yet_valid(),
                                        # .wrong_san(), .no_san(), .ec_key() and .untrusted()
    signer.cert_url                     # https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem
    signer.chain_pem                    # leaf then intermediate(s), PEM bytes
    signer.root_pem                     # the trusted test root (the same for every variant)
    signer.leaf                         # the leaf x509.Certificate
    signer.fetch(url) -> bytes          # chain_pem for cert_url; LookupError for any other URL
    signer.sign(body) -> dict[str, str] # {"SignatureCertChainUrl": ..., "Signature-256": ...}
    signer.signed(envelope)             # (headers, body): JSON-encodes the envelope, then signs
    signer.verifier(**overrides)        # a RequestVerifier trusting ONLY the test root

    envelope(timestamp=..., application_id=...)  # a minimal LaunchRequest envelope
    APPLICATION_ID                               # the application id envelope() uses
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from skill.alexa import requests
from skill.serve.verification import (
    SIGNATURE_CERT_CHAIN_URL_HEADER,
    SIGNATURE_HEADER,
    RequestVerifier,
)

ALEXA_HOST_NAME = "echo-api.amazon.com"
APPLICATION_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
CERT_URL_BASE = "https://s3.amazonaws.com/echo.api/"

# One fixed moment for the whole process, so every certificate agrees on "now".
_MINTED_AT = datetime.now(UTC).replace(microsecond=0)


@functools.cache
def _key(name: str) -> rsa.RSAPrivateKey:
    """One RSA key per role, generated lazily and reused for the whole test session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Step Coach Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_certificate(
    common_name: str,
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None = None,
    issuer_key: rsa.RSAPrivateKey | None = None,
) -> x509.Certificate:
    """A CA certificate, self-signed when ``issuer`` is None."""
    subject = _name(common_name)
    signer_key = issuer_key or key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_MINTED_AT - timedelta(days=30))
        .not_valid_after(_MINTED_AT + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
            critical=False,
        )
    )
    return builder.sign(signer_key, hashes.SHA256())


def _leaf_certificate(
    issuer: x509.Certificate,
    issuer_key: rsa.RSAPrivateKey,
    *,
    dns_name: str | None,
    not_before: datetime,
    not_after: datetime,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None,
) -> x509.Certificate:
    """A server leaf; ``dns_name=None`` leaves out the SAN extension altogether."""
    key = key or _key("leaf")
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(dns_name or ALEXA_HOST_NAME))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if dns_name is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@functools.cache
def _root() -> x509.Certificate:
    return _ca_certificate("Step Coach Test Root CA", _key("root"))


@functools.cache
def _intermediate() -> x509.Certificate:
    return _ca_certificate(
        "Step Coach Test Intermediate CA", _key("intermediate"), _root(), _key("root")
    )


@functools.cache
def _other_root() -> x509.Certificate:
    """A root nobody trusts; it deliberately uses the trusted root's name but its own key."""
    return _ca_certificate("Step Coach Test Root CA", _key("other-root"))


def _pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certificates)


def envelope(
    *, timestamp: str | None = None, application_id: str = APPLICATION_ID
) -> dict[str, Any]:
    """A minimal LaunchRequest envelope; the timestamp defaults to the current time."""
    body = requests.request("LaunchRequest", request_id="amzn1.echo-api.request.test")
    if timestamp is not None:
        body["timestamp"] = timestamp  # verbatim: tests send malformed ones too
    return requests.envelope(
        body,
        requests.Identity(application_id, "amzn1.ask.account.TESTUSER", "amzn1.ask.device.TEST"),
        session_id="amzn1.echo-api.session.test",
        new=True,
    )


@dataclass(frozen=True)
class TestAlexaSigner:
    """Signs request bodies with a leaf key and serves that leaf's chain from memory."""

    __test__ = False  # not a pytest test class, despite the name

    leaf: x509.Certificate
    intermediates: tuple[x509.Certificate, ...]
    cert_url: str
    root_pem: bytes = field(default_factory=lambda: _pem(_root()))

    @property
    def chain_pem(self) -> bytes:
        """The chain as Amazon publishes it: the leaf first, then the intermediates."""
        return _pem(self.leaf, *self.intermediates)

    @property
    def root(self) -> x509.Certificate:
        return _root()

    @classmethod
    def valid(cls) -> TestAlexaSigner:
        """A leaf for echo-api.amazon.com under the trusted test root, valid for a year."""
        return _variant("valid")

    @classmethod
    def expired(cls) -> TestAlexaSigner:
        """Same hierarchy, but the leaf expired a day ago."""
        return _variant("expired")

    @classmethod
    def not_yet_valid(cls) -> TestAlexaSigner:
        """Same hierarchy, but the leaf only becomes valid tomorrow."""
        return _variant("not-yet-valid")

    @classmethod
    def wrong_san(cls) -> TestAlexaSigner:
        """Same hierarchy, but the leaf names another host than echo-api.amazon.com."""
        return _variant("wrong-san")

    @classmethod
    def no_san(cls) -> TestAlexaSigner:
        """Same hierarchy, but the leaf has no SubjectAlternativeName at all."""
        return _variant("no-san")

    @classmethod
    def ec_key(cls) -> TestAlexaSigner:
        """Same hierarchy, but the leaf holds an EC key (Alexa signs with RSA only)."""
        return _variant("ec-key")

    @classmethod
    def untrusted(cls) -> TestAlexaSigner:
        """A correct-looking leaf issued by a root that is not in the trust store.

        The untrusted root even copies the trusted root's name, so only its key differs.
        """
        return _variant("untrusted")

    def fetch(self, url: str) -> bytes:
        """Stand-in for the HTTP download: only this signer's URL exists."""
        if url != self.cert_url:
            raise LookupError(f"no certificate chain at {url}")
        return self.chain_pem

    def sign(self, body: bytes) -> dict[str, str]:
        """The two headers Alexa sends: where the chain lives and the body's signature."""
        signature = _key("leaf").sign(body, padding.PKCS1v15(), hashes.SHA256())
        return {
            SIGNATURE_CERT_CHAIN_URL_HEADER: self.cert_url,
            SIGNATURE_HEADER: base64.b64encode(signature).decode("ascii"),
        }

    def signed(self, request_envelope: Mapping[str, Any]) -> tuple[dict[str, str], bytes]:
        """JSON-encode an envelope and sign the resulting bytes."""
        body = json.dumps(request_envelope).encode("utf-8")
        return self.sign(body), body

    def verifier(self, **overrides: Any) -> RequestVerifier:
        """A verifier that trusts only the test root and fetches from this signer."""
        options: dict[str, Any] = {
            "extra_ca_pem": self.root_pem,
            "trust_default_roots": False,
            "fetch": self.fetch,
        }
        options.update(overrides)
        return RequestVerifier(**options)


@functools.cache
def _variant(kind: str) -> TestAlexaSigner:
    intermediate = _intermediate()
    issuer, issuer_key = intermediate, _key("intermediate")
    dns_name: str | None = ALEXA_HOST_NAME
    leaf_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None
    not_before = _MINTED_AT - timedelta(days=1)
    not_after = _MINTED_AT + timedelta(days=365)
    intermediates: tuple[x509.Certificate, ...] = (intermediate,)
    if kind == "expired":
        not_before, not_after = _MINTED_AT - timedelta(days=20), _MINTED_AT - timedelta(days=1)
    elif kind == "not-yet-valid":
        not_before = _MINTED_AT + timedelta(days=1)
    elif kind == "wrong-san":
        dns_name = "evil.example.com"
    elif kind == "no-san":
        dns_name = None
    elif kind == "ec-key":
        leaf_key = ec.generate_private_key(ec.SECP256R1())
    elif kind == "untrusted":
        issuer, issuer_key = _other_root(), _key("other-root")
        intermediates = (issuer,)
    elif kind != "valid":
        raise ValueError(f"unknown signer variant {kind!r}")
    leaf = _leaf_certificate(
        issuer,
        issuer_key,
        dns_name=dns_name,
        not_before=not_before,
        not_after=not_after,
        key=leaf_key,
    )
    suffix = "test" if kind == "valid" else kind
    return TestAlexaSigner(
        leaf=leaf,
        intermediates=intermediates,
        cert_url=f"{CERT_URL_BASE}echo-api-cert-{suffix}.pem",
    )
