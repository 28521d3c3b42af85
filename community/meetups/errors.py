"""Refusals of the meetups feature; each message says what happened and what to do instead."""

from __future__ import annotations


class MeetupError(Exception):
    """A meetup action was refused; `field` names the form field to show the message beside."""

    status = 422

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class MeetupNotFound(MeetupError):
    """No meetup (or calendar feed) answers to that id or token."""

    status = 404
