"""openapi-python-client's client, generated from the spec, runs the lifecycle on the reference server.

The one deviation from a plain `generate` is a post hook that adds
``from __future__ import annotations`` to every generated file: a required request body with two
media types gets a ``| Unset`` annotation without the import of ``Unset``, so its module does not
import (https://github.com/openapi-generators/openapi-python-client/issues/1451). The hook only
makes annotations lazy; :func:`test_the_workaround_is_still_needed` fails once a release fixes it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from protocol_kit.spec import default_spec_path
from tests.peers.conftest import TOKENS
from tests.support.peers import LIFECYCLES, run, run_lifecycle, tool

PACKAGE = "conversations_opc"
# The generator's default post hooks, on this environment's ruff (a dependency of the generator).
RUFF = f"{sys.executable} -m ruff"
DEFAULT_HOOKS = [f"{RUFF} check . --fix-only --extend-select=I", f"{RUFF} format ."]
LAZY_ANNOTATIONS = (
    f"{RUFF} check . --fix-only --select I002 --config "
    "\"lint.isort.required-imports = ['from __future__ import annotations']\""
)


def _generate(out: Path, hooks: list[str]) -> str:
    """Generate the client into ``out/conversations_opc``; what the generator printed."""
    config = out / "openapi-python-client.yaml"
    config.write_text(yaml.safe_dump({"post_hooks": hooks}), encoding="utf-8")
    ran = run(
        [
            tool("openapi-python-client"),
            "generate",
            "--path",
            default_spec_path(),
            "--output-path",
            out / PACKAGE,
            "--meta",
            "none",
            "--config",
            config,
        ],
        cwd=out,
    )
    return ran.stdout + ran.stderr


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The client, generated once for the module, and the generator's output."""
    out = tmp_path_factory.mktemp("openapi-python-client")
    return out, _generate(out, [LAZY_ANNOTATIONS, *DEFAULT_HOOKS])


def test_generation_is_clean(generated: tuple[Path, str]) -> None:
    out, printed = generated
    assert printed.splitlines() == [f"Generating {out / PACKAGE}"]
    models = sorted(p.stem for p in (out / PACKAGE / "models").glob("*.py"))
    # The one-of branches come out as the named types a person would write.
    assert {"contact_conversation_request", "group_conversation_request"} <= set(models)
    assert not [m for m in models if "type_0" in m or "type_1" in m]


def test_lifecycle_against_the_reference_server(
    generated: tuple[Path, str], reference: str
) -> None:
    out, _ = generated
    script = LIFECYCLES / "openapi_python_client.py"
    run_lifecycle(
        [sys.executable, script], reference, TOKENS[0], cwd=out, env={"PYTHONPATH": str(out)}
    )


def test_the_workaround_is_still_needed(tmp_path: Path) -> None:
    _generate(tmp_path, DEFAULT_HOOKS)
    imported = subprocess.run(
        [sys.executable, "-c", f"import {PACKAGE}.api.conversations.create_conversation"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "NameError: name 'Unset' is not defined" in imported.stderr, (
        "openapi-python-client no longer needs the lazy-annotations hook: drop it"
    )
