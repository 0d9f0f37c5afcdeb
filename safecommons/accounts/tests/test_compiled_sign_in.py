"""The session's user and TOTP device are found again by SQL compiled once: the same people, the same
refusals as Django's and django-otp's own lookups."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, get_user
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safecommons.accounts import backends
from safecommons.accounts import middleware as account_middleware
from safecommons.accounts.backends import UserBackend
from safecommons.accounts.middleware import OTPDeviceMiddleware
from safecommons.accounts.tests.factories import PASSWORD, UserFactory
from safecommons.accounts.tests.test_sign_in import current_code
from safecommons.conftest import sign_in
from safecommons.core.roles import Role
from safecommons.incidents.tests.factories_workflow import actor

pytestmark = pytest.mark.django_db


def test_the_backend_finds_an_active_user_and_refuses_an_inactive_or_missing_one():
    active, inactive = UserFactory(), UserFactory(is_active=False)
    backend = UserBackend()

    found = backend.get_user(active.pk)

    assert found == active and found.password == active.password and found.email == active.email
    assert backends._USER_BY_ID._compiled["first"] is not None
    assert backend.get_user(inactive.pk) is None
    assert backend.get_user(10**9) is None


def test_a_signed_in_request_is_that_person_and_a_changed_password_ends_the_session(client, people):
    officer = people[Role.OFFICER]
    sign_in(client, officer)
    request = RequestFactory().get("/")
    request.session = client.session

    assert get_user(request) == officer

    officer.set_password("another long passphrase 2026")
    officer.save()
    assert not get_user(request).is_authenticated  # Django's check of the session's hash still runs


def device_found(session_device_id: str, user):
    request = RequestFactory().get("/")
    request.session = {DEVICE_ID_SESSION_KEY: session_device_id}
    verified_user = OTPDeviceMiddleware(lambda request: None)._verify_user_sync(request, user)
    return verified_user.otp_device


def test_the_middleware_finds_the_sessions_totp_device_and_only_the_users_own_confirmed_one(people):
    officer, other = people[Role.OFFICER], people[Role.SUPERVISOR]
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    someone_elses = TOTPDevice.objects.create(user=other, name="phone", confirmed=True)
    unconfirmed = TOTPDevice.objects.create(user=officer, name="new phone", confirmed=False)

    assert device_found(device.persistent_id, officer) == device
    assert account_middleware._TOTP_DEVICE._compiled["first"] is not None
    assert device_found(device.persistent_id, officer).key == device.key
    assert device_found(someone_elses.persistent_id, officer) is None
    assert device_found(unconfirmed.persistent_id, officer) is None
    assert device_found("otp_totp.totpdevice/999999", officer) is None
    assert device_found("otp_totp.totpdevice/x1", officer) is None
    assert device_found("otp_static.staticdevice/1", officer) is None


def test_signing_in_through_the_pages_stores_the_backend_and_the_next_request_is_that_person(client, people):
    officer = people[Role.OFFICER]
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    client.post(reverse("accounts:sign_in"), {"email": officer.email, "password": PASSWORD})
    client.post(reverse("accounts:totp"), {"token": current_code(device)})

    assert client.session[BACKEND_SESSION_KEY] == backends.USER_BACKEND
    response = client.get(reverse("accounts:account"))
    assert response.status_code == 200 and response.wsgi_request.user == officer
    assert response.wsgi_request.user.is_verified()


def test_a_session_naming_another_backend_is_signed_out(client, people):
    officer = people[Role.OFFICER]
    sign_in(client, officer)
    session = client.session
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session.save()

    response = client.get(reverse("accounts:account"))

    assert response.status_code == 302 and response.url.startswith(reverse("accounts:sign_in"))


def test_what_changes_after_the_reads_were_compiled_is_seen_at_the_next_read(people):
    officer = people[Role.OFFICER]
    backend = UserBackend()
    assert backend.get_user(officer.pk) == officer  # compiled by now
    membership = officer.memberships.get()
    assert actor(officer).is_agency_staff

    officer.is_active = False
    officer.save(update_fields=["is_active"])
    membership.ended_at = timezone.now()
    membership.save(update_fields=["ended_at"])

    assert backend.get_user(officer.pk) is None
    assert not actor(officer).memberships


def test_an_id_no_column_holds_finds_nobody():
    assert UserBackend().get_user(2**63) is None
    assert UserBackend().get_user(-(2**70)) is None
