"""Realistic leads in bulk: COPY into PostgreSQL, executemany into SQLite.

About 2% of the leads match the search term "john" (first names John/Johnny/Johanna, last
name Johnson, or johnson.* emails); "zqxj" matches a handful (the rare term).
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from buena_server.kit.db import encode_json_text
from buena_server.leads.repository import derived_values

FIRST = [
    "Alice",
    "Bob",
    "Carol",
    "David",
    "Emma",
    "Frank",
    "Grace",
    "Hugo",
    "Ines",
    "Jack",
    "Karen",
    "Liam",
    "Maria",
    "Noah",
    "Olivia",
    "Paul",
    "Quinn",
    "Rosa",
    "Sam",
    "Tina",
    "Umar",
    "Vera",
    "Will",
    "Xena",
    "Yusuf",
    "Zoe",
    "Ada",
    "Björn",
    "Chloé",
    "Dmitri",
    "Élodie",
    "Fatima",
    "Giulia",
    "Hiroshi",
    "Ingrid",
    "Jorge",
    "Kenji",
    "Lucía",
    "Mateo",
    "Nadia",
    "Oscar",
    "Priya",
    "Rahul",
    "Sofia",
    "Tomás",
    "Ursula",
    "Viktor",
    "Wen",
    "Yara",
]
LAST = [
    "Smith",
    "Brown",
    "Garcia",
    "Miller",
    "Davis",
    "Martinez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Lee",
    "Perez",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Allen",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Phillips",
    "Evans",
    "Müller",
    "Schmidt",
    "Dubois",
    "Rossi",
    "Kowalski",
    "Nakamura",
    "Silva",
    "Novak",
]
COMPANIES = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark Industries",
    "Wayne Enterprises",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Vandelay",
    "Pied Piper",
    "Aperture",
    "Example Corp",
    "Monsters Inc",
    "Oscorp",
    "Gringotts",
    "Dunder Mifflin",
    "Prestige",
]
DOMAINS = ["example.com", "mail.test", "corp.example", "leads.test", "inbox.example"]
STATUSES = ["active"] * 7 + ["contacted"] * 2 + ["inactive"]
TAGS = ["conference", "webinar", "referral", "inbound", "outbound", "hot", "cold", "vip"]
COLUMNS = (
    "id",
    "account_id",
    "first_name",
    "last_name",
    "email",
    "company",
    "phone",
    "linkedin_url",
    "job_title",
    "location",
    "notes",
    "tags",
    "custom_fields",
    "status",
    "created_at",
    "updated_at",
    "email_lower",
    "first_name_lower",
    "last_name_lower",
    "full_name_lower",
    "company_lower",
)


# After a bulk load that bypassed the application: make the per-status counters exact.
RECOUNT = (
    "DELETE FROM lead_counts WHERE slot <> 0",
    "UPDATE lead_counts SET count = (SELECT count(*) FROM leads"
    " WHERE leads.account_id = lead_counts.account_id AND leads.status = lead_counts.status)",
)


def leads(account_id: str, count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    id_prefix = hashlib.sha1(account_id.encode()).hexdigest()[:8]  # noqa: S324 (not security)
    for i in range(count):
        roll = rng.random()
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if roll < 0.012:
            first = rng.choice(["John", "Johnny", "Johanna"])
        elif roll < 0.018:
            last = "Johnson"
        elif roll < 0.0181 and i % 7 == 0:
            last = "Zqxjoe"
        local = f"{first}.{last}.{i}".lower().replace(" ", "")
        if 0.018 <= roll < 0.02:
            local = f"johnson.{i}"
        email = f"{local}@{rng.choice(DOMAINS)}"
        company = rng.choice(COMPANIES) if rng.random() < 0.9 else None
        created = start + timedelta(seconds=i * 13 + rng.randint(0, 12))
        row = {
            "id": f"lead_{id_prefix}{i:016x}",
            "account_id": account_id,
            "first_name": first,
            "last_name": last,
            "email": email,
            "company": company,
            "phone": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            "linkedin_url": f"https://linkedin.com/in/{local.replace('.', '-')}",
            "job_title": rng.choice(["CTO", "VP Sales", "Engineer", "Founder", "Buyer"]),
            "location": rng.choice(["Berlin", "Austin", "Lyon", "Osaka", "Lima", None]),
            "notes": None,
            "tags": rng.sample(TAGS, rng.randint(0, 3)),
            "custom_fields": {"source": rng.choice(["web", "event", "import"]), "score": i % 100},
            "status": rng.choice(STATUSES),
            "created_at": created,
            "updated_at": created,
        }
        row.update(derived_values(first, last, email, company))
        yield row


def postgres_record(row: dict[str, Any]) -> tuple[Any, ...]:
    """A lead's row as asyncpg takes it (COPY or executemany), in ``COLUMNS`` order."""
    plain = {
        **row,
        "tags": encode_json_text(row["tags"]),
        "custom_fields": encode_json_text(row["custom_fields"]),
    }
    return tuple(plain[c] for c in COLUMNS)


def sqlite_record(row: dict[str, Any]) -> tuple[Any, ...]:
    """A lead's row as the server's SQLite columns hold it, in ``COLUMNS`` order."""
    plain = {
        **row,
        "tags": encode_json_text(row["tags"]),
        "custom_fields": encode_json_text(row["custom_fields"]),
    }
    # SQLAlchemy's SQLite format, microseconds always written: the text compares as the
    # server's bound values do (keyset paging and exports compare times as text).
    for stamp in ("created_at", "updated_at"):
        plain[stamp] = row[stamp].replace(tzinfo=None).isoformat(" ", timespec="microseconds")
    return tuple(plain[c] for c in COLUMNS)


INSERT_SQLITE = (
    f"INSERT INTO leads ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
)


async def copy_into_postgres(
    conn: asyncpg.Connection, account_id: str, count: int, seed: int = 7
) -> None:
    records = (postgres_record(row) for row in leads(account_id, count, seed))
    await conn.copy_records_to_table("leads", records=records, columns=list(COLUMNS))


def insert_into_sqlite(path: str, account_id: str, count: int, seed: int = 7) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executemany(
            INSERT_SQLITE, (sqlite_record(row) for row in leads(account_id, count, seed))
        )
        for statement in RECOUNT:
            db.execute(statement)
