"""Moving a record's place to where the public may see it: its hundred-block as text, and as a point the
centre of the grid cell it falls in.

Done once, at import, so that no public query ever touches an exact place. The grid is H3 at resolution 9
(cells of about 0.1 km², with sides of about 200 m). A cell's centre has nothing to do with where houses stand; a
block's "centre" has: on a block of evenly spaced houses the mean of its addresses is the middle house, so a
block only says which cell a record without coordinates falls in (the gazetteer locates the block).
"""

from __future__ import annotations

import re
from collections import defaultdict

import h3

from safecommons.places.addresses import street_key

GRID_RESOLUTION = 9
PUBLIC_DECIMALS = 5  # about a metre: rounding only tidies; the moving is done by the block or the grid

# "1234 N Main St", "1234-1240 Main St", "12XX Main St", "043XX S WOOD ST" (the block form of some exports)
_NUMBERED = re.compile(r"^\s*(\d+)(?:[-–]\d+)?([xX]{0,3})\s+(.+?)\s*$")
_BLOCK_OF = re.compile(r"^\s*(\d+)\s+block\s+(?:of\s+)?(.+?)\s*$", re.IGNORECASE)
# What follows the street in "1234 Main St Apt 4B", "… #12", "… Unit 3": the household, never published.
_UNIT = re.compile(
    r"(?:\s*#\s*[\w-]*|\s+(?:apt|apartment|unit|ste|suite|fl|floor|rm|room|bldg|building|lot|spc|space|trlr|"
    r"trailer|dept|no)\.?\s*#?\s*(?:[\w-]*\d[\w-]*|[a-z]))\s*$", re.IGNORECASE)


def hundred_block(address: str) -> tuple[str, str, int] | None:
    """("1200 block of MAIN ST", "main st", 1200) for "1234 Main St" and its block forms; None when the
    address has no house number (an intersection, a landmark), which then says nothing about a household."""
    text = address.split(",")[0]
    match = _BLOCK_OF.match(text)
    if match:
        number, street = int(match.group(1)), match.group(2)
    else:
        match = _NUMBERED.match(text)
        if not match:
            return None
        digits, masked, street = match.group(1), match.group(2), match.group(3)
        number = int(digits) * (10 ** len(masked))
    block = number // 100 * 100
    while (bare := _UNIT.sub("", street)) != street:  # "Bldg 2 Apt 5": one unit word at a time, from the end
        street = bare
    street = " ".join(street.split()).upper()
    if not street:
        return None
    return f"{block} block of {street}", street_key(street), block


def grid_cell(latitude: float, longitude: float) -> int:
    """The H3 resolution-9 cell of a point, as an integer."""
    return h3.str_to_int(h3.latlng_to_cell(latitude, longitude, GRID_RESOLUTION))


def grid_centre(cell: int) -> tuple[float, float]:
    """(lat, lon) of a cell's centre, rounded for publication."""
    lat, lon = h3.cell_to_latlng(h3.int_to_str(cell))
    return round(lat, PUBLIC_DECIMALS), round(lon, PUBLIC_DECIMALS)


class BlockCentres:
    """Where the gazetteer puts each hundred-block, as the grid cell centre of the mean of its addresses."""

    def __init__(self, centres: dict[tuple[str, int], tuple[float, float]]):
        self.centres = centres

    @classmethod
    def load(cls) -> BlockCentres:
        from safecommons.places.models import AddressPoint

        sums: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        rows = AddressPoint.objects.values_list("street_key", "number", "latitude", "longitude")
        for key, number, lat, lon in rows.iterator(chunk_size=5000):
            digits = re.match(r"\d+", number)
            if not digits:
                continue
            acc = sums[(key, int(digits.group()) // 100 * 100)]
            acc[0] += lat
            acc[1] += lon
            acc[2] += 1
        return cls({block: grid_centre(grid_cell(a / n, b / n)) for block, (a, b, n) in sums.items()})

    def centre(self, key: str, block: int) -> tuple[float, float] | None:
        return self.centres.get((key, block))


def public_place(*, address: str, latitude: float | None, longitude: float | None,
                 blocks: BlockCentres) -> tuple[str, float | None, float | None]:
    """(block address, public latitude, public longitude) of one record.

    The point is the centre of the grid cell of the exact point, or, for a record with an address only, of
    its block as the gazetteer places it; no point at all when neither is known. Never the exact point, and
    never a house's.
    """
    block = hundred_block(address) if address else None
    block_text = block[0] if block else ""
    if latitude is not None and longitude is not None:
        lat, lon = grid_centre(grid_cell(latitude, longitude))
        return block_text, lat, lon
    centre = blocks.centre(block[1], block[2]) if block else None
    if centre:
        return block_text, centre[0], centre[1]
    return block_text, None, None
