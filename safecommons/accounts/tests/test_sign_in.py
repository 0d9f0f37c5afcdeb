import datetime

import pytest
import time_machine
from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from safecommons.accounts import services
from safecommons.accounts.services import SignIn
from safecommons.accounts.tests.factories import PASSWORD, UserFactory
from safecommons.core.audit.models import AuditEntry
from safecommons.core.roles import Role

pytestmark = pytest.mark.django_db


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def post_password(client, user, password=PASSWORD):
    return client.post(reverse("accounts:sign_in"), {"email": user.email, "password": password})


def test_passwords_are_hashed_with_argon2():
    user = UserFactory()
    assert identify_hasher(user.password).algorithm == "argon2"


def test_a_resident_signs_in_with_a_password_alone(client):
    resident = UserFactory()
    response = post_password(client, resident)
    assert response.status_code == 302
    assert client.get(reverse("accounts:account")).status_code == 200
    assert AuditEntry.objects.filter(action="auth.sign_in", actor_id=resident.pk).exists()


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PARTNER_ADMIN, Role.SECURITY_OPERATOR, Role.OVERSIGHT])
def test_staff_are_not_signed_in_by_a_password_alone(client, people, role):
    staff = people[role]
    confirmed_device(staff)
    response = post_password(client, staff)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:totp"))
    account = client.get(reverse("accounts:account"))
    assert account.status_code == 302 and account.url.startswith(reverse("accounts:sign_in"))


def test_staff_are_signed_in_after_the_right_code(client, people):
    officer = people[Role.OFFICER]
    device = confirmed_device(officer)
    post_password(client, officer)
    response = client.post(reverse("accounts:totp"), {"token": current_code(device)})
    assert response.status_code == 302
    assert client.get(reverse("accounts:account")).status_code == 200
    entry = AuditEntry.objects.filter(action="auth.sign_in", actor_id=officer.pk).get()
    assert entry.details["method"] == "password+totp"


def test_a_first_time_staff_member_must_set_up_an_app_before_entering(client, people):
    analyst = people[Role.ANALYST]
    response = post_password(client, analyst)
    assert response.url.startswith(reverse("accounts:enrol"))
    page = client.get(reverse("accounts:enrol"))
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=analyst, confirmed=False)
    client.post(reverse("accounts:enrol"), {"token": current_code(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("accounts:account")).status_code == 200
    assert AuditEntry.objects.filter(action="auth.mfa_enrolled", actor_id=analyst.pk).exists()


def test_a_staff_session_without_a_verified_device_is_ended(client, people):
    supervisor = people[Role.SUPERVISOR]
    client.force_login(supervisor)  # as if a password-only session existed
    response = client.get(reverse("accounts:account"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:sign_in"))
    assert "_auth_user_id" not in client.session


def test_five_failed_sign_ins_lock_the_account_for_ten_minutes(client):
    resident = UserFactory()
    start = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            assert services.sign_in_password(email=resident.email, password="wrong").outcome == SignIn.INVALID
        assert services.sign_in_password(email=resident.email, password="wrong").outcome == SignIn.LOCKED
        # Even the right password is refused while locked.
        assert services.sign_in_password(email=resident.email, password=PASSWORD).outcome == SignIn.LOCKED
        page = post_password(client, resident)
        assert "locked" in page.content.decode()
    with time_machine.travel(start + datetime.timedelta(minutes=9, seconds=59), tick=False):
        assert services.sign_in_password(email=resident.email, password=PASSWORD).outcome == SignIn.LOCKED
    with time_machine.travel(start + datetime.timedelta(minutes=10, seconds=1), tick=False):
        assert services.sign_in_password(email=resident.email, password=PASSWORD).outcome == SignIn.OK
    assert AuditEntry.objects.filter(action="auth.sign_in_failed").count() == 5
    assert AuditEntry.objects.filter(action="auth.locked").count() == 1


def test_wrong_codes_count_toward_the_lockout(people):
    officer = people[Role.OFFICER]
    confirmed_device(officer)
    for _ in range(5):
        result, _device = services.sign_in_totp(user=officer, token="999999x")
    assert result.outcome == SignIn.LOCKED
    assert services.sign_in_password(email=officer.email, password=PASSWORD).outcome == SignIn.LOCKED


def test_thirty_idle_minutes_end_an_agency_session(client_for, people):
    officer = people[Role.OFFICER]
    start = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        client = client_for(officer)
        assert client.get(reverse("accounts:account")).status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        assert client.get(reverse("accounts:account")).status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=60), tick=False):
        response = client.get(reverse("accounts:account"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:sign_in"))
    assert AuditEntry.objects.filter(action="auth.session_expired", actor_id=officer.pk).exists()


def test_a_resident_session_survives_an_idle_hour(client_for):
    resident = UserFactory()
    start = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        client = client_for(resident)
        client.get(reverse("accounts:account"))
    with time_machine.travel(start + datetime.timedelta(hours=1), tick=False):
        assert client.get(reverse("accounts:account")).status_code == 200


def test_a_banned_password_is_refused_at_registration(client):
    with pytest.raises(ValidationError):
        services.resident_register(email="new@test.example", password="password123")
    response = client.post(reverse("accounts:register"), {"email": "new@test.example", "password": "qwertyuiop"})
    assert response.status_code == 200
    assert "too common" in response.content.decode()


def test_a_resident_registers_and_is_signed_in(client):
    response = client.post(reverse("accounts:register"),
                           {"email": "New@Test.example", "password": "a-long-unusual-passphrase-42"})
    assert response.status_code == 302
    assert client.get(reverse("accounts:account")).status_code == 200


def test_the_admin_has_no_password_only_door(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:sign_in"))
