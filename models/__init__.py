"""SQLModel tables, one module per domain (named as the domain is). Importing this package
registers every table: each module in it is imported, so a new domain's tables need no list."""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
