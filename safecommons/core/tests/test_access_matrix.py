"""Who may use each endpoint: every API operation and every page, tried by every role and by nobody.

The table below is the truth, read off `core/permissions.py` RULES for the world the shared fixtures
build: an agency ("Testville Police Department") and a partner business ("Acme Apartments") with one
person per role, a security company and an oversight body. Someone allowed gets the endpoint's
success status; a signed-in person not allowed gets 403; nobody signed in gets 401 from the API and a
redirect to sign-in from a page that needs it.
"""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from safecommons.alerts.tests.access_table import ACCESS as ALERTS_ACCESS
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import AGENCY_ROLES, Role
from safecommons.partners import services as partner_services
from safecommons.partners.models import Agreement, ApiKey, DataFlow, Scope
from safecommons.partners.tests.factories import ContactFactory, agreement_between
from safecommons.places.models import AreaImport, AreaKind, OfficerAssignment
from safecommons.places.tests.factories import AreaFactory
from safecommons.reports.models import ServiceRequest
from safecommons.reports.tests.factories import (
    ServiceAttributeFactory,
    ServiceRequestFactory,
    ServiceTypeFactory,
    jpeg_with_gps,
)

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
EVERYONE = [*Role, ANONYMOUS]

SIGNED_IN = frozenset(Role)
PUBLIC = SIGNED_IN | {ANONYMOUS}
NOBODY = frozenset()
AGENCY_STAFF = frozenset(AGENCY_ROLES)
PARTNER_STAFF = frozenset({Role.PARTNER_MEMBER, Role.PARTNER_ADMIN})
# agreement.list: any agency or partner staff (security operators included) and oversight; not residents.
STAFF_AND_OVERSIGHT = SIGNED_IN - {Role.RESIDENT}
# agreement.view, for an agreement between the partner and the agency: staff of either party, and oversight.
PARTIES_AND_OVERSIGHT = AGENCY_STAFF | PARTNER_STAFF | {Role.OVERSIGHT}
AUDITORS = frozenset({Role.OVERSIGHT, Role.AGENCY_ADMIN})  # audit.search, audit.verify
AREA_IMPORTERS = frozenset({Role.AGENCY_ADMIN, Role.ANALYST})  # area.import
OFFICER_ASSIGNERS = frozenset({Role.AGENCY_ADMIN, Role.SUPERVISOR})  # officer.assign
PARTNER_KEY_MANAGERS = frozenset({Role.PARTNER_ADMIN})  # apikey.manage, of the partner
AGREEMENT_MANAGERS = frozenset({Role.AGENCY_ADMIN})  # agreement.manage, of an agreement naming their agency
# Tips (tip.*): coordinators work the agency's queue; officers see only what is assigned to them.
TIP_COORDINATORS = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.AGENCY_ADMIN})
TIP_QUEUE = TIP_COORDINATORS | {Role.OFFICER}
TIP_REWARDERS = frozenset({Role.SUPERVISOR, Role.AGENCY_ADMIN})  # tip.reward, tip.legal_hold, tip.payout
TIP_RULE_EDITORS = frozenset({Role.AGENCY_ADMIN})  # tip.rules

# Cameras. Registering is open to anyone signed in; importing to organisation staff (security operators
# included); managing a camera (edit, status, live grants, answering its footage requests) to its owner:
# here the partner's camera, so partner staff. Refusals per rule are tested in cameras/tests/.
CAMERA_IMPORTERS = PARTNER_STAFF | {Role.SECURITY_OPERATOR}
CAMERA_MANAGERS = PARTNER_STAFF  # camera.manage, footage.answer, live.grant, live.revoke of the partner's camera
CANVASSERS = frozenset({Role.OFFICER, Role.SUPERVISOR})  # canvass.*, live.open
EVIDENCE_STAFF = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.AGENCY_ADMIN})  # evidence.*
EVIDENCE_CUSTODY = EVIDENCE_STAFF | {Role.OVERSIGHT}  # the custody log, not the files
LIVE_GRANT_READERS = CANVASSERS | CAMERA_IMPORTERS  # officers: their agency's; owners: their cameras'

# Live incidents, in a world where the security company has a handoff agreement (alarm events) with the
# agency and has handed it an open incident. The partner admin is an incident operator only of a security
# company: here they run a business, so they are not one. Refusals per rule are tested in incidents/tests/.
INCIDENT_OPERATORS = frozenset({Role.SECURITY_OPERATOR})  # incident.open, .console, .update: the company's
INCIDENT_POLICE = frozenset({Role.OFFICER, Role.SUPERVISOR})  # incident.board, .dispatch: the agency's
INCIDENT_PARTIES = INCIDENT_OPERATORS | INCIDENT_POLICE  # incident.view, .message: either side of the incident
# alarm.stats: police and analysts (their agency's alarms) and the company's operators (their company's).
ALARM_STATS_READERS = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.AGENCY_ADMIN,
                                 Role.SECURITY_OPERATOR})
COMMENDATION_ISSUERS = frozenset({Role.SUPERVISOR, Role.AGENCY_ADMIN})  # commendation.issue
# A private commendation of the agency to the security operator: commendation.consent is its recipient's
# only; commendation.view (the page, the certificate) its recipient's and the issuing agency's staff.
COMMENDATION_RECIPIENT = frozenset({Role.SECURITY_OPERATOR})
COMMENDATION_READERS = AGENCY_STAFF | COMMENDATION_RECIPIENT
CRIME_PUBLICATION_SETTERS = frozenset({Role.AGENCY_ADMIN})  # crime.publication; the public crime map: anyone
CRIME_IMPORTERS = frozenset({Role.ANALYST, Role.AGENCY_ADMIN})  # crime.import, of the agency

# organisation.view_contacts, of the partner: its own staff; agency staff only under contact sharing.
CONTACTS_WITHOUT_SHARING = PARTNER_STAFF
CONTACTS_UNDER_SHARING = PARTNER_STAFF | AGENCY_STAFF
# organisations_directory: an unlisted organisation is seen by its members and by agency staff.
UNLISTED_ORGANISATION_SEEN_BY = PARTNER_STAFF | AGENCY_STAFF

ACCESS = {
    # --- API (routes as in /api/openapi.json)
    "GET /api/accounts/me": SIGNED_IN,
    "GET /api/partners/organisations": PUBLIC,
    "GET /api/partners/organisations/{slug}": PUBLIC,
    "GET /api/partners/organisations/{slug}/contacts": CONTACTS_WITHOUT_SHARING,
    "GET /api/partners/agreements": STAFF_AND_OVERSIGHT,
    "GET /api/partners/agreements/{agreement_id}": PARTIES_AND_OVERSIGHT,
    "POST /api/partners/agreements": AGREEMENT_MANAGERS,
    "POST /api/partners/agreements/{agreement_id}/terminate": AGREEMENT_MANAGERS,
    "GET /api/partners/agreements/{agreement_id}/flows": PARTIES_AND_OVERSIGHT,
    "GET /api/partners/organisations/{slug}/api-keys": PARTNER_KEY_MANAGERS,
    "POST /api/partners/organisations/{slug}/api-keys": PARTNER_KEY_MANAGERS,
    "DELETE /api/partners/api-keys/{key_id}": PARTNER_KEY_MANAGERS,
    "GET /api/places/lookup": PUBLIC,
    "GET /api/places/areas": PUBLIC,
    "GET /api/places/areas/{area_id}": PUBLIC,
    "POST /api/places/imports": AREA_IMPORTERS,
    "GET /api/places/imports/{import_id}": AREA_IMPORTERS,
    "POST /api/places/areas/{area_id}/assignments": OFFICER_ASSIGNERS,
    "GET /api/audit/entries": AUDITORS,
    "GET /api/audit/verify": AUDITORS,
    # Tips: the tipster's operations are public (the code and passphrase are the key); staff ones see tips.py.
    "POST /api/tips": PUBLIC,
    "POST /api/tips/follow-up": PUBLIC,
    "POST /api/tips/follow-up/messages": PUBLIC,
    "POST /api/tips/follow-up/files": PUBLIC,
    "POST /api/tips/follow-up/reward": PUBLIC,
    "GET /api/tips": TIP_QUEUE,
    "GET /api/tips/{reference}": TIP_COORDINATORS,
    "POST /api/tips/{reference}/messages": TIP_COORDINATORS,
    # Cameras
    "GET /api/cameras/cameras": SIGNED_IN,
    "POST /api/cameras/cameras": SIGNED_IN,
    "GET /api/cameras/cameras/{camera_id}": CAMERA_MANAGERS,
    "PATCH /api/cameras/cameras/{camera_id}": CAMERA_MANAGERS,
    "POST /api/cameras/cameras/{camera_id}/status": CAMERA_MANAGERS,
    "POST /api/cameras/imports": CAMERA_IMPORTERS,
    "POST /api/cameras/canvasses": CANVASSERS,
    "GET /api/cameras/canvasses": CANVASSERS,
    "GET /api/cameras/canvasses/{canvass_id}": CANVASSERS,  # its officer, and the agency's supervisors
    "POST /api/cameras/canvasses/{canvass_id}/requests": CANVASSERS,  # likewise
    "GET /api/cameras/footage-requests": SIGNED_IN,  # each sees the requests to their own cameras
    "GET /api/cameras/footage-requests/{request_id}": CAMERA_MANAGERS,
    "POST /api/cameras/footage-requests/{request_id}/answer": CAMERA_MANAGERS,
    "POST /api/cameras/evidence/uploads": EVIDENCE_STAFF,  # and an owner answering a pending request
    "PUT /api/cameras/evidence/uploads/{upload_id}": EVIDENCE_STAFF,  # only whoever started the upload
    "GET /api/cameras/evidence/uploads/{upload_id}": EVIDENCE_STAFF,  # likewise
    "GET /api/cameras/evidence": EVIDENCE_STAFF,
    "POST /api/cameras/evidence/export": EVIDENCE_STAFF,
    "GET /api/cameras/evidence/{uid}": EVIDENCE_STAFF,
    "POST /api/cameras/evidence/{uid}/download": EVIDENCE_STAFF,
    "POST /api/cameras/evidence/{uid}/share": EVIDENCE_STAFF,
    "GET /api/cameras/evidence/{uid}/custody": EVIDENCE_CUSTODY,
    "GET /api/cameras/live/grants": LIVE_GRANT_READERS,
    "POST /api/cameras/cameras/{camera_id}/live/grants": CAMERA_MANAGERS,
    "POST /api/cameras/live/grants/{grant_id}/revoke": CAMERA_MANAGERS,
    "POST /api/cameras/live/grants/{grant_id}/open": CANVASSERS,
    "GET /api/cameras/live/grants/{grant_id}/openings": CAMERA_MANAGERS,
    "GET /api/cameras/coverage": PUBLIC,
    "GET /api/cameras/transparency": PUBLIC,
    # Live incidents: people only, from a browser session
    "GET /api/incidents/incidents": INCIDENT_PARTIES,  # incident.board or incident.console; each sees their own
    "POST /api/incidents/incidents": INCIDENT_OPERATORS,  # incident.open, to the agency
    "GET /api/incidents/incidents/{incident_id}": INCIDENT_PARTIES,
    "GET /api/incidents/incidents/{incident_id}/events": INCIDENT_PARTIES,
    "POST /api/incidents/incidents/{incident_id}/updates": INCIDENT_OPERATORS,
    "POST /api/incidents/incidents/{incident_id}/snapshots": INCIDENT_OPERATORS,
    "POST /api/incidents/incidents/{incident_id}/withdraw": INCIDENT_OPERATORS,
    "POST /api/incidents/incidents/{incident_id}/acknowledge": INCIDENT_POLICE,
    "POST /api/incidents/incidents/{incident_id}/assign": INCIDENT_POLICE,
    "POST /api/incidents/incidents/{incident_id}/status": INCIDENT_POLICE,
    "POST /api/incidents/incidents/{incident_id}/close": INCIDENT_POLICE,
    "POST /api/incidents/incidents/{incident_id}/messages": INCIDENT_PARTIES,
    # The alarm exchange: a security company's API key with alarms:write, never a session (401 to everyone)
    "POST /api/incidents/alarms": NOBODY,
    "POST /api/incidents/alarm-batches": NOBODY,
    "GET /api/incidents/alarms/status": NOBODY,
    "GET /api/incidents/alarms/{event_id}": NOBODY,
    "POST /api/incidents/alarms/{event_id}/cancel": NOBODY,
    "GET /api/incidents/alarms/statistics": ALARM_STATS_READERS,
    # Commendations
    "POST /api/incidents/commendations": COMMENDATION_ISSUERS,
    "GET /api/incidents/commendations": SIGNED_IN,  # the ones you received, and your agency's
    "GET /api/incidents/commendations/public": PUBLIC,
    "POST /api/incidents/commendations/{commendation_id}/consent": COMMENDATION_RECIPIENT,
    # The public crime map (refusals of the publication settings: crimedata/tests/test_publication.py)
    "GET /api/crime/public/points": PUBLIC,
    "GET /api/crime/public/hexes": PUBLIC,
    "GET /api/crime/public/areas": PUBLIC,
    "GET /api/crime/public/download.csv": PUBLIC,
    "GET /api/crime/public/download.geojson": PUBLIC,
    # Crime data imports (crime.import; crimedata/tests/test_import_pages.py)
    "GET /api/crime/imports": CRIME_IMPORTERS,
    "GET /api/crime/imports/{run_id}": CRIME_IMPORTERS,
    "GET /api/crime/imports/{run_id}/rejections": CRIME_IMPORTERS,
    # Crime analytics: any agency role, of its own agency (crime.analytics; crimedata/tests/test_analytics_pages.py)
    "GET /api/crime/analytics/heat": AGENCY_STAFF,
    "GET /api/crime/analytics/areas": AGENCY_STAFF,
    "GET /api/crime/analytics/premises": AGENCY_STAFF,
    "GET /api/crime/analytics/compstat": AGENCY_STAFF,
    "GET /api/crime/analytics/hotspots": AGENCY_STAFF,
    "GET /api/crime/trends": PUBLIC,
    # --- Pages (routes as in the urlconf)
    "GET /": PUBLIC,
    "GET /healthz": PUBLIC,
    "GET /language/<str:code>/": PUBLIC,
    "GET /audit/": AUDITORS,
    "GET /accounts/sign-in/": PUBLIC,
    "GET /accounts/sign-in/code/": PUBLIC,  # open, but sends you to the password step first
    "GET /accounts/sign-in/set-up-app/": PUBLIC,  # likewise
    "POST /accounts/sign-out/": PUBLIC,
    "GET /accounts/register/": PUBLIC,
    "GET /accounts/me/": SIGNED_IN,
    "GET /partners/": PUBLIC,
    "GET /partners/agreements/": STAFF_AND_OVERSIGHT,
    "GET /partners/agreements/new/": AGREEMENT_MANAGERS,
    "POST /partners/agreements/new/": AGREEMENT_MANAGERS,
    "POST /partners/agreements/<int:agreement_id>/terminate/": AGREEMENT_MANAGERS,
    "GET /partners/agreements/<int:agreement_id>/": PARTIES_AND_OVERSIGHT,
    "POST /partners/api-keys/<int:key_id>/revoke/": PARTNER_KEY_MANAGERS,
    "GET /partners/<slug:slug>/": PUBLIC,  # the contacts on it: CONTACTS_* above
    "GET /partners/<slug:slug>/api-keys/": PARTNER_KEY_MANAGERS,
    "POST /partners/<slug:slug>/api-keys/": PARTNER_KEY_MANAGERS,
    "GET /places/": PUBLIC,
    "GET /places/areas/<int:area_id>/": PUBLIC,
    "GET /places/import/": AREA_IMPORTERS,
    "POST /places/import/": AREA_IMPORTERS,
    "GET /places/import/<int:import_id>/": AREA_IMPORTERS,
    "GET /tips/": PUBLIC,
    "POST /tips/": PUBLIC,
    "GET /tips/follow-up/": PUBLIC,
    "POST /tips/follow-up/": PUBLIC,
    "POST /tips/follow-up/reply/": PUBLIC,
    "POST /tips/follow-up/reward/": PUBLIC,
    "GET /tips/queue/": TIP_QUEUE,
    "GET /tips/staff/<str:reference>/": TIP_COORDINATORS,  # and the officer it is assigned to
    "POST /tips/staff/<str:reference>/triage/": TIP_COORDINATORS,
    "POST /tips/staff/<str:reference>/status/": TIP_COORDINATORS,  # likewise the assigned officer
    "POST /tips/staff/<str:reference>/note/": TIP_COORDINATORS,  # likewise
    "POST /tips/staff/<str:reference>/message/": TIP_COORDINATORS,  # likewise
    "POST /tips/staff/<str:reference>/reward/": TIP_REWARDERS,
    "POST /tips/staff/<str:reference>/hold/": TIP_REWARDERS,
    "POST /tips/staff/<str:reference>/refer/": TIP_COORDINATORS,
    "POST /tips/staff/<str:reference>/related/<int:link_id>/": TIP_COORDINATORS,
    "GET /tips/staff/<str:reference>/files/<int:attachment_id>/": TIP_COORDINATORS,  # likewise
    "GET /tips/routing/": TIP_RULE_EDITORS,
    "POST /tips/routing/": TIP_RULE_EDITORS,
    "POST /tips/routing/<int:rule_id>/delete/": TIP_RULE_EDITORS,
    "GET /tips/retention/": TIP_RULE_EDITORS,
    "POST /tips/retention/": TIP_RULE_EDITORS,
    "POST /tips/retention/<int:rule_id>/delete/": TIP_RULE_EDITORS,
    "GET /tips/referrals/": PARTNER_STAFF,
    "POST /tips/referrals/<int:referral_id>/acknowledge/": PARTNER_STAFF,  # of the organisation referred to
    "GET /tips/payout/": TIP_REWARDERS,
    "POST /tips/payout/": TIP_REWARDERS,
    # --- Community reports and Open311
    "GET /reports/": SIGNED_IN,
    "GET /reports/new/": SIGNED_IN,
    "POST /reports/new/": SIGNED_IN,
    "GET /reports/<int:request_id>/": AGENCY_STAFF | {Role.RESIDENT},  # report.view: its reporter, agency staff
    "GET /reports/<int:request_id>/photo/": AGENCY_STAFF | {Role.RESIDENT},
    "GET /reports/staff/": AGENCY_STAFF,  # report.queue
    "GET /reports/staff/<int:request_id>/": AGENCY_STAFF,  # report.manage
    "POST /reports/staff/<int:request_id>/": AGENCY_STAFF,
    "GET /open311/v2/services.<open311fmt:fmt>": PUBLIC,
    "GET /open311/v2/services/<slug:service_code>.<open311fmt:fmt>": PUBLIC,
    "GET /open311/v2/requests.<open311fmt:fmt>": PUBLIC,
    "POST /open311/v2/requests.<open311fmt:fmt>": NOBODY,  # an API key with reports:submit, never a session
    "GET /open311/v2/requests/<int:request_id>.<open311fmt:fmt>": PUBLIC,
    "GET /open311/v2/<path:rest>": PUBLIC,  # anything else there: an Open311 404 document
    # --- Cameras
    "GET /cameras/coverage/": PUBLIC,
    "GET /cameras/transparency/": PUBLIC,
    "GET /cameras/": SIGNED_IN,
    "GET /cameras/new/": SIGNED_IN,
    "POST /cameras/new/": SIGNED_IN,
    "GET /cameras/import/": CAMERA_IMPORTERS,
    "POST /cameras/import/": CAMERA_IMPORTERS,
    "GET /cameras/<int:camera_id>/edit/": CAMERA_MANAGERS,
    "POST /cameras/<int:camera_id>/status/": CAMERA_MANAGERS,
    "GET /cameras/canvass/": CANVASSERS,
    "GET /cameras/canvass/new/": CANVASSERS,
    "POST /cameras/canvass/new/": CANVASSERS,
    "GET /cameras/canvass/<int:canvass_id>/": CANVASSERS,  # its officer, and the agency's supervisors
    "POST /cameras/canvass/<int:canvass_id>/requests/": CANVASSERS,  # likewise
    "GET /cameras/requests/": SIGNED_IN,
    "GET /cameras/requests/<int:request_id>/": CAMERA_MANAGERS,
    "POST /cameras/requests/<int:request_id>/answer/": CAMERA_MANAGERS,
    "GET /cameras/evidence/": EVIDENCE_STAFF,
    "POST /cameras/evidence/export/": EVIDENCE_STAFF,
    "GET /cameras/evidence/shared/<str:token>/": PUBLIC,  # with a valid token; 410 otherwise
    "GET /cameras/evidence/<uuid:uid>/": EVIDENCE_CUSTODY,  # oversight sees the custody log only
    "GET /cameras/evidence/<uuid:uid>/preview/": EVIDENCE_STAFF,
    "POST /cameras/evidence/<uuid:uid>/download/": EVIDENCE_STAFF,
    "POST /cameras/evidence/<uuid:uid>/share/": EVIDENCE_STAFF,
    "GET /cameras/<int:camera_id>/live/": CAMERA_MANAGERS,
    "GET /cameras/live/": CANVASSERS,
    "POST /cameras/live/grants/<int:grant_id>/revoke/": CAMERA_MANAGERS,
    "POST /cameras/live/grants/<int:grant_id>/open/": CANVASSERS,
    # --- Live incidents
    "GET /incidents/board/": INCIDENT_POLICE,
    "GET /incidents/console/": INCIDENT_OPERATORS,
    "GET /incidents/new/": INCIDENT_OPERATORS,
    "POST /incidents/new/": INCIDENT_OPERATORS,
    "GET /incidents/<int:incident_id>/": INCIDENT_PARTIES,
    "POST /incidents/<int:incident_id>/messages/": INCIDENT_PARTIES,
    "GET /incidents/<int:incident_id>/snapshots/<int:snapshot_id>/": INCIDENT_PARTIES,
    "POST /incidents/<int:incident_id>/updates/": INCIDENT_OPERATORS,
    "POST /incidents/<int:incident_id>/snapshots/": INCIDENT_OPERATORS,
    "POST /incidents/<int:incident_id>/withdraw/": INCIDENT_OPERATORS,
    "POST /incidents/<int:incident_id>/acknowledge/": INCIDENT_POLICE,
    "POST /incidents/<int:incident_id>/assign/": INCIDENT_POLICE,
    "POST /incidents/<int:incident_id>/status/": INCIDENT_POLICE,
    "POST /incidents/<int:incident_id>/close/": INCIDENT_POLICE,
    "GET /incidents/alarms/statistics/": ALARM_STATS_READERS,
    "GET /incidents/commendations/": PUBLIC,
    "GET /incidents/commendations/issue/": COMMENDATION_ISSUERS,
    "POST /incidents/commendations/issue/": COMMENDATION_ISSUERS,
    "GET /incidents/commendations/issued/": AGENCY_STAFF,
    "GET /incidents/commendations/<int:commendation_id>/": COMMENDATION_READERS,
    "POST /incidents/commendations/<int:commendation_id>/consent/": COMMENDATION_RECIPIENT,
    "GET /incidents/commendations/<int:commendation_id>/certificate.pdf": COMMENDATION_READERS,  # anyone once public
    "GET /crime/map/": PUBLIC,
    "GET /crime/publication/": CRIME_PUBLICATION_SETTERS,
    "POST /crime/publication/": CRIME_PUBLICATION_SETTERS,
    "GET /crime/imports/": CRIME_IMPORTERS,
    "GET /crime/imports/new/": CRIME_IMPORTERS,
    "POST /crime/imports/new/": CRIME_IMPORTERS,
    "GET /crime/imports/<int:run_id>/": CRIME_IMPORTERS,
    "GET /crime/imports/<int:run_id>/rejected.csv": CRIME_IMPORTERS,
    "GET /crime/analytics/": AGENCY_STAFF,
    "GET /crime/analytics/compstat/": AGENCY_STAFF,
    "GET /crime/analytics/hotspots/": AGENCY_STAFF,
    "GET /crime/analytics/export/<slug:table>.csv": AGENCY_STAFF,
    "GET /crime/analytics/charts/<slug:chart>.svg": AGENCY_STAFF,
    "GET /crime/analytics/areas/<int:area_id>/report.pdf": AGENCY_STAFF,
    "GET /crime/trends/": PUBLIC,
    "GET /crime/trends/areas/<int:area_id>/report.pdf": PUBLIC,
    "GET /admin/": NOBODY,  # Django's admin lets in is_staff accounts only, whatever their role
}

# What an allowed caller gets, where it is not 200.
SUCCESS = {
    "POST /api/cameras/cameras": 201,
    "POST /api/cameras/canvasses": 201,
    "POST /api/cameras/canvasses/{canvass_id}/requests": 201,
    "POST /api/cameras/evidence/uploads": 201,
    "POST /api/cameras/evidence/{uid}/share": 201,
    "POST /api/cameras/cameras/{camera_id}/live/grants": 201,
    "POST /cameras/new/": 302,
    "POST /cameras/<int:camera_id>/status/": 302,
    "POST /cameras/canvass/new/": 302,
    "POST /cameras/canvass/<int:canvass_id>/requests/": 302,
    "POST /cameras/requests/<int:request_id>/answer/": 302,
    "POST /cameras/live/grants/<int:grant_id>/revoke/": 302,
    "GET /language/<str:code>/": 302,
    "POST /api/tips": 201,
    "POST /api/tips/follow-up/messages": 201,
    "POST /api/tips/follow-up/files": 201,
    "POST /api/tips/{reference}/messages": 201,
    "POST /tips/": 201,
    "POST /tips/follow-up/reply/": 201,
    "POST /tips/staff/<str:reference>/triage/": 302,
    "POST /tips/staff/<str:reference>/status/": 302,
    "POST /tips/staff/<str:reference>/note/": 302,
    "POST /tips/staff/<str:reference>/message/": 302,
    "POST /tips/staff/<str:reference>/reward/": 302,
    "POST /tips/staff/<str:reference>/hold/": 302,
    "POST /tips/staff/<str:reference>/refer/": 302,
    "POST /tips/staff/<str:reference>/related/<int:link_id>/": 302,
    "POST /tips/routing/": 302,
    "POST /tips/routing/<int:rule_id>/delete/": 302,
    "POST /tips/retention/": 302,
    "POST /tips/retention/<int:rule_id>/delete/": 302,
    "POST /tips/referrals/<int:referral_id>/acknowledge/": 302,
    "POST /api/partners/organisations/{slug}/api-keys": 201,
    "DELETE /api/partners/api-keys/{key_id}": 204,
    "POST /api/partners/agreements": 201,
    "POST /api/places/imports": 202,
    "POST /api/places/areas/{area_id}/assignments": 201,
    "POST /partners/api-keys/<int:key_id>/revoke/": 302,
    "POST /places/import/": 302,
    "POST /partners/agreements/new/": 302,
    "POST /partners/agreements/<int:agreement_id>/terminate/": 302,
    "POST /reports/new/": 302,
    "POST /reports/staff/<int:request_id>/": 302,
    "POST /api/incidents/incidents": 201,
    "POST /api/incidents/incidents/{incident_id}/updates": 201,
    "POST /api/incidents/incidents/{incident_id}/snapshots": 201,
    "POST /api/incidents/incidents/{incident_id}/messages": 201,
    "POST /api/incidents/commendations": 201,
    "POST /incidents/new/": 302,
    "POST /incidents/<int:incident_id>/messages/": 302,
    "POST /incidents/<int:incident_id>/updates/": 302,
    "POST /incidents/<int:incident_id>/snapshots/": 302,
    "POST /incidents/<int:incident_id>/withdraw/": 302,
    "POST /incidents/<int:incident_id>/acknowledge/": 302,
    "POST /incidents/<int:incident_id>/assign/": 302,
    "POST /incidents/<int:incident_id>/status/": 302,
    "POST /incidents/<int:incident_id>/close/": 302,
    "POST /incidents/commendations/issue/": 302,
    "POST /incidents/commendations/<int:commendation_id>/consent/": 302,
    "POST /crime/publication/": 302,
    "POST /crime/imports/new/": 302,
}

# The alerts area keeps its rows beside its tests (alerts/tests/access_*.py).
ACCESS.update(ALERTS_ACCESS)

# Our URL namespaces whose pages the table must cover (the admin is listed by hand; i18n is Django's).
PAGE_NAMESPACES = {"core", "accounts", "partners", "places", "reports", "open311", "tips", "cameras",
                   "incidents", "crimedata", "alerts"}


# --- Helpers


def concrete(route: str, **values) -> str:
    """The route with its parameters filled in: `{slug}` and `<slug:slug>` alike."""
    return re.sub(r"\{(\w+)\}|<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1) or m.group(2)]), route)


def call(client: Client, endpoint: str, *, data=None, json_body=None, **path_values):
    method, route = endpoint.split(" ", 1)
    path = concrete(route, **path_values)
    if json_body is not None:
        return client.generic(method, path, json.dumps(json_body), content_type="application/json")
    return getattr(client, method.lower())(path, data or {})


def expected_status(endpoint: str, who, allowed) -> int:
    if who in allowed:
        return SUCCESS.get(endpoint, 200)
    if who == ANONYMOUS:
        return 401 if endpoint.split(" ", 1)[1].startswith("/api/") else 302
    return 403


def assert_access(response, endpoint: str, who, allowed=None) -> None:
    """`allowed` defaults to the table's answer for the endpoint."""
    allowed = ACCESS[endpoint] if allowed is None else allowed
    expected = expected_status(endpoint, who, allowed)
    assert response.status_code == expected, (
        f"{endpoint} as {who}: expected {expected}, got {response.status_code}: {response.content[:300]!r}"
    )
    if who == ANONYMOUS and who not in allowed and expected == 302:
        assert response.url.startswith(reverse("accounts:sign_in")), response.url


def geojson_upload() -> SimpleUploadedFile:
    square = [[[-93.2, 44.9], [-93.19, 44.9], [-93.19, 44.91], [-93.2, 44.91], [-93.2, 44.9]]]
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Riverside", "code": "riverside"},
         "geometry": {"type": "Polygon", "coordinates": square}},
    ]}
    return SimpleUploadedFile("neighborhoods.geojson", json.dumps(collection).encode(),
                              content_type="application/geo+json")


def issue_key(people, partner, scopes, name="camera sync"):
    """A key of the partner, issued by its admin from a verified session; returns (key, secret)."""
    return partner_services.api_key_issue(actor=actor_for_user(people[Role.PARTNER_ADMIN]), organisation=partner,
                                          name=name, scopes=scopes, mfa_verified=True)


def bearer(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


# --- Fixtures


@pytest.fixture
def client_of(people, client_for):
    def make(who) -> Client:
        return Client() if who == ANONYMOUS else client_for(people[who])

    return make


@pytest.fixture
def area(agency):
    """A neighborhood of the agency, around (-93.295, 44.905)."""
    return AreaFactory(agency=agency, name="West End", lon=-93.30, lat=44.90)


@pytest.fixture
def agreement(partner, agency):
    return agreement_between(partner, agency, Scope.FOOTAGE_ON_REQUEST, title="Camera footage MOU")


@pytest.fixture
def area_import(agency, people):
    return AreaImport.objects.create(agency=agency, kind=AreaKind.NEIGHBORHOOD, file=geojson_upload(),
                                     original_name="neighborhoods.geojson", created_by=people[Role.ANALYST])


@pytest.fixture
def partner_key(people, partner):
    api_key, _secret = issue_key(people, partner, ["agreements:read"])
    return api_key


# --- The table covers every endpoint


def test_the_table_lists_every_api_operation():
    spec = Client().get("/api/openapi.json").json()
    published = {f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item}
    in_table = {endpoint for endpoint in ACCESS if endpoint.split(" ", 1)[1].startswith("/api/")}
    assert published == in_table


def page_routes() -> set[str]:
    routes = set()
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace in PAGE_NAMESPACES:
            routes |= {f"/{entry.pattern}{pattern.pattern}" for pattern in entry.url_patterns}
    return routes


def test_the_table_lists_every_page():
    in_table = {endpoint.split(" ", 1)[1] for endpoint in ACCESS}
    assert page_routes() - in_table == set()


# --- Public: anyone, signed in or not


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", [
    "GET /api/places/lookup",
    "GET /api/places/areas",
    "GET /api/places/areas/{area_id}",
    "GET /api/partners/organisations",
    "GET /api/partners/organisations/{slug}",
])
def test_anyone_reads_the_public_api(client_of, who, endpoint, area, partner):
    data = {"lat": 44.905, "lon": -93.295} if endpoint == "GET /api/places/lookup" else None
    response = call(client_of(who), endpoint, data=data, area_id=area.pk, slug=partner.slug)
    assert_access(response, endpoint, who)
    if endpoint == "GET /api/places/lookup":
        assert response.json()["found"] is True


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", [
    "GET /",
    "GET /healthz",
    "GET /places/",
    "GET /places/areas/<int:area_id>/",
    "GET /partners/",
    "GET /partners/<slug:slug>/",
    "GET /accounts/sign-in/",
    "GET /accounts/register/",
])
def test_anyone_opens_the_public_pages(client_of, who, endpoint, area, partner):
    response = call(client_of(who), endpoint, area_id=area.pk, slug=partner.slug)
    assert_access(response, endpoint, who)


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", ["GET /accounts/sign-in/code/", "GET /accounts/sign-in/set-up-app/"])
def test_anyone_reaches_the_second_sign_in_step_but_is_sent_to_the_password_step_first(client_of, who, endpoint):
    assert who in ACCESS[endpoint]
    response = call(client_of(who), endpoint)
    assert response.status_code == 302 and response.url == reverse("accounts:sign_in")


@pytest.mark.parametrize("who", EVERYONE)
def test_anyone_may_sign_out(client_of, who):
    endpoint = "POST /accounts/sign-out/"
    assert who in ACCESS[endpoint]
    client = client_of(who)
    response = call(client, endpoint)
    assert response.status_code == 302 and response.url == reverse("core:home")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("who", EVERYONE)
def test_no_role_opens_the_django_admin(client_of, who):
    assert ACCESS["GET /admin/"] == NOBODY
    response = client_of(who).get("/admin/", follow=True)
    assert response.redirect_chain, "the admin answered without a redirect"
    assert response.request["PATH_INFO"] == reverse("accounts:sign_in")


# --- Signed in: everyone with an account


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", ["GET /api/accounts/me", "GET /accounts/me/"])
def test_every_signed_in_person_and_no_one_else_sees_their_own_account(client_of, people, who, endpoint):
    response = call(client_of(who), endpoint)
    assert_access(response, endpoint, who)
    if endpoint == "GET /api/accounts/me" and who != ANONYMOUS:
        assert response.json()["label"] == people[who].email


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", ["GET /api/partners/organisations/{slug}", "GET /partners/<slug:slug>/"])
def test_an_unlisted_organisation_is_seen_only_by_its_members_and_agency_staff(client_of, who, endpoint, partner):
    partner.is_listed = False
    partner.save(update_fields=["is_listed"])
    response = call(client_of(who), endpoint, slug=partner.slug)
    assert response.status_code == (200 if who in UNLISTED_ORGANISATION_SEEN_BY else 404)


# --- Contacts of the partner: its own staff, and agency staff only under contact sharing partner → agency

SHARING_CASES = {
    "no_agreement": (),
    "agreement_without_contact_sharing": (Scope.FOOTAGE_ON_REQUEST,),
    "contact_sharing_partner_to_agency": (Scope.CONTACT_SHARING,),
}


def contacts_allowed(sharing: str) -> frozenset:
    return CONTACTS_UNDER_SHARING if Scope.CONTACT_SHARING in SHARING_CASES[sharing] else CONTACTS_WITHOUT_SHARING


@pytest.fixture
def shared(request, partner, agency):
    """The partner's 24/7 contact, and (as the case says) an agreement with the agency."""
    scopes = SHARING_CASES[request.param]
    if scopes:
        agreement_between(partner, agency, *scopes)
    ContactFactory(organisation=partner, name="Dana Nightdesk", phone="555-0199")
    return request.param


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("shared", list(SHARING_CASES), indirect=True)
def test_the_partners_contacts_are_read_by_its_staff_and_by_agency_staff_only_under_contact_sharing(
    client_of, who, shared, partner
):
    endpoint = "GET /api/partners/organisations/{slug}/contacts"
    allowed = contacts_allowed(shared)
    assert ACCESS[endpoint] == CONTACTS_WITHOUT_SHARING
    response = call(client_of(who), endpoint, slug=partner.slug)
    assert_access(response, endpoint, who, allowed)
    if who in allowed:
        assert [c["name"] for c in response.json()] == ["Dana Nightdesk"]
    # A read across organisations is a data flow, recorded under the agreement that allows it.
    assert DataFlow.objects.filter(scope=Scope.CONTACT_SHARING).exists() == (who in allowed and who in AGENCY_STAFF)


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("shared", list(SHARING_CASES), indirect=True)
def test_the_partners_page_shows_its_contacts_only_to_those_who_may_read_them(client_of, who, shared, partner):
    endpoint = "GET /partners/<slug:slug>/"
    response = call(client_of(who), endpoint, slug=partner.slug)
    assert_access(response, endpoint, who)
    assert ("Dana Nightdesk" in response.content.decode()) == (who in contacts_allowed(shared))


# --- Agreements


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", ["GET /api/partners/agreements", "GET /partners/agreements/"])
def test_staff_and_oversight_list_agreements_and_see_those_their_organisation_is_party_to(
    client_of, who, endpoint, agreement
):
    response = call(client_of(who), endpoint)
    assert_access(response, endpoint, who)
    if who in ACCESS[endpoint]:
        # A security operator may list agreements, but their company is party to none of them.
        listed = (
            agreement.pk in {a["id"] for a in response.json()} if endpoint.startswith("GET /api/")
            else agreement.title in response.content.decode()
        )
        assert listed == (who in PARTIES_AND_OVERSIGHT)


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", [
    "GET /api/partners/agreements/{agreement_id}",
    "GET /api/partners/agreements/{agreement_id}/flows",
    "GET /partners/agreements/<int:agreement_id>/",
])
def test_only_the_parties_staff_and_oversight_open_an_agreement_and_its_flows(client_of, who, endpoint, agreement):
    response = call(client_of(who), endpoint, agreement_id=agreement.pk)
    assert_access(response, endpoint, who)


# --- API keys of the partner: its admin only, from a signed-in session


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", [
    "GET /api/partners/organisations/{slug}/api-keys",
    "GET /partners/<slug:slug>/api-keys/",
])
def test_only_the_partner_admin_lists_the_partners_api_keys(client_of, who, endpoint, partner, partner_key):
    response = call(client_of(who), endpoint, slug=partner.slug)
    assert_access(response, endpoint, who)
    if who in ACCESS[endpoint]:
        assert partner_key.prefix in response.content.decode()


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", [
    "POST /api/partners/organisations/{slug}/api-keys",
    "POST /partners/<slug:slug>/api-keys/",
])
def test_only_the_partner_admin_issues_the_partners_api_keys(client_of, who, endpoint, partner):
    payload = {"name": "Front desk camera sync", "scopes": ["organisations:read", "contacts:read"]}
    if endpoint.startswith("POST /api/"):
        response = call(client_of(who), endpoint, json_body=payload, slug=partner.slug)
    else:
        response = call(client_of(who), endpoint, data=payload, slug=partner.slug)
    assert_access(response, endpoint, who)
    issued = ApiKey.objects.filter(organisation=partner, name="Front desk camera sync")
    assert issued.exists() == (who in ACCESS[endpoint])
    if who in ACCESS[endpoint] and endpoint.startswith("POST /api/"):
        assert response.json()["key"].startswith(f"sc_{response.json()['prefix']}_")


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", [
    "DELETE /api/partners/api-keys/{key_id}",
    "POST /partners/api-keys/<int:key_id>/revoke/",
])
def test_only_the_partner_admin_revokes_the_partners_api_keys(client_of, who, endpoint, partner_key):
    response = call(client_of(who), endpoint, key_id=partner_key.pk)
    assert_access(response, endpoint, who)
    partner_key.refresh_from_db()
    assert (partner_key.revoked_at is not None) == (who in ACCESS[endpoint])


# --- Places: area imports and officer assignments, by the agency's roles


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", [
    "GET /api/places/imports/{import_id}",
    "GET /places/import/<int:import_id>/",
    "GET /places/import/",
])
def test_only_agency_admins_and_analysts_follow_area_imports(client_of, who, endpoint, area_import):
    response = call(client_of(who), endpoint, import_id=area_import.pk)
    assert_access(response, endpoint, who)


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", ["POST /api/places/imports", "POST /places/import/"])
def test_only_agency_admins_and_analysts_import_areas(client_of, who, endpoint, agency):
    agency_field = agency.slug if endpoint.startswith("POST /api/") else agency.pk
    data = {"agency": agency_field, "kind": AreaKind.NEIGHBORHOOD, "file": geojson_upload()}
    response = call(client_of(who), endpoint, data=data)
    assert_access(response, endpoint, who)
    assert AreaImport.objects.filter(agency=agency).exists() == (who in ACCESS[endpoint])


@pytest.mark.parametrize("who", EVERYONE)
def test_only_agency_admins_and_supervisors_assign_officers(client_of, people, who, area):
    endpoint = "POST /api/places/areas/{area_id}/assignments"
    payload = {"officer_email": people[Role.OFFICER].email, "duty": "neighborhood_officer",
               "starts_on": "2026-01-05", "public_phone": "555-0142", "shift": "Days, Mon–Fri"}
    response = call(client_of(who), endpoint, json_body=payload, area_id=area.pk)
    assert_access(response, endpoint, who)
    assert OfficerAssignment.objects.filter(area=area).exists() == (who in ACCESS[endpoint])


@pytest.mark.parametrize("who", sorted(SIGNED_IN - OFFICER_ASSIGNERS))
def test_a_refused_assignment_does_not_tell_whether_the_email_has_an_account(client_of, who, area):
    endpoint = "POST /api/places/areas/{area_id}/assignments"
    payload = {"officer_email": "nobody-here@test.example", "duty": "neighborhood_officer", "starts_on": "2026-01-05"}
    response = call(client_of(who), endpoint, json_body=payload, area_id=area.pk)
    assert response.status_code == 403


# --- Audit trail


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", ["GET /api/audit/entries", "GET /api/audit/verify", "GET /audit/"])
def test_only_oversight_and_agency_admin_search_and_verify_the_audit_trail(client_of, who, endpoint):
    response = call(client_of(who), endpoint)
    assert_access(response, endpoint, who)


# --- API keys as callers: scopes, revocation, and no way into session-only operations

# What each scope-checked operation needs from a key.
SCOPE_NEEDED = {
    "GET /api/partners/organisations": "organisations:read",
    "GET /api/partners/organisations/{slug}": "organisations:read",
    "GET /api/partners/organisations/{slug}/contacts": "contacts:read",
    "GET /api/partners/agreements": "agreements:read",
    "GET /api/partners/agreements/{agreement_id}": "agreements:read",
    "GET /api/partners/agreements/{agreement_id}/flows": "agreements:read",
}


@pytest.mark.parametrize("endpoint", list(SCOPE_NEEDED))
def test_an_api_key_reads_only_what_its_scopes_cover(people, partner, agreement, endpoint):
    _key, places_only = issue_key(people, partner, ["places:read"], name="map widget")
    _key, scoped = issue_key(people, partner, [SCOPE_NEEDED[endpoint]], name="integration")
    values = {"slug": partner.slug, "agreement_id": agreement.pk}
    assert call(bearer(places_only), endpoint, **values).status_code == 403
    assert call(bearer(scoped), endpoint, **values).status_code == 200


def test_a_places_only_key_is_refused_the_agreements(people, partner, agreement):
    _key, secret = issue_key(people, partner, ["places:read"])
    response = bearer(secret).get("/api/partners/agreements")
    assert response.status_code == 403
    assert "agreements:read" in response.json()["detail"]


@pytest.mark.parametrize("endpoint", ["GET /api/accounts/me", "GET /api/partners/agreements"])
def test_a_revoked_or_unknown_key_is_not_signed_in(people, partner, endpoint):
    api_key, secret = issue_key(people, partner, ["agreements:read"])
    assert call(bearer(secret), endpoint).status_code == 200
    partner_services.api_key_revoke(actor=actor_for_user(people[Role.PARTNER_ADMIN]), api_key=api_key)
    assert call(bearer(secret), endpoint).status_code == 401
    assert call(bearer("sc_00000000_not-a-real-secret"), endpoint).status_code == 401


SESSION_ONLY = [
    "GET /api/partners/organisations/{slug}/api-keys",
    "POST /api/partners/organisations/{slug}/api-keys",
    "DELETE /api/partners/api-keys/{key_id}",
    "POST /api/places/imports",
    "GET /api/places/imports/{import_id}",
    "POST /api/places/areas/{area_id}/assignments",
    "GET /api/audit/entries",
    "GET /api/audit/verify",
]


@pytest.mark.parametrize("endpoint", SESSION_ONLY)
def test_an_api_key_with_every_scope_is_not_accepted_where_a_signed_in_person_is_needed(
    people, partner, area, area_import, endpoint
):
    api_key, secret = issue_key(people, partner, list(ApiKey.ApiScope.values))
    response = call(bearer(secret), endpoint, slug=partner.slug, key_id=api_key.pk, area_id=area.pk,
                    import_id=area_import.pk)
    assert response.status_code == 401
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


# --- Recording and ending agreements


@pytest.mark.parametrize("who", EVERYONE)
def test_only_the_agency_admin_records_an_agreement_naming_their_agency(client_of, who, agency, partner):
    endpoint = "POST /api/partners/agreements"
    payload = {"title": "SafeCam", "purpose": "Footage on request with a case number", "signed": True,
               "parties": [{"organisation": agency.slug, "role": "requests footage"},
                           {"organisation": partner.slug, "role": "answers requests"}],
               "grants": [{"scope": "footage_on_request", "provider": partner.slug, "recipient": agency.slug}],
               "effective_from": "2026-01-01", "expires_on": "2027-12-31"}
    response = call(client_of(who), endpoint, json_body=payload)
    assert_access(response, endpoint, who)
    if who in ACCESS[endpoint]:
        assert response.json()["grants"] == [{"scope": "footage_on_request", "provider_id": partner.pk,
                                              "recipient_id": agency.pk}]


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", ["GET /partners/agreements/new/", "POST /partners/agreements/new/"])
def test_only_the_agency_admin_opens_and_sends_the_agreement_form(client_of, who, endpoint, agency, partner):
    data = {"title": "SafeCam", "purpose": "Footage on request", "agency": agency.pk, "agency_role": "asks",
            "partner": partner.pk, "partner_role": "answers", "to_agency": ["footage_on_request"],
            "to_partner": ["contact_sharing"], "effective_from": "2026-01-01", "expires_on": "2027-12-31",
            "signed": "on"}
    response = call(client_of(who), endpoint, data=data if endpoint.startswith("POST") else None)
    assert_access(response, endpoint, who)
    created = Agreement.objects.filter(title="SafeCam").first()
    assert (created is not None) == (who in ACCESS[endpoint] and endpoint.startswith("POST"))
    if created:
        assert {(g.scope, g.provider_id, g.recipient_id) for g in created.grants.all()} == {
            ("footage_on_request", partner.pk, agency.pk), ("contact_sharing", agency.pk, partner.pk)}


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", ["POST /api/partners/agreements/{agreement_id}/terminate",
                                      "POST /partners/agreements/<int:agreement_id>/terminate/"])
def test_only_the_agency_admin_of_a_party_terminates_an_agreement(client_of, who, endpoint, agreement):
    body = {"reason": "the partner closed"}
    if endpoint.startswith("POST /api/"):
        response = call(client_of(who), endpoint, json_body=body, agreement_id=agreement.pk)
    else:
        response = call(client_of(who), endpoint, data=body, agreement_id=agreement.pk)
    assert_access(response, endpoint, who)
    agreement.refresh_from_db()
    assert (agreement.state == "terminated") == (who in ACCESS[endpoint])


# --- Community reports and Open311


@pytest.fixture
def community_report(people, agency, area):
    """The resident's report of graffiti in the agency's neighborhood, with a photo; the service has a definition."""
    service = ServiceTypeFactory(agency=agency, code="graffiti", name="Graffiti")
    ServiceAttributeFactory(service=service, code="surface", description="On what?")
    report = ServiceRequestFactory(service=service, reporter=people[Role.RESIDENT], latitude=44.905, longitude=-93.295)
    report.photo = default_storage.save("reports/access-matrix.jpg", ContentFile(jpeg_with_gps()))
    report.photo_content_type = "image/jpeg"
    report.save(update_fields=["photo", "photo_content_type"])
    return report


def open311_error_of(response, fmt: str) -> tuple[int, str]:
    if fmt == "xml":
        error = ET.fromstring(response.content).find("error")  # noqa: S314  (our own server's answer)
        return int(error.findtext("code")), error.findtext("description")
    (error,) = response.json()
    return error["code"], error["description"]


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", ["GET /reports/", "GET /reports/new/"])
def test_every_signed_in_person_and_no_one_else_opens_their_reports_and_the_report_form(
    client_of, who, endpoint, community_report
):
    response = call(client_of(who), endpoint)
    assert_access(response, endpoint, who)
    if who in ACCESS[endpoint] and endpoint == "GET /reports/":
        listed = reverse("reports:detail", args=[community_report.pk]) in response.content.decode()
        assert listed == (who == Role.RESIDENT)


@pytest.mark.parametrize("who", EVERYONE)
def test_every_signed_in_person_and_no_one_else_sends_a_report(client_of, people, who, community_report):
    endpoint = "POST /reports/new/"
    data = {"service": "graffiti", "description": "Fresh tags on the bridge", "lat": "44.905", "lon": "-93.295"}
    response = call(client_of(who), endpoint, data=data)
    assert_access(response, endpoint, who)
    sent = ServiceRequest.objects.filter(description="Fresh tags on the bridge")
    assert sent.exists() == (who in ACCESS[endpoint])
    if sent.exists():
        assert sent.get().reporter == people[who]


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", ["GET /reports/<int:request_id>/", "GET /reports/<int:request_id>/photo/"])
def test_only_the_reporter_and_the_agencys_staff_open_a_report_and_its_photo(
    client_of, who, endpoint, community_report
):
    response = call(client_of(who), endpoint, request_id=community_report.pk)
    assert_access(response, endpoint, who)


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", ["GET /reports/staff/", "GET /reports/staff/<int:request_id>/"])
def test_only_agency_staff_work_the_reports_queue(client_of, who, endpoint, community_report):
    response = call(client_of(who), endpoint, request_id=community_report.pk)
    assert_access(response, endpoint, who)
    if who in ACCESS[endpoint]:
        assert reverse("reports:staff_detail", args=[community_report.pk]) in response.content.decode() or (
            endpoint != "GET /reports/staff/")


@pytest.mark.parametrize("who", EVERYONE)
def test_only_agency_staff_change_a_reports_status(client_of, who, community_report):
    endpoint = "POST /reports/staff/<int:request_id>/"
    response = call(client_of(who), endpoint, data={"status": "acknowledged", "note": "On our list."},
                    request_id=community_report.pk)
    assert_access(response, endpoint, who)
    community_report.refresh_from_db()
    assert (community_report.status == "acknowledged") == (who in ACCESS[endpoint])


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("endpoint", [
    "GET /open311/v2/services.<open311fmt:fmt>",
    "GET /open311/v2/services/<slug:service_code>.<open311fmt:fmt>",
    "GET /open311/v2/requests.<open311fmt:fmt>",
    "GET /open311/v2/requests/<int:request_id>.<open311fmt:fmt>",
])
def test_anyone_reads_the_open311_feed(client_of, who, fmt, endpoint, community_report):
    response = call(client_of(who), endpoint, fmt=fmt, service_code="graffiti", request_id=community_report.pk)
    assert_access(response, endpoint, who)
    assert "graffiti" in response.content.decode()


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_no_person_submits_through_open311_without_an_api_key(client_of, who, fmt, community_report):
    endpoint = "POST /open311/v2/requests.<open311fmt:fmt>"
    assert ACCESS[endpoint] == NOBODY
    data = {"service_code": "graffiti", "lat": "44.905", "long": "-93.295", "email": "sam@test.example"}
    response = call(client_of(who), endpoint, data=data, fmt=fmt)
    assert response.status_code == 400
    code, description = open311_error_of(response, fmt)
    assert code == 400 and "api_key is required" in description
    assert ServiceRequest.objects.count() == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_api_key_submits_through_open311_only_with_the_reports_submit_scope(people, partner, community_report, fmt):
    endpoint = "POST /open311/v2/requests.<open311fmt:fmt>"
    data = {"service_code": "graffiti", "lat": "44.905", "long": "-93.295", "email": "sam@test.example"}
    _key, other_scopes = issue_key(people, partner, [s for s in ApiKey.ApiScope.values if s != "reports:submit"])
    _key, submitter = issue_key(people, partner, ["reports:submit"], name="311 app")

    unknown = call(Client(), endpoint, data={**data, "api_key": "sc_00000000_not-a-real-secret"}, fmt=fmt)
    assert unknown.status_code == 401 and open311_error_of(unknown, fmt)[0] == 401
    refused = call(Client(), endpoint, data={**data, "api_key": other_scopes}, fmt=fmt)
    assert refused.status_code == 403
    assert open311_error_of(refused, fmt) == (403, "this api_key lacks the reports:submit scope.")
    assert ServiceRequest.objects.count() == 1

    accepted = call(Client(), endpoint, data={**data, "api_key": submitter}, fmt=fmt)
    assert accepted.status_code == 201
    assert ServiceRequest.objects.count() == 2


@pytest.mark.parametrize("who", EVERYONE)
def test_anyone_switches_language_with_a_link_and_gets_no_token_cookie(client_of, who):
    endpoint = "GET /language/<str:code>/"
    client = client_of(who)
    response = client.get(concrete(endpoint.split(" ", 1)[1], code="es") + "?next=/places/")
    assert_access(response, endpoint, who)
    assert response.url == "/places/" and response.cookies["django_language"].value == "es"
    if who == ANONYMOUS:
        assert "csrftoken" not in client.get("/").cookies  # the header holds no form for visitors
    assert client.get("/language/xx/").status_code == 404
    assert client.get("/language/es/?next=https://elsewhere.example/").url == "/"


# --- Crime data imports: analysts and agency admins of the agency


@pytest.fixture
def crime_import_run(agency, tmp_path):
    from safecommons.crimedata.mapping import mapping_load
    from safecommons.crimedata.services.imports import crime_import_file

    path = tmp_path / "export.csv"
    path.write_text("INCIDENT_NUMBER,OFFENSE_CODE,OCCURRED_ON_DATE,STREET,Lat,Long,DISTRICT,REPORTING_AREA\n"
                    "I1,619,2026-04-01 10:00:00,MAIN ST,44.9,-93.3,B2,1\nI2,619,bad,MAIN ST,44.9,-93.3,B2,1\n")
    return crime_import_file(actor=None, agency=agency, path=path, mapping=mapping_load("boston-incidents"))


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", [endpoint for endpoint in ACCESS if " /crime/imports/" in endpoint
                                      or " /api/crime/imports" in endpoint])
def test_only_the_agencys_analysts_and_admins_import_crime_data_and_read_the_reports(
        client_of, who, endpoint, agency, crime_import_run, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    data = None
    if endpoint.startswith("POST"):
        data = {"agency": agency.pk, "mapping": "boston-incidents",
                "file": SimpleUploadedFile("export.csv", b"INCIDENT_NUMBER,OFFENSE_CODE\n")}
    response = call(client_of(who), endpoint, data=data, run_id=crime_import_run.pk)
    assert_access(response, endpoint, who)
