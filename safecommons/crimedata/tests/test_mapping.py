"""Import mappings: the shipped ones load, and a wrong one is one clear error naming what is wrong."""

from __future__ import annotations

import json

import pytest

from safecommons.crimedata.mapping import MappingError, mapping_load, mapping_parse, shipped_mappings

MINIMAL = {"timezone": "America/Chicago", "source_id": "id", "offense": {"column": "code", "codes": {"A1": "23H"}},
           "occurred": {"column": "when"}}


def with_changes(**changes) -> str:
    return json.dumps({**MINIMAL, **changes})


@pytest.mark.parametrize("name", ["boston-incidents", "chicago-crimes"])
def test_each_shipped_mapping_loads_and_names_its_columns(name):
    assert name in shipped_mappings()
    mapping = mapping_load(name)
    assert mapping.name == name
    assert mapping.columns()


def test_a_json_mapping_reads_like_a_yaml_one():
    mapping = mapping_parse(with_changes())
    assert mapping.spec["offense"]["codes"] == {"A1": "23H"}
    assert mapping.spec["source_id"] == {"columns": ["id"], "separator": "-"}


@pytest.mark.parametrize(("changes", "message"), [
    ({"timezone": "Mars/Olympus"}, "IANA"),
    ({"offense": {"column": "code", "codes": {"A1": "99Q"}}}, "not NIBRS offense codes: A1: 99Q"),
    ({"colour": "red"}, "unknown key(s) colour"),
    ({"occurred": {"column": "when", "hour_column": "h"}}, "hour_column goes with date_column"),
    ({"occurred": {"column": "when", "format": "yyyy-mm-dd"}}, "not a date format"),
    ({"location": {"x": "X", "y": "Y"}}, "need a crs"),
    ({"location": {"x": "X", "y": "Y", "crs": "EPSG:999999"}}, "not a coordinate reference system"),
    ({"location": {"latitude": "lat", "longitude": "lon", "x": "X", "y": "Y", "crs": 3435}}, "not both"),
    ({"location": {"latitude": "lat", "longitude": "lon", "bounds": [1, 2]}}, "bounds"),
    ({"source_id": {"columns": []}}, "source_id"),
])
def test_a_wrong_mapping_is_refused_with_a_message_saying_what_is_wrong(changes, message):
    with pytest.raises(MappingError, match=None) as caught:
        mapping_parse(with_changes(**changes))
    assert message in str(caught.value)


def test_a_required_part_missing_is_named():
    with pytest.raises(MappingError, match="needs occurred"):
        mapping_parse(json.dumps({k: v for k, v in MINIMAL.items() if k != "occurred"}))


def test_text_that_is_not_a_mapping_is_refused():
    with pytest.raises(MappingError):
        mapping_parse("just: [unclosed")
    with pytest.raises(MappingError):
        mapping_parse("- a list\n- of things\n")


def test_the_header_check_names_every_missing_column():
    mapping = mapping_parse(with_changes(location={"latitude": "lat", "longitude": "lon"}))
    with pytest.raises(MappingError) as caught:
        mapping.check_header(["id", "code", "when", "lat"])
    assert "'lon'" in str(caught.value) and "'lat'" not in str(caught.value).split("header")[0]


def test_codes_may_carry_the_domestic_and_child_flags_and_leading_zeros_may_be_ignored():
    mapping = mapping_parse(with_changes(offense={"column": "code", "strip_leading_zeros": True, "codes": {
        "0486": {"code": "13B", "domestic": True}, "3115": None}}))
    assert mapping.spec["offense"]["codes"] == {"486": "13B", "3115": ""}
    assert mapping.spec["offense"]["flags"] == {"486": [True, False]}


def test_an_unknown_mapping_name_lists_the_shipped_ones():
    with pytest.raises(MappingError, match="boston-incidents"):
        mapping_load("no-such-mapping")
