"""Export files for the import tests, written the way the records systems write them."""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

BOSTON_HEADER = ["INCIDENT_NUMBER", "OFFENSE_CODE", "OFFENSE_CODE_GROUP", "OFFENSE_DESCRIPTION", "DISTRICT",
                 "REPORTING_AREA", "SHOOTING", "OCCURRED_ON_DATE", "YEAR", "MONTH", "DAY_OF_WEEK", "HOUR",
                 "UCR_PART", "STREET", "Lat", "Long"]
CHICAGO_HEADER = ["ID", "Case Number", "Date", "Block", "IUCR", "Primary Type", "Description",
                  "Location Description", "Arrest", "Domestic", "Beat", "District", "Ward", "Community Area",
                  "FBI Code", "X Coordinate", "Y Coordinate", "Year", "Updated On", "Latitude", "Longitude",
                  "Location"]
# Codes of the boston-incidents mapping, and one it does not know.
BOSTON_CODES = ["619", "613", "3115", "802", "1402", "724", "520", "301", "423", "2003", "1702", "99999"]


def boston_row(*, number: str, code: str, occurred: datetime | str, lat: float | str = 44.98,
               lon: float | str = -93.27, street: str = "MAIN ST", district: str = "B2", area: str = "123") -> dict:
    when = occurred if isinstance(occurred, str) else occurred.strftime("%Y-%m-%d %H:%M:%S")
    parsed = occurred if isinstance(occurred, datetime) else None
    return {
        "INCIDENT_NUMBER": number, "OFFENSE_CODE": code, "OFFENSE_CODE_GROUP": "", "OFFENSE_DESCRIPTION": "",
        "DISTRICT": district, "REPORTING_AREA": area, "SHOOTING": "", "OCCURRED_ON_DATE": when,
        "YEAR": parsed.year if parsed else "", "MONTH": parsed.month if parsed else "",
        "DAY_OF_WEEK": parsed.strftime("%A") if parsed else "", "HOUR": parsed.hour if parsed else "",
        "UCR_PART": "", "STREET": street, "Lat": lat, "Long": lon,
    }


def csv_write(path: Path, header: list[str], rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def boston_rows(count: int, *, seed: int = 7, start: datetime = datetime(2026, 3, 1)) -> list[dict]:
    """`count` plausible rows near (44.98, -93.27); every fifth row is a second offense of the incident before."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        occurred = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
        number = f"I26{(n - 1 if n % 5 == 4 else n):07d}"
        code = BOSTON_CODES[n % len(BOSTON_CODES)]
        street = f"{rng.randrange(1, 30) * 100 + rng.randrange(0, 99)} {rng.choice(['MAIN ST', 'ELM ST', 'OAK AVE'])}"
        rows.append(boston_row(number=number, code=code, occurred=occurred, street=street,
                               lat=round(44.95 + rng.random() * 0.06, 6), lon=round(-93.31 + rng.random() * 0.08, 6)))
    return rows
