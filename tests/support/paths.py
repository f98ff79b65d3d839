"""Where the checkout and the seed documents are."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The seed documents live beside a checkout, never inside it; tests that need them skip without.
SEED_DIR = REPO.parent / "shared" / "seed"
CLIENTS = REPO / "clients"
