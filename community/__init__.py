"""The residents' community: gating, forums, metaverse meetups, real-world exchange events."""

from __future__ import annotations

from flask import Flask


def register_community(app: Flask) -> None:
    """Register every community blueprint and the gating error pages (called by create_app)."""
    from community.gating.access import register_gating

    register_gating(app)
    from community.exchange.views import bp as exchange_bp
    app.register_blueprint(exchange_bp)
    from community.meetups.views import bp as meetups_bp
    app.register_blueprint(meetups_bp)
    from community.notifications.views import bp as notifications_bp
    app.register_blueprint(notifications_bp)
    from community.forums.views import bp as forums_bp
    app.register_blueprint(forums_bp)
    from community.home.views import bp as home_bp
    app.register_blueprint(home_bp)
