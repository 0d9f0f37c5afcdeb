from django.db import models

from safecommons.core.audit.models import AuditChainHead, AuditEntry  # noqa: F401  (model registry)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
