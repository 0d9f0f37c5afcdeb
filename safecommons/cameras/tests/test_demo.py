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
