"""The home page: what the town's digital residency is, what is coming up, and how to join."""
