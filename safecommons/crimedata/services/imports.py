"""Importing crime records from an export: read in chunks, check each row, derive what the public may see,
upsert by (agency, source id), report every rejected row, and keep the hourly summary exact.

The work per row is kept small (a closure compiled once per mapping and file, caches for the values that
repeat: offenses, dates, addresses, grid cells), and what can be done for a whole chunk at once is done so:
projecting x/y to latitude and longitude, finding neighborhoods. Writing the chunks to the database is
`import_writing`'s (on PostgreSQL a binary COPY per chunk, written beside the reading). Memory holds a few
chunks, never the file.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import h3.api.basic_int as h3int
import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, require
from safecommons.crimedata import generalise, nibrs
from safecommons.crimedata.mapping import Mapping, MappingError, mapping_from_dict, offense_key
from safecommons.crimedata.models import CrimeRecord, ImportRun
from safecommons.crimedata.readers import ReadError, RowReader, UndecodableRow, reader_open
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
BOUNDS_MARGIN_DEG = 0.1  # around the agency's areas: about 10 km, room for a record just over the line
FUTURE_SLACK = timedelta(days=1)
ANALYZE_AFTER_ROWS = 100_000  # records written by one run, after which their table is analysed
RECENT_IDS = 50_000  # source ids remembered with their lines, at the least, to name the line a repeat repeats
CACHE_LIMIT = 200_000  # entries per cache, so that a file of unique values cannot grow one without end
ISO_FORMATS = {"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
               "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%z"}
MAX_LENGTHS = {"offense_source": 200, "address": 200, "block_address": 200, "source_area": 120,
               "premise_type": 80, "status": 60}
SOURCE_ID_MAX = 120

class RowError(Exception):
    """One row cannot be imported; the message is the reason shown in the report."""


# --- Compiling a mapping against a file's header into one function per row


@dataclass
class _Parsed:
    """A chunk's rows after the per-row checks, before the per-chunk work (places, neighborhoods)."""

    lines: list[int] = field(default_factory=list)
    raw: list[list] = field(default_factory=list)  # the rows as read, for the report's excerpt
    rows: list[list] = field(default_factory=list)  # COLUMNS order; place fields filled per chunk
    xs: list[float] = field(default_factory=list)  # the source's coordinates (lon/lat or projected x/y)
    ys: list[float] = field(default_factory=list)


def _remember(cache: dict, key: Any, value: Any) -> Any:
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def _datetime_parser(formats: list[str], tz: ZoneInfo, where: str) -> Callable[[Any], datetime]:
    """A function from a value (text, or a spreadsheet's datetime) to an aware datetime in `tz`."""
    iso_first = formats[0] in ISO_FORMATS
    cache: dict = {}

    def parse(value: Any) -> datetime:
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, date):
            parsed = datetime.combine(value, time())
        else:
            text = value.strip()
            found = cache.get(text)
            if found is not None:
                return found
            if not text:
                raise RowError(f"{where} is empty")
            parsed = None
            if iso_first:
                try:
                    parsed = datetime.fromisoformat(text)
                except ValueError:
                    parsed = None
            if parsed is None:
                for fmt in formats:
                    try:
                        parsed = datetime.strptime(text, fmt)
                        break
                    except ValueError:
                        continue
            if parsed is None:
                raise RowError(f"{where} {text[:40]!r} does not match {' or '.join(formats)}")
            return _remember(cache, text, _in_zone(parsed, tz))
        return _in_zone(parsed, tz)

    return parse


def _in_zone(moment: datetime, tz: ZoneInfo) -> datetime:
    """The instant in `tz`, its wall clock one the zone shows. A local time the clock skips (02:30 on the
    night summer time starts) is read with the offset before the change and comes out as the time the clock
    then shows (03:30); a local time the clock shows twice (01:30 when summer time ends) is the first of the
    two, in summer time (Python's fold=0). The hour and weekday are taken from what this returns, so they are
    the stored instant's."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC).astimezone(tz)


def _compile_row(mapping: Mapping, header: list[str], *, now: datetime,
                 unmapped: Counter) -> Callable[[list], tuple[list, float | None, float | None]]:
    """The per-row function: source values → (record values in COLUMNS order, source x, source y)."""
    spec = mapping.spec
    index = {name: position for position, name in enumerate(header)}
    tz = ZoneInfo(spec["timezone"])
    width = len(header)

    id_columns = [index[c] for c in spec["source_id"]["columns"]]
    id_separator = spec["source_id"]["separator"]
    single_id = id_columns[0] if len(id_columns) == 1 else None

    offense = spec["offense"]
    offense_at = index[offense["column"]]
    codes, strip_zeros, case_sensitive = offense["codes"], offense["strip_leading_zeros"], offense["case_sensitive"]
    code_flags = offense.get("flags", {})
    # source value → (NIBRS code, known to the mapping, domestic by its code, child victim by its code)
    offense_cache: dict[str, tuple[str, bool, bool, bool]] = {}

    def flag_reader(flag: dict | None) -> Callable[[list], bool]:
        if not flag:
            return lambda row: False
        at, true_values = index[flag["column"]], frozenset(flag["true_values"])
        return lambda row: str(row[at]).strip().lower() in true_values

    domestic_of, child_of = flag_reader(spec["domestic"]), flag_reader(spec["child_victim"])
    group_cache: dict[tuple[str, bool, bool], tuple[str, str]] = {}

    occurred = spec["occurred"]
    occurred_at_column = index[occurred.get("column") or occurred["date_column"]]
    parse_occurred = _datetime_parser(occurred["formats"], tz, "occurred date")
    hour_at = index[occurred["hour_column"]] if occurred.get("hour_column") else None
    date_only = "date_column" in occurred
    reported = spec["reported"]
    reported_at = index[reported["column"]] if reported else None
    parse_reported = _datetime_parser(reported["formats"], tz, "reported date") if reported else None
    latest = now + FUTURE_SLACK

    location = spec["location"]
    projected = bool(location["x"])
    x_at = index[location["x"] or location["longitude"]] if (location["x"] or location["longitude"]) else None
    y_at = index[location["y"] or location["latitude"]] if (location["y"] or location["latitude"]) else None
    missing = frozenset(v.strip() for v in location["missing"])
    address_at = index[location["address"]] if location["address"] else None
    premise_at = index[spec["premise_type"]] if spec["premise_type"] else None
    area_columns = [index[c] for c in spec["area"]["columns"]]
    area_separator = spec["area"]["separator"]
    status = spec["status"]
    status_at = index[status["column"]] if status else None
    status_values = status["values"] if status else {}
    limits = MAX_LENGTHS

    def convert(row: list) -> tuple[list, float | None, float | None]:
        if len(row) < width:
            raise RowError(f"{len(row)} values where the header has {width} columns")
        if single_id is not None:
            source_id = str(row[single_id]).strip()
        else:
            parts = [str(row[i]).strip() for i in id_columns]
            source_id = id_separator.join(parts) if all(parts) else ""
            if any(parts) and not source_id:  # say which part is missing: often the offense itself
                empty_parts = [i for i, part in zip(id_columns, parts, strict=True) if not part]
                if offense_at in empty_parts:
                    raise RowError("the offense is empty")
                raise RowError(f"the source id is empty (its part {', '.join(header[i] for i in empty_parts)})")
        if not source_id:
            raise RowError("the source id is empty")
        if len(source_id) > SOURCE_ID_MAX:
            raise RowError(f"the source id is longer than {SOURCE_ID_MAX} characters")

        offense_source = str(row[offense_at]).strip()
        known = offense_cache.get(offense_source)
        if known is None:
            key = offense_key(offense_source, strip_zeros=strip_zeros, case_sensitive=case_sensitive)
            by_code = code_flags.get(key, (False, False))
            known = _remember(offense_cache, offense_source,
                              (codes.get(key, ""), key in codes, by_code[0], by_code[1]))
        code, mapped, domestic_by_code, child_by_code = known
        if not offense_source:
            raise RowError("the offense is empty")
        if not mapped:
            unmapped[offense_source[:200]] += 1
        domestic = domestic_by_code or domestic_of(row)
        child_victim = child_by_code or child_of(row)
        grouped = group_cache.get((code, domestic, child_victim))
        if grouped is None:
            if code:
                group = nibrs.record_group(code=code, domestic=domestic, child_victim=child_victim)
                against = nibrs.OFFENSES[code].against
            else:  # unmapped, or not an offense: nobody outside the agency sees it
                group, against = nibrs.OffenseGroup.UNCLASSIFIED.value, ""
            grouped = group_cache[(code, domestic, child_victim)] = (str(group), against)

        occurred_at = parse_occurred(row[occurred_at_column])
        hour: int | None = occurred_at.hour
        if date_only:
            hour = None
            if hour_at is not None:
                raw_hour = str(row[hour_at]).strip()
                if raw_hour:
                    try:
                        hour = int(float(raw_hour))
                    except ValueError:
                        raise RowError(f"hour {raw_hour[:20]!r} is not a number") from None
                    if not 0 <= hour <= 23:
                        raise RowError(f"hour {hour} is out of range (0-23)")
            occurred_at = _in_zone(occurred_at.replace(hour=hour or 0, minute=0, second=0, microsecond=0,
                                                       tzinfo=None), tz)
            if hour is not None:
                hour = occurred_at.hour  # 02:00 on the night the clock skips it is 03:00
        if occurred_at > latest:
            raise RowError(f"occurred {occurred_at:%Y-%m-%d %H:%M}, in the future")
        reported_value = None
        if parse_reported is not None and str(row[reported_at]).strip():
            reported_value = parse_reported(row[reported_at])

        x = y = None
        if x_at is not None:
            raw_x, raw_y = str(row[x_at]).strip(), str(row[y_at]).strip()
            if raw_x not in missing and raw_y not in missing:
                try:
                    x, y = float(raw_x), float(raw_y)
                except ValueError:
                    shown = (f"x {raw_x[:20]!r}, y {raw_y[:20]!r}" if projected
                             else f"latitude {raw_y[:20]!r}, longitude {raw_x[:20]!r}")
                    raise RowError(f"{shown}: not numbers") from None
                if x != x or y != y:  # NaN
                    raise RowError("coordinates are not numbers")
                if not projected and not (-90 <= y <= 90 and -180 <= x <= 180):
                    raise RowError(f"latitude {y:g}, longitude {x:g} out of range")

        address = str(row[address_at]).strip()[:limits["address"]] if address_at is not None else ""
        if area_columns:
            source_area = area_separator.join([p for p in [str(row[i]).strip() for i in area_columns] if p])
        else:
            source_area = ""
        premise = str(row[premise_at]).strip()[:limits["premise_type"]] if premise_at is not None else ""
        if status_at is not None:
            raw_status = str(row[status_at]).strip()
            status_value = status_values.get(raw_status.lower(), raw_status)[:limits["status"]]
        else:
            status_value = ""
        record = [source_id, offense_source[:limits["offense_source"]], code, grouped[0], grouped[1], domestic,
                  child_victim, occurred_at, occurred_at.date(), hour, occurred_at.weekday(), reported_value,
                  address, None, None, None, "", None, None, None, None, source_area[:limits["source_area"]],
                  premise, status_value]
        return record, x, y

    return convert


# --- Per chunk: places, plausibility, neighborhoods


class _Places:
    """What a chunk's places need, loaded once per run: the projection, the plausible box, the gazetteer's
    blocks and the agency's neighborhoods; and caches for addresses and grid cells."""

    def __init__(self, *, mapping: Mapping, agency_id: int):
        from safecommons.places.models import Area, AreaKind

        location = mapping.spec["location"]
        self.transformer = None
        if location["x"]:
            from pyproj import Transformer

            self.transformer = Transformer.from_crs(location["crs"], "EPSG:4326", always_xy=True)
        self.bounds = location["bounds"]
        if self.bounds is None:
            box = Area.objects.filter(agency_id=agency_id).aggregate(
                w=Min("min_lon"), s=Min("min_lat"), e=Max("max_lon"), n=Max("max_lat"))
            if box["w"] is not None:
                m = BOUNDS_MARGIN_DEG
                self.bounds = [box["w"] - m, box["s"] - m, box["e"] + m, box["n"] + m]
        self.uses_addresses = bool(location["address"])
        self.blocks = generalise.BlockCentres.load() if self.uses_addresses else generalise.BlockCentres({})
        self.neighborhood_ids = np.array(
            list(Area.objects.filter(agency_id=agency_id, kind=AreaKind.NEIGHBORHOOD).values_list("id", flat=True)),
            dtype=np.int64)
        self.address_cache: dict[str, tuple[str, tuple[float, float] | None]] = {}
        self.centre_cache: dict[int, tuple[float, float]] = {}

    def block_of(self, address: str) -> tuple[str, tuple[float, float] | None]:
        found = self.address_cache.get(address)
        if found is None:
            block = generalise.hundred_block(address) if address else None
            centre = self.blocks.centre(block[1], block[2]) if block else None
            found = _remember(self.address_cache, address, (block[0] if block else "", centre))
        return found

    def centre_of(self, cell: int) -> tuple[float, float]:
        found = self.centre_cache.get(cell)
        if found is None:
            found = _remember(self.centre_cache, cell, generalise.grid_centre(cell))
        return found

    def place(self, parsed: _Parsed, rejected: list[tuple[int, str, str, list]]) -> _Parsed:
        """Fill the place fields of every row; rows outside the plausible area move to `rejected`."""
        rows, lines = parsed.rows, parsed.lines
        xs = np.array([np.nan if v is None else v for v in parsed.xs], dtype=np.float64)
        ys = np.array([np.nan if v is None else v for v in parsed.ys], dtype=np.float64)
        if self.transformer is not None and len(xs):
            lons, lats = self.transformer.transform(xs, ys)
            lons, lats = np.asarray(lons, dtype=np.float64), np.asarray(lats, dtype=np.float64)
        else:
            lons, lats = xs, ys
        has_point = ~(np.isnan(lons) | np.isnan(lats))
        outside = np.zeros(len(rows), dtype=bool)
        if self.bounds is not None:
            w, s, e, n = self.bounds
            outside = has_point & ~((lons >= w) & (lons <= e) & (lats >= s) & (lats <= n))
        elif self.transformer is not None:
            outside = has_point & ~((lons >= -180) & (lons <= 180) & (lats >= -90) & (lats <= 90))
        # The point the record is counted at: exact when known, else where the gazetteer puts its block.
        count_lon, count_lat = lons.copy(), lats.copy()
        kept = _Parsed()
        keep_positions = []
        latlng_to_cell = h3int.latlng_to_cell
        resolution = generalise.GRID_RESOLUTION
        for position, record in enumerate(rows):
            if outside[position]:
                reason = (f"latitude {lats[position]:.5f}, longitude {lons[position]:.5f} is outside the "
                          f"agency's area")
                rejected.append((lines[position], reason, record[0], parsed.raw[position]))
                continue
            address = record[12]
            block_text, centre = self.block_of(address) if address else ("", None)
            record[16] = block_text
            if has_point[position]:
                lat, lon = float(lats[position]), float(lons[position])
                cell = latlng_to_cell(lat, lon, resolution)
                record[13], record[14], record[15] = lat, lon, cell
                public = self.centre_of(cell)  # generalise.public_place's rule: the exact point's cell
            else:
                public = centre
                if centre:
                    count_lat[position], count_lon[position] = centre
            if public is not None:
                record[17], record[18] = public
                record[19] = latlng_to_cell(public[0], public[1], resolution)
            keep_positions.append(position)
            kept.rows.append(record)
            kept.lines.append(lines[position])
            kept.raw.append(parsed.raw[position])
        if len(self.neighborhood_ids) and kept.rows:
            from safecommons.places.geoindex import area_index

            positions = np.array(keep_positions, dtype=np.int64)
            lon_kept, lat_kept = count_lon[positions], count_lat[positions]
            located = ~(np.isnan(lon_kept) | np.isnan(lat_kept))
            where = np.flatnonzero(located)
            if len(where):
                point_idx, area_ids = area_index().containing_many(lon_kept[where], lat_kept[where])
                ours = np.isin(area_ids, self.neighborhood_ids)
                for point, area_id in zip(point_idx[ours].tolist(), area_ids[ours].tolist(), strict=True):
                    record = kept.rows[int(where[point])]
                    if record[20] is None:
                        record[20] = area_id
        return kept


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
    places = _Places(mapping=mapping, agency_id=run.agency_id)
    counted: Counter = Counter()
    convert = _compile_row(mapping, reader.header, now=timezone.now(), unmapped=counted)
    saver = ChunkSaver(run=run, months=months, unmapped=unmapped, delimiter=mapping.spec["delimiter"],
                        progress=progress)
    # A second connection sees only what is committed: inside a caller's transaction (a test's, say) the
    # chunks are written on this one, in turn.
    threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
    background = SaverThread(saver) if threaded else None
    save = background.save if background else saver.save
    parsed, rejected = _Parsed(), []
    seen = _RecentIds(max(RECENT_IDS, chunk_rows))
    rows_read = 0

    def flush() -> None:
        nonlocal parsed, rejected
        kept = places.place(parsed, rejected)
        save(Chunk(rows=kept.rows, rejected=rejected, rows_read=rows_read, processed_bytes=reader.bytes_read(),
                    unmapped=Counter(counted), lines=kept.lines, raw=kept.raw))
        counted.clear()
        parsed, rejected = _Parsed(), []

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
