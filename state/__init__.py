"""Reflex states, one module per domain: thin, guarded, one page of view data each."""
