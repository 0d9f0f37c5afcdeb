"""The public crime map's API, downloads and page: never an exact place, never a point for a sensitive
offense, small area counts withheld, and the downloads are exactly what the map and the page show."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime

import pytest
from django.urls import reverse

from safecommons.crimedata.models import CrimeRecord, PublicationRule
from safecommons.crimedata.publication import SENSITIVE_GROUPS
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-05-01", "end": "2026-05-28"}
SENSITIVE_CODES = {"11A": "sex_offense", "11D": "sex_offense"}


def at(day: int, hour: int, minute: int = 10) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=TZ)


def build_world(agency):
    """Two neighborhoods of the agency (West End around (-93.295, 44.905), Riverside east of it) and records
    of every kind in May 2026, each at its own exact point (none at a block or grid centre)."""
    west = AreaFactory(agency=agency, name="West End", code="west-end", lon=-93.30, lat=44.90)
    river = AreaFactory(agency=agency, name="Riverside", code="riverside", lon=-93.28, lat=44.90)

    def record(nibrs_code, day, hour, area, n, **extra):
        base_lon = -93.30 if area is west else -93.28
        return CrimeRecordFactory(
            agency=agency, nibrs_code=nibrs_code, occurred_at=at(day, hour), neighborhood=area,
            # Seven decimals, the last never 0, as records systems give them.
            latitude=round(44.9013703 + n * 0.00073, 7), longitude=round(base_lon + 0.0012307 + n * 0.00051, 7),
            address=f"{1200 + n * 7} Main St", **extra)

    n = iter(range(1, 100))
    records = {
        # Points: larceny at all hours, burglary at night, an assault on a Sunday
        "larceny": [record("23C", day, hour, west, next(n)) for day, hour in
                    [(4, 9), (5, 14), (6, 23), (7, 1), (12, 14), (20, 18)]],
        "burglary": [record("220", 9, 2, river, next(n)), record("220", 10, 22, west, next(n))],
        "assault": [record("13B", 3, 20, river, next(n))],  # 2026-05-03 is a Sunday
        # Sensitive: only as area counts
        "sex_offense": [*(record("11A", 2 + i, 12, west, next(n)) for i in range(4)),
                        record("11D", 8, 3, river, next(n))],
        "domestic_violence": [record("13B", 11, 21, west, next(n), domestic=True) for _ in range(2)],
        "offense_against_child": [record("13A", 15, 16, river, next(n), child_victim=True) for _ in range(3)],
        # Never public
        "unclassified": [record("", 13, 13, west, next(n))],
    }
    return {"west": west, "river": river, "records": records}


@pytest.fixture
def world(agency):
    return build_world(agency)


def numbers_in(text: str) -> list[float]:
    return [float(m) for m in re.findall(r"-?\d+\.\d+", text)]


def assert_no_exact_coordinate(text: str) -> None:
    """No number in the text is any record's exact latitude or longitude as stored, and no two numbers side
    by side are a record's exact place even rounded to about a metre. (Single numbers are not compared at
    a metre: among hundreds of hexagon corners one may fall within a metre of some latitude by chance.)"""
    numbers = numbers_in(text)
    exact = list(CrimeRecord.objects.values_list("latitude", "longitude"))
    stored = {value for pair in exact for value in pair}
    assert not stored & set(numbers), f"exact coordinates in a public answer: {sorted(stored & set(numbers))[:4]}"
    near = {(round(lat, 5), round(lon, 5)) for lat, lon in exact}
    for a, b in zip(numbers, numbers[1:], strict=False):
        pair = (round(a, 5), round(b, 5))
        assert pair not in near and pair[::-1] not in near, f"an exact place in a public answer: {a}, {b}"


def public_answers(client, world, params=PERIOD) -> dict[str, str]:
    """Every public crime answer, as text, for the same filters."""
    return {
        "points": client.get("/api/crime/public/points", params).content.decode(),
        "hexes 7": client.get("/api/crime/public/hexes", {**params, "resolution": 7}).content.decode(),
        "hexes 9": client.get("/api/crime/public/hexes", {**params, "resolution": 9}).content.decode(),
        "areas": client.get("/api/crime/public/areas", params).content.decode(),
        "csv": b"".join(client.get("/api/crime/public/download.csv", params).streaming_content).decode(),
        "geojson": b"".join(client.get("/api/crime/public/download.geojson", params).streaming_content).decode(),
        "page": client.get(reverse("crimedata:map"), params).content.decode(),
    }


def test_no_public_answer_holds_an_exact_coordinate(client, world):
    answers = public_answers(client, world)
    assert len(json.loads(answers["points"])["features"]) == 9  # the test looks at real answers
    for text in answers.values():
        assert_no_exact_coordinate(text)


def test_points_are_at_the_grid_or_block_centre_and_carry_no_source_detail(client, world):
    collection = client.get("/api/crime/public/points", PERIOD).json()
    public = {(r.public_longitude, r.public_latitude) for r in CrimeRecord.objects.all()}
    for feature in collection["features"]:
        assert tuple(feature["geometry"]["coordinates"]) in public
        assert set(feature["properties"]) == {"kind", "offense_group", "offense", "date", "hour", "weekday",
                                              "block", "neighborhood"}
        assert re.fullmatch(r"\d+ block of MAIN ST", feature["properties"]["block"])
    text = json.dumps(collection)
    for record in CrimeRecord.objects.all():
        assert record.source_id not in text and record.address not in text


def test_a_sensitive_offense_is_never_a_point_even_if_a_rule_was_forced_to_point_in_the_database(client, world, agency):
    for group in SENSITIVE_GROUPS:  # written past the service and the form, as a careless migration might
        PublicationRule.objects.update_or_create(agency=agency, offense_group=group,
                                                 defaults={"display": "point", "min_count": 1})
    answers = public_answers(client, world)
    groups = {f["properties"]["offense_group"] for f in json.loads(answers["points"])["features"]}
    assert groups == {"larceny", "burglary", "assault"}
    geo = json.loads(answers["geojson"])["features"]
    assert {f["properties"]["offense_group"] for f in geo if f["properties"]["kind"] == "point"} == groups
    rows = list(csv.DictReader(io.StringIO(answers["csv"])))
    assert {r["offense_group"] for r in rows if r["kind"] == "point"} == groups
    sensitive_hexes = client.get("/api/crime/public/hexes", {**PERIOD, "resolution": 9, "group": "sex_offense"})
    assert sensitive_hexes.json()["features"] == []
    assert client.get("/api/crime/public/points", {**PERIOD, "group": "sex_offense"}).json()["features"] == []


def test_unclassified_and_hidden_groups_appear_nowhere(client, world, agency):
    PublicationRule.objects.create(agency=agency, offense_group="burglary", display="hidden")
    answers = public_answers(client, world)
    for name, text in answers.items():
        assert "unclassified" not in text.lower(), name
        assert "burglary" not in text.lower(), name
    asked = client.get("/api/crime/public/points", {**PERIOD, "group": "unclassified"}).json()
    assert asked["features"] == []


def counts_of(areas_json) -> dict[tuple[str, str], str]:
    """(neighborhood, group) → text, of an answer covering one month."""
    assert len(areas_json["months"]) == 1
    return {(area["name"], c["offense_group"]): c["text"] for area in areas_json["areas"] for c in area["counts"]}


def test_small_area_counts_are_withheld_and_no_total_gives_them_away(client, world):
    areas = client.get("/api/crime/public/areas", PERIOD).json()
    assert areas["months"] == ["2026-05"]
    assert counts_of(areas) == {
        ("Riverside", "sex_offense"): "fewer than 3", ("West End", "sex_offense"): "4",
        ("Riverside", "domestic_violence"): "fewer than 3", ("West End", "domestic_violence"): "fewer than 3",
        ("Riverside", "offense_against_child"): "3", ("West End", "offense_against_child"): "fewer than 3",
        ("Riverside", "family_offense"): "fewer than 3", ("West End", "family_offense"): "fewer than 3",
        ("Riverside", "kidnapping"): "fewer than 3", ("West End", "kidnapping"): "fewer than 3",
    }
    withheld = [c for area in areas["areas"] for c in area["counts"] if c["withheld"]]
    assert withheld and all(c["count"] is None for c in withheld)
    # Every month's total over all neighborhoods would give a withheld count away (one withheld beside it,
    # or a total below 3): all withheld.
    assert {(t["offense_group"], t["month"]): t["text"] for t in areas["totals"]} == {
        (group, "2026-05"): "withheld" for group in
        ("sex_offense", "domestic_violence", "offense_against_child", "family_offense", "kidnapping")}
    page = client.get(reverse("crimedata:map"), PERIOD).content.decode()
    tables = page.split('id="crime-areas"')[1].split('<h2 id="crime-list">')[0]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", tables)
    assert cells.count("fewer than 3") == 8 and cells.count("withheld") == 5
    for total in ("5", "2", "1"):  # 4 + 1 sex offenses, 2 domestic, 1 in Riverside
        assert f">{total}<" not in tables


def test_an_agency_sets_a_higher_smallest_count(client, world, agency):
    PublicationRule.objects.create(agency=agency, offense_group="sex_offense", display="area", min_count=5)
    counts = counts_of(client.get("/api/crime/public/areas", PERIOD).json())
    assert counts[("West End", "sex_offense")] == "fewer than 5"


def test_the_downloads_are_exactly_what_the_map_and_the_page_show(client, world):
    params = {**PERIOD, "hour_from": "20", "hour_to": "3"}
    points = client.get("/api/crime/public/points", params).json()["features"]
    areas = client.get("/api/crime/public/areas", params).json()
    rows = list(csv.DictReader(io.StringIO(
        b"".join(client.get("/api/crime/public/download.csv", params).streaming_content).decode())))
    geo = json.loads(b"".join(client.get("/api/crime/public/download.geojson", params).streaming_content))
    assert points, "the filters leave something to compare"

    def key(properties, coordinates):
        hour = "" if properties["hour"] in (None, "") else str(properties["hour"])
        return (properties["offense_group"], properties["date"], hour, properties["block"],
                properties["neighborhood"], tuple(map(float, coordinates)))

    from_api = [key(f["properties"], f["geometry"]["coordinates"]) for f in points]
    from_csv = [key(r, (r["longitude"], r["latitude"])) for r in rows if r["kind"] == "point"]
    from_geojson = [key(f["properties"], f["geometry"]["coordinates"]) for f in geo["features"]
                    if f["properties"]["kind"] == "point"]
    assert from_api == from_csv == from_geojson

    area_api = {(a["name"], c["offense_group"], c["month"]): c["text"] for a in areas["areas"] for c in a["counts"]}
    area_api.update({("", t["offense_group"], t["month"]): t["text"] for t in areas["totals"]})
    area_csv = {(r["neighborhood"], r["offense_group"], r["date"]): r["count"] for r in rows
                if r["kind"] in ("area_count", "area_total")}
    area_geojson = {(f["properties"]["neighborhood"], f["properties"]["offense_group"], f["properties"]["month"]):
                    f["properties"]["text"] for f in geo["features"]
                    if f["properties"]["kind"] in ("area_count", "area_total")}
    assert len(area_api) == 15 and area_api == area_csv == area_geojson

    page = client.get(reverse("crimedata:map"), params).content.decode()
    table = page.split('id="crime-rows"')[1].split("</table>")[0]
    blocks = re.findall(r"<td>(\d+ block of MAIN ST)</td>", table)
    assert blocks == [f["properties"]["block"] for f in points]
    query = "start=2026-05-01&amp;end=2026-05-28&amp;hour_from=20&amp;hour_to=3"
    assert f'href="/api/crime/public/download.csv?{query}"' in page


def test_hexes_count_the_point_groups_at_the_resolution_of_the_zoom(client, world):
    coarse = client.get("/api/crime/public/hexes", {**PERIOD, "zoom": 10}).json()
    assert coarse["resolution"] == 7
    assert sum(f["properties"]["count"] for f in coarse["features"]) == 9
    fine = client.get("/api/crime/public/hexes", {**PERIOD, "resolution": 9}).json()
    assert sum(f["properties"]["count"] for f in fine["features"]) == 9
    ring = fine["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7
    assert client.get("/api/crime/public/hexes", {**PERIOD, "resolution": 12}).status_code == 400


def test_every_public_map_answer_and_download_is_revalidated_so_the_map_never_lags_the_page(client, world):
    for name in ["points", "hexes", "areas", "download.csv", "download.geojson"]:
        response = client.get(f"/api/crime/public/{name}", PERIOD)
        assert response.status_code == 200, name
        assert response["Cache-Control"] == "no-cache", name
        if response.streaming:
            b"".join(response.streaming_content)


def test_the_page_explains_the_generalisation_and_offers_the_downloads(client, world):
    page = client.get(reverse("crimedata:map"), PERIOD)
    assert page.status_code == 200
    text = page.content.decode()
    assert "hundred-block" in text and "never shown as points" in text
    assert 'scope="col"' in text and "<caption>" in text
    assert 'id="download-csv"' in text and 'id="download-geojson"' in text
    assert "<script>" not in text  # the policy allows no inline script


def test_nothing_to_show_when_no_agency_exists(client, db):
    page = client.get(reverse("crimedata:map"))
    assert page.status_code == 200 and b"No agency publishes crime data here yet." in page.content
    assert client.get("/api/crime/public/points").status_code == 400
