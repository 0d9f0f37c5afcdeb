"""Reads on the way of every request, compiled to SQL once per process instead of once per call.

Django builds a query's SQL anew each time it runs. For the few small reads that every signed-in request or
every live update makes (an actor's memberships; whether an agreement is in force), building the SQL costs
more than the database takes to answer it (docs/benchmarks.md, "Seventh round"). A `CompiledRead` asks the
ORM for the SQL once, and afterwards only binds each call's values to it. The SQL stays the ORM's: nothing is
written by hand, and a change to the query or the models changes it at the next start.

To find where each value goes, the query is compiled twice, with two sets of stand-in values that appear
nowhere else. A parameter that differs between the two is a value of the call, recognised by its stand-ins
(as given, or as the database adapter takes a date: ISO text on SQLite); one that does not differ belongs
to the query itself. The read is compiled only if the SQL text is the same for both sets, every parameter
that differs belongs to exactly one value, and every value is found. Otherwise, and for a call whose values
are not of the stand-ins' types (None, say, which would make the SQL read IS NULL), the read goes through
the ORM as it always did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet

logger = logging.getLogger(__name__)

Encoder = Callable[[Any], Any]


def _as_given(value: Any) -> Any:
    return value


def _iso_date(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


_ENCODERS: tuple[Encoder, ...] = (_as_given, _iso_date)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # For each parameter: the value's name and how it is written, or None and the query's own value.
    slots: tuple[tuple[str | None, Encoder | Any], ...]
    # For `first`: the model, its columns' attribute names, and the converters of the columns that have any
    # (SQLite returns datetimes as text, say), applied as the ORM applies them.
    model: type[Model] | None = None
    attnames: tuple[str, ...] = ()
    converters: dict[int, tuple[list[Callable], Any]] = field(default_factory=dict)

    def params(self, values: Mapping[str, Any]) -> list[Any]:
        return [encode(values[name]) if name is not None else encode for name, encode in self.slots]


class CompiledRead:
    """A read built by `build(**values)`, a QuerySet, compiled once for each way it is asked: `exists`,
    `rows` (of a `values_list`) or `first` (a model instance).

    `stand_ins` are two dicts with a value for every argument of `build`, of the type calls will pass
    (int, str or date), different between the two and unlikely to appear in the query for another reason
    (negative ids, text no column holds, dates a century ago)."""

    def __init__(self, build: Callable[..., QuerySet], stand_ins: tuple[dict[str, Any], dict[str, Any]]) -> None:
        first, second = stand_ins
        if set(first) != set(second) or any(first[name] == second[name] for name in first):
            raise ValueError("two sets of stand-ins, for the same names, with different values")
        self.build = build
        self.stand_ins = stand_ins
        self._alias: str | None = None  # the database the query reads from, asked once (the site has one)
        self._compiled: dict[str, _Compiled | None] = {}

    def exists(self, **values: Any) -> bool:
        """Whether the query finds a row, as `build(**values).exists()` would say."""
        compiled, alias = self._for(values, "exists")
        if compiled is None:
            return self.build(**values).exists()
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, compiled.params(values))
            return cursor.fetchone() is not None

    def rows(self, **values: Any) -> list[tuple]:
        """The rows of a `values_list` query, as `list(build(**values))` would give them."""
        compiled, alias = self._for(values, "rows")
        if compiled is None:
            return list(self.build(**values))
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, compiled.params(values))
            return [tuple(row) for row in cursor.fetchall()]

    def first(self, **values: Any) -> Model | None:
        """The first instance the query finds, as `build(**values).first()` gives it (for a model's own
        columns: no `select_related`, nothing deferred or annotated)."""
        compiled, alias = self._for(values, "first")
        if compiled is None:
            return self.build(**values).first()
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, compiled.params(values))
            row = cursor.fetchone()
        if row is None:
            return None
        row = list(row)
        for index, (converters, expression) in compiled.converters.items():
            for converter in converters:
                row[index] = converter(row[index], expression, connection)
        return compiled.model.from_db(alias, compiled.attnames, row)

    def _for(self, values: Mapping[str, Any], shape: str) -> tuple[_Compiled | None, str]:
        first = self.stand_ins[0]
        if set(values) != set(first) or any(type(values[name]) is not type(first[name]) for name in first):
            return None, ""
        if self._alias is None:
            self._alias = self.build(**first).db
        if shape not in self._compiled:  # two threads may both compile: they arrive at the same
            self._compiled[shape] = self._compile(self._alias, shape)
        return self._compiled[shape], self._alias

    def _compile(self, alias: str, shape: str) -> _Compiled | None:
        try:
            (sql, params, reading), (other_sql, other_params, _) = (self._sql(values, alias, shape)
                                                                     for values in self.stand_ins)
        except _NotCompilable as reason:
            logger.warning("compiled read %s: not compiled (%s); it goes through the ORM", self.build, reason)
            return None
        problem = ""
        slots: list[tuple[str | None, Any]] = []
        if sql != other_sql or len(params) != len(other_params):
            problem = "the SQL depends on the values"
        for param, other in zip(params, other_params, strict=False):
            if problem:
                break
            if param == other and type(param) is type(other):
                slots.append((None, param))
                continue
            found = [(name, encode) for name in self.stand_ins[0] for encode in _ENCODERS
                     if self._matches(encode, name, param, other)]
            if len({name for name, _ in found}) != 1:
                problem = f"a parameter matches {len(found)} values"
                break
            slots.append(found[0])
        missing = set(self.stand_ins[0]) - {name for name, _ in slots if name is not None}
        if not problem and missing:
            problem = f"no parameter for {', '.join(sorted(missing))}"
        if problem:
            logger.warning("compiled read %s: not compiled (%s); it goes through the ORM", self.build, problem)
            return None
        return _Compiled(sql=sql, slots=tuple(slots), **reading)

    def _matches(self, encode: Encoder, name: str, param: Any, other: Any) -> bool:
        first, second = (encode(values[name]) for values in self.stand_ins)
        return (type(first) is type(param) and first == param and type(second) is type(other)
                and second == other)

    def _sql(self, values: Mapping[str, Any], alias: str, shape: str) -> tuple[str, tuple, dict[str, Any]]:
        """The SQL and parameters for one set of values, and for `first` how to make the instance."""
        queryset = self.build(**values)
        if shape == "first":  # as QuerySet.first() asks
            queryset = (queryset if queryset.ordered else queryset.order_by("pk"))[:1]
        query = queryset.query.exists() if shape == "exists" else queryset.query
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        columns = [column for column, _, _ in compiler.select[:compiler.col_count]]
        reading: dict[str, Any] = {}
        if shape == "rows" and compiler.get_converters(columns):
            raise _NotCompilable("its columns are converted on the way out")
        if shape == "first":
            klass_info = compiler.klass_info or {}
            if (klass_info.get("model") is not queryset.model or klass_info.get("related_klass_infos")
                    or list(klass_info.get("select_fields", ())) != list(range(len(columns)))
                    or compiler.annotation_col_map):
                raise _NotCompilable("it reads more than the model's own columns")
            reading = {"model": queryset.model, "attnames": tuple(column.target.attname for column in columns),
                       "converters": compiler.get_converters(columns)}
        return sql, tuple(params), reading


class _NotCompilable(Exception):
    pass
