"""Serving the coach to Alexa: the HTTPS endpoint (Flask, gunicorn) and the Lambda entry.

Kept import-free, so the Lambda entry point does not pull in Flask or the verifier.
"""
