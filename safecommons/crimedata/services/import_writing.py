"""Writing an import's chunks to the database: each chunk in a transaction of its own, with its rejected rows
and the run's counts, so that a run's page shows progress and a failed chunk leaves the earlier ones written
and counted.

On PostgreSQL rows go in COPY's binary format, straight into the records table while the run meets no stored
record, else through a staging table and one INSERT … ON CONFLICT; and chunks may be written on a thread of
their own (`SaverThread`) while the next chunk is read. Elsewhere, `bulk_create(update_conflicts=True)`.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from safecommons.crimedata.models import CrimeRecord, ImportRejection, ImportRun
from safecommons.crimedata.services.summary import month_of

UNMAPPED_LIMIT = 1_000  # distinct unmapped values listed on a run; the rest are counted together
OTHER_UNMAPPED = "(other values)"
EXCERPT_CHARS = 300

# The record's columns as written by the import, in the order of the rows it builds.
COLUMNS = ("source_id", "offense_source", "nibrs_code", "offense_group", "crime_against", "domestic",
           "child_victim", "occurred_at", "occurred_date", "occurred_hour", "occurred_weekday", "reported_at",
           "address", "latitude", "longitude", "h3_cell", "block_address", "public_latitude", "public_longitude",
           "public_h3_cell", "neighborhood_id", "source_area", "premise_type", "status")
_STAGE_TYPES = {"domestic": "boolean", "child_victim": "boolean", "occurred_at": "timestamptz",
                "occurred_date": "date", "occurred_hour": "smallint", "occurred_weekday": "smallint",
                "reported_at": "timestamptz", "latitude": "double precision", "longitude": "double precision",
                "h3_cell": "bigint", "public_latitude": "double precision", "public_longitude": "double precision",
                "public_h3_cell": "bigint", "neighborhood_id": "bigint"}

Progress = Callable[[int], None]


# --- Writing a chunk


class RecordWriter:
    """Writes chunks of records for one run; on PostgreSQL it first tries the short way.

    As long as no chunk of the run has met a record already stored, a chunk is COPY'd straight into the
    records table (inside a savepoint): that is every chunk of a first import, and of an export of new
    records only. The first chunk that meets a stored id (the unique constraint stops its COPY at that row)
    is rolled back to the savepoint and written the long way, and so is every chunk after it: COPY into a
    staging table, read the months its stored records had, one INSERT … ON CONFLICT. On other databases a
    chunk goes through `bulk_create(update_conflicts=True)`.
    """

    def __init__(self, *, agency_id: int, run_id: int):
        self.agency_id, self.run_id = agency_id, run_id
        self.direct = True

    def write(self, rows: list[list]) -> tuple[int, int, set[date], set[str]]:
        """(inserted, updated, months the updated records were in before, source ids this run has already
        written) for one chunk, in the caller's transaction. A row whose stored record already carries this
        run is a repeat of an earlier row of the file: it is not written, and its id is returned."""
        if connection.vendor != "postgresql":
            return _write_other(agency_id=self.agency_id, run_id=self.run_id, rows=rows)
        if self.direct:
            import psycopg

            try:
                with transaction.atomic():  # a savepoint: a refused COPY leaves the chunk's transaction usable
                    _copy_records(agency_id=self.agency_id, run_id=self.run_id, rows=rows)
                return len(rows), 0, set(), set()
            except psycopg.errors.UniqueViolation:
                self.direct = False
        return _write_postgresql(agency_id=self.agency_id, run_id=self.run_id, rows=rows)


# COPY in PostgreSQL's binary format: values go as they are, neither side formats nor parses text (measured
# four times less Python time than text per row). Text columns of any length travel as `text`.
_COPY_TYPES = [_STAGE_TYPES.get(name, "text") for name in COLUMNS]


def _copy_records(*, agency_id: int, run_id: int, rows: list[list]) -> None:
    table = CrimeRecord._meta.db_table
    now = timezone.now()
    with connection.cursor() as cursor, cursor.copy(
            f"COPY {table} (agency_id, import_run_id, updated_at, {', '.join(COLUMNS)}) "
            f"FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["bigint", "bigint", "timestamptz", *_COPY_TYPES])
        write_row = copy.write_row
        for record in rows:
            write_row([agency_id, run_id, now, *record])


def _stage_sql() -> str:
    columns = ", ".join(f"{name} {_STAGE_TYPES.get(name, 'text')}" for name in COLUMNS)
    return f"CREATE TEMP TABLE IF NOT EXISTS crime_import_stage ({columns}) ON COMMIT DELETE ROWS"


def _upsert_sql() -> str:
    """One statement: the months the staged records are in now and the run that last wrote each (every
    sub-statement of a WITH sees the table as it was before the statement), then the upsert, counting inserts
    and updates. A record this run has written already is left as it is (the first row of the file with its
    id stands) and its id returned: the row repeats an earlier one.

    The months are looked up one staged id at a time through the unique index (the LATERAL subquery with
    OFFSET 0 keeps the planner from joining the agency's every record instead, as it may on a freshly filled
    table whose statistics say it is empty): the cost follows the chunk, not the table."""
    table = CrimeRecord._meta.db_table
    columns = ", ".join(COLUMNS)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in COLUMNS if name != "source_id")
    # Identifiers only from this module's constants and the model's table name; values go as parameters.
    return (f"WITH old AS (SELECT s.source_id, r.import_run_id, "  # noqa: S608
            f"date_trunc('month', r.occurred_date)::date AS month "
            f"FROM crime_import_stage s CROSS JOIN LATERAL (SELECT occurred_date, import_run_id FROM {table} "
            f"WHERE agency_id = %(agency)s AND source_id = s.source_id OFFSET 0) r), "
            f"up AS (INSERT INTO {table} (agency_id, import_run_id, updated_at, {columns}) "
            f"SELECT %(agency)s, %(run)s, now(), {columns} FROM crime_import_stage "
            f"ON CONFLICT (agency_id, source_id) DO UPDATE SET import_run_id = EXCLUDED.import_run_id, "
            f"updated_at = EXCLUDED.updated_at, {updates} "
            f"WHERE {table}.import_run_id IS DISTINCT FROM EXCLUDED.import_run_id "
            f"RETURNING (xmax = 0) AS inserted) "
            f"SELECT (SELECT count(*) FILTER (WHERE inserted) FROM up), (SELECT count(*) FROM up), "
            f"ARRAY(SELECT DISTINCT month FROM old WHERE import_run_id IS DISTINCT FROM %(run)s), "
            f"ARRAY(SELECT source_id FROM old WHERE import_run_id = %(run)s)")


def _write_postgresql(*, agency_id: int, run_id: int, rows: list[list]) -> tuple[int, int, set[date], set[str]]:
    with connection.cursor() as cursor:
        cursor.execute(_stage_sql())
        cursor.execute("TRUNCATE crime_import_stage")  # empty at each commit, but a caller may hold a transaction
        with cursor.copy(f"COPY crime_import_stage ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_COPY_TYPES)
            write_row = copy.write_row
            for record in rows:
                write_row(record)
        cursor.execute(_upsert_sql(), {"agency": agency_id, "run": run_id})
        inserted, total, old_months, repeats = cursor.fetchone()
    return inserted, total - inserted, set(old_months), set(repeats)


_UPDATE_FIELDS = [name for name in COLUMNS if name != "source_id"] + ["import_run_id", "updated_at"]


def _write_other(*, agency_id: int, run_id: int, rows: list[list]) -> tuple[int, int, set[date], set[str]]:
    ids = [record[0] for record in rows]
    old_months: set[date] = set()
    repeats: set[str] = set()
    existing = 0
    for start in range(0, len(ids), 500):
        found = CrimeRecord.objects.filter(agency_id=agency_id, source_id__in=ids[start:start + 500])
        for source_id, day, written_by in found.values_list("source_id", "occurred_date", "import_run_id"):
            if written_by == run_id:
                repeats.add(source_id)
            else:
                existing += 1
                old_months.add(month_of(day))
    now = timezone.now()
    objects = [CrimeRecord(agency_id=agency_id, import_run_id=run_id, updated_at=now,
                           **dict(zip(COLUMNS, record, strict=True))) for record in rows
               if not repeats or record[0] not in repeats]
    CrimeRecord.objects.bulk_create(objects, batch_size=500, update_conflicts=True,
                                    unique_fields=["agency", "source_id"],
                                    update_fields=[f.removesuffix("_id") for f in _UPDATE_FIELDS])
    return len(objects) - existing, existing, old_months, repeats


# --- A chunk with the run's counts


def _excerpt(row: list, delimiter: str) -> str:
    return delimiter.join(str(v) for v in row)[:EXCERPT_CHARS]


def run_progress_save(run: ImportRun, fields: list[str]) -> None:
    """Save the given fields of a run (and its updated_at): its page shows them while it runs."""
    run.save(update_fields=[*fields, "updated_at"])


def unmapped_summary(unmapped: Counter) -> dict[str, int]:
    """The unmapped offense values of a run as kept on it: the most frequent first."""
    return dict(sorted(unmapped.items(), key=lambda item: (-item[1], item[0])))


def unmapped_merge(total: Counter, chunk: Counter) -> None:
    """Add a chunk's unmapped values to the run's (at most UNMAPPED_LIMIT distinct ones), emptying the chunk's."""
    for value, count in chunk.items():
        if value in total or len(total) < UNMAPPED_LIMIT:
            total[value] += count
        else:
            total[OTHER_UNMAPPED] += count
    chunk.clear()


@dataclass
class Chunk:
    """A chunk ready to write: its records, its rejected rows, and where the file stood after it."""

    rows: list[list]
    rejected: list[tuple[int, str, str, list]]
    rows_read: int
    processed_bytes: int
    unmapped: Counter
    lines: list[int] = field(default_factory=list)  # each record's line, and its row as read (for the report)
    raw: list[list] = field(default_factory=list)


def _repeated(chunk: Chunk, repeats: set[str]) -> list[tuple[int, str, str, list]]:
    """The rows of a chunk whose source id this run had written already, as rejections."""
    return [(line, f"the source id {record[0]!r} repeats an earlier line of this file", record[0], raw)
            for record, line, raw in zip(chunk.rows, chunk.lines, chunk.raw, strict=True) if record[0] in repeats]


class ChunkSaver:
    """Writes each chunk in a transaction of its own and keeps the run's counts with it."""

    def __init__(self, *, run: ImportRun, months: set[date], unmapped: Counter, delimiter: str,
                 progress: Progress | None):
        self.run, self.months, self.unmapped, self.delimiter, self.progress = run, months, unmapped, delimiter, progress
        self.writer = RecordWriter(agency_id=run.agency_id, run_id=run.pk)

    def save(self, chunk: Chunk) -> None:
        run = self.run
        run.rows_read = chunk.rows_read
        with transaction.atomic():
            inserted = updated = 0
            if chunk.rows:
                inserted, updated, old_months, repeats = self.writer.write(chunk.rows)
                self.months.update(old_months)
                self.months.update({month_of(day) for day in {record[8] for record in chunk.rows}})
                if repeats:
                    chunk.rejected = sorted([*chunk.rejected, *_repeated(chunk, repeats)], key=lambda r: r[0])
            if chunk.rejected:
                ImportRejection.objects.bulk_create([
                    ImportRejection(run_id=run.pk, line=line, reason=reason[:300], source_id=str(source_id)[:120],
                                    excerpt=_excerpt(row, self.delimiter))
                    for line, reason, source_id, row in chunk.rejected], batch_size=1000)
            run.inserted += inserted
            run.updated += updated
            run.rejected += len(chunk.rejected)
            run.processed_bytes = chunk.processed_bytes
            unmapped_merge(self.unmapped, chunk.unmapped)
            run.unmapped_offenses = unmapped_summary(self.unmapped)
            run_progress_save(run, ["rows_read", "inserted", "updated", "rejected", "processed_bytes",
                                    "unmapped_offenses"])
        if self.progress:
            self.progress(run.processed_bytes)


class SaverThread:
    """Saves chunks on a thread of its own, with its own database connection, while the next chunk is read:
    the database works on its core while Python reads on another. At most one chunk waits, so memory holds
    three (being read, waiting, being written). After a chunk fails, nothing more is written; the error
    comes back to the reading side at its next hand-over, or at `close()`."""

    def __init__(self, saver: ChunkSaver):
        self.saver = saver
        self.error: BaseException | None = None
        self.queue: queue.Queue[Chunk | None] = queue.Queue(maxsize=1)
        self.thread = threading.Thread(target=self._work, name="crime-import-writer", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        try:
            while (chunk := self.queue.get()) is not None:
                if self.error is None:
                    try:
                        self.saver.save(chunk)
                    except BaseException as exc:  # handed to the reading side, which fails the run with it
                        self.error = exc
        finally:
            connection.close()  # this thread's own connection

    def save(self, chunk: Chunk) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(chunk)

    def close(self) -> None:
        """Wait until every chunk handed over is written; raise the error of the one that failed."""
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error
