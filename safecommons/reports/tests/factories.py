import io

import factory
from PIL import Image

from safecommons.reports.models import ServiceAttribute, ServiceRequest, ServiceRequestUpdate, ServiceType


class ServiceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceType

    agency = factory.SubFactory("safecommons.partners.tests.factories.OrganisationFactory", kind="agency")
    code = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "Something to fix."
    group = "Streets"
    keywords = "street, fix"


class ServiceAttributeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceAttribute

    service = factory.SubFactory(ServiceTypeFactory)
    code = factory.Sequence(lambda n: f"question_{n}")
    description = "A question"
    datatype = ServiceAttribute.Datatype.STRING
    order = factory.Sequence(lambda n: n + 1)


class ServiceRequestFactory(factory.django.DjangoModelFactory):
    """A report by a resident at (-93.295, 44.905), with its "received" step in the history."""

    class Meta:
        model = ServiceRequest
        skip_postgeneration_save = True

    service = factory.SubFactory(ServiceTypeFactory)
    agency = factory.SelfAttribute("service.agency")
    reporter = factory.SubFactory("safecommons.accounts.tests.factories.UserFactory")
    description = "The street light is out."
    address = "120 Oak St"
    latitude = 44.905
    longitude = -93.295

    @factory.post_generation
    def received(obj, create, extracted, **kwargs):
        if create:
            ServiceRequestUpdate.objects.create(request=obj, status=obj.status, created_at=obj.requested_at)


def jpeg_with_gps() -> bytes:
    """A small JPEG whose EXIF names a camera and a GPS position, as phone photos do."""
    image = Image.new("RGB", (40, 30), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "SnoopCam"  # Make
    exif[0x0110] = "Model 7"  # Model
    exif[0x8825] = {1: "N", 2: (44.0, 54.0, 18.0), 3: "W", 4: (93.0, 17.0, 42.0)}  # GPSInfo
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    return output.getvalue()
