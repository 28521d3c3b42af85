"""Errors of the gating layer: who may see or do what."""

from __future__ import annotations


class AccessDenied(Exception):
    """The signed-in person may not do this; the message says why and what would let them."""

    status = 403


class NotSignedIn(AccessDenied):
    """Nobody is signed in; signing in with a wallet may open the page."""

    status = 401
