import datetime

import factory
from django.utils import timezone

from safecommons.partners.models import (
    Agreement,
    AgreementGrant,
    AgreementParty,
    Contact,
    Organisation,
    OrganisationKind,
)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.BUSINESS
    name = factory.Sequence(lambda n: f"Organisation {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Faker("name")
    phone = "555-0100"
    is_24_7 = True


class AgreementFactory(factory.django.DjangoModelFactory):
    """A signed agreement in force from a month ago to a month ahead."""

    class Meta:
        model = Agreement

    title = factory.Sequence(lambda n: f"Agreement {n}")
    purpose = "Share what helps solve and prevent crime."
    status = Agreement.Status.SIGNED
    effective_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))


def agreement_between(provider, recipient, *scopes, **fields) -> Agreement:
    """An agreement letting each scope flow provider → recipient."""
    agreement = AgreementFactory(**fields)
    AgreementParty.objects.create(agreement=agreement, organisation=provider, role="provides data")
    AgreementParty.objects.create(agreement=agreement, organisation=recipient, role="receives data")
    for scope in scopes:
        AgreementGrant.objects.create(agreement=agreement, scope=scope, provider=provider, recipient=recipient)
    return agreement
