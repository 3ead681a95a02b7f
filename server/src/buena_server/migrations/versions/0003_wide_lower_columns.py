"""Lower-cased copies as TEXT: lower-casing can lengthen a string ("İ" → "i̇").

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WIDTHS = {
    "email_lower": 320,
    "first_name_lower": 100,
    "last_name_lower": 100,
    "full_name_lower": 201,
    "company_lower": 200,
}


def upgrade() -> None:
    # On PostgreSQL VARCHAR(n) → TEXT is binary compatible: no rewrite, indexes kept.
    with op.batch_alter_table("leads") as batch:
        for name, width in _WIDTHS.items():
            batch.alter_column(name, existing_type=sa.String(width), type_=sa.Text())


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        for name, width in _WIDTHS.items():
            batch.alter_column(name, existing_type=sa.Text(), type_=sa.String(width))
