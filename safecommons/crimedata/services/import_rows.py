"""Turning a file's rows into crime records: a mapping compiled against the file's header into one function
per row (checks, offense, dates in the source's zone, the fields of `CrimeRecord`), and the places of a chunk
at once (projection, plausibility, generalisation, grid cells, neighborhoods). `imports` runs them over a file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import h3.api.basic_int as h3int
import numpy as np
from django.db.models import Max, Min

from safecommons.crimedata import generalise, nibrs
from safecommons.crimedata.mapping import Mapping, offense_key

BOUNDS_MARGIN_DEG = 0.1  # around the agency's areas: about 10 km, room for a record just over the line
FUTURE_SLACK = timedelta(days=1)
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
class ParsedChunk:
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


def row_converter(mapping: Mapping, header: list[str], *, now: datetime,
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


class ChunkPlaces:
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

    def place(self, parsed: ParsedChunk, rejected: list[tuple[int, str, str, list]]) -> ParsedChunk:
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
        kept = ParsedChunk()
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
