"""The tipster's side: send a tip, come back with the code and passphrase, reply, claim a reward.

Nothing here takes a request. The only thing a view passes about the tipster's connection is
`client_key`, a keyed hash that lives in the cache for an hour (throttle.py) and is never stored.
"""


from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.core.errors import Refused, Throttled
from safecommons.core.media import CleanFile, media_clean, upload_wipe
from safecommons.core.tasks import enqueue_with_transaction
from safecommons.partners.models import Organisation, OrganisationKind
from safecommons.places.selectors import address_locate, areas_at_point
from safecommons.tips import credentials, relate, throttle
from safecommons.tips.models import (
    Category,
    LocationKind,
    Tip,
    TipAttachment,
    TipMessage,
)

MAX_TEXT = 10_000
MAX_FILES = 10


@dataclass
class TipInput:
    category: str
    description: str
    people_seen: str = ""
    vehicles_seen: str = ""
    location_kind: str = LocationKind.UNKNOWN
    location_text: str = ""
    longitude: float | None = None
    latitude: float | None = None
    occurred_at: datetime | None = None
    occurred_text: str = ""
    language: str = "en"
    contact_opt_in: bool = False
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


@dataclass(frozen=True)
class Receipt:
    """Shown once to the tipster and then gone: only digests of it are kept."""

    tip: Tip
    code: str
    passphrase: str


# --- The tipster's side


def tip_submit(*, data: TipInput, files=(), client_key: str) -> Receipt:
    """Take a tip. Files are cleaned of metadata before anything is stored; a refused file stores nothing."""
    if throttle.hit("submit", client_key) > settings.TIP_SUBMISSIONS_PER_HOUR:
        _wipe_all(files)
        raise Throttled(_("Too many tips have been sent in a short time. Please wait a while, "
                                "or call the non-emergency line."))
    if data.occurred_at is not None and timezone.is_naive(data.occurred_at):
        data = replace(data, occurred_at=timezone.make_aware(data.occurred_at))  # read as the agency's local time
    try:
        _validate(data)
    except Refused:
        _wipe_all(files)
        raise
    cleaned = _clean_files(files)
    longitude, latitude, area = _locate(data)
    now = timezone.now()
    code, passphrase = credentials.code_new(), credentials.passphrase_new()
    stored: list[str] = []
    try:
        with transaction.atomic():
            tip = Tip.objects.create(
                reference=credentials.reference_new(),
                agency_id=_receiving_agency_id(area),
                code_digest=credentials.code_digest(code),
                passphrase_hash=credentials.passphrase_hash(passphrase),
                category=data.category,
                description=data.description.strip(),
                people_seen=data.people_seen.strip(),
                vehicles_seen=data.vehicles_seen.strip(),
                language=data.language if data.language in dict(settings.LANGUAGES) else "en",
                location_kind=data.location_kind,
                location_text=data.location_text.strip()[:300],
                longitude=longitude,
                latitude=latitude,
                area=area,
                occurred_at=data.occurred_at,
                occurred_text=data.occurred_text.strip()[:120],
                event_at=data.occurred_at or now,
                terms=relate.terms_of(data.description, data.people_seen, data.vehicles_seen),
                contact_opt_in=data.contact_opt_in,
                contact_name=data.contact_name.strip()[:120] if data.contact_opt_in else "",
                contact_phone=data.contact_phone.strip()[:40] if data.contact_opt_in else "",
                contact_email=data.contact_email.strip()[:254] if data.contact_opt_in else "",
                status_changed_at=now,
            )
            stored = _store_files(tip, cleaned)
            # If the queue is down the tipster still gets the receipt; tips_process_pending catches up.
            _enqueue_processing(tip.pk)
    except BaseException:
        delete_files(stored)  # nothing of a failed submission stays on disk
        raise
    return Receipt(tip=tip, code=code, passphrase=passphrase)


def _enqueue_processing(tip_id: int) -> None:
    from safecommons.tips.tasks import tip_process

    enqueue_with_transaction(tip_process, tip_id)


def tip_unlock(*, code: str, passphrase: str, client_key: str) -> Tip:
    """The tipster's way back in. An unknown code and a wrong passphrase look and cost the same."""
    code_key = credentials.code_digest(code)
    # Count the try before checking it, so parallel guesses cannot all slip under the limit.
    by_client = throttle.hit("unlock-client", client_key)
    by_code = throttle.hit("unlock-code", code_key)
    if by_client > settings.TIP_FOLLOW_UP_FAILURES * 4 or by_code > settings.TIP_FOLLOW_UP_FAILURES:
        raise Throttled(_("Too many tries. Wait an hour and try again."))
    tip = Tip.objects.filter(code_digest=code_key).first()
    if not credentials.passphrase_matches(tip.passphrase_hash if tip else None, passphrase):
        raise Refused(_("That code and passphrase do not match a tip. Check both and try again."))
    throttle.reset("unlock-code", code_key)
    return tip


_ACCESS_SALT = "tips.follow-up"
ACCESS_MAX_AGE = 30 * 60


def tipster_access_token(*, tip: Tip) -> str:
    """Carries the tipster from one follow-up form to the next, in the page (never a cookie); 30 minutes."""
    return signing.dumps(tip.pk, salt=_ACCESS_SALT)


def tip_from_access_token(token: str) -> Tip | None:
    try:
        tip_id = signing.loads(token, salt=_ACCESS_SALT, max_age=ACCESS_MAX_AGE)
    except signing.BadSignature:
        return None
    return Tip.objects.filter(pk=tip_id).first()


def tipster_reply(*, tip: Tip, body: str = "", answers: int | None = None, files=()) -> TipMessage | None:
    """The tipster adds information, answers a question, or sends more files."""
    body = body.strip()
    if not body and not files:
        raise Refused(_("Write something or choose a file to send."))
    if len(body) > MAX_TEXT:
        _wipe_all(files)
        raise Refused(_("Please keep a message under 10,000 characters."))
    question = None
    if answers is not None:
        question = tip.messages.filter(pk=answers, is_question=True, direction=TipMessage.Direction.TO_TIPSTER,
                                       answered_by__isnull=True).first()
        if question is None:
            _wipe_all(files)
            raise Refused(_("That question is no longer open."))
    cleaned = _clean_files(files, already=tip.attachments.count())
    stored: list[str] = []
    try:
        with transaction.atomic():
            message = None
            if body:
                message = TipMessage.objects.create(tip=tip, direction=TipMessage.Direction.FROM_TIPSTER, body=body,
                                                    answers=question)
            stored = _store_files(tip, cleaned)
            Tip.objects.filter(pk=tip.pk).update(updated_at=timezone.now())
    except BaseException:
        delete_files(stored)
        raise
    return message


def tipster_reward_claim(*, tip: Tip) -> str:
    """Give the tipster a payout code for the reward staff set. Shown once; identity is never asked."""
    with transaction.atomic():
        tip = Tip.objects.select_for_update().get(pk=tip.pk)
        if tip.reward_amount is None:
            raise Refused(_("No reward has been offered for this tip."))
        if tip.reward_claimed_at is not None:
            raise Refused(_("The reward for this tip has already been claimed. The payout code was shown once, "
                            "when it was claimed."))
        payout_code = credentials.code_new()
        tip.payout_code_digest = credentials.code_digest(payout_code)
        tip.reward_claimed_at = timezone.now()
        tip.save(update_fields=["payout_code_digest", "reward_claimed_at", "updated_at"])
    return payout_code


# --- Checks and storage


def _validate(data: TipInput) -> None:
    if data.category not in Category.values:
        raise Refused(_("Choose what the tip is about."))
    if len(data.description.strip()) < 10:
        raise Refused(_("Tell us what happened in a few words (at least 10 characters)."))
    if max(len(data.description), len(data.people_seen), len(data.vehicles_seen)) > MAX_TEXT:
        raise Refused(_("Please keep each box under 10,000 characters."))
    if data.location_kind not in LocationKind.values:
        raise Refused(_("Say where it happened, or choose 'I don't know'."))
    if data.location_kind == LocationKind.MAP and (data.longitude is None or data.latitude is None):
        raise Refused(_("Pick the place on the map, or type an address instead."))
    if (data.longitude is None) != (data.latitude is None):
        raise Refused(_("Give both the latitude and the longitude of the place, or neither."))
    if data.longitude is not None and not (-180 <= data.longitude <= 180 and -90 <= data.latitude <= 90):
        raise Refused(_("That place is not on the map."))
    if data.location_kind == LocationKind.ADDRESS and not data.location_text.strip():
        raise Refused(_("Type the address or describe the place, or choose 'I don't know'."))
    if data.occurred_at and data.occurred_at > timezone.now() + timedelta(hours=1):
        raise Refused(_("The time it happened is in the future."))
    if data.contact_opt_in and not (data.contact_phone.strip() or data.contact_email.strip()):
        raise Refused(_("You chose to give contact details: add a phone number or an email, or untick the box."))


def _locate(data: TipInput):
    longitude, latitude = data.longitude, data.latitude
    if data.location_kind == LocationKind.ADDRESS and longitude is None:
        located, _suggestions = address_locate(text=data.location_text, suggest=False)
        if located is not None:
            longitude, latitude = located.longitude, located.latitude
    if data.location_kind == LocationKind.UNKNOWN:
        longitude = latitude = None
    area = None
    if longitude is not None and latitude is not None:
        area = next(iter(areas_at_point(longitude=longitude, latitude=latitude)), None)
    return longitude, latitude, area


def _receiving_agency_id(area) -> int:
    if area is not None:
        return area.agency_id
    agency_id = Organisation.objects.filter(kind=OrganisationKind.AGENCY).order_by("pk").values_list(
        "pk", flat=True).first()
    if agency_id is None:
        raise Refused(_("This tip line is not set up yet. Please call the police non-emergency line."))
    return agency_id



def _clean_files(files, *, already: int = 0) -> list[CleanFile]:
    files = list(files)
    if len(files) + already > MAX_FILES:
        _wipe_all(files)
        raise Refused(_("A tip can carry at most %(count)d files.") % {"count": MAX_FILES})
    cleaned = []
    try:
        for upload in files:
            cleaned.append(media_clean(upload, max_bytes=settings.TIP_ATTACHMENT_MAX_BYTES))
    except Refused:
        _wipe_all(files)
        for clean in cleaned:
            clean.content.close()
        raise
    return cleaned


def _wipe_all(files) -> None:
    for upload in files:
        upload_wipe(upload)


def _store_files(tip: Tip, cleaned: list[CleanFile]) -> list[str]:
    """Save the cleaned files under random names; the caller deletes them if its transaction fails."""
    names: list[str] = []
    try:
        for clean in cleaned:
            names.append(default_storage.save(f"tips/{secrets.token_hex(16)}{clean.extension}", clean.content))
            TipAttachment.objects.create(tip=tip, file=names[-1], kind=clean.kind, content_type=clean.content_type,
                                         size=clean.size, sha256=clean.sha256)
    except BaseException:
        delete_files(names)
        raise
    finally:
        for clean in cleaned:
            clean.content.close()
    return names


def delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
