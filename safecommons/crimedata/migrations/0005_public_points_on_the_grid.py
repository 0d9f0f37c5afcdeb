"""Records generalised before the rule changed keep a block's mean as their public point, which on a block of
evenly spaced houses is the middle house. Move every public point to the centre of its grid cell: the exact
point's cell where there is one, else the cell the point was already in (an address-only record's block)."""

import h3
from django.db import migrations

PUBLIC_DECIMALS = 5


def centre(cell: int) -> tuple[float, float]:
    lat, lon = h3.cell_to_latlng(h3.int_to_str(cell))
    return round(lat, PUBLIC_DECIMALS), round(lon, PUBLIC_DECIMALS)


def points_to_grid(apps, schema_editor):
    records = apps.get_model("crimedata", "CrimeRecord").objects
    located = records.exclude(h3_cell=None).exclude(public_latitude=None)
    for cell in located.values_list("h3_cell", flat=True).distinct().iterator():
        lat, lon = centre(cell)
        located.filter(h3_cell=cell).update(public_latitude=lat, public_longitude=lon, public_h3_cell=cell)
    by_block = records.filter(h3_cell=None).exclude(public_h3_cell=None)
    for cell in by_block.values_list("public_h3_cell", flat=True).distinct().iterator():
        lat, lon = centre(cell)
        by_block.filter(public_h3_cell=cell).update(public_latitude=lat, public_longitude=lon)


class Migration(migrations.Migration):
    dependencies = [("crimedata", "0004_publication_point_label")]

    operations = [migrations.RunPython(points_to_grid, migrations.RunPython.noop)]
