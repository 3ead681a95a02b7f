"""A lead's timeline: its status changes found by a column, not by reading each event's JSON.

Migration 0015 indexed every lead.updated event by ``data.object.id``, an expression each
insert of one had to compute from the event's JSON (and index, status change or not). The
lead whose status an event changed is now stored beside it (``status_change_of``, filled for
the events that exist), and a partial index covers those events only.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 04:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Migration 0015's index: its expression and name on each dialect.
_LEAD_OF_EVENT = {
    "sqlite": "json_extract(data, '$.object.id')",
    "postgresql": "(data -> 'object' ->> 'id')",
}
_STATUS_BEFORE = {
    "sqlite": "json_extract(data, '$.previous_attributes.status')",
    "postgresql": "(data -> 'previous_attributes' ->> 'status')",
}
_CHANGED = "status_change_of IS NOT NULL"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("events", sa.Column("status_change_of", sa.String(40), nullable=True))
    op.execute(
        f"UPDATE events SET status_change_of = {_LEAD_OF_EVENT[dialect]} "  # noqa: S608
        f"WHERE type = 'lead.updated' AND {_STATUS_BEFORE[dialect]} IS NOT NULL"
    )
    op.create_index(
        "ix_events_status_changes",
        "events",
        ["account_id", "status_change_of", "created_at", "id"],
        sqlite_where=sa.text(_CHANGED),
        postgresql_where=sa.text(_CHANGED),
    )
    op.drop_index(f"ix_events_lead_updated_{dialect}", table_name="events")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_events_status_changes", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("status_change_of")
    # After the column's drop: SQLite's batch copy of the table could not carry an
    # expression index over.
    where: dict[str, Any] = {f"{dialect}_where": sa.text("type = 'lead.updated'")}
    op.create_index(
        f"ix_events_lead_updated_{dialect}",
        "events",
        ["account_id", sa.text(_LEAD_OF_EVENT[dialect]), "created_at", "id"],
        **where,
    )
