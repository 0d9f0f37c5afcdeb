"""The tip line. Anonymity is by construction: nothing here can hold who sent a tip.

A tip row has no user, session, address, agent or device field, and none may be added: the tipster
is known only by a code digest and a passphrase hash, both useless without what they wrote down.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safecommons.core.models import TimeStampedModel


class Category(models.TextChoices):
    """NIBRS-aligned crime groups, then the kinds of concern a tip line routes on its own."""

    ASSAULT = "assault", _("Assault or threats")
    HOMICIDE = "homicide", _("Homicide")
    SEX_OFFENSE = "sex_offense", _("Sex offense")
    KIDNAPPING_TRAFFICKING = "kidnapping_trafficking", _("Kidnapping or human trafficking")
    ROBBERY = "robbery", _("Robbery")
    BURGLARY = "burglary", _("Burglary")
    THEFT = "theft", _("Theft or shoplifting")
    VEHICLE_THEFT = "vehicle_theft", _("Vehicle theft")
    VANDALISM = "vandalism", _("Vandalism or arson")
    FRAUD = "fraud", _("Fraud, scams or identity theft")
    WEAPONS = "weapons", _("Weapons")
    DRUGS = "drugs", _("Drugs")
    SUSPICIOUS = "suspicious", _("Suspicious activity")
    TRAFFIC = "traffic", _("Traffic or dangerous driving")
    MENTAL_HEALTH = "mental_health", _("Someone in mental-health crisis")
    SCHOOL_SAFETY = "school_safety", _("School safety")
    CYBER = "cyber", _("Cyber threat or online crime")
    OTHER = "other", _("Something else")


# The NIBRS crime-against group of each category, for reporting; empty where NIBRS has none.
NIBRS_GROUP = {
    Category.ASSAULT: "person", Category.HOMICIDE: "person", Category.SEX_OFFENSE: "person",
    Category.KIDNAPPING_TRAFFICKING: "person", Category.ROBBERY: "property", Category.BURGLARY: "property",
    Category.THEFT: "property", Category.VEHICLE_THEFT: "property", Category.VANDALISM: "property",
    Category.FRAUD: "property", Category.WEAPONS: "society", Category.DRUGS: "society",
}


class Status(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    ASSIGNED = "assigned", _("Assigned")
    INVESTIGATING = "investigating", _("Investigating")
    CLOSED = "closed", _("Closed")


class Disposition(models.TextChoices):
    ACTIONED = "actioned", _("Acted on (arrest, charge or recovery)")
    INVESTIGATION = "investigation", _("Added to an investigation")
    REFERRED = "referred", _("Referred to a partner")
    NO_ACTION = "no_action", _("No action possible")
    UNFOUNDED = "unfounded", _("Unfounded")
    DUPLICATE = "duplicate", _("Duplicate of another tip")
    NOT_POLICE = "not_police", _("Not a police matter")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class LocationKind(models.TextChoices):
    MAP = "map", _("Picked on the map")
    ADDRESS = "address", _("Address or description")
    UNKNOWN = "unknown", _("I don't know")


class Tip(TimeStampedModel):
    """One anonymous tip. `reference` is for staff; the tipster's code is kept only as a digest."""

    reference = models.CharField(max_length=20, unique=True)
    agency = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="tips")
    code_digest = models.CharField(max_length=64, unique=True)
    passphrase_hash = models.CharField(max_length=200)

    category = models.CharField(max_length=30, choices=Category.choices)
    description = models.TextField()
    people_seen = models.TextField(blank=True)
    vehicles_seen = models.TextField(blank=True)
    language = models.CharField(max_length=8, default="en")
    location_kind = models.CharField(max_length=10, choices=LocationKind.choices, default=LocationKind.UNKNOWN)
    location_text = models.CharField(max_length=300, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    area = models.ForeignKey("places.Area", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             db_index=False)  # shown, never searched by (the queue filters by the outline)
    occurred_at = models.DateTimeField(null=True, blank=True)
    occurred_text = models.CharField(max_length=120, blank=True)
    # When it happened if known, else when it was sent: the time the related-tip search compares.
    event_at = models.DateTimeField()
    # The distinctive words of the text, for the related-tip search (see relate.py).
    terms = models.TextField(blank=True)

    # Contact details only when the tipster chose to give them; staff see that choice.
    contact_opt_in = models.BooleanField(default=False)
    contact_name = models.CharField(max_length=120, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField(blank=True)

    status = models.CharField(max_length=15, choices=Status.choices, default=Status.NEW)
    status_changed_at = models.DateTimeField()
    disposition = models.CharField(max_length=15, choices=Disposition.choices, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    assigned_unit = models.ForeignKey("partners.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="tips", db_index=False)
    assigned_officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="assigned_tips")
    routed_by = models.ForeignKey("RoutingRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  db_index=False)
    processed = models.BooleanField(default=False)

    legal_hold = models.BooleanField(default=False)
    legal_hold_reason = models.CharField(max_length=300, blank=True)

    reward_amount = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    reward_claimed_at = models.DateTimeField(null=True, blank=True)
    payout_code_digest = models.CharField(max_length=64, blank=True)
    reward_paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agency", "status", "created_at"]),
            models.Index(fields=["event_at", "latitude", "longitude"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reward_eligible(self) -> bool:
        return self.reward_amount is not None


class TipMessage(models.Model):
    """The conversation with the tipster: staff messages and questions, the tipster's replies and answers."""

    class Direction(models.TextChoices):
        TO_TIPSTER = "to_tipster", _("To the tipster")
        FROM_TIPSTER = "from_tipster", _("From the tipster")

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=15, choices=Direction.choices)
    is_question = models.BooleanField(default=False)
    answers = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="answered_by")
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.tip} {self.direction} {self.pk}"


class TipNote(models.Model):
    """Internal notes: staff only, never shown to the tipster."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.tip} note {self.pk}"


class TipAttachment(models.Model):
    """A file the tipster sent, stored after its metadata was removed, under a random name."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="tips/")
    kind = models.CharField(max_length=10)
    content_type = models.CharField(max_length=60)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.tip} file {self.pk}"


class RoutingRule(TimeStampedModel):
    """Where new tips of a category go: a unit, an officer, a partner under a tip-referral agreement."""

    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="tip_rules")
    category = models.CharField(max_length=30, choices=Category.choices)
    position = models.PositiveSmallIntegerField(default=1)
    assign_unit = models.ForeignKey("partners.Unit", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="+")
    assign_officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                       related_name="+")
    refer_to = models.ForeignKey("partners.Organisation", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    set_priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["agency", "category", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_category_display()} → {self.assign_unit or self.assign_officer or self.refer_to}"


class TipReferral(models.Model):
    """A redacted copy of a tip sent to a partner under a tip-referral grant (the data flow is recorded)."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="referrals")
    organisation = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="tip_referrals")
    data_flow = models.ForeignKey("partners.DataFlow", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=30, choices=Category.choices)
    summary = models.TextField()
    location_text = models.CharField(max_length=300, blank=True)
    event_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["tip", "organisation"], name="one_referral_per_partner")]

    def __str__(self) -> str:
        return f"{self.tip} → {self.organisation}"


class RelatedTip(models.Model):
    """A suggested link from a newer tip to an earlier one, for an analyst to confirm or dismiss."""

    class Decision(models.TextChoices):
        SUGGESTED = "suggested", _("Suggested")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="related")
    other = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    text_score = models.FloatField()
    distance_m = models.FloatField(null=True)
    hours_apart = models.FloatField()
    shared_terms = models.JSONField(default=list)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.SUGGESTED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score"]
        constraints = [models.UniqueConstraint(fields=["tip", "other"], name="related_tip_once")]

    def __str__(self) -> str:
        return f"{self.tip} ~ {self.other}"


class RetentionRule(TimeStampedModel):
    """How long an agency keeps tips of a status and category after their last status change.

    An empty status or category matches any; the most specific rule wins; without one,
    TIP_RETENTION_DAYS applies. Tips under legal hold are never purged.
    """

    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="tip_retention")
    status = models.CharField(max_length=15, choices=Status.choices, blank=True)
    category = models.CharField(max_length=30, choices=Category.choices, blank=True)
    keep_days = models.PositiveIntegerField()

    class Meta:
        ordering = ["agency", "status", "category"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "status", "category"], name="one_retention_rule_per_match"),
        ]
