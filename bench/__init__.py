"""Benchmarks and the soak test for the Step Coach endpoint, the skill core and the runner.

``python -m bench`` measures everything and prints one table; ``python -m bench.soak``
hammers the endpoint with valid and hostile requests. Nothing here is imported by the
skill: it is a tool folder, run from the project directory.
"""
