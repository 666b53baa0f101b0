"""Resource declarations, one module per domain. Importing this package registers them all."""

from backoffice.resources import partners, products, transactions

__all__ = ["partners", "products", "transactions"]
