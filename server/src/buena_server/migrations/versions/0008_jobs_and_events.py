"""The durable queue's jobs and the events it delivers; on PostgreSQL, a NOTIFY when jobs
are inserted, so that every server process's worker wakes at once.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import buena_server.tables

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel queue/listener.py listens on (queue.model.NOTIFY_CHANNEL); repeated in a
# migration on purpose: migrations never change once released.
_NOTIFY = """
CREATE FUNCTION buena_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('buena_jobs', '');
    RETURN NULL;
END
$$
"""
# Once per statement, not per row: a statement inserting many jobs wakes workers once, and
# PostgreSQL folds identical notifications of one transaction into one.
_TRIGGER = """
CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs
FOR EACH STATEMENT EXECUTE FUNCTION buena_jobs_notify()
"""


def upgrade() -> None:
    utc = buena_server.tables.UTCDateTime(timezone=True)
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("task", sa.String(100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("run_at", utc, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_by", sa.String(40), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", utc, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_run_at"), "jobs", ["run_at"])
    op.create_table(
        "events",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_events_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(
        op.f("ix_events_account_id_created_at_id"), "events", ["account_id", "created_at", "id"]
    )
    op.create_index(
        op.f("ix_events_account_id_type_created_at_id"),
        "events",
        ["account_id", "type", "created_at", "id"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_NOTIFY)
        op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER jobs_inserted ON jobs")
        op.execute("DROP FUNCTION buena_jobs_notify()")
    op.drop_index("ix_events_account_id_type_created_at_id", table_name="events")
    op.drop_index("ix_events_account_id_created_at_id", table_name="events")
    op.drop_table("events")
    op.drop_index("ix_jobs_run_at", table_name="jobs")
    op.drop_table("jobs")
