"""Content files: TOML where people edit them, the same data as JSON in the Lambda package.

``tomllib`` is pure Python: importing it and parsing ``catalog.toml`` was about 10 ms of a
Lambda cold start, while ``json`` (already loaded, and in C) reads the same data in a
tenth of a millisecond. So ``skill.deploy`` writes a ``.json`` beside each ``.toml`` of
the package with :func:`write_json`, and :func:`load` reads it where it exists. A
checkout has none and reads the TOML.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load(path: Path) -> dict[str, Any]:
    """The data of the TOML file ``path``, from its JSON twin where there is one."""
    twin = path.with_suffix(".json")
    if twin.is_file():
        with twin.open(encoding="utf-8") as handle:
            return json.load(handle)
    import tomllib  # only where no JSON was written: a checkout, not Lambda

    with path.open("rb") as handle:
        return tomllib.load(handle)


def write_json(path: Path) -> Path:
    """Write the JSON twin of the TOML file ``path``; TOML's dates and times are not used."""
    import tomllib

    with path.open("rb") as handle:
        data = tomllib.load(handle)
    twin = path.with_suffix(".json")
    twin.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return twin
