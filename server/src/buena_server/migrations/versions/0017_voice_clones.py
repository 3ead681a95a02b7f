"""Voice clones and their samples.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import buena_server.tables

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = buena_server.tables.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "voice_clones",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("profile", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("updated_at", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_voice_clones_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_clones")),
    )
    op.create_index(
        op.f("ix_voice_clones_account_id_created_at_id"),
        "voice_clones",
        ["account_id", "created_at", "id"],
    )
    op.create_index(
        op.f("ix_voice_clones_account_id_status_created_at_id"),
        "voice_clones",
        ["account_id", "status", "created_at", "id"],
    )
    op.create_table(
        "voice_samples",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("clone_id", sa.String(40), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("format", sa.String(4), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("sample_rate", sa.Integer(), nullable=False),
        sa.Column("channels", sa.SmallInteger(), nullable=False),
        sa.Column("blob_key", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_voice_samples_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["clone_id"],
            ["voice_clones.id"],
            name=op.f("fk_voice_samples_clone_id_voice_clones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_samples")),
    )
    op.create_index(
        op.f("ix_voice_samples_clone_id_position"),
        "voice_samples",
        ["clone_id", "position"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_table("voice_samples")
    op.drop_table("voice_clones")
