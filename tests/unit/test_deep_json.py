"""One deeply nested JSON body must not kill the process.

web3 imports py_ecc, which raises the interpreter's recursion limit to 100000; with that limit
the C JSON decoder overflows the C stack (SIGSEGV) before its recursion guard trips. These tests
run the site in a fresh interpreter — so py_ecc really is imported for the first time, and a
crash fails the test instead of killing the test run — post the 100,000-deep body to every POST
route of the URL map (JSON endpoints first among them), and check that the process is alive,
answered 400 `bad_request`, and answers the next request.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys
from pathlib import Path

before_app = sys.getrecursionlimit()
from app import create_app
from app.security import SAFE_RECURSION_LIMIT
from tests.conftest import make_config, reset_schema, session_for

folder = Path(sys.argv[1])
site = create_app(make_config(folder, f"sqlite:///{folder / 'deep.sqlite3'}", 9))
after_app = sys.getrecursionlimit()
py_ecc_loaded = "py_ecc" in sys.modules
with site.app_context():
    reset_schema()
    from app.auth.models import Account, StaffRole
    from app.chain.models import Holding
    from app.extensions import db
    from datetime import UTC, datetime
    admin = Account(address="0x" + "12" * 20)
    admin.staff_roles = [StaffRole(role="admin", granted_by="test")]
    db.session.add(admin)
    db.session.flush()
    db.session.add(Holding(resident_number=1, holder=admin.address, locked=True, minted_block=1, minted_at=datetime(2026, 4, 1, tzinfo=UTC), acquired_block=1))
    db.session.commit()
    admin_id = admin.id

bodies = {"100000 deep (200 KB)": "[" * 100000 + "]" * 100000, "30000 deep (60 KB, under the size bound)": "[" * 30000 + "]" * 30000}
results = []
for signed_in in (False, True):
    client = site.test_client()
    if signed_in:
        values = session_for(site, admin_id)
        with client.session_transaction() as session:
            session.update(values)
    page = client.get("/sign-in").get_data(as_text=True)
    token = json.loads(page.split('id="sign-in-data">', 1)[1].split("</script>", 1)[0])["csrfToken"]
    for rule in sorted(site.url_map.iter_rules(), key=lambda rule: rule.rule):
        if "POST" not in (rule.methods or ()):
            continue
        with site.test_request_context():
            url = site.url_for(rule.endpoint, **{name: ("town" if name == "slug" else "lock" if name == "action" else 1) for name in rule.arguments})
        json_endpoint = getattr(site.view_functions[rule.endpoint], "json_shape", None) is not None
        for name, body in bodies.items():
            # What a library may do to the interpreter at any time (py_ecc did it at import).
            sys.setrecursionlimit(100000)
            response = client.post(url, data=body, content_type="application/json", headers={"X-CSRFToken": token})
            answer = response.get_json(silent=True) or {}
            results.append({"endpoint": rule.endpoint, "json": json_endpoint, "body": name, "signed_in": signed_in, "status": response.status_code, "error": answer.get("error"), "limit_after": sys.getrecursionlimit()})
    results.append({"endpoint": "next request", "status": client.get("/").status_code})
print(json.dumps({"before_app": before_app, "after_app": after_app, "py_ecc_loaded": py_ecc_loaded, "safe": SAFE_RECURSION_LIMIT, "results": results}))
"""


@pytest.fixture(scope="module")
def child(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    folder = tmp_path_factory.mktemp("deep-json")
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"the site's process died (exit {done.returncode}; -11 is SIGSEGV): {done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_process_survives_and_answers_the_next_request(child: dict) -> None:  # type: ignore[type-arg]
    nexts = [row["status"] for row in child["results"] if row["endpoint"] == "next request"]
    assert nexts == [200, 200]


def test_every_json_endpoint_refuses_the_deep_body_with_bad_request(child: dict) -> None:  # type: ignore[type-arg]
    rows = [row for row in child["results"] if row.get("json")]
    endpoints = {row["endpoint"] for row in rows}
    assert {"auth.sign_in_message", "auth.sign_in_post", "exchange.check_in_submit"} <= endpoints, endpoints
    for row in rows:
        if row["signed_in"] or row["endpoint"].startswith("auth."):
            assert (row["status"], row["error"]) == (400, "bad_request"), row


def test_no_post_route_answers_500(child: dict) -> None:  # type: ignore[type-arg]
    failures = [row for row in child["results"] if row["status"] >= 500]
    assert not failures, failures
    assert len({row["endpoint"] for row in child["results"]}) >= 30, "the URL map gave too few POST routes to mean anything"


def test_the_recursion_limit_is_safe_after_start_up_and_after_every_request(child: dict) -> None:  # type: ignore[type-arg]
    assert child["py_ecc_loaded"], "py_ecc (which raises the limit to 100000) was imported while the site started"
    assert child["after_app"] <= child["safe"], "create_app() left py_ecc's limit in place"
    raised = [row for row in child["results"] if "limit_after" in row and row["limit_after"] > child["safe"]]
    assert not raised, raised[:3]
