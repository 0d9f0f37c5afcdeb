"""The registry form in real headless Chromium: a click places the camera, the sector follows the inputs,
and the public coverage map draws hexagons from the API."""

from urllib.parse import urlparse

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def resident_session(transactional_db) -> str:
    from django.test import Client

    from safecommons.accounts.tests.factories import UserFactory
    from safecommons.conftest import sign_in

    return sign_in(Client(), UserFactory(email="owner@test.example")).cookies["sessionid"].value


def sector_path(page) -> str:
    return page.locator("#camera-form-map path.leaflet-interactive").last.get_attribute("d")


def test_a_click_places_the_camera_and_the_sector_follows_the_inputs(resident_session, live_server, browser):
    from safecommons.cameras.models import Camera

    host = urlparse(live_server.url).hostname
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies([{"name": "sessionid", "value": resident_session, "domain": host, "path": "/"}])
    page = context.new_page()
    page.goto(f"{live_server.url}/cameras/new/")
    page.fill("#id_latitude", "44.98")
    page.fill("#id_longitude", "-93.27")
    page.locator("#id_latitude").dispatch_event("input")
    page.wait_for_selector("#camera-form-map path.leaflet-interactive")
    before = sector_path(page)
    page.fill("#id_bearing_deg", "180")
    page.locator("#id_bearing_deg").dispatch_event("input")
    assert sector_path(page) != before  # the sector turned with the direction

    page.locator("#camera-form-map").click(position={"x": 60, "y": 60})
    latitude = page.input_value("#id_latitude")
    assert latitude and latitude != "44.98"  # the click moved the camera

    page.fill("#id_name", "Back yard")
    page.click("form.camera-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/cameras/")
    page.wait_for_selector("#camera-map path.leaflet-interactive")
    camera = Camera.objects.get()
    assert (camera.name, camera.bearing_deg, f"{camera.latitude:.6f}") == ("Back yard", 180, latitude)
    context.close()


def test_the_coverage_map_draws_hexagons_without_calling_other_hosts(transactional_db, live_server, browser):
    from safecommons.accounts.tests.factories import UserFactory
    from safecommons.cameras import services
    from safecommons.core.permissions import actor_for_user

    for i in range(3):  # three neighbours' cameras: a cell needs three owners to be shown
        services.camera_register(actor=actor_for_user(UserFactory()), name=f"Cam {i}", latitude=44.9777 + i * 1e-6,
                                 longitude=-93.265,
                                 bearing_deg=0, fov_deg=90, range_m=20, retention_days=7)
    page = browser.new_page()
    elsewhere: list[str] = []
    origin = urlparse(live_server.url).netloc
    page.on("request",
            lambda request: urlparse(request.url).netloc not in (origin, "") and elsewhere.append(request.url))
    page.goto(f"{live_server.url}/cameras/coverage/")
    page.wait_for_selector("#coverage-map path.leaflet-interactive")
    assert page.locator("#coverage-map path.leaflet-interactive").count() == 1 and elsewhere == []
