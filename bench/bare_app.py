"""The baseline: a bare Flask app under the same gunicorn configuration as the skill.

It reads the request body and answers a fixed small JSON document, so the difference
between it and the skill is what the skill itself costs (parsing, verification, the
ask-sdk dispatch, rendering, logging), not Flask or gunicorn.
"""

from __future__ import annotations

from flask import Flask, jsonify, request

ANSWER = {"version": "1.0", "response": {"shouldEndSession": True}}


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/")
    def answer():
        request.get_data(cache=False)
        return jsonify(ANSWER)

    @app.get("/health")
    def health():
        return jsonify({"status": "ok"})

    return app
