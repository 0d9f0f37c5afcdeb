from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from safecommons.core.models import TimeStampedModel


class OrganisationKind(models.TextChoices):
    AGENCY = "agency", _("Law-enforcement agency")
    BUSINESS = "business", _("Business")
    COMMUNITY_GROUP = "community_group", _("Community group")
    NEIGHBORHOOD_WATCH = "neighborhood_watch", _("Neighborhood watch")
    SECURITY_COMPANY = "security_company", _("Security / monitoring company")
    SOCIAL_SERVICE = "social_service", _("Social service")
    SCHOOL = "school", _("School")
    OVERSIGHT_BODY = "oversight_body", _("Oversight body")


class PropertyType(models.TextChoices):
    MULTIFAMILY = "multifamily", _("Multifamily housing")
    RETAIL_CENTER = "retail_center", _("Retail center")
    DEALERSHIP = "dealership", _("Dealership")
    CONSTRUCTION_SITE = "construction_site", _("Construction site")
    OFFICE = "office", _("Office")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    LOGISTICS = "logistics", _("Logistics / warehouse")
    VENUE = "venue", _("Venue")
    SCHOOL = "school", _("School")
    HOUSE_OF_WORSHIP = "house_of_worship", _("House of worship")
    HOSPITAL = "hospital", _("Hospital / clinic")
    PARKING = "parking", _("Parking")
    OTHER = "other", _("Other")


class Organisation(TimeStampedModel):
    kind = models.CharField(max_length=30, choices=OrganisationKind.choices)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    public_phone = models.CharField(max_length=40, blank=True)
    public_email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    # Listed in the public directory; private organisations are seen by their members and agencies.
    is_listed = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:200]
        super().save(*args, **kwargs)


class Unit(TimeStampedModel):
    """A unit of an agency: patrol, investigations, cyber, community affairs, co-response…"""

    agency = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(max_length=120)
    code = models.SlugField(max_length=60)
    description = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["agency", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="unit_code_per_agency")]

    def __str__(self) -> str:
        return f"{self.agency} — {self.name}"


class Site(TimeStampedModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    property_type = models.CharField(max_length=30, choices=PropertyType.choices)
    address = models.CharField(max_length=300)
    longitude = models.FloatField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["organisation", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class Contact(TimeStampedModel):
    """A designated contact of an organisation: who to call, in which order, and whether around the clock."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150)
    title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40)
    email = models.EmailField(blank=True)
    is_24_7 = models.BooleanField(_("24/7 line"), default=False)
    escalation_order = models.PositiveSmallIntegerField(default=1)
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["organisation", "escalation_order", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class Scope(models.TextChoices):
    """The fixed list of data an agreement can let flow from one party to another."""

    FOOTAGE_ON_REQUEST = "footage_on_request", _("Footage on request")
    LIVE_CAMERA_ACCESS = "live_camera_access", _("Live camera access")
    TIP_REFERRALS = "tip_referrals", _("Tip referrals")
    INCIDENT_DATA = "incident_data", _("Incident data")
    ALARM_EVENTS = "alarm_events", _("Alarm events")
    CONTACT_SHARING = "contact_sharing", _("Contact sharing")
    CAMERA_LOCATIONS = "camera_locations", _("Camera locations")
    CRIME_DATA = "crime_data", _("Crime data")


def _in_force(prefix: str, on) -> models.Q:
    today = on or timezone.localdate()
    return models.Q(**{f"{prefix}status": Agreement.Status.SIGNED, f"{prefix}effective_from__lte": today,
                       f"{prefix}expires_on__gte": today})


class AgreementQuerySet(models.QuerySet):
    def in_force(self, on=None):
        """Signed and in force on `on` (today): the only agreements any data may flow under."""
        return self.filter(_in_force("", on))


class AgreementGrantQuerySet(models.QuerySet):
    def in_force(self, on=None):
        """Grants of agreements signed and in force on `on` (today)."""
        return self.filter(_in_force("agreement__", on))


class Agreement(TimeStampedModel):
    """A partnership agreement (MOU). Data flows only under an active one with a matching grant."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")
        TERMINATED = "terminated", _("Terminated")

    title = models.CharField(max_length=200)
    purpose = models.TextField()
    parties = models.ManyToManyField(Organisation, through="AgreementParty", related_name="agreements")
    effective_from = models.DateField()
    expires_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    signed_at = models.DateTimeField(null=True, blank=True)
    terminated_at = models.DateTimeField(null=True, blank=True)
    document = models.FileField(upload_to="agreements/%Y/", blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_from", "title"]
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_on__gte=models.F("effective_from")),
                                   name="agreement_expires_after_start")
        ]

    def __str__(self) -> str:
        return self.title

    def is_active(self, on=None) -> bool:
        today = on or timezone.localdate()
        return self.status == self.Status.SIGNED and self.effective_from <= today <= self.expires_on

    STATE_LABELS = {
        "draft": _("Draft"), "pending": _("Not yet in force"), "active": _("Active"),
        "expired": _("Expired"), "terminated": _("Terminated"),
    }

    @property
    def state_label(self) -> str:
        return self.STATE_LABELS[self.state]

    @property
    def state(self) -> str:
        """What a person reading the agreement wants to know: draft, active, not yet in force, expired, terminated."""
        if self.status != self.Status.SIGNED:
            return self.status
        today = timezone.localdate()
        if today < self.effective_from:
            return "pending"
        if today > self.expires_on:
            return "expired"
        return "active"


class AgreementParty(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="party_roles")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="agreement_roles")
    role = models.CharField(max_length=200, help_text=_("What this party undertakes under the agreement."))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agreement", "organisation"], name="one_role_per_party")]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.role}"


class AgreementGrant(models.Model):
    """Under this agreement, data of `scope` may flow from `provider` to `recipient`."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="grants")
    scope = models.CharField(max_length=30, choices=Scope.choices)
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="grants_given")
    recipient = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="grants_received")

    objects = AgreementGrantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agreement", "scope", "provider", "recipient"], name="unique_grant")
        ]
        indexes = [models.Index(fields=["scope", "provider", "recipient"])]

    def __str__(self) -> str:
        return f"{self.get_scope_display()}: {self.provider} → {self.recipient}"


class DataFlow(models.Model):
    """A record of data that crossed from one organisation to another, and the grant that allowed it."""

    grant = models.ForeignKey(AgreementGrant, on_delete=models.PROTECT, related_name="flows")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="flows")
    scope = models.CharField(max_length=30, choices=Scope.choices)
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=254, blank=True)
    purpose = models.CharField(max_length=500)
    case_number = models.CharField(max_length=60, blank=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_scope_display()}: {self.provider} → {self.recipient} ({self.purpose})"


class ApiKey(models.Model):
    """An organisation's key for machine access. Only a SHA-256 of the secret is kept."""

    class ApiScope(models.TextChoices):
        ORGANISATIONS_READ = "organisations:read", _("Read the partner directory")
        CONTACTS_READ = "contacts:read", _("Read contacts shared under agreements")
        AGREEMENTS_READ = "agreements:read", _("Read own agreements and flows")
        PLACES_READ = "places:read", _("Read areas and officer assignments")
        REPORTS_SUBMIT = "reports:submit", _("Submit community reports (Open311)")
        CAMERAS_WRITE = "cameras:write", _("Register and import the organisation's cameras")
        ALARMS_WRITE = "alarms:write", _("Send alarm events and read their dispatch status (alarm centers)")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
