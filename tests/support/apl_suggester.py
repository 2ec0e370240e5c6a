"""Amazon's own APL checks: every document through ``apl-suggester``, beside ours.

``apl-suggester`` is the validator of Amazon's APL authoring tool: the APL JSON schema
(components, properties, commands, value types) and its layout rules, such as a
``ScrollView`` needing a height it can resolve. It is an npm package that ships its built
code and has no install script, pinned in ``tests/apl_suggester`` and installed with
``npm ci --ignore-scripts`` (``./dev test`` does). :func:`validate` runs it once for any
number of documents: one Node process, so a sweep of screens costs one start-up.

It complements :func:`tests.support.apl.check_document`, which checks what the schema
cannot: that every ``${...}`` binding resolves in the datasource the skill sends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tests.support import npm_tools


def validate(
    screens: Mapping[str, tuple[dict[str, Any], Mapping[str, Any]]],
) -> dict[str, list[str]]:
    """What apl-suggester reports for each named (document, datasources), as one-line texts."""
    payload = {
        name: {"document": document, "datasources": datasources}
        for name, (document, datasources) in screens.items()
    }
    report = json.loads(npm_tools.run("apl_suggester", "apl-suggester", "validate.js", payload))
    return {
        name: [f"{item['level']} {item['path']}: {item['message']}" for item in found]
        for name, found in report.items()
    }
