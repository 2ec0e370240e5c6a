"""Lambda SnapStart's runtime hooks, run here as Lambda's runtime runs them.

The managed runtime imports the handler (init), calls every function registered with
``snapshot_restore_py.register_before_snapshot``, takes the snapshot, and in each instance
it restores calls the ``register_after_restore`` ones. These tests import the handler in a
fresh interpreter with ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``, call the registries
the same way, and stand in for the restore with ``os.fork``: every child resumes from the
parent's memory, as every instance resumes from one snapshot.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading

from skill.coach.language import language_data
from skill.settings import PROJECT_DIR
from tests.support import servers

# Runs in the fresh interpreter: import, report what init did, then run the hooks.
CHILD = r"""
import json, os, random, sys
import snapshot_restore_py as hooks
from skill.coach.language import language_data
from skill.coach.locales import fallback_chain
from skill.serve import lambda_handler as entry

coach = entry._coach
def loaded():
    chains = coach.renderer._chains.values()
    renderer = coach.renderer
    return {"locales": sorted(locale for locale in language_data()["locales"]
                              if fallback_chain(locale, renderer.locales()) in renderer._chains),
            "templates": sum(len(s.environment.cache or {}) for s in chains),
            "client": getattr(coach.persistence_adapter, "_client_state", None) is not None}
report = {"init": loaded()}
for function, args, kwargs in hooks.get_before_snapshot():
    function(*args, **kwargs)
report["snapshot"] = loaded()
report["client_before"] = id(coach.persistence_adapter._client_state[1])

def restored(run_hooks):
    # One instance resumed from the snapshot: the hooks, then what the first request draws.
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        if run_hooks:
            for function, args, kwargs in hooks.get_after_restore():
                function(*args, **kwargs)
        drawn = [random.random(), coach.renderer.rng.random(),
                 id(coach.persistence_adapter._client_state[1])]
        os.write(write, json.dumps(drawn).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as answer:
        return json.loads(answer.read())

report["without_hooks"] = [restored(False) for _ in range(2)]
report["with_hooks"] = [restored(True) for _ in range(2)]
print(json.dumps(report))
"""


class _Listener:
    """A TCP port that counts the connections made to it (a DynamoDB nobody may call)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}"


def _run(initialization: str, endpoint: str) -> dict:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_DIR),
        "AWS_LAMBDA_INITIALIZATION_TYPE": initialization,
        "STEP_COACH_STORE": "dynamodb",
        "STEP_COACH_DYNAMODB_ENDPOINT": endpoint,
        "STEP_COACH_DYNAMODB_TABLE": "step_coach_snapstart",
        "AWS_ACCESS_KEY_ID": servers.FAKE_AWS_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": servers.FAKE_AWS_CREDENTIALS["aws_secret_access_key"],
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        env=environment,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_snapstart_primes_in_the_before_snapshot_hook_with_no_network_call() -> None:
    store = _Listener()
    report = _run("snap-start", store.url)
    assert report["init"] == {"locales": [], "templates": 0, "client": False}  # left to the hook
    primed = report["snapshot"]
    assert set(language_data()["locales"]) <= set(primed["locales"])
    assert primed["templates"] > 40  # every template of every locale folder, libraries included
    assert primed["client"] is True
    assert store.accepted == 0  # the client and the rehearsal called no DynamoDB


def test_restored_instances_draw_their_own_randomness_and_client() -> None:
    report = _run("snap-start", _Listener().url)
    same, other = report["without_hooks"]
    # What the hook is for: one snapshot, the same speech variants everywhere. (The random
    # module's own generator is reseeded by os.fork itself, which a restore is not.)
    assert same[1] == other[1]
    first, second = report["with_hooks"]
    assert first[0] != second[0] and first[1] != second[1]  # random and the renderer's rng
    assert report["client_before"] not in (first[2], second[2])  # a client of its own


def test_without_snapstart_the_same_priming_runs_at_init() -> None:
    store = _Listener()
    report = _run("on-demand", store.url)
    assert report["init"] == report["snapshot"]  # nothing left for the hook or a request
    assert report["init"]["templates"] > 40 and report["init"]["client"] is True
    assert store.accepted == 0


def test_the_rehearsal_renders_every_kind_of_response(monkeypatch) -> None:
    """Every response key but the few the rehearsal cannot reach without a store or a clock
    (see skill.coach.priming): what a first request would otherwise render first."""
    from skill.coach import priming
    from skill.coach.speech import SpeechRenderer
    from skill.coach.step_coach import StepCoach

    coach = StepCoach(persistence_adapter=None)
    rendered: set[str] = set()
    render = SpeechRenderer.render

    def recording(self, key, locale, **data):
        rendered.add(key)
        return render(self, key, locale, **data)

    monkeypatch.setattr(SpeechRenderer, "render", recording)
    priming.rehearse(coach)
    assert set(coach.renderer.keys) - rendered == {
        "error",
        "screen_hint",
        "notices",
        "set_done",
        "skip_elsewhere",
    }
