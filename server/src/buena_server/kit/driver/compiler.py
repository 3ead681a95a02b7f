"""SQLAlchemy statements compiled once per shape, with the dialect's own bind and result
processors, and the execution options the drivers honour.

Expanding parameters (``column.in_([...])``, ``not_in``, ``bindparam(..., expanding=True)``)
and ``literal_execute`` ones are rendered when the statement runs, as SQLAlchemy's own
execution context renders them, on both databases: the compiled form is cached once per
shape, and each execution expands it for the values given, ``IN (?, ?, ?)`` on SQLite and
``IN ($1, $2, $3)`` on PostgreSQL (one SQL text, hence one prepared statement per list
length), every element through the column's bind processor. An empty list renders
SQLAlchemy's empty-set expression: ``IN`` is false, ``NOT IN`` true, as in SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from buena_server.kit.driver import sqlalchemy_internals as sa_internals
from buena_server.kit.driver.sqlalchemy_internals import CacheKey, LRUCache, Processor

# Execution option for statements that may read many rows (lists, searches, counts): SQLite
# runs them in a worker thread so that a long scan never stalls the event loop.
HEAVY_OPTION = "buena_heavy"
# Execution option for statements whose best plan depends on their values (a LIKE pattern:
# a rare term wants the trigram index, a common one the ordered index). PostgreSQL plans
# each of their executions for the values given; every other statement keeps the generic
# plan PostgreSQL caches for a prepared statement, and is not planned again per request.
PLAN_PER_VALUE_OPTION = "buena_plan_per_value"


@dataclass(frozen=True, slots=True)
class Prepared:
    """One statement shape compiled for one dialect."""

    compiled: SQLCompiler
    sql: str
    positions: tuple[str, ...]
    bind_processors: Mapping[str, Processor]
    keys: tuple[str, ...]  # empty when the driver must say (textual SELECTs)
    # (column index, processor) of the result columns that need converting.
    converted: tuple[tuple[int, Processor], ...]
    returns_rows: bool
    writes: bool  # INSERT, UPDATE or DELETE
    # Expanding (IN) or literal-execute parameters: the SQL is finished per execution.
    expands: bool = False

    def convert(self, row: Sequence[Any]) -> tuple[Any, ...]:
        if not self.converted:
            return tuple(row)
        values = list(row)
        for index, process in self.converted:
            value = values[index]
            if value is not None:
                values[index] = process(value)
        return tuple(values)

    def values(self, parameters: Mapping[str, Any]) -> list[Any]:
        """The driver's positional values, from values by name."""
        processors = self.bind_processors
        return [
            processors[name](parameters[name]) if name in processors else parameters[name]
            for name in self.positions
        ]


class StatementCompiler:
    """Compiles statements for one dialect, each shape once; binds their values."""

    def __init__(self, dialect: Dialect, cache_size: int = 512) -> None:
        self.dialect = dialect
        self._cache: LRUCache[Any, Prepared] = LRUCache(cache_size)
        # Statements built once at import with named parameters (the hot ones), by identity:
        # (the statement, kept alive so that its id is never reused; its parameter names).
        self._built_once: dict[int, tuple[ClauseElement, frozenset[str], Prepared]] = {}

    def bind(
        self, statement: ClauseElement, parameters: Mapping[str, Any] | None = None
    ) -> tuple[Prepared, list[Any]]:
        if parameters is not None:
            known = self._built_once.get(id(statement))
            if known is not None and known[0] is statement and known[1] == parameters.keys():
                return known[2], known[2].values(parameters)
        cache_key = sa_internals.cache_key(statement)
        # The statement's shape plus the names of separately given values (they decide which
        # columns an INSERT or UPDATE without .values() names).
        shape = (cache_key.key, tuple(parameters or ())) if cache_key is not None else None
        prepared = self._cache.get(shape) if shape is not None else None
        if prepared is None:
            prepared = self._compile(statement, parameters, cache_key)
            if shape is not None:
                self._cache[shape] = prepared
        if prepared.expands:
            return self._expanded(prepared, parameters, cache_key)
        if (
            parameters is not None
            and cache_key is not None
            and sa_internals.named_values_only(cache_key)
        ):
            # Every value comes by name (a statement built once with bindparam()): take them
            # as they are, without building SQLAlchemy's full parameter dictionary.
            try:
                values = prepared.values(parameters)
            except KeyError:
                pass  # a missing value: let construct_params report it
            else:
                if len(self._built_once) < 256:
                    self._built_once[id(statement)] = (
                        statement,
                        frozenset(parameters),
                        prepared,
                    )
                return prepared, values
        by_name = sa_internals.parameters(prepared.compiled, parameters, cache_key)
        return prepared, prepared.values(by_name)

    def bind_many(
        self, statement: ClauseElement, parameter_sets: Sequence[Mapping[str, Any]]
    ) -> tuple[Prepared, list[list[Any]]]:
        """One statement bound to several sets of values (``executemany``): the first set as
        ``bind`` binds it, and each later set with the same names by position, as ``bind``
        would (the same names make the same SQL, and every value the SQL takes is there by
        its name); a set with other names is bound on its own and must make the same SQL."""
        prepared, first = self.bind(statement, parameter_sets[0])
        names = parameter_sets[0].keys()
        by_position = not prepared.expands and names >= set(prepared.positions)
        rows = [first]
        for parameters in parameter_sets[1:]:
            if by_position and parameters.keys() == names:
                rows.append(prepared.values(parameters))
                continue
            other, values = self.bind(statement, parameters)
            if other.sql != prepared.sql:
                raise ValueError("execute_many runs one statement: these sets make different SQL")
            rows.append(values)
        return prepared, rows

    def _expanded(
        self, prepared: Prepared, parameters: Mapping[str, Any] | None, cache_key: CacheKey | None
    ) -> tuple[Prepared, list[Any]]:
        """The statement finished for these values (see the module docstring)."""
        state = sa_internals.expand(
            prepared.compiled, sa_internals.parameters(prepared.compiled, parameters, cache_key)
        )
        finished = replace(
            prepared,
            sql=state.statement,
            positions=tuple(state.positiontup or ()),
            bind_processors={**prepared.bind_processors, **state.processors},
            expands=False,
        )
        return finished, finished.values(state.parameters)

    def _compile(
        self,
        statement: ClauseElement,
        parameters: Mapping[str, Any] | None,
        cache_key: CacheKey | None,
    ) -> Prepared:
        compiled = sa_internals.compile_statement(statement, self.dialect, parameters, cache_key)
        columns = sa_internals.result_columns(compiled, self.dialect)
        writes, returns_rows = sa_internals.statement_kind(compiled)
        return Prepared(
            compiled=compiled,
            sql=compiled.string,
            positions=sa_internals.positions(compiled),
            bind_processors=sa_internals.bind_processors(compiled),
            keys=tuple(name for name, _ in columns),
            converted=tuple(
                (index, process) for index, (_, process) in enumerate(columns) if process
            ),
            returns_rows=returns_rows,
            writes=writes,
            expands=sa_internals.expands(compiled),
        )
