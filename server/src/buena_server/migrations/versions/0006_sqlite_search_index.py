"""SQLite: a covering index for search and company filters.

SQLite cannot index ``LIKE '%term%'``, so a search's count reads every lead of the account.
Through the ``account_id`` indexes it fetched each row by rowid (10 ms for 10,000 leads);
this index holds every column the filters read, so the count reads the index alone (1.3 ms).
PostgreSQL has its trigram indexes instead.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 23:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_leads_account_id_full_name_lower_email_lower_company_lower"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(
            NAME,
            "leads",
            ["account_id", "full_name_lower", "email_lower", "company_lower"],
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(NAME, table_name="leads")
