"""The neighborhood-officer page in real headless Chromium (skipped where Chromium is absent)."""

import os
import re
from urllib.parse import urlparse

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser_page(browser):
    return browser.new_page()


@pytest.fixture
def demo_city(transactional_db):
    from safecommons.demo.city import demo_city_load

    demo_city_load()


def test_a_resident_finds_their_neighborhood_officer_by_address_and_on_the_map(live_server, browser_page, demo_city):
    page = browser_page
    origin = urlparse(live_server.url).netloc
    other_hosts = []
    page.on("request", lambda request: urlparse(request.url).netloc not in (origin, "")
            and other_hosts.append(request.url))

    page.goto(f"{live_server.url}/places/")
    page.get_by_label("Your address").fill("120 Oak St")
    page.get_by_role("button", name="Find").click()
    result = page.locator("#result")
    result.get_by_text("Old Mill").first.wait_for()
    assert "Neighborhood officer" in result.inner_text()
    assert page.locator(".officer").count() >= 1

    # The map draws the neighborhoods from our API; a click looks up that point.
    page.locator(".area-label").first.wait_for()
    assert page.locator("path.leaflet-interactive").count() == 9
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.wait_for_url(re.compile(r"lat=-?\d"))
    assert page.locator("#result .areas li").count() >= 3  # neighborhood, beat, sector, jurisdiction
    if screenshot := os.environ.get("SCREENSHOT_PATH"):
        page.screenshot(path=screenshot, full_page=True)
    assert other_hosts == []


def test_the_page_works_in_spanish(live_server, browser_page, demo_city):
    page = browser_page
    page.goto(f"{live_server.url}/places/")
    page.get_by_role("link", name="Español").click()
    page.locator("html[lang=es]").wait_for()
    assert "Encuentre" in page.locator("h1").inner_text()
