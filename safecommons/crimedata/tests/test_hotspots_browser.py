"""The hotspot map in real headless Chromium: the neighborhoods and the cells are drawn, the planted cluster is
red, and the page asks nothing of any host but ours."""

from urllib.parse import urlparse

import h3
import pytest

from safecommons.core.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_hotspot_map_draws_the_cells_and_calls_no_other_host(live_server, browser, agency, people):
    from django.test import Client

    from safecommons.conftest import sign_in
    from safecommons.crimedata.tests.test_hotspots import HOT_CENTRE, records_at
    from safecommons.places.tests.factories import AreaFactory

    AreaFactory(agency=agency, name="Central", lon=-93.33, lat=44.93, size=0.1)
    from safecommons.crimedata.selectors.hotspots import study_area_cells

    cells, _how = study_area_cells(agency_id=agency.pk, resolution=8)
    centre = h3.latlng_to_cell(*HOT_CENTRE, 8)
    records_at(agency, sorted(cells), {cell: 12 for cell in h3.grid_disk(centre, 1)}, n=len(cells) * 4)
    session = sign_in(Client(), people[Role.ANALYST]).cookies["sessionid"].value

    ours = urlparse(live_server.url).netloc
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/crime/analytics/hotspots/?start=2026-01-01&end=2026-12-31")
    page.wait_for_selector("#hotspot-map path.leaflet-interactive", timeout=15_000)
    drawn = page.locator("#hotspot-map path.leaflet-interactive").count()
    assert drawn > len(cells) // 2  # the cells with records, and the neighborhood's outline
    assert page.locator("#hotspot-map path[fill='#d7301f']").count() >= 1  # a hot spot, in red
    assert "Hot spot" in page.inner_text("table")
    others = [url for url in requests if urlparse(url).netloc not in (ours, "")]
    assert others == [], others
    context.close()
