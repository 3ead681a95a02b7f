"""PostgreSQL: the jobs trigger notifies only when a statement inserted jobs due to be
claimed.

A fan-out writes its deliveries' jobs already leased to the worker that runs them
(``webhooks.fanout``, ``JobContext.hand_over``): no other worker can claim them, so waking
every worker for them (each then claiming nothing) is wasted work. The trigger notifies when
the statement inserted a queued job.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOTIFY = """
CREATE OR REPLACE FUNCTION buena_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted_jobs WHERE status = 'queued') THEN
        PERFORM pg_notify('buena_jobs', '');
    END IF;
    RETURN NULL;
END
$$
"""
_NOTIFY_BEFORE = """
CREATE OR REPLACE FUNCTION buena_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted_jobs) THEN
        PERFORM pg_notify('buena_jobs', '');
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_NOTIFY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_NOTIFY_BEFORE)
