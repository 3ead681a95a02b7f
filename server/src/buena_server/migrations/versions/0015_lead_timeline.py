"""A lead's timeline: an index of lead.updated events by the lead they are about.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 05:20:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The expression of the time (0018 replaced this index by a column), frozen here.
_LEAD_OF_EVENT = {
    "sqlite": "json_extract(data, '$.object.id')",
    "postgresql": "(data -> 'object' ->> 'id')",
}
_ONLY = "type = 'lead.updated'"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    where: dict[str, Any] = {f"{dialect}_where": sa.text(_ONLY)}
    op.create_index(
        f"ix_events_lead_updated_{dialect}",
        "events",
        ["account_id", sa.text(_LEAD_OF_EVENT[dialect]), "created_at", "id"],
        **where,
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index(f"ix_events_lead_updated_{dialect}", table_name="events")
