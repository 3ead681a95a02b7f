"""Each SQLAlchemy internal the driver relies on (driver/sqlalchemy_internals.py), exercised
by name on both dialects: a SQLAlchemy upgrade that changes one fails here as
``test_internal[<dialect>-<internal>]``, with the internal named in the message, before any
query goes wrong. No database needed: these are SQLAlchemy's side of the contract."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.engine import Dialect, make_url

from buena_server.kit.db import async_database_url, encode_json_text
from buena_server.kit.driver import sqlalchemy_internals as sa_internals
from buena_server.tables import accounts, api_keys

URLS = {"sqlite": "sqlite:///unused.db", "postgresql": "postgresql://unused@localhost/unused"}
SERIALISED: list[Any] = []


def recording_serializer(value: Any) -> str:
    SERIALISED.append(value)
    return encode_json_text(value)


def dialect(name: str) -> Dialect:
    return sa_internals.dialect_for(
        async_database_url(URLS[name]),
        json_serializer=recording_serializer,
        json_deserializer=msgspec.json.decode,
    )


CHECKS: dict[str, Callable[[Dialect], None]] = {}


def internal(name: str) -> Callable[[Callable[[Dialect], None]], Callable[[Dialect], None]]:
    def register(check: Callable[[Dialect], None]) -> Callable[[Dialect], None]:
        CHECKS[name] = check
        return check

    return register


def by_name(name: str, id_: str) -> Any:
    return select(accounts.c.id).where(accounts.c.name == name, accounts.c.id != id_)


@internal("ClauseElement._generate_cache_key")
def _(dialect: Dialect) -> None:
    first, second = (
        sa_internals.cache_key(by_name("a", "x")),
        sa_internals.cache_key(by_name("b", "y")),
    )
    other = sa_internals.cache_key(select(accounts.c.name))
    assert first is not None
    assert second is not None
    assert other is not None
    assert first.key == second.key, "statements differing only in values share a shape"
    assert first.key != other.key
    assert [bind.value for bind in second.bindparams] == ["b", "y"]


@internal("CacheKey.bindparams, BindParameter.required")
def _(dialect: Dialect) -> None:
    named = sa_internals.cache_key(select(accounts).where(accounts.c.id == bindparam("id")))
    valued = sa_internals.cache_key(select(accounts).where(accounts.c.id == "x"))
    assert named is not None
    assert valued is not None
    assert sa_internals.named_values_only(named)
    assert not sa_internals.named_values_only(valued)


@internal("compile(cache_key=), SQLCompiler.construct_params(extracted_parameters=)")
def _(dialect: Dialect) -> None:
    first = by_name("a", "x")
    compiled = sa_internals.compile_statement(first, dialect, None, sa_internals.cache_key(first))
    key_b = sa_internals.cache_key(by_name("b", "y"))
    values = sa_internals.parameters(compiled, None, key_b)  # a later statement's values
    assert [values[name] for name in sa_internals.positions(compiled)] == ["b", "y"]
    given = select(accounts.c.id).where(accounts.c.id == bindparam("id"))
    compiled = sa_internals.compile_statement(given, dialect, ["id"], None)
    assert sa_internals.parameters(compiled, {"id": "z"}, None)["id"] == "z"
    # column_keys decide the columns of an INSERT without .values()
    compiled = sa_internals.compile_statement(insert(accounts), dialect, ["id", "name"], None)
    assert "created_at" not in compiled.string
    assert set(sa_internals.positions(compiled)) == {"id", "name"}


@internal("SQLCompiler.positiontup")
def _(dialect: Dialect) -> None:
    statement = select(accounts.c.id).where(
        accounts.c.id == bindparam("b"), accounts.c.name == bindparam("a")
    )
    compiled = sa_internals.compile_statement(statement, dialect, ["a", "b"], None)
    assert sa_internals.positions(compiled) == ("b", "a")
    if dialect.name == "postgresql":
        assert compiled.string.index("$1") < compiled.string.index("$2")


@internal("SQLCompiler._bind_processors")
def _(dialect: Dialect) -> None:
    statement = update(api_keys).values(
        permissions=bindparam("permissions"), created_at=bindparam("created_at")
    )
    compiled = sa_internals.compile_statement(statement, dialect, None, None)
    processors = sa_internals.bind_processors(compiled)
    SERIALISED.clear()
    assert json.loads(processors["permissions"](["leads:read"])) == ["leads:read"]
    assert SERIALISED == [["leads:read"]], "the JSON bind processor uses the engine's serializer"
    stamp = datetime(2030, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    stored = processors["created_at"](stamp)
    if dialect.name == "sqlite":  # UTCDateTime then SQLite's own: naive UTC text
        assert stored == "2030-01-01 10:00:00.000000"
    else:
        assert stored == stamp
        assert stored.tzinfo is UTC


@internal("SQLCompiler._result_columns, TypeEngine._cached_result_processor")
def _(dialect: Dialect) -> None:
    statement = select(api_keys.c.id, api_keys.c.permissions, api_keys.c.created_at)
    compiled = sa_internals.compile_statement(statement, dialect, None, None)
    columns = dict(sa_internals.result_columns(compiled, dialect))
    assert list(columns) == ["id", "permissions", "created_at"]
    assert columns["id"] is None
    if dialect.name == "sqlite":
        assert columns["permissions"] is not None
        assert columns["created_at"] is not None
        assert columns["permissions"]('["a"]') == ["a"]
        assert columns["created_at"]("2030-01-01 10:00:00.000000") == datetime(
            2030, 1, 1, 10, tzinfo=UTC
        )
    else:
        # asyncpg: the dialect leaves JSON to the connection's codec (driver.postgres
        # installs the one SQLAlchemy's asyncpg dialect installs); datetimes come aware.
        assert columns["permissions"] is None
        aware = datetime(2030, 1, 1, 10, tzinfo=UTC)
        assert columns["created_at"] is not None
        assert columns["created_at"](aware) is aware


@internal("SQLCompiler.isinsert/isupdate/isdelete, effective_returning")
def _(dialect: Dialect) -> None:
    def kind(statement: Any) -> tuple[bool, bool]:
        compiled = sa_internals.compile_statement(statement, dialect, None, None)
        return sa_internals.statement_kind(compiled)

    row = {"id": "x", "name": "n", "created_at": datetime.now(UTC)}
    assert kind(insert(accounts).values(**row)) == (True, False)
    assert kind(insert(accounts).values(**row).returning(accounts.c.id)) == (True, True)
    assert kind(accounts.update().values(name="m")) == (True, False)
    assert kind(accounts.delete()) == (True, False)
    assert kind(select(accounts.c.id)) == (False, True)
    assert kind(text("SELECT 1")) == (False, True)


@internal("SQLCompiler.post_compile_params, _process_parameters_for_postcompile")
def _(dialect: Dialect) -> None:
    chosen = [datetime(2030, 1, d, tzinfo=UTC) for d in (1, 2)]
    statement = select(accounts.c.id).where(
        accounts.c.name == "n", accounts.c.created_at.in_(chosen)
    )
    key = sa_internals.cache_key(statement)
    compiled = sa_internals.compile_statement(statement, dialect, None, key)
    assert sa_internals.expands(compiled)
    assert not sa_internals.expands(
        sa_internals.compile_statement(select(accounts.c.id), dialect, None, None)
    )
    state = sa_internals.expand(compiled, sa_internals.parameters(compiled, None, key))
    placeholders = ["?", "?", "?"] if dialect.name == "sqlite" else ["$1", "$2", "$3"]
    assert all(mark in state.statement for mark in placeholders)
    assert "POSTCOMPILE" not in state.statement
    positions = list(state.positiontup or ())
    assert len(positions) == 3
    assert state.parameters[positions[0]] == "n"
    processors = {**sa_internals.bind_processors(compiled), **state.processors}
    expanded = [processors[name](state.parameters[name]) for name in positions[1:]]
    if dialect.name == "sqlite":
        assert expanded == ["2030-01-01 00:00:00.000000", "2030-01-02 00:00:00.000000"]
    else:
        assert expanded == chosen


@internal("sqlalchemy.util.LRUCache")
def _(dialect: Dialect) -> None:
    cache: sa_internals.LRUCache[int, str] = sa_internals.LRUCache(10)
    assert cache.get(1) is None
    for number in range(100):
        cache[number] = str(number)
    assert cache.get(99) == "99"
    assert len(cache) <= 15, "bounded (capacity plus its threshold)"


@internal("create_async_engine(poolclass=NullPool).dialect")
def _(dialect: Dialect) -> None:
    assert dialect.name == make_url(URLS[dialect.name]).get_backend_name()
    assert dialect.paramstyle == ("qmark" if dialect.name == "sqlite" else "numeric_dollar")


# After every check has registered itself above.
@pytest.mark.parametrize("internal_name", list(CHECKS))
@pytest.mark.parametrize("dialect_name", list(URLS))
def test_internal(dialect_name: str, internal_name: str) -> None:
    check = CHECKS[internal_name]
    try:
        check(dialect(dialect_name))
    except Exception as exc:
        raise AssertionError(
            f"SQLAlchemy internal {internal_name} no longer behaves as the driver relies on "
            f"({dialect_name}); see driver/sqlalchemy_internals.py: {exc!r}"
        ) from exc


def test_every_function_of_the_module_is_exercised(monkeypatch: pytest.MonkeyPatch) -> None:
    """A function added to sqlalchemy_internals without a check above fails here."""
    functions = {
        name
        for name in sa_internals.__all__
        if callable(getattr(sa_internals, name)) and name[0].islower()
    }
    called: set[str] = set()
    for name in functions:
        original = getattr(sa_internals, name)

        def recording(
            *args: Any, _name: str = name, _original: Any = original, **kwargs: Any
        ) -> Any:
            called.add(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(sa_internals, name, recording)
    for check in CHECKS.values():
        for dialect_name in URLS:
            check(dialect(dialect_name))
    assert called == functions
