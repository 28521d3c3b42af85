"""The mint-job report (`instance/mint-jobs/job-<id>.csv`) is written with the site's safe-cell CSV
writer: a display name or an error that a spreadsheet would run as a formula is kept as text."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from flask import Flask

from app.extensions import db
from minting.issuance import JOB_REPORT_HEADER, write_job_report
from minting.models import MintJob, MintJobResident, Step

HOSTILE_NAMES = ["=HYPERLINK(\"https://evil.example\",\"山田\")", "+SUM(1+1)*cmd|' /C calc'!A0", "@cmd", "-2+3", "\tTab", "山田 太郎"]


@pytest.fixture
def job(app: Flask) -> int:
    with app.app_context():
        job = MintJob(key="k" * 64, kind="csv", source="residents.csv", chain_id=31337, contract_address="0x" + "ab" * 20)
        for line, name in enumerate(HOSTILE_NAMES, start=2):
            job.residents.append(
                MintJobResident(position=line - 2, line=line, address=f"0x{line:040x}", display_name=name, issued_on=date(2026, 4, 1), batch="spring", state=Step.FAILED, error=f"=ERROR({line})")
            )
        db.session.add(job)
        db.session.commit()
        return job.id


def test_formulas_in_the_report_stay_text(app: Flask, job: int) -> None:
    with app.app_context():
        path = write_job_report(db.session.get(MintJob, job), app.config["SETTINGS"])  # type: ignore[arg-type]
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, like the site's other CSV files"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == JOB_REPORT_HEADER
    names = [row[2] for row in rows[1:]]
    assert names == [f"'{name}" if name[0] in "=+-@\t" else name for name in HOSTILE_NAMES]
    assert all(row[-1].startswith("'=") for row in rows[1:]), "the error column too"
