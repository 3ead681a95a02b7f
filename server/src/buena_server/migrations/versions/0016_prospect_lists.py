"""Prospect lists: people to reach on LinkedIn, uploaded before they are leads.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import buena_server.tables

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = buena_server.tables.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "prospect_lists",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prospect_count", sa.Integer(), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_prospect_lists_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prospect_lists")),
    )
    op.create_index(
        op.f("ix_prospect_lists_account_id_created_at_id"),
        "prospect_lists",
        ["account_id", "created_at", "id"],
    )
    op.create_table(
        "prospects",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("list_id", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=True),
        sa.Column("last_name", sa.String(100), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("company", sa.String(200), nullable=True),
        sa.Column("job_title", sa.String(200), nullable=True),
        sa.Column("linkedin_url", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_prospects_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["prospect_lists.id"],
            name=op.f("fk_prospects_list_id_prospect_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prospects")),
    )
    op.create_index(
        op.f("ix_prospects_list_id_position"), "prospects", ["list_id", "position"], unique=True
    )


def downgrade() -> None:
    op.drop_table("prospects")
    op.drop_table("prospect_lists")
