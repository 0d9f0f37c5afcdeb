"""Where evidence originals live: the "evidence" entry of STORAGES (local disk, or S3 with the s3 extra).

Model fields take `evidence_storage`, a stand-in that asks `storages` on each use, so that a change of
STORAGES (in tests, say) is followed instead of keeping whatever was configured at import time.
"""

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class _EvidenceStorage(LazyObject):
    def _setup(self):
        self._wrapped = storages["evidence"]


evidence_storage = _EvidenceStorage()


def evidence_storage_for_field():
    return evidence_storage


@receiver(setting_changed)
def _follow_settings(*, setting: str, **kwargs) -> None:
    if setting == "STORAGES":
        evidence_storage._wrapped = empty
