"""Commendations, after the action: an agency's supervisors thank a monitoring operator or a resident, the
recipient gets an email and a printable certificate, and decides whether it is shown publicly.

Numbers read "TPD-C-2026-0007": the agency's initials, C for commendation, the year and a counter. Two
supervisors issuing at once may compute the same number; the unique constraint refuses the second, which
takes the next number instead.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from safecommons.accounts.models import User
from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, actor_for_user, require
from safecommons.incidents import tasks
from safecommons.incidents.models import Commendation, Incident
from safecommons.incidents.pdf import CertificateText, certificate_pdf
from safecommons.incidents.selectors import commendations as selectors
from safecommons.partners.models import Organisation

TITLE_MAX = 150
CITATION_MAX = 1000  # what fits on the certificate's one page
NUMBER_ATTEMPTS = 5


def _initials(agency: Organisation) -> str:
    words = [word for word in re.split(r"[^A-Za-z0-9]+", agency.slug or agency.name) if word]
    return "".join(word[0] for word in words).upper()[:6] or "AG"


def _next_number(agency: Organisation, year: int) -> str:
    # Counted over every agency sharing the prefix: two agencies can have the same initials.
    prefix = f"{_initials(agency)}-C-{year}-"
    taken = Commendation.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    highest = max((int(number[len(prefix):]) for number in taken if number[len(prefix):].isdigit()), default=0)
    return f"{prefix}{highest + 1:04d}"


def _text(value: str, *, limit: int, empty: str, too_long: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Refused(empty)
    if len(value) > limit:
        raise Refused(too_long % {"limit": limit})
    return value


def commendation_issue(*, actor: Actor, agency: Organisation, recipient: User, title: str, citation: str,
                       incident: Incident | None = None, site_url: str = "") -> Commendation:
    """Issue a commendation from `agency` (its supervisors and agency admins) to a signed-up person, for one
    of the agency's closed incidents if named. Numbered, audited, and emailed to the recipient after commit
    in their language, with a link to their commendation page (on `site_url`, by default SITE_URL)."""
    require(actor, "commendation.issue", agency)
    title = _text(title, limit=TITLE_MAX, empty=_("Give the commendation a title."),
                  too_long=_("The title is longer than %(limit)s characters."))
    citation = _text(citation, limit=CITATION_MAX, empty=_("Write the citation: what the person did."),
                     too_long=_("The citation is longer than %(limit)s characters: it must fit the certificate."))
    if not recipient.is_active:
        raise Refused(_("This account is closed; a commendation cannot be sent to it."))
    if recipient.pk == actor.user_id:
        raise Refused(_("You cannot commend yourself."))
    if actor_for_user(recipient).is_agency_staff:
        raise Refused(_("Community commendations go to monitoring operators and residents, not to police "
                        "staff."))
    if incident is not None:
        if incident.agency_id != agency.pk:
            raise Refused(_("This incident was not handled by %(agency)s.") % {"agency": agency.name})
        if incident.is_open:
            raise Refused(_("Commendations are issued after the action: this incident is still open."))
    issued_at = timezone.now()
    with transaction.atomic():
        for attempt in range(NUMBER_ATTEMPTS):
            try:
                with transaction.atomic():  # a savepoint: a number taken meanwhile is retried, not fatal
                    commendation = Commendation.objects.create(
                        agency=agency, recipient=recipient, incident=incident, title=title, citation=citation,
                        issued_by_id=actor.user_id, issued_at=issued_at,
                        number=_next_number(agency, timezone.localdate(issued_at).year))
                break
            except IntegrityError:
                if attempt == NUMBER_ATTEMPTS - 1:
                    raise
        audit_record(action="commendation.issue", actor=actor, target=commendation, organisation=agency,
                     details={"number": commendation.number, "recipient_id": recipient.pk,
                              "incident_id": incident.pk if incident else None, "title": title})
        commendation_id = commendation.pk
        # robust: a queue that is down must not undo the commendation; it is on their account page
        transaction.on_commit(lambda: tasks.commendation_email.enqueue(commendation_id, site_url), robust=True)
    return commendation


def commendation_email_send(*, commendation_id: int, site_url: str = "") -> bool:
    """Tell the recipient about their commendation, in their language. Returns whether an email went out."""
    commendation = Commendation.objects.select_related("agency", "recipient").get(pk=commendation_id)
    recipient = commendation.recipient
    if not recipient.email:
        return False
    path = reverse("incidents:commendation_detail", args=[commendation.pk])
    with translation.override(recipient.preferred_language or settings.LANGUAGE_CODE):
        subject = _("%(agency)s has commended you: %(title)s") % {"agency": commendation.agency.name,
                                                                   "title": commendation.title}
        body = render_to_string("incidents/email/commendation_issued.txt", {
            "commendation": commendation, "recipient_name": selectors.recipient_name(recipient),
            "link": f"{(site_url or settings.SITE_URL).rstrip('/')}{path}", "platform_name": settings.PLATFORM_NAME})
    send_mail(subject, body, None, [recipient.email])
    return True


def commendation_consent_set(*, actor: Actor, commendation: Commendation, public: bool) -> Commendation:
    """The recipient says whether their commendation may be shown publicly; they can change their mind at
    any time, and a withdrawal takes it off the public list at once."""
    require(actor, "commendation.consent", commendation)
    with transaction.atomic():
        locked = Commendation.objects.select_for_update().get(pk=commendation.pk)
        locked.public_consent = bool(public)
        locked.consent_answered_at = timezone.now()
        locked.save(update_fields=["public_consent", "consent_answered_at"])
        audit_record(action="commendation.consent", actor=actor, target=locked, organisation=locked.agency,
                     details={"number": locked.number, "public": locked.public_consent})
    commendation.public_consent, commendation.consent_answered_at = locked.public_consent, locked.consent_answered_at
    return commendation


def commendation_certificate_make(*, actor: Actor, commendation: Commendation) -> bytes:
    """The certificate as PDF, in the current language. A download by the agency's staff (not the recipient,
    not the public) is audited."""
    if selectors.is_agency_staff_of(actor=actor, commendation=commendation) and \
            commendation.recipient_id != actor.user_id:
        audit_record(action="commendation.certificate", actor=actor, target=commendation,
                     details={"number": commendation.number})
    issuer, role = selectors.issuer_label(commendation)
    issued_on = timezone.localtime(commendation.issued_at).date()
    return certificate_pdf(CertificateText(
        agency=commendation.agency.name,
        heading=_("Community Commendation"),
        presented_to=_("is presented to"),
        recipient=selectors.recipient_name(commendation.recipient),
        title=commendation.title,
        citation=commendation.citation,
        date_label=_("Date"),
        date=formats.date_format(issued_on, "DATE_FORMAT"),
        number_label=_("Number"),
        number=commendation.number,
        issued_by_label=_("Issued by"),
        issued_by=", ".join(part for part in (issuer, role) if part) or commendation.agency.name,
    ))


def certificate_filename(commendation: Commendation) -> str:
    """The download's file name, e.g. commendation-TPD-C-2026-0007.pdf."""
    return f"commendation-{re.sub(r'[^A-Za-z0-9-]+', '-', commendation.number)}.pdf"
