"""Alembic environment: one migration history for SQLite and PostgreSQL.

Used programmatically (``buena_server.migrate``), which hands over a connection, and from the
alembic command line, which reads BUENA_DATABASE_URL.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from buena_server.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    dialect = connection.dialect.name

    def include_object(
        obj: Any, _name: str | None, type_: str, _reflected: bool, _compare_to: Any
    ) -> bool:
        # Indexes declared for one dialect only (``Index(...).ddl_if(dialect=...)``, such
        # as PostgreSQL's trigram indexes) are not expected on the others.
        ddl_if = getattr(obj, "_ddl_if", None)
        if type_ == "index" and ddl_if is not None and ddl_if.dialect is not None:
            wanted = ddl_if.dialect
            return dialect in ((wanted,) if isinstance(wanted, str) else tuple(wanted))
        return True

    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=dialect == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_settings() -> None:
    from buena_server.config import get_settings
    from buena_server.kit.db import create_engine

    engine = create_engine(get_settings().database_url)
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_from_settings())
