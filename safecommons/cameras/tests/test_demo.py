"""The demo city's cameras: enough for the public map to show something, and each kind of owner present."""

import pytest

from safecommons.accounts.models import User
from safecommons.cameras.models import Camera
from safecommons.cameras.selectors import coverage_density
from safecommons.demo.city import EMAIL_DOMAIN, demo_city_load


@pytest.mark.django_db
def test_the_demo_city_has_cameras_of_every_kind_of_owner_and_a_public_map_to_show():
    demo_city_load()
    resident = User.objects.get(email=f"resident@{EMAIL_DOMAIN}")
    assert Camera.objects.filter(owner_user=resident).count() == 2
    assert Camera.objects.filter(owner_organisation__slug="riverbend-property-management",
                                 share_exact_location=True, live_share_capable=True).exists()
    assert Camera.objects.filter(owner_organisation__slug="northgate-shopping-center").count() == 8
    cells = coverage_density()
    assert len(cells) >= 3 and all(cell.count >= 3 for cell in cells)
    # The neighbours' accounts exist only to own cameras: nobody can sign in with them.
    assert not any(user.has_usable_password() for user in User.objects.filter(email__startswith="neighbour"))


@pytest.mark.django_db
def test_the_demo_canvass_finds_the_resident_and_the_property_manager_but_not_the_lapsed_program():
    from safecommons.cameras.models import Canvass, FootageRequest
    from safecommons.cameras.selectors import canvass as canvass_selectors
    from safecommons.core.permissions import actor_for_user

    demo_city_load()
    canvass = Canvass.objects.get(case_number="RPD-2026-04417")
    officer = actor_for_user(canvass.officer)
    found = Camera.objects.filter(pk__in=[row.camera_id for row in
                                          canvass_selectors.canvass_results(actor=officer, canvass=canvass)])
    assert found.filter(owner_user__email=f"resident@{EMAIL_DOMAIN}").exists()
    assert found.filter(owner_organisation__slug="riverbend-property-management").exists()
    assert not found.filter(owner_organisation__slug="northgate-shopping-center").exists()
    assert set(FootageRequest.objects.values_list("status", flat=True)) == {FootageRequest.Status.PENDING}
    assert FootageRequest.objects.count() == 2
    # The driveway keeps a week: its owner is told how long that night's footage is left.
    from safecommons.cameras.models import OwnerNotice

    assert OwnerNotice.objects.filter(kind=OwnerNotice.Kind.RETENTION, camera__name="Driveway",
                                      camera__owner_user__email=f"resident@{EMAIL_DOMAIN}").exists()
