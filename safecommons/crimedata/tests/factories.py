"""Crime records in tests, with the derived fields an import would set (group, local calendar, public place)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import factory

from safecommons.crimedata import generalise, nibrs
from safecommons.crimedata.models import CrimeRecord

TZ = ZoneInfo("America/Chicago")


class CrimeRecordFactory(factory.django.DjangoModelFactory):
    """A record; pass agency=. Give `nibrs_code`, `occurred_at` (aware), `latitude`/`longitude`, `address`,
    `domestic`, `child_victim` and the rest follows as an import would make it."""

    class Meta:
        model = CrimeRecord

    source_id = factory.Sequence(lambda n: f"T-{n:07d}")
    nibrs_code = "23C"
    offense_source = factory.LazyAttribute(lambda o: o.nibrs_code or "UNKNOWN")
    occurred_at = factory.LazyFunction(lambda: datetime(2026, 5, 4, 14, 30, tzinfo=TZ))
    latitude = 44.9800
    longitude = -93.2700
    address = factory.Sequence(lambda n: f"{100 + n} Main St")
    domestic = False
    child_victim = False

    offense_group = factory.LazyAttribute(
        lambda o: nibrs.record_group(code=o.nibrs_code, domestic=o.domestic, child_victim=o.child_victim))
    crime_against = factory.LazyAttribute(
        lambda o: (nibrs.offense_get(o.nibrs_code).against if nibrs.offense_get(o.nibrs_code) else ""))
    occurred_date = factory.LazyAttribute(lambda o: o.occurred_at.astimezone(TZ).date())
    occurred_hour = factory.LazyAttribute(lambda o: o.occurred_at.astimezone(TZ).hour)
    occurred_weekday = factory.LazyAttribute(lambda o: o.occurred_at.astimezone(TZ).weekday())
    h3_cell = factory.LazyAttribute(
        lambda o: generalise.grid_cell(o.latitude, o.longitude) if o.latitude is not None else None)
    block_address = factory.LazyAttribute(
        lambda o: (generalise.hundred_block(o.address) or ("",))[0] if o.address else "")
    public_latitude = factory.LazyAttribute(
        lambda o: generalise.grid_centre(o.h3_cell)[0] if o.h3_cell is not None else None)
    public_longitude = factory.LazyAttribute(
        lambda o: generalise.grid_centre(o.h3_cell)[1] if o.h3_cell is not None else None)
    public_h3_cell = factory.LazyAttribute(lambda o: o.h3_cell)
