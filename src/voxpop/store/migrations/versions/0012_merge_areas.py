"""merge: the areas' branches (routing, replies, outreach and alerts, measure, insight, loop, history,
live sources, ops) joined again, so the next migration has one parent

Revision ID: 0012
Revises: 0003, 0004, 0005, 0006, 0007, 0008c, 0009, 0010, 0011
Create Date: 2026-11-23
"""

from __future__ import annotations

revision = "0012"
down_revision = ("0003", "0004", "0005", "0006", "0007", "0008c", "0009", "0010", "0011")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
