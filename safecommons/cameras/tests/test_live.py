"""Live access at the service level: granting needs an agreement with the live scope; opening works only
inside the window, and every opening and every refusal is on the record; the address is encrypted at rest."""

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.cameras import crypto, services
from safecommons.cameras.models import Camera, LiveGrant, LiveOpening, OwnerNotice
from safecommons.cameras.selectors import live as live_selectors
from safecommons.cameras.services import live as live_services
from safecommons.cameras.tests.factories_live import STREAM_URL, grant, live_agreement, live_camera, move_window
from safecommons.core.audit.models import AuditEntry
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners.models import Agreement, OrganisationKind, Scope
from safecommons.partners.tests.factories import OrganisationFactory, agreement_between

pytestmark = pytest.mark.django_db


@pytest.fixture
def camera(people, partner, agency):
    live_agreement(partner, agency)
    return live_camera(people, partner)


def open_as(people, live_grant, role=Role.OFFICER, reason="Fight reported outside"):
    return live_services.live_stream_open(actor=actor_for_user(people[role]), grant=live_grant, reason=reason)


def denied(action="live.opened"):
    return AuditEntry.objects.filter(action=action, outcome=AuditEntry.Outcome.DENIED)


# --- The address at rest


def test_the_database_never_holds_the_stream_address_in_clear(people, camera, agency):
    live_grant = grant(people, camera, agency)
    with connection.cursor() as cursor:
        cursor.execute("SELECT stream_url_encrypted FROM cameras_livegrant WHERE id = %s", [live_grant.pk])
        stored = cursor.fetchone()[0]
    assert STREAM_URL not in stored and "s3cret-pass" not in stored and "cam.acme.example" not in stored
    assert crypto.stream_url_decrypt(stored) == STREAM_URL


def test_the_address_is_not_written_to_the_audit_trail(people, camera, agency):
    live_grant = grant(people, camera, agency)
    open_as(people, live_grant)
    for entry in AuditEntry.objects.all():
        assert "s3cret-pass" not in f"{entry.reason} {entry.details}"


def test_a_configured_key_is_used_and_a_token_under_another_key_fails(settings):
    token = crypto.stream_url_encrypt(STREAM_URL)  # under the key derived from SECRET_KEY
    settings.LIVE_STREAM_KEY = Fernet.generate_key().decode()
    with pytest.raises(ValueError, match="cannot be decrypted"):
        crypto.stream_url_decrypt(token)
    assert crypto.stream_url_decrypt(crypto.stream_url_encrypt(STREAM_URL)) == STREAM_URL


def test_an_altered_token_does_not_decrypt():
    token = crypto.stream_url_encrypt(STREAM_URL)
    with pytest.raises(ValueError):
        crypto.stream_url_decrypt(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))


# --- Granting


def test_an_organisation_grants_under_an_agreement_with_the_live_scope(people, camera, agency):
    live_grant = grant(people, camera, agency)
    assert live_grant.agreement.grants.filter(scope=Scope.LIVE_CAMERA_ACCESS).exists()
    assert live_grant.granted_by == people[Role.PARTNER_ADMIN]
    assert AuditEntry.objects.filter(action="live.granted", object_id=str(live_grant.pk)).exists()
    assert list(live_selectors.live_agencies_for(camera=camera)) == [agency]


def test_without_the_live_scope_no_grant_can_be_made(people, partner, agency):
    agreement_between(partner, agency, Scope.FOOTAGE_ON_REQUEST)  # an agreement, but not for live video
    camera = live_camera(people, partner)
    with pytest.raises(Refused, match="No agreement in force"):
        grant(people, camera, agency)
    assert not LiveGrant.objects.exists()
    assert list(live_selectors.live_agencies_for(camera=camera)) == []


def test_an_expired_agreement_cannot_be_granted_under(people, partner, agency):
    today = timezone.localdate()
    agreement_between(partner, agency, Scope.LIVE_CAMERA_ACCESS, effective_from=today - timedelta(days=60),
                      expires_on=today - timedelta(days=1))
    with pytest.raises(Refused, match="No agreement in force"):
        grant(people, live_camera(people, partner), agency)


def test_a_residents_camera_cannot_be_shared_live(people, agency):
    resident = actor_for_user(people[Role.RESIDENT])
    camera = services.camera_register(actor=resident, name="Porch", latitude=44.98, longitude=-93.27, bearing_deg=0,
                                      fov_deg=90, range_m=20, retention_days=7, live_share_capable=True)
    with pytest.raises(PermissionDenied):
        live_services.live_grant_create(actor=resident, camera=camera, agency=agency, stream_url=STREAM_URL,
                                        starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=1),
                                        purpose="x")


@pytest.mark.parametrize("change, reason", [
    ({"live_share_capable": False}, "not marked as able to share"),
    ({"status": Camera.Status.PAUSED}, "Only an active camera"),
])
def test_only_an_active_live_capable_camera_is_granted(people, camera, agency, change, reason):
    Camera.objects.filter(pk=camera.pk).update(**change)
    camera.refresh_from_db()
    with pytest.raises(Refused, match=reason):
        grant(people, camera, agency)


@pytest.mark.parametrize("url", ["http://cam.example/live", "ftp://cam.example/x", "cam.example", "rtsp://",
                                 "https://evil.example;script-src */x", "rtsp://cam.example:port/x"])
def test_only_rtsp_rtsps_and_https_addresses_are_taken(people, camera, agency, url):
    with pytest.raises(Refused, match="stream address"):
        grant(people, camera, agency, stream_url=url)


@pytest.mark.parametrize("starts_in, lasts, reason", [
    (timedelta(0), timedelta(days=31), "at most 30 days"),
    (timedelta(hours=1), timedelta(0), "must end after it starts"),
    (timedelta(days=-3), timedelta(days=1), "already over"),
])
def test_the_window_is_checked(people, camera, agency, starts_in, lasts, reason):
    with pytest.raises(Refused, match=reason):
        grant(people, camera, agency, starts_in=starts_in, lasts=lasts)


def test_a_grant_goes_only_to_a_law_enforcement_agency(people, partner, security_company):
    agreement_between(partner, security_company, Scope.LIVE_CAMERA_ACCESS)
    with pytest.raises(Refused, match="law-enforcement agency"):
        grant(people, live_camera(people, partner), security_company)


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.OFFICER, Role.SECURITY_OPERATOR, Role.OVERSIGHT])
def test_only_those_who_manage_the_camera_grant_and_revoke(people, camera, agency, role):
    with pytest.raises(PermissionDenied):
        live_services.live_grant_create(actor=actor_for_user(people[role]), camera=camera, agency=agency,
                                        stream_url=STREAM_URL, starts_at=timezone.now(),
                                        ends_at=timezone.now() + timedelta(hours=1), purpose="x")
    live_grant = grant(people, camera, agency)
    with pytest.raises(PermissionDenied):
        live_services.live_grant_revoke(actor=actor_for_user(people[role]), grant=live_grant)


# --- Opening


def test_an_officer_opens_inside_the_window_and_the_owner_sees_it(people, camera, agency):
    live_grant = grant(people, camera, agency)
    assert open_as(people, live_grant, reason="Fight reported outside") == STREAM_URL
    opening = LiveOpening.objects.get()
    assert (opening.officer, opening.reason, opening.grant) == (people[Role.OFFICER], "Fight reported outside",
                                                                live_grant)
    entry = AuditEntry.objects.get(action="live.opened")
    assert entry.outcome == AuditEntry.Outcome.OK and entry.reason == "Fight reported outside"
    notice = OwnerNotice.objects.get(kind=OwnerNotice.Kind.LIVE_OPENED)
    assert (notice.organisation, notice.camera) == (camera.owner_organisation, camera)
    owner = actor_for_user(people[Role.PARTNER_MEMBER])
    assert [o.officer for o in live_selectors.live_openings(actor=owner, grant=live_grant)] == [people[Role.OFFICER]]
    assert mail.outbox == []  # an opening is told in the app, not by email


def test_every_opening_is_recorded(people, camera, agency):
    live_grant = grant(people, camera, agency)
    open_as(people, live_grant)
    open_as(people, live_grant, role=Role.SUPERVISOR, reason="Follow-up")
    assert LiveOpening.objects.count() == 2
    assert AuditEntry.objects.filter(action="live.opened", outcome=AuditEntry.Outcome.OK).count() == 2


def test_an_expired_grant_refuses(people, camera, agency):
    live_grant = move_window(grant(people, camera, agency), starts_in=timedelta(days=-2), lasts=timedelta(days=1))
    with pytest.raises(Refused, match="has ended"):
        open_as(people, live_grant)
    assert not LiveOpening.objects.exists()
    assert denied().get().details["refused"] == "ended"


def test_a_grant_not_yet_started_refuses(people, camera, agency):
    live_grant = grant(people, camera, agency, starts_in=timedelta(hours=2))
    with pytest.raises(Refused, match="not started"):
        open_as(people, live_grant)
    assert denied().get().details["refused"] == "not_started"


def test_a_revoked_grant_refuses_at_once(people, camera, agency):
    live_grant = grant(people, camera, agency)
    open_as(people, live_grant)
    live_services.live_grant_revoke(actor=actor_for_user(people[Role.PARTNER_MEMBER]), grant=live_grant,
                                    reason="Event over")
    with pytest.raises(Refused, match="revoked"):
        open_as(people, live_grant)
    assert LiveOpening.objects.count() == 1 and denied().count() == 1
    assert AuditEntry.objects.filter(action="live.revoked", reason="Event over").exists()
    assert list(live_selectors.live_grants_in_force(actor=actor_for_user(people[Role.OFFICER]))) == []
    with pytest.raises(Refused, match="already revoked"):
        live_services.live_grant_revoke(actor=actor_for_user(people[Role.PARTNER_ADMIN]), grant=live_grant)


def test_a_terminated_agreement_stops_openings(people, camera, agency):
    live_grant = grant(people, camera, agency)
    Agreement.objects.filter(pk=live_grant.agreement_id).update(status=Agreement.Status.TERMINATED)
    with pytest.raises(Refused, match="no longer in force"):
        open_as(people, live_grant)
    assert denied().get().details["refused"] == "agreement"


@pytest.mark.parametrize("status", [Camera.Status.PAUSED, Camera.Status.WITHDRAWN])
def test_a_paused_or_withdrawn_camera_refuses(people, camera, agency, status):
    live_grant = grant(people, camera, agency)
    services.camera_status_set(actor=actor_for_user(people[Role.PARTNER_ADMIN]), camera=camera, status=status)
    live_grant.refresh_from_db()
    with pytest.raises(Refused, match="paused or withdrawn"):
        open_as(people, live_grant)
    assert denied().exists()


def test_a_reason_is_required(people, camera, agency):
    with pytest.raises(Refused, match="Say why"):
        open_as(people, grant(people, camera, agency), reason="  ")


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.LIAISON, Role.ANALYST, Role.AGENCY_ADMIN, Role.PARTNER_ADMIN,
                                  Role.SECURITY_OPERATOR, Role.OVERSIGHT])
def test_other_roles_cannot_open(people, camera, agency, role):
    with pytest.raises(PermissionDenied):
        open_as(people, grant(people, camera, agency), role=role)
    assert not LiveOpening.objects.exists()


def test_an_officer_of_another_agency_cannot_open(people, camera, agency):
    other = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Elsewhere PD")
    stranger = actor_for_user(MembershipFactory(organisation=other, role=Role.OFFICER).user)
    with pytest.raises(PermissionDenied):
        live_services.live_stream_open(actor=stranger, grant=grant(people, camera, agency), reason="curious")
    assert list(live_selectors.live_grants_in_force(actor=stranger)) == []
