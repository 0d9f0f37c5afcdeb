"""Import mappings: how the columns of one records system's export become crime records.

A mapping is a YAML (or JSON) document; `docs/crime-data.md` describes every key with full examples, and
`crimedata/mappings/` ships mappings for public open-data formats. A mapping is checked whole when it is
loaded, and again against a file's header before any row is read, so a mistake in it is one clear error
naming what is wrong, never a file of rejected rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from safecommons.crimedata.nibrs import offense_get

SHIPPED_DIR = Path(__file__).resolve().parent / "mappings"
DEFAULT_TRUE_VALUES = ("true", "t", "yes", "y", "1")
DEFAULT_MISSING = ("", "0", "0.0")

_TOP_KEYS = {"name", "description", "format", "encoding", "delimiter", "sheet", "timezone", "source_id",
             "offense", "domestic", "child_victim", "occurred", "reported", "location", "premise_type", "area",
             "status"}
_REQUIRED = ("timezone", "source_id", "offense", "occurred")


class MappingError(Exception):
    """The mapping itself is wrong, or does not fit the file: one message saying what and where."""


@dataclass(frozen=True)
class Mapping:
    """A checked mapping: `spec` is its normalised form (every optional key present), kept with each run."""

    name: str
    spec: dict[str, Any]

    def columns(self) -> list[str]:
        """Every source column the mapping reads, in a stable order."""
        spec, found = self.spec, []
        found += spec["source_id"]["columns"]
        found.append(spec["offense"]["column"])
        for flag in ("domestic", "child_victim", "status"):
            if spec[flag]:
                found.append(spec[flag]["column"])
        occurred = spec["occurred"]
        found += [c for c in (occurred.get("column"), occurred.get("date_column"), occurred.get("hour_column"))
                  if c]
        if spec["reported"]:
            found.append(spec["reported"]["column"])
        location = spec["location"]
        found += [location[key] for key in ("latitude", "longitude", "x", "y", "address") if location.get(key)]
        if spec["premise_type"]:
            found.append(spec["premise_type"])
        found += spec["area"]["columns"]
        return list(dict.fromkeys(found))

    def check_header(self, header: list[str]) -> None:
        """Raise MappingError naming every column the mapping needs and the file lacks."""
        missing = [column for column in self.columns() if column not in set(header)]
        if missing:
            shown = ", ".join(repr(c) for c in header[:40])
            raise MappingError(f"the file has no column {', '.join(repr(c) for c in missing)} "
                               f"(mapping {self.name!r}); its header is: {shown}")


def shipped_mappings() -> list[str]:
    """Names of the mappings shipped with SafeCommons (files in crimedata/mappings/)."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml"))


def mapping_load(name_or_path: str | Path) -> Mapping:
    """A shipped mapping by name, or a mapping file by path."""
    text = str(name_or_path)
    if text in shipped_mappings():
        path = SHIPPED_DIR / f"{text}.yaml"
    else:
        path = Path(text)
        if not path.is_file():
            raise MappingError(f"no shipped mapping named {text!r} and no file at {path} "
                               f"(shipped: {', '.join(shipped_mappings())})")
    return mapping_parse(path.read_text(encoding="utf-8"), name=path.stem)


def mapping_parse(text: str | bytes, *, name: str = "uploaded") -> Mapping:
    """Check a mapping written as YAML or JSON (YAML reads JSON too)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(f"the mapping is neither YAML nor JSON: {exc}") from None
    return mapping_from_dict(data, name=name)


def mapping_from_dict(data: Any, *, name: str = "uploaded") -> Mapping:
    if not isinstance(data, dict):
        raise MappingError("the mapping must be a document of keys (timezone, source_id, offense, occurred …)")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise MappingError(f"unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(_TOP_KEYS))}")
    missing = [key for key in _REQUIRED if not data.get(key)]
    if missing:
        raise MappingError(f"the mapping needs {', '.join(missing)}")
    name = str(data.get("name") or name)
    spec = {
        "name": name,
        "description": str(data.get("description") or ""),
        "format": _choice(data.get("format", "auto"), ("auto", "csv", "xlsx"), "format"),
        "encoding": str(data.get("encoding") or "utf-8-sig"),
        "delimiter": _delimiter(data.get("delimiter", ",")),
        "sheet": str(data.get("sheet") or ""),
        "timezone": _timezone(data["timezone"]),
        "source_id": _source_id(data["source_id"]),
        "offense": _offense(data["offense"]),
        "domestic": _flag(data.get("domestic"), "domestic"),
        "child_victim": _flag(data.get("child_victim"), "child_victim"),
        "occurred": _occurred(data["occurred"]),
        "reported": _reported(data.get("reported")),
        "location": _location(data.get("location") or {}),
        "premise_type": _column(data.get("premise_type"), "premise_type", required=False),
        "area": _area(data.get("area")),
        "status": _status(data.get("status")),
    }
    json.dumps(spec)  # kept with the run as JSON: fail here, not at save
    return Mapping(name=name, spec=spec)


# --- The parts


def _keys(value: Any, where: str, known: set[str]) -> dict:
    if not isinstance(value, dict):
        raise MappingError(f"{where} must be a set of keys ({', '.join(sorted(known))})")
    unknown = sorted(set(value) - known)
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return value


def _column(value: Any, where: str, *, required: bool = True) -> str:
    if value is None or value == "":
        if required:
            raise MappingError(f"{where} needs a column name")
        return ""
    if not isinstance(value, str | int):
        raise MappingError(f"{where} must be a column name, not {value!r}")
    return str(value)


def _choice(value: Any, choices: tuple[str, ...], where: str) -> str:
    if value not in choices:
        raise MappingError(f"{where} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _delimiter(value: Any) -> str:
    value = "\t" if value in ("tab", "\\t") else value
    if not isinstance(value, str) or len(value) != 1:
        raise MappingError(f"delimiter must be one character (or 'tab'), not {value!r}")
    return value


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError(f"timezone {value!r} is not an IANA time zone name (e.g. America/Chicago)") from None
    return str(value)


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str | int | float):
        return [str(value)]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise MappingError(f"{where} must be a value or a list of values")
    return [str(v) for v in value]


def _source_id(value: Any) -> dict:
    if isinstance(value, str):
        value = {"columns": [value]}
    value = _keys(value, "source_id", {"column", "columns", "separator"})
    columns = _strings(value.get("columns") or value.get("column") or [], "source_id.columns")
    if not columns:
        raise MappingError("source_id needs a column, or columns to join (e.g. incident number and offense code)")
    return {"columns": columns, "separator": str(value.get("separator", "-"))}


def _offense(value: Any) -> dict:
    if isinstance(value, str):
        value = {"column": value}
    value = _keys(value, "offense", {"column", "codes", "strip_leading_zeros", "case_sensitive"})
    codes = value.get("codes") or {}
    if not isinstance(codes, dict):
        raise MappingError("offense.codes must map source values to NIBRS codes")
    case_sensitive = bool(value.get("case_sensitive", False))
    strip_zeros = bool(value.get("strip_leading_zeros", False))
    table: dict[str, str] = {}
    # Source codes that themselves say the victim is a household member or a child (e.g. "domestic
    # battery"), for sources without a column saying so: [domestic, child_victim].
    flags: dict[str, list[bool]] = {}
    bad = []
    for source, entry in codes.items():
        key = offense_key(str(source), strip_zeros=strip_zeros, case_sensitive=case_sensitive)
        code = entry
        if isinstance(entry, dict):
            _keys(entry, f"offense.codes[{source!r}]", {"code", "domestic", "child_victim"})
            code = entry.get("code")
            if entry.get("domestic") or entry.get("child_victim"):
                flags[key] = [bool(entry.get("domestic")), bool(entry.get("child_victim"))]
        if code is None or code == "":
            table[key] = ""  # known to the mapping, and not an offense (a medical call, a towed car …)
            continue
        offense = offense_get(str(code))
        if offense is None:
            bad.append(f"{source}: {code}")
            continue
        table[key] = offense.code
    if bad:
        raise MappingError(f"offense.codes: not NIBRS offense codes: {'; '.join(bad[:10])}")
    return {"column": _column(value.get("column"), "offense.column"), "codes": table, "flags": flags,
            "strip_leading_zeros": strip_zeros, "case_sensitive": case_sensitive}


def offense_key(value: str, *, strip_zeros: bool, case_sensitive: bool) -> str:
    """How a source offense value is looked up in the mapping's table."""
    value = value.strip()
    if strip_zeros:
        value = value.lstrip("0") or "0"
    return value if case_sensitive else value.upper()


def _flag(value: Any, where: str) -> dict | None:
    if not value:
        return None
    if isinstance(value, str):
        value = {"column": value}
    value = _keys(value, where, {"column", "true_values"})
    true_values = _strings(value.get("true_values", list(DEFAULT_TRUE_VALUES)), f"{where}.true_values")
    return {"column": _column(value.get("column"), f"{where}.column"),
            "true_values": sorted({v.strip().lower() for v in true_values})}


def _formats(value: Any, where: str) -> list[str]:
    formats = _strings(value, where)
    sample = datetime(2026, 1, 2, 3, 4, 5)
    for fmt in formats:
        if "%" not in fmt:
            raise MappingError(f"{where}: {fmt!r} is not a date format (e.g. '%Y-%m-%d %H:%M:%S')")
        try:
            sample.strftime(fmt)
        except ValueError:
            raise MappingError(f"{where}: {fmt!r} is not a date format") from None
    return formats


def _occurred(value: Any) -> dict:
    value = _keys(value, "occurred", {"column", "format", "formats", "date_column", "date_format", "hour_column"})
    if value.get("column") and value.get("date_column"):
        raise MappingError("occurred: give either column (a date and time) or date_column (+ hour_column)")
    if value.get("column"):
        formats = _formats(value.get("formats") or value.get("format") or "%Y-%m-%d %H:%M:%S", "occurred.format")
        if value.get("hour_column"):
            raise MappingError("occurred: hour_column goes with date_column; column already holds the time")
        return {"column": _column(value["column"], "occurred.column"), "formats": formats, "hour_column": ""}
    if value.get("date_column"):
        formats = _formats(value.get("date_format") or "%Y-%m-%d", "occurred.date_format")
        return {"date_column": _column(value["date_column"], "occurred.date_column"), "formats": formats,
                "hour_column": _column(value.get("hour_column"), "occurred.hour_column", required=False)}
    raise MappingError("occurred needs column (a date and time) or date_column (+ hour_column)")


def _reported(value: Any) -> dict | None:
    if not value:
        return None
    if isinstance(value, str):
        value = {"column": value}
    value = _keys(value, "reported", {"column", "format", "formats"})
    formats = _formats(value.get("formats") or value.get("format") or "%Y-%m-%d %H:%M:%S", "reported.format")
    return {"column": _column(value.get("column"), "reported.column"), "formats": formats}


def _location(value: Any) -> dict:
    value = _keys(value, "location", {"latitude", "longitude", "x", "y", "crs", "address", "missing", "bounds"})
    location: dict[str, Any] = {key: "" for key in ("latitude", "longitude", "x", "y", "crs", "address")}
    location["address"] = _column(value.get("address"), "location.address", required=False)
    has_lat_lon = bool(value.get("latitude") or value.get("longitude"))
    has_x_y = bool(value.get("x") or value.get("y"))
    if has_lat_lon and has_x_y:
        raise MappingError("location: give latitude/longitude or x/y with a crs, not both")
    if has_lat_lon:
        location["latitude"] = _column(value.get("latitude"), "location.latitude")
        location["longitude"] = _column(value.get("longitude"), "location.longitude")
    if has_x_y:
        location["x"] = _column(value.get("x"), "location.x")
        location["y"] = _column(value.get("y"), "location.y")
        location["crs"] = _crs(value.get("crs"))
    location["missing"] = _strings(value.get("missing", list(DEFAULT_MISSING)), "location.missing")
    bounds = value.get("bounds")
    if bounds is not None:
        if (not isinstance(bounds, list) or len(bounds) != 4
                or not all(isinstance(b, int | float) for b in bounds)
                or not (-180 <= bounds[0] < bounds[2] <= 180 and -90 <= bounds[1] < bounds[3] <= 90)):
            raise MappingError("location.bounds must be [west, south, east, north] in degrees")
        bounds = [float(b) for b in bounds]
    location["bounds"] = bounds
    return location


def _crs(value: Any) -> str:
    if not value:
        raise MappingError("location: x/y columns need a crs (e.g. EPSG:3435)")
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    text = f"EPSG:{value}" if isinstance(value, int) else str(value)
    try:
        CRS.from_user_input(text)
    except CRSError:
        raise MappingError(f"location.crs {value!r} is not a coordinate reference system pyproj knows") from None
    return text


def _area(value: Any) -> dict:
    if not value:
        return {"columns": [], "separator": " / "}
    if isinstance(value, str | list):
        value = {"columns": value}
    value = _keys(value, "area", {"column", "columns", "separator"})
    return {"columns": _strings(value.get("columns") or value.get("column") or [], "area.columns"),
            "separator": str(value.get("separator", " / "))}


def _status(value: Any) -> dict | None:
    if not value:
        return None
    if isinstance(value, str):
        value = {"column": value}
    value = _keys(value, "status", {"column", "values"})
    values = value.get("values") or {}
    if not isinstance(values, dict):
        raise MappingError("status.values must map source values to the status shown")
    return {"column": _column(value.get("column"), "status.column"),
            "values": {str(k).strip().lower(): str(v) for k, v in values.items()}}
