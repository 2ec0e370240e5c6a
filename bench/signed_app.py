"""The skill with signature verification ON, trusting only the benchmark's test CA.

``create_app()`` runs inside gunicorn, which cannot share the driver's keys in memory, so
the driver (:mod:`bench.endpoint`) writes the public parts of its test PKI to the folder
named by ``STEP_COACH_BENCH_PKI``: the root, the chain served for the signer's URL, and
one freshly signed request. The verifier fetches the chain from that in-memory copy, never
from the network, and the signed request warms its chain cache before gunicorn forks, so
the timed run measures the steady state: a timestamp check and one RSA signature check per
request.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask

from bench.scenario import APPLICATION_ID
from skill import settings
from skill.serve.app import create_app as create_skill_app
from skill.serve.verification import RequestVerifier

# Folder holding root.pem, chain.pem, cert_url.txt and warmup.json (written by the driver).
PKI_DIR = "STEP_COACH_BENCH_PKI"


def _fetcher(cert_url: str, chain_pem: bytes):
    def fetch(url: str) -> bytes:
        """Serve the one known chain; any other URL does not exist."""
        if url != cert_url:
            raise LookupError(f"no certificate chain at {url}")
        return chain_pem

    return fetch


def create_app() -> Flask:
    pki = Path(os.environ[PKI_DIR])
    verifier = RequestVerifier(
        verify_signature=True,
        allowed_application_ids=(APPLICATION_ID,),
        extra_ca_pem=(pki / "root.pem").read_bytes(),
        trust_default_roots=False,
        fetch=_fetcher(
            (pki / "cert_url.txt").read_text().strip(), (pki / "chain.pem").read_bytes()
        ),
    )
    warmup = json.loads((pki / "warmup.json").read_text())
    body = warmup["body"].encode()
    verifier.verify(warmup["headers"], body, json.loads(body))  # fills the chain cache
    return create_skill_app(
        {
            settings.VERIFY: True,
            settings.SKILL_ID: (APPLICATION_ID,),
            "STEP_COACH_VERIFIER": verifier,
        }
    )
