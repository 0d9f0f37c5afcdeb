"""The one place that decides what an actor may see and do.

Views, API handlers and selectors ask `may()` / `require()`; none of them test roles by hand.
Data flowing between organisations is decided by agreements (`partners.selectors.grant_covering`),
which the rules below consult where a rule depends on one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied

from safecommons.core.compiled import CompiledRead
from safecommons.core.roles import AGENCY_ROLES, IDLE_LIMITED_ROLES, MFA_ROLES, PARTNER_ROLES, Role


@dataclass(frozen=True)
class MembershipRef:
    organisation_id: int
    organisation_name: str
    organisation_kind: str
    role: str


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in person, an organisation's API key, or nobody."""

    user_id: int | None
    label: str
    memberships: tuple[MembershipRef, ...] = ()
    api_key_id: int | None = None
    api_scopes: frozenset[str] = field(default_factory=frozenset)
    name: str = ""  # the person's display name, if they gave one

    @property
    def is_anonymous(self) -> bool:
        # An actor with memberships but no user or key acts for an organisation on its own rules
        # (a tip routing rule): named in the audit trail, not anonymous.
        return self.user_id is None and self.api_key_id is None and not self.memberships

    @property
    def roles(self) -> frozenset[str]:
        held = {m.role for m in self.memberships}
        if self.user_id is not None:
            held.add(Role.RESIDENT)
        return frozenset(held)

    @property
    def primary_membership(self) -> MembershipRef | None:
        """The membership with the widest role, used to label audit entries."""
        order = list(Role)
        return min(self.memberships, key=lambda m: -order.index(Role(m.role)), default=None)

    def organisation_ids(self, roles: Iterable[str] | None = None) -> set[int]:
        wanted = set(roles) if roles is not None else None
        return {m.organisation_id for m in self.memberships if wanted is None or m.role in wanted}

    def holds(self, roles: Iterable[str], organisation_id: int | None = None) -> bool:
        wanted = set(roles)
        return any(
            m.role in wanted and (organisation_id is None or m.organisation_id == organisation_id)
            for m in self.memberships
        )

    @property
    def needs_mfa(self) -> bool:
        return bool(self.roles & MFA_ROLES)

    @property
    def is_idle_limited(self) -> bool:
        return bool(self.roles & IDLE_LIMITED_ROLES)

    @property
    def is_agency_staff(self) -> bool:
        return self.holds(AGENCY_ROLES)

    @property
    def is_partner_staff(self) -> bool:
        return self.holds(PARTNER_ROLES)

    @property
    def is_monitoring_operator(self) -> bool:
        """Works a security company's live console (hands incidents to police)."""
        return bool(incident_companies(self))


ANONYMOUS = Actor(user_id=None, label="anonymous")

STAFF_ROLES = AGENCY_ROLES | PARTNER_ROLES
MANAGER_ROLES = {Role.PARTNER_ADMIN, Role.AGENCY_ADMIN}


def _memberships_query(user_id: int):
    from safecommons.accounts.models import Membership

    return Membership.objects.active().filter(user_id=user_id).values_list(
        "organisation_id", "organisation__name", "organisation__kind", "role")


_MEMBERSHIPS = CompiledRead(_memberships_query,
                            stand_ins=({"user_id": -1001}, {"user_id": 2002}, {"user_id": 30_000_001}))


def actor_for_user(user: Any) -> Actor:
    """Build the actor for a user once per request (memberships read in one query)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_safecommons_actor", None)
    if cached is not None:
        return cached
    # The four values only, by SQL compiled once: every signed-in request asks, and a row of each model, or
    # the query built anew, would cost it more.
    memberships = tuple(MembershipRef(*values) for values in _MEMBERSHIPS.rows(user_id=user.pk))
    actor = Actor(user_id=user.pk, label=user.email, memberships=memberships, name=user.display_name)
    user._safecommons_actor = actor
    return actor


def actor_for_api_key(api_key: Any) -> Actor:
    organisation = api_key.organisation
    ref = MembershipRef(organisation.pk, organisation.name, organisation.kind, Role.PARTNER_MEMBER)
    return Actor(
        user_id=None,
        label=f"api-key:{api_key.prefix}",
        memberships=(ref,),
        api_key_id=api_key.pk,
        api_scopes=frozenset(api_key.scopes),
    )


# --- Rules. Each takes the actor and the target and answers yes or no.


def _manages(actor: Actor, organisation_id: int) -> bool:
    return actor.holds(MANAGER_ROLES, organisation_id)


def _is_staff_of(actor: Actor, organisation_id: int) -> bool:
    return actor.holds(STAFF_ROLES | {Role.PARTNER_MEMBER}, organisation_id)


def _view_contacts(actor: Actor, organisation) -> bool:
    if actor.holds(STAFF_ROLES, organisation.pk) or _manages(actor, organisation.pk):
        return True
    from safecommons.partners.models import Scope
    from safecommons.partners.selectors import grant_to_any

    recipients = actor.organisation_ids(STAFF_ROLES)
    grant = grant_to_any(scope=Scope.CONTACT_SHARING, provider_id=organisation.pk, recipient_ids=recipients)
    return grant is not None


def _agreement_party(actor: Actor, agreement) -> bool:
    if actor.holds({Role.OVERSIGHT}):
        return True
    party_ids = {p.pk for p in agreement.parties.all()}
    return bool(actor.organisation_ids(STAFF_ROLES) & party_ids)


def _manage_agreement(actor: Actor, agreement) -> bool:
    if agreement is None:
        return actor.holds({Role.AGENCY_ADMIN})
    return bool(actor.organisation_ids({Role.AGENCY_ADMIN}) & {p.pk for p in agreement.parties.all()})


def _agency_role_for_area(roles: set[str]) -> Callable[[Actor, Any], bool]:
    def rule(actor: Actor, area) -> bool:
        agency_id = area.agency_id if hasattr(area, "agency_id") else getattr(area, "pk", None)
        return actor.holds(roles, agency_id) if agency_id else actor.holds(roles)

    return rule


# Tips: coordinators (analysts, supervisors, admins) see the agency's whole queue; an officer sees the
# tips assigned to them. Nobody outside the receiving agency reads a tip; partners get redacted referrals.
TIP_COORDINATORS = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.AGENCY_ADMIN})
TIP_OFFICER_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR})  # whom a tip can be assigned to
TIP_REWARD_ROLES = frozenset({Role.SUPERVISOR, Role.AGENCY_ADMIN})


def _tip_read(actor: Actor, tip) -> bool:
    if actor.holds(TIP_COORDINATORS, tip.agency_id):
        return True
    return tip.assigned_officer_id == actor.user_id and actor.holds({Role.OFFICER}, tip.agency_id)


def _tip_queue(actor: Actor, agency) -> bool:
    roles = TIP_COORDINATORS | {Role.OFFICER}
    return actor.holds(roles, agency.pk) if agency is not None else actor.holds(roles)


def _tip_referral(actor: Actor, referral) -> bool:
    return actor.api_key_id is None and actor.holds({Role.PARTNER_MEMBER, Role.PARTNER_ADMIN},
                                                      referral.organisation_id)


def _camera_register(actor: Actor, organisation) -> bool:
    """For oneself (a person signed in), for an organisation one works for, or, as its security company,
    for a client organisation one has an agreement in force with."""
    if organisation is None:
        return actor.user_id is not None and actor.api_key_id is None
    if actor.holds(PARTNER_ROLES, organisation.pk):
        return True
    from safecommons.partners.selectors import agreement_in_force_between

    return any(agreement_in_force_between(m.organisation_id, organisation.pk) for m in actor.memberships
               if m.role in PARTNER_ROLES and m.organisation_kind == "security_company")


def _camera_manage(actor: Actor, camera) -> bool:
    """The owner; for an organisation's camera its staff, and the staff of the security company managing it
    for as long as the two have an agreement in force (cameras/selectors/registry.py: camera_manage_q)."""
    if camera.owner_user_id is not None:
        return actor.api_key_id is None and camera.owner_user_id == actor.user_id
    if actor.holds(PARTNER_ROLES, camera.owner_organisation_id):
        return True
    if camera.managed_by_id is None or not actor.holds(PARTNER_ROLES, camera.managed_by_id):
        return False
    from safecommons.partners.selectors import agreement_in_force_between

    return agreement_in_force_between(camera.managed_by_id, camera.owner_organisation_id)


# Cameras: who canvasses and asks for footage, who handles evidence, who may watch a granted live stream.
CANVASS_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR})
EVIDENCE_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.AGENCY_ADMIN})


def _canvass_view(actor: Actor, canvass) -> bool:
    """The officer who opened it, and the agency's supervisors."""
    if actor.api_key_id is not None:
        return False
    return ((canvass.officer_id == actor.user_id and actor.holds(CANVASS_ROLES, canvass.agency_id))
            or actor.holds({Role.SUPERVISOR}, canvass.agency_id))


def _evidence_upload(actor: Actor, target) -> bool:
    """Agency staff add to their agency's locker; an owner uploads only in answer to a request still open."""
    from safecommons.cameras.models import FootageRequest

    if actor.api_key_id is not None:
        return False
    if isinstance(target, FootageRequest):
        return target.status == FootageRequest.Status.PENDING and _camera_manage(actor, target.camera)
    return actor.holds(EVIDENCE_ROLES, getattr(target, "pk", None))


def _evidence_handed_over(item) -> bool:
    """An owner's files for a request reach the police only when the owner sends them (approves): until then
    they are the owner's draft, and a decline or "no footage" discards them."""
    from safecommons.cameras.models import FootageRequest

    return item.footage_request_id is None or item.footage_request.status == FootageRequest.Status.APPROVED


# Live incidents: a security company's operators hand incidents to an agency only under an agreement in
# force granting it alarm events; the agency's officers and supervisors work them (the live board).
INCIDENT_POLICE_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR})
INCIDENT_OPERATOR_ROLES = frozenset({Role.SECURITY_OPERATOR, Role.PARTNER_ADMIN})
COMMENDATION_ROLES = frozenset({Role.SUPERVISOR, Role.AGENCY_ADMIN})
ALARM_STATS_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.AGENCY_ADMIN})
CRIME_IMPORTERS = frozenset({Role.ANALYST, Role.AGENCY_ADMIN})


def incident_companies(actor: Actor) -> set[int]:
    """The security companies the actor works for as an operator (people only; alarm centers use keys)."""
    if actor.api_key_id is not None:
        return set()
    return {m.organisation_id for m in actor.memberships
            if m.role in INCIDENT_OPERATOR_ROLES and m.organisation_kind == "security_company"}


def incident_agencies(actor: Actor) -> set[int]:
    """The agencies whose live incidents the actor works as police (people only)."""
    if actor.api_key_id is not None:
        return set()
    return actor.organisation_ids(INCIDENT_POLICE_ROLES)


def incident_handoff_company(actor: Actor, agency) -> int | None:
    """The first of the actor's security companies that an agreement in force lets hand alarm events and
    incidents to `agency`; None when there is none."""
    from safecommons.partners.models import Scope
    from safecommons.partners.selectors import grant_covering

    for company_id in sorted(incident_companies(actor)):
        if grant_covering(scope=Scope.ALARM_EVENTS, provider_id=company_id, recipient_id=agency.pk):
            return company_id
    return None


# Alerts: officers, liaisons, supervisors and admins compose; a public alert goes out only when a second
# person, a supervisor or admin of the same agency who did not compose it, approves it. Newsletters are
# prepared by liaisons and analysts (and supervisors, admins) and approved by liaisons, supervisors, admins.
ALERT_COMPOSERS = frozenset({Role.OFFICER, Role.LIAISON, Role.SUPERVISOR, Role.AGENCY_ADMIN})
ALERT_APPROVERS = frozenset({Role.SUPERVISOR, Role.AGENCY_ADMIN})
NEWSLETTER_PREPARERS = frozenset({Role.LIAISON, Role.ANALYST, Role.SUPERVISOR, Role.AGENCY_ADMIN})
NEWSLETTER_APPROVERS = frozenset({Role.LIAISON, Role.SUPERVISOR, Role.AGENCY_ADMIN})


def _agency_id(target) -> int | None:
    """The agency a target belongs to: an alert, newsletter or subscription by its agency, an agency itself."""
    if target is None:
        return None
    return target.agency_id if hasattr(target, "agency_id") else getattr(target, "pk", None)


def _people_holding(roles: frozenset[str]) -> Callable[[Actor, Any], bool]:
    def rule(actor: Actor, target) -> bool:
        return actor.api_key_id is None and actor.holds(roles, _agency_id(target))

    return rule


def _alert_approve(actor: Actor, alert) -> bool:
    """The second person: an approver of the alert's agency who is not the one who composed it."""
    return (actor.api_key_id is None and actor.holds(ALERT_APPROVERS, alert.agency_id)
            and alert.composed_by_id is not None and alert.composed_by_id != actor.user_id)


def _alert_view_restricted(actor: Actor, alert) -> bool:
    """A published Restricted alert: its agency's staff, and the partner staff of an organisation party to
    a signed agreement in force (any scope) with the agency. A partner role alone is not enough."""
    if actor.api_key_id is not None:
        return False
    if actor.holds(AGENCY_ROLES, alert.agency_id):
        return True
    partner_organisations = actor.organisation_ids(PARTNER_ROLES)
    if not partner_organisations:
        return False
    from safecommons.partners.selectors import partners_in_force_with

    return alert.agency_id in partners_in_force_with(partner_organisations)


def _subscription_manage(actor: Actor, subscription) -> bool:
    """Its holder: the person, or an admin of the partner organisation holding it. (Without an account, the
    signed link in every message stands in for this; see alerts/services/subscriptions.py.)"""
    if actor.api_key_id is not None:
        return False
    if subscription.user_id is not None:
        return subscription.user_id == actor.user_id
    return subscription.organisation_id is not None and _manages(actor, subscription.organisation_id)


def _incident_police(actor: Actor, incident) -> bool:
    return actor.api_key_id is None and actor.holds(INCIDENT_POLICE_ROLES, incident.agency_id)


def _incident_operator(actor: Actor, incident) -> bool:
    return incident.company_id in incident_companies(actor)


def _incident_update(actor: Actor, incident) -> bool:
    """The company's operators, while the incident is open and the agreement is still in force."""
    if not incident.is_open or not _incident_operator(actor, incident):
        return False
    from safecommons.partners.models import Scope
    from safecommons.partners.selectors import grant_exists

    return grant_exists(scope=Scope.ALARM_EVENTS, provider_id=incident.company_id, recipient_id=incident.agency_id)


def _commendation_view(actor: Actor, commendation) -> bool:
    return (commendation.public_consent is True or commendation.recipient_id == actor.user_id
            or actor.holds(AGENCY_ROLES, commendation.agency_id))


RULES: dict[str, Callable[[Actor, Any], bool]] = {
    "organisation.create": lambda actor, _: actor.holds({Role.AGENCY_ADMIN}),
    "organisation.manage": lambda actor, org: _manages(actor, org.pk),
    "organisation.view_contacts": _view_contacts,
    "organisation.view_private": lambda actor, org: _is_staff_of(actor, org.pk) or actor.is_agency_staff,
    "membership.manage": lambda actor, org: _manages(actor, org.pk),
    "apikey.manage": lambda actor, org: actor.api_key_id is None and _manages(actor, org.pk),
    "agreement.list": lambda actor, _: actor.holds(STAFF_ROLES | {Role.OVERSIGHT}),
    "agreement.view": _agreement_party,
    "agreement.manage": _manage_agreement,
    "area.import": _agency_role_for_area({Role.AGENCY_ADMIN, Role.ANALYST}),
    "officer.assign": _agency_role_for_area({Role.AGENCY_ADMIN, Role.SUPERVISOR}),
    # Community reports: a signed-in person, or an organisation key holding reports:submit (Open311).
    "report.submit": lambda actor, _: (
        actor.user_id is not None if actor.api_key_id is None else "reports:submit" in actor.api_scopes
    ),
    "report.view": lambda actor, report: (
        (actor.user_id is not None and report.reporter_id == actor.user_id)
        or actor.holds(AGENCY_ROLES, report.agency_id)
    ),
    "report.manage": lambda actor, report: actor.holds(AGENCY_ROLES, report.agency_id),
    # The staff queue: of one agency when given, of any agency the actor serves otherwise.
    "report.queue": lambda actor, agency: actor.holds(AGENCY_ROLES, getattr(agency, "pk", None)),
    "audit.search": lambda actor, _: actor.holds({Role.OVERSIGHT, Role.AGENCY_ADMIN}),
    "audit.verify": lambda actor, _: actor.holds({Role.OVERSIGHT, Role.AGENCY_ADMIN}),
    "camera.register": _camera_register,
    "camera.manage": _camera_manage,
    "canvass.open": lambda actor, agency: actor.api_key_id is None and actor.holds(CANVASS_ROLES, agency.pk),
    "canvass.list": lambda actor, _: actor.api_key_id is None and actor.holds(CANVASS_ROLES),
    "canvass.view": _canvass_view,
    "canvass.request": _canvass_view,  # send footage requests from it
    # The owner's side of a request: whoever manages the camera.
    "footage.answer": lambda actor, request: _camera_manage(actor, request.camera),
    "evidence.upload": _evidence_upload,
    "evidence.view": lambda actor, item: _evidence_handed_over(item) and actor.api_key_id is None
    and actor.holds(EVIDENCE_ROLES, item.agency_id),
    "evidence.export": lambda actor, item: _evidence_handed_over(item) and actor.api_key_id is None
    and actor.holds(EVIDENCE_ROLES, item.agency_id),
    # The custody log (not the files): evidence staff and oversight.
    "evidence.custody": lambda actor, item: _evidence_handed_over(item) and actor.api_key_id is None and (
        actor.holds(EVIDENCE_ROLES, item.agency_id) or actor.holds({Role.OVERSIGHT})),
    "evidence.locker": lambda actor, _: actor.api_key_id is None and actor.holds(EVIDENCE_ROLES),
    "live.grant": lambda actor, camera: camera.owner_organisation_id is not None and _camera_manage(actor, camera),
    "live.revoke": lambda actor, grant: _camera_manage(actor, grant.camera),
    "live.open": lambda actor, grant: actor.api_key_id is None and actor.holds(CANVASS_ROLES, grant.agency_id),
    "live.list": lambda actor, _: actor.api_key_id is None and actor.holds(CANVASS_ROLES),
    "incident.open": lambda actor, agency: incident_handoff_company(actor, agency) is not None,
    "incident.console": lambda actor, _: bool(incident_companies(actor)),
    "incident.board": lambda actor, _: actor.api_key_id is None and actor.holds(INCIDENT_POLICE_ROLES),
    "incident.view": lambda actor, incident: _incident_police(actor, incident) or _incident_operator(actor, incident),
    "incident.update": _incident_update,
    "incident.dispatch": lambda actor, incident: _incident_police(actor, incident),
    "incident.message": lambda actor, incident: incident.is_open and (
        _incident_police(actor, incident) or _incident_update(actor, incident)),
    "alarm.submit": lambda actor, _: actor.api_key_id is not None and any(
        m.organisation_kind == "security_company" for m in actor.memberships),
    "alarm.stats": lambda actor, _: actor.api_key_id is None and (
        actor.holds(ALARM_STATS_ROLES) or bool(incident_companies(actor))),
    "commendation.issue": lambda actor, agency: actor.api_key_id is None and actor.holds(
        COMMENDATION_ROLES, getattr(agency, "pk", None)),
    "commendation.view": _commendation_view,
    "commendation.consent": lambda actor, commendation: actor.api_key_id is None
    and commendation.recipient_id == actor.user_id,
    # Crime data: analysts and agency admins import; every agency role reads the exact records and the
    # analytics of its own agency; agency admins set what the public sees. The public map needs no rule.
    "crime.import": lambda actor, agency: actor.api_key_id is None and actor.holds(
        CRIME_IMPORTERS, getattr(agency, "pk", None)),
    "crime.analytics": lambda actor, agency: actor.api_key_id is None and actor.holds(
        AGENCY_ROLES, getattr(agency, "pk", None)),
    "crime.publication": lambda actor, agency: actor.api_key_id is None and actor.holds(
        {Role.AGENCY_ADMIN}, getattr(agency, "pk", None)),
    "alert.compose": _people_holding(ALERT_COMPOSERS),  # target: the agency (or an alert of it)
    "alert.approve": _alert_approve,  # target: the alert
    "alert.view_staff": _people_holding(AGENCY_ROLES),  # drafts, deliveries, statistics
    # A published Restricted alert: the agency's staff, and the staff of organisations party to an
    # agreement in force with the agency (people, not API keys).
    "alert.view_restricted": _alert_view_restricted,
    "alert.test_list": _people_holding(frozenset({Role.AGENCY_ADMIN})),
    "newsletter.prepare": _people_holding(NEWSLETTER_PREPARERS),
    "newsletter.approve": _people_holding(NEWSLETTER_APPROVERS),
    "subscription.manage": _subscription_manage,
    "subscription.organisation": lambda actor, organisation: actor.api_key_id is None and _manages(
        actor, organisation.pk),
    "tip.queue": _tip_queue,
    "tip.read": _tip_read,
    "tip.work": _tip_read,
    "tip.triage": lambda actor, tip: actor.holds(TIP_COORDINATORS, tip.agency_id),
    "tip.relate": lambda actor, tip: actor.holds(TIP_COORDINATORS, tip.agency_id),
    "tip.reward": lambda actor, tip: actor.holds(TIP_REWARD_ROLES, tip.agency_id),
    "tip.legal_hold": lambda actor, tip: actor.holds(TIP_REWARD_ROLES, tip.agency_id),
    "tip.payout": lambda actor, agency: actor.holds(TIP_REWARD_ROLES, agency.pk),
    "tip.payout_desk": lambda actor, _: actor.holds(TIP_REWARD_ROLES),
    "tip.rules": lambda actor, agency: actor.holds({Role.AGENCY_ADMIN}, agency.pk),
    "tip.referrals": lambda actor, _: actor.api_key_id is None and actor.holds({Role.PARTNER_MEMBER,
                                                                                Role.PARTNER_ADMIN}),
    "tip.referral": _tip_referral,
}


def may(actor: Actor, action: str, target: Any = None) -> bool:
    """Whether `actor` may perform `action` on `target`. Unknown actions are refused."""
    rule = RULES.get(action)
    if rule is None or actor.is_anonymous:
        return False
    return bool(rule(actor, target))


def require(actor: Actor, action: str, target: Any = None) -> None:
    """Raise PermissionDenied unless `may(actor, action, target)`."""
    if not may(actor, action, target):
        raise PermissionDenied(action)


def require_scope(actor: Actor, scope: str) -> None:
    """API keys carry scopes; a person signed in carries none and is judged by the rules alone."""
    if actor.api_key_id is not None and scope not in actor.api_scopes:
        raise PermissionDenied(f"this API key lacks the {scope!r} scope")
