"""The tables of the systems beyond lead management: credits, enrichment, background jobs,
LinkedIn, prospect lists and voice clones (``tables.py`` holds the rest and names these
too). Every table that holds customer data carries ``account_id`` and every index starts
with it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)

from buena_server.table_types import UTCDateTime, metadata

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
