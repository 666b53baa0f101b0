"""The REST API under ``/api/v1``: every engine resource's endpoints generated from its
declaration, each domain's flows for the customer platform (``domains/<name>/api.py``), served
by the portal's own workers. Callers are API clients (``domains.integrations.clients``), never
people."""
