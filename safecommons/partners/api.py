from datetime import date, datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from safecommons.core.api import OPTIONAL, OPTIONAL_DOC, SESSION_ONLY, SIGNED_IN, request_actor
from safecommons.core.errors import Refused
from safecommons.partners import selectors, services
from safecommons.partners.models import ApiKey, Organisation, Scope
from safecommons.partners.services import GrantSpec

router = Router(tags=["partners"])


class OrganisationOut(Schema):
    id: int
    slug: str
    kind: str
    name: str
    description: str
    public_phone: str
    public_email: str
    website: str
    address: str


class ContactOut(Schema):
    name: str
    title: str
    phone: str
    email: str
    is_24_7: bool
    escalation_order: int


class PartyOut(Schema):
    organisation_id: int
    organisation_name: str
    role: str


class GrantOut(Schema):
    scope: str
    provider_id: int
    recipient_id: int


class AgreementOut(Schema):
    id: int
    title: str
    purpose: str
    state: str
    effective_from: date
    expires_on: date
    document_sha256: str
    parties: list[PartyOut]
    grants: list[GrantOut]

    @staticmethod
    def resolve_parties(obj):
        return [PartyOut(organisation_id=p.organisation_id, organisation_name=p.organisation.name, role=p.role)
                for p in obj.party_roles.all()]

    @staticmethod
    def resolve_grants(obj):
        return [GrantOut(scope=g.scope, provider_id=g.provider_id, recipient_id=g.recipient_id)
                for g in obj.grants.all()]


class FlowOut(Schema):
    id: int
    scope: str
    provider_id: int
    recipient_id: int
    actor_label: str
    purpose: str
    case_number: str
    object_type: str
    object_id: str
    created_at: datetime


class PartyIn(Schema):
    organisation: str  # slug
    role: str


class GrantIn(Schema):
    scope: str
    provider: str  # slug
    recipient: str  # slug


class AgreementIn(Schema):
    title: str
    purpose: str
    parties: list[PartyIn]
    grants: list[GrantIn]
    effective_from: date
    expires_on: date
    signed: bool = False


class TerminationIn(Schema):
    reason: str


class ApiKeyIn(Schema):
    name: str
    scopes: list[str]


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyOut):
    key: str


@router.get("/organisations", response=list[OrganisationOut], auth=OPTIONAL, openapi_extra=OPTIONAL_DOC)
def organisation_list(request, kind: str = "", q: str = ""):
    """The partner directory: listed organisations, plus your own and (for agency staff) all."""
    actor = request_actor(request, "organisations:read")
    return list(selectors.organisations_directory(actor=actor, kind=kind, query=q))


@router.get("/organisations/{slug}", response=OrganisationOut, auth=OPTIONAL, openapi_extra=OPTIONAL_DOC)
def organisation_detail(request, slug: str):
    return selectors.organisation_get(actor=request_actor(request, "organisations:read"), slug=slug)


@router.get("/organisations/{slug}/contacts", response=list[ContactOut], auth=SIGNED_IN)
def organisation_contacts(request, slug: str):
    """Designated contacts: for the organisation's own staff, and for partners under a contact-sharing grant."""
    actor = request_actor(request, "contacts:read")
    organisation = selectors.organisation_get(actor=actor, slug=slug)
    return services.organisation_contacts_read(actor=actor, organisation=organisation)


@router.get("/agreements", response=list[AgreementOut], auth=SIGNED_IN)
def agreement_list(request):
    """Agreements your organisations are party to (oversight: all)."""
    return list(selectors.agreements_for(actor=request_actor(request, "agreements:read")))


@router.post("/agreements", response={201: AgreementOut}, auth=SESSION_ONLY)
def agreement_create(request, payload: AgreementIn):
    """Record an agreement your agency is party to (agency admins), with what may flow between whom."""
    slugs = {p.organisation for p in payload.parties} | {s for g in payload.grants for s in (g.provider, g.recipient)}
    organisations = {o.slug: o for o in Organisation.objects.filter(slug__in=slugs)}
    if missing := slugs - organisations.keys():
        raise Refused(f"Unknown organisations: {', '.join(sorted(missing))}")
    if unknown_scopes := {g.scope for g in payload.grants} - set(Scope.values):
        raise Refused(f"Unknown scopes: {', '.join(sorted(unknown_scopes))}")
    agreement = services.agreement_create(
        actor=request_actor(request), title=payload.title, purpose=payload.purpose, signed=payload.signed,
        parties=[(organisations[p.organisation], p.role) for p in payload.parties],
        grants=[GrantSpec(g.scope, organisations[g.provider], organisations[g.recipient]) for g in payload.grants],
        effective_from=payload.effective_from, expires_on=payload.expires_on,
    )
    return Status(201, selectors.agreement_get(actor=request_actor(request), agreement_id=agreement.pk))


@router.post("/agreements/{agreement_id}/terminate", response=AgreementOut, auth=SESSION_ONLY)
def agreement_end(request, agreement_id: int, payload: TerminationIn):
    """End an agreement now (agency admins of a party): from this moment nothing flows under it."""
    actor = request_actor(request)
    agreement = selectors.agreement_get(actor=actor, agreement_id=agreement_id)
    services.agreement_terminate(actor=actor, agreement=agreement, reason=payload.reason)
    return selectors.agreement_get(actor=actor, agreement_id=agreement_id)


@router.get("/agreements/{agreement_id}", response=AgreementOut, auth=SIGNED_IN)
def agreement_detail(request, agreement_id: int):
    return selectors.agreement_get(actor=request_actor(request, "agreements:read"), agreement_id=agreement_id)


@router.get("/agreements/{agreement_id}/flows", response=list[FlowOut], auth=SIGNED_IN)
def agreement_flows(request, agreement_id: int):
    """Every data flow made under the agreement."""
    actor = request_actor(request, "agreements:read")
    agreement = selectors.agreement_get(actor=actor, agreement_id=agreement_id)
    return list(selectors.flows_under(actor=actor, agreement=agreement)[:1000])


@router.get("/organisations/{slug}/api-keys", response=list[ApiKeyOut], auth=SESSION_ONLY)
def api_key_list(request, slug: str):
    actor = request_actor(request)
    organisation = selectors.organisation_get(actor=actor, slug=slug)
    return list(selectors.api_keys_of(actor=actor, organisation=organisation))


@router.post("/organisations/{slug}/api-keys", response={201: ApiKeyIssued}, auth=SESSION_ONLY)
def api_key_create(request, slug: str, payload: ApiKeyIn):
    """Issue a key (partner admins, from a TOTP-verified session). The secret is shown in this answer only."""
    actor = request_actor(request)
    organisation = selectors.organisation_get(actor=actor, slug=slug)
    api_key, secret = services.api_key_issue(
        actor=actor, organisation=organisation, name=payload.name, scopes=payload.scopes,
        mfa_verified=request.user.is_verified(),
    )
    return Status(201, ApiKeyIssued(**ApiKeyOut.from_orm(api_key).dict(), key=secret))


@router.delete("/api-keys/{key_id}", response={204: None}, auth=SESSION_ONLY)
def api_key_delete(request, key_id: int):
    """Revoke a key at once."""
    api_key = get_object_or_404(ApiKey.objects.select_related("organisation"), pk=key_id)
    services.api_key_revoke(actor=request_actor(request), api_key=api_key)
    return Status(204, None)
