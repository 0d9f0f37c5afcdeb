"""Reads on the way of every request, compiled to SQL once per process instead of once per call.

Django builds a query's SQL anew each time it runs. For the few small reads that every signed-in request or
every live update makes (the session's user and TOTP device, the person's memberships, whether an agreement
is in force), building the SQL took longer than the database took to answer it (docs/benchmarks.md,
"Seventh round"). A `CompiledRead` asks the ORM for the SQL once, and afterwards only binds each call's
values to it. The SQL stays the ORM's: nothing is written by hand, and a change to the query or the models
changes it at the next start.

To find where each value goes, the query is compiled with several sets of stand-in values (they never reach
the database). A parameter that differs between the sets is a value of the call, recognised by its stand-ins
(as given, or as Django writes a date for SQLite: ISO text); one that does not differ belongs to the query
itself. The read is compiled only if the SQL text is the same for every set, every parameter that differs
belongs to exactly one value, and every value is found; anything going wrong while compiling leaves the read
to the ORM too, as does a call whose values are not of the stand-ins' types (None, say, which would make the
SQL read IS NULL) or an integer no database column holds.

What this cannot see is a builder that makes a different query for values it was not shown. So a builder is
a plain chain of filters on its arguments, with no Python deciding anything on their values; the stand-ins
differ in sign and size, so that the SQL of such a builder would most likely differ between them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesListIterable

logger = logging.getLogger(__name__)

Encoder = Callable[[Any], Any]
INTEGER_RANGE = range(-(2**63), 2**63)  # the widest integer column; the ORM finds nothing beyond it


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


class _NotCompilable(Exception):
    pass


class CompiledRead:
    """A read built by `build(**values)`, a QuerySet, compiled once for each way it is asked: `exists`,
    `rows` (of a `values_list`) or `first` (a model instance).

    `stand_ins`: two or more dicts with a value for every argument of `build`, of the type calls will pass
    (int, str or date), each value different from set to set and unlikely to appear in the query for another
    reason (ids of both signs that no row has, text no column holds, dates a century apart). An integer must
    fit the column it is compared with, 32 bits for some: beyond it the ORM answers without SQL, and the
    read is left to the ORM."""

    def __init__(self, build: Callable[..., QuerySet], stand_ins: Sequence[dict[str, Any]]) -> None:
        names = set(stand_ins[0]) if stand_ins else set()
        if len(stand_ins) < 2 or any(set(values) != names for values in stand_ins) or any(
                len({values[name] for values in stand_ins}) != len(stand_ins) for name in names):
            raise ValueError("two or more sets of stand-ins, for the same names, each value different in each")
        self.build = build
        self.stand_ins = tuple(stand_ins)
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
        """The rows of a `values_list` query (of tuples: not flat, not named), as `list(build(**values))`
        would give them."""
        compiled, alias = self._for(values, "rows")
        if compiled is None:
            return list(self.build(**values))
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, compiled.params(values))
            return [tuple(row) for row in cursor.fetchall()]

    def first(self, **values: Any) -> Model | None:
        """The first instance the query finds, as `build(**values).first()` gives it (the model's own columns,
        all or some: no `select_related`, no annotation)."""
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
        if set(values) != set(first) or any(
                type(values[name]) is not type(first[name])
                or (type(values[name]) is int and values[name] not in INTEGER_RANGE) for name in first):
            return None, ""
        if self._alias is None:
            self._alias = self.build(**first).db
        if shape not in self._compiled:  # two threads may both compile: they arrive at the same result
            self._compiled[shape] = self._compile(self._alias, shape)
        return self._compiled[shape], self._alias

    def _compile(self, alias: str, shape: str) -> _Compiled | None:
        try:
            compiled = self._mapped(alias, shape)
        except _NotCompilable as reason:
            logger.warning("compiled read %s: not compiled (%s); it goes through the ORM", self.build, reason)
            return None
        except Exception:  # whatever the ORM or the builder raised: the ORM answers each call as before
            logger.exception("compiled read %s: not compiled; it goes through the ORM", self.build)
            return None
        return compiled

    def _mapped(self, alias: str, shape: str) -> _Compiled:
        compilations = [self._sql(values, alias, shape) for values in self.stand_ins]
        sql, params, reading = compilations[0]
        if any(other_sql != sql or len(other_params) != len(params) for other_sql, other_params, _ in compilations):
            raise _NotCompilable("the SQL depends on the values")
        slots: list[tuple[str | None, Any]] = []
        for position, param in enumerate(params):
            column = [other_params[position] for _, other_params, _ in compilations]
            if all(type(other) is type(param) and other == param for other in column):
                slots.append((None, param))
                continue
            found = [(name, encode) for name in self.stand_ins[0] for encode in _ENCODERS
                     if self._matches(encode, name, column)]
            if len({name for name, _ in found}) != 1:
                raise _NotCompilable(f"a parameter matches {len(found)} values")
            slots.append(found[0])
        missing = set(self.stand_ins[0]) - {name for name, _ in slots if name is not None}
        if missing:
            raise _NotCompilable(f"no parameter for {', '.join(sorted(missing))}")
        return _Compiled(sql=sql, slots=tuple(slots), **reading)

    def _matches(self, encode: Encoder, name: str, column: list[Any]) -> bool:
        """Whether the parameters at one position are this value's stand-ins, set by set, written by `encode`."""
        for values, param in zip(self.stand_ins, column, strict=True):
            written = encode(values[name])
            if type(written) is not type(param) or written != param:
                return False
        return True

    def _sql(self, values: Mapping[str, Any], alias: str, shape: str) -> tuple[str, tuple, dict[str, Any]]:
        """The SQL and parameters for one set of values, and for `first` how to make the instance."""
        queryset = self.build(**values)
        if shape == "rows" and queryset._iterable_class is not ValuesListIterable:
            raise _NotCompilable("rows() reads a values_list of tuples")
        if shape == "first":  # as QuerySet.first() asks
            queryset = (queryset if queryset.ordered else queryset.order_by("pk"))[:1]
        query = queryset.query.exists() if shape == "exists" else queryset.query
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        if compiler.has_extra_select:
            raise _NotCompilable("it selects columns for its own use (ordering, say)")
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
