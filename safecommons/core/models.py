from django.db import models

from safecommons.core.audit.models import AuditChainHead, AuditEntry  # noqa: F401  (model registry)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ScheduledRun(models.Model):
    """When each scheduled job was last handed to the task queue (core/schedule.py); one row a job."""

    name = models.CharField(max_length=80, primary_key=True)
    last_enqueued_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
