"""openapi-generator's `python` and `typescript-fetch` clients run the lifecycle on the reference server.

Each is generated once for the module, with the options a team would pick for its language (a
package name; ES-module imports; TypeScript's built-in `Error` kept free), and then used as
generated: the Python one from this interpreter, the TypeScript one compiled with the pinned
`tsc` and run on Node.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from protocol_kit.spec import default_spec_path
from tests.peers.conftest import TOKENS
from tests.support.peers import LIFECYCLES, TOOLS_BIN, node_tool, run, run_lifecycle, tool

# What openapi-generator 7.26 prints for any document, a minimal one included; neither names
# anything in the spec. Every other warning or error fails the test.
TOOL_WIDE = {
    "o.o.codegen.DefaultCodegen - OpenAPI 3.1 support is still in beta. To report an issue "
    "related to 3.1 spec, please kindly open an issue in the Github repo: "
    "https://github.com/openAPITools/openapi-generator.",
    "o.o.codegen.utils.ModelUtils - Failed to get the schema name: null",
}
CONFIGS: dict[str, dict[str, Any]] = {
    "python": {"packageName": "conversations_og"},
    "typescript-fetch": {
        # The model named Error would shadow TypeScript's own Error class.
        "modelNameMappings": {"Error": "ApiError"},
        # Node runs ES modules only with file extensions in relative imports.
        "additionalProperties": {"importFileExtension": ".js"},
        # The form media types' models are imported by the API class, so they must be generated.
        "globalProperties": {"skipFormModel": "false"},
    },
}


def _generate(generator: str, out: Path) -> list[str]:
    """Generate ``generator``'s client into ``out``; the warnings and errors it printed."""
    config = out.parent / f"{generator}.json"
    settings = {"generatorName": generator, "inputSpec": str(default_spec_path())}
    config.write_text(json.dumps({**settings, "outputDir": str(out), **CONFIGS[generator]}))
    ran = run([tool("openapi-generator-cli"), "generate", "-c", config], cwd=out.parent)
    said = re.findall(r"^\[main\] (?:WARN|ERROR)\s+(.*)$", ran.stdout + ran.stderr, re.M)
    return [line for line in said if line not in TOOL_WIDE]


@pytest.fixture(scope="module")
def python_client(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("openapi-generator-python") / "client"
    return out, _generate("python", out)


@pytest.fixture(scope="module")
def typescript_client(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The generated client and the lifecycle script beside it, compiled to ``out/build``."""
    work = tmp_path_factory.mktemp("openapi-generator-typescript")
    said = _generate("typescript-fetch", work / "client")
    shutil.copy(LIFECYCLES / "openapi_generator.ts", work / "lifecycle.ts")
    (work / "package.json").write_text('{"type": "module"}')
    options = {
        "module": "nodenext",
        "target": "es2022",
        "strict": True,
        "outDir": "build",
        "types": ["node"],
        "typeRoots": [str(TOOLS_BIN.parent / "@types")],
    }
    tsconfig = {"compilerOptions": options, "files": ["lifecycle.ts"]}
    (work / "tsconfig.json").write_text(json.dumps(tsconfig))
    run([node_tool("tsc"), "-p", "."], cwd=work)
    return work, said


def test_python_generation_is_clean(python_client: tuple[Path, list[str]]) -> None:
    out, said = python_client
    assert said == []
    # The create takes the named one-of branches, not anonymous OneOf classes.
    models = {p.stem for p in (out / "conversations_og" / "models").glob("*.py")}
    assert {"contact_conversation_request", "group_conversation_request"} <= models
    assert not [m for m in models if "one_of" in m]


def test_python_lifecycle(python_client: tuple[Path, list[str]], reference: str) -> None:
    out, _ = python_client
    script = LIFECYCLES / "openapi_generator.py"
    run_lifecycle(
        [sys.executable, script], reference, TOKENS[0], cwd=out, env={"PYTHONPATH": str(out)}
    )


def test_typescript_generation_is_clean(typescript_client: tuple[Path, list[str]]) -> None:
    _, said = typescript_client
    assert said == []


def test_typescript_lifecycle(typescript_client: tuple[Path, list[str]], reference: str) -> None:
    work, _ = typescript_client
    run_lifecycle(["node", work / "build" / "lifecycle.js"], reference, TOKENS[1], cwd=work)
