"""ERC-721 metadata for resident cards, as canonical JSON bytes.

The contract stores each token's metadata as a CID, and a CID is a hash of bytes, so the
same resident must always give the same bytes: keys sorted, no spaces, UTF-8 (Japanese
kept as is, not \\u-escaped), no trailing newline, and only integers and strings inside.
Every document is checked against ``minting/schemas/resident_metadata.schema.json`` before
it is returned, so nothing malformed reaches IPFS or the chain.

The description is one string, Japanese first and English after a blank line: ERC-721
defines only ``description``, and wallets and marketplaces show only that. (ERC-1155's
``localization`` points at one more JSON file per language, which ERC-721 viewers ignore.)
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from importlib import resources
from typing import Any

import jsonschema

from minting.errors import MintError

RESIDENT_NUMBER_TRAIT = "住民番号 / Resident number"
ISSUE_DATE_TRAIT = "発行日 / Issue date"
BATCH_TRAIT = "発行バッチ / Batch"

#: The moment that stands for an issue date. Viewers show a "date" attribute in their own
#: time zone; noon UTC reads as the same calendar day from UTC−11 to UTC+11 (Japan too),
#: where midnight in Tokyo would show the day before anywhere west of Japan.
ISSUE_TIME_OF_DAY = time(12, 0, tzinfo=UTC)

MAX_BATCH_LENGTH = 64
MAX_PROFILE_URL_LENGTH = 512

_CID = re.compile(r"(bafkrei|bafybei)[a-z2-7]{52}")
_URL = re.compile(r"https?://[!-~]+")
_NAME_NUMBERS = re.compile(r"#([0-9]+) / Nishikawa Digital Resident #([0-9]+)")


class MetadataError(MintError, ValueError):
    """Resident metadata is missing a field or has a bad value; the message names the field."""


@dataclass(frozen=True)
class ResidentCard:
    """The facts about one minted card that go into its token metadata."""

    resident_number: int
    issued_on: date
    #: CIDv1 (base32) of the card PNG, without the ipfs:// prefix.
    image_cid: str
    profile_url: str
    #: Which minting run issued the card, e.g. "2026-11" or the CSV's name.
    batch: str


def build_metadata(card: ResidentCard) -> dict[str, Any]:
    """Return the checked ERC-721 metadata document for a resident card."""
    number = card.resident_number
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise MetadataError(f"resident_number: must be a whole number ≥ 1, got {number!r}")
    issued_on = card.issued_on
    if not isinstance(issued_on, date) or isinstance(issued_on, datetime):
        raise MetadataError(f"issued_on: must be a datetime.date (not a datetime), got {issued_on!r}")
    if not isinstance(card.image_cid, str) or not _CID.fullmatch(card.image_cid):
        raise MetadataError(
            f"image_cid: expected a CIDv1 in base32 (bafkrei… or bafybei…, 59 characters), got {card.image_cid!r}"
        )
    url = card.profile_url
    if not isinstance(url, str) or len(url) > MAX_PROFILE_URL_LENGTH or not _URL.fullmatch(url):
        raise MetadataError(
            f"profile_url: expected an http(s) URL of printable ASCII up to {MAX_PROFILE_URL_LENGTH} characters, "
            f"got {url!r}"
        )
    if not isinstance(card.batch, str):
        raise MetadataError(f"batch: must be a string, got {card.batch!r}")
    batch = unicodedata.normalize("NFC", card.batch)
    if not batch or len(batch) > MAX_BATCH_LENGTH or any(unicodedata.category(c) == "Cc" for c in batch):
        raise MetadataError(
            f"batch: must be 1–{MAX_BATCH_LENGTH} characters without control characters, got {card.batch!r}"
        )

    ja_date = f"{issued_on.year}年{issued_on.month}月{issued_on.day}日"
    document = {
        "name": f"西川町デジタル住民票 #{number} / Nishikawa Digital Resident #{number}",
        "description": (
            f"山形県西川町が発行するデジタル住民票（第{number}号、{ja_date}発行）です。"
            "デジタル住民のコミュニティ、町長との交流メタバース、リアル交流会に参加できます。"
            "\n\n"
            f"Digital resident card No. {number} of Nishikawa-machi, Yamagata, Japan, issued on "
            f"{issued_on.isoformat()}. It opens the digital residents' community, metaverse meetups "
            "with the mayor and real-world exchange events."
        ),
        "image": f"ipfs://{card.image_cid}",
        "external_url": url,
        "attributes": [
            {"trait_type": RESIDENT_NUMBER_TRAIT, "display_type": "number", "value": number},
            {"trait_type": ISSUE_DATE_TRAIT, "display_type": "date", "value": issue_timestamp(issued_on)},
            {"trait_type": BATCH_TRAIT, "value": batch},
        ],
    }
    validate_metadata(document)
    return document


def issue_timestamp(issued_on: date) -> int:
    """Return the unix seconds that stand for an issue date (noon UTC that day)."""
    return int(datetime.combine(issued_on, ISSUE_TIME_OF_DAY).timestamp())


def validate_metadata(document: Mapping[str, Any]) -> None:
    """Raise MetadataError, naming the field, unless the document matches the schema."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        details = "; ".join(f"{e.json_path}: {e.message}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise MetadataError(f"resident metadata does not match the schema: {details}{more}")
    # Python's re lets "$" match before a final newline; these fields are single-line.
    for key in ("name", "image", "external_url"):
        if "\n" in document[key]:
            raise MetadataError(f"$.{key}: must be a single line")
    if "\n" in document["attributes"][2]["value"]:
        raise MetadataError("$.attributes[2].value: must be a single line")
    numbers = _NAME_NUMBERS.search(document["name"])
    number = document["attributes"][0]["value"]
    if numbers is None or {int(numbers[1]), int(numbers[2])} != {number}:
        raise MetadataError(f"$.name: must carry the resident number #{number} of $.attributes[0].value")


def canonical_json(document: Mapping[str, Any]) -> bytes:
    """Validate a metadata document and return its canonical UTF-8 JSON bytes."""
    validate_metadata(document)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def metadata_json(card: ResidentCard) -> bytes:
    """Return the canonical metadata bytes for a resident card (what is stored on IPFS)."""
    return canonical_json(build_metadata(card))


def load_metadata(data: bytes) -> dict[str, Any]:
    """Parse stored metadata bytes, checking they are valid and in canonical form."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MetadataError(f"resident metadata is not UTF-8 JSON: {exc}") from None
    if not isinstance(document, dict):
        raise MetadataError("resident metadata must be a JSON object")
    if canonical_json(document) != data:
        raise MetadataError(
            "resident metadata is valid but not in canonical form, so its CID would not be reproducible"
        )
    return document


@functools.cache
def metadata_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) that resident metadata must match."""
    text = resources.files("minting").joinpath("schemas/resident_metadata.schema.json").read_text("utf-8")
    return json.loads(text)


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = metadata_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)
