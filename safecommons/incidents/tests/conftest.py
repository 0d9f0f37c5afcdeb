"""A real ASGI server (HTTP and websockets) for the browser tests of live pages: pytest-django's live_server
speaks WSGI only. It runs in a thread of the test process, so it shares the test database."""

import socket
import threading
import time

import pytest

from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.incidents.tests.factories_alarms import alarm_center, alarm_permit


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    """Emails and other background work run as they are enqueued (after the commit that queues them)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def asgi_server(transactional_db):
    """The base URL of uvicorn serving our ASGI application on 127.0.0.1."""
    import uvicorn

    from safecommons.asgi import application
    from safecommons.core.management.commands.serve import WEBSOCKET_PROTOCOL

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="off",
                                           ws=WEBSOCKET_PROTOCOL, log_level="warning", ws_ping_interval=None))
    thread = threading.Thread(target=server.run, name="test-asgi-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


# --- The alarm exchange: the security company's alarm center, a permit it monitors, and another company's center.


@pytest.fixture
def center(security_company, agency):
    """The security company's alarm center (an API key with alarms:write), under the handoff agreement."""
    handoff_agreement(security_company, agency)
    return alarm_center(security_company)


@pytest.fixture
def permit(security_company, agency):
    return alarm_permit(security_company, agency)


@pytest.fixture
def other_center(agency):
    """Another monitoring company's alarm center, with its own agreement with the agency."""
    from safecommons.partners.models import OrganisationKind
    from safecommons.partners.tests.factories import OrganisationFactory

    other = OrganisationFactory(kind=OrganisationKind.SECURITY_COMPANY, name="Nightwatch Alarms")
    handoff_agreement(other, agency)
    return alarm_center(other)
