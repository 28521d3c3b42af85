"""The residents' community: gating, forums, metaverse meetups, real-world exchange events."""

from __future__ import annotations

from flask import Flask


def register_community(app: Flask) -> None:
    """Register every community blueprint and the gating error pages (called by create_app)."""
    from community.gating.access import register_gating

    register_gating(app)
