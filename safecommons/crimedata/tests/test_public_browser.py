"""The public crime map in real headless Chromium: it loads and draws, a filter changes what it shows, and
every request the page makes goes to our own host."""

from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_map_loads_a_filter_changes_it_and_no_other_host_is_called(live_server, browser, agency):
    from safecommons.crimedata.tests.test_public_api import PERIOD, build_world

    build_world(agency)
    ours = urlparse(live_server.url).netloc
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/crime/map/?start={PERIOD['start']}&end={PERIOD['end']}")

    # The neighborhoods frame the map; drawn hexagons or points say how many spots are shown.
    page.wait_for_selector("#crime-map[data-shown]", timeout=15_000)
    page.wait_for_selector("#crime-map path.leaflet-interactive")
    before = (page.get_attribute("#crime-map", "data-kind"), int(page.get_attribute("#crime-map", "data-shown")))
    assert before[1] >= 2
    assert "Offenses 1 to 9 of 9" in page.inner_text("#crime-rows caption")

    # Only burglaries, at night: the form reloads the page with the filters, the map follows.
    for box in page.locator("input[name=group]").all():
        box.set_checked(box.get_attribute("value") == "burglary")
    page.select_option("#id_hour_from", "22")
    page.select_option("#id_hour_to", "3")
    with page.expect_navigation():
        page.click("#crime-filters button[type=submit]")
    page.wait_for_selector("#crime-map[data-shown]", timeout=15_000)
    after = (page.get_attribute("#crime-map", "data-kind"), int(page.get_attribute("#crime-map", "data-shown")))
    assert after != before and 1 <= after[1] <= 2
    assert "Offenses 1 to 2 of 2" in page.inner_text("#crime-rows caption")
    assert "hour_from=22" in page.get_attribute("#download-csv", "href")

    # Zoomed in far enough, the generalised points replace the hexagons.
    page.evaluate("() => { const m = document.getElementById('crime-map'); m.removeAttribute('data-shown'); }")
    page.locator("#crime-map").dblclick()
    for _ in range(4):
        page.keyboard.press("Equal")  # Leaflet's keyboard zoom-in, on the focused map
    page.wait_for_function("() => document.getElementById('crime-map').dataset.kind === 'points'", timeout=15_000)

    others = [url for url in requests if urlparse(url).netloc not in (ours, "")]
    assert others == [], others
    context.close()


def test_each_neighborhood_is_labelled_and_the_chosen_one_is_framed_and_highlighted(live_server, browser, agency):
    from safecommons.crimedata.tests.test_public_api import PERIOD, build_world

    world = build_world(agency)
    world["river"].name = "River <b>side</b>"  # a name is text, never markup
    world["river"].save(update_fields=["name"])
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/crime/map/?start={PERIOD['start']}&end={PERIOD['end']}")
    page.wait_for_selector("#crime-map[data-shown]", timeout=15_000)
    labels = page.locator("#crime-map .crime-area-label")
    assert sorted(labels.all_inner_texts()) == ["River <b>side</b>", "West End"]
    assert page.locator("#crime-map .crime-area-label b").count() == 0
    zoom_all = page.evaluate("() => document.querySelector('#crime-map').dataset.framed || ''")
    assert zoom_all == ""

    west = world["west"].pk
    page.select_option("#id_area", str(west))
    with page.expect_navigation():
        page.click("#crime-filters button[type=submit]")
    page.wait_for_selector(f"#crime-map[data-framed='{west}']", timeout=15_000)
    chosen = page.locator("#crime-map .crime-area-label.crime-area-chosen")
    assert chosen.all_inner_texts() == ["West End"]
    # The chosen outline is drawn solid and thicker than the others.
    widths = page.eval_on_selector_all("#crime-map path.leaflet-interactive[stroke='#1f4e8c']",
                                       "paths => paths.map(p => p.getAttribute('stroke-width'))")
    assert widths == ["3.5"]
    context.close()
