"""Resident card metadata: canonical bytes, schema checks and input checks.

Regenerate tests/data/cards/metadata_vectors.json (after a deliberate change — it changes
every card's metadata CID) with:  python tests/unit/test_metadata.py --regenerate
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from minting.metadata import (
    MetadataError,
    ResidentCard,
    build_metadata,
    canonical_json,
    issue_timestamp,
    load_metadata,
    metadata_json,
    metadata_schema,
    validate_metadata,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "cards"
VECTORS = DATA / "metadata_vectors.json"
BAD_DOCUMENTS = json.loads((DATA / "bad_metadata.json").read_text("utf-8"))["cases"]
CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


def make_card(**changes: Any) -> ResidentCard:
    values: dict[str, Any] = {
        "resident_number": 123,
        "issued_on": date(2026, 11, 26),
        "image_cid": CID,
        "profile_url": "https://residents.nishikawa.example/r/123",
        "batch": "2026-11",
    }
    values.update(changes)
    return ResidentCard(**values)


def card_from_vector(vector: dict) -> ResidentCard:
    card = dict(vector["card"])
    card["issued_on"] = date.fromisoformat(card["issued_on"])
    return ResidentCard(**card)


def load_vectors() -> list[dict]:
    return json.loads(VECTORS.read_text("utf-8"))["vectors"]


@pytest.mark.parametrize("vector", load_vectors(), ids=lambda v: v["id"])
def test_canonical_bytes_match_the_golden_vectors(vector: dict) -> None:
    data = metadata_json(card_from_vector(vector))
    assert data == vector["canonical"].encode("utf-8")
    assert hashlib.sha256(data).hexdigest() == vector["sha256"]


def test_canonical_form() -> None:
    data = metadata_json(make_card())
    text = data.decode("utf-8")
    assert "西川町デジタル住民票 #123 / Nishikawa Digital Resident #123" in text  # not \u-escaped
    assert not data.endswith(b"\n")
    document = json.loads(text)
    assert text == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert list(document) == sorted(document)
    # Building the same card twice, or from a reordered dict, gives the same bytes.
    assert metadata_json(make_card()) == data
    assert canonical_json(dict(reversed(list(document.items())))) == data


def test_document_fields() -> None:
    document = build_metadata(make_card())
    assert document["name"] == "西川町デジタル住民票 #123 / Nishikawa Digital Resident #123"
    assert document["image"] == f"ipfs://{CID}"
    assert document["external_url"] == "https://residents.nishikawa.example/r/123"
    ja, en = document["description"].split("\n\n")
    assert "西川町" in ja and "2026年11月26日" in ja
    assert "Nishikawa" in en and "2026-11-26" in en
    assert document["attributes"] == [
        {"trait_type": "住民番号 / Resident number", "display_type": "number", "value": 123},
        {"trait_type": "発行日 / Issue date", "display_type": "date", "value": 1795694400},
        {"trait_type": "発行バッチ / Batch", "value": "2026-11"},
    ]


def test_issue_date_is_noon_utc_and_reads_as_the_same_day_in_japan() -> None:
    stamp = issue_timestamp(date(2026, 11, 26))
    assert datetime.fromtimestamp(stamp, UTC) == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    from zoneinfo import ZoneInfo

    for zone in ("Asia/Tokyo", "Europe/London", "America/Los_Angeles", "Pacific/Honolulu"):
        assert datetime.fromtimestamp(stamp, ZoneInfo(zone)).date() == date(2026, 11, 26), zone


def test_batch_is_normalised_to_nfc() -> None:
    decomposed = metadata_json(make_card(batch="ﾃｽﾄ 第2期 Cafe\u0301"))
    composed = metadata_json(make_card(batch="ﾃｽﾄ 第2期 Café"))
    assert decomposed == composed


def test_schema_is_valid_draft_2020_12() -> None:
    schema = metadata_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def mutate(document: dict, case: dict) -> dict:
    document = copy.deepcopy(document)
    *parents, last = case["path"]
    target: Any = document
    for key in parents:
        target = target[key]
    if case.get("delete"):
        del target[last]
    elif isinstance(target, list) and last == len(target):
        target.append(case["value"])
    else:
        target[last] = case["value"]
    return document


@pytest.mark.parametrize("case", BAD_DOCUMENTS, ids=[c["id"] for c in BAD_DOCUMENTS])
def test_schema_refuses_bad_documents_naming_the_field(case: dict) -> None:
    bad = mutate(build_metadata(make_card()), case)
    with pytest.raises(MetadataError, match=re.escape(case["error"])):
        validate_metadata(bad)
    with pytest.raises(MetadataError, match=re.escape(case["error"])):
        canonical_json(bad)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"resident_number": 0}, "resident_number"),
        ({"resident_number": -1}, "resident_number"),
        ({"resident_number": True}, "resident_number"),
        ({"resident_number": 12.0}, "resident_number"),
        ({"issued_on": datetime(2026, 11, 26, 9, 30)}, "issued_on"),
        ({"issued_on": "2026-11-26"}, "issued_on"),
        ({"image_cid": "ipfs://" + CID}, "image_cid"),
        ({"image_cid": "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"}, "image_cid"),
        ({"image_cid": CID.upper()}, "image_cid"),
        ({"image_cid": CID[:-1]}, "image_cid"),
        ({"profile_url": "ftp://residents.example/r/1"}, "profile_url"),
        ({"profile_url": "https://residents.example/住民/1"}, "profile_url"),
        ({"profile_url": "https://residents.example/r/1\n"}, "profile_url"),
        ({"batch": ""}, "batch"),
        ({"batch": "x" * 65}, "batch"),
        ({"batch": "2026\n11"}, "batch"),
        ({"batch": None}, "batch"),
    ],
)
def test_bad_input_is_refused_naming_the_field(changes: dict, field: str) -> None:
    with pytest.raises(MetadataError, match=f"^{field}: "):
        build_metadata(make_card(**changes))


def test_load_metadata_round_trips_and_refuses_non_canonical_bytes() -> None:
    data = metadata_json(make_card())
    assert load_metadata(data) == build_metadata(make_card())
    pretty = json.dumps(json.loads(data), ensure_ascii=False, indent=2).encode("utf-8")
    with pytest.raises(MetadataError, match="not in canonical form"):
        load_metadata(pretty)
    with pytest.raises(MetadataError, match="not UTF-8 JSON"):
        load_metadata(b"\xff{}")
    with pytest.raises(MetadataError, match="must be a JSON object"):
        load_metadata(b"[]")


def regenerate() -> None:
    cards = [
        ("first-card", make_card(resident_number=1, issued_on=date(2026, 1, 5), batch="2026年1月 第1期")),
        ("typical", make_card()),
        (
            "large-dag-pb-image-leap-day",
            make_card(
                resident_number=1_000_000,
                issued_on=date(2028, 2, 29),
                image_cid="bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
                profile_url="http://127.0.0.1:5000/residents/1000000",
                batch="bench-mint.csv",
            ),
        ),
    ]
    vectors = []
    for vector_id, card in cards:
        data = metadata_json(card)
        fields = {k: getattr(card, k) for k in ("resident_number", "issued_on", "image_cid", "profile_url", "batch")}
        fields["issued_on"] = card.issued_on.isoformat()
        vectors.append(
            {
                "id": vector_id,
                "card": fields,
                "canonical": data.decode("utf-8"),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    VECTORS.write_text(
        json.dumps(
            {"comment": "Canonical metadata bytes (as UTF-8 text) and their sha256.", "vectors": vectors},
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        "utf-8",
    )
    print(VECTORS.read_text("utf-8"))


if __name__ == "__main__" and sys.argv[1:] == ["--regenerate"]:
    regenerate()
