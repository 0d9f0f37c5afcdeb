"""The operator and police workflow in tests: client sites, a second security company, incidents handed over
through the service, and pictures to attach."""

from __future__ import annotations

import io
from datetime import timedelta

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.incidents.models import Incident, IncidentType, Verification
from safecommons.incidents.services import operator as operator_services
from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.partners.models import OrganisationKind, PropertyType, Site
from safecommons.partners.tests.factories import OrganisationFactory, agreement_between


class SiteFactory(factory.django.DjangoModelFactory):
    """A site; pass organisation=."""

    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Site {n}")
    property_type = PropertyType.RETAIL_CENTER
    address = factory.Sequence(lambda n: f"{300 + n} Elm St")
    latitude = 44.9801
    longitude = -93.2702


def actor(user):
    """The actor for a user, read fresh (memberships may have changed since the last look)."""
    if hasattr(user, "_safecommons_actor"):
        del user._safecommons_actor
    return actor_for_user(user)


def other_company_with_operator(agency):
    """A second security company, also allowed to hand incidents to `agency`, and one of its operators."""
    company = OrganisationFactory(kind=OrganisationKind.SECURITY_COMPANY, name="Nightwatch Security")
    handoff_agreement(company, agency)
    operator = MembershipFactory(organisation=company, role=Role.SECURITY_OPERATOR).user
    return company, operator


def other_agency_with_officer():
    agency = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Otherton Police")
    officer = MembershipFactory(organisation=agency, role=Role.OFFICER).user
    return agency, officer


def client_site(company, client, **fields) -> Site:
    """A site of `client`, which has an agreement in force with the security company."""
    agreement_between(client, company, title="Monitoring contract")
    return SiteFactory(organisation=client, **fields)


def expire(agreement) -> None:
    """The agreement ended yesterday."""
    agreement.effective_from = timezone.localdate() - timedelta(days=60)
    agreement.expires_on = timezone.localdate() - timedelta(days=1)
    agreement.save(update_fields=["effective_from", "expires_on"])


def hand_over(user, agency, **fields) -> Incident:
    """An incident handed over by `user` (an operator) through the service."""
    values = {"type": IncidentType.BREAK_IN, "verification": Verification.VIDEO, "address": "12 Main St",
              "latitude": 44.98, "longitude": -93.27, "summary": "Two people forcing the back door"}
    return operator_services.incident_open(actor=actor(user), agency=agency, **{**values, **fields})


def picture(*, fmt: str = "JPEG", size: tuple[int, int] = (40, 30), with_gps: bool = True) -> bytes:
    """A small picture; a JPEG carries EXIF with a GPS position and a camera serial number unless told not to."""
    image = Image.new("RGB", size, (200, 30, 30))
    output = io.BytesIO()
    if fmt == "JPEG" and with_gps:
        exif = Image.Exif()
        exif[0x010F] = "SnoopCam"  # make
        exif[0xA431] = "SERIAL-0042"  # body serial number
        exif.get_ifd(0x8825)[2] = (44.0, 58.0, 48.0)  # GPS latitude
        image.save(output, format=fmt, exif=exif)
    else:
        image.save(output, format=fmt)
    return output.getvalue()


def picture_upload(name: str = "door.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, picture(**kwargs), content_type="image/jpeg")
