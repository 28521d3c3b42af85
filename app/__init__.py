"""The Nishikawa Digital Residents site."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app.config import Config, instance_path


def create_app(config: Config | None = None) -> Flask:
    """Create the site: config, instance folder, extensions, blueprints, error handlers, CLI."""
    config = config or Config()
    app = Flask(__name__, instance_path=str(instance_path(config)), instance_relative_config=True)
    app.config.from_mapping(config.as_mapping())
    app.config["SETTINGS"] = config

    from app.database import RowIdConverter

    app.url_map.converters["int"] = RowIdConverter

    from app.inputs import register_input_guard
    from app.instance import prepare_instance
    from app.logs import configure_logging
    from app.security import trust_proxies

    prepare_instance(app)
    configure_logging(app)
    trust_proxies(app, config.TRUSTED_PROXY_HOPS)
    register_input_guard(app)

    from app.pages.views import use_town_templates

    use_town_templates(app)

    from app.extensions import babel, csrf, db, limiter, login_manager, migrate
    from app.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from app.auth.sessions import load_account

    login_manager.user_loader(load_account)

    from app import models  # noqa: F401  (registers every table with the metadata)
    from app.auth.views import bp as auth_bp
    from app.health import bp as health_bp
    from app.i18n import bp as i18n_bp
    from app.pages.views import bp as pages_bp
    from app.staff.views import bp as staff_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(i18n_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(staff_bp)

    from community import register_community

    register_community(app)

    from minting.gateway import register_gateway

    register_gateway(app)

    from app.database import register_unit_of_work
    from app.errors import register_error_handlers
    from app.formatting import register_formatting
    from app.security import load_chain_libraries, register_security_headers

    register_formatting(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_unit_of_work(app)
    load_chain_libraries()
    return app
