import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient

from app.auth.models import ADMIN, MODERATOR, ORGANIZER
from app import create_app
from community.gating.access import resident_required, role_required
from community.gating.service import is_resident, residency_of
from tests.conftest import new_address


@pytest.fixture(scope="module")
def probe_app(session_app: Flask) -> Flask:
    """A second app on the same database, with two probe routes behind the decorators."""
    probe_app = create_app(session_app.config["SETTINGS"])
    probe = Blueprint("gating_probe", __name__)

    @probe.get("/_probe/residents")
    @resident_required
    def residents_only() -> str:
        from flask import g

        return f"resident {g.residency.resident_number}"

    @probe.get("/_probe/organizers")
    @role_required(ORGANIZER)
    def organizers_only() -> str:
        return "organizer"

    probe_app.register_blueprint(probe)
    return probe_app


@pytest.fixture
def client(app: Flask, probe_app: Flask) -> FlaskClient:
    return probe_app.test_client()


def test_residency_comes_from_the_holdings_table(app_context: Flask, give_card) -> None:  # type: ignore[no-untyped-def]
    holder, visitor = new_address(), new_address()
    number = give_card(holder, 42)
    residency = residency_of(holder)
    assert residency is not None and residency.resident_number == number == 42
    assert is_resident(holder)
    assert not is_resident(visitor)


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/_probe/residents?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/_probe/residents?x%3D1"
    assert client.get("/_probe/residents", headers={"Accept": "application/json"}).status_code == 401


def test_a_visitor_without_a_card_is_told_why(client: FlaskClient, create_account, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, create_account())
    response = client.get("/_probe/residents", headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert "holds no resident card" in response.get_data(as_text=True)


def test_a_card_holder_is_let_in(client: FlaskClient, create_account, give_card, sign_in) -> None:  # type: ignore[no-untyped-def]
    account = create_account()
    give_card(account.address, 7)
    sign_in(client, account)
    response = client.get("/_probe/residents")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "resident 7"


@pytest.mark.parametrize(("roles", "status"), [((), 403), ((MODERATOR,), 403), ((ORGANIZER,), 200), ((ADMIN,), 200)])
def test_staff_pages_need_the_role(client: FlaskClient, create_account, sign_in, roles: tuple[str, ...], status: int) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, create_account(roles=roles))
    assert client.get("/_probe/organizers").status_code == status
