"""Exchange events as open data: the government's standard event-list layout (CSV, UTF-8 with
BOM) and the same rows as JSON. Aggregates only: no wallet, name or resident number leaves here.

Columns: 自治体標準オープンデータセット「イベント一覧」 in its order (36 items). The standard
renamed the older 推奨データセット and aligned it with the government interoperability framework:
the first columns became 全国地方公共団体コード / ID / 地方公共団体名 (instead of 都道府県コード又は
市区町村コード / NO / 都道府県名 / 市区町村名), and the application contact and image columns were
added. Published municipal templates of the standard spell English names `…_英語`. The attendance count is not part of the standard; it goes in one extra column
after the last standard one, so tools reading the standard columns by position or name are not
disturbed, and the number stays machine-readable (備考 is free text).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.spreadsheet import csv_file
from app.timeutil import TOKYO
from community.exchange.models import CANCELLED, CLOSED, ExchangeEvent


STANDARD_COLUMNS: tuple[str, ...] = (
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "イベント名",
    "イベント名_カナ",
    "イベント名_英語",
    "開始日",
    "終了日",
    "開始時間",
    "終了時間",
    "開始日時特記事項",
    "説明",
    "料金(基本)",
    "料金(詳細)",
    "連絡先名称",
    "連絡先電話番号",
    "連絡先内線番号",
    "主催者",
    "場所名称",
    "住所",
    "方書",
    "緯度",
    "経度",
    "アクセス方法",
    "駐車場情報",
    "定員",
    "参加申込終了日",
    "参加申込終了時間",
    "参加申込方法",
    "参加申込先名称",
    "参加申込先電話番号",
    "参加申込先内線番号",
    "画像",
    "画像_ライセンス",
    "URL",
    "備考",
)
#: Our one extra column: residents who checked in (filled once the event is closed).
ATTENDANCE_COLUMN = "参加者数"
COLUMNS = (*STANDARD_COLUMNS, ATTENDANCE_COLUMN)

LICENSE = "CC BY 4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/deed.ja"
DATASET_TITLE = "イベント一覧（デジタル住民リアル交流会）"


@dataclass(frozen=True)
class Publisher:
    """The town that publishes the data, from configuration."""

    local_government_code: str
    prefecture: str
    municipality: str
    site_url: str


def _date(moment: datetime) -> str:
    return moment.astimezone(TOKYO).strftime("%Y-%m-%d")


def _time(moment: datetime) -> str:
    return moment.astimezone(TOKYO).strftime("%H:%M")


def event_row(event: ExchangeEvent, attendance: int | None, publisher: Publisher) -> dict[str, Any]:
    """Return one event as a mapping of column name to value (None for empty)."""
    remarks = []
    if event.status == CANCELLED:
        remarks.append("中止")
    remarks.append(f"デジタル住民（{publisher.municipality}のNFTデジタル住民票の保有者）向けの交流会")
    return {
        "全国地方公共団体コード": publisher.local_government_code,
        "ID": f"{event.id:010d}",
        "地方公共団体名": f"{publisher.prefecture}{publisher.municipality}",
        "イベント名": event.title_ja,
        "イベント名_カナ": None,
        "イベント名_英語": event.title_en,
        "開始日": _date(event.starts_at),
        "終了日": _date(event.ends_at),
        "開始時間": _time(event.starts_at),
        "終了時間": _time(event.ends_at),
        "開始日時特記事項": None,
        "説明": event.description_ja,
        "料金(基本)": None,
        "料金(詳細)": None,
        "連絡先名称": None,
        "連絡先電話番号": None,
        "連絡先内線番号": None,
        "主催者": publisher.municipality,
        "場所名称": event.place_name,
        "住所": event.place_address,
        "方書": None,
        "緯度": None if event.latitude is None else f"{event.latitude:f}",
        "経度": None if event.longitude is None else f"{event.longitude:f}",
        "アクセス方法": None,
        "駐車場情報": None,
        "定員": event.capacity,
        "参加申込終了日": _date(event.registration_deadline),
        "参加申込終了時間": _time(event.registration_deadline),
        "参加申込方法": "デジタル住民としてサインインし、イベントのページから申し込む",
        "参加申込先名称": publisher.municipality,
        "参加申込先電話番号": None,
        "参加申込先内線番号": None,
        "画像": None,
        "画像_ライセンス": None,
        "URL": f"{publisher.site_url}/events/{event.id}",
        "備考": "。".join(remarks),
        ATTENDANCE_COLUMN: attendance if event.status == CLOSED else None,
    }


def rows(events: Sequence[ExchangeEvent], counts: Mapping[int, int], publisher: Publisher) -> list[dict[str, Any]]:
    return [event_row(event, counts.get(event.id, 0), publisher) for event in sorted(events, key=lambda e: (e.starts_at, e.id))]


def to_csv(table: Sequence[Mapping[str, Any]]) -> bytes:
    """Return the rows as CSV: UTF-8 with BOM (so spreadsheet software reads the Japanese), CRLF lines."""
    return csv_file(COLUMNS, ([row[column] for column in COLUMNS] for row in table))


def to_json(table: Sequence[Mapping[str, Any]], publisher: Publisher, generated_at: datetime) -> dict[str, Any]:
    return {
        "title": DATASET_TITLE,
        "publisher": f"{publisher.prefecture}{publisher.municipality}",
        "localGovernmentCode": publisher.local_government_code,
        "license": LICENSE,
        "licenseUrl": LICENSE_URL,
        "generatedAt": generated_at.isoformat(),
        "columns": list(COLUMNS),
        "events": [dict(row) for row in table],
    }
