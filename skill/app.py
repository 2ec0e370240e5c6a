"""The HTTPS endpoint's entry point, ``gunicorn 'skill.app:create_app()'``: skill.serve.app."""

from skill.serve.app import create_app

__all__ = ["create_app"]
