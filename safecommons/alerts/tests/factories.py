"""Factories for the alerts area: subscriptions with their channels, alerts with their words."""

import factory
import h3
from django.utils import timezone

from safecommons.alerts.models import Alert, AlertInfo, Channel, Subscription, SubscriptionChannel, Topic, topic_mask


def cell_at(lat: float, lon: float) -> int:
    """The H3 resolution-9 cell a subscription keeps for an address at (lat, lon)."""
    return h3.str_to_int(h3.latlng_to_cell(lat, lon, 9))


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """An active subscription to crime alerts within `radius_m` of (lat, lon), with no channel yet."""

    class Meta:
        model = Subscription

    class Params:
        lat = 44.905
        lon = -93.295

    agency = factory.SubFactory("safecommons.partners.tests.factories.OrganisationFactory", kind="agency")
    status = Subscription.Status.ACTIVE
    language = "en"
    topics = factory.LazyFunction(lambda: [Topic.CRIME.value])
    topic_mask = factory.LazyAttribute(lambda o: topic_mask(o.topics))
    cell = factory.LazyAttribute(lambda o: cell_at(o.lat, o.lon))
    radius_m = 500
    confirmed_at = factory.LazyFunction(timezone.now)


class ChannelFactory(factory.django.DjangoModelFactory):
    """A confirmed email channel."""

    class Meta:
        model = SubscriptionChannel

    subscription = factory.SubFactory(SubscriptionFactory)
    channel = Channel.EMAIL
    address = factory.Sequence(lambda n: f"subscriber{n}@mail.example")
    confirmed_at = factory.LazyFunction(timezone.now)


class AlertFactory(factory.django.DjangoModelFactory):
    """A draft crime alert over a 1 km circle at (lat, lon), with English words."""

    class Meta:
        model = Alert
        skip_postgeneration_save = True

    class Params:
        lat = 44.905
        lon = -93.295
        radius_m = 1000

    agency = factory.SubFactory("safecommons.partners.tests.factories.OrganisationFactory", kind="agency")
    identifier = factory.Sequence(lambda n: f"test-alert-{n}")
    event = "Burglary series"
    area_description = "Around Oak Street"
    area_circles = factory.LazyAttribute(lambda o: [{"lat": o.lat, "lon": o.lon, "radius_m": o.radius_m}])
    info = factory.RelatedFactory("safecommons.alerts.tests.factories.AlertInfoFactory", factory_related_name="alert")


class AlertInfoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlertInfo

    alert = factory.SubFactory(AlertFactory, info=None)
    language = "en"
    headline = "Garage break-ins near Oak Street"
    description = "Three garages were broken into overnight."
    instruction = "Lock garage doors and report anything unusual."
