"""Every SQLAlchemy internal the driver relies on, and nothing else.

The driver compiles statements with SQLAlchemy and runs them on asyncpg or sqlite3 itself
(see the package docstring), so it reads what SQLAlchemy's own execution context reads from
a compiled statement. Those are internals: private attributes, keyword arguments and
methods, and dialect behaviour no API promises. They are all here, each in one small
function saying what it is and why the driver needs it; the rest of the driver imports
them from here and touches no other SQLAlchemy internal. ``test_sqlalchemy_internals.py``
exercises each one by name, so an upgrade that changes one fails there, saying which,
before any query does. pyproject.toml pins the SQLAlchemy versions they were checked on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any

from sqlalchemy.engine import URL, Dialect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.cache_key import CacheKey
from sqlalchemy.sql.compiler import ExpandedState, SQLCompiler
from sqlalchemy.util import LRUCache

__all__ = [
    "CacheKey",
    "ExpandedState",
    "LRUCache",
    "Processor",
    "bind_processors",
    "cache_key",
    "compile_statement",
    "dialect_for",
    "expand",
    "expands",
    "named_values_only",
    "parameters",
    "positions",
    "result_columns",
    "statement_kind",
]

Processor = Callable[[Any], Any]


def dialect_for(
    url: URL, *, json_serializer: Callable[[Any], str], json_deserializer: Callable[[Any], Any]
) -> Dialect:
    """The dialect of an engine that never connects (``NullPool``): SQLAlchemy builds a
    dialect only with an engine. Its JSON bind processor serialises with
    ``json_serializer`` (the dialect keeps it as ``_json_serializer``). On asyncpg the JSON
    type has no result processor: the dialect leaves decoding to a ``json`` codec it
    installs on each connection, which ``driver.postgres`` installs the same way."""
    engine = create_async_engine(
        url,
        poolclass=NullPool,
        json_serializer=json_serializer,
        json_deserializer=json_deserializer,
    )
    return engine.dialect


def cache_key(statement: ClauseElement) -> CacheKey | None:
    """``ClauseElement._generate_cache_key()``: the statement's shape (``.key``: equal for
    statements that differ only in their values) and its values (``.bindparams``), or None
    for a statement that cannot be cached."""
    return statement._generate_cache_key()


def named_values_only(key: CacheKey) -> bool:
    """``CacheKey.bindparams`` and ``BindParameter.required``: every value of the statement
    is a ``bindparam()`` built without one, so all come by name at execution."""
    return all(bind.required for bind in key.bindparams)


def compile_statement(
    statement: ClauseElement,
    dialect: Dialect,
    column_keys: Iterable[str] | None,
    key: CacheKey | None,
) -> SQLCompiler:
    """``ClauseElement.compile(..., cache_key=...)``: the compiled form keeps the cache key
    it was built for, so that ``construct_params(extracted_parameters=...)`` can take the
    values of a later statement of the same shape (SQLAlchemy's compiled cache does this).
    ``column_keys``: the names of values given apart, which decide the columns of an INSERT
    or UPDATE without ``.values()``."""
    options: dict[str, Any] = {"cache_key": key} if key is not None else {}
    compile_: Any = statement.compile  # typed without the compiler's keyword arguments
    compiled = compile_(
        dialect=dialect, column_keys=list(column_keys) if column_keys else None, **options
    )
    assert isinstance(compiled, SQLCompiler)
    return compiled


def parameters(
    compiled: SQLCompiler, given: Mapping[str, Any] | None, key: CacheKey | None
) -> MutableMapping[str, Any]:
    """``SQLCompiler.construct_params(params, extracted_parameters=, escape_names=False)``:
    every value by name, those given and those the statement ``key`` was taken from holds,
    under the names ``positions`` and ``bind_processors`` use."""
    return compiled.construct_params(
        params=dict(given) if given else None,
        extracted_parameters=key.bindparams if key is not None else None,
        escape_names=False,
    )


def positions(compiled: SQLCompiler) -> tuple[str, ...]:
    """``SQLCompiler.positiontup``: the names of the driver's positional values, in order
    (for PostgreSQL's ``$1, $2...``, in the order of their numbers)."""
    return tuple(compiled.positiontup or ())


def bind_processors(compiled: SQLCompiler) -> dict[str, Processor]:
    """``SQLCompiler._bind_processors``: by parameter name, the function that turns a value
    into what the driver takes (absent where the value goes as it is)."""
    return dict(compiled._bind_processors)  # type: ignore[arg-type]


def result_columns(
    compiled: SQLCompiler, dialect: Dialect
) -> tuple[tuple[str, Processor | None], ...]:
    """``SQLCompiler._result_columns`` (each entry's ``keyname`` and ``type``) and
    ``TypeEngine._cached_result_processor``: the name of each column the statement returns,
    and the function that turns what the driver gives into the column type's value.

    The processors are looked up once per statement shape, before any row, so without the
    driver's column type (SQLAlchemy passes it from the cursor). The types whose processor
    needs it (on asyncpg: ``Float`` and ``Numeric``, which convert or not by the column's
    PostgreSQL type) are refused here, naming the column, rather than read wrongly."""
    columns = []
    for column in compiled._result_columns:
        try:
            process = column.type._cached_result_processor(dialect, None)
        except Exception as exc:
            raise NotImplementedError(
                f"result column {column.keyname!r} of type {column.type!r}: on "
                f"{dialect.name} its result processor needs the driver's column type, "
                "which this driver does not look up; cast it to a type that does not "
                "(Integer, String...)"
            ) from exc
        columns.append((column.keyname, process))
    return tuple(columns)


def statement_kind(compiled: SQLCompiler) -> tuple[bool, bool]:
    """(writes, returns rows), from ``SQLCompiler.isinsert``, ``isupdate``, ``isdelete``,
    ``_result_columns`` and ``effective_returning``."""
    writes = bool(compiled.isinsert or compiled.isupdate or compiled.isdelete)
    returns_rows = (
        bool(compiled._result_columns) or not writes or bool(compiled.effective_returning)
    )
    return writes, returns_rows


def expands(compiled: SQLCompiler) -> bool:
    """``SQLCompiler.post_compile_params`` and ``literal_execute_params``: the SQL is
    finished per execution (``IN`` lists, literal-execute values); see ``expand``."""
    return bool(compiled.literal_execute_params or compiled.post_compile_params)


def expand(compiled: SQLCompiler, values: MutableMapping[str, Any]) -> ExpandedState:
    """``SQLCompiler._process_parameters_for_postcompile``: the SQL finished for ``values``
    (from ``parameters``, which it consumes), with its positions and the processors of the
    expanded names. SQLAlchemy's execution context calls it; the public
    ``construct_expanded_state`` cannot take a cached statement's values."""
    return compiled._process_parameters_for_postcompile(values)
