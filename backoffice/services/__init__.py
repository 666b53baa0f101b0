"""Business rules per domain: keyword-only functions that take a session."""
