"""AWS Lambda's handler, ``skill.lambda_function.lambda_handler``: skill.serve.lambda_handler."""

from skill.serve.lambda_handler import lambda_handler

__all__ = ["lambda_handler"]
