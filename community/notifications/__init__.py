"""Notices for one person, shown on every page while unread (meetup reminders, waitlist seats, …)."""
