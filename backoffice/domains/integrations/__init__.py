"""Integrations: the API clients of other systems (the customer platform), their keys, and the
webhooks that tell those systems what the staff decided."""
