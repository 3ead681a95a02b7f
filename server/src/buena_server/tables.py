"""The schema, as SQLAlchemy Core tables. Alembic migrations create exactly this.

Every table that holds customer data carries ``account_id`` and every index starts with it:
each query touches one account (and, past one PostgreSQL, one shard).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every dialect (SQLite has no time zone type)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # SQLAlchemy's SQLite text ("2026-11-28 23:05:44.372682": naive UTC, microseconds
        # always written) by isoformat rather than SQLAlchemy's %-formatting of each field
        # (~0.5 against ~2 µs a value; a batch writes ~5 a lead). test_tables.py holds the
        # two equal.
        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given to the database")
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if dialect.name != "sqlite":
            if self.impl_instance.result_processor(dialect, coltype) is not None:
                return super().result_processor(dialect, coltype)

            # The driver's own aware datetimes (asyncpg's are UTC already): returned as they
            # are rather than converted again, 50 times per page of leads.
            def process_aware(value: datetime | None) -> datetime | None:
                if value is None or value.tzinfo is UTC:
                    return value
                return _as_utc(value)

            return process_aware

        # SQLAlchemy's SQLite format ("2026-11-28 23:05:44.372682", naive UTC) read by the C
        # ISO parser instead of SQLAlchemy's regular expression (~3 µs less per value), with
        # its offset appended so that it comes out aware: a sixth of the cost of parsing it
        # naive and replacing its tzinfo (0.15 against 0.9 µs). Anything else (a string with
        # an offset of its own) is parsed as it is and converted.
        def process(value: str | datetime | None) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str):
                try:
                    return datetime.fromisoformat(value + "+00:00")
                except ValueError:
                    value = datetime.fromisoformat(value)
            return _as_utc(value)

        return process

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _as_utc(value)


def _as_utc(value: datetime) -> datetime:
    """A stored datetime as an aware UTC one (naive ones are stored in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
    Index(None, "account_id", "created_at", "id"),
    Index(None, "account_id", "type", "created_at", "id"),
)

# A lead's status changes for its timeline (GET /leads/{id}/activities): its lead.updated
# events, found by the lead's id inside ``data`` through an expression index on each dialect,
# partial (``type = 'lead.updated'``) so that no other event pays for it (docs/design.md,
# "A lead's timeline").
LEAD_OF_EVENT = {
    "sqlite": "json_extract(data, '$.object.id')",
    "postgresql": "(data -> 'object' ->> 'id')",
}
# The index itself is made by migration 0015 only: SQLAlchemy cannot reflect an expression
# index on SQLite, so autogenerate could not compare it (migrations/env.py leaves it out).
LEAD_UPDATED_INDEX = {dialect: f"ix_events_lead_updated_{dialect}" for dialect in LEAD_OF_EVENT}
EXPRESSION_INDEXES = tuple(LEAD_UPDATED_INDEX.values())

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

# Credits (credits/): each account's balance, opened with BUENA_DEFAULT_CREDITS on the
# account's first credit operation, and spent by a conditional UPDATE (``balance >= cost``)
# so that concurrent charges never take it below zero.
credit_balances = Table(
    "credit_balances",
    metadata,
    Column("account_id", String(40), ForeignKey("accounts.id"), primary_key=True),
    Column("balance", BigInteger(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Every change of a balance, written in the same transaction as the change: the opening
# grant, each charge (negative), each operator's addition. ``balance_after`` is the balance
# the change left, so the ledger explains the balance line by line.
credit_ledger = Table(
    "credit_ledger",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger(), nullable=False),
    Column("balance_after", BigInteger(), nullable=False),
    Column("kind", String(20), nullable=False),  # grant, enrichment, operator
    Column("description", Text(), nullable=True),
    Column("request_id", String(128), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "account_id", "created_at", "id"),
)

# What enrichment wrote to a stored lead (enrichment/): the last run (when, which
# sources, its confidence) and, per field it filled, the value, its sources and when. One
# row per lead, gone with it.
lead_enrichments = Table(
    "lead_enrichments",
    metadata,
    Column("lead_id", String(40), ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("enriched_at", UTCDateTime(), nullable=False),
    Column("sources", JSON(), nullable=False),
    # A JSON number: the driver reads no float column on PostgreSQL (kit/driver).
    Column("confidence", JSON(), nullable=False),
    Column("fields", JSON(), nullable=False),
)

# Jobs (jobs/): long work an account asked for (an enrichment of thousands of leads), run in
# chunks on the durable queue and followed by GET /jobs. Not the queue's own ``jobs`` rows:
# one background job runs as a succession of queue jobs, one per chunk. ``state`` is where
# the job's kind resumes (its cursor); ``chunks`` counts the chunks done, so that a chunk
# whose queue job ran twice (a lease lost) is written once.
background_jobs = Table(
    "background_jobs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("type", String(50), nullable=False),
    Column("status", String(10), nullable=False),  # pending running completed failed canceled
    Column("total", Integer(), nullable=False),
    Column("processed", Integer(), nullable=False),
    Column("succeeded", Integer(), nullable=False),
    Column("failed", Integer(), nullable=False),
    Column("chunks", Integer(), nullable=False),
    Column("message", Text(), nullable=True),
    Column("params", JSON(), nullable=False),
    Column("state", JSON(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index(None, "account_id", "created_at", "id"),
)

# A job's result, one NDJSON line per item in the order the items were processed
# (GET /jobs/{id}/result); written by each chunk with the job's progress.
background_job_results = Table(
    "background_job_results",
    metadata,
    Column(
        "job_id", String(40), ForeignKey("background_jobs.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer(), primary_key=True),
    Column("line", Text(), nullable=False),
)  # fmt: skip

# LinkedIn (linkedin/): an account's one connected LinkedIn account, with the limits its
# actions are scheduled within (``working_hours``: {"start": "09:00", "end": "18:00",
# "days": ["mon", ...]}, in ``timezone``).
linkedin_integrations = Table(
    "linkedin_integrations",
    metadata,
    Column("account_id", String(40), ForeignKey("accounts.id"), primary_key=True),
    Column("profile_url", Text(), nullable=False),
    Column("name", String(200), nullable=True),
    Column("daily_limit", Integer(), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("working_hours", JSON(), nullable=False),
    Column("min_delay_seconds", Integer(), nullable=False),
    Column("max_delay_seconds", Integer(), nullable=False),
    Column("executor", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Every LinkedIn action an account scheduled, and what became of it: a lead's activity
# timeline reads its actions here (``lead_id``, ``action_type``, ``status``, the times,
# ``result`` and ``error``). ``lead_id`` has no foreign key: the history outlives the lead.
# ``connection_key`` is the profile's identifier while a connection request to it is
# scheduled, running or completed (and not withdrawn), null otherwise: the unique index
# makes a second one a conflict however many requests race (NULLs never conflict).
# ``job_id`` is the queue job that may run the action now; a job that finds another id here
# (the action was moved) ends without running it.
linkedin_actions = Table(
    "linkedin_actions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("lead_id", String(40), nullable=True),
    Column("action_type", String(40), nullable=False),
    Column("profile_url", Text(), nullable=False),
    Column("profile_id", String(100), nullable=False),
    Column("message", Text(), nullable=True),
    Column("voice_settings", JSON(none_as_null=True), nullable=True),
    Column("status", String(10), nullable=False),  # scheduled running completed failed canceled
    Column("scheduled_at", UTCDateTime(), nullable=True),  # what the request asked for
    Column("scheduled_for", UTCDateTime(), nullable=False),  # when it runs
    Column("attempts", Integer(), nullable=False),
    Column("result", JSON(none_as_null=True), nullable=True),
    Column("error", JSON(none_as_null=True), nullable=True),
    Column("executor", String(64), nullable=False),
    Column("connection_key", String(100), nullable=True),
    Column("job_id", String(40), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("uq_linkedin_actions_account_id_connection_key", "account_id", "connection_key",
          unique=True),
    Index(None, "account_id", "scheduled_for", "id"),
    Index(None, "account_id", "started_at"),
    Index(None, "account_id", "lead_id", "created_at"),
)  # fmt: skip

# Prospect lists (prospects/): people to reach on LinkedIn, uploaded before they are leads.
# A prospect is matched to the account's leads when read (by email, by LinkedIn URL), so a
# lead made or deleted since is seen; ``position`` keeps the upload's order.
prospect_lists = Table(
    "prospect_lists",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("prospect_count", Integer(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "account_id", "created_at", "id"),
)
prospects = Table(
    "prospects",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column(
        "list_id", String(40), ForeignKey("prospect_lists.id", ondelete="CASCADE"), nullable=False
    ),
    Column("position", Integer(), nullable=False),
    Column("first_name", String(100), nullable=True),
    Column("last_name", String(100), nullable=True),
    Column("email", String(320), nullable=True),
    Column("company", String(200), nullable=True),
    Column("job_title", String(200), nullable=True),
    Column("linkedin_url", String(500), nullable=True),  # canonical
    Index(None, "list_id", "position", unique=True),
)

# Voice clones (voice/): a voice made from uploaded samples (each in the blob store under
# ``blob_key``; ``duration_ms`` an integer: the driver reads PostgreSQL's floats only through
# a type lookup it does not do), and its analysed ``profile`` (null until the analysis job
# ends). The list reads an account's clones newest first, by status or not.
voice_clones = Table(
    "voice_clones",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("description", Text(), nullable=True),
    Column("status", String(10), nullable=False),  # processing ready failed
    Column("failure_reason", Text(), nullable=True),
    Column("sample_count", Integer(), nullable=False),
    Column("settings", JSON(), nullable=False),
    Column("labels", JSON(), nullable=False),
    Column("profile", JSON(none_as_null=True), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index(None, "account_id", "created_at", "id"),
    Index(None, "account_id", "status", "created_at", "id"),
)
voice_samples = Table(
    "voice_samples",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("clone_id", String(40), ForeignKey("voice_clones.id", ondelete="CASCADE"),
           nullable=False),
    Column("position", SmallInteger(), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("format", String(4), nullable=False),  # wav mp3 m4a flac
    Column("size_bytes", BigInteger(), nullable=False),
    Column("duration_ms", Integer(), nullable=False),
    Column("sample_rate", Integer(), nullable=False),
    Column("channels", SmallInteger(), nullable=False),
    Column("blob_key", Text(), nullable=False),
    Index(None, "clone_id", "position", unique=True),
)  # fmt: skip
