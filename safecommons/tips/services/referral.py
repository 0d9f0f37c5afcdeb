"""Referral of a redacted copy to a partner, only under an agreement in force (the data-flow gate)."""


from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, require
from safecommons.partners.models import Organisation, Scope
from safecommons.partners.services import NoAgreement, data_flow_authorize
from safecommons.tips.models import (
    Tip,
    TipReferral,
)

# --- Referral to a partner (redacted, under an agreement)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# North American numbers as people write them: 555-0100, (612) 555-0100, +1 612.555.0100 (not dates).
_PHONE = re.compile(r"(?<![\w-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])?\d{3}[\s.-]\d{4}(?![\w-])")


def redact(text: str) -> str:
    """Emails and phone numbers out of free text before it leaves the agency."""
    return _PHONE.sub("[phone removed]", _EMAIL.sub("[email removed]", text))


def tip_refer(*, actor: Actor, tip: Tip, organisation: Organisation, purpose: str) -> TipReferral:
    require(actor, "tip.triage", tip)
    return referral_make(actor=actor, tip=tip, organisation=organisation, purpose=purpose)


def referral_make(*, actor: Actor, tip: Tip, organisation: Organisation, purpose: str) -> TipReferral:
    """The referral itself; callers check who may refer (staff) or act under the agency's own rule (routing)."""
    if TipReferral.objects.filter(tip=tip, organisation=organisation).exists():
        raise Refused(_("This tip has already been referred to %(name)s.") % {"name": organisation.name})
    try:  # outside the block below, so that a refusal stays in the audit trail
        flow = data_flow_authorize(actor=actor, scope=Scope.TIP_REFERRALS, provider=tip.agency,
                                   recipient=organisation, purpose=purpose, case_number=tip.reference, target=tip)
    except NoAgreement as exc:
        raise Refused(str(exc)) from exc
    with transaction.atomic():
        summary = redact(tip.description)
        if tip.people_seen:
            summary += "\n\n" + _("People seen:") + " " + redact(tip.people_seen)
        if tip.vehicles_seen:
            summary += "\n\n" + _("Vehicles seen:") + " " + redact(tip.vehicles_seen)
        referral = TipReferral.objects.create(
            tip=tip, organisation=organisation, data_flow=flow, category=tip.category, summary=summary,
            location_text=tip.location_text or (tip.area.name if tip.area_id else ""), event_at=tip.event_at,
        )
    return referral


def referral_acknowledge(*, actor: Actor, referral: TipReferral) -> TipReferral:
    require(actor, "tip.referral", referral)
    with transaction.atomic():
        referral.acknowledged_at = timezone.now()
        referral.save(update_fields=["acknowledged_at"])
        audit_record(action="tip.referral_acknowledged", actor=actor, target=referral,
                     organisation=referral.organisation)
    return referral
