"""Reading and checking the residents CSV before anything is minted.

Columns (a header row names them; order is free, other columns are refused so a typo in a
header is not silently ignored):

    address        the wallet that receives the card (0x and 40 hex digits; a mixed-case
                   address must have a valid EIP-55 checksum)
    display_name   the name printed on the card (Japanese, Latin or mixed; must fit the card)
    issued_on      optional, YYYY-MM-DD; empty means the day the job starts (Asia/Tokyo)
    batch          optional metadata batch label, up to 64 characters; empty means the
                   job's label (by default the CSV file's name)

The file is UTF-8, with or without a byte-order mark; blank lines are ignored. Every problem of
every line is collected, so the admin fixes the file once rather than line by line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

from minting.cards import CardRenderError, CardTemplate, layout_display_name
from minting.errors import MintError
from minting.metadata import MAX_BATCH_LENGTH

REQUIRED_COLUMNS = ("address", "display_name")
OPTIONAL_COLUMNS = ("issued_on", "batch")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

#: Longest display name accepted before layout is even tried (the job table's column is 200).
MAX_DISPLAY_NAME_LENGTH = 200

ZERO_ADDRESS = "0x" + "0" * 40

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

#: Looks up which of the given (checksummed) wallets already hold a card: wallet -> resident number.
HeldCards = Callable[[Sequence[str]], Mapping[str, int]]


class ResidentListError(MintError):
    """The CSV file cannot be read at all (not UTF-8, no header, missing columns)."""


@dataclass(frozen=True)
class ResidentRow:
    """One valid line of the CSV."""

    line: int
    address: str
    display_name: str
    issued_on: date | None = None
    batch: str | None = None


@dataclass(frozen=True)
class RowProblem:
    """Why one line of the CSV cannot be minted."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.message}"

    def as_record(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class ResidentList:
    """The checked CSV: the lines that can be minted, and every problem of the others."""

    rows: tuple[ResidentRow, ...]
    problems: tuple[RowProblem, ...] = field(default=())
    #: sha2-256 (hex) of the file's bytes: the same file resumes the same job.
    content_hash: str = ""

    @property
    def invalid_lines(self) -> tuple[int, ...]:
        return tuple(sorted({problem.line for problem in self.problems}))


def read_resident_csv(data: bytes, template: CardTemplate, held_cards: HeldCards | None = None) -> ResidentList:
    """Parse and check a residents CSV; every problem is reported with its line number.

    `held_cards` asks the chain (or any other source) which wallets already hold a card; it
    is called once with every address that passed the other checks.
    """
    text = _decode(data)
    records = _records(text)
    header_line, header = next(records, (0, []))
    columns = _columns(header, header_line)

    rows: list[ResidentRow] = []
    problems: list[RowProblem] = []
    first_line_of: dict[str, int] = {}
    for line, cells in records:
        values = {name: (cells[index].strip() if index < len(cells) else "") for name, index in columns.items()}
        extra = [cell for cell in cells[len(header):] if cell.strip()]
        found: list[RowProblem] = []
        if extra:
            found.append(RowProblem(line, "(row)", f"has {len(cells)} cells but the header names {len(header)}; quote cells that contain commas"))
        row = _check_row(line, values, template, found)
        if row is not None:
            first = first_line_of.get(row.address.lower())
            if first is not None:
                found.append(RowProblem(line, "address", f"{row.address} is already listed on line {first}; a wallet holds one card"))
            else:
                first_line_of[row.address.lower()] = line
        if found:
            problems.extend(found)
        elif row is not None:
            rows.append(row)
    return _without_holders(rows, problems, held_cards, hashlib.sha256(data).hexdigest())


def check_resident(
    address: str, display_name: str, template: CardTemplate, held_cards: HeldCards | None = None, *, issued_on: date | None = None, batch: str | None = None
) -> ResidentList:
    """Check one resident given on the command line by the same rules as a CSV line (line 1)."""
    problems: list[RowProblem] = []
    row = _check_row(1, {"address": address.strip(), "display_name": display_name, "batch": batch or ""}, template, problems)
    if row is not None and issued_on is not None:
        row = ResidentRow(row.line, row.address, row.display_name, issued_on, row.batch)
    return _without_holders([row] if row is not None and not problems else [], problems, held_cards, "")


def _check_row(line: int, values: Mapping[str, str], template: CardTemplate, problems: list[RowProblem]) -> ResidentRow | None:
    address = _check_address(line, values["address"], problems)
    name = _check_name(line, values["display_name"], template, problems)
    issued_on = _check_date(line, values.get("issued_on", ""), problems)
    batch = _check_batch(line, values.get("batch", ""), problems)
    if address is None or name is None:
        return None
    return ResidentRow(line, address, name, issued_on, batch)


def _without_holders(rows: list[ResidentRow], problems: list[RowProblem], held_cards: HeldCards | None, content_hash: str) -> ResidentList:
    """Move the lines whose wallet already holds a card from `rows` to the problems."""
    if held_cards is not None and rows:
        held = held_cards([row.address for row in rows])
        for row in rows:
            number = held.get(row.address)
            if number:
                problems.append(RowProblem(row.line, "address", f"{row.address} already holds resident card {number}; a wallet holds one card"))
        rows = [row for row in rows if not held.get(row.address)]
    problems.sort(key=lambda problem: problem.line)
    return ResidentList(tuple(rows), tuple(problems), content_hash)


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ResidentListError(
            f"The CSV is not UTF-8 (line {line}, byte {exc.start}). Save it as UTF-8 "
            "(in Excel: 'CSV UTF-8 (comma delimited)') and rerun."
        ) from None
    return text


def _records(text: str) -> Iterable[tuple[int, list[str]]]:
    """Yield (line number where the record starts, cells), skipping blank lines."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            yield line, cells
    except csv.Error as exc:
        raise ResidentListError(f"The CSV cannot be read at line {reader.line_num}: {exc}. Fix the quoting and rerun.") from None


def _columns(header: list[str], line: int) -> dict[str, int]:
    names = [unicodedata.normalize("NFC", cell).strip().lower() for cell in header]
    if not names:
        raise ResidentListError(f"The CSV is empty. Its first line must name the columns: {', '.join(COLUMNS)}.")
    unknown = [name for name in names if name not in COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if unknown or missing or repeated:
        details = []
        if missing:
            details.append(f"missing {', '.join(missing)}")
        if unknown:
            details.append(f"unknown {', '.join(repr(name) for name in unknown)}")
        if repeated:
            details.append(f"repeated {', '.join(repeated)}")
        raise ResidentListError(
            f"The CSV header on line {line} ({'; '.join(details)}) must name the columns "
            f"{', '.join(REQUIRED_COLUMNS)} and optionally {', '.join(OPTIONAL_COLUMNS)}. See the README."
        )
    return {name: index for index, name in enumerate(names)}


def _check_address(line: int, raw: str, problems: list[RowProblem]) -> str | None:
    if not raw:
        problems.append(RowProblem(line, "address", "is empty"))
        return None
    if not raw.startswith("0x") or not is_hex_address(raw):
        problems.append(RowProblem(line, "address", f"{raw!r} is not a wallet address (0x followed by 40 hex digits)"))
        return None
    if raw[2:] != raw[2:].lower() and raw[2:] != raw[2:].upper() and not is_checksum_address(raw):
        problems.append(RowProblem(line, "address", f"{raw} has a wrong EIP-55 checksum (a typo?); copy the address again from the wallet"))
        return None
    if raw.lower() == ZERO_ADDRESS:
        problems.append(RowProblem(line, "address", "is the zero address, which cannot hold a card"))
        return None
    return to_checksum_address(raw)


def _check_name(line: int, raw: str, template: CardTemplate, problems: list[RowProblem]) -> str | None:
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        problems.append(RowProblem(line, "display_name", "is empty"))
        return None
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        problems.append(RowProblem(line, "display_name", f"has {len(name)} characters; at most {MAX_DISPLAY_NAME_LENGTH}"))
        return None
    try:
        layout_display_name(template, name)
    except CardRenderError as exc:
        problems.append(RowProblem(line, "display_name", str(exc)))
        return None
    return name


def _check_date(line: int, raw: str, problems: list[RowProblem]) -> date | None:
    if not raw:
        return None
    try:
        # fromisoformat alone would also take 20260401 and 2026-W14-3.
        if _ISO_DATE.fullmatch(raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    problems.append(RowProblem(line, "issued_on", f"{raw!r} is not a date written YYYY-MM-DD"))
    return None


def _check_batch(line: int, raw: str, problems: list[RowProblem]) -> str | None:
    batch = unicodedata.normalize("NFC", raw)
    if not batch:
        return None
    if len(batch) > MAX_BATCH_LENGTH or any(unicodedata.category(c) == "Cc" for c in batch):
        problems.append(RowProblem(line, "batch", f"must be at most {MAX_BATCH_LENGTH} characters without control characters"))
        return None
    return batch
