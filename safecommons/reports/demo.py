"""Riverton's community reports: what residents can report, and a few reports by the demo resident.

Called at the end of `demo_city_load`, inside its transaction, once the agency, the people and the street
gazetteer exist. Reports go through the services (so the audit trail and the status history are real); only
their dates are moved back afterwards, so the history reads as days of work rather than one second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from safecommons.accounts.models import User
from safecommons.core.audit.models import AuditEntry
from safecommons.core.permissions import actor_for_user
from safecommons.partners.models import Organisation
from safecommons.reports.models import ServiceAttribute, ServiceRequest, ServiceRequestUpdate, ServiceType
from safecommons.reports.services import report_status_change, report_submit

if TYPE_CHECKING:
    from safecommons.demo.city import DemoCity

Kind = ServiceAttribute.Datatype


@dataclass(frozen=True)
class AttributeSpec:
    code: str
    description: str
    datatype: str = Kind.STRING
    required: bool = False
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name: str
    group: str
    description: str
    keywords: str = ""
    notice: str = ""
    attributes: tuple[AttributeSpec, ...] = ()


STREETS, VEHICLES, PROPERTY, QUALITY, SAFETY = (
    "Streets and lighting", "Vehicles", "Property", "Quality of life", "Safety")

SERVICE_TYPES = [
    ServiceSpec(
        "streetlight-out", "Broken street lighting", STREETS,
        "A street light that is out, flickering, or on during the day.",
        "streetlight, lamp, light, dark", "Lights are usually repaired within 5 working days.",
        (AttributeSpec("pole_number", "Number on the pole, if you can read it"),
         AttributeSpec("light_state", "What is wrong with the light?", Kind.SINGLEVALUELIST, True,
                       values=(("out", "Out"), ("flickering", "Flickering"), ("daytime", "On during the day")))),
    ),
    ServiceSpec(
        "abandoned-vehicle", "Abandoned vehicle", VEHICLES,
        "A vehicle left on a public street for more than 72 hours, or one that cannot be driven.",
        "car, truck, parked, junk, plates", "An officer checks the vehicle and tags it before any tow.",
        (AttributeSpec("plate", "Licence plate", datatype_description="As on the plate, e.g. ABC 123"),
         AttributeSpec("colour", "Colour"),
         AttributeSpec("days_parked", "About how many days has it been parked there?", Kind.NUMBER, True,
                       "A whole number of days")),
    ),
    ServiceSpec(
        "graffiti", "Graffiti", PROPERTY, "Graffiti or tagging on walls, signs, bridges or utility boxes.",
        "tag, vandalism, paint, spray",
        attributes=(AttributeSpec("surface", "Where is it?", Kind.SINGLEVALUELIST, True,
                                  values=(("public", "Public property (sign, bridge, utility box)"),
                                          ("private", "A private building or fence"))),
                    AttributeSpec("offensive", "Is it offensive or threatening?", Kind.SINGLEVALUELIST,
                                  values=(("yes", "Yes"), ("no", "No")))),
    ),
    ServiceSpec(
        "illegal-dumping", "Illegal dumping", PROPERTY, "Furniture, tyres, appliances or trash dumped in public.",
        "trash, garbage, mattress, tires",
        attributes=(AttributeSpec("items", "What was dumped?", Kind.MULTIVALUELIST,
                                  values=(("furniture", "Furniture or mattresses"), ("tyres", "Tyres"),
                                          ("appliances", "Appliances"), ("debris", "Construction debris"),
                                          ("household", "Household trash"))),),
    ),
    ServiceSpec("pothole", "Pothole or road hazard", STREETS,
                "A pothole, a missing manhole cover, debris or a damaged sign on the road.",
                "road, hole, street, hazard, sign"),
    ServiceSpec("blocked-sidewalk", "Blocked sidewalk", STREETS,
                "A sidewalk blocked by vehicles, construction, overgrowth or objects.", "sidewalk, walk, blocked"),
    ServiceSpec("noise", "Noise", QUALITY, "Ongoing noise: parties, car stereos, construction out of hours.",
                "loud, music, party"),
    ServiceSpec(
        "suspicious-activity", "Suspicious activity (non-emergency)", SAFETY,
        "Something that worries you but is not happening right now. If a crime is happening now, call 911.",
        "suspicious, prowler, loitering", "Not an emergency line: if a crime is happening now, call 911.",
        (AttributeSpec("last_seen", "When did you last see it?", Kind.DATETIME),),
    ),
    ServiceSpec(
        "drug-paraphernalia", "Drug paraphernalia found", SAFETY,
        "Needles, syringes or other drug paraphernalia found in a park, street or yard.",
        "needle, syringe, sharps", "Do not touch needles or syringes; keep children and pets away.",
    ),
]

# Reports by the demo resident: service, address, description, answers, days ago, then the steps taken
# (local part of the staff member, status, note, days after the report).
SAMPLE_REPORTS = [
    ("streetlight-out", "340 Maple Ave", "The light in front of the bus stop has been out for a week.",
     {"light_state": "out"}, 12,
     [("officer", "acknowledged", "Passed to the city's lighting crew.", 1),
      ("liaison", "closed", "The lighting crew replaced the lamp. Thank you for reporting it.", 6)]),
    ("abandoned-vehicle", "760 Cedar St", "A grey sedan with a flat tyre has not moved since the start of the month.",
     {"plate": "RVT 482", "colour": "Grey", "days_parked": "14"}, 5,
     [("officer", "acknowledged", "", 1),
      ("officer", "in_progress", "Officer Brooks tagged the vehicle; it is towed after 72 hours if it stays.", 2)]),
    ("illegal-dumping", "180 2nd St", "Two mattresses and a pile of tyres dumped behind the lofts.",
     {"items": ["furniture", "tyres"]}, 2,
     [("liaison", "acknowledged", "Public works is scheduling a pickup this week.", 1)]),
    ("graffiti", "220 Oak St", "New tags on the utility box at the corner.", {"surface": "public", "offensive": "no"},
     0, []),
]


def demo_reports_load(city: DemoCity) -> DemoCity:
    """Create Riverton's service types and the resident's sample reports; add their counts to the city's."""
    from safecommons.demo.city import AGENCY_NAME, EMAIL_DOMAIN

    if not city.loaded:
        return city
    audit_before = AuditEntry.objects.count()
    agency = Organisation.objects.get(name=AGENCY_NAME)
    for spec in SERVICE_TYPES:
        service = ServiceType.objects.create(
            agency=agency, code=spec.code, name=spec.name, group=spec.group, description=spec.description,
            keywords=spec.keywords, notice=spec.notice,
        )
        for order, attribute in enumerate(spec.attributes, start=1):
            ServiceAttribute.objects.create(
                service=service, code=attribute.code, description=attribute.description,
                datatype=attribute.datatype, required=attribute.required, order=order,
                datatype_description=attribute.datatype_description,
                values=[{"key": key, "name": name} for key, name in attribute.values],
            )

    def actor(local_part: str):
        return actor_for_user(User.objects.get(email=f"{local_part}@{EMAIL_DOMAIN}"))

    resident = actor("resident")
    now = timezone.now()
    for code, address, description, answers, days_ago, steps in SAMPLE_REPORTS:
        report = report_submit(actor=resident, service=ServiceType.objects.get(code=code), description=description,
                               address=address, attributes=answers)
        sent = now - timedelta(days=days_ago, hours=3)
        ServiceRequest.objects.filter(pk=report.pk).update(requested_at=sent)
        report.updates.update(created_at=sent)
        for local_part, status, note, days_after in steps:
            update = report_status_change(actor=actor(local_part), report=report, status=status, note=note)
            ServiceRequestUpdate.objects.filter(pk=update.pk).update(created_at=sent + timedelta(days=days_after))

    counts = dict(city.counts)
    audit_entries = counts.pop("audit entries", 0)
    counts["report service types"] = ServiceType.objects.filter(agency=agency).count()
    counts["community reports"] = ServiceRequest.objects.filter(agency=agency).count()
    counts["audit entries"] = audit_entries + AuditEntry.objects.count() - audit_before
    city.counts = counts
    return city
