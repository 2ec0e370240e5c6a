"""Test support shared by the tests and the benchmarks: Alexa requests, a test CA, servers.

Imported as ``from tests.support import alexa`` (the project root is on the path: pytest's
``pythonpath`` setting, and the working directory for ``python -m bench``).
"""
