"""accounts: the ``ops:read`` scope for the Prometheus endpoint, split from ``metrics:read``

Until now ``metrics:read`` opened both ``/metrics`` (operations: queue depth, latencies…) and the CX
metrics API ``/api/v1/metrics`` (business data). From now on ``/metrics`` needs ``ops:read``; every
token that had ``metrics:read`` gets ``ops:read`` too, so that it keeps what it could do. Downgrade
takes ``ops:read`` away again (a token left with no scope keeps ``metrics:read``).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

OLD, NEW = "metrics:read", "ops:read"
TOKENS = sa.table(
    "api_tokens",
    sa.column("id", sa.Integer()),
    sa.column("scopes", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
)


def _scopes(value: Any) -> list[str]:
    if isinstance(value, str):  # a driver that hands JSON back as text
        value = json.loads(value)
    return [str(s) for s in value or []]


def _rewrite(change: Any) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(TOKENS.c.id, TOKENS.c.scopes)).all():
        scopes = _scopes(row.scopes)
        new = change(scopes)
        if new != scopes:
            bind.execute(sa.update(TOKENS).where(TOKENS.c.id == row.id).values(scopes=new))


def upgrade() -> None:
    _rewrite(lambda scopes: sorted({*scopes, NEW}) if OLD in scopes else scopes)


def downgrade() -> None:
    _rewrite(lambda scopes: [s for s in scopes if s != NEW] or [OLD])
