"""Live access: an organisation lets an agency watch one camera's stream for a while, under an agreement
with the live-camera-access scope; an officer opens it inside that window with a stated reason; the owner
sees every opening and can revoke at once.

The stream address is stored encrypted (cameras/crypto.py) and leaves the server only in the answer to an
opening: never in the audit trail, a log line or a notice.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.cameras import crypto
from safecommons.cameras.models import Camera, LiveGrant, LiveOpening, OwnerNotice
from safecommons.cameras.selectors import live as live_selectors
from safecommons.cameras.services.notices import owner_notify
from safecommons.core.audit.models import AuditEntry
from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, require
from safecommons.partners.models import Organisation, OrganisationKind, Scope
from safecommons.partners.selectors import grant_covering

STREAM_SCHEMES = ("rtsp", "rtsps", "https")
MAX_GRANT_WINDOW = timedelta(days=30)
MAX_URL_LENGTH = 2000


# A host name or an IP address; nothing else, since the host also goes into the officer page's
# Content-Security-Policy (media-src) when the stream plays in the browser.
_HOST = re.compile(r"[a-z0-9.-]+|[0-9a-f:.]+", re.IGNORECASE)


def _stream_url_clean(stream_url: str) -> str:
    url = (stream_url or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        parts = None
    if (parts is None or parts.scheme.lower() not in STREAM_SCHEMES or not parts.hostname
            or not _HOST.fullmatch(parts.hostname) or len(url) > MAX_URL_LENGTH):
        raise Refused(_("The stream address must be an rtsp://, rtsps:// or https:// address."))
    return url


def _window_clean(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise Refused(_("Give the start and end with their time zone."))
    if ends_at <= starts_at:
        raise Refused(_("The access must end after it starts."))
    if ends_at - starts_at > MAX_GRANT_WINDOW:
        raise Refused(_("Live access lasts at most %(days)s days; grant it again when it ends.")
                      % {"days": MAX_GRANT_WINDOW.days})
    if ends_at <= now:
        raise Refused(_("That window is already over."))


def live_grant_create(*, actor: Actor, camera: Camera, agency: Organisation, stream_url: str,
                      starts_at: datetime, ends_at: datetime, purpose: str) -> LiveGrant:
    """Let `agency` open the camera's stream from `starts_at` to `ends_at` (at most 30 days), for the stated
    purpose. Needs an organisation's active, live-capable camera and an agreement in force letting live
    camera access flow from the camera's owner to the agency; the grant records that agreement."""
    require(actor, "live.grant", camera)
    if camera.status != Camera.Status.ACTIVE:
        raise Refused(_("Only an active camera can be shared live."))
    if not camera.live_share_capable:
        raise Refused(_("This camera is not marked as able to share a live stream. Edit the camera first."))
    if agency.kind != OrganisationKind.AGENCY:
        raise Refused(_("Live access is granted to a law-enforcement agency."))
    covering = grant_covering(scope=Scope.LIVE_CAMERA_ACCESS, provider_id=camera.owner_organisation_id,
                              recipient_id=agency.pk)
    if covering is None:
        raise Refused(_("No agreement in force lets live camera access flow from %(owner)s to %(agency)s.")
                      % {"owner": camera.owner_organisation.name, "agency": agency.name})
    purpose = (purpose or "").strip()
    if not purpose:
        raise Refused(_("Say what the live access is for (e.g. 'Event security, 4 July')."))
    url = _stream_url_clean(stream_url)
    _window_clean(starts_at, ends_at, timezone.now())
    with transaction.atomic():
        grant = LiveGrant.objects.create(
            camera=camera, agency=agency, agreement=covering.agreement, granted_by_id=actor.user_id,
            purpose=purpose[:300], stream_url_encrypted=crypto.stream_url_encrypt(url),
            starts_at=starts_at, ends_at=ends_at,
        )
        audit_record(action="live.granted", actor=actor, target=grant, organisation=camera.owner_organisation,
                     reason=grant.purpose, details={
                         "camera": camera.pk, "agency": agency.pk, "agreement": covering.agreement_id,
                         "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()})
    return grant


def live_grant_revoke(*, actor: Actor, grant: LiveGrant, reason: str = "") -> LiveGrant:
    """End a grant now: the next attempt to open it is refused."""
    require(actor, "live.revoke", grant)
    if grant.revoked_at is not None:
        raise Refused(_("This live access was already revoked."))
    with transaction.atomic():
        grant.revoked_at = timezone.now()
        grant.revoked_by_id = actor.user_id
        grant.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        audit_record(action="live.revoked", actor=actor, target=grant, organisation=grant.camera.owner_organisation,
                     reason=reason.strip(), details={"camera": grant.camera_id, "agency": grant.agency_id})
    return grant


def _open_refusal(grant: LiveGrant, now: datetime) -> tuple[str, str] | None:
    """(code for the audit trail, message for the officer) when the grant cannot be opened now."""
    if grant.revoked_at is not None:
        return "revoked", _("The owner revoked this live access.")
    if now < grant.starts_at:
        return "not_started", _("This live access has not started yet.")
    if now >= grant.ends_at:
        return "ended", _("This live access has ended.")
    if grant.camera.status != Camera.Status.ACTIVE:
        return "camera_" + grant.camera.status, _("The owner has paused or withdrawn this camera.")
    if not live_selectors.live_agreement_in_force(grant=grant):
        return "agreement", _("The agreement that allowed this live access is no longer in force.")
    return None


def live_stream_open(*, actor: Actor, grant: LiveGrant, reason: str) -> str:
    """An officer opens a granted stream: inside the window, not revoked, the agreement still in force and
    the camera active. Every opening is recorded, audited and shown to the owner; every refusal is audited.
    Returns the decrypted stream address (the caller must not log or cache it)."""
    require(actor, "live.open", grant)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Say why you are opening the live view (e.g. the incident or case number)."))
    with transaction.atomic():
        # Read again under a lock: a revocation that committed a moment ago must be seen, and one that comes a
        # moment later waits for this opening to be on the record.
        grant = LiveGrant.objects.select_for_update().select_related("camera", "agency", "agreement").get(pk=grant.pk)
        refusal = _open_refusal(grant, timezone.now())
        if refusal is None:
            address = crypto.stream_url_decrypt(grant.stream_url_encrypted)  # before the owner is told of it
            opening = LiveOpening.objects.create(grant=grant, officer_id=actor.user_id, reason=reason[:300])
            audit_record(action="live.opened", actor=actor, target=grant, organisation=grant.agency,
                         reason=opening.reason, details={"camera": grant.camera_id, "opening": opening.pk})
            owner_notify(kind=OwnerNotice.Kind.LIVE_OPENED, camera=grant.camera, email=False)
            return address
    code, message = refusal
    # Recorded outside the transaction above: a refusal must stay on the record.
    audit_record(action="live.opened", actor=actor, target=grant, organisation=grant.agency, reason=reason[:300],
                 outcome=AuditEntry.Outcome.DENIED, details={"camera": grant.camera_id, "refused": code})
    raise Refused(message)
