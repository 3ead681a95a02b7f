"""PostgreSQL: the jobs trigger notifies only when a statement inserted jobs.

Events write their deliveries' jobs in their own statement (``webhooks.outbox``), which
inserts none for an event nobody subscribes to; a statement-level trigger would still fire
for it. The trigger now reads the statement's inserted rows (a transition table) and
notifies only when there are some.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOTIFY = """
CREATE OR REPLACE FUNCTION buena_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted_jobs) THEN
        PERFORM pg_notify('buena_jobs', '');
    END IF;
    RETURN NULL;
END
$$
"""
_TRIGGER = """
CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs
REFERENCING NEW TABLE AS inserted_jobs
FOR EACH STATEMENT EXECUTE FUNCTION buena_jobs_notify()
"""
_NOTIFY_BEFORE = """
CREATE OR REPLACE FUNCTION buena_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('buena_jobs', '');
    RETURN NULL;
END
$$
"""
_TRIGGER_BEFORE = """
CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs
FOR EACH STATEMENT EXECUTE FUNCTION buena_jobs_notify()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER jobs_inserted ON jobs")
        op.execute(_NOTIFY)
        op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER jobs_inserted ON jobs")
        op.execute(_NOTIFY_BEFORE)
        op.execute(_TRIGGER_BEFORE)
