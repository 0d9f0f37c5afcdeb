"""The tip line in real headless Chromium: send a tip, keep the receipt, staff reply, come back and read it."""

import os
from urllib.parse import urlparse

import pytest

from safecommons.accounts.models import User

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def demo_city(transactional_db):
    from safecommons.demo.city import demo_city_load

    demo_city_load()


@pytest.fixture
def analyst_session(demo_city) -> str:
    """A verified staff session for the demo analyst, made before the browser's event loop starts."""
    from django.test import Client

    from safecommons.conftest import sign_in

    client = sign_in(Client(), User.objects.get(email="analyst@riverton.example"))
    return client.cookies["sessionid"].value


def watch_other_hosts(page, origin: str) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: urlparse(request.url).netloc not in (origin, "") and seen.append(request.url))
    return seen


def test_a_tipster_sends_a_tip_keeps_the_receipt_and_reads_the_staff_reply(analyst_session, live_server, browser):
    origin = urlparse(live_server.url).netloc

    # 1. The tipster, on a phone-sized screen, picks the place on the map.
    tipster = browser.new_context(viewport={"width": 390, "height": 844})
    page = tipster.new_page()
    other_hosts = watch_other_hosts(page, origin)
    page.goto(f"{live_server.url}/tips/")
    assert "In an emergency, call 911." in page.locator(".emergency").inner_text()
    page.get_by_label("What is it about?").select_option("vehicle_theft")
    page.get_by_label("What happened?").fill("Two people tried car doors along the street at 3 am.")
    page.locator(".area-label").first.wait_for()
    page.locator("#tip-map").scroll_into_view_if_needed()
    box = page.locator("#tip-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    assert page.locator("[name=lat]").input_value() != ""
    assert page.locator("[name=location_kind][value=map]").is_checked()
    page.get_by_role("button", name="Send the tip").click()
    code = page.locator("#tip-code").inner_text()
    passphrase = page.locator("#tip-passphrase").inner_text()
    assert "There is no way to recover them." in page.content()
    assert tipster.cookies() == []
    tipster.close()

    # 2. An analyst finds it in the queue and asks a question.
    staff = browser.new_context()
    staff.add_cookies([{"name": "sessionid", "value": analyst_session, "url": live_server.url}])
    desk = staff.new_page()
    desk.goto(f"{live_server.url}/tips/queue/?category=vehicle_theft")
    desk.locator("tbody a").first.click()
    assert "Two people tried car doors" in desk.content()
    desk.get_by_label("Message to the tipster").fill("Thank you. Did you see which way they went?")
    desk.get_by_label("This is a question for the tipster to answer").check()
    desk.get_by_role("button", name="Send to the tipster").click()
    desk.get_by_text("The tipster sees it when they come back").wait_for()
    staff.close()

    # 3. The tipster comes back with the receipt, in a fresh browser, reads the question and answers it.
    again = browser.new_context(viewport={"width": 390, "height": 844})
    page = again.new_page()
    other_hosts += watch_other_hosts(page, origin)
    page.goto(f"{live_server.url}/tips/follow-up/")
    page.get_by_label("Tip code").fill(code)
    page.get_by_label("Passphrase").fill(passphrase)
    page.get_by_role("button", name="Open my tip").click()
    assert "Did you see which way they went?" in page.locator(".conversation").inner_text()
    page.get_by_label("Your message or more information").fill("Towards the river, on foot.")
    page.get_by_role("button", name="Send").click()
    page.locator(".conversation").get_by_text("Towards the river, on foot.").wait_for()
    assert again.cookies() == []
    if screenshot := os.environ.get("SCREENSHOT_PATH"):
        page.screenshot(path=screenshot, full_page=True)
    again.close()
    assert other_hosts == []
