"""Open311 GeoReport v2 endpoints (docs/open311.md): services, service definitions, and service requests.

Reading is public. Submitting needs an organisation API key with the reports:submit scope, given as the
`api_key` form field (or an `Authorization: Bearer` header); the POST is CSRF-exempt and ignores any
browser session, so a signed-in person's cookies cannot be used to submit on their behalf.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_api_key, may
from safecommons.partners.services import api_key_authenticate
from safecommons.reports import selectors, services
from safecommons.reports.models import ServiceRequest, ServiceType
from safecommons.reports.open311.formats import (
    created_out,
    error_response,
    request_out,
    respond,
    service_definition_out,
    service_out,
)

_ATTRIBUTE_FIELD = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def open311(*methods: str):
    """Check the method and jurisdiction, and turn every refusal into an Open311 error document."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, fmt: str, **kwargs):
            if request.method not in methods:
                allowed = " or ".join(methods)
                response = error_response(fmt, 405, f"{request.method} is not allowed here; use {allowed}.")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                _check_jurisdiction(request)
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return error_response(fmt, exc.status, exc.description)
            except Refused as exc:
                return error_response(fmt, 400, str(exc))
            except PermissionDenied as exc:
                return error_response(fmt, 403, str(exc) or "not allowed")
            except ObjectDoesNotExist:
                return error_response(fmt, 404, "not found")

        # No cookie-borne authority here (a POST carries its api_key): a method not allowed gets the
        # Open311 405 above rather than Django's CSRF page.
        return csrf_exempt(wrapper)

    return decorate


def _check_jurisdiction(request) -> None:
    given = (request.POST.get("jurisdiction_id") if request.method == "POST" else None) or request.GET.get(
        "jurisdiction_id", "")
    given = given.strip()
    if given and given != settings.OPEN311_JURISDICTION_ID:
        raise Open311Error(404, f"jurisdiction_id {given!r} is not served here; this server answers for "
                                f"{settings.OPEN311_JURISDICTION_ID!r} (the parameter may be left out).")


@open311("GET")
def services_list(request, fmt: str):
    """GET services.json|xml: every service that takes reports."""
    return respond(fmt, "services", [service_out(service) for service in selectors.service_types_active()])


@open311("GET")
def service_definition(request, service_code: str, fmt: str):
    """GET services/<code>.json|xml: the service's attributes. Only services whose metadata is true have one."""
    try:
        service = selectors.service_type_get(code=service_code)
    except ServiceType.DoesNotExist:
        raise Open311Error(404, f"service_code {service_code!r} is not a service of this jurisdiction; "
                                f"GET services.{fmt} lists them.") from None
    if not service.attributes.all():
        raise Open311Error(404, f"service_code {service_code!r} has no service definition: its metadata is false, "
                                "so a request needs no attributes.")
    return respond(fmt, "service_definition", service_definition_out(service))


@open311("GET", "POST")
def service_requests(request, fmt: str):
    """GET requests.json|xml lists service requests; POST submits one (form-encoded, with an api_key)."""
    if request.method == "POST":
        return _submit(request, fmt)
    return _search(request, fmt)


@open311("GET")
def service_request_detail(request, request_id: int, fmt: str):
    """GET requests/<id>.json|xml: one service request, as a list of one (per the spec)."""
    try:
        report = selectors.open311_request_get(request_id=request_id)
    except ServiceRequest.DoesNotExist:
        raise Open311Error(404, f"service_request_id {request_id} was not found.") from None
    return respond(fmt, "service_requests", [request_out(report)])


# --- Reading the list


def _search(request, fmt: str):
    params = request.GET
    ids = []
    for part in params.get("service_request_id", "").split(","):
        if part.strip():
            if not part.strip().isdigit():
                raise Open311Error(400, f"service_request_id must be a comma-separated list of ids, not {part!r}.")
            ids.append(int(part))
    statuses = [s.strip().lower() for s in params.get("status", "").split(",") if s.strip()]
    unknown = sorted(set(statuses) - set(selectors.OPEN311_STATUSES))
    if unknown:
        raise Open311Error(400, f"status must be open, closed or both (comma-separated), not {', '.join(unknown)}.")
    start, end = _moment(params, "start_date"), _moment(params, "end_date")
    if start and end and start > end:
        raise Open311Error(400, "start_date is after end_date.")
    reports = selectors.open311_requests(
        ids=ids, service_codes=[c.strip() for c in params.get("service_code", "").split(",") if c.strip()],
        start=start, end=end, statuses=statuses,
    )
    return respond(fmt, "service_requests", [request_out(report) for report in reports])


def _moment(params, name: str) -> datetime | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        # A "+" in an unencoded query string arrives as a space.
        moment = parse_datetime(raw.replace(" ", "+"))
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(400, f"{name} must be a W3C datetime such as 2026-03-01T00:00:00Z, not {raw!r}.")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


# --- Submitting


def _submit(request, fmt: str):
    data = request.POST
    actor = _submitting_actor(request)
    code = data.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, f"service_code is required; GET services.{fmt} lists them.")
    try:
        service = selectors.service_type_get(code=code)
    except ServiceType.DoesNotExist:
        raise Open311Error(400, f"service_code {code!r} is not a service of this jurisdiction; "
                                f"GET services.{fmt} lists them.") from None
    report = services.report_submit(
        actor=actor, service=service, description=data.get("description", ""),
        address=data.get("address_string", ""), latitude=_number(data, "lat"), longitude=_number(data, "long"),
        attributes=_attributes(data), via=ServiceRequest.Channel.OPEN311,
        contact=services.ReporterContact(
            email=data.get("email", ""), first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""), phone=data.get("phone", ""),
        ),
    )
    return respond(fmt, "service_requests", [created_out(report)], status=201)


def _submitting_actor(request):
    presented = request.POST.get("api_key", "").strip()
    header = request.headers.get("Authorization", "")
    if not presented and header.lower().startswith("bearer "):
        presented = header[7:].strip()
    if not presented:
        raise Open311Error(400, "api_key is required to submit a service request. An organisation's partner admin "
                                "issues one with the reports:submit scope.")
    api_key = api_key_authenticate(presented=presented)
    if api_key is None:
        raise Open311Error(401, "api_key is not valid: unknown or revoked.")
    actor = actor_for_api_key(api_key)
    if not may(actor, "report.submit"):
        raise Open311Error(403, "this api_key lacks the reports:submit scope.")
    return actor


def _number(data, name: str) -> float | None:
    raw = data.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise Open311Error(400, f"{name} must be a decimal number (WGS84), not {raw!r}.")
    return value


def _attributes(data) -> dict[str, str | list[str]]:
    """attribute[code]=value, and attribute[code][]=value for each choice of a multivaluelist."""
    given: dict[str, str | list[str]] = {}
    for key in data:
        match = _ATTRIBUTE_FIELD.match(key)
        if not match:
            continue
        values = data.getlist(key)
        code = match.group(1)
        given[code] = values if match.group(2) or len(values) > 1 else values[0]
    return given


def unknown(request, rest: str):
    """Anything else under /open311/v2/: an Open311 404 (XML when the path asks for .xml), not a web page."""
    return error_response("xml" if rest.endswith(".xml") else "json", 404,
                          "No such Open311 resource. See services.json, services/<code>.json, requests.json "
                          "and requests/<id>.json.")
