"""What a node's refusal means: a log range that holds too much (ask for fewer blocks), a rate
limit (wait and ask again), or neither. "rate limit exceeded" once shrank ranges to one block."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.chain.client import node_refusal

CASES = json.loads((Path(__file__).resolve().parents[1] / "data" / "chain" / "node_refusals.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{case['who']}: {case['message'][:40]}" for case in CASES])
def test_each_refusal_is_classified(case: dict[str, str | None]) -> None:
    assert node_refusal(str(case["message"])) == case["class"]
