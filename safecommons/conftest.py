"""The shared test base: one person per role, in an agency and a partner, plus an outsider; and headless
Chromium for the browser tests."""

import os
import shutil

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safecommons.accounts.backends import USER_BACKEND
from safecommons.accounts.tests.factories import MembershipFactory, UserFactory
from safecommons.core.audit import append_only
from safecommons.core.roles import Role
from safecommons.partners.models import OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory
from safecommons.settings import evidence_storage_entry
from safecommons.tips import throttle

AGENCY_SIDE = [Role.OFFICER, Role.LIAISON, Role.ANALYST, Role.SUPERVISOR, Role.AGENCY_ADMIN]
PARTNER_SIDE = [Role.PARTNER_MEMBER, Role.PARTNER_ADMIN]


@pytest.fixture(autouse=True)
def _audit_append_only(request):
    """Keep the audit triggers on in every database test, and off only while a transactional test's
    database is flushed afterwards (flushing deletes every row, which the triggers rightly refuse)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        yield
        return
    transactional = bool(marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    append_only.install(connection)
    yield
    if transactional:
        append_only.uninstall(connection)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    settings.STORAGES = {**settings.STORAGES, "evidence": evidence_storage_entry(root=tmp_path / "evidence")}
    settings.PASSWORD_HASHERS = ["safecommons.accounts.tests.hashers.QuickArgon2PasswordHasher"]
    # Tests run tasks themselves; no worker thread may take them first.
    settings.EMBEDDED_WORKER = False
    cache.clear()  # throttles and caches start empty in every test
    throttle.forget_local_key()


@pytest.fixture
def agency(db):
    return OrganisationFactory(kind=OrganisationKind.AGENCY, name="Testville Police Department")


@pytest.fixture
def partner(db):
    return OrganisationFactory(kind=OrganisationKind.BUSINESS, name="Acme Apartments")


@pytest.fixture
def security_company(db):
    return OrganisationFactory(kind=OrganisationKind.SECURITY_COMPANY, name="Watchful Monitoring")


@pytest.fixture
def oversight_body(db):
    return OrganisationFactory(kind=OrganisationKind.OVERSIGHT_BODY, name="Police Commission")


@pytest.fixture
def people(agency, partner, security_company, oversight_body):
    """{role: user}: each role held in the organisation where it belongs; the resident holds none."""
    people = {Role.RESIDENT: UserFactory(email="resident@test.example")}
    for role in AGENCY_SIDE:
        people[role] = MembershipFactory(organisation=agency, role=role).user
    for role in PARTNER_SIDE:
        people[role] = MembershipFactory(organisation=partner, role=role).user
    people[Role.SECURITY_OPERATOR] = MembershipFactory(organisation=security_company,
                                                       role=Role.SECURITY_OPERATOR).user
    people[Role.OVERSIGHT] = MembershipFactory(organisation=oversight_body, role=Role.OVERSIGHT).user
    return people


def sign_in(client: Client, user) -> Client:
    """A session as after the real sign-in: staff sessions carry a verified TOTP device."""
    client.force_login(user, backend=USER_BACKEND)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for(db):
    def make(user) -> Client:
        return sign_in(Client(), user)

    return make


# --- Browser tests: Debian's Chromium driven by Playwright; skipped where it is not installed.

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
# Without the background-networking switches Chromium tries to reach Google's hosts at start.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser():
    if not CHROMIUM:
        pytest.skip("Chromium is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server runs beside Playwright's loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
