"""Lower-cased search and sort columns, their indexes, and trigram indexes on PostgreSQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 21:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DERIVED = (
    ("first_name_lower", 100, False),
    ("last_name_lower", 100, False),
    ("full_name_lower", 201, False),
    ("company_lower", 200, True),
)
_TRIGRAM = ("full_name_lower", "email_lower", "company_lower")


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("leads") as batch:
        for name, length, _nullable in _DERIVED:
            batch.add_column(sa.Column(name, sa.String(length), nullable=True))

    # Backfill with Python's str.lower, exactly as the application computes them.
    leads = sa.table(
        "leads",
        sa.column("id"),
        sa.column("first_name"),
        sa.column("last_name"),
        sa.column("company"),
        *(sa.column(name) for name, _length, _nullable in _DERIVED),
    )
    rows = bind.execute(
        sa.select(leads.c.id, leads.c.first_name, leads.c.last_name, leads.c.company)
    ).all()
    for lead_id, first, last, company in rows:
        bind.execute(
            leads.update()
            .where(leads.c.id == lead_id)
            .values(
                first_name_lower=first.lower(),
                last_name_lower=last.lower(),
                full_name_lower=f"{first} {last}".lower(),
                company_lower=company.lower() if company is not None else None,
            )
        )

    with op.batch_alter_table("leads") as batch:
        for name, length, nullable in _DERIVED:
            if not nullable:
                batch.alter_column(name, existing_type=sa.String(length), nullable=False)
        batch.create_index(
            "ix_leads_account_id_first_name_lower_id", ["account_id", "first_name_lower", "id"]
        )
        batch.create_index(
            "ix_leads_account_id_last_name_lower_id", ["account_id", "last_name_lower", "id"]
        )
        batch.create_index(
            "ix_leads_account_id_status_created_at_id",
            ["account_id", "status", "created_at", "id"],
        )

    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in _TRIGRAM:
            op.create_index(
                f"ix_leads_{column}_trgm",
                "leads",
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in _TRIGRAM:
            op.drop_index(f"ix_leads_{column}_trgm", table_name="leads")
    with op.batch_alter_table("leads") as batch:
        batch.drop_index("ix_leads_account_id_status_created_at_id")
        batch.drop_index("ix_leads_account_id_last_name_lower_id")
        batch.drop_index("ix_leads_account_id_first_name_lower_id")
        for name, _length, _nullable in reversed(_DERIVED):
            batch.drop_column(name)
