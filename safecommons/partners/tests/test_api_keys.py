import hashlib

import pytest
from django.core.exceptions import PermissionDenied

from safecommons.core.audit.models import AuditEntry
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners import services
from safecommons.partners.models import ApiKey

pytestmark = pytest.mark.django_db


def issue(people, partner, **kwargs):
    options = dict(name="camera sync", scopes=["agreements:read"], mfa_verified=True) | kwargs
    return services.api_key_issue(actor=actor_for_user(people[Role.PARTNER_ADMIN]), organisation=partner, **options)


def test_a_key_is_stored_only_as_a_hash_and_authenticates(people, partner):
    api_key, secret = issue(people, partner)
    assert secret.startswith(f"sc_{api_key.prefix}_")
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert secret.split("_", 2)[2] not in str(stored.__dict__)
    assert stored.secret_hash == hashlib.sha256(secret.split("_", 2)[2].encode()).hexdigest()
    assert services.api_key_authenticate(presented=secret) == api_key
    assert services.api_key_authenticate(presented=secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert AuditEntry.objects.filter(action="apikey.issued").exists()


def test_creating_a_key_needs_a_session_verified_by_a_second_factor(people, partner):
    with pytest.raises(PermissionDenied):
        issue(people, partner, mfa_verified=False)


def test_only_the_partners_admin_issues_its_keys(people, partner):
    for role in (Role.PARTNER_MEMBER, Role.OFFICER, Role.AGENCY_ADMIN, Role.RESIDENT):
        with pytest.raises(PermissionDenied):
            services.api_key_issue(actor=actor_for_user(people[role]), organisation=partner, name="x",
                                   scopes=["agreements:read"], mfa_verified=True)


def test_a_revoked_key_stops_working_at_once(people, partner):
    api_key, secret = issue(people, partner)
    services.api_key_revoke(actor=actor_for_user(people[Role.PARTNER_ADMIN]), api_key=api_key)
    assert services.api_key_authenticate(presented=secret) is None
