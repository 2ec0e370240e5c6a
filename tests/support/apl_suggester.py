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
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parents[1] / "apl_suggester"
SCRIPT = FOLDER / "validate.js"
PACKAGE = FOLDER / "node_modules" / "apl-suggester"


def validate(
    screens: Mapping[str, tuple[dict[str, Any], Mapping[str, Any]]],
) -> dict[str, list[str]]:
    """What apl-suggester reports for each named (document, datasources), as one-line texts."""
    node = shutil.which("node")
    if node is None or not PACKAGE.is_dir():
        raise RuntimeError(
            "apl-suggester is not installed: run `npm ci --prefix tests/apl_suggester "
            "--ignore-scripts` (./dev test does)"
        )
    payload = {
        name: {"document": document, "datasources": datasources}
        for name, (document, datasources) in screens.items()
    }
    done = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=FOLDER,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"apl-suggester failed: {done.stderr.strip()[-2000:]}")
    report = json.loads(done.stdout)
    return {
        name: [f"{item['level']} {item['path']}: {item['message']}" for item in found]
        for name, found in report.items()
    }
