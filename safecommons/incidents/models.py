"""Live incidents handed to police by monitoring operators and alarm centers, and their shared timeline.

Every change to an incident is an `IncidentEvent`, numbered from one sequence for the whole platform
(`EventSequence`). An event is stored before it is broadcast, so a watcher that reconnects asks for
everything after the last number it saw and misses nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safecommons.core.models import TimeStampedModel


class IncidentType(models.TextChoices):
    BREAK_IN = "break_in", _("Break-in in progress")
    TRESPASS = "trespass", _("Trespass")
    VANDALISM = "vandalism", _("Vandalism")
    VEHICLE_THEFT = "vehicle_theft", _("Vehicle theft")
    ROBBERY = "robbery", _("Robbery")
    SHOTS_FIRED = "shots_fired", _("Shots fired")
    FIRE = "fire", _("Fire")
    MEDICAL = "medical", _("Medical")
    BURGLAR_ALARM = "burglar_alarm", _("Burglar alarm")
    HOLDUP_ALARM = "holdup_alarm", _("Hold-up / panic alarm")
    OTHER = "other", _("Other")


class Verification(models.TextChoices):
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    EYEWITNESS = "eyewitness", _("Eyewitness")
    UNVERIFIED = "unverified", _("Unverified")


class Disposition(models.TextChoices):
    ARREST = "arrest", _("Arrest")
    GONE_ON_ARRIVAL = "gone_on_arrival", _("Gone on arrival")
    FALSE_ALARM = "false_alarm", _("False alarm")
    REPORT_TAKEN = "report_taken", _("Report taken")
    NO_CRIME = "no_crime", _("No crime found")
    REFERRED = "referred", _("Referred to another service")
    CANCELLED = "cancelled", _("Cancelled by the alarm company")
    WITHDRAWN = "withdrawn", _("Withdrawn by the operator")


class Incident(TimeStampedModel):
    """One live incident at a site or a point, handed from a security company (operator or alarm center)
    to an agency."""

    class Source(models.TextChoices):
        OPERATOR = "operator", _("Monitoring operator")
        ALARM = "alarm", _("Alarm center")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        DISPATCHED = "dispatched", _("Dispatched")
        ON_SCENE = "on_scene", _("On scene")
        CLOSED = "closed", _("Closed")

    agency = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="incidents_received")
    company = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="incidents_sent")
    source = models.CharField(max_length=10, choices=Source.choices)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="incidents_opened")
    site = models.ForeignKey("partners.Site", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="incidents")
    address = models.CharField(max_length=300, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)

    type = models.CharField(max_length=20, choices=IncidentType.choices)
    verification = models.CharField(max_length=12, choices=Verification.choices, default=Verification.UNVERIFIED)
    suspect_count = models.PositiveSmallIntegerField(default=0)
    # [{"description": str}], appended as the incident unfolds
    suspects = models.JSONField(default=list, blank=True)
    weapons = models.CharField(max_length=300, blank=True)  # what was seen; blank: none seen
    # [{"make", "model", "colour", "plate", "direction"}]
    vehicles = models.JSONField(default=list, blank=True)
    persons_at_risk = models.BooleanField(default=False)
    camera_refs = models.JSONField(default=list, blank=True)  # ["Camera name or id", ...]
    callback_phone = models.CharField(max_length=40, blank=True)
    summary = models.TextField(blank=True)  # the operator's first words
    # Ordering on the live board: higher first (services.priority.incident_priority).
    priority = models.PositiveSmallIntegerField(default=0, db_index=True)

    status = models.CharField(max_length=14, choices=Status.choices, default=Status.RECEIVED)
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    assigned_unit = models.CharField(max_length=40, blank=True)  # a call sign, e.g. "2-Adam-14"
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    received_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    outcome_summary = models.TextField(blank=True)  # written by police at closing, sent back to the company

    # Alarm incidents: the permit the alarm came under and the center's references.
    alarm_permit = models.ForeignKey("incidents.AlarmPermit", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="incidents")
    alarm_count = models.PositiveIntegerField(default=0)  # alarms joined to this incident (duplicates)

    class Meta:
        ordering = ["-priority", "-received_at"]
        indexes = [
            models.Index(fields=["agency", "status"], name="incident_agency_status"),
            models.Index(fields=["company", "status"], name="incident_company_status"),
            models.Index(fields=["alarm_permit", "status", "received_at"], name="incident_permit_open"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} — {self.address or self.site or self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class EventSequence(models.Model):
    """The one counter that numbers incident events. Taking the next number locks this row until the
    transaction ends, so numbers are handed out in commit order and are never skipped for good (a rollback
    gives its number back): a watcher's 'last event id' is a complete cursor."""

    last_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"events up to {self.last_seq}"


class IncidentEvent(models.Model):
    """One entry of an incident's timeline, as both sides see it."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        OBSERVATION = "observation", _("Observation")
        MOVEMENT = "movement", _("Movement")
        SUSPECT = "suspect", _("Suspect added")
        VEHICLE = "vehicle", _("Vehicle added")
        SNAPSHOT = "snapshot", _("Snapshot")
        STATUS = "status", _("Status")
        ASSIGNED = "assigned", _("Unit assigned")
        MESSAGE = "message", _("Message")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        ALARM = "alarm", _("Another alarm")
        CANCEL_REQUESTED = "cancel_requested", _("Cancellation requested")
        OUTCOME = "outcome", _("Outcome")

    class Side(models.TextChoices):
        OPERATOR = "operator", _("Operator")
        POLICE = "police", _("Police")
        ALARM_CENTER = "alarm_center", _("Alarm center")

    seq = models.BigIntegerField(unique=True)  # the event id watchers resume from
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    # Copied from the incident so a replay filters on this table alone.
    agency = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    side = models.CharField(max_length=14, choices=Side.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_label = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["agency", "seq"], name="incident_event_agency_seq"),
                   models.Index(fields=["company", "seq"], name="incident_event_company_seq"),
                   models.Index(fields=["incident", "seq"], name="incident_event_incident_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} on incident {self.incident_id}"


class Snapshot(models.Model):
    """A still image an operator attached, re-encoded without its metadata."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="snapshots")
    image = models.ImageField(upload_to="incidents/snapshots/%Y/%m/")
    caption = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"snapshot {self.pk} of incident {self.incident_id}"


class AlarmPermit(TimeStampedModel):
    """An alarm permit the agency issued for a site, monitored by a security company. An alarm event names
    its permit; an event for a permit we do not know, or not monitored by the sender, is refused."""

    agency = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="alarm_permits")
    monitoring_company = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT,
                                           related_name="monitored_permits")
    site = models.ForeignKey("partners.Site", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="alarm_permits")
    number = models.CharField(max_length=40)
    address = models.CharField(max_length=300)
    longitude = models.FloatField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["agency", "number"], name="alarm_permit_number_per_agency")]
        indexes = [models.Index(fields=["monitoring_company", "number"], name="alarm_permit_company_number")]

    def __str__(self) -> str:
        return f"{self.number} — {self.address}"


class AlarmEvent(models.Model):
    """One alarm event as a monitoring center sent it, and what we answered. The (company, event id) pair is
    unique: a replay finds this row and gets the same answer, never a second incident."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        JOINED = "joined", _("Joined an open incident")
        REJECTED = "rejected", _("Rejected")

    company = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="alarm_events")
    event_id = models.CharField(max_length=80)
    permit = models.ForeignKey(AlarmPermit, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="alarm_events")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=40, blank=True)  # unknown_site, invalid_type, stale_event, ...
    detail = models.CharField(max_length=300, blank=True)
    payload = models.JSONField(default=dict)
    event_received_at = models.DateTimeField(null=True, blank=True)  # when the center received the signal
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["company", "event_id"], name="alarm_event_once")]

    def __str__(self) -> str:
        return f"{self.event_id} ({self.outcome})"


class Commendation(models.Model):
    """An agency's thanks to an operator or a resident for an outcome they made possible."""

    agency = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="commendations")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="commendations")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="commendations")
    title = models.CharField(max_length=150)
    citation = models.TextField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField()
    number = models.CharField(max_length=30, unique=True)  # printed on the certificate
    # The recipient decides whether it is shown publicly; None until they answer.
    public_consent = models.BooleanField(null=True, blank=True)
    consent_answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.number}: {self.title}"
