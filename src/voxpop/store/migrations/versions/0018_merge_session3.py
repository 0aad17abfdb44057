"""merge: the dashboard's version token (0014) and the store-wide topics (0017) joined again, so the
next migration has one parent

Revision ID: 0018
Revises: 0014, 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0018"
down_revision = ("0014", "0017")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
