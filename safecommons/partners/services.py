"""Writing partners: organisations, contacts, agreements, the data-flow gate, API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone

from safecommons.core.audit.models import AuditEntry
from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import STAFF_ROLES, Actor, require
from safecommons.partners.models import (
    Agreement,
    AgreementGrant,
    AgreementParty,
    ApiKey,
    Contact,
    DataFlow,
    Organisation,
    Scope,
)
from safecommons.partners.selectors import grant_covering, grant_to_any


class NoAgreement(PermissionDenied):
    """No signed agreement in force covers this flow: the data does not move."""


# --- Organisations and contacts


def organisation_create(*, actor: Actor, kind: str, name: str, **fields) -> Organisation:
    require(actor, "organisation.create")
    with transaction.atomic():
        organisation = Organisation.objects.create(kind=kind, name=name, **fields)
        audit_record(action="organisation.created", actor=actor, target=organisation)
    return organisation


def contact_add(*, actor: Actor, organisation: Organisation, name: str, phone: str, **fields) -> Contact:
    require(actor, "organisation.manage", organisation)
    with transaction.atomic():
        contact = Contact.objects.create(organisation=organisation, name=name, phone=phone, **fields)
        audit_record(action="contact.added", actor=actor, target=contact, organisation=organisation)
    return contact


def organisation_contacts_read(*, actor: Actor, organisation: Organisation) -> list[Contact]:
    """Designated contacts. Another organisation's staff see them only under a contact-sharing grant,
    and each such read is recorded as a flow under that agreement."""
    require(actor, "organisation.view_contacts", organisation)
    contacts = list(organisation.contacts.all())
    if organisation.pk not in actor.organisation_ids():
        grant = grant_to_any(scope=Scope.CONTACT_SHARING, provider_id=organisation.pk,
                             recipient_ids=actor.organisation_ids(STAFF_ROLES))
        data_flow_authorize(
            actor=actor, scope=Scope.CONTACT_SHARING, provider=organisation, recipient=grant.recipient,
            purpose="read designated contacts", target=organisation,
        )
    return contacts


# --- The data-flow gate


def data_flow_authorize(
    *,
    actor: Actor,
    scope: str,
    provider: Organisation,
    recipient: Organisation,
    purpose: str,
    case_number: str = "",
    target: models.Model | None = None,
) -> DataFlow:
    """Allow one flow of `scope` data from provider to recipient, or raise NoAgreement.

    Every later capability calls this before data crosses organisations. An allowed flow is recorded
    (partners see it under their agreement) and audited; a refused one is audited too.
    """
    if not purpose.strip():
        raise Refused("A purpose (reason or case number) is required for data to flow.")
    grant = grant_covering(scope=scope, provider_id=provider.pk, recipient_id=recipient.pk)
    object_type = target._meta.label_lower if target is not None else ""
    object_id = str(target.pk) if target is not None else ""
    if grant is None:
        audit_record(
            action="flow.refused", actor=actor, outcome=AuditEntry.Outcome.DENIED, reason=purpose,
            object_type=object_type, object_id=object_id,
            details={"scope": scope, "provider": provider.pk, "recipient": recipient.pk, "case": case_number},
        )
        raise NoAgreement(f"No active agreement lets {Scope(scope).label} flow from {provider} to {recipient}.")
    with transaction.atomic():
        flow = DataFlow.objects.create(
            grant=grant, agreement=grant.agreement, scope=scope, provider=provider, recipient=recipient,
            actor_id=actor.user_id, actor_label=actor.label, purpose=purpose[:500], case_number=case_number[:60],
            object_type=object_type, object_id=object_id,
        )
        audit_record(
            action="flow.authorized", actor=actor, reason=purpose, object_type=object_type, object_id=object_id,
            details={"scope": scope, "agreement": grant.agreement_id, "flow": flow.pk,
                     "provider": provider.pk, "recipient": recipient.pk, "case": case_number},
        )
    return flow


# --- Agreements


@dataclass(frozen=True)
class GrantSpec:
    scope: str
    provider: Organisation
    recipient: Organisation


def agreement_create(
    *,
    actor: Actor,
    title: str,
    purpose: str,
    parties: list[tuple[Organisation, str]],
    grants: list[GrantSpec],
    effective_from: date,
    expires_on: date,
    signed: bool = False,
    document: UploadedFile | None = None,
) -> Agreement:
    """Record an agreement between at least two parties. Grants may only name parties."""
    require(actor, "agreement.manage")
    party_ids = {org.pk for org, _ in parties}
    if len(party_ids) < 2:
        raise Refused("An agreement needs at least two parties.")
    if not party_ids & actor.organisation_ids({"agency_admin"}):
        raise PermissionDenied("agency admins record agreements their agency is party to")
    if expires_on < effective_from:
        raise Refused("The expiry date is before the effective date.")
    for grant in grants:
        if grant.provider.pk not in party_ids or grant.recipient.pk not in party_ids:
            raise Refused("Data can only flow between parties to the agreement.")
        if grant.provider.pk == grant.recipient.pk:
            raise Refused("A grant must name two different parties.")
    with transaction.atomic():
        agreement = Agreement.objects.create(
            title=title, purpose=purpose, effective_from=effective_from, expires_on=expires_on,
            status=Agreement.Status.SIGNED if signed else Agreement.Status.DRAFT,
            signed_at=timezone.now() if signed else None, created_by_id=actor.user_id,
        )
        AgreementParty.objects.bulk_create(
            AgreementParty(agreement=agreement, organisation=org, role=role) for org, role in parties
        )
        AgreementGrant.objects.bulk_create(
            AgreementGrant(agreement=agreement, scope=g.scope, provider=g.provider, recipient=g.recipient)
            for g in grants
        )
        if document is not None:
            _attach_document(agreement, document)
        audit_record(action="agreement.created", actor=actor, target=agreement,
                     details={"parties": sorted(party_ids), "scopes": sorted({g.scope for g in grants}),
                              "effective_from": str(effective_from), "expires_on": str(expires_on)})
    return agreement


def _attach_document(agreement: Agreement, document: UploadedFile) -> None:
    digest = hashlib.sha256()
    for chunk in document.chunks():
        digest.update(chunk)
    agreement.document_sha256 = digest.hexdigest()
    agreement.document.save(document.name, document, save=False)
    agreement.save(update_fields=["document", "document_sha256", "updated_at"])


def agreement_sign(*, actor: Actor, agreement: Agreement, document: UploadedFile | None = None) -> Agreement:
    require(actor, "agreement.manage", agreement)
    if agreement.status != Agreement.Status.DRAFT:
        raise Refused("Only a draft agreement can be signed.")
    with transaction.atomic():
        agreement.status, agreement.signed_at = Agreement.Status.SIGNED, timezone.now()
        agreement.save(update_fields=["status", "signed_at", "updated_at"])
        if document is not None:
            _attach_document(agreement, document)
        audit_record(action="agreement.signed", actor=actor, target=agreement)
    return agreement


def agreement_extend(*, actor: Actor, agreement: Agreement, expires_on: date, reason: str) -> Agreement:
    require(actor, "agreement.manage", agreement)
    if expires_on < agreement.effective_from:
        raise Refused("The expiry date is before the effective date.")
    with transaction.atomic():
        previous = agreement.expires_on
        agreement.expires_on = expires_on
        agreement.save(update_fields=["expires_on", "updated_at"])
        audit_record(action="agreement.changed", actor=actor, target=agreement, reason=reason,
                     details={"expires_on": [str(previous), str(expires_on)]})
    return agreement


def agreement_terminate(*, actor: Actor, agreement: Agreement, reason: str) -> Agreement:
    """End an agreement now: from this moment no flow is allowed under it."""
    require(actor, "agreement.manage", agreement)
    if not reason.strip():
        raise Refused("Say why the agreement is terminated.")
    with transaction.atomic():
        agreement.status, agreement.terminated_at = Agreement.Status.TERMINATED, timezone.now()
        agreement.save(update_fields=["status", "terminated_at", "updated_at"])
        audit_record(action="agreement.terminated", actor=actor, target=agreement, reason=reason)
    return agreement


# --- API keys

KEY_PREFIX = "sc"
LAST_USED_GRANULARITY = timedelta(minutes=1)


def api_key_secret_hash(secret: str) -> str:
    """What is kept of a key's secret (the demo city makes its alarm-center key with it)."""
    # The secret is 256 random bits: a plain SHA-256 is enough and keeps every API call cheap.
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_issue(
    *, actor: Actor, organisation: Organisation, name: str, scopes: list[str], mfa_verified: bool
) -> tuple[ApiKey, str]:
    """A new key; the plain secret is returned once and never stored. Needs a TOTP-verified session."""
    require(actor, "apikey.manage", organisation)
    if not mfa_verified:
        raise PermissionDenied("API keys can only be created from a session verified with a second factor")
    unknown = set(scopes) - set(ApiKey.ApiScope.values)
    if unknown or not scopes:
        raise Refused(f"Choose scopes from: {', '.join(ApiKey.ApiScope.values)}")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            organisation=organisation, name=name, prefix=prefix, secret_hash=api_key_secret_hash(secret),
            scopes=sorted(set(scopes)), created_by_id=actor.user_id,
        )
        audit_record(action="apikey.issued", actor=actor, target=api_key, organisation=organisation,
                     details={"scopes": api_key.scopes})
    return api_key, f"{KEY_PREFIX}_{prefix}_{secret}"


def api_key_revoke(*, actor: Actor, api_key: ApiKey) -> ApiKey:
    require(actor, "apikey.manage", api_key.organisation)
    with transaction.atomic():
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(action="apikey.revoked", actor=actor, target=api_key, organisation=api_key.organisation)
    return api_key


def api_key_authenticate(*, presented: str) -> ApiKey | None:
    """The active key matching `sc_<prefix>_<secret>`, or None."""
    try:
        marker, prefix, secret = presented.strip().split("_", 2)
    except ValueError:
        return None
    if marker != KEY_PREFIX:
        return None
    api_key = ApiKey.objects.select_related("organisation").filter(prefix=prefix, revoked_at__isnull=True).first()
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, api_key_secret_hash(secret)):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_GRANULARITY:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key
