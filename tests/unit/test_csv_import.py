"""The residents CSV: every edge case in tests/data/csv/ is checked against expected.json."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from eth_utils import is_checksum_address

from minting.cards import CardTemplate, default_template
from minting.csv_import import ResidentListError, check_resident, read_resident_csv

DATA = Path(__file__).resolve().parent.parent / "data" / "csv"
EXPECTED = json.loads((DATA / "expected.json").read_text("utf-8"))["files"]


@pytest.fixture(scope="module")
def template() -> CardTemplate:
    return default_template()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_csv_file_gives_the_expected_rows_and_problems(name: str, template: CardTemplate) -> None:
    expected = EXPECTED[name]
    checked = read_resident_csv((DATA / name).read_bytes(), template)

    assert [(row.line, row.address.lower(), row.display_name) for row in checked.rows] == [
        (line, address.lower(), display_name) for line, address, display_name in expected["valid"]
    ]
    assert all(is_checksum_address(row.address) for row in checked.rows)
    assert [(problem.line, problem.column) for problem in checked.problems] == [(line, column) for line, column, _ in expected["problems"]]
    for problem, (_, _, words) in zip(checked.problems, expected["problems"], strict=True):
        assert words in problem.message, str(problem)


def test_bom_and_crlf_are_read_like_plain_utf8(template: CardTemplate) -> None:
    plain = (DATA / "bom.csv").read_bytes().removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    with_bom = read_resident_csv((DATA / "bom.csv").read_bytes(), template)
    without = read_resident_csv(plain, template)
    assert with_bom.rows == without.rows
    assert with_bom.content_hash != without.content_hash  # a different file is a different job


def test_content_hash_is_the_same_for_the_same_bytes(template: CardTemplate) -> None:
    data = (DATA / "duplicates.csv").read_bytes()
    assert read_resident_csv(data, template).content_hash == read_resident_csv(bytes(data), template).content_hash


def test_optional_columns_are_parsed(template: CardTemplate) -> None:
    checked = read_resident_csv((DATA / "blank_lines.csv").read_bytes(), template)
    first, second = checked.rows
    assert first.issued_on is not None and first.issued_on.isoformat() == "2026-04-01"
    assert first.batch == "spring"
    assert second.issued_on is None and second.batch is None


def test_columns_may_come_in_any_order(template: CardTemplate) -> None:
    data = "display_name,Address\n山田 太郎,0x0000000000000000000000000000000000000f01\n".encode()
    (row,) = read_resident_csv(data, template).rows
    assert row.display_name == "山田 太郎"
    assert row.address.lower() == "0x0000000000000000000000000000000000000f01"


def test_wallets_that_hold_a_card_are_reported_with_their_card(template: CardTemplate) -> None:
    asked: list[Sequence[str]] = []

    def held(addresses: Sequence[str]) -> Mapping[str, int]:
        asked.append(addresses)
        return {addresses[1]: 42}

    checked = read_resident_csv((DATA / "bom.csv").read_bytes(), template, held)
    assert len(asked) == 1 and len(asked[0]) == 2
    assert [row.line for row in checked.rows] == [2]
    (problem,) = checked.problems
    assert (problem.line, problem.column) == (3, "address")
    assert "already holds resident card 42" in problem.message


def test_invalid_lines_are_not_looked_up_on_chain(template: CardTemplate) -> None:
    asked: list[str] = []
    read_resident_csv((DATA / "invalid_addresses.csv").read_bytes(), template, lambda addresses: asked.extend(addresses) or {})
    assert [address.lower() for address in asked] == ["0x0000000000000000000000000000000000000d01", "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"]


def test_every_problem_of_one_line_is_reported(template: CardTemplate) -> None:
    data = b"address,display_name,issued_on\nnot-an-address,,tomorrow\n"
    checked = read_resident_csv(data, template)
    assert checked.rows == ()
    assert [(problem.line, problem.column) for problem in checked.problems] == [(2, "address"), (2, "display_name"), (2, "issued_on")]
    assert checked.invalid_lines == (2,)


def test_a_row_with_more_cells_than_the_header_is_refused(template: CardTemplate) -> None:
    data = b"address,display_name\n0x0000000000000000000000000000000000000f02,Doe, John\n"
    (problem,) = read_resident_csv(data, template).problems
    assert (problem.line, problem.column) == (2, "(row)")
    assert "quote cells" in problem.message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"address,name\n", "missing display_name; unknown 'name'"),
        (b"address,display_name,address\n", "repeated address"),
        ("address,display_name\n0x0000000000000000000000000000000000000f03,山田\n".encode("shift_jis"), "not UTF-8 (line 2"),
        (b'address,display_name\n0x0000000000000000000000000000000000000f04,"unterminated\n', "cannot be read"),
    ],
)
def test_unreadable_files_are_refused_whole(data: bytes, words: str, template: CardTemplate) -> None:
    with pytest.raises(ResidentListError) as caught:
        read_resident_csv(data, template)
    assert words in str(caught.value)


def test_one_resident_from_the_command_line_follows_the_same_rules(template: CardTemplate) -> None:
    good = check_resident("0x0000000000000000000000000000000000000f05", " 西川 花子 ", template)
    assert [row.display_name for row in good.rows] == ["西川 花子"]
    bad = check_resident("0x0000000000000000000000000000000000000f05", "山田 🌸 花子", template, batch="x" * 65)
    assert bad.rows == ()
    assert [problem.column for problem in bad.problems] == ["display_name", "batch"]
    held = check_resident("0x0000000000000000000000000000000000000f05", "Jane", template, lambda addresses: {addresses[0]: 7})
    assert held.rows == () and "holds resident card 7" in held.problems[0].message
