"""Importing crime records from an export: read in chunks, check each row, derive what the public may see,
upsert by (agency, source id), report every rejected row, and keep the hourly summary exact.

Turning rows into records is `import_rows`'s (a closure compiled once per mapping and file, caches for the
values that repeat, and what can be done for a whole chunk at once done so: projecting x/y, finding
neighborhoods); writing the chunks to the database is `import_writing`'s (on PostgreSQL a binary COPY per
chunk, written beside the reading). This module runs them over a file, keeps the run's counts, and starts,
watches and takes over runs. Memory holds a few chunks, never the file.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, require
from safecommons.crimedata.mapping import Mapping, MappingError, mapping_from_dict
from safecommons.crimedata.models import CrimeRecord, ImportRun
from safecommons.crimedata.readers import ReadError, RowReader, UndecodableRow, reader_open
from safecommons.crimedata.services.import_rows import ChunkPlaces, ParsedChunk, RowError, row_converter
from safecommons.crimedata.services.import_writing import (
    Chunk,
    ChunkSaver,
    Progress,
    SaverThread,
    run_progress_save,
    unmapped_summary,
)
from safecommons.crimedata.services.summary import hourly_counts_refresh
from safecommons.crimedata.storage import import_file_name, import_storage

logger = logging.getLogger(__name__)

CHUNK_ROWS = 10_000
ANALYZE_AFTER_ROWS = 100_000  # records written by one run, after which their table is analysed
RECENT_IDS = 50_000  # source ids remembered with their lines, at the least, to name the line a repeat repeats

# --- The run


def crime_import_execute(*, run: ImportRun, path: str | Path, progress: Progress | None = None,
                         chunk_rows: int = CHUNK_ROWS, resume: bool = False) -> ImportRun:
    """Import one file into the run's agency, as the run's mapping says; the run records every count.

    Good rows are upserted by (agency, source id), chunk by chunk, each chunk in a transaction of its own;
    every bad row becomes an `ImportRejection` with its line number and reason. A chunk that cannot be
    written fails the run with the error (what earlier chunks wrote stays, and is counted). The hourly
    summary is recounted at the end for every month the rows fell in, before and after.

    `resume` goes on with a run whose worker stopped: each chunk was committed with the run's counts, so
    the rows the run has read are skipped (a repeat of one of them is caught as it is written) and the counting
    goes on from there; the summary is recounted for every month the stopped attempt may have touched as well.
    """
    mapping = Mapping(name=run.mapping_name, spec=run.mapping)  # checked when the run was made
    spec = mapping.spec
    skip_rows = run.rows_read if resume else 0
    if resume:
        months, unmapped = _months_touched(run), Counter(run.unmapped_offenses)
        run.status, run.error = ImportRun.Status.RUNNING, ""
        run_progress_save(run, ["status", "error"])
    else:
        months, unmapped = set(), Counter()
        run.status, run.started_at, run.error = ImportRun.Status.RUNNING, timezone.now(), ""
        run.rows_read = run.inserted = run.updated = run.rejected = run.processed_bytes = 0
        run.unmapped_offenses = {}
        run_progress_save(run, ["status", "started_at", "error", "rows_read", "inserted", "updated", "rejected",
                                "processed_bytes", "unmapped_offenses"])
    try:
        with reader_open(path, file_format=spec["format"], encoding=spec["encoding"],
                         delimiter=spec["delimiter"], sheet=spec["sheet"]) as reader:
            run.total_bytes = reader.total_bytes
            run_progress_save(run, ["total_bytes"])
            mapping.check_header(reader.header)
            with _interpreter_tuned():
                _import_rows(run=run, reader=reader, mapping=mapping, months=months, unmapped=unmapped,
                             progress=progress, chunk_rows=chunk_rows, skip_rows=skip_rows)
    except (MappingError, ReadError) as exc:
        run.status, run.error = ImportRun.Status.FAILED, str(exc)
    except Exception as exc:  # a chunk that could not be written: the run says so, loudly
        logger.exception("crime import %s failed", run.pk)
        run.status, run.error = ImportRun.Status.FAILED, f"{exc.__class__.__name__}: {exc}"[:2000]
    else:
        run.status = ImportRun.Status.DONE
    run.unmapped_offenses = unmapped_summary(unmapped)
    if months:
        _statistics_refresh(run)
        hourly_counts_refresh(agency_id=run.agency_id, months=months)
    run.finished_at = timezone.now()
    run_progress_save(run, ["status", "error", "finished_at", "unmapped_offenses", "rows_read", "inserted",
                         "updated", "rejected", "processed_bytes"])
    return run


def _statistics_refresh(run: ImportRun) -> None:
    """ANALYZE the records after a large import, before the summary counts them.

    A table just filled has statistics that say it is (nearly) empty until autovacuum comes by; the planner
    then counts the summary's months through an index, row by row, and sorts on disk (measured three times
    slower than the scan it picks once it knows the table). The analysts' first queries after an import are
    planned on the same statistics."""
    if (connection.vendor != "postgresql" or connection.in_atomic_block
            or run.inserted + run.updated < ANALYZE_AFTER_ROWS):
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {CrimeRecord._meta.db_table}")


_tuning_lock = threading.Lock()
_tuning_users = 0
_interpreter_defaults: tuple[tuple[int, int, int], float] | None = None
GC_YOUNG_THRESHOLD = 100_000  # allocations between two collections of the youngest generation (Python's: 700)
SWITCH_INTERVAL = 0.0005  # seconds a thread may hold the interpreter while another waits (Python's: 0.005)


@contextmanager
def _interpreter_tuned() -> Iterator[None]:
    """Two interpreter settings for the time rows are imported; both process-wide, hence counted: the
    defaults come back when the last import running in the process ends.

    The cyclic garbage collector runs less often. Every row allocates a few lists, and a chunk keeps ten
    thousand of them alive: at Python's default the collector walks them again and again, a fifth of the
    Python time measured. The rows hold no reference cycles (reference counting frees them), so fewer
    collections cost no memory.

    Threads hand the interpreter over sooner. The thread writing chunks needs it only briefly, between
    waits on the database, and at the default it queued up to 5 ms behind the thread reading rows each time
    (the import measured 7-12 % faster at 0.5 ms).
    """
    global _tuning_users, _interpreter_defaults
    with _tuning_lock:
        if _tuning_users == 0:
            _interpreter_defaults = (gc.get_threshold(), sys.getswitchinterval())
            threshold, interval = _interpreter_defaults
            gc.set_threshold(max(GC_YOUNG_THRESHOLD, threshold[0]), *threshold[1:])
            sys.setswitchinterval(min(SWITCH_INTERVAL, interval))
        _tuning_users += 1
    try:
        yield
    finally:
        with _tuning_lock:
            _tuning_users -= 1
            if _tuning_users == 0 and _interpreter_defaults is not None:
                gc.set_threshold(*_interpreter_defaults[0])
                sys.setswitchinterval(_interpreter_defaults[1])


def _months_touched(run: ImportRun) -> set[date]:
    """Every month whose summary a stopped attempt of the run may have left wrong: the months of its records,
    and every month the agency's summary counts (an updated record's month before is not kept anywhere)."""
    from safecommons.crimedata.models import HourlyCount

    months = set(HourlyCount.objects.filter(agency_id=run.agency_id).values_list("month", flat=True).distinct())
    months.update(CrimeRecord.objects.filter(agency_id=run.agency_id, import_run=run).dates("occurred_date", "month"))
    return months


def _import_rows(*, run: ImportRun, reader: RowReader, mapping: Mapping, months: set[date], unmapped: Counter,
                 progress: Progress | None, chunk_rows: int, skip_rows: int = 0) -> None:
    places = ChunkPlaces(mapping=mapping, agency_id=run.agency_id)
    counted: Counter = Counter()
    convert = row_converter(mapping, reader.header, now=timezone.now(), unmapped=counted)
    saver = ChunkSaver(run=run, months=months, unmapped=unmapped, delimiter=mapping.spec["delimiter"],
                        progress=progress)
    # A second connection sees only what is committed: inside a caller's transaction (a test's, say) the
    # chunks are written on this one, in turn.
    threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
    background = SaverThread(saver) if threaded else None
    save = background.save if background else saver.save
    parsed, rejected = ParsedChunk(), []
    seen = _RecentIds(max(RECENT_IDS, chunk_rows))
    rows_read = 0

    def flush() -> None:
        nonlocal parsed, rejected
        kept = places.place(parsed, rejected)
        save(Chunk(rows=kept.rows, rejected=rejected, rows_read=rows_read, processed_bytes=reader.bytes_read(),
                    unmapped=Counter(counted), lines=kept.lines, raw=kept.raw))
        counted.clear()
        parsed, rejected = ParsedChunk(), []

    try:
        for line, row in reader:
            rows_read += 1
            if rows_read <= skip_rows:  # written and counted by an attempt that stopped
                # Their ids are not remembered here: a row rejected then must not make a later row with its id
                # a "repeat"; a repeat of a row written then is caught where its chunk is written (the stored
                # record already carries this run).
                continue
            try:
                if row.__class__ is UndecodableRow:
                    raise RowError(row.reason)
                record, x, y = convert(row)
                first = seen.get(record[0])
                if first is not None:
                    raise RowError(f"the source id {record[0]!r} repeats line {first}")
            except RowError as exc:
                source_id = _source_id_of(row, reader.header, mapping)
                rejected.append((line, str(exc), source_id, row))
            except (TypeError, ValueError, OverflowError) as exc:  # a value no check foresaw: reported, not fatal
                rejected.append((line, f"unreadable row ({exc.__class__.__name__}: {exc})",
                                 _source_id_of(row, reader.header, mapping), row))
            else:
                seen.add(record[0], line)
                parsed.lines.append(line)
                parsed.raw.append(row)
                parsed.rows.append(record)
                parsed.xs.append(x)
                parsed.ys.append(y)
            if rows_read % chunk_rows == 0:
                flush()
        flush()
    except BaseException:
        if background:
            background.close()  # what was handed over is written first; a failure there came first
        run.rows_read = rows_read  # read, if not all written: where the run stopped
        raise
    if background:
        background.close()


class _RecentIds:
    """The lines of the source ids read lately: at least the last `size` rows', never many more (two
    generations of at most `size` each), so that a file of millions of ids does not fill memory.

    A repeat within that window (the usual case: an incident's rows stand together) is rejected here with
    the line it repeats; one further back is caught where the chunk is written (its stored record already
    carries this run), so a repeat is rejected wherever the chunks begin and end."""

    def __init__(self, size: int):
        self.size = size
        self.current: dict[str, int] = {}
        self.previous: dict[str, int] = {}

    def get(self, source_id: str) -> int | None:
        line = self.current.get(source_id)
        return self.previous.get(source_id) if line is None else line

    def add(self, source_id: str, line: int) -> None:
        if len(self.current) >= self.size:
            self.previous, self.current = self.current, {}
        self.current[source_id] = line


def _source_id_of(row: list, header: list[str], mapping: Mapping) -> str:
    columns = mapping.spec["source_id"]["columns"]
    values = []
    for column in columns:
        try:
            values.append(str(row[header.index(column)]).strip())
        except (ValueError, IndexError):
            values.append("")
    return mapping.spec["source_id"]["separator"].join(values)[:120]


# --- Starting a run: from the command line, from an upload


def _mapping_checked(mapping: Mapping | dict) -> Mapping:
    return mapping if isinstance(mapping, Mapping) else mapping_from_dict(mapping)


def crime_import_file(*, actor: Actor | None, agency, path: str | Path, mapping: Mapping,
                      source_name: str = "", progress: Progress | None = None,
                      chunk_rows: int = CHUNK_ROWS) -> ImportRun:
    """Import a file on this machine now (the command line, the demo): a run is created and executed.

    `actor` None is the operator at the console (manage.py), who answers for the machine itself.
    """
    if actor is not None:
        require(actor, "crime.import", agency)
    path = Path(path)
    run = ImportRun.objects.create(
        agency=agency, created_by_id=actor.user_id if actor else None, source_name=(source_name or path.name)[:255],
        mapping_name=mapping.name[:120], mapping=mapping.spec, total_bytes=path.stat().st_size)
    crime_import_execute(run=run, path=path, progress=progress, chunk_rows=chunk_rows)
    _audit(run, actor)
    return run


def crime_import_queue(*, actor: Actor, agency, uploaded_file, mapping: Mapping) -> ImportRun:
    """Keep an uploaded export (privately, under a random name) and queue its import, with a watch that
    takes the run over should its worker stop; the analyst follows the run's page."""
    from safecommons.core.tasks import enqueue_with_transaction
    from safecommons.crimedata.tasks import crime_import_run

    require(actor, "crime.import", agency)
    limit = crime_import_max_bytes()
    if uploaded_file.size > limit:
        raise Refused(f"The file is larger than {limit // (1024 * 1024)} MB.")
    name = Path(uploaded_file.name or "export.csv").name
    storage = import_storage()
    stored = storage.save(import_file_name(name), uploaded_file)
    try:
        with transaction.atomic():
            run = ImportRun.objects.create(
                agency=agency, created_by_id=actor.user_id, source_name=name[:255], stored_file=stored,
                mapping_name=mapping.name[:120], mapping=mapping.spec, total_bytes=uploaded_file.size)
            enqueue_with_transaction(crime_import_run, run.pk)
            _watch_later(run.pk, attempt=1)
    except BaseException:
        storage.delete(stored)
        raise
    return run


STALLED_AFTER = timedelta(minutes=10)  # a run unchanged this long has lost its worker (a chunk takes seconds)
MAX_ATTEMPTS = 3  # the first, and two that take over a stalled run; then it fails, saying why


def _stalled(run: ImportRun) -> bool:
    return run.updated_at < timezone.now() - STALLED_AFTER


def _watch_later(run_id: int, *, attempt: int) -> None:
    """Queue a look at the run once it could have stalled (not on a queue that cannot wait: the tests')."""
    from safecommons.core.tasks import enqueue_with_transaction
    from safecommons.crimedata.tasks import crime_import_watch

    if crime_import_watch.get_backend().supports_defer:
        enqueue_with_transaction(crime_import_watch.using(run_after=timezone.now() + STALLED_AFTER), run_id,
                                 attempt)


RUN_LOCK_NAMESPACE = 0x43524D52  # PostgreSQL advisory locks: ("CRMR", run id) is held by the run's worker


@contextmanager
def _run_held(run_id: int) -> Iterator[bool]:
    """Whether this worker holds the run, held until the block ends.

    On PostgreSQL a session advisory lock: a worker that died has lost its connection and the lock with it,
    while one that is only slow (a long summary recount, a stuck chunk) keeps it, so a stalled-looking run
    is taken over or failed only when no live worker has it. Elsewhere (SQLite: one process, its worker
    threads live and die with it) always True."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [RUN_LOCK_NAMESPACE, run_id])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [RUN_LOCK_NAMESPACE, run_id])


def crime_import_process(*, run_id: int) -> ImportRun:
    """The background task's work (see `_run_process`), by the one worker that holds the run."""
    with _run_held(run_id) as held:
        if not held:
            return ImportRun.objects.get(pk=run_id)  # a live worker has it
        return _run_process(run_id=run_id)


def _run_process(*, run_id: int) -> ImportRun:
    """The background task's work: import the stored upload of a queued run, then remove the upload.

    A run already running is left alone while its worker shows progress; one whose worker is gone (no
    progress for STALLED_AFTER) is taken over, resuming after its last committed chunk. A task delivered
    twice changes nothing."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED):
            return run
        resume = run.status == ImportRun.Status.RUNNING
        if resume and not _stalled(run):
            return run  # its worker is at it
        run.status = ImportRun.Status.RUNNING  # claimed: updated_at is now
        run_progress_save(run, ["status"])
    run = ImportRun.objects.select_related("agency", "created_by").get(pk=run_id)
    path = _stored_path(run)
    if path is None:
        run.status, run.error, run.finished_at = ImportRun.Status.FAILED, "the uploaded file is gone", timezone.now()
        if resume:
            hourly_counts_refresh(agency_id=run.agency_id, months=_months_touched(run))
        run_progress_save(run, ["status", "error", "finished_at"])
        return run
    crime_import_execute(run=run, path=path, resume=resume, chunk_rows=CHUNK_ROWS)
    from safecommons.core.permissions import actor_for_user

    _audit(run, actor_for_user(run.created_by) if run.created_by else None)
    _stored_delete(run)
    return run


def crime_import_watch(*, run_id: int, attempt: int) -> ImportRun:
    """The watch over a queued run: nothing once it has finished; while its worker shows progress, another
    look later; once it has stalled, take it over (attempt + 1, watched in turn), or after MAX_ATTEMPTS
    fail it saying why, with the summary recounted for what its chunks wrote."""
    run = ImportRun.objects.get(pk=run_id)
    if run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED):
        return run
    if not _stalled(run):
        _watch_later(run.pk, attempt=attempt)
        return run
    if attempt >= MAX_ATTEMPTS:
        return _stalled_fail(run, attempts=attempt)
    _watch_later(run.pk, attempt=attempt + 1)
    logger.warning("crime import %s stalled (attempt %s); taking it over", run.pk, attempt)
    return crime_import_process(run_id=run.pk)


ABANDONED_AFTER = STALLED_AFTER * (MAX_ATTEMPTS + 1)  # longer than every watch of a run could take


def crime_imports_abandoned_fail() -> list[int]:
    """The schedule's safety net under the watches: a run queued or running with no progress for
    ABANDONED_AFTER (its watch tasks lost with a queue, say) is failed, saying why, with the summary recounted
    for what its chunks wrote. Returns the runs' ids."""
    cutoff = timezone.now() - ABANDONED_AFTER
    abandoned = list(ImportRun.objects.filter(
        status__in=[ImportRun.Status.QUEUED, ImportRun.Status.RUNNING], updated_at__lt=cutoff,
    ).values_list("pk", flat=True))
    for run_id in abandoned:
        logger.warning("crime import %s abandoned; failing it", run_id)
        _stalled_fail(ImportRun.objects.get(pk=run_id), attempts=MAX_ATTEMPTS)
    return abandoned


def _stalled_fail(run: ImportRun, *, attempts: int) -> ImportRun:
    with _run_held(run.pk) as held:
        if not held:
            return ImportRun.objects.get(pk=run.pk)  # slow, not gone: its worker still has it
        return _stalled_fail_held(run, attempts=attempts)


def _stalled_fail_held(run: ImportRun, *, attempts: int) -> ImportRun:
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED) or not _stalled(run):
            return run
        run.status, run.finished_at = ImportRun.Status.FAILED, timezone.now()
        run.error = (f"the import stopped without finishing {attempts} times (its worker showed no progress "
                     f"for {int(STALLED_AFTER.total_seconds() // 60)} minutes); the first {run.rows_read} rows "
                     f"are imported and counted. Import the file again to finish: records already imported are "
                     f"updated, not doubled.")
        run_progress_save(run, ["status", "error", "finished_at"])
    if run.rows_read:
        hourly_counts_refresh(agency_id=run.agency_id, months=_months_touched(run))
    _stored_delete(run)
    return run


def _stored_path(run: ImportRun) -> str | None:
    if not run.stored_file:
        return None
    if "/" in run.stored_file:  # queued before uploads moved out of the media folder
        return default_storage.path(run.stored_file) if default_storage.exists(run.stored_file) else None
    storage = import_storage()
    return storage.path(run.stored_file) if storage.exists(run.stored_file) else None


def _stored_delete(run: ImportRun) -> None:
    """The upload is not needed once its run has finished: the run keeps its counts and its report."""
    if not run.stored_file:
        return
    (default_storage if "/" in run.stored_file else import_storage()).delete(run.stored_file)
    run.stored_file = ""
    run_progress_save(run, ["stored_file"])


def crime_import_max_bytes() -> int:
    """The largest export accepted through the upload page (the request itself is capped by MAX_UPLOAD_BYTES)."""
    return settings.CRIME_IMPORT_MAX_BYTES


def _audit(run: ImportRun, actor: Actor | None) -> None:
    audit_record(action="crime.imported", actor=actor, actor_label="" if actor else "console",
                 organisation=run.agency, target=run,
                 details={"file": run.source_name, "mapping": run.mapping_name, "status": run.status,
                          "rows": run.rows_read, "inserted": run.inserted, "updated": run.updated,
                          "rejected": run.rejected})
