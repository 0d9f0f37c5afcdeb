"""Background work of the camera capability: ids in, one service call each."""

from django_tasks import task


@task()
def owner_notice_email(notice_id: int) -> bool:
    """Email the owner about one notice (a footage request, a retention warning)."""
    from safecommons.cameras.services import notices

    return notices.owner_notice_email_send(notice_id=notice_id)


@task()
def footage_requests_expire() -> int:
    """The schedule's job: requests left unanswered past their date expire."""
    from safecommons.cameras.services import requests

    return requests.footage_requests_expire()


@task()
def evidence_preview_make(item_id: int) -> bool:
    """Make a preview of one evidence item from a copy of its original."""
    from safecommons.cameras.services import evidence

    return evidence.evidence_preview_make(item_id=item_id)


@task()
def evidence_rehash() -> int:
    """The schedule's job: re-hash every original in the locker; returns how many did not match."""
    from safecommons.cameras.services import evidence

    return evidence.evidence_rehash_all().mismatched


@task()
def evidence_uploads_abandon() -> int:
    """The schedule's job: resumable uploads left untouched for a day are abandoned and their parts removed."""
    from safecommons.cameras.services import evidence

    return evidence.evidence_uploads_abandon()
