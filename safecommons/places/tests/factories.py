import factory

from safecommons.places.models import Area, AreaKind


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                 [lon, lat + size], [lon, lat]]]}


class AreaFactory(factory.django.DjangoModelFactory):
    """A square area whose south-west corner is (lon, lat)."""

    class Meta:
        model = Area

    class Params:
        lon = -93.3
        lat = 44.9
        size = 0.01

    agency = factory.SubFactory("safecommons.partners.tests.factories.OrganisationFactory", kind="agency")
    kind = AreaKind.NEIGHBORHOOD
    code = factory.Sequence(lambda n: f"area-{n}")
    name = factory.Sequence(lambda n: f"Area {n}")
    geometry = factory.LazyAttribute(lambda o: square(o.lon, o.lat, o.size))
    min_lon = factory.SelfAttribute("lon")
    min_lat = factory.SelfAttribute("lat")
    max_lon = factory.LazyAttribute(lambda o: o.lon + o.size)
    max_lat = factory.LazyAttribute(lambda o: o.lat + o.size)
