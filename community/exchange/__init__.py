"""Real-world exchange events: scheduling, registration, check-in at the venue, attendance
anchored on-chain, and open data."""
