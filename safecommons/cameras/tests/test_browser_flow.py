"""The camera capability end to end in real headless Chromium: a resident registers a camera by clicking the
map; an officer canvasses the place, sees the camera (at its block: the resident kept the exact spot to
themselves) and asks for its footage; the resident finds the request in plain words."""

from datetime import timedelta
from urllib.parse import urlparse

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def sessions(transactional_db, people) -> dict[str, str]:
    """Signed-in sessions (the officer's past TOTP), made before the browser's event loop starts."""
    from django.test import Client

    from safecommons.conftest import sign_in
    from safecommons.core.roles import Role

    return {who: sign_in(Client(), people[role]).cookies["sessionid"].value
            for who, role in (("resident", Role.RESIDENT), ("officer", Role.OFFICER))}


def signed_in_page(browser, live_server, session: str):
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    context.add_cookies([{"name": "sessionid", "value": session, "domain": urlparse(live_server.url).hostname,
                          "path": "/"}])
    page = context.new_page()
    origin = urlparse(live_server.url).netloc
    others: list[str] = []
    page.on("request", lambda r: urlparse(r.url).netloc not in (origin, "") and others.append(r.url))
    return context, page, others


def test_a_camera_registered_on_the_map_is_found_by_a_canvass_and_its_owner_is_asked(sessions, live_server, browser):
    from django.utils import timezone

    from safecommons.cameras.models import Camera, FootageRequest

    # 1. The resident places the camera with a click on the map, facing north.
    context, page, others = signed_in_page(browser, live_server, sessions["resident"])
    page.goto(f"{live_server.url}/cameras/new/")
    page.fill("#id_latitude", "44.98")
    page.fill("#id_longitude", "-93.27")
    page.locator("#id_latitude").dispatch_event("input")
    page.locator("#camera-form-map").click(position={"x": 150, "y": 120})
    assert page.input_value("#id_latitude") not in ("", "44.98")
    page.fill("#id_name", "Porch")
    page.fill("#id_bearing_deg", "0")
    page.fill("#id_fov_deg", "90")
    page.fill("#id_range_m", "30")
    page.fill("#id_retention_days", "14")
    page.click("form.camera-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/cameras/")
    camera = Camera.objects.get(name="Porch")
    assert others == []
    context.close()

    # 2. The officer canvasses a point 12 m north of it, for an hour yesterday evening.
    context, page, others = signed_in_page(browser, live_server, sessions["officer"])
    page.goto(f"{live_server.url}/cameras/canvass/new/")
    page.fill("#id_latitude", f"{camera.latitude + 12 / 111_195:.6f}")
    page.fill("#id_longitude", f"{camera.longitude:.6f}")
    end = timezone.localtime() - timedelta(hours=20)
    page.fill("#id_window_start", (end - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_window_end", end.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_case_number", "24-009911")
    page.select_option("#id_offense", "burglary")
    page.fill("#id_reason", "Garage break-in across the street; looking for the suspect's car.")
    page.get_by_role("button", name="Find cameras").click()
    page.wait_for_url(f"{live_server.url}/cameras/canvass/*/")
    row = page.locator("tr", has=page.locator(f"#ask-{camera.pk}"))
    assert "a resident" in row.inner_text() and "approximate (block)" in row.inner_text()
    assert f"{camera.latitude:.6f}" not in page.content()  # the exact spot stays with its owner
    # On the map: the incident, and the camera as a circle around its block.
    page.wait_for_selector("#canvass-map path", state="attached")
    assert page.locator("#canvass-map path").count() >= 2
    page.check(f"#ask-{camera.pk}")
    page.get_by_role("button", name="Send requests to the selected cameras").click()
    page.wait_for_load_state()
    assert "Waiting for the owner" in page.content()
    assert FootageRequest.objects.get().camera == camera
    assert others == []
    context.close()

    # 3. The resident sees who asks, for what and why.
    context, page, others = signed_in_page(browser, live_server, sessions["resident"])
    page.goto(f"{live_server.url}/cameras/requests/")
    page.locator("section[aria-labelledby=pending-heading]").get_by_role("link", name="Porch").click()
    text = page.locator("main").inner_text()
    assert "Garage break-in across the street" in text and "24-009911" in text
    assert others == []
    context.close()
