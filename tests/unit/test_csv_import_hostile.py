"""Hostile input for the residents CSV: whatever the bytes, the import either reads the file or
refuses it as a whole with ResidentListError; it never fails in another way, and every valid
row it returns really is valid."""

from __future__ import annotations

import pytest
from eth_utils import is_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minting.cards import default_template
from minting.csv_import import ResidentListError, read_resident_csv

ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

cells = st.one_of(
    st.text(max_size=60),
    st.sampled_from([ADDRESS, ADDRESS.lower(), "0x" + "0" * 40, "0xZZ", "=HYPERLINK(\"x\")", "山田 太郎", "2026-02-30", "2026-04-01", "\u202e", "\x00", '"', ",", "\r\n"]),
)
lines = st.lists(st.lists(cells, max_size=6), max_size=12)
headers = st.sampled_from(["address,display_name", "address,display_name,issued_on,batch", "display_name,address", "adress,name", ""])


def as_csv(header: str, rows: list[list[str]]) -> bytes:
    body = "\n".join(",".join(row) for row in rows)
    return (header + "\n" + body).encode("utf-8", errors="surrogatepass")


def read(data: bytes):  # type: ignore[no-untyped-def]
    return read_resident_csv(data, default_template(), held_cards=lambda addresses: {})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=headers, rows=lines, bom=st.booleans())
def test_any_csv_text_is_read_or_refused_cleanly(header: str, rows: list[list[str]], bom: bool) -> None:
    try:
        data = as_csv(header, rows)
    except UnicodeEncodeError:
        return
    try:
        result = read((b"\xef\xbb\xbf" if bom else b"") + data)
    except ResidentListError as refused:
        assert str(refused)  # says what is wrong with the file
        return
    for row in result.rows:
        assert is_checksum_address(row.address)
        assert row.display_name.strip() == row.display_name and row.display_name
    for problem in result.problems:
        assert problem.line >= 2 and problem.message


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_the_import(data: bytes) -> None:
    try:
        read(data)
    except ResidentListError:
        pass


@pytest.mark.parametrize("data", [b"\xff\xfe\x00a", b"address,display_name\n" + b"\x00" * 50, b"\xef\xbb\xbf"])
def test_unreadable_files_are_refused_as_a_whole(data: bytes) -> None:
    try:
        result = read(data)
    except ResidentListError as refused:
        assert "UTF-8" in str(refused) or "header" in str(refused) or "column" in str(refused)
    else:
        assert not result.rows
