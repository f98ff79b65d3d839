"""Run JavaScript and PHP programs against the generated clients with the real runtimes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.support.paths import CLIENTS


class Runtime:
    """Writes a program into a scratch folder, runs it, returns what it printed (as JSON)."""

    def __init__(self, folder: Path, command: list[str], suffix: str) -> None:
        self.folder = folder
        self.command = command
        self.suffix = suffix
        self._count = 0

    def run(self, code: str, env: dict[str, str] | None = None, timeout: float = 60) -> Any:
        self._count += 1
        path = self.folder / f"program{self._count}{self.suffix}"
        path.write_text(code, encoding="utf-8")
        result = subprocess.run(
            [*self.command, str(path)], cwd=self.folder, capture_output=True, text=True,
            timeout=timeout, env={**os.environ, **(env or {})}, check=False,
        )
        assert result.returncode == 0, f"{path.name} failed:\n{code}\n{result.stdout}{result.stderr}"
        return json.loads(result.stdout) if result.stdout.strip() else None


def node_runtime(folder: Path) -> Runtime:
    """Node with `@example/protocol-api` resolving to clients/js, as if installed with npm."""
    scope = folder / "node_modules" / "@example"
    scope.mkdir(parents=True)
    (scope / "protocol-api").symlink_to(CLIENTS / "js", target_is_directory=True)
    return Runtime(folder, ["node"], ".mjs")


def php_runtime(folder: Path) -> Runtime:
    """PHP with the `Protocol\\` classes of clients/php autoloaded, as Composer would."""
    autoload = CLIENTS / "php" / "autoload.php"
    return Runtime(folder, ["php", "-d", f"auto_prepend_file={autoload}"], ".php")
