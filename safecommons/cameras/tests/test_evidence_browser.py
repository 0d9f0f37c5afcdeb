"""The resumable uploader in real headless Chromium: a file goes up in chunks, one chunk's connection is cut,
the page asks where the server stands and carries on, and the stored file has the same SHA-256."""

import hashlib
import os

import pytest

from safecommons.cameras.models import EvidenceItem
from safecommons.core.audit.models import AuditEntry
from safecommons.core.roles import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
DATA = os.urandom(5 * 1024 + 100)


@pytest.fixture
def officer_session(people) -> str:
    from django.test import Client

    from safecommons.conftest import sign_in

    return sign_in(Client(), people[Role.OFFICER]).cookies["sessionid"].value


def test_an_officer_uploads_in_chunks_through_a_dropped_connection(officer_session, live_server, browser,
                                                                   settings):
    settings.EVIDENCE_CHUNK_BYTES = 1024
    settings.EVIDENCE_MIN_FREE_BYTES = 1024 * 1024
    context = browser.new_context()
    context.add_cookies([{"name": "sessionid", "value": officer_session, "url": live_server.url}])
    page = context.new_page()
    cut = []

    def cut_the_third_chunk(route, request):
        if request.method == "PUT" and request.headers.get("upload-offset") == "2048" and not cut:
            cut.append(request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/cameras/evidence/uploads/*", cut_the_third_chunk)
    page.goto(f"{live_server.url}/cameras/evidence/")
    page.locator("[data-evidence-upload]").get_by_label("Case number").fill("24-004242")
    page.get_by_label("Files").set_input_files(files=[{"name": "porch.mp4", "mimeType": "video/mp4", "buffer": DATA}])
    with page.expect_navigation(timeout=30_000):  # the page reloads when every file is in
        page.get_by_role("button", name="Upload").click()
    assert cut, "the dropped connection was not simulated"
    assert "porch.mp4" in page.content()

    item = EvidenceItem.objects.get()
    assert item.case_number == "24-004242" and item.sha256 == hashlib.sha256(DATA).hexdigest()
    assert AuditEntry.objects.filter(action="evidence.uploaded").count() == 1
    context.close()
