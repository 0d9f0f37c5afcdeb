"""Crime records imported from an agency's records system, the runs that imported them, and the rules
that decide what the public may see of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safecommons.core.models import TimeStampedModel
from safecommons.crimedata.nibrs import CrimeAgainst, OffenseGroup


class ImportRun(TimeStampedModel):
    """One import of one file: its progress while it runs, and its report once done."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="crime_imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    source_name = models.CharField(max_length=255, help_text=_("The file's name as uploaded or given."))
    # Where an uploaded file waits for the background worker (default storage); empty for the CLI.
    stored_file = models.CharField(max_length=500, blank=True)
    mapping_name = models.CharField(max_length=120)
    mapping = models.JSONField(help_text=_("The mapping as used, so a report can be read later."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_bytes = models.BigIntegerField(default=0)
    processed_bytes = models.BigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # Source offense values the mapping does not know, with how many rows carried each.
    unmapped_offenses = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source_name} ({self.get_status_display()})"

    @property
    def accepted(self) -> int:
        return self.inserted + self.updated


class ImportRejection(models.Model):
    """A row of a file that was not imported, and why: the validation report, one line each."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejections")
    line = models.PositiveIntegerField(help_text=_("Line in the file (the header is line 1)."))
    source_id = models.CharField(max_length=120, blank=True)
    reason = models.CharField(max_length=300)
    excerpt = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["run", "line"]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class CrimeRecord(models.Model):
    """One offense of one incident, as the agency's records system reported it.

    Exact place and address are for the agency's own staff. What the public may see is kept beside them,
    already generalised at import: the hundred-block, and a point moved to the block's or the grid's centre.
    """

    # No index of its own: the unique constraint and every index below begin with the agency, and serve any
    # lookup by it (the foreign key's checks, a cascade); one index fewer to keep up on every imported row.
    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="crime_records",
                               db_index=False)
    source_id = models.CharField(max_length=120)
    import_run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    offense_source = models.CharField(max_length=200, help_text=_("The offense as the source wrote it."))
    nibrs_code = models.CharField(max_length=4, blank=True, help_text=_("Empty when the mapping has none."))
    offense_group = models.CharField(max_length=30, choices=OffenseGroup.choices)
    crime_against = models.CharField(max_length=12, choices=CrimeAgainst.choices, blank=True)
    domestic = models.BooleanField(default=False)
    child_victim = models.BooleanField(default=False)
    occurred_at = models.DateTimeField()
    # The agency's local calendar, fixed at import from the source's time zone: what analysts count by.
    occurred_date = models.DateField()
    occurred_hour = models.PositiveSmallIntegerField(null=True, blank=True, help_text=_("0-23; empty if unknown."))
    occurred_weekday = models.PositiveSmallIntegerField(help_text=_("0 = Monday … 6 = Sunday."))
    reported_at = models.DateTimeField(null=True, blank=True)
    # Exact: staff only.
    address = models.CharField(max_length=200, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    h3_cell = models.BigIntegerField(null=True, blank=True, help_text=_("H3 resolution-9 cell of the exact point."))
    # Generalised: what the public may see (and only for offense groups shown at a point).
    block_address = models.CharField(max_length=200, blank=True)
    public_latitude = models.FloatField(null=True, blank=True)
    public_longitude = models.FloatField(null=True, blank=True)
    public_h3_cell = models.BigIntegerField(null=True, blank=True,
                                            help_text=_("H3 resolution-9 cell of the generalised point."))
    neighborhood = models.ForeignKey("places.Area", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    source_area = models.CharField(max_length=120, blank=True, help_text=_("District, beat … as the source names it."))
    premise_type = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=60, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "source_id"], name="crime_record_source_id")]
        indexes = [
            models.Index(fields=["agency", "occurred_date"]),
            models.Index(fields=["agency", "offense_group", "occurred_date"]),
            models.Index(fields=["agency", "neighborhood", "occurred_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.offense_source}"


class OffenseHourCount(models.Model):
    """Records per offense, weekday and hour over some span of time: what the summaries below have in common."""

    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="+")
    nibrs_code = models.CharField(max_length=4, blank=True)
    offense_group = models.CharField(max_length=30, choices=OffenseGroup.choices)
    weekday = models.PositiveSmallIntegerField()
    hour = models.PositiveSmallIntegerField(null=True, blank=True)
    count = models.PositiveIntegerField()

    class Meta:
        abstract = True


class HourlyCount(OffenseHourCount):
    """Records per month, offense, weekday and hour: a summary kept in step with `CrimeRecord` by every
    import, so the offense × hour × weekday table over millions of records reads thousands of rows."""

    month = models.DateField(help_text=_("The first day of the month."))

    class Meta:
        indexes = [models.Index(fields=["agency", "month"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.nibrs_code} {self.weekday}/{self.hour}: {self.count}"


class YearlyCount(OffenseHourCount):
    """`HourlyCount` added up over each year: kept in step by the same refresh, so that offense × hour ×
    weekday over several years reads a few thousand rows, not a hundred thousand."""

    year = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["agency", "year"])]

    def __str__(self) -> str:
        return f"{self.year} {self.nibrs_code} {self.weekday}/{self.hour}: {self.count}"


class PublicationRule(TimeStampedModel):
    """How one agency publishes one offense group: at a (generalised) point, only as area counts, or not at
    all; and below which count an area's number is withheld. Groups without a rule follow `publication.py`."""

    class Display(models.TextChoices):
        POINT = "point", _("At a point: the centre of its grid cell")
        AREA = "area", _("Only as counts per area")
        HIDDEN = "hidden", _("Not published")

    agency = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="publication_rules")
    offense_group = models.CharField(max_length=30, choices=OffenseGroup.choices)
    display = models.CharField(max_length=10, choices=Display.choices)
    min_count = models.PositiveSmallIntegerField(
        default=3, help_text=_("Area counts below this are shown as 'fewer than N', never as the number."))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["agency", "offense_group"]
        constraints = [models.UniqueConstraint(fields=["agency", "offense_group"], name="publication_rule_group")]

    def __str__(self) -> str:
        return f"{self.offense_group}: {self.display}"
