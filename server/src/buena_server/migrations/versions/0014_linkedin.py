"""LinkedIn: an account's connected LinkedIn account and its scheduled actions.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import buena_server.tables

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = buena_server.tables.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "linkedin_integrations",
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("profile_url", sa.Text(), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("daily_limit", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("working_hours", sa.JSON(), nullable=False),
        sa.Column("min_delay_seconds", sa.Integer(), nullable=False),
        sa.Column("max_delay_seconds", sa.Integer(), nullable=False),
        sa.Column("executor", sa.String(64), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("updated_at", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_linkedin_integrations_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_linkedin_integrations")),
    )
    op.create_table(
        "linkedin_actions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("lead_id", sa.String(40), nullable=True),
        sa.Column("action_type", sa.String(40), nullable=False),
        sa.Column("profile_url", sa.Text(), nullable=False),
        sa.Column("profile_id", sa.String(100), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("voice_settings", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("scheduled_at", _UTC(timezone=True), nullable=True),
        sa.Column("scheduled_for", _UTC(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("error", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("executor", sa.String(64), nullable=False),
        sa.Column("connection_key", sa.String(100), nullable=True),
        sa.Column("job_id", sa.String(40), nullable=True),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("started_at", _UTC(timezone=True), nullable=True),
        sa.Column("finished_at", _UTC(timezone=True), nullable=True),
        sa.Column("updated_at", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_linkedin_actions_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkedin_actions")),
    )
    op.create_index(
        "uq_linkedin_actions_account_id_connection_key",
        "linkedin_actions",
        ["account_id", "connection_key"],
        unique=True,
    )
    op.create_index(
        op.f("ix_linkedin_actions_account_id_scheduled_for_id"),
        "linkedin_actions",
        ["account_id", "scheduled_for", "id"],
    )
    op.create_index(
        op.f("ix_linkedin_actions_account_id_started_at"),
        "linkedin_actions",
        ["account_id", "started_at"],
    )
    op.create_index(
        op.f("ix_linkedin_actions_account_id_lead_id_created_at"),
        "linkedin_actions",
        ["account_id", "lead_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_table("linkedin_actions")
    op.drop_table("linkedin_integrations")
