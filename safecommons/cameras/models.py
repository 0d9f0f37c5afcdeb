"""The camera registry: cameras that residents and organisations own, described well enough for a canvass
to find the ones that may have seen an incident, and no better than their owners choose."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecommons.cameras.storage import evidence_storage_for_field
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
        indexes = [models.Index(fields=["latitude", "longitude"], name="camera_position"),
                   # the canvass index catches up on changes since it was built (cameras/index.py)
                   models.Index(fields=["updated_at"], name="camera_updated")]
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


# --- Offenses, as a canvass and a footage request name them (NIBRS offense groups and crime-against class)


class Offense(models.TextChoices):
    HOMICIDE = "homicide", _("Homicide")
    ASSAULT = "assault", _("Assault")
    ROBBERY = "robbery", _("Robbery")
    SEX_OFFENSE = "sex_offense", _("Sex offense")
    KIDNAPPING = "kidnapping", _("Kidnapping or abduction")
    MISSING_PERSON = "missing_person", _("Missing person")
    BURGLARY = "burglary", _("Burglary or break-in")
    THEFT = "theft", _("Theft or shoplifting")
    VEHICLE_THEFT = "vehicle_theft", _("Vehicle theft")
    VANDALISM = "vandalism", _("Vandalism")
    ARSON = "arson", _("Arson")
    FRAUD = "fraud", _("Fraud")
    HIT_AND_RUN = "hit_and_run", _("Hit and run")
    DRUGS = "drugs", _("Drug offense")
    WEAPONS = "weapons", _("Weapons offense")
    OTHER = "other", _("Other")


class OffenseGroup(models.TextChoices):
    """What the public transparency counts are grouped by: NIBRS's crimes against persons, property and
    society, plus those that are not crimes (a missing person) or not classed."""

    PERSON = "person", _("Crimes against persons")
    PROPERTY = "property", _("Crimes against property")
    SOCIETY = "society", _("Crimes against society")
    OTHER = "other", _("Other")


OFFENSE_GROUP = {
    Offense.HOMICIDE: OffenseGroup.PERSON, Offense.ASSAULT: OffenseGroup.PERSON,
    Offense.SEX_OFFENSE: OffenseGroup.PERSON, Offense.KIDNAPPING: OffenseGroup.PERSON,
    Offense.ROBBERY: OffenseGroup.PROPERTY, Offense.BURGLARY: OffenseGroup.PROPERTY,
    Offense.THEFT: OffenseGroup.PROPERTY, Offense.VEHICLE_THEFT: OffenseGroup.PROPERTY,
    Offense.VANDALISM: OffenseGroup.PROPERTY, Offense.ARSON: OffenseGroup.PROPERTY,
    Offense.FRAUD: OffenseGroup.PROPERTY, Offense.HIT_AND_RUN: OffenseGroup.PROPERTY,
    Offense.DRUGS: OffenseGroup.SOCIETY, Offense.WEAPONS: OffenseGroup.SOCIETY,
    Offense.MISSING_PERSON: OffenseGroup.OTHER, Offense.OTHER: OffenseGroup.OTHER,
}


# --- Canvass: which cameras may have seen a place and time


class Canvass(TimeStampedModel):
    """An officer's search for cameras that may have seen an incident: a point (or a disc around it) and a
    time window, under a case number and a stated reason."""

    agency = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="canvasses")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="canvasses")
    case_number = models.CharField(max_length=40)
    offense = models.CharField(max_length=20, choices=Offense.choices)
    reason = models.TextField()
    longitude = models.FloatField()
    latitude = models.FloatField()
    radius_m = models.FloatField(default=0)  # 0: the point itself; up to CANVASS_MAX_RADIUS_M
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "canvasses"

    def __str__(self) -> str:
        return f"{self.case_number} ({self.get_offense_display()})"

    @property
    def offense_group(self) -> str:
        return OFFENSE_GROUP[Offense(self.offense)]


# --- Footage requests: one camera, one case; the owner decides


class FootageRequest(TimeStampedModel):
    """A request for one camera's footage of a time window. The facts of the request are copied from the
    canvass when it is sent and never change afterwards; only the owner's answer does."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the owner")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        NO_FOOTAGE = "no_footage", _("No footage")
        EXPIRED = "expired", pgettext_lazy("footage request", "Expired")

    ANSWERS = (Status.APPROVED, Status.DECLINED, Status.NO_FOOTAGE)

    canvass = models.ForeignKey(Canvass, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests")
    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="footage_requests")
    agency = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="footage_requests")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="footage_requests_made")
    case_number = models.CharField(max_length=40)
    offense = models.CharField(max_length=20, choices=Offense.choices)
    reason = models.TextField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="footage_requests_answered")
    answer_note = models.TextField(blank=True)  # the owner's words, shown to the officer

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["canvass", "camera"], name="one_request_per_camera_per_canvass")]
        indexes = [models.Index(fields=["camera", "status"], name="footage_request_camera_status")]

    def __str__(self) -> str:
        return f"{self.case_number}: {self.camera}"

    @property
    def offense_group(self) -> str:
        return OFFENSE_GROUP[Offense(self.offense)]


class OwnerNotice(models.Model):
    """An in-app notice to a camera owner: a footage request, a retention warning, a live-access event.
    Addressed to a person (a resident's camera) or an organisation (seen by its staff)."""

    class Kind(models.TextChoices):
        REQUEST = "request", _("Footage request")
        RETENTION = "retention", _("Footage about to be overwritten")
        REQUEST_EXPIRED = "request_expired", _("Request expired")
        LIVE_OPENED = "live_opened", _("Live view opened")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="camera_notices")
    organisation = models.ForeignKey("partners.Organisation", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="camera_notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="notices")
    footage_request = models.ForeignKey(FootageRequest, null=True, blank=True, on_delete=models.CASCADE,
                                        related_name="notices")
    canvass = models.ForeignKey(Canvass, null=True, blank=True, on_delete=models.SET_NULL, related_name="notices")
    # A retention warning: footage of the window is overwritten from this moment on.
    preserve_by = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(user__isnull=False, organisation__isnull=True)
                           | models.Q(user__isnull=True, organisation__isnull=False)),
                name="owner_notice_has_one_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.camera}"


# --- Evidence locker


def _evidence_path(item: EvidenceItem, filename: str) -> str:
    # The name never carries the uploader's file name (it may say too much); the original name is a field.
    return f"evidence/{item.uid}/original"


def _preview_path(item: EvidenceItem, filename: str) -> str:
    return f"evidence/{item.uid}/preview.jpg"


class EvidenceItem(models.Model):
    """One file in the locker. The original, its size and its SHA-256 are written once, when the upload
    completes, and never change; a preview is made from a copy."""

    class Integrity(models.TextChoices):
        UNCHECKED = "unchecked", _("Not re-checked yet")
        OK = "ok", _("Matches its hash")
        MISMATCH = "mismatch", _("Does not match its hash")
        MISSING = "missing", _("File missing")

    IMMUTABLE = ("uid", "agency_id", "case_number", "footage_request_id", "file", "sha256", "size", "content_type",
                 "original_name", "uploaded_by_id", "received_at")

    uid = models.UUIDField(unique=True, editable=False)
    agency = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="evidence")
    case_number = models.CharField(max_length=40, db_index=True)
    footage_request = models.ForeignKey(FootageRequest, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="evidence")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="evidence_uploaded")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=_evidence_path, storage=evidence_storage_for_field, max_length=200)
    preview = models.FileField(upload_to=_preview_path, storage=evidence_storage_for_field, max_length=200, blank=True)
    description = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField()
    integrity = models.CharField(max_length=10, choices=Integrity.choices, default=Integrity.UNCHECKED)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_number}: {self.original_name}"

    def save(self, *args, **kwargs):
        # Once stored, what was received is fixed: only integrity, preview and description may change.
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                changed = {f"{name}_id" if f"{name}_id" in self.IMMUTABLE else name for name in update_fields}
                changed &= set(self.IMMUTABLE)
            else:
                stored = type(self).objects.filter(pk=self.pk).values(*self.IMMUTABLE).first() or {}
                changed = {name for name in self.IMMUTABLE if name in stored and stored[name] != (
                    self.file.name if name == "file" else getattr(self, name))}
            if changed:
                raise ValueError(f"evidence items cannot be changed after receipt: {', '.join(sorted(changed))}")
        super().save(*args, **kwargs)


class EvidenceUpload(TimeStampedModel):
    """A resumable upload in progress: the client sends the file in chunks at the offset we tell it, and
    may come back after a dropped connection to carry on from there."""

    class Status(models.TextChoices):
        RECEIVING = "receiving", _("Receiving")
        COMPLETE = "complete", _("Complete")
        ABANDONED = "abandoned", _("Abandoned")

    uid = models.UUIDField(unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="evidence_uploads")
    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="evidence_uploads")
    case_number = models.CharField(max_length=40)
    footage_request = models.ForeignKey(FootageRequest, null=True, blank=True, on_delete=models.CASCADE,
                                        related_name="uploads")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField()  # declared up front; nothing past it is accepted
    received = models.PositiveBigIntegerField(default=0)
    expected_sha256 = models.CharField(max_length=64, blank=True)  # if the client states it, it is checked
    description = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVING)
    item = models.OneToOneField(EvidenceItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="upload")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.received}/{self.size})"


# --- Live access: an owner lets an agency watch a camera, for a while


class LiveGrant(TimeStampedModel):
    """Time-boxed access to one camera's stream for one agency, given by the owner under an agreement with
    the live-camera-access scope. The stream URL is stored encrypted (cameras/crypto.py)."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="live_grants")
    agency = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="live_grants")
    agreement = models.ForeignKey("partners.Agreement", on_delete=models.PROTECT, related_name="live_grants")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="live_grants_given")
    purpose = models.CharField(max_length=300)
    stream_url_encrypted = models.TextField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="live_grants_revoked")

    class Meta:
        ordering = ["-starts_at", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="live_grant_ends_after_it_starts")]

    def __str__(self) -> str:
        return f"{self.camera} → {self.agency}"


class LiveOpening(models.Model):
    """One time an officer opened a granted stream (refused attempts are in the audit trail)."""

    grant = models.ForeignKey(LiveGrant, on_delete=models.CASCADE, related_name="openings")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="live_openings")
    reason = models.CharField(max_length=300)
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.grant} at {self.opened_at:%Y-%m-%d %H:%M}"
