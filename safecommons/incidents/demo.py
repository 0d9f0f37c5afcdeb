"""Riverton's live incidents: Sentinel Monitoring's alarm permits and alarm-center key, a break-in its operator
handed over and is following (acknowledged, a unit on the way), a burglar alarm that went off twice, a false
alarm and a trespass closed with an outcome, and the commendation the operator received for it.

Everything goes through the services, as an operator, an alarm center and officers would do it.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from safecommons.accounts.models import User
from safecommons.core.audit.models import AuditEntry
from safecommons.core.permissions import actor_for_api_key, actor_for_user
from safecommons.incidents.models import AlarmPermit, Disposition, Incident, IncidentType, Verification
from safecommons.incidents.services import alarms, commendations, operator, police
from safecommons.partners.models import ApiKey, Organisation, Site
from safecommons.partners.services import api_key_secret_hash

# Published on purpose, like the demo password: it lets a reader play the alarm center against the demo.
DEMO_ALARM_KEY_PREFIX = "rvtalarm"
DEMO_ALARM_KEY_SECRET = "riverton-demo-alarm-center"  # noqa: S105
DEMO_ALARM_KEY = f"sc_{DEMO_ALARM_KEY_PREFIX}_{DEMO_ALARM_KEY_SECRET}"

PERMITS = [  # (number, site name)
    ("RVT-AP-0101", "Riverbend Commons Apartments"),
    ("RVT-AP-0102", "Foundry Yards redevelopment"),
    ("RVT-AP-0103", "Riverton Motors showroom and lot"),
    ("RVT-AP-0104", "Lakeview Distribution Center"),
]


def demo_incidents_load(city):
    """Add live incidents to a freshly loaded Riverton (does nothing if the city was already there)."""
    from safecommons.demo.city import AGENCY_NAME, EMAIL_DOMAIN

    if not city.loaded:
        return city
    agency = Organisation.objects.get(name=AGENCY_NAME)
    sentinel = Organisation.objects.get(name="Sentinel Monitoring")
    audit_before = AuditEntry.objects.count()

    def person(local: str):
        return actor_for_user(User.objects.get(email=f"{local}@{EMAIL_DOMAIN}"))

    operator_actor, officer, supervisor = person("operator"), person("officer"), person("supervisor")
    permits = {}
    for number, site_name in PERMITS:
        site = Site.objects.get(name=site_name)
        permits[number] = AlarmPermit.objects.create(
            agency=agency, monitoring_company=sentinel, site=site, number=number, address=site.address,
            latitude=site.latitude, longitude=site.longitude)
    api_key = ApiKey.objects.create(organisation=sentinel, name="Sentinel alarm receiver (demo)",
                                    prefix=DEMO_ALARM_KEY_PREFIX,
                                    secret_hash=api_key_secret_hash(DEMO_ALARM_KEY_SECRET),
                                    scopes=[ApiKey.ApiScope.ALARMS_WRITE])
    center = actor_for_api_key(api_key)
    now = timezone.now()

    # A trespass last night, closed with an arrest; the operator is commended for it.
    lakeview = permits["RVT-AP-0104"]
    trespass = operator.incident_open(
        actor=operator_actor, agency=agency, type=IncidentType.TRESPASS, verification=Verification.VIDEO,
        site=lakeview.site, address=lakeview.address, latitude=lakeview.latitude, longitude=lakeview.longitude,
        summary="Person climbing the fence behind dock 4.", suspect_count=1,
        suspects=[{"description": "Adult, dark hoodie, backpack"}], camera_refs=["Lakeview dock cam 4"],
        callback_phone="555-0141")
    operator.incident_update_post(actor=operator_actor, incident_id=trespass.pk, kind="observation",
                                  text="Trying trailer doors one by one along dock 4.")
    police.incident_acknowledge(actor=officer, incident=trespass)
    police.incident_assign(actor=officer, incident=trespass, unit="2-Adam-14")
    police.incident_status_set(actor=officer, incident=trespass, status=Incident.Status.ON_SCENE)
    trespass = police.incident_close(actor=officer, incident=trespass, disposition=Disposition.ARREST,
                                     outcome_summary="One adult arrested inside the yard with tools; nothing "
                                                     "taken. The operator's running description led the unit "
                                                     "straight to dock 4.")
    commendation = commendations.commendation_issue(
        actor=supervisor, agency=agency, recipient=User.objects.get(email=f"operator@{EMAIL_DOMAIN}"),
        incident=trespass, title="Live description that led to an arrest",
        citation="Casey Tran watched the Lakeview yard live, kept officers informed of every move the intruder "
                 "made and guided the responding unit to dock 4, where the suspect was arrested.")
    commendations.commendation_consent_set(actor=operator_actor, commendation=commendation, public=True)

    # A false alarm at the dealership: the keyholder opened up early.
    motors = alarms.alarm_event_receive(actor=center, event_id="SNT-2026-000811", type="BURG",
                                        permit_number="RVT-AP-0103", received_at=now - timedelta(seconds=40),
                                        zone="1 showroom door", audible=True, callback_phone="555-0141",
                                        monitoring_center_ref="SNT-CS-1", operator_ref="op-17")
    police.incident_acknowledge(actor=officer, incident=motors.incident)
    police.incident_close(actor=officer, incident=motors.incident, disposition=Disposition.FALSE_ALARM,
                          outcome_summary="Keyholder opened the showroom early and mistyped the code.")

    # A break-in in progress at the construction site, handed over by the operator; a unit is on the way.
    foundry = permits["RVT-AP-0102"]
    break_in = operator.incident_open(
        actor=operator_actor, agency=agency, type=IncidentType.BREAK_IN, verification=Verification.VIDEO,
        site=foundry.site, address=foundry.address, latitude=foundry.latitude, longitude=foundry.longitude,
        summary="Two people cutting the lock on the tool container.", suspect_count=2,
        suspects=[{"description": "Male, tall, orange high-visibility vest"},
                  {"description": "Male, grey hoodie, carrying bolt cutters"}],
        vehicles=[{"make": "Ford", "model": "Transit", "colour": "white", "plate": "RVT 4417",
                   "direction": "parked on Pine St, engine running"}],
        camera_refs=["Foundry gate cam 2", "Foundry yard PTZ 1"], callback_phone="555-0141")
    police.incident_acknowledge(actor=officer, incident=break_in)
    police.incident_assign(actor=officer, incident=break_in, unit="2-Baker-21")
    operator.incident_update_post(actor=operator_actor, incident_id=break_in.pk, kind="movement",
                                  latitude=foundry.latitude + 0.0006, longitude=foundry.longitude,
                                  heading_deg=0, speed_kmh=6, text="Both walking north toward the van.")
    police.incident_message_post(actor=officer, incident=break_in, text="2-Baker-21 two minutes out. Keep us "
                                                                        "posted on the van.")

    # A burglar alarm at Riverbend that went off twice: one incident, two alarms, waiting for police.
    for event_id, zone in (("SNT-2026-000812", "3 rear door"), ("SNT-2026-000813", "4 mail room motion")):
        alarms.alarm_event_receive(actor=center, event_id=event_id, type="BURG", permit_number="RVT-AP-0101",
                                   received_at=timezone.now() - timedelta(seconds=5), zone=zone, audible=False,
                                   callback_phone="555-0141", monitoring_center_ref="SNT-CS-1",
                                   operator_ref="op-17")

    city.counts["alarm permits"] = AlarmPermit.objects.count()
    city.counts["live incidents"] = Incident.objects.count()
    city.counts["audit entries"] += AuditEntry.objects.count() - audit_before
    return city
