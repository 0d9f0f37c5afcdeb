"""How the importer writes: committed chunk by chunk (on PostgreSQL on a second connection, beside the reading,
and COPY'd straight into the table until a chunk meets a stored record). These tests let each chunk commit, as
an import on the server does; the other import tests run inside one test transaction, where chunks are
written in turn on the test's connection."""

from __future__ import annotations

import gc
import sys
import threading
from collections import Counter

import pytest
from django.db import connection

from safecommons.crimedata.mapping import mapping_load
from safecommons.crimedata.models import CrimeRecord, HourlyCount, ImportRejection, ImportRun
from safecommons.crimedata.services import import_writing, imports
from safecommons.crimedata.services.imports import crime_import_file
from safecommons.crimedata.tests.import_files import BOSTON_HEADER, boston_row, boston_rows, csv_write

pytestmark = pytest.mark.django_db(transaction=True)
BOSTON = mapping_load("boston-incidents")


def summary_of(agency) -> Counter:
    return Counter({(h.month, h.nibrs_code, h.offense_group, h.weekday, h.hour): h.count
                    for h in HourlyCount.objects.filter(agency=agency)})


def recount(agency) -> Counter:
    counts: Counter = Counter()
    for record in CrimeRecord.objects.filter(agency=agency):
        counts[(record.occurred_date.replace(day=1), record.nibrs_code, record.offense_group,
                record.occurred_weekday, record.occurred_hour)] += 1
    return counts


def test_committed_chunks_count_inserts_and_updates_exactly_when_an_export_mixes_new_and_stored_records(
        agency, tmp_path):
    rows = boston_rows(600)
    first = crime_import_file(actor=None, agency=agency, path=csv_write(tmp_path / "a.csv", BOSTON_HEADER, rows[:300]),
                              mapping=BOSTON, chunk_rows=100)
    assert (first.status, first.inserted, first.updated) == (ImportRun.Status.DONE, 300, 0), first.error

    # The next export: rows 200-599, a few moved to another month. Its first chunk is half stored, half new.
    later = rows[200:]
    for row in later[:30]:
        row["OCCURRED_ON_DATE"] = "2025-11-20 03:15:00"
    second = crime_import_file(actor=None, agency=agency, path=csv_write(tmp_path / "b.csv", BOSTON_HEADER, later),
                               mapping=BOSTON, chunk_rows=100)

    assert (second.status, second.rows_read, second.inserted, second.updated) == (ImportRun.Status.DONE, 400, 300,
                                                                                 100), second.error
    assert CrimeRecord.objects.filter(agency=agency).count() == 600
    assert CrimeRecord.objects.filter(agency=agency, import_run=second).count() == 400
    assert CrimeRecord.objects.filter(agency=agency, occurred_date="2025-11-20").count() == 30
    assert summary_of(agency) == recount(agency)


def test_a_first_import_in_committed_chunks_keeps_every_row_and_reports_every_rejection(agency, tmp_path,
                                                                                       monkeypatch):
    threads, paths = set(), Counter()
    writing = import_writing
    real_save, real_copy, real_upsert = writing.ChunkSaver.save, writing._copy_records, writing._write_postgresql
    monkeypatch.setattr(import_writing.ChunkSaver, "save",
                        lambda self, chunk: threads.add(threading.current_thread().name) or real_save(self, chunk))
    monkeypatch.setattr(import_writing, "_copy_records", lambda **kw: paths.update(["copy"]) or real_copy(**kw))
    monkeypatch.setattr(import_writing, "_write_postgresql", lambda **kw: paths.update(["upsert"]) or real_upsert(**kw))
    rows = boston_rows(450)
    bad_lines = {}
    for position in (10, 220, 449):
        rows[position] = boston_row(number=f"BAD{position}", code="619", occurred="2026-02-30 10:00:00")
        bad_lines[position + 2] = f"BAD{position}-619"  # the header is line 1
    path = csv_write(tmp_path / "export.csv", BOSTON_HEADER, rows)

    run = crime_import_file(actor=None, agency=agency, path=path, mapping=BOSTON, chunk_rows=100)

    assert (run.status, run.rows_read, run.inserted, run.rejected) == (ImportRun.Status.DONE, 450, 447, 3), run.error
    assert dict(ImportRejection.objects.filter(run=run).values_list("line", "source_id")) == bad_lines
    assert CrimeRecord.objects.filter(agency=agency).count() == 447
    assert sum(summary_of(agency).values()) == 447 and summary_of(agency) == recount(agency)
    assert run.processed_bytes == run.total_bytes
    if connection.vendor == "postgresql":  # written beside the reading, each chunk COPY'd into the table
        assert (threads, paths) == ({"crime-import-writer"}, Counter(copy=5))


def test_a_chunk_the_database_refuses_fails_the_run_and_what_earlier_chunks_wrote_stays_counted(
        agency, tmp_path, monkeypatch):
    written = []
    real_write = import_writing.RecordWriter.write

    def write_twice_then_fail(self, rows):
        if len(written) == 2:
            raise RuntimeError("the disk is full")
        written.append(len(rows))
        return real_write(self, rows)

    monkeypatch.setattr(import_writing.RecordWriter, "write", write_twice_then_fail)
    path = csv_write(tmp_path / "export.csv", BOSTON_HEADER, boston_rows(500))

    run = crime_import_file(actor=None, agency=agency, path=path, mapping=BOSTON, chunk_rows=100)

    assert run.status == ImportRun.Status.FAILED
    assert run.error == "RuntimeError: the disk is full"
    assert (run.rows_read, run.inserted) == (300, 200)  # read up to the chunk that failed, as a run in turn stops
    assert CrimeRecord.objects.filter(agency=agency).count() == 200
    assert summary_of(agency) == recount(agency)
    run.refresh_from_db()
    assert (run.status, run.rows_read, run.inserted) == (ImportRun.Status.FAILED, 300, 200)


def test_a_byte_not_utf8_mid_file_rejects_that_row_at_its_line_and_imports_every_other(agency, tmp_path):
    rows = boston_rows(400)
    for n, row in enumerate(rows):
        row["INCIDENT_NUMBER"] = f"U{n:05d}"  # one offense per incident: every row a record of its own
    path = csv_write(tmp_path / "export.csv", BOSTON_HEADER, rows)
    lines = path.read_bytes().split(b"\n")
    assert lines[351].startswith(b"U00350,")  # line 352 of the file (the header is line 1)
    lines[351] = lines[351].replace(b",B2,", b",B\xe92,")  # Latin-1 é in the district
    path.write_bytes(b"\n".join(lines))

    run = crime_import_file(actor=None, agency=agency, path=path, mapping=BOSTON, chunk_rows=300)

    assert run.status == ImportRun.Status.DONE, run.error
    assert (run.rows_read, run.inserted, run.rejected) == (400, 399, 1)
    rejection = ImportRejection.objects.get(run=run)
    assert rejection.line == 352
    assert rejection.reason.startswith("not valid UTF-8 text")
    assert rejection.source_id == "U00350-" + rows[350]["OFFENSE_CODE"] and "B\ufffd2" in rejection.excerpt
    stored = set(CrimeRecord.objects.filter(agency=agency).values_list("source_id", flat=True))
    assert stored == {f"{row['INCIDENT_NUMBER']}-{row['OFFENSE_CODE']}" for row in rows} - {rejection.source_id}
    assert summary_of(agency) == recount(agency)


def test_a_header_not_utf8_fails_the_run_saying_so(agency, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"INCIDENT_NUMBER,OFFENSE_\xe9CODE\n1,619\n")

    run = crime_import_file(actor=None, agency=agency, path=path, mapping=BOSTON)

    assert run.status == ImportRun.Status.FAILED
    assert "not valid UTF-8" in run.error and run.rows_read == 0


def test_the_interpreter_settings_an_import_changes_come_back_after_it(agency, tmp_path, monkeypatch):
    before = (gc.get_threshold(), sys.getswitchinterval())
    during = []
    real_save = import_writing.ChunkSaver.save

    def save(self, chunk):
        during.append((gc.get_threshold()[0], sys.getswitchinterval()))
        real_save(self, chunk)

    monkeypatch.setattr(import_writing.ChunkSaver, "save", save)
    path = csv_write(tmp_path / "export.csv", BOSTON_HEADER, boston_rows(50))

    run = crime_import_file(actor=None, agency=agency, path=path, mapping=BOSTON)

    assert run.status == ImportRun.Status.DONE, run.error
    assert during == [(max(imports.GC_YOUNG_THRESHOLD, before[0][0]), min(imports.SWITCH_INTERVAL, before[1]))]
    assert (gc.get_threshold(), sys.getswitchinterval()) == before


REPEATING = [("A", "2026-04-01 10:00:00"), ("B", "2026-04-02 10:00:00"), ("A", "2026-04-03 10:00:00"),
             ("C", "2026-04-04 10:00:00"), ("B", "2026-04-05 10:00:00")]  # lines 2-6


@pytest.mark.parametrize("chunk_rows", [1, 2, 100])
def test_a_source_id_repeated_in_a_file_is_rejected_naming_its_first_line_wherever_the_chunks_end(
        agency, tmp_path, chunk_rows):
    path = csv_write(tmp_path / "export.csv", BOSTON_HEADER,
                     [boston_row(number=number, code="619", occurred=when) for number, when in REPEATING])

    run = crime_import_file(actor=None, agency=agency, path=path, mapping=BOSTON, chunk_rows=chunk_rows)

    assert (run.status, run.rows_read, run.inserted, run.updated, run.rejected) == ("done", 5, 3, 0, 2), run.error
    reasons = dict(ImportRejection.objects.filter(run=run).values_list("line", "reason"))
    assert reasons == {4: "the source id 'A-619' repeats line 2", 6: "the source id 'B-619' repeats line 3"}
    days = dict(CrimeRecord.objects.filter(agency=agency).values_list("source_id", "occurred_date__day"))
    assert days == {"A-619": 1, "B-619": 2, "C-619": 4}  # the first row of each id stands
    assert summary_of(agency) == recount(agency)


@pytest.mark.parametrize("stored_before", [False, True])
def test_a_repeat_further_back_than_the_ids_remembered_is_caught_where_its_chunk_is_written(
        agency, tmp_path, monkeypatch, stored_before):
    path = csv_write(tmp_path / "export.csv", BOSTON_HEADER,
                     [boston_row(number=number, code="619", occurred=when) for number, when in REPEATING])
    if stored_before:  # the upsert path from the first chunk on PostgreSQL; else COPY until the first repeat
        crime_import_file(actor=None, agency=agency, path=path, mapping=BOSTON)
    # From here the ids read are forgotten at once (a chunk of one row keeps within-chunk repeats out).
    monkeypatch.setattr(imports._RecentIds, "get", lambda self, source_id: None)

    run = crime_import_file(actor=None, agency=agency, path=path, mapping=BOSTON, chunk_rows=1)

    expected = (0, 3) if stored_before else (3, 0)
    assert (run.status, run.rows_read, run.rejected) == ("done", 5, 2), run.error
    assert (run.inserted, run.updated) == expected
    reasons = dict(ImportRejection.objects.filter(run=run).values_list("line", "reason"))
    assert reasons == {4: "the source id 'A-619' repeats an earlier line of this file",
                       6: "the source id 'B-619' repeats an earlier line of this file"}
    assert ImportRejection.objects.get(run=run, line=4).excerpt.startswith("A,619,")
    days = dict(CrimeRecord.objects.filter(agency=agency).values_list("source_id", "occurred_date__day"))
    assert days == {"A-619": 1, "B-619": 2, "C-619": 4}
    assert summary_of(agency) == recount(agency)


class WorkerKilled(BaseException):
    """Stands for the worker's process ending mid-run: nothing of the importer's own handling runs."""


def queued_run(agency, path) -> ImportRun:
    from safecommons.crimedata.storage import import_file_name, import_storage

    with path.open("rb") as handle:
        stored = import_storage().save(import_file_name(path.name), handle)
    return ImportRun.objects.create(agency=agency, source_name=path.name, stored_file=stored,
                                    mapping_name=BOSTON.name, mapping=BOSTON.spec, total_bytes=path.stat().st_size)


def worker_killed_after_first_chunk(run: ImportRun, monkeypatch) -> None:
    """Import `run` in a worker that dies once its first chunk is written (the rest of the test runs as usual)."""
    from safecommons.crimedata.services.imports import crime_import_process

    real_write = import_writing.RecordWriter.write
    calls = []

    def write(self, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise WorkerKilled
        return real_write(self, rows)

    with monkeypatch.context() as patched:
        patched.setattr(import_writing.RecordWriter, "write", write)
        with pytest.raises(WorkerKilled):
            crime_import_process(run_id=run.pk)


def crash_export(agency, tmp_path):
    rows = boston_rows(300)
    for n, row in enumerate(rows):
        row["INCIDENT_NUMBER"] = f"K{n:05d}"
    # Stored before by another import: the first 50, which this export moves to another month.
    crime_import_file(actor=None, agency=agency, mapping=BOSTON,
                      path=csv_write(tmp_path / "before.csv", BOSTON_HEADER, rows[:50]))
    for row in rows[:50]:
        row["OCCURRED_ON_DATE"] = "2025-11-20 03:15:00"
    rows[10]["OCCURRED_ON_DATE"] = "not a date"  # line 12, in the first chunk
    rows[250] = dict(rows[5])  # line 252 repeats line 7, two chunks later
    rows[260]["Lat"] = "north"  # line 262
    return rows, csv_write(tmp_path / "export.csv", BOSTON_HEADER, rows)


def test_a_run_whose_worker_died_after_a_chunk_is_taken_over_and_finishes_exactly(agency, tmp_path, monkeypatch):
    from safecommons.crimedata.services.imports import STALLED_AFTER, crime_import_watch
    from safecommons.crimedata.storage import import_storage

    monkeypatch.setattr(imports, "CHUNK_ROWS", 100)
    rows, path = crash_export(agency, tmp_path)
    run = queued_run(agency, path)
    worker_killed_after_first_chunk(run, monkeypatch)
    run.refresh_from_db()
    assert (run.status, run.rows_read, run.rejected) == ("running", 100, 1)  # the first chunk, committed

    # While the worker might still be at it, the watch leaves the run alone.
    assert crime_import_watch(run_id=run.pk, attempt=1).status == "running"
    assert ImportRun.objects.get(pk=run.pk).rows_read == 100
    ImportRun.objects.filter(pk=run.pk).update(updated_at=run.updated_at - STALLED_AFTER)

    run = crime_import_watch(run_id=run.pk, attempt=1)

    assert (run.status, run.rows_read, run.inserted, run.updated, run.rejected) == ("done", 300, 248, 49, 3), \
        run.error
    reasons = dict(ImportRejection.objects.filter(run=run).values_list("line", "reason"))
    assert set(reasons) == {12, 252, 262}
    # A repeat of a row the stopped attempt wrote is caught as it is written, without the first row's line.
    assert reasons[252] == f"the source id 'K00005-{rows[5]['OFFENSE_CODE']}' repeats an earlier line of this file"
    assert CrimeRecord.objects.filter(agency=agency).count() == 298
    assert CrimeRecord.objects.filter(agency=agency, occurred_date="2025-11-20").count() == 49
    assert summary_of(agency) == recount(agency)
    assert run.stored_file == "" and not any(import_storage().listdir("")[1])


def test_a_run_that_keeps_stalling_fails_saying_why_with_its_chunks_counted(agency, tmp_path, monkeypatch):
    from safecommons.crimedata.services.imports import (
        MAX_ATTEMPTS,
        STALLED_AFTER,
        crime_import_watch,
    )

    monkeypatch.setattr(imports, "CHUNK_ROWS", 100)
    _rows, path = crash_export(agency, tmp_path)
    run = queued_run(agency, path)
    worker_killed_after_first_chunk(run, monkeypatch)
    ImportRun.objects.filter(pk=run.pk).update(updated_at=run.updated_at - STALLED_AFTER)

    run = crime_import_watch(run_id=run.pk, attempt=MAX_ATTEMPTS)

    assert run.status == "failed" and "stopped without finishing" in run.error and "first 100 rows" in run.error
    assert summary_of(agency) == recount(agency)
    assert run.stored_file == ""


def test_the_schedule_fails_a_run_whose_watches_were_lost_and_leaves_live_runs_alone(agency, tmp_path, monkeypatch):
    from safecommons.core.schedule import SCHEDULE
    from safecommons.crimedata.services.imports import ABANDONED_AFTER
    from safecommons.crimedata.tasks import crime_imports_abandoned

    monkeypatch.setattr(imports, "CHUNK_ROWS", 100)
    _rows, path = crash_export(agency, tmp_path)
    abandoned = queued_run(agency, path)
    worker_killed_after_first_chunk(abandoned, monkeypatch)
    ImportRun.objects.filter(pk=abandoned.pk).update(updated_at=abandoned.updated_at - ABANDONED_AFTER)
    lively = queued_run(agency, path)  # queued just now: its worker may yet come

    assert crime_imports_abandoned.call() == [abandoned.pk]

    abandoned.refresh_from_db()
    lively.refresh_from_db()
    assert abandoned.status == "failed" and "stopped without finishing" in abandoned.error
    assert summary_of(agency) == recount(agency)
    assert lively.status == "queued"
    assert SCHEDULE["crimedata.imports_abandoned"][0] == "safecommons.crimedata.tasks.crime_imports_abandoned"


@pytest.mark.parametrize("killed", [False, True])
def test_a_taken_over_run_rejects_exactly_what_an_uninterrupted_one_does(agency, tmp_path, monkeypatch, killed):
    from safecommons.crimedata.services.imports import STALLED_AFTER, crime_import_process

    monkeypatch.setattr(imports, "CHUNK_ROWS", 100)
    rows = boston_rows(300)
    for n, row in enumerate(rows):
        row["INCIDENT_NUMBER"] = f"K{n:05d}"
    rows[150] = dict(rows[3])  # line 152 sends again, corrected, the incident of line 5 ...
    rows[3]["OCCURRED_ON_DATE"] = "not a date"  # ... which is rejected
    run = queued_run(agency, csv_write(tmp_path / "export.csv", BOSTON_HEADER, rows))
    if killed:
        worker_killed_after_first_chunk(run, monkeypatch)
        ImportRun.objects.filter(pk=run.pk).update(updated_at=run.updated_at - STALLED_AFTER * 2)

    run = crime_import_process(run_id=run.pk)

    assert (run.status, run.inserted, run.rejected) == ("done", 299, 1)
    assert list(ImportRejection.objects.filter(run=run).values_list("line", flat=True)) == [5]
    assert CrimeRecord.objects.filter(agency=agency).count() == 299


def test_a_slow_worker_is_not_taken_over_while_it_lives(agency, tmp_path, monkeypatch):
    """Its run looks stalled (no progress for STALLED_AFTER), but its worker still holds it: a takeover from
    another worker changes nothing, and the run ends exactly as if nobody had tried."""
    if connection.vendor != "postgresql":
        pytest.skip("the hold is a PostgreSQL session lock; SQLite's worker lives and dies with its process")
    from safecommons.crimedata.services.imports import STALLED_AFTER, crime_import_process, crime_import_watch

    monkeypatch.setattr(imports, "CHUNK_ROWS", 100)
    rows = boston_rows(300)
    for n, row in enumerate(rows):
        row["INCIDENT_NUMBER"] = f"K{n:05d}"
    run = queued_run(agency, csv_write(tmp_path / "export.csv", BOSTON_HEADER, rows))
    real_save, calls, seen_by_others = import_writing.ChunkSaver.save, [], []

    def from_another_worker():
        try:
            seen_by_others.append(crime_import_process(run_id=run.pk).rows_read)
            seen_by_others.append(crime_import_watch(run_id=run.pk, attempt=imports.MAX_ATTEMPTS).status)
        finally:
            connection.close()

    def slow_save(self, chunk):
        calls.append(chunk)
        if len(calls) == 2:  # before its second chunk, the worker has gone quiet for longer than STALLED_AFTER
            ImportRun.objects.filter(pk=run.pk).update(updated_at=run.updated_at - STALLED_AFTER * 2)
            other = threading.Thread(target=from_another_worker)
            other.start()
            other.join()
        return real_save(self, chunk)

    monkeypatch.setattr(import_writing.ChunkSaver, "save", slow_save)
    run = crime_import_process(run_id=run.pk)

    assert seen_by_others == [100, "running"]  # neither taken over nor failed
    assert (run.status, run.inserted, run.rejected) == ("done", 300, 0)
    assert CrimeRecord.objects.filter(agency=agency).count() == 300
