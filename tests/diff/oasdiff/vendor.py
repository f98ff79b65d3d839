"""Vendors oasdiff's checker pairs: each test that diffs two unmodified files, with its expected level.

Run from the repository root with the path of an oasdiff checkout's git directory:
``python tests/diff/oasdiff/vendor.py /path/to/oasdiff.git``. It rewrites ``pairs/`` and
``expected.json`` beside itself. The expected level of a test is the highest level (oasdiff's
``rules.go``) of the change ids its assertions name; tests asserting no change, and tests that
edit a loaded spec in code, are left out.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_LEVELS = {"INFO": 1, "WARN": 2, "ERR": 3}
_OURS = {1: "compatible", 2: "possibly breaking", 3: "breaking"}


def _git(git_dir: str, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", git_dir, *args], check=True, capture_output=True, text=True
    ).stdout


def main(git_dir: str) -> int:
    files = _git(git_dir, "ls-tree", "-r", "--name-only", "HEAD", "checker").split()
    constants: dict[str, str] = {}
    for name in files:
        if name.endswith(".go") and not name.endswith("_test.go"):
            text = _git(git_dir, "show", f"HEAD:{name}")
            constants.update(re.findall(r"\b(\w+Id)\s*=\s*\"([^\"]+)\"", text))
    rules = _git(git_dir, "show", "HEAD:checker/rules.go")
    level_of = dict(
        re.findall(r"newBackwardCompatibilityRule\(\s*(\w+Id),\s*(ERR|WARN|INFO)", rules)
    )
    commit = _git(git_dir, "rev-parse", "HEAD").strip()
    pairs: dict[str, dict[str, object]] = {}
    for name in files:
        if not name.endswith("_test.go"):
            continue
        text = _git(git_dir, "show", f"HEAD:{name}")
        for match in re.finditer(r"\nfunc (Test\w+)\(t \*testing\.T\) \{\n(.*?)\n\}\n", text, re.S):
            test, body = match.groups()
            opened = re.findall(r"open\(\"\.\./data/checker/([\w.-]+\.ya?ml)\"", body)
            if len(opened) != 2 or opened[0] == opened[1] or re.search(r"\bs[12]\.Spec\b", body):
                continue
            ids = re.findall(r"checker\.(\w+Id)\b", body)
            levels = [_LEVELS[level_of[i]] for i in ids if i in level_of]
            if not levels or "require.Empty" in body:
                continue
            # Several tests diff the same two files, each with one check on: the pair's
            # level is the highest any of them expects.
            key = f"{opened[0].rsplit('.', 1)[0]}..{opened[1].rsplit('.', 1)[0]}"
            pair = pairs.setdefault(
                key, {"tests": [], "base": opened[0], "revision": opened[1], "ids": [], "level": 0}
            )
            pair["tests"] = sorted({*pair["tests"], f"{name}:{test}"})  # type: ignore[misc]
            pair["ids"] = sorted(
                {*pair["ids"], *(constants.get(i, i) for i in ids if i in level_of)}
            )  # type: ignore[misc]
            pair["level"] = max(int(pair["level"]), max(levels))  # type: ignore[call-overload]
    for pair in pairs.values():
        pair["oasdiff"] = _OURS[int(pair.pop("level"))]  # type: ignore[call-overload]
    out = HERE / "pairs"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.yaml"):
        old.unlink()
    for pair in pairs.values():
        for side in ("base", "revision"):
            (out / str(pair[side])).write_text(
                _git(git_dir, "show", f"HEAD:data/checker/{pair[side]}"), encoding="utf-8"
            )
    manifest = {"source": "https://github.com/oasdiff/oasdiff", "commit": commit, "pairs": pairs}
    (HERE / "expected.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"{len(pairs)} pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
