"""Riverton's crime records: a synthetic export in the shape of the shipped `boston-incidents` mapping
(read in Riverton's own time zone), imported through the real importer as the demo analyst would.

About 4,000 records over the fourteen months up to yesterday, so the 7-day, 28-day, year-to-date and
same-period-last-year comparisons all have data. Offenses keep to their usual hours and days (thefts by day,
assaults late on weekend nights, burglaries in working hours), three places draw more than their share (the
Northgate shopping center, Market Square at night, the Foundry District's lots), and a few records are
sensitive (family offenses, sexual offenses), which the public sees only as area counts.

Everything is invented: fixed seed, addresses from the demo gazetteer, no real place or person.
"""

from __future__ import annotations

import csv
import random
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from django.utils import timezone

from safecommons.crimedata.mapping import SHIPPED_DIR, Mapping, mapping_from_dict
from safecommons.crimedata.models import ImportRun

SEED = 20260601
RECORDS = 4_000
DAYS = 425
TIMEZONE = "America/Chicago"
HEADER = ["INCIDENT_NUMBER", "OFFENSE_CODE", "OFFENSE_CODE_GROUP", "OFFENSE_DESCRIPTION", "DISTRICT",
          "REPORTING_AREA", "SHOOTING", "OCCURRED_ON_DATE", "YEAR", "MONTH", "DAY_OF_WEEK", "HOUR", "UCR_PART",
          "STREET", "Lat", "Long",
          # Riverton's own columns beyond the Boston shape: the premise, and the flags its records system keeps.
          "PREMISE", "DOMESTIC", "VICTIM_MINOR"]
WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

DAYTIME = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 10, 11, 11, 11, 11, 10, 9, 8, 6, 4, 3, 2, 1]
NIGHTLIFE = [9, 8, 6, 4, 2, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 5, 6, 7, 8, 9, 10, 10]
OVERNIGHT = [8, 8, 8, 7, 6, 5, 4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 4, 5, 6, 7, 8, 8]
WORKING_HOURS = [1, 1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 9, 9, 8, 7, 5, 3, 2, 2, 1, 1, 1]
EVENING = [3, 2, 2, 1, 1, 1, 1, 2, 3, 3, 4, 4, 5, 5, 5, 6, 7, 8, 9, 9, 8, 7, 5, 4]
EVEN_WEEK = [1, 1, 1, 1, 1, 1, 1]
WEEKEND = [2, 2, 2, 3, 5, 6, 4]
WEEKDAYS_ONLY = [5, 5, 5, 5, 5, 2, 1]

# (Boston-style code, share, hours, weekdays, hotspot or None)
OFFENSES = [
    ("619", 16, DAYTIME, EVEN_WEEK, None),  # larceny, all others
    ("613", 10, DAYTIME, [3, 3, 3, 3, 4, 6, 5], "northgate"),  # shoplifting
    ("614", 10, OVERNIGHT, EVEN_WEEK, "foundry"),  # theft from a vehicle
    ("617", 5, WORKING_HOURS, WEEKDAYS_ONLY, None),  # theft from a building
    ("802", 12, NIGHTLIFE, WEEKEND, "market"),  # simple assault
    ("423", 4, NIGHTLIFE, WEEKEND, "market"),  # aggravated assault
    ("301", 3, EVENING, EVEN_WEEK, "market"),  # street robbery
    ("520", 7, WORKING_HOURS, WEEKDAYS_ONLY, None),  # residential burglary
    ("724", 6, OVERNIGHT, EVEN_WEEK, "foundry"),  # auto theft
    ("1402", 9, OVERNIGHT, WEEKEND, None),  # vandalism
    ("1102", 4, WORKING_HOURS, WEEKDAYS_ONLY, None),  # fraud
    ("1849", 3, EVENING, EVEN_WEEK, None),  # drugs
    ("2647", 3, EVENING, EVEN_WEEK, None),  # threats
    ("2003", 2, EVENING, WEEKEND, None),  # family offense: sensitive
    ("1702", 1, EVENING, EVEN_WEEK, None),  # sexual offense: sensitive
    ("3115", 4, DAYTIME, EVEN_WEEK, None),  # investigate person: not an offense
    ("3831", 1, DAYTIME, EVEN_WEEK, None),  # leaving the scene
]
HOTSPOT_SHARE = 0.45  # of an offense with a hotspot, this share happens there
# Where each kind of offense happens, weighted: what "counts by premise type" shows.
PREMISES = {
    "613": [("Department store", 5), ("Convenience store", 3), ("Grocery / supermarket", 3)],
    "614": [("Parking lot / garage", 5), ("Street / sidewalk", 4), ("Residence / driveway", 2)],
    "724": [("Parking lot / garage", 4), ("Street / sidewalk", 5), ("Residence / driveway", 2)],
    "617": [("Office building", 4), ("School", 1), ("Department store", 1)],
    "520": [("Residence", 8), ("Residence / garage", 3)],
    "802": [("Bar / nightclub", 4), ("Street / sidewalk", 4), ("Residence", 2)],
    "423": [("Bar / nightclub", 3), ("Street / sidewalk", 4), ("Residence", 2)],
    "301": [("Street / sidewalk", 6), ("Parking lot / garage", 2), ("Convenience store", 2)],
    "1402": [("Street / sidewalk", 4), ("Residence", 3), ("School", 1), ("Park", 2)],
    "1102": [("Residence", 4), ("Bank", 3), ("Department store", 2)],
    "1849": [("Street / sidewalk", 5), ("Park", 3), ("Residence", 1)],
}
OTHER_PREMISES = [("Residence", 4), ("Street / sidewalk", 4), ("Park", 1), ("Office building", 1)]
DOMESTIC_SHARE = {"802": 0.3, "423": 0.25, "2647": 0.3}  # assaults and threats between family members
CHILD_VICTIM_SHARE = {"802": 0.04, "1702": 0.3}


def _hotspots() -> dict[str, list[tuple[int, str]]]:
    """Hotspot → the gazetteer addresses (number, street) it spreads over."""
    return {
        "northgate": [(n, "Walnut St") for n in range(700, 800, 20)] + [(n, "7th St") for n in range(700, 760, 20)],
        "market": [(n, "Pine St") for n in range(500, 700, 20)] + [(n, "6th St") for n in range(400, 500, 20)],
        "foundry": [(n, "Cedar St") for n in range(100, 300, 20)] + [(n, "2nd St") for n in range(300, 400, 20)],
    }


def demo_crime_rows(*, today: date, seed: int = SEED) -> list[dict]:
    """The synthetic export's rows, the same for the same day and seed."""
    from safecommons.demo.city import EAST_WEST_STREETS, NORTH_SOUTH_STREETS, address_position, house_numbers

    rng = random.Random(seed)
    addresses = [(n, street) for street in EAST_WEST_STREETS + NORTH_SOUTH_STREETS for n in house_numbers(street)]
    hotspots = _hotspots()
    weights = [share for _code, share, *_rest in OFFENSES]
    rows = []
    for n in range(RECORDS):
        code, _share, hours, weekdays, hotspot = rng.choices(OFFENSES, weights=weights)[0]
        while True:  # a day of the right weekday, weighted
            day = today - timedelta(days=rng.randrange(1, DAYS + 1))
            if rng.random() * max(weekdays) <= weekdays[day.weekday()]:
                break
        hour = rng.choices(range(24), weights=hours)[0]
        number, street = rng.choice(hotspots[hotspot]) if hotspot and rng.random() < HOTSPOT_SHARE \
            else rng.choice(addresses)
        number += rng.randrange(0, 19)  # an address of the block, not always the gazetteer's own
        lon, lat = address_position(number, street)
        lon += rng.uniform(-0.0002, 0.0002)
        lat += rng.uniform(-0.0002, 0.0002)
        when = datetime(day.year, day.month, day.day, hour, rng.randrange(60))
        rows.append({
            "INCIDENT_NUMBER": f"RVT{day:%y}{n:06d}", "OFFENSE_CODE": code, "OFFENSE_CODE_GROUP": "",
            "OFFENSE_DESCRIPTION": "", "DISTRICT": "S" if lat < 44.98 else "N", "REPORTING_AREA": str(n % 40 + 100),
            "SHOOTING": "", "OCCURRED_ON_DATE": f"{when:%Y-%m-%d %H:%M:%S}", "YEAR": day.year, "MONTH": day.month,
            "DAY_OF_WEEK": WEEKDAY_NAMES[day.weekday()], "HOUR": hour, "UCR_PART": "",
            "STREET": f"{number} {street}", "Lat": f"{lat:.6f}", "Long": f"{lon:.6f}",
            "PREMISE": _weighted(rng, PREMISES.get(code, OTHER_PREMISES)),
            "DOMESTIC": "Y" if rng.random() < DOMESTIC_SHARE.get(code, 0.0) else "N",
            "VICTIM_MINOR": "Y" if rng.random() < CHILD_VICTIM_SHARE.get(code, 0.0) else "N",
        })
    return rows


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]


def demo_crime_mapping() -> Mapping:
    """The shipped Boston-style mapping, read in Riverton's time zone, with Riverton's extra columns."""
    spec = yaml.safe_load((SHIPPED_DIR / "boston-incidents.yaml").read_text(encoding="utf-8"))
    spec.update(name="riverton-records-export", timezone=TIMEZONE,
                description="Riverton's records system export (Boston-style columns and its own premise, "
                            "domestic and minor-victim columns; Central time)",
                premise_type="PREMISE", domestic={"column": "DOMESTIC", "true_values": ["Y"]},
                child_victim={"column": "VICTIM_MINOR", "true_values": ["Y"]})
    return mapping_from_dict(spec)


def demo_crime_import(*, agency, actor) -> ImportRun:
    """Write the export to a temporary file and import it as `actor` (the demo analyst)."""
    from safecommons.crimedata.services.imports import crime_import_file

    with tempfile.TemporaryDirectory(prefix="riverton-crime-") as folder:
        path = Path(folder) / "riverton-incidents.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=HEADER)
            writer.writeheader()
            writer.writerows(demo_crime_rows(today=timezone.localdate()))
        return crime_import_file(actor=actor, agency=agency, path=path, mapping=demo_crime_mapping())


def demo_crime_load(city):
    """Add crime records to a freshly loaded Riverton (does nothing if the city was already there)."""
    from safecommons.accounts.models import User
    from safecommons.core.permissions import actor_for_user
    from safecommons.demo.city import AGENCY_NAME, EMAIL_DOMAIN
    from safecommons.partners.models import Organisation

    if not city.loaded:
        return city
    from safecommons.core.audit.models import AuditEntry

    agency = Organisation.objects.get(name=AGENCY_NAME)
    analyst = actor_for_user(User.objects.get(email=f"analyst@{EMAIL_DOMAIN}"))
    audit_before = AuditEntry.objects.count()
    run = demo_crime_import(agency=agency, actor=analyst)
    audit_entries = city.counts.pop("audit entries", 0)  # kept last in the printed summary
    city.counts["crime records"] = run.inserted
    city.counts["audit entries"] = audit_entries + AuditEntry.objects.count() - audit_before
    return city
