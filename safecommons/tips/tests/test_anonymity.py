"""Anonymity by construction: what a tipster's connection carries is stored nowhere.

Canary values for the client address, the forwarded-for header and the user agent go in with every
tipster request; afterwards the whole database (task queue included), the media files, the cache and
every log line are searched for them. A second test does the same against the real server process,
reading its output and every file it wrote.
"""

import http.client
import io
import logging
import os
import pickle
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from PIL import Image

from safecommons.core.roles import Role
from safecommons.tips.models import Tip

IP = "203.0.113.77"
FORWARDED = "198.51.100.23"
AGENT = "CanaryBrowser/7.7 (canary-agent-5150)"
CANARIES = [IP, FORWARDED, "canary-agent-5150"]

FORM = {"category": "drugs", "description": "Deals happen by the laundromat on Oak St every evening.",
        "location_kind": "address", "location_text": "120 Oak St"}


class Everything(logging.Handler):
    """Keeps every record, formatted and with all its attributes, from every logger."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record) + " " + repr(record.__dict__))


@pytest.fixture
def all_logs():
    handler = Everything()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(old_level)


def database_dump() -> str:
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (our own table names)
            rows.append(f"{table}: {cursor.fetchall()!r}")
    return "\n".join(rows)


def cache_dump() -> str:
    """Every key and value in the cache: the local-memory one of the embedded default, or Redis."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client()
        return repr([(key, client.dump(key)) for key in client.scan_iter("*")])
    return repr(pickle.dumps(backend._cache))


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "JPEG")
    return SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")


def run_database_worker() -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id="test", excluded_queue_names=[]).run()


def assert_no_canary(where: str, text: str) -> None:
    found = [canary for canary in CANARIES if canary in text]
    assert not found, f"{found} found in {where}"


@pytest.mark.django_db(transaction=True)
def test_no_address_forwarded_for_or_agent_is_stored_logged_or_queued(agency, all_logs, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = Client(REMOTE_ADDR=IP, HTTP_X_FORWARDED_FOR=FORWARDED, HTTP_X_REAL_IP=FORWARDED,
                    HTTP_FORWARDED=f"for={FORWARDED}", HTTP_USER_AGENT=AGENT)
    responses = [client.get("/tips/"), client.post("/tips/", {**FORM, "files": [photo()]})]
    code, passphrase = responses[-1].context["receipt"].code, responses[-1].context["receipt"].passphrase
    api = client.post("/api/tips", {"category": "cyber", "description": "A phishing site copies the city portal."},
                      content_type="application/json")
    responses.append(api)
    responses.append(client.post("/tips/follow-up/", {"code": code, "passphrase": "wrong"}))
    unlocked = client.post("/tips/follow-up/", {"code": code, "passphrase": passphrase})
    responses.append(unlocked)
    responses.append(client.post("/tips/follow-up/reply/", {"access": unlocked.context["access"],
                                                            "body": "One more thing.", "files": [photo()]}))
    responses.append(client.post("/api/tips/follow-up/messages", {**api.json(), "body": "Also this."},
                                 content_type="application/json"))
    responses.append(client.post("/tips/", {"category": "nonsense"}))  # refused input is logged as a 400
    assert [r.status_code for r in responses] == [200, 201, 201, 400, 200, 201, 201, 400]

    for response in responses:
        assert not response.cookies, response.cookies
    assert not client.cookies

    assert_no_canary("the database with the task queue", database_dump())
    run_database_worker()
    assert Tip.objects.filter(processed=True).count() == 2
    assert_no_canary("the database after the tasks ran", database_dump())
    assert_no_canary("the logs", "\n".join(all_logs))
    media = b"".join(p.read_bytes() for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    assert_no_canary("the media files", media.decode("latin-1"))
    assert_no_canary("the cache", cache_dump())


@pytest.mark.django_db
def test_error_reports_leave_out_headers_form_fields_user_and_locals(rf, people):
    from django.views.debug import get_exception_reporter_class

    # Built at run time: the HTML report quotes this test's source lines, and must not match on them.
    words, local, cookie, query = ("-".join(["secret", part]) for part in ("words", "local", "cookie", "query"))
    request = rf.post(f"/tips/?lang={query}", {"description": words}, REMOTE_ADDR=IP, HTTP_USER_AGENT=AGENT,
                      HTTP_COOKIE=f"sessionid={cookie}")
    request.user = people[Role.OFFICER]
    passphrase = local  # noqa: F841  (a local the report must not show)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        reporter = get_exception_reporter_class(request)(request, *sys.exc_info())
        report = reporter.get_traceback_text() + reporter.get_traceback_html()
    assert_no_canary("an error report", report)
    for secret in (words, local, cookie, query, people[Role.OFFICER].email):
        assert secret not in report, secret


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.OFFICER, Role.RESIDENT])
def test_a_signed_in_person_sending_a_tip_leaves_their_session_untouched(client_for, people, agency, role):
    from django.contrib.sessions.models import Session

    client = client_for(people[role])
    client.get("/tips/queue/")  # a staff page writes the session (last seen); the tip pages must not
    key = client.cookies["sessionid"].value
    before = Session.objects.get(session_key=key).session_data
    time.sleep(1.1)  # "last seen" counts seconds: a write now would change the row
    responses = [client.post("/tips/", FORM), client.post("/api/tips", {"category": "other", "description":
                 "Ten characters and more."}, content_type="application/json"), client.get("/tips/follow-up/")]
    assert [r.status_code for r in responses] == [201, 201, 200]
    assert all(not r.cookies for r in responses)
    assert Session.objects.get(session_key=key).session_data == before


def test_with_a_tile_server_set_the_tip_form_still_talks_to_nobody_else(client, settings, db):
    from django.test import override_settings

    with override_settings(MAP_TILE_URL="https://tiles.example.org/{z}/{x}/{y}.png"):
        page = Client().get("/tips/")
    assert "tiles.example.org" not in page["Content-Security-Policy"]
    assert "tiles.example.org" not in page.content.decode()


def test_websocket_lines_in_the_server_log_name_no_client():
    from safecommons.core.logging import NoClientAddress

    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" [accepted]',
                               ("203.0.113.77:5123", "/ws/events/"), None)
    NoClientAddress().filter(record)
    assert IP not in record.getMessage()
    startup = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, "Uvicorn running on %s://%s:%d",
                                ("http", "127.0.0.1", 8000), None)
    NoClientAddress().filter(startup)
    assert startup.getMessage() == "Uvicorn running on http://127.0.0.1:8000"


# --- The real server, its output and its files


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request_from_canary(port: int, method: str, path: str, body: str, content_type: str) -> int:
    # Any 127.x.y.z is this machine, so the server sees a distinctive client address.
    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(IP_LOOPBACK, 0))
    connection_.request(method, path, body=body.encode(), headers={
        "Content-Type": content_type, "User-Agent": AGENT, "X-Forwarded-For": FORWARDED,
        "X-Real-IP": FORWARDED,
    })
    response = connection_.getresponse()
    response.read()
    connection_.close()
    return response.status


IP_LOOPBACK = "127.83.41.29"


@pytest.mark.skipif(sys.platform != "linux", reason="needs the whole 127.0.0.0/8 on loopback")
def test_the_real_server_keeps_no_trace_of_the_client(tmp_path):
    from urllib.parse import urlencode

    env = {**os.environ, "VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": "", "REDIS_URL": "",
           "TASKS_BACKEND": "database", "EMBEDDED_WORKER": "true", "DEBUG": "false", "LOG_LEVEL": "DEBUG"}
    manage = [sys.executable, str(Path(__file__).resolve().parents[3] / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
    subprocess.run([*manage, "shell", "-c", "from safecommons.partners.models import Organisation; "
                    "Organisation.objects.create(kind='agency', name='Canary Police')"], env=env, check=True)
    port = free_port()
    log = tmp_path / "server.log"
    with open(log, "wb") as output:
        server = subprocess.Popen([*manage, "serve", "--port", str(port)], env=env, stdout=output,
                                  stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            form = request_from_canary(port, "POST", "/tips/", urlencode(FORM), "application/x-www-form-urlencoded")
            api = request_from_canary(port, "POST", "/api/tips", '{"category": "other", "description": "Ten '
                                      'characters and more."}', "application/json")
            assert (form, api) == (201, 201)
            database = tmp_path / "var" / "safecommons.sqlite3"
            while time.monotonic() < deadline:  # the embedded worker routes and relates both tips
                with sqlite3.connect(database) as db:
                    if db.execute("SELECT count(*) FROM tips_tip WHERE processed").fetchone()[0] == 2:
                        break
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=20)
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    text = written.decode("latin-1")
    assert "POST /tips/" in log.read_text()  # the access log was on
    assert IP_LOOPBACK not in text, "the client's address was written somewhere"
    assert_no_canary("the server's output and files", text)
