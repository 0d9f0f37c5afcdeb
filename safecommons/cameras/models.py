"""The camera registry: cameras that residents and organisations own, described well enough for a canvass
to find the ones that may have seen an incident, and no better than their owners choose."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safecommons.core.models import TimeStampedModel


class Camera(TimeStampedModel):
    """One camera. Owned by a person or an organisation; a security company may manage it for its client."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")  # left out of canvasses until the owner resumes it
        WITHDRAWN = "withdrawn", _("Withdrawn")  # gone from the registry; kept for the history of requests

    class Placement(models.TextChoices):
        OUTDOOR = "outdoor", _("Outdoor")
        INDOOR = "indoor", _("Indoor")

    owner_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="cameras")
    owner_organisation = models.ForeignKey("partners.Organisation", null=True, blank=True, on_delete=models.CASCADE,
                                           related_name="cameras")
    managed_by = models.ForeignKey("partners.Organisation", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="managed_cameras")
    site = models.ForeignKey("partners.Site", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="cameras")
    external_ref = models.CharField(max_length=80, blank=True)  # the owner's own id, for re-imports
    name = models.CharField(max_length=120)

    longitude = models.FloatField()
    latitude = models.FloatField()
    bearing_deg = models.FloatField()  # where it points, clockwise from true north
    fov_deg = models.FloatField()  # horizontal field of view; 360 for all around
    range_m = models.FloatField()  # how far it usefully sees
    placement = models.CharField(max_length=10, choices=Placement.choices, default=Placement.OUTDOOR)
    retention_days = models.PositiveSmallIntegerField()  # footage older than this is overwritten
    live_share_capable = models.BooleanField(default=False)
    # Police see the exact position only when the owner says so; otherwise the block it is on.
    share_exact_location = models.BooleanField(default=False)
    preferred_contact = models.CharField(max_length=200, blank=True)
    # The public coverage map counts cameras per hexagonal cell (core of h3), never shows one.
    coverage_cell = models.CharField(max_length=16, db_index=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="camera_position")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(owner_user__isnull=False, owner_organisation__isnull=True)
                           | models.Q(owner_user__isnull=True, owner_organisation__isnull=False)),
                name="camera_has_one_owner",
            ),
            models.UniqueConstraint(fields=["owner_organisation", "external_ref"], name="camera_ref_per_owner",
                                    condition=~models.Q(external_ref="")),
        ]

    def __str__(self) -> str:
        return self.name
