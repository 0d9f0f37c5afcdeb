"""Reading community reports: what a reporter sees of theirs, the agency's queue, and the public Open311 feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from safecommons.core.permissions import Actor, may, require
from safecommons.core.roles import AGENCY_ROLES
from safecommons.places import selectors as place_selectors
from safecommons.reports.models import (
    ReportNotification,
    ServiceAttribute,
    ServiceRequest,
    ServiceRequestStatus,
    ServiceRequestUpdate,
    ServiceType,
)

OPEN311_DEFAULT_DAYS = 90
OPEN311_MAX_REQUESTS = 1000
# Open311 knows two statuses; ours map onto them.
OPEN311_STATUSES = {
    "open": [ServiceRequestStatus.OPEN, ServiceRequestStatus.ACKNOWLEDGED, ServiceRequestStatus.IN_PROGRESS],
    "closed": [ServiceRequestStatus.CLOSED],
}


# --- Service types (public)


def service_types_active() -> QuerySet[ServiceType]:
    """The services anyone may report to, with their questions."""
    attributes = Prefetch("attributes", queryset=ServiceAttribute.objects.order_by("order", "code"))
    return ServiceType.objects.filter(is_active=True).select_related("agency").prefetch_related(attributes)


def service_type_get(*, code: str) -> ServiceType:
    """An active service by its code; ServiceType.DoesNotExist otherwise."""
    return service_types_active().get(code=code)


# --- A reporter's own reports


def reports_of(*, actor: Actor) -> QuerySet[ServiceRequest]:
    """The reports the signed-in person made, newest first."""
    if actor.user_id is None:
        return ServiceRequest.objects.none()
    return ServiceRequest.objects.filter(reporter_id=actor.user_id).select_related("service", "area")


def report_get(*, actor: Actor, request_id: int) -> ServiceRequest:
    """One report, for its reporter or the agency's staff (PermissionDenied for anyone else)."""
    report = ServiceRequest.objects.select_related("service", "agency", "area", "reporter").get(pk=request_id)
    require(actor, "report.view", report)
    return report


def report_history(*, report: ServiceRequest) -> QuerySet[ServiceRequestUpdate]:
    return report.updates.select_related("author")


def notifications_for(*, actor: Actor, limit: int = 20) -> list[ReportNotification]:
    """The person's latest report notices, unread first."""
    if actor.user_id is None:
        return []
    notices = ReportNotification.objects.filter(user_id=actor.user_id).select_related(
        "update", "request__service")
    return sorted(notices[:limit], key=lambda n: (n.read_at is not None, -n.created_at.timestamp()))


@dataclass(frozen=True)
class AttributeAnswer:
    question: str
    answer: str


def report_answers(*, report: ServiceRequest) -> list[AttributeAnswer]:
    """The answers to the service's questions, in the definition's order, with list keys shown by name."""
    answers = []
    for attribute in report.service.attributes.order_by("order", "code"):
        if attribute.code not in report.attributes:
            continue
        value = report.attributes[attribute.code]
        if attribute.is_list:
            keys = value if isinstance(value, list) else [value]
            shown = ", ".join(attribute.value_name(str(key)) for key in keys)
        else:
            shown = str(value)
        answers.append(AttributeAnswer(attribute.description, shown))
    return answers


# --- The agency's queue


def agencies_served(*, actor: Actor) -> list:
    """Agencies whose report queue the actor works."""
    from safecommons.partners.models import Organisation, OrganisationKind

    agencies = Organisation.objects.filter(kind=OrganisationKind.AGENCY, pk__in=actor.organisation_ids(AGENCY_ROLES))
    return [agency for agency in agencies if may(actor, "report.queue", agency)]


@dataclass(frozen=True)
class QueueChoices:
    services: QuerySet
    areas: QuerySet


def queue_choices(*, actor: Actor) -> QueueChoices:
    """What the queue can be filtered by: the services and areas of the actor's agencies."""
    require(actor, "report.queue")
    agency_ids = [agency.pk for agency in agencies_served(actor=actor)]
    return QueueChoices(
        services=ServiceType.objects.filter(agency_id__in=agency_ids).order_by("name"),
        areas=place_selectors.areas_public().filter(agency_id__in=agency_ids).order_by("kind", "name"),
    )


def reports_queue(
    *, actor: Actor, statuses: list[str] | None = None, service: ServiceType | None = None, area=None
) -> QuerySet[ServiceRequest]:
    """Reports to the actor's agencies, oldest open first (open ones by default)."""
    require(actor, "report.queue")
    agency_ids = [agency.pk for agency in agencies_served(actor=actor)]
    reports = ServiceRequest.objects.filter(agency_id__in=agency_ids).select_related("service", "area")
    reports = reports.filter(status__in=statuses or OPEN311_STATUSES["open"])
    if service is not None:
        reports = reports.filter(service=service)
    if area is not None:
        reports = place_selectors.located_in(area=area, rows=reports)
    return reports.order_by("requested_at", "id")


# --- The public Open311 feed: what and where, never who


def open311_requests(
    *,
    ids: list[int] | None = None,
    service_codes: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: list[str] | None = None,
    limit: int = OPEN311_MAX_REQUESTS,
) -> list[ServiceRequest]:
    """Service requests for GET requests.json|xml. With ids, the other filters are ignored (as the spec says);
    without dates, the last 90 days; at most 1000, newest first."""
    reports = ServiceRequest.objects.select_related("service", "agency")
    if ids:
        return list(reports.filter(pk__in=ids)[:limit])
    if start is None and end is None:
        start = timezone.now() - timedelta(days=OPEN311_DEFAULT_DAYS)
    if start is not None:
        reports = reports.filter(requested_at__gte=start)
    if end is not None:
        reports = reports.filter(requested_at__lte=end)
    if service_codes:
        reports = reports.filter(service__code__in=service_codes)
    if statuses:
        reports = reports.filter(status__in=[ours for status in statuses for ours in OPEN311_STATUSES[status]])
    return list(reports.order_by("-requested_at", "-id")[:limit])


def open311_request_get(*, request_id: int) -> ServiceRequest:
    return ServiceRequest.objects.select_related("service", "agency").get(pk=request_id)
