"""Telling camera owners: an in-app notice (and a live event) for every footage request, retention warning
and live-access event, and an email about it sent in the background.

A resident's camera notifies the resident; an organisation's camera notifies the organisation, whose
staff all see its notices, and emails the camera's preferred contact when it is an email address, else
the organisation's designated contacts.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from safecommons.accounts.models import Membership
from safecommons.cameras.models import Camera, Canvass, FootageRequest, OwnerNotice
from safecommons.core.events import publish_on_commit
from safecommons.core.permissions import PARTNER_ROLES, Actor


def owner_notify(*, kind: str, camera: Camera, footage_request: FootageRequest | None = None,
                 canvass: Canvass | None = None, preserve_by: datetime | None = None,
                 email: bool = True) -> OwnerNotice:
    """Record a notice to the camera's owner, push it to their open pages and, after commit, email it."""
    notice = OwnerNotice.objects.create(
        user_id=camera.owner_user_id, organisation_id=camera.owner_organisation_id, kind=kind, camera=camera,
        footage_request=footage_request, canvass=canvass, preserve_by=preserve_by,
    )
    event = {"type": "camera.notice", "kind": kind, "id": notice.pk, "camera": camera.name,
             "url": reverse("cameras:requests")}
    for user_id in _recipient_user_ids(camera):
        publish_on_commit(f"user.{user_id}", event)
    if email:
        from safecommons.cameras.tasks import owner_notice_email

        notice_id = notice.pk
        # robust: a queue that is down must not undo the request; the notice is in the owner's inbox anyway
        transaction.on_commit(lambda: owner_notice_email.enqueue(notice_id), robust=True)
    return notice


def _recipient_user_ids(camera: Camera) -> list[int]:
    if camera.owner_user_id is not None:
        return [camera.owner_user_id]
    organisations = [camera.owner_organisation_id] + ([camera.managed_by_id] if camera.managed_by_id else [])
    return list(Membership.objects.active().filter(organisation_id__in=organisations, role__in=PARTNER_ROLES)
                .values_list("user_id", flat=True).distinct())


def owner_notice_recipients(camera: Camera) -> list[tuple[str, str]]:
    """(email address, language) to write to about this camera."""
    contact = camera.preferred_contact.strip()
    try:
        validate_email(contact)
    except ValidationError:
        contact = ""
    if camera.owner_user_id is not None:
        owner = camera.owner_user
        addresses = [contact] if contact else [owner.email]
        return [(address, owner.preferred_language) for address in addresses if address]
    if contact:
        return [(contact, settings.LANGUAGE_CODE)]
    contacts = camera.owner_organisation.contacts.exclude(email="").order_by("escalation_order", "pk")
    first = contacts.first()
    return [(first.email, settings.LANGUAGE_CODE)] if first else []


def owner_notice_email_send(*, notice_id: int) -> bool:
    """Email one notice to the owner, in their language. Returns whether any email went out."""
    notice = OwnerNotice.objects.select_related(
        "camera__owner_user", "camera__owner_organisation", "footage_request", "canvass").get(pk=notice_id)
    sent = False
    for address, language in owner_notice_recipients(notice.camera):
        with translation.override(language):
            subject = _subject(notice)
            body = render_to_string("cameras/email/notice.txt", {
                "notice": notice, "camera": notice.camera, "request": notice.footage_request,
                "platform_name": settings.PLATFORM_NAME, "inbox_path": reverse("cameras:requests"),
            })
        send_mail(subject, body, None, [address])
        sent = True
    return sent


def _subject(notice: OwnerNotice) -> str:
    values = {"camera": notice.camera.name}
    if notice.kind == OwnerNotice.Kind.REQUEST:
        return _("A police request for footage from %(camera)s") % values
    if notice.kind == OwnerNotice.Kind.RETENTION:
        return _("Footage from %(camera)s may soon be overwritten") % values
    if notice.kind == OwnerNotice.Kind.REQUEST_EXPIRED:
        return _("A footage request for %(camera)s expired") % values
    return _("Police opened the live view of %(camera)s") % values


def owner_notices_mark_read(*, actor: Actor) -> int:
    """The owner opened their inbox: their notices are read."""
    from safecommons.cameras.selectors.notices import owner_notices

    return owner_notices(actor=actor).filter(read_at__isnull=True).update(read_at=timezone.now())
