"""`make screenshots`: the home page, a thread, a meetup, an exchange event and the staff
dashboard at 1280 and 360 px, in Japanese and English, into screenshots/ (ignored by git).

Everything is local and needs no wallet: a fresh SQLite database in a temporary instance folder
with the demo data (scripts/demo.py), a local anvil chain for the dashboard's health figures (when
`make install` put it there), the site served on a free port in this process, and Debian's
Chromium driven by Playwright with a signed-in session cookie.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUTPUT = ROOT / "screenshots"
WIDTHS = (1280, 360)
LANGUAGES = ("ja", "en")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> int:
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from app import create_app
    from app.chain.anvil import free_port, start_anvil
    from app.config import Config
    from scripts.demo import seed_demo

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("Chromium is missing: install it with `apt-get install -y chromium`.", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="residents-screenshots-") as instance:
        port, chain_port = free_port(), free_port()
        try:
            chain = start_anvil(chain_port, log_path=Path(instance) / "anvil.log")
        except Exception as exc:  # the pages do not need it; the dashboard then says the chain is away
            print(f"No local chain for the dashboard ({exc}); continuing without it.", file=sys.stderr)
            chain = None
        config = Config(
            {
                "RESIDENTS_ENV": "testing",
                "INSTANCE_PATH": instance,
                "DATABASE_URL": f"sqlite:///{instance}/demo.sqlite3",
                "SECRET_KEY": "screenshots-only",
                "SITE_URL": f"http://127.0.0.1:{port}",
                # The pages read the holdings table the demo fills; the chain only feeds the dashboard.
                "CHAIN_RPC_URL": f"http://127.0.0.1:{chain_port}",
            }
        )
        app = create_app(config)
        with app.app_context():
            upgrade()
        demo = seed_demo(app)
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            shots = shoot(app, f"http://127.0.0.1:{port}", chromium, demo)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            if chain is not None:
                chain.stop()
    print(f"Wrote {len(shots)} screenshots to {OUTPUT.relative_to(ROOT)}/:")
    for path in shots:
        print(f"  {path.name}")
    return 0


def session_cookie(app, account_id: int) -> str:  # type: ignore[no-untyped-def]
    """A signed-in browser's cookie: the account and its server-side session record, as sign-in makes them."""
    from app.auth.sessions import SESSION_TOKEN, SessionPolicy, open_session
    from app.extensions import db

    with app.app_context():
        token = open_session(account_id, "siwe", SessionPolicy.from_config(app.config["SETTINGS"]))
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session.update({"_user_id": str(account_id), "_fresh": True, SESSION_TOKEN: token})
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def shoot(app, site: str, chromium: str, demo) -> list[Path]:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    pages = [
        ("home", "/", None),
        ("thread", f"/forums/t/{demo.thread_id}", demo.named_resident_id),
        ("meetup", f"/meetups/{demo.meetup_id}", demo.nameless_resident_id),
        ("exchange-event", f"/events/{demo.event_id}", demo.nameless_resident_id),
        ("staff-dashboard", "/staff", demo.staff_id),
    ]
    OUTPUT.mkdir(exist_ok=True)
    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        for language in LANGUAGES:
            for width in WIDTHS:
                context = browser.new_context(locale=language, viewport={"width": width, "height": 900}, device_scale_factor=1)
                for name, path, who in pages:
                    context.clear_cookies()
                    if who is not None:
                        context.add_cookies([{"name": "session", "value": session_cookie(app, who), "url": site}])
                    page = context.new_page()
                    page.set_extra_http_headers({"Accept-Language": language})
                    response = page.goto(site + path, wait_until="networkidle")
                    if response is None or response.status != 200:
                        raise SystemExit(f"{path} answered {response and response.status}")
                    page.evaluate("document.fonts.ready")
                    target = OUTPUT / f"{name}-{width}-{language}.png"
                    page.screenshot(path=str(target), full_page=True)
                    written.append(target)
                    page.close()
                context.close()
        browser.close()
    return written


if __name__ == "__main__":
    sys.exit(main())
