"""Normalising street addresses so "123 North Oak Street" and "123 N Oak St." meet."""

import re

ABBREVIATIONS = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "road": "rd", "boulevard": "blvd",
    "drive": "dr", "lane": "ln", "court": "ct", "place": "pl", "parkway": "pkwy", "highway": "hwy",
    "terrace": "ter", "circle": "cir", "square": "sq", "north": "n", "south": "s", "east": "e", "west": "w",
    "calle": "c", "avenida": "ave",
}
_NUMBER_AND_STREET = re.compile(r"^\s*(\d+[a-zA-Z]?)\s+(.+?)\s*$")
_LAT_LON = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


def street_key(street: str) -> str:
    words = re.sub(r"[^\w\s]", " ", street.lower()).split()
    return " ".join(ABBREVIATIONS.get(word, word) for word in words)


def split_address(text: str) -> tuple[str, str] | None:
    """("123", "oak st") from "123 Oak Street, Riverton 55555"; None when there is no house number."""
    first_part = text.split(",")[0]
    match = _NUMBER_AND_STREET.match(first_part)
    if not match:
        return None
    return match.group(1).upper(), street_key(match.group(2))


def parse_lat_lon(text: str) -> tuple[float, float] | None:
    """(lat, lon) when someone typed coordinates, e.g. "44.98, -93.27"."""
    match = _LAT_LON.match(text)
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return lat, lon
    return None
