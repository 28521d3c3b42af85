"""Metaverse meetups with the mayor: scheduling, gated invitations, RSVP and waitlist, calendars, reminders."""
