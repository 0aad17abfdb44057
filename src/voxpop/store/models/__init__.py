"""The store's tables, one module per area of the flow.

``core`` holds the centre (items, sources, customers, users, departments); each other module in this
package holds an area's own tables (``act``, ``measure``, ``loop``, ``sources``, ``ops``…). Every module
here is imported when the package is, so ``Base.metadata`` always knows every table — which Alembic's
autogenerate and ``tests/store/test_migrations.py`` rely on. Schema changes go through Alembic
(``store/migrations``).
"""

from __future__ import annotations

import importlib
import pkgutil

from voxpop.store.models.core import (
    NAMING,
    ApiToken,
    AuditEvent,
    Base,
    Correction,
    Customer,
    Department,
    ImportRun,
    Item,
    ItemKind,
    ItemStatus,
    Role,
    Source,
    User,
    WebSession,
    user_departments,
)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "NAMING",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Correction",
    "Customer",
    "Department",
    "ImportRun",
    "Item",
    "ItemKind",
    "ItemStatus",
    "Role",
    "Source",
    "User",
    "WebSession",
    "user_departments",
]
