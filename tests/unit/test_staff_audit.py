"""The audit log: every staff action recorded once, filters, pages, CSV export, append-only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.audit.models import AuditEntry
from app.auth.models import Account
from app.chain.anvil import AnvilProcess
from app.extensions import db
from app.staff import audit as audit_log
from app.staff import service
from tests.conftest import new_address

ALICE = "0x00000000000000000000000000000000000A11CE"


def entry(action: str, at: datetime, actor: str = "cli:mayor", target: str = "resident:1", **details: object) -> None:
    db.session.add(AuditEntry(occurred_at=at, actor=actor, action=action, target=target, details=details))


def actions_logged() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def organizer(create_account) -> Account:  # type: ignore[no-untyped-def]
    return create_account(roles=("organizer",))


@pytest.fixture
def staff_client(client: FlaskClient, organizer: Account, sign_in) -> FlaskClient:  # type: ignore[no-untyped-def]
    return sign_in(client, organizer)


# -- each staff action is recorded once -----------------------------------------------------------


def test_role_changes_are_recorded_once_each(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    address = new_address()
    for args in (["roles", "grant", address, "organizer"], ["roles", "grant", address, "organizer"], ["roles", "revoke", address, "organizer"], ["roles", "revoke", address, "organizer"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    with app.app_context():
        assert actions_logged() == ["role.grant", "role.revoke"], "a grant or revoke that changed nothing was logged"
        grant = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "role.grant")).one()
        assert (grant.target, grant.details, grant.actor.startswith("cli:")) == (address, {"role": "organizer"}, True)


@pytest.mark.chain
def test_a_deploy_is_recorded_once(app: Flask, runner, anvil: AnvilProcess) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        result = runner.invoke(args=["deploy"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        # The card, then the passkey account factory (paid by the minting key); the second run sends nothing.
        assert actions_logged() == ["contract.deploy", "passkey_factory.deploy"]


def test_an_export_is_recorded_with_its_filters(app: Flask, staff_client: FlaskClient, organizer: Account) -> None:
    assert staff_client.get("/staff/audit.csv?action=role.grant&since=2026-12-01").status_code == 200
    with app.app_context():
        export = db.session.scalars(sa.select(AuditEntry)).one()
        assert (export.action, export.actor, export.details) == ("audit.export", organizer.address, {"filters": {"action": "role.grant", "since": "2026-12-01"}})


def test_every_recorded_action_has_a_label_for_people() -> None:
    for action in ("contract.deploy", "role.grant", "role.revoke", "card.revoke", "card.recover", "card.update", "meetup.create", "forum.post.hide", "audit.export"):
        assert action in service.ACTION_LABELS


# -- filters and pages ----------------------------------------------------------------------------------


@pytest.fixture
def seeded_log(app: Flask) -> None:
    """Five entries around the day boundary of 1-2 December 2026 in Tokyo."""
    with app.app_context():
        entry("role.grant", datetime(2026, 11, 30, 14, 59, tzinfo=UTC), actor=ALICE)  # 30 Nov 23:59 JST
        entry("role.grant", datetime(2026, 11, 30, 15, 0, tzinfo=UTC))  # 1 Dec 00:00 JST
        entry("card.revoke", datetime(2026, 12, 1, 14, 59, tzinfo=UTC), actor=ALICE)  # 1 Dec 23:59 JST
        entry("card.revoke", datetime(2026, 12, 1, 15, 0, tzinfo=UTC))  # 2 Dec 00:00 JST
        entry("meetup.create", datetime(2026, 12, 5, tzinfo=UTC), actor=ALICE, target="meetup:3", title_ja="交流会")
        db.session.commit()


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, 5),
        ({"actor": ALICE.lower()}, 3),
        ({"actor": ALICE}, 3),
        ({"action": "card.revoke"}, 2),
        ({"since": "2026-12-01", "until": "2026-12-01"}, 2),
        ({"since": "2026-12-02"}, 2),
        ({"until": "2026-11-30"}, 1),
        ({"actor": ALICE, "action": "card.revoke", "since": "2026-12-01", "until": "2026-12-01"}, 1),
        ({"action": "contract.deploy"}, 0),
    ],
)
def test_filters(app_context: Flask, seeded_log: None, organizer: Account, filters: dict[str, str], expected: int) -> None:
    from datetime import date

    typed = {key: date.fromisoformat(value) if key in {"since", "until"} else value for key, value in filters.items()}
    page = audit_log.audit_page(db.session.get(Account, organizer.id), audit_log.AuditFilters(**typed))
    assert page.total == len(page.entries) == expected
    assert page.actions == ["card.revoke", "meetup.create", "role.grant"]


def test_the_page_lists_newest_first_with_the_filters_kept(staff_client: FlaskClient, seeded_log: None) -> None:
    page = staff_client.get(f"/staff/audit?actor={ALICE}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    table = page[page.index('<table class="audit-table') :]
    assert table.index("Meetup scheduled") < page.index("Card revoked") < page.index("Staff role granted")
    assert "3 entries found." in page
    assert f'value="{ALICE}"' in page
    assert f"/staff/audit.csv?actor={ALICE}" in page
    assert "交流会" in page


def test_wrong_dates_are_explained_not_fatal(staff_client: FlaskClient, seeded_log: None) -> None:
    response = staff_client.get("/staff/audit?since=yesterday&until=2026-12-01", headers={"Accept-Language": "en"})
    assert response.status_code == 400, "a refused filter is a 400, shown on the page with the reason"
    page = response.get_data(as_text=True)
    assert "“yesterday” is not a date" in page
    assert 'role="alert"' in page
    assert "3 entries found." in page, "the valid filter (up to 1 December) still applies"
    swapped = staff_client.get("/staff/audit?since=2026-12-02&until=2026-12-01", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "after the “to” day" in swapped and "3 entries found." in swapped


def test_pages_of_fifty(app: Flask, staff_client: FlaskClient) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        for minute in range(120):
            entry("role.grant", start + timedelta(minutes=minute), target=f"n{minute:03d}")
        db.session.commit()
    first = staff_client.get("/staff/audit", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Page 1 of 3" in first and "n119" in first and "n070" in first and "n069" not in first
    assert 'rel="next" href="/staff/audit?page=2"' in first and 'rel="prev"' not in first
    last = staff_client.get("/staff/audit?page=3", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Page 3 of 3" in last and "n019" in last and "n020" not in last and 'rel="next"' not in last
    beyond = staff_client.get("/staff/audit?page=99", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Page 3 of 3" in beyond


# -- CSV ------------------------------------------------------------------------------------------------


def test_csv_export(app: Flask, staff_client: FlaskClient) -> None:
    with app.app_context():
        entry("meetup.create", datetime(2026, 12, 5, 11, 0, tzinfo=UTC), actor=ALICE, target="meetup:3", title_ja="年末の交流会", note="=HYPERLINK(\"x\")")
        entry("role.grant", datetime(2026, 12, 4, tzinfo=UTC), target="=cmd|' /C calc'!A0", role="organizer")
        entry("card.revoke", datetime(2026, 12, 6, tzinfo=UTC))
        db.session.commit()
    response = staff_client.get("/staff/audit.csv?action=meetup.create&action=ignored")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-log-')
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == list(audit_log.AUDIT_CSV_HEADER)
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["occurred_at"], row["actor"], row["action"], row["target"]) == ("2026-12-05T20:00:00+09:00", ALICE, "meetup.create", "meetup:3")
    assert row["details"] == '{"note": "=HYPERLINK(\\"x\\")", "title_ja": "年末の交流会"}'

    everything = list(csv.reader(io.StringIO(staff_client.get("/staff/audit.csv").get_data().decode("utf-8-sig"))))
    seeded = [line for line in everything[1:] if line[3] != "audit.export"]
    assert [line[3] for line in seeded] == ["role.grant", "meetup.create", "card.revoke"], "oldest first"
    assert [line[3] for line in everything].count("audit.export") == 2, "both exports are in the log, this one included"
    assert seeded[0][4] == "'=cmd|' /C calc'!A0", "a cell that starts a formula is defused"


# -- append-only ------------------------------------------------------------------------------------------


def test_staff_routes_only_read(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff."):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, f"{rule.rule} accepts {rule.methods}"


def _has_trigger(app: Flask) -> bool:
    with app.app_context():
        return db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) >= "0009"


def test_the_database_refuses_to_change_an_entry(app: Flask) -> None:
    if not _has_trigger(app):
        pytest.skip("migration 0009 (audit append-only trigger) is not applied: alembic could not reach it from 0008")
    with app.app_context():
        entry("role.grant", datetime(2026, 12, 1, tzinfo=UTC))
        db.session.commit()
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(sa.update(AuditEntry).values(actor="someone else"))
            db.session.flush()
        db.session.rollback()
        assert db.session.scalars(sa.select(AuditEntry.actor)).one() == "cli:mayor"
        # DELETE stays open to the database administrator (retention) and the test cleanup; the
        # site has no route or service that deletes (see migration 0009).
        db.session.execute(sa.delete(AuditEntry))
        db.session.commit()


# -- who sees residents' personal details ---------------------------------------------------------------

HOLDER = "0x00000000000000000000000000000000000B0B00"
NEW_HOLDER = "0x00000000000000000000000000000000000C0C00"


@pytest.fixture
def card_actions(app: Flask) -> None:
    with app.app_context():
        entry("card.revoke", datetime(2026, 12, 3, tzinfo=UTC), target="resident:7", holder=HOLDER, reason="deceased", transaction_hash="0x" + "ab" * 32)
        entry("card.recover", datetime(2026, 12, 4, tzinfo=UTC), target="resident:8", previous_holder=HOLDER, new_holder=NEW_HOLDER, transaction_hash="0x" + "cd" * 32)
        entry("forum.post.hide", datetime(2026, 12, 5, tzinfo=UTC), target="forum_post:3", reason="spam")
        db.session.commit()


def test_organizers_see_the_action_but_not_the_residents_wallets_or_reasons(staff_client: FlaskClient, card_actions: None) -> None:
    page = staff_client.get("/staff/audit", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "resident:7" in page and "resident:8" in page, "which card, and that it happened, stay visible"
    assert HOLDER not in page and NEW_HOLDER not in page
    assert "deceased" not in page
    assert "(shown to admins only)" in page
    assert "spam" in page, "a moderator's reason for hiding a post is not a resident's personal data"
    exported = staff_client.get("/staff/audit.csv").get_data(as_text=True)
    assert HOLDER not in exported and NEW_HOLDER not in exported and "deceased" not in exported
    assert "resident:7" in exported


def test_admins_see_every_detail(client: FlaskClient, create_account, sign_in, card_actions: None) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, create_account(roles=("admin",)))
    page = client.get("/staff/audit", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert HOLDER in page and NEW_HOLDER in page and "deceased" in page
    exported = client.get("/staff/audit.csv").get_data(as_text=True)
    assert HOLDER in exported and "deceased" in exported


def test_hiding_details_never_changes_the_stored_entry(app: Flask, staff_client: FlaskClient, card_actions: None) -> None:
    assert staff_client.get("/staff/audit").status_code == 200
    with app.app_context():
        stored = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "card.revoke")).one()
        assert stored.details["holder"] == HOLDER and stored.details["reason"] == "deceased"
