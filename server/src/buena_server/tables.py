"""The schema, as SQLAlchemy Core tables. Alembic migrations create exactly this.

Every table that holds customer data carries ``account_id`` and every index starts with it:
each query touches one account (and, past one PostgreSQL, one shard).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

from buena_server.table_types import UTCDateTime, metadata
from buena_server.tables_systems import (
    background_job_results,
    background_jobs,
    credit_balances,
    credit_ledger,
    lead_enrichments,
    linkedin_actions,
    linkedin_integrations,
    prospect_lists,
    prospects,
    voice_clones,
    voice_samples,
)

# Named here for the modules that import every table from one place.
__all__ = [
    "COUNTER_SLOTS",
    "STATUS_CHANGES_INDEX",
    "UTCDateTime",
    "accounts",
    "api_keys",
    "background_job_results",
    "background_jobs",
    "credit_balances",
    "credit_ledger",
    "events",
    "idempotency_keys",
    "jobs",
    "lead_counts",
    "lead_enrichments",
    "leads",
    "linkedin_actions",
    "linkedin_integrations",
    "metadata",
    "prospect_lists",
    "prospects",
    "voice_clones",
    "voice_samples",
    "webhook_deliveries",
    "webhooks",
]


accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", String(1000), nullable=True),
    # sha256 of the full key, hex; the key itself is never stored.
    Column("key_digest", String(64), nullable=False, unique=True),
    Column("key_preview", String(16), nullable=False),
    Column("permissions", JSON(), nullable=False),
    Column("is_active", Boolean(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("last_used", UTCDateTime(), nullable=True),
    Index(None, "account_id", "created_at"),
)

leads = Table(
    "leads",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(320), nullable=False),
    Column("company", String(200), nullable=True),
    Column("phone", String(50), nullable=True),
    Column("linkedin_url", String(500), nullable=True),
    Column("job_title", String(200), nullable=True),
    Column("location", String(200), nullable=True),
    Column("notes", Text(), nullable=True),
    Column("tags", JSON(), nullable=False),
    Column("custom_fields", JSON(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # Lower-cased copies, computed in Python when a lead is written, so that uniqueness,
    # case-insensitive search and name sorting behave identically on every dialect (and
    # whatever the database's locale) and can be served by plain indexes. TEXT, because
    # lower-casing can lengthen a string ("İ" becomes two characters).
    Column("email_lower", Text(), nullable=False),
    Column("first_name_lower", Text(), nullable=False),
    Column("last_name_lower", Text(), nullable=False),
    Column("full_name_lower", Text(), nullable=False),
    Column("company_lower", Text(), nullable=True),
    Index("uq_leads_account_id_email_lower", "account_id", "email_lower", unique=True),
    Index(None, "account_id", "created_at", "id"),
    Index(None, "account_id", "updated_at", "id"),
    Index(None, "account_id", "first_name_lower", "id"),
    Index(None, "account_id", "last_name_lower", "id"),
    Index(None, "account_id", "status", "created_at", "id"),
)

# How many leads each account has in each status, kept in the same transaction as every
# write to leads, so that an unfiltered (or status-only) list reports its exact total
# without counting the account's rows on every request. Each write adds to one of
# COUNTER_SLOTS rows (its slot picked at random) so that concurrent writers to one account
# seldom wait for each other; a total is the sum over the slots.
COUNTER_SLOTS = 16
lead_counts = Table(
    "lead_counts",
    metadata,
    Column("account_id", String(40), ForeignKey("accounts.id"), primary_key=True),
    Column("status", String(20), primary_key=True),
    Column("slot", SmallInteger(), primary_key=True, server_default=text("0")),
    Column("count", BigInteger(), nullable=False),
)

# Substring search ("%john%") on PostgreSQL: trigram GIN indexes. SQLite has no equivalent
# index for LIKE '%x%' (see docs/design.md); there, one index holding every column the
# filters read lets a search's count read the index instead of fetching each row.
Index(
    "ix_leads_account_id_full_name_lower_email_lower_company_lower",
    leads.c.account_id,
    leads.c.full_name_lower,
    leads.c.email_lower,
    leads.c.company_lower,
).ddl_if(dialect="sqlite")
for _column in ("full_name_lower", "email_lower", "company_lower"):
    Index(
        f"ix_leads_{_column}_trgm",
        leads.c[_column],
        postgresql_using="gin",
        postgresql_ops={_column: "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")

# The answers kept for Idempotency-Keys (idempotency/): one row per account and key, claimed
# by the first request (the primary key makes a second claim fail, across processes), its
# answer written in the same transaction as the change it reports where the request has one.
# ``expires_at`` is indexed on its own: expired rows are purged across accounts.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("account_id", String(40), ForeignKey("accounts.id"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("token", String(32), nullable=False),
    Column("locked_until", UTCDateTime(), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("status", SmallInteger(), nullable=True),
    Column("headers", JSON(), nullable=True),
    Column("body", LargeBinary(), nullable=True),
    Index(None, "expires_at"),
)


# The durable queue (queue/): work written in the same transaction as the change that
# caused it. ``run_at`` is when a job may next be claimed: for a queued job its due time,
# for a running one the end of its lease (so a job whose worker died is due again once the
# lease runs out), NULL for a dead one (kept for inspection, never claimed). One index on
# it serves every claim. Jobs are infrastructure, not customer data: no ``account_id``
# (a job's payload names what it works on). A finished job is deleted.
jobs = Table(
    "jobs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("task", String(100), nullable=False),
    Column("payload", JSON(), nullable=False),
    Column("status", String(10), nullable=False),  # queued, running, dead
    Column("run_at", UTCDateTime(), nullable=True),
    Column("attempts", Integer(), nullable=False),  # runs started
    Column("failures", Integer(), nullable=False),  # runs that raised or lost their lease
    Column("max_attempts", Integer(), nullable=False),
    Column("locked_by", String(40), nullable=True),
    Column("last_error", Text(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "run_at"),
)

STATUS_CHANGES_INDEX = "ix_events_status_changes"
# What happened in an account (events/): the catalogue's events, listed newest first by
# GET /events and delivered to webhooks. Kept BUENA_EVENTS_RETENTION_DAYS.
events = Table(
    "events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("type", String(100), nullable=False),
    Column("data", JSON(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # The lead whose status the event changed (a lead.updated event with the status in its
    # previous_attributes), else NULL: a lead's timeline (GET /leads/{id}/activities) reads
    # its status changes through the partial index below, which no other event pays for
    # (docs/decisions/lead-timeline.md).
    Column("status_change_of", String(40), nullable=True),
    Index(None, "account_id", "created_at", "id"),
    Index(None, "account_id", "type", "created_at", "id"),
    Index(
        STATUS_CHANGES_INDEX,
        "account_id",
        "status_change_of",
        "created_at",
        "id",
        sqlite_where=text("status_change_of IS NOT NULL"),
        postgresql_where=text("status_change_of IS NOT NULL"),
    ),
)


# Webhook endpoints (webhooks/). ``secret`` signs deliveries, so it is kept as it is (not a
# digest; docs/security.md); ``previous_secret`` keeps signing until its expiry after a
# rotation. ``failing_since``: the first failed attempt since the last success (the disable
# rule).
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("events", JSON(), nullable=False),
    Column("description", Text(), nullable=True),
    Column("is_active", Boolean(), nullable=False),
    Column("secret", String(100), nullable=False),
    Column("previous_secret", String(100), nullable=True),
    Column("previous_secret_expires_at", UTCDateTime(), nullable=True),
    Column("failing_since", UTCDateTime(), nullable=True),
    Column("disabled_reason", Text(), nullable=True),
    Column("disabled_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index(None, "account_id", "created_at"),
)

# One row per (event, webhook): the delivery's state, its attempts counted across retries and
# redeliveries. Deleted with its webhook. ``event_id`` is no foreign key: events are purged
# after their retention while deliveries stay listed.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("webhook_id", String(40), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("last_status_code", Integer(), nullable=True),
    Column("last_error", Text(), nullable=True),
    Column("next_attempt_at", UTCDateTime(), nullable=True),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    # The queue job that may attempt it now: a job that finds another id here (a redelivery
    # replaced it) ends without sending.
    Column("job_id", String(40), nullable=True),
    Index(None, "account_id", "webhook_id", "created_at"),
    Index(None, "account_id", "webhook_id", "status", "created_at"),
)
