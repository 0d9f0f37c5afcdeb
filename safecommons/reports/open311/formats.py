"""Open311 GeoReport v2 documents: the same data written as JSON or XML, errors included.

Public output carries what was reported and where, its status and the agency's notes — never the
reporter's name, email or phone, and no photo (photos are served only to the reporter and the agency).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from safecommons.reports.models import ServiceAttribute, ServiceRequest, ServiceType

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
SERVICE_TYPE = "realtime"  # a request gets its id at once

# In XML, a list is an element holding one child per item, named here.
XML_ITEM = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
}
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def w3c(moment: datetime | None) -> str | None:
    """A W3C / ISO 8601 datetime with the offset, in the server's time zone (as the spec shows them)."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def service_out(service: ServiceType) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": bool(service.attributes.all()),
        "type": SERVICE_TYPE,
        "keywords": ", ".join(service.keyword_list),
        "group": service.group,
    }


def attribute_out(attribute: ServiceAttribute) -> dict[str, Any]:
    return {
        "variable": True,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.datatype_description,
        "order": attribute.order,
        "description": attribute.description,
        "values": [{"key": str(value["key"]), "name": str(value["name"])} for value in attribute.values]
        if attribute.is_list else [],
    }


def service_definition_out(service: ServiceType) -> dict[str, Any]:
    return {"service_code": service.code, "attributes": [attribute_out(a) for a in service.attributes.all()]}


def request_out(report: ServiceRequest) -> dict[str, Any]:
    return {
        "service_request_id": str(report.pk),
        "status": report.open311_status,
        "status_notes": report.status_notes,
        "service_name": report.service.name,
        "service_code": report.service.code,
        "description": report.description,
        "agency_responsible": report.agency.name,
        "service_notice": report.service.notice,
        "requested_datetime": w3c(report.requested_at),
        "updated_datetime": w3c(report.updated_at),
        "expected_datetime": w3c(report.expected_at),
        "address": report.address,
        "address_id": "",
        "zipcode": "",
        "lat": report.latitude,
        "long": report.longitude,
        "media_url": "",
    }


def created_out(report: ServiceRequest) -> dict[str, Any]:
    return {"service_request_id": str(report.pk), "service_notice": report.service.notice, "account_id": None}


# --- Writing


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list | tuple):
        for child in value:
            element.append(_element(XML_ITEM.get(tag, "item"), child))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("", str(value))
    return element


def xml_document(root: str, value: Any) -> bytes:
    return ET.tostring(_element(root, value), encoding="utf-8", xml_declaration=True)


def respond(fmt: str, root: str, value: Any, status: int = 200) -> HttpResponse:
    """`value` as JSON, or as XML under the element `root` (JSON has no root: a list or an object)."""
    if fmt == "xml":
        response = HttpResponse(xml_document(root, value), content_type=XML_TYPE, status=status)
    else:
        response = HttpResponse(json.dumps(value, ensure_ascii=False), content_type=JSON_TYPE, status=status)
    # The feed is public: 311 apps served from other origins may read it.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def error_response(fmt: str, status: int, description: str) -> HttpResponse:
    """Open311's error document: a list of {code, description}, with the same HTTP status."""
    return respond(fmt, "errors", [{"code": status, "description": description}], status=status)
