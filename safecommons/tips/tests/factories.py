import factory
from django.utils import timezone

from safecommons.tips import credentials, relate
from safecommons.tips.models import Category, LocationKind, Tip

PASSPHRASE = "abcd-efgh-jkmn-pqrs-tuvw-xyza"


class TipFactory(factory.django.DjangoModelFactory):
    """A stored tip; pass `code=` to know its code. Its passphrase is PASSPHRASE."""

    class Meta:
        model = Tip

    class Params:
        code = factory.LazyFunction(credentials.code_new)

    agency = factory.SubFactory("safecommons.partners.tests.factories.OrganisationFactory", kind="agency")
    reference = factory.LazyFunction(credentials.reference_new)
    code_digest = factory.LazyAttribute(lambda o: credentials.code_digest(o.code))
    passphrase_hash = factory.LazyFunction(lambda: credentials.passphrase_hash(PASSPHRASE))
    category = Category.SUSPICIOUS
    description = "A white van with a ladder parks outside the pharmacy every night; men unload boxes."
    location_kind = LocationKind.MAP
    longitude = -93.295
    latitude = 44.905
    people_seen = ""
    vehicles_seen = ""
    event_at = factory.LazyFunction(timezone.now)
    status_changed_at = factory.LazyFunction(timezone.now)
    terms = factory.LazyAttribute(lambda o: relate.terms_of(o.description, o.people_seen, o.vehicles_seen))
