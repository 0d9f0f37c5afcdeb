"""Reading commendations: a person's own, the ones an agency issued (for its staff), and the public list of
those whose recipients agreed to it. The public never sees a recipient's email or the incident behind it."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from safecommons.accounts.models import Membership, User
from safecommons.core.errors import Refused
from safecommons.core.permissions import COMMENDATION_ROLES, Actor, require
from safecommons.core.roles import AGENCY_ROLES
from safecommons.incidents.models import Commendation, Incident
from safecommons.partners.models import Organisation, OrganisationKind

INCIDENT_CHOICES = 200  # the most recent closed incidents offered on the issue form


def _with_people(commendations: QuerySet[Commendation]) -> QuerySet[Commendation]:
    return commendations.select_related("agency", "recipient", "issued_by")


def commendations_for_recipient(*, actor: Actor) -> QuerySet[Commendation]:
    """The commendations the acting person received, newest first."""
    if actor.user_id is None or actor.api_key_id is not None:
        return Commendation.objects.none()
    return _with_people(Commendation.objects.filter(recipient_id=actor.user_id))


def commendations_issued(*, actor: Actor) -> QuerySet[Commendation]:
    """For agency staff: the commendations their agencies issued, newest first (none for anyone else)."""
    if actor.api_key_id is not None:
        return Commendation.objects.none()
    return _with_people(Commendation.objects.filter(agency_id__in=actor.organisation_ids(AGENCY_ROLES)))


def commendations_public() -> QuerySet[Commendation]:
    """The commendations whose recipients agreed to show them publicly, newest first."""
    return Commendation.objects.filter(public_consent=True).select_related("agency", "recipient")


def commendation_get(*, actor: Actor, commendation_id: int) -> Commendation:
    """One commendation for its recipient, the issuing agency's staff, or, once public, anyone signed in
    (Commendation.DoesNotExist when there is none; PermissionDenied when the actor may not see it)."""
    commendation = _with_people(Commendation.objects.all()).select_related("incident").get(pk=commendation_id)
    require(actor, "commendation.view", commendation)
    return commendation


def commendation_for_consent(*, actor: Actor, commendation_id: int) -> Commendation:
    """The commendation its recipient is answering about (PermissionDenied for anyone else, staff included)."""
    commendation = commendation_get(actor=actor, commendation_id=commendation_id)
    require(actor, "commendation.consent", commendation)
    return commendation


def commendation_for_certificate(*, actor: Actor, commendation_id: int) -> Commendation:
    """The commendation whose certificate is asked for: a public one for anyone, signed in or not; otherwise
    as `commendation_get`."""
    commendation = _with_people(Commendation.objects.all()).get(pk=commendation_id)
    if commendation.public_consent is not True:
        require(actor, "commendation.view", commendation)
    return commendation


def is_agency_staff_of(*, actor: Actor, commendation: Commendation) -> bool:
    """Whether the actor works for the issuing agency (sees the private side: email, incident)."""
    return actor.api_key_id is None and actor.holds(AGENCY_ROLES, commendation.agency_id)


def recipient_name(user: User) -> str:
    """The name a commendation shows for its recipient: never their email address."""
    return (user.display_name.strip() or user.get_full_name().strip()
            or _("A member of the community"))


def issuer_label(commendation: Commendation) -> tuple[str, str]:
    """(name, role) of whoever issued the commendation, as they were at the issuing agency at the time."""
    issuer = commendation.issued_by
    if issuer is None:
        return "", ""
    membership = (Membership.objects.filter(user=issuer, organisation_id=commendation.agency_id,
                                            role__in=COMMENDATION_ROLES, created_at__lte=commendation.issued_at)
                  .order_by("-created_at").first())
    role = (membership.title or membership.get_role_display()) if membership else ""
    return recipient_name(issuer), str(role)


def commendation_agencies(*, actor: Actor) -> QuerySet[Organisation]:
    """The agencies the actor may issue commendations for."""
    if actor.api_key_id is not None:
        return Organisation.objects.none()
    return Organisation.objects.filter(pk__in=actor.organisation_ids(COMMENDATION_ROLES),
                                       kind=OrganisationKind.AGENCY).order_by("name")


def commendation_agency(*, actor: Actor, agency_id: int | None) -> Organisation:
    """The agency a new commendation is from: the one named, or the actor's only one (Refused when unclear)."""
    agencies = commendation_agencies(actor=actor)
    if agency_id is not None:
        agency = agencies.filter(pk=agency_id).first()
        if agency is None:
            raise PermissionDenied("commendation.issue")
        return agency
    found = list(agencies[:2])
    if not found:
        raise PermissionDenied("commendation.issue")
    if len(found) > 1:
        raise Refused(_("You serve more than one agency: say which one this commendation is from."))
    return found[0]


def commendation_recipient(*, email: str) -> User:
    """The signed-up person with this email address (Refused when nobody has signed up with it)."""
    recipient = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if recipient is None:
        raise Refused(_("Nobody has signed up with this email address. Ask them to create an account first."))
    return recipient


def commendation_incidents(*, agency: Organisation) -> list[Incident]:
    """The agency's closed incidents a commendation can name, most recently closed first (the latest few
    hundred: enough to pick from on the form)."""
    closed = Incident.objects.filter(agency=agency, status=Incident.Status.CLOSED).select_related("agency", "site")
    return list(closed.order_by("-closed_at", "-pk")[:INCIDENT_CHOICES])


def commendation_incident(*, incident_id: int) -> Incident:
    """The incident a new commendation names (Incident.DoesNotExist when there is none); whether it may be
    named is the issuing service's to decide."""
    return Incident.objects.get(pk=incident_id)


def commendation_incident_offered(*, agencies: Iterable[Organisation], incident_id: int) -> Incident:
    """An incident to offer on the issue form when a link names it: one of `agencies`' closed incidents
    (Refused, saying why, otherwise)."""
    incident = Incident.objects.select_related("agency", "site").filter(pk=incident_id).first()
    if incident is None or incident.agency_id not in {agency.pk for agency in agencies}:
        raise Refused(_("That incident is not one of your agency's."))
    if incident.is_open:
        raise Refused(_("That incident is still open: a commendation can name it once it is closed."))
    return incident
