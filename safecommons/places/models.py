from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safecommons.core.models import TimeStampedModel


class AreaKind(models.TextChoices):
    JURISDICTION = "jurisdiction", _("Jurisdiction")
    SECTOR = "sector", _("Sector")
    BEAT = "beat", _("Beat")
    NEIGHBORHOOD = "neighborhood", _("Neighborhood")


class Area(TimeStampedModel):
    """A polygon an agency is organised by. Geometry is GeoJSON (WGS84); its bounding box is kept for indexing."""

    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="areas")
    kind = models.CharField(max_length=20, choices=AreaKind.choices)
    code = models.CharField(max_length=60)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    description = models.TextField(blank=True)
    geometry = models.JSONField()
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    properties = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "kind", "code"], name="area_code_per_kind")]
        indexes = [models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class OfficerAssignment(TimeStampedModel):
    class Duty(models.TextChoices):
        NEIGHBORHOOD_OFFICER = "neighborhood_officer", _("Neighborhood officer")
        BEAT_OFFICER = "beat_officer", _("Beat officer")
        LIAISON = "liaison", _("Community liaison")
        SUPERVISOR = "supervisor", _("Sector supervisor")
        SCHOOL_RESOURCE_OFFICER = "school_resource_officer", _("School resource officer")

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="assignments")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    duty = models.CharField(max_length=30, choices=Duty.choices)
    # Work contact details the officer agreed to publish; never a personal number.
    public_phone = models.CharField(max_length=40, blank=True)
    public_email = models.EmailField(blank=True)
    shift = models.CharField(max_length=120, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["area", "duty"]

    def __str__(self) -> str:
        return f"{self.officer} — {self.get_duty_display()}, {self.area.name}"


class AddressPoint(models.Model):
    """One address of the local gazetteer, so "where am I" is answered without any outside geocoder."""

    number = models.CharField(max_length=20)
    street = models.CharField(max_length=200)
    street_key = models.CharField(max_length=200, db_index=True)
    postcode = models.CharField(max_length=20, blank=True)
    longitude = models.FloatField()
    latitude = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["street_key", "number"])]

    def __str__(self) -> str:
        return f"{self.number} {self.street}"


class AreaImport(TimeStampedModel):
    """A GeoJSON upload being turned into areas in the background; its status line is shown to the uploader."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE)
    kind = models.CharField(max_length=20, choices=AreaKind.choices)
    file = models.FileField(upload_to="area-imports/%Y/")
    original_name = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
