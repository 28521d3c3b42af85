"""Demo data for looking at the site without a wallet or a chain: residents (some without a
display name), the town's forum categories with threads, metaverse meetups and exchange events,
written through the same services the site uses. Used by `make screenshots` and by the tests
that crawl the site as a person would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask import Flask

from app.auth.models import ADMIN, MODERATOR, ORGANIZER, Account, StaffRole
from app.chain.models import Holding
from app.extensions import db
from app.timeutil import utcnow

#: Addresses of the demo people (anvil's public dev accounts #1–#6; never used on a real chain).
ADDRESSES = (
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
)


@dataclass(frozen=True)
class Demo:
    """Account ids of the demo people and the rows the pages are about."""

    staff_id: int
    named_resident_id: int
    nameless_resident_id: int
    visitor_id: int
    thread_id: int
    meetup_id: int
    event_id: int


def _account(address: str, display_name: str | None = None, roles: tuple[str, ...] = (), card: int | None = None, locale: str | None = None) -> Account:
    account = Account(address=address, display_name=display_name, locale=locale)
    account.staff_roles = [StaffRole(role=role, granted_by="demo") for role in roles]
    db.session.add(account)
    if card is not None:
        minted = datetime(2026, 4, 1, tzinfo=UTC) + timedelta(days=card * 3)
        db.session.add(Holding(resident_number=card, holder=address, locked=True, minted_block=card, minted_at=minted, acquired_block=card))
    db.session.flush()
    return account


def seed_demo(app: Flask) -> Demo:
    """Write the demo data into the app's (migrated, empty) database and commit."""
    from community.exchange import service as exchange
    from community.forums import service as forums
    from community.meetups import service as meetups
    from community.meetups.models import GOING

    with app.test_request_context():
        staff = _account(ADDRESSES[0], "西川町役場", roles=(ADMIN, ORGANIZER, MODERATOR))
        hanako = _account(ADDRESSES[1], "西川 花子", card=1)
        nameless = _account(ADDRESSES[2], None, card=2)
        maria = _account(ADDRESSES[3], "Maria García", card=3, locale="en")
        quiet = _account(ADDRESSES[4], None, card=4)
        visitor = _account(ADDRESSES[5], None)
        for number in range(5, 40):
            db.session.add(Holding(resident_number=number, holder=f"0x{number:040x}", locked=True, minted_block=number, minted_at=datetime(2026, 4, 1, tzinfo=UTC) + timedelta(days=number * 5), acquired_block=number))

        categories = [
            ("announcements", "町からのお知らせ", "Announcements from the town", "町役場からのお知らせです。", "News from the town office.", "public"),
            ("square", "住民の広場", "Residents' square", "デジタル住民どうしの雑談の場です。", "Chat among digital residents.", "residents"),
            ("meetups", "交流会の相談", "Planning meetups", "交流会の企画や感想をどうぞ。", "Ideas and impressions of meetups.", "residents"),
            ("qa", "Q&A", "Questions and answers", "ウォレットやデジタル住民票の質問はこちら。", "Questions about wallets and cards.", "public"),
        ]
        for position, (slug, name_ja, name_en, description_ja, description_en, visibility) in enumerate(categories):
            forums.create_category(staff, forums.CategoryInput(slug, name_ja, name_en, description_ja, description_en, position, visibility))

        forums.start_thread(hanako, forums.NewThread("announcements", "冬の雪まつりでデジタル住民の集いを開きます", "2月の **雪まつり** に合わせて、デジタル住民の集いを開きます。詳しくは交流会のページをご覧ください。"))
        forums.start_thread(hanako, forums.NewThread("announcements", "月山志津温泉の無料入浴について", "デジタル住民票をお持ちの方は、対象の温泉に無料で入浴できます。"))
        thread = forums.start_thread(hanako, forums.NewThread("square", "西川町のおすすめの温泉", "月山の麓の温泉に行きました。**雪見風呂**が最高でした。\n\n- 水沢温泉\n- 大井沢温泉"))
        forums.reply(nameless, forums.NewReply(thread.id, "大井沢温泉、私も行きました！ 帰りに *山菜そば* を食べました。"))
        forums.reply(maria, forums.NewReply(thread.id, "I went to Mizusawa onsen last winter. The snow was amazing."))
        forums.reply(quiet, forums.NewReply(thread.id, "次の交流会の前に寄りたいです。駐車場はありますか？"))
        forums.reply(hanako, forums.NewReply(thread.id, "> 駐車場はありますか？\n\nどちらも無料の駐車場があります。"))
        forums.start_thread(nameless, forums.NewThread("qa", "ウォレットを新しいスマホに移すには？", "機種変更をしたので、デジタル住民票を新しいスマホで見たいです。"))

        now = utcnow()
        soon = (now + timedelta(days=9)).replace(hour=11, minute=0, second=0, microsecond=0)  # 20:00 in Tokyo
        meetup = meetups.create_meetup(
            staff,
            meetups.MeetupDraft(
                "町長と話そう 冬の回", "Talk with the mayor: winter", "今年の西川町を振り返り、来年の計画を話します。", "Looking back on the year and planning the next.",
                soon, soon + timedelta(hours=1), "cluster", "https://cluster.mu/e/demo-nishikawa", 30, soon - timedelta(hours=2),
            ),
        )
        later = soon + timedelta(days=30)
        meetups.create_meetup(
            staff,
            meetups.MeetupDraft("月山を歩く会（オンライン）", "Walking Gassan (online)", "VRChat で月山の景色を歩きます。", "A walk through Gassan's views in VRChat.", later, later + timedelta(minutes=90), "vrchat", "https://vrchat.com/home/world/demo", 40),
        )
        for resident in (hanako, nameless, maria):
            meetups.respond(resident, meetup.id, GOING)

        starts = (now + timedelta(days=40)).replace(hour=5, minute=0, second=0, microsecond=0)  # 14:00 in Tokyo
        event = exchange.create_event(
            staff,
            exchange.EventDraft(
                "雪まつり デジタル住民の集い", "Snow festival: digital residents' gathering", "雪まつりの会場で町長とデジタル住民が集います。", "The mayor meets digital residents at the snow festival.",
                starts, starts + timedelta(hours=3), starts - timedelta(days=3), "西川町交流センター あいべ", "山形県西村山郡西川町大字海味510", Decimal("38.4239"), Decimal("140.1500"), 40,
            ),
            now=now,
        )
        exchange.create_event(
            staff,
            exchange.EventDraft(
                "春の山菜を味わう会", "Spring mountain vegetables", "旬の山菜料理を囲みます。", "A lunch of seasonal mountain vegetables.",
                starts + timedelta(days=60), starts + timedelta(days=60, hours=2), starts + timedelta(days=55), "大井沢地区 自然と匠の伝承館", "山形県西村山郡西川町大字大井沢", None, None, 20,
            ),
            now=now,
        )
        for resident in (hanako, nameless):
            exchange.register(resident, event.id, now=now)
        db.session.commit()
        return Demo(staff.id, hanako.id, nameless.id, visitor.id, thread.id, meetup.id, event.id)
