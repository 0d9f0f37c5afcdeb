"""Community reports: non-emergency, identified service requests (Open311 GeoReport v2 in and out)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safecommons.core.models import TimeStampedModel


class ServiceType(TimeStampedModel):
    """What a resident can report to an agency (an Open311 "service"): graffiti, pothole, abandoned vehicle…"""

    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="service_types")
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    group = models.CharField(max_length=100, blank=True)
    keywords = models.CharField(max_length=300, blank=True, help_text=_("Comma-separated search words."))
    # Shown to whoever submits one (Open311 "service_notice"), e.g. how soon the agency usually answers.
    notice = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["group", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip() for word in self.keywords.split(",") if word.strip()]


class ServiceAttribute(models.Model):
    """One extra question of a service type (an attribute of the Open311 service definition)."""

    class Datatype(models.TextChoices):
        STRING = "string", _("Short text")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Long text")
        SINGLEVALUELIST = "singlevaluelist", _("One choice")
        MULTIVALUELIST = "multivaluelist", _("Several choices")

    service = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="attributes")
    code = models.SlugField(max_length=60)
    description = models.CharField(max_length=300, help_text=_("The question, as shown to the person reporting."))
    datatype = models.CharField(max_length=20, choices=Datatype.choices, default=Datatype.STRING)
    datatype_description = models.CharField(max_length=300, blank=True)
    required = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=1)
    values = models.JSONField(default=list, blank=True, help_text=_('For lists: [{"key": "…", "name": "…"}].'))

    class Meta:
        ordering = ["service", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="attribute_code_per_service")]

    def __str__(self) -> str:
        return f"{self.service.code}: {self.code}"

    @property
    def is_list(self) -> bool:
        return self.datatype in (self.Datatype.SINGLEVALUELIST, self.Datatype.MULTIVALUELIST)

    @property
    def value_keys(self) -> list[str]:
        return [str(value["key"]) for value in self.values]

    def value_name(self, key: str) -> str:
        return next((str(value["name"]) for value in self.values if str(value["key"]) == key), key)


class ServiceRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


class ServiceRequest(models.Model):
    """A community report. Its reporter is always known (an account, or an email given through Open311);
    the public Open311 feed shows what and where, never who."""

    Status = ServiceRequestStatus

    class Channel(models.TextChoices):
        WEB = "web", _("Web page")
        OPEN311 = "open311", _("Open311 client")

    service = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="requests")
    agency = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="service_requests")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="service_requests")
    reporter_email = models.EmailField(blank=True)
    reporter_first_name = models.CharField(max_length=100, blank=True)
    reporter_last_name = models.CharField(max_length=100, blank=True)
    reporter_phone = models.CharField(max_length=40, blank=True)
    submitted_via = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    # The organisation key an Open311 client submitted with.
    api_key = models.ForeignKey("partners.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    description = models.TextField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    area = models.ForeignKey("places.Area", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=20, choices=ServiceRequestStatus.choices,
                              default=ServiceRequestStatus.OPEN)
    status_notes = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    # A storage name under reports/ (random, metadata removed); served only through the photo view.
    photo = models.FileField(blank=True, max_length=200)
    photo_content_type = models.CharField(max_length=100, blank=True)
    photo_sha256 = models.CharField(max_length=64, blank=True)
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    expected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["agency", "status", "requested_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.service.name}"

    @property
    def is_closed(self) -> bool:
        return self.status == ServiceRequestStatus.CLOSED

    @property
    def open311_status(self) -> str:
        """Open311 knows only open and closed."""
        return "closed" if self.is_closed else "open"

    @property
    def contact_email(self) -> str:
        if self.reporter_id and self.reporter.email:
            return self.reporter.email
        return self.reporter_email

    @property
    def reporter_label(self) -> str:
        if self.reporter_id:
            return str(self.reporter)
        name = f"{self.reporter_first_name} {self.reporter_last_name}".strip()
        return name or self.reporter_email


class ServiceRequestUpdate(models.Model):
    """One step of a report's status history: who moved it where, and what they told the reporter."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=20, choices=ServiceRequestStatus.choices)
    previous_status = models.CharField(max_length=20, choices=ServiceRequestStatus.choices, blank=True)
    note = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"#{self.request_id}: {self.get_status_display()}"


class ReportNotification(models.Model):
    """An in-app notice to a reporter that their report moved; read when they open the report."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_notifications")
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="notifications")
    update = models.ForeignKey(ServiceRequestUpdate, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user}: {self.update}"
