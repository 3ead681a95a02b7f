"""Lead counters in slots: concurrent writes to one account spread over several rows.

Every create, delete and status change updates its account's counter for that status in the
same transaction. With one row per account and status, concurrent writers to one account
queue on that row until each commits (halving PostgreSQL's insert throughput here); with
slots each writer updates one of several rows, and a total is the sum of the slots.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lead_counts") as batch:
        batch.add_column(
            sa.Column("slot", sa.SmallInteger(), nullable=False, server_default=sa.text("0"))
        )
        batch.drop_constraint("pk_lead_counts", type_="primary")
        batch.create_primary_key("pk_lead_counts", ["account_id", "status", "slot"])


def downgrade() -> None:
    # Fold every slot into slot 0, then drop the column.
    op.execute(
        "UPDATE lead_counts SET count = (SELECT sum(c.count) FROM lead_counts c"
        " WHERE c.account_id = lead_counts.account_id AND c.status = lead_counts.status)"
        " WHERE slot = 0"
    )
    op.execute("DELETE FROM lead_counts WHERE slot <> 0")
    with op.batch_alter_table("lead_counts") as batch:
        batch.drop_constraint("pk_lead_counts", type_="primary")
        batch.create_primary_key("pk_lead_counts", ["account_id", "status"])
        batch.drop_column("slot")
