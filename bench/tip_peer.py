"""The peer of bench_tip_submit.py: a bare Django view that inserts the same Tip row and answers 201.

Used as ROOT_URLCONF by tip_bench_settings.py: every product URL, plus POST /bench/tip-peer/.
It stores the same model with the same columns as `tips.services.tip_submit`, but skips everything
that makes a submission trustworthy: no form, no validation, no throttle, no Argon2 (the passphrase
hash and the code digest are strings made once per process, the digest made unique per row cheaply),
no address lookup, no transaction block, no background task, no page rendered.
"""

import secrets

from django.http import HttpResponse, HttpResponseNotAllowed
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from safecommons.partners.models import Organisation, OrganisationKind
from safecommons.tips import credentials, relate
from safecommons.tips.models import LocationKind, Tip

_PASSPHRASE_HASH = credentials.passphrase_hash(credentials.passphrase_new())
_DIGEST_PREFIX = credentials.code_digest(credentials.code_new())[:32]
_agency_id: int | None = None


def _agency() -> int:
    global _agency_id
    if _agency_id is None:
        _agency_id = (Organisation.objects.filter(kind=OrganisationKind.AGENCY).order_by("pk")
                      .values_list("pk", flat=True).first())
    return _agency_id


@csrf_exempt
def tip_insert(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    data = request.POST
    now = timezone.now()
    description = data.get("description", "")
    people_seen, vehicles_seen = data.get("people_seen", ""), data.get("vehicles_seen", "")
    Tip.objects.create(
        reference="B-" + secrets.token_hex(5),
        agency_id=_agency(),
        code_digest=_DIGEST_PREFIX + secrets.token_hex(16),
        passphrase_hash=_PASSPHRASE_HASH,
        category=data.get("category", ""),
        description=description,
        people_seen=people_seen,
        vehicles_seen=vehicles_seen,
        language=data.get("language", "en"),
        location_kind=data.get("location_kind", LocationKind.UNKNOWN),
        location_text=data.get("location_text", ""),
        occurred_text=data.get("occurred_text", ""),
        event_at=now,
        terms=relate.terms_of(description, people_seen, vehicles_seen),
        status_changed_at=now,
    )
    return HttpResponse(b"stored", status=201, content_type="text/plain")


urlpatterns = [
    path("bench/tip-peer/", tip_insert, name="bench_tip_peer"),
    path("", include("safecommons.urls")),
]
