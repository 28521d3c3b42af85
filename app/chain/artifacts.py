"""ABI and bytecode of our contracts, read from Hardhat's build artifacts."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from app.chain.errors import ArtifactMissing

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def artifacts_root() -> Path:
    return Path(os.environ.get("RESIDENTS_ARTIFACTS", PROJECT_ROOT / "build" / "artifacts"))


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str


@cache
def load_artifact(name: str, source: str | None = None) -> Artifact:
    """Return contract `name` from `contracts/<source or name>.sol`, as Hardhat compiled it."""
    path = artifacts_root() / "contracts" / f"{source or name}.sol" / f"{name}.json"
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactMissing(name, str(path)) from None
    return Artifact(name=name, abi=document["abi"], bytecode=document["bytecode"])
