"""Per-account, per-status lead counters, backfilled from the leads table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_counts",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_lead_counts_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "status", name=op.f("pk_lead_counts")),
    )
    # One row per account and status, zero where the account has no such lead.
    op.execute(
        "INSERT INTO lead_counts (account_id, status, count)"
        " SELECT a.id, s.status, (SELECT count(*) FROM leads l"
        "   WHERE l.account_id = a.id AND l.status = s.status)"
        " FROM accounts a CROSS JOIN (SELECT 'active' AS status"
        "   UNION ALL SELECT 'inactive' UNION ALL SELECT 'contacted') s"
    )


def downgrade() -> None:
    op.drop_table("lead_counts")
