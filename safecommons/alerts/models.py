"""Community alerts (CAP 1.2), the subscriptions they reach, the outbox of deliveries, and newsletters.

What a subscription keeps of where someone lives is only what matching needs: the H3 resolution-9 cell
(about 0.1 km²) of the address they typed and the radius they chose, or the named areas they picked. The
address itself is never stored (docs/alerts.md, "What we store").
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safecommons.core.models import TimeStampedModel


class Topic(models.TextChoices):
    CRIME = "crime", _("Crime alerts")
    TRAFFIC = "traffic", _("Traffic")
    MISSING_PERSON = "missing_person", _("Missing persons")
    EMERGENCY = "emergency", _("Severe weather and emergencies")
    EVENTS = "events", _("Events")
    SAFETY_TIPS = "safety_tips", _("Safety tips")
    NEWSLETTER = "newsletter", _("Newsletters")


# One bit per topic, so the matching index filters a million subscriptions with one AND.
TOPIC_BITS: dict[str, int] = {topic.value: 1 << n for n, topic in enumerate(Topic)}


def topic_mask(topics) -> int:
    mask = 0
    for topic in topics:
        mask |= TOPIC_BITS[topic]
    return mask


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEB_PUSH = "web_push", _("Web push")
    SMS = "sms", _("SMS")
    WEBHOOK = "webhook", _("Webhook")


def new_manage_key() -> str:
    return secrets.token_urlsafe(18)


class Subscription(TimeStampedModel):
    """Who wants which alerts, where, in which language, and when not to be disturbed.

    Held by a person with an account, by a partner organisation (its admins manage it), or by nobody: an
    email-only subscription, managed through the signed link in every message (`manage_key` is part of
    the signature, so changing it revokes every link sent before)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Unsubscribed")

    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="alert_subscriptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="alert_subscriptions")
    organisation = models.ForeignKey("partners.Organisation", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="held_alert_subscriptions")
    label = models.CharField(max_length=120, blank=True, help_text=_("Your name for this place, e.g. Home."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")
    topics = models.JSONField(default=list)
    topic_mask = models.PositiveIntegerField(default=0, help_text=_("Bits of TOPIC_BITS, kept in step with topics."))
    # Place, one way or the other: the cell of an address and a radius, or named areas (or both).
    cell = models.BigIntegerField(null=True, blank=True, help_text=_("H3 resolution-9 cell of the address."))
    radius_m = models.PositiveIntegerField(null=True, blank=True)
    areas = models.ManyToManyField("places.Area", blank=True, related_name="alert_subscriptions")
    # Quiet hours, in the subscriber's time zone: only alerts of severe or extreme severity get through.
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=60, default=settings.TIME_ZONE)
    # The agency's test list: the only subscriptions a drill or a test alert ever reaches.
    test_list = models.BooleanField(default=False)
    manage_key = models.CharField(max_length=40, default=new_manage_key)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["agency", "status", "updated_at"]),
                   # The matching index's catch-up: what changed lately, whatever its agency or status.
                   models.Index(fields=["updated_at"], name="alerts_subscription_updated")]
        constraints = [
            models.CheckConstraint(condition=Q(cell__isnull=True) | Q(radius_m__gt=0), name="subscription_radius_set"),
        ]

    def __str__(self) -> str:
        return self.label or f"Subscription {self.pk}"


class SubscriptionChannel(models.Model):
    """One way to reach a subscription: an email address, a browser's push endpoint, a phone number or a
    webhook URL. Deliveries are per (alert, channel), so each is sent exactly once."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="channels")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Email address, phone number (E.164) or webhook URL; for web push the endpoint URL.
    address = models.CharField(max_length=500)
    # Web push: the browser's keys {"p256dh": ..., "auth": ...}; webhook: nothing here.
    push_keys = models.JSONField(default=dict, blank=True)
    # Webhook: the shared secret that signs each body (HMAC-SHA256).
    secret = models.CharField(max_length=80, blank=True)
    # Email is double opt-in: nothing is sent but the confirmation until this is set.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "channel"], name="one_channel_of_each_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} of {self.subscription_id}"


class CapCategory(models.TextChoices):
    GEO = "Geo", _("Geophysical")
    MET = "Met", _("Meteorological")
    SAFETY = "Safety", _("General safety")
    SECURITY = "Security", _("Law enforcement and security")
    RESCUE = "Rescue", _("Rescue and recovery")
    FIRE = "Fire", _("Fire")
    HEALTH = "Health", _("Health")
    ENV = "Env", _("Environment")
    TRANSPORT = "Transport", _("Transport")
    INFRA = "Infra", _("Infrastructure")
    CBRNE = "CBRNE", _("Chemical, biological, radiological, nuclear or explosive")
    OTHER = "Other", _("Other")


class Urgency(models.TextChoices):
    IMMEDIATE = "Immediate", _("Immediate: act now")
    EXPECTED = "Expected", _("Expected: act within the hour")
    FUTURE = "Future", _("Future: in the near future")
    PAST = "Past", _("Past: no longer needed")
    UNKNOWN = "Unknown", _("Unknown")


class Severity(models.TextChoices):
    EXTREME = "Extreme", _("Extreme: threat to life")
    SEVERE = "Severe", _("Severe: significant threat")
    MODERATE = "Moderate", _("Moderate: possible threat")
    MINOR = "Minor", _("Minor: little or no threat")
    UNKNOWN = "Unknown", _("Unknown")


class Certainty(models.TextChoices):
    OBSERVED = "Observed", _("Observed")
    LIKELY = "Likely", _("Likely (over 50 %)")
    POSSIBLE = "Possible", _("Possible")
    UNLIKELY = "Unlikely", _("Unlikely")
    UNKNOWN = "Unknown", _("Unknown")


# Severities that break through quiet hours.
QUIET_HOURS_OVERRIDE = frozenset({Severity.EXTREME, Severity.SEVERE})


class Alert(TimeStampedModel):
    """One CAP message: a new alert, an update or a cancellation (which references the alert it changes).

    `cap_status` is CAP's status: only "Actual" reaches the public; "Exercise" (a drill) and "Test" reach
    the agency's test list and nobody else, and never appear in the public feed or pages."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Waiting for approval")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Sent back")

    class CapStatus(models.TextChoices):
        ACTUAL = "Actual", _("Actual: for the public")
        EXERCISE = "Exercise", _("Exercise: a drill, test list only")
        TEST = "Test", _("Test: test list only")

    class MsgType(models.TextChoices):
        ALERT = "Alert", _("Alert")
        UPDATE = "Update", _("Update")
        CANCEL = "Cancel", _("Cancellation")

    class Scope(models.TextChoices):
        PUBLIC = "Public", _("Public")
        RESTRICTED = "Restricted", _("Partners only")

    class Fanout(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        RUNNING = "running", _("Finding subscribers")
        DONE = "done", _("Deliveries queued")

    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="alerts")
    identifier = models.CharField(max_length=120, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    cap_status = models.CharField(max_length=10, choices=CapStatus.choices, default=CapStatus.ACTUAL)
    msg_type = models.CharField(max_length=10, choices=MsgType.choices, default=MsgType.ALERT)
    scope = models.CharField(max_length=12, choices=Scope.choices, default=Scope.PUBLIC)
    references = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="followups", help_text=_("The alert this updates or cancels."))
    topic = models.CharField(max_length=20, choices=Topic.choices, default=Topic.CRIME)
    category = models.CharField(max_length=10, choices=CapCategory.choices, default=CapCategory.SECURITY)
    event = models.CharField(max_length=120, help_text=_("What happened, in a few words (CAP event)."))
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.EXPECTED)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MODERATE)
    certainty = models.CharField(max_length=10, choices=Certainty.choices, default=Certainty.LIKELY)
    onset = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    # Area: polygons as GeoJSON ([lon, lat] rings), circles as {"lat", "lon", "radius_m"}, and named areas.
    area_description = models.CharField(max_length=300)
    area_polygons = models.JSONField(default=list, blank=True)
    area_circles = models.JSONField(default=list, blank=True)
    areas = models.ManyToManyField("places.Area", blank=True, related_name="alerts")
    composed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="alerts_composed")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="alerts_approved")
    approved_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text=_("When it was published (CAP sent)."))
    fanout = models.CharField(max_length=12, choices=Fanout.choices, default=Fanout.NOT_STARTED)
    matched = models.PositiveIntegerField(default=0, help_text=_("Subscriptions the area and topic matched."))

    class Meta:
        ordering = ["-sent_at", "-created_at"]
        indexes = [models.Index(fields=["agency", "state", "cap_status", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.event} ({self.identifier})"

    @property
    def is_public(self) -> bool:
        return (self.state == self.State.PUBLISHED and self.cap_status == self.CapStatus.ACTUAL
                and self.scope == self.Scope.PUBLIC)

    @property
    def is_drill(self) -> bool:
        return self.cap_status != self.CapStatus.ACTUAL


class AlertInfo(models.Model):
    """The words of an alert in one language (CAP info block)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="infos")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    headline = models.CharField(max_length=160)
    description = models.TextField()
    instruction = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "language"], name="one_info_per_language")]
        ordering = ["alert", "language"]

    def __str__(self) -> str:
        return self.headline


class SafetyTip(TimeStampedModel):
    """A short piece of prevention advice the agency rotates through its newsletters."""

    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="safety_tips")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")
    title = models.CharField(max_length=160)
    body = models.TextField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["agency", "language", "id"]

    def __str__(self) -> str:
        return self.title


class Newsletter(TimeStampedModel):
    """One issue of a neighborhood's newsletter for one period. Its figures are computed when it is prepared
    and frozen in `content`, so what staff approved is exactly what is sent and archived."""

    class Period(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        SENT = "sent", _("Sent")

    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="newsletters")
    area = models.ForeignKey("places.Area", on_delete=models.CASCADE, related_name="newsletters")
    period = models.CharField(max_length=10, choices=Period.choices)
    period_start = models.DateField()
    period_end = models.DateField(help_text=_("Last day included."))
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    content = models.JSONField(default=dict)
    safety_tip = models.ForeignKey(SafetyTip, null=True, blank=True, on_delete=models.SET_NULL)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "area__name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "period", "period_start"], name="one_issue_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.area.name}, {self.period_start:%Y-%m-%d}"


class Delivery(models.Model):
    """The outbox: one row per (alert or newsletter, subscription channel), written in the same transaction
    that publishes. Workers claim rows with a lease; a row is sent once and marked, and a worker that dies
    leaves its lease to expire, so another picks the row up again."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Being sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not sent")

    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    newsletter = models.ForeignKey(Newsletter, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="deliveries")
    target = models.ForeignKey(SubscriptionChannel, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "target"], condition=Q(alert__isnull=False),
                                    name="one_delivery_per_alert_channel"),
            models.UniqueConstraint(fields=["newsletter", "target"], condition=Q(newsletter__isnull=False),
                                    name="one_delivery_per_newsletter_channel"),
            models.CheckConstraint(condition=Q(alert__isnull=True) ^ Q(newsletter__isnull=True),
                                   name="delivery_of_one_thing"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel} delivery {self.pk} ({self.status})"


class OptOut(models.Model):
    """An unsubscribe, with the last alert the subscription received before it: the agency's fatigue signal.
    Kept without the address (the subscription may be gone)."""

    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="alert_opt_outs")
    subscription = models.ForeignKey(Subscription, null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True,
                               help_text=_("Empty when the whole subscription ended."))
    after_alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="opt_outs")
    one_click = models.BooleanField(default=False, help_text=_("From the mail client's unsubscribe button."))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"opt-out {self.pk}"
