"""Each client installed from this repository the way its README says, in a scratch project, calling
a live reference server with the token taken from `PROTOCOL_API_TOKEN`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import CLIENTS

from .conftest import TOKEN

CONTACT = "WAz8eIbvDR60rouK"


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 180) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _environment(api_url: str, home: Path) -> dict[str, str]:
    """No token in the program: only the environment carries it, and the server's address."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(
        PROTOCOL_API_TOKEN=TOKEN,
        PROTOCOL_API_BASE_URL=api_url,
        HOME=str(home),
        npm_config_cache=str(home / "npm-cache"),
        COMPOSER_HOME=str(home / "composer"),
        COMPOSER_NO_INTERACTION="1",
    )
    return env


def _check_round_trip(printed: str) -> None:
    result: dict[str, Any] = json.loads(printed)
    assert result["created"]["contact_id"] == CONTACT
    assert result["fetched"] == result["created"]
    assert result["installed_at"], "the program must say where the client came from"


def test_pip_install_clients_python(api_url: str, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    # A copy, so the build leaves nothing (build/, *.egg-info) in this checkout's clients/.
    shutil.copytree(CLIENTS / "python", checkout / "clients" / "python")
    venv = tmp_path / "venv"
    env = _environment(api_url, tmp_path)
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    python = str(venv / "bin" / "python")
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "./clients/python"],
        checkout,
        env,
    )
    project = tmp_path / "project"
    project.mkdir()
    program = """
import json
import protocol_api
from protocol_api import ApiClient

client = ApiClient()
created = client.conversations.create(contact_id="@CONTACT@")
fetched = client.conversations.get(created.id)
print(json.dumps({"created": created.to_dict(), "fetched": fetched.to_dict(),
                  "installed_at": protocol_api.__file__}))
""".replace("@CONTACT@", CONTACT)
    printed = _run([python, "-c", program], project, env)
    _check_round_trip(printed)
    assert str(venv) in json.loads(printed)["installed_at"]


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_npm_install_clients_js(api_url: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text(
        json.dumps({"name": "scratch", "version": "1.0.0", "private": True, "type": "module"})
    )
    env = _environment(api_url, tmp_path)
    _run(
        ["npm", "install", "--offline", "--no-audit", "--no-fund", str(CLIENTS / "js")],
        project,
        env,
    )
    manifest = json.loads((project / "package.json").read_text())
    assert "@example/protocol-api" in manifest["dependencies"]
    (project / "main.js").write_text(
        """
import ApiClient from '@example/protocol-api'
import { createRequire } from 'node:module'

const client = new ApiClient()
const created = await client.conversations.create({ contact_id: '@CONTACT@' })
const fetched = await client.conversations.get(created.id)
const installedAt = createRequire(import.meta.url).resolve('@example/protocol-api')
console.log(JSON.stringify({ created, fetched, installed_at: installedAt }))
""".replace("@CONTACT@", CONTACT)
    )
    _check_round_trip(_run(["node", "main.js"], project, env))


@pytest.mark.skipif(
    shutil.which("composer") is None or shutil.which("php") is None,
    reason="composer or php is not installed (Debian: apt-get install composer php-cli php-curl)",
)
def test_composer_path_repository_clients_php(api_url: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "composer.json").write_text(json.dumps({"name": "scratch/app", "require": {}}))
    env = _environment(api_url, tmp_path)
    # Offline: the path repository must be enough, so Packagist is switched off for the test.
    _run(["composer", "config", "repo.packagist", "false"], project, env)
    # The README's two commands.
    _run(
        ["composer", "config", "repositories.protocol-sdk", "path", str(CLIENTS / "php")],
        project,
        env,
    )
    _run(["composer", "require", "protocol/sdk"], project, env)
    (project / "main.php").write_text(
        """<?php
require __DIR__ . '/vendor/autoload.php';

$client = new \\Protocol\\ApiClient();
$created = $client->conversations->create(['contact_id' => '@CONTACT@']);
$fetched = $client->conversations->get($created->id);
$where = (new \\ReflectionClass(\\Protocol\\ApiClient::class))->getFileName();
echo json_encode(['created' => $created, 'fetched' => $fetched, 'installed_at' => $where]);
""".replace("@CONTACT@", CONTACT)
    )
    printed = _run(["php", "main.php"], project, env)
    _check_round_trip(printed)
    # Composer linked the checkout's folder into vendor/ and its autoloader found the class there.
    linked = project / "vendor" / "protocol" / "sdk"
    assert linked.is_symlink() and linked.resolve() == (CLIENTS / "php").resolve()
    assert json.loads(printed)["installed_at"].startswith(str((CLIENTS / "php").resolve()))
