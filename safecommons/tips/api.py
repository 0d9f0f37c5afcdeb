"""The tip line over HTTP. The tipster's operations are public and cookie-free: the code and passphrase
travel in each request body and nothing else identifies the caller. Staff operations need a session."""

from datetime import datetime
from decimal import Decimal

from django.http import HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from safecommons.core.api import PUBLIC_DOC, SESSION_ONLY, request_actor
from safecommons.core.media import upload_wipe
from safecommons.tips import selectors, services, throttle
from safecommons.tips.models import Category, LocationKind, Tip, TipMessage

router = Router(tags=["tips"])


class TipIn(Schema):
    category: Category
    description: str
    people_seen: str = ""
    vehicles_seen: str = ""
    location_kind: LocationKind = LocationKind.UNKNOWN
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


class ReceiptOut(Schema):
    code: str
    passphrase: str
    notice: str


class UnlockIn(Schema):
    code: str
    passphrase: str


class ReplyIn(UnlockIn):
    body: str
    answers: int | None = None


class MessageOut(Schema):
    id: int
    direction: str
    is_question: bool
    answers: int | None
    body: str
    created_at: datetime

    @staticmethod
    def resolve_answers(obj: TipMessage):
        return obj.answers_id


class TipsterTipOut(Schema):
    """What the tipster sees: their tip, the conversation, open questions and any reward offered."""

    category: str
    description: str
    sent_at: datetime
    attachments: int
    messages: list[MessageOut]
    open_questions: list[int]
    reward_offered: Decimal | None
    reward_claimed: bool


class StaffTipOut(Schema):
    reference: str
    agency: str
    category: str
    status: str
    disposition: str
    priority: int
    created_at: datetime
    event_at: datetime
    description: str
    people_seen: str
    vehicles_seen: str
    location_kind: str
    location_text: str
    longitude: float | None
    latitude: float | None
    area: str | None
    assigned_unit: str | None
    assigned_officer: str | None
    contact_opt_in: bool
    contact_name: str
    contact_phone: str
    contact_email: str
    legal_hold: bool
    reward_amount: Decimal | None
    attachments: int
    messages: list[MessageOut]

    @staticmethod
    def resolve_agency(obj: Tip):
        return obj.agency.name

    @staticmethod
    def resolve_area(obj: Tip):
        return obj.area.name if obj.area_id else None

    @staticmethod
    def resolve_assigned_unit(obj: Tip):
        return obj.assigned_unit.name if obj.assigned_unit_id else None

    @staticmethod
    def resolve_assigned_officer(obj: Tip):
        return str(obj.assigned_officer) if obj.assigned_officer_id else None

    @staticmethod
    def resolve_attachments(obj: Tip):
        return obj.attachments.count()

    @staticmethod
    def resolve_messages(obj: Tip):
        return list(obj.messages.all())


class QueueItemOut(Schema):
    reference: str
    category: str
    status: str
    priority: int
    created_at: datetime
    area_id: int | None
    assigned_unit_id: int | None
    assigned_officer_id: int | None


class StaffMessageIn(Schema):
    body: str
    is_question: bool = False


def _tipster_out(tip: Tip) -> TipsterTipOut:
    view = selectors.tipster_view(tip=tip)
    return TipsterTipOut(
        category=tip.category, description=tip.description, sent_at=tip.created_at,
        attachments=view.attachment_count, messages=view.messages, open_questions=[q.pk for q in view.open_questions],
        reward_offered=tip.reward_amount, reward_claimed=tip.reward_claimed_at is not None,
    )


class PayoutOut(Schema):
    payout_code: str
    amount: Decimal
    notice: str


def _no_store(response: HttpResponse) -> None:
    response["Cache-Control"] = "no-store"


@router.post("", response={201: ReceiptOut}, auth=None, openapi_extra=PUBLIC_DOC)
def tip_create(request, response: HttpResponse, payload: TipIn):
    """Send a tip anonymously. The code and passphrase in the answer are shown once and cannot be recovered."""
    _no_store(response)
    receipt = services.tip_submit(data=services.TipInput(**payload.dict()), client_key=throttle.client_key(request))
    return Status(201, ReceiptOut(
        code=receipt.code, passphrase=receipt.passphrase,
        notice="Keep the code and passphrase: they are the only way back to this tip and cannot be recovered.",
    ))


@router.post("/follow-up", response=TipsterTipOut, auth=None, openapi_extra=PUBLIC_DOC)
def tip_follow_up(request, response: HttpResponse, payload: UnlockIn):
    """Read your tip and its replies with the code and passphrase (throttled; wrong or unknown look the same)."""
    _no_store(response)
    tip = services.tip_unlock(code=payload.code, passphrase=payload.passphrase, client_key=throttle.client_key(request))
    return _tipster_out(tip)


@router.post("/follow-up/messages", response={201: TipsterTipOut}, auth=None, openapi_extra=PUBLIC_DOC)
def tip_follow_up_message(request, response: HttpResponse, payload: ReplyIn):
    """Add information or answer a question (`answers`: the question's id)."""
    _no_store(response)
    tip = services.tip_unlock(code=payload.code, passphrase=payload.passphrase, client_key=throttle.client_key(request))
    services.tipster_reply(tip=tip, body=payload.body, answers=payload.answers)
    return Status(201, _tipster_out(tip))


@router.post("/follow-up/files", response={201: TipsterTipOut}, auth=None, openapi_extra=PUBLIC_DOC)
def tip_follow_up_file(request, response: HttpResponse, code: Form[str], passphrase: Form[str],
                       file: File[UploadedFile]):
    """Add a photo, video or document to your tip; its metadata is removed before it is stored."""
    _no_store(response)
    try:
        tip = services.tip_unlock(code=code, passphrase=passphrase, client_key=throttle.client_key(request))
        services.tipster_reply(tip=tip, files=[file])
    finally:
        upload_wipe(file)  # refused or not, no uploaded bytes stay in temporary files
    return Status(201, _tipster_out(tip))


@router.post("/follow-up/reward", response=PayoutOut, auth=None, openapi_extra=PUBLIC_DOC)
def tip_follow_up_reward(request, response: HttpResponse, payload: UnlockIn):
    """Claim the reward offered for your tip: the payout code is shown once. No identity is asked."""
    _no_store(response)
    tip = services.tip_unlock(code=payload.code, passphrase=payload.passphrase,
                              client_key=throttle.client_key(request))
    payout_code = services.tipster_reward_claim(tip=tip)
    return PayoutOut(payout_code=payout_code, amount=tip.reward_amount,
                     notice="Keep the payout code: it is shown once. Show it at the payout point to collect.")


@router.get("", response=list[QueueItemOut], auth=SESSION_ONLY)
def tip_queue(request, response: HttpResponse, status: str = "", category: str = "", priority: int | None = None,
              area_id: int | None = None, age: str = ""):
    """The tip queue: a coordinator's agencies, or the tips assigned to an officer. Newest first, 200 at most."""
    _no_store(response)
    actor = request_actor(request)
    filters = selectors.QueueFilters(status=status, category=category, priority=priority, area_id=area_id, age=age)
    return list(selectors.tip_queue(actor=actor, filters=filters)[:200])


@router.get("/{reference}", response=StaffTipOut, auth=SESSION_ONLY)
def tip_detail(request, response: HttpResponse, reference: str):
    """One tip. Every read is written to the audit trail."""
    _no_store(response)
    actor = request_actor(request)
    return services.tip_open(actor=actor, tip=selectors.tip_get(actor=actor, reference=reference), purpose="api")


@router.post("/{reference}/messages", response={201: MessageOut}, auth=SESSION_ONLY)
def tip_message(request, reference: str, payload: StaffMessageIn):
    """Send the tipster a message or a question; they read it when they come back with their code."""
    actor = request_actor(request)
    tip = selectors.tip_get(actor=actor, reference=reference)
    return Status(201, services.tip_message_send(actor=actor, tip=tip, body=payload.body,
                                                 is_question=payload.is_question))
