from io import StringIO

import pytest
import shapely
from django.core.management import call_command
from django.db.models import Count
from shapely.geometry import shape

from safecommons.accounts.models import Membership, User
from safecommons.accounts.services import SignIn, sign_in_password, sign_in_totp
from safecommons.core.audit.models import AuditEntry
from safecommons.core.audit.services import audit_chain_verify
from safecommons.core.roles import Role
from safecommons.demo.city import (
    AGENCY_NAME,
    DEMO_PASSWORD,
    DEMO_TOTP_KEY_HEX,
    DEMO_TOTP_SECRET,
    EMAIL_DOMAIN,
    demo_city_load,
)
from safecommons.partners.models import Agreement, AgreementGrant, Organisation, Scope
from safecommons.partners.selectors import grant_covering
from safecommons.places.geoindex import area_index
from safecommons.places.models import AddressPoint, Area, AreaKind, OfficerAssignment
from safecommons.places.selectors import area_lookup


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def city(db):
    loaded = demo_city_load()
    assert loaded.loaded
    return loaded


def _snapshot() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Organisation,
            User,
            Membership,
            Area,
            AddressPoint,
            OfficerAssignment,
            Agreement,
            AuditEntry,
        )
    }


@pytest.mark.django_db
def test_loading_twice_changes_nothing_the_second_time():
    first = StringIO()
    call_command("load_demo_city", stdout=first)
    assert "Riverton demo city loaded." in first.getvalue()
    assert DEMO_TOTP_SECRET in first.getvalue()
    before = _snapshot()

    second = StringIO()
    call_command("load_demo_city", stdout=second)

    assert second.getvalue().strip() == "demo city already loaded"
    assert _snapshot() == before
    assert Organisation.objects.filter(name=AGENCY_NAME).count() == 1


@pytest.mark.django_db
def test_every_role_has_a_demo_user(city):
    demo_users = User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")
    for role in Role:
        if role == Role.RESIDENT:
            holders = demo_users.annotate(n=Count("memberships")).filter(n=0)
        else:
            holders = demo_users.filter(memberships__role=role, memberships__ended_at__isnull=True)
        assert holders.exists(), f"no demo user holds {role}"
    assert all(user.check_password(DEMO_PASSWORD) for user in demo_users)


@pytest.mark.django_db
def test_staff_sign_in_with_the_demo_authenticator_and_residents_without(city):
    resident = sign_in_password(email=f"resident@{EMAIL_DOMAIN}", password=DEMO_PASSWORD)
    assert resident.outcome == SignIn.OK

    officer = sign_in_password(email=f"officer@{EMAIL_DOMAIN}", password=DEMO_PASSWORD)
    assert officer.outcome == SignIn.NEEDS_TOTP
    out = StringIO()
    call_command("demo_code", stdout=out)
    code = out.getvalue().split()[0]
    assert len(code) == 6 and code.isdigit()
    result, device = sign_in_totp(user=officer.user, token=code)
    assert result.outcome == SignIn.OK
    assert device.key == DEMO_TOTP_KEY_HEX


@pytest.mark.django_db
def test_120_oak_st_has_a_neighborhood_and_an_officer(city):
    lookup = area_lookup(address="120 Oak St")

    assert lookup.found
    neighborhoods = [area for area in lookup.areas if area.kind == AreaKind.NEIGHBORHOOD]
    assert len(neighborhoods) == 1
    assert any(
        a.area == neighborhoods[0] and a.duty == OfficerAssignment.Duty.NEIGHBORHOOD_OFFICER
        for a in lookup.assignments
    )


@pytest.mark.django_db
def test_areas_tile_the_city_and_every_address_falls_in_one_area_of_each_kind(city):
    jurisdiction = Area.objects.get(kind=AreaKind.JURISDICTION)
    outline = shape(jurisdiction.geometry)
    for kind, expected in [(AreaKind.SECTOR, 2), (AreaKind.BEAT, 6), (AreaKind.NEIGHBORHOOD, 9)]:
        shapes = [shape(a.geometry) for a in Area.objects.filter(kind=kind)]
        assert len(shapes) == expected
        assert shapely.unary_union(shapes).symmetric_difference(outline).area < 1e-12
        assert sum(s.area for s in shapes) == pytest.approx(outline.area)

    kinds = dict(Area.objects.values_list("id", "kind"))
    index = area_index()
    for point in AddressPoint.objects.all():
        found = sorted(kinds[i] for i in index.containing(point.longitude, point.latitude))
        assert found == sorted(AreaKind.values), f"{point} lies in {found}"


@pytest.mark.django_db
def test_the_expired_agreement_lets_nothing_flow(city):
    expired = [a for a in Agreement.objects.all() if a.state == "expired"]
    assert len(expired) == 1
    grant = expired[0].grants.get()
    assert (
        grant_covering(scope=grant.scope, provider_id=grant.provider_id, recipient_id=grant.recipient_id)
        is None
    )

    active = AgreementGrant.objects.get(
        agreement__title="Riverton SafeCam Partnership", scope=Scope.FOOTAGE_ON_REQUEST
    )
    assert active.agreement.state == "active"
    assert (
        grant_covering(scope=active.scope, provider_id=active.provider_id, recipient_id=active.recipient_id)
        == active
    )
    assert Agreement.objects.get(title__startswith="School Safety").state == Agreement.Status.DRAFT


@pytest.mark.django_db
def test_the_audit_trail_shows_the_set_up_and_verifies(city):
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"areas.imported", "officer.assigned", "agreement.created", "demo.city_loaded"} <= actions
    report = audit_chain_verify()
    assert report.ok, report.problem
    assert report.checked == city.counts["audit entries"]
