"""Background work and realtime events on the real backends: the database queue (embedded default),
and Redis (RQ queue and pub/sub channel layer) where REDIS_URL is set, as in CI."""

import datetime
import json
import os

import pytest
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer
from channels.testing.websocket import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.places.models import Area, AreaImport
from safecommons.places.services import area_import_queue
from safecommons.places.tests.factories import square

REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")


def geojson_upload() -> SimpleUploadedFile:
    features = [{"type": "Feature", "properties": {"name": f"Beat {i}"}, "geometry": square(-93.3 + i * 0.01, 44.9)}
                for i in range(30)]
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    return SimpleUploadedFile("beats.geojson", body, content_type="application/geo+json")


def run_database_worker() -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id="test", excluded_queue_names=[]).run()


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_import_is_queued_and_run_by_the_database_worker(people, agency):
    admin = actor_for_user(people[Role.AGENCY_ADMIN])
    area_import = area_import_queue(actor=admin, agency=agency, kind="beat", uploaded_file=geojson_upload())
    assert AreaImport.objects.get(pk=area_import.pk).status == AreaImport.Status.QUEUED
    run_database_worker()
    area_import.refresh_from_db()
    assert area_import.status == AreaImport.Status.DONE, area_import.message
    assert (area_import.total, area_import.created) == (30, 30)
    assert Area.objects.count() == 30


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_database_and_a_stalled_queue(client, people, agency, time_machine):
    time_machine.move_to(datetime.datetime.now(datetime.UTC), tick=False)
    report = client.get("/healthz").json()
    assert report["database"]["status"] == "ok"
    assert report["worker"] == {"backend": "database", "embedded": False, "queued": 0,
                                "oldest_queued_seconds": 0, "status": "ok"}
    area_import_queue(actor=actor_for_user(people[Role.AGENCY_ADMIN]), agency=agency, kind="beat",
                      uploaded_file=geojson_upload())
    time_machine.shift(300)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"]["status"] == "stalled"
    run_database_worker()
    assert client.get("/healthz").status_code == 200


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_the_rq_backend_runs_the_same_task_through_redis(people, agency):
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    rq_settings = dict(
        TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend"}},
        RQ_QUEUES={"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60}},
        TASKS_BACKEND="rq",
    )
    with override_settings(**rq_settings):  # django-tasks resets its backends on this signal
        queue = django_rq.get_queue("default")
        queue.empty()
        area_import = area_import_queue(actor=actor_for_user(people[Role.AGENCY_ADMIN]), agency=agency,
                                        kind="beat", uploaded_file=geojson_upload())
        assert queue.count == 1
        SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
    area_import.refresh_from_db()
    assert area_import.status == AreaImport.Status.DONE, area_import.message


async def connect(user=None):
    from safecommons.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/events/", headers=[(b"host", b"127.0.0.1"),
                                                                               (b"origin", b"http://127.0.0.1")])
    if user is not None:
        communicator.scope["user"] = user
    return communicator


@pytest.mark.django_db(transaction=True)
def test_a_signed_in_person_receives_events_addressed_to_them_and_strangers_are_refused(people):
    from safecommons.core.events import publish

    async def scenario():
        anonymous = await connect()
        connected, code = await anonymous.connect()
        assert not connected
        resident = await connect(people[Role.RESIDENT])
        assert (await resident.connect())[0]
        officer = await connect(people[Role.OFFICER])
        assert (await officer.connect())[0]
        await _publish_from_thread(publish, f"user.{people[Role.RESIDENT].pk}", {"type": "hello", "n": 1})
        assert await resident.receive_json_from(timeout=2) == {"type": "hello", "n": 1}
        assert await officer.receive_nothing(timeout=0.2)
        await resident.disconnect()
        await officer.disconnect()

    async_to_sync(scenario)()


async def _publish_from_thread(publish, group, event):
    # The embedded worker publishes from its own thread, not the server's loop.
    from asgiref.sync import sync_to_async

    await sync_to_async(publish, thread_sensitive=False)(group, event)


@needs_redis
def test_the_redis_layer_carries_events_between_processes():
    from channels_redis.pubsub import RedisPubSubChannelLayer

    async def scenario():
        receiver = RedisPubSubChannelLayer(hosts=[REDIS_URL])
        sender = RedisPubSubChannelLayer(hosts=[REDIS_URL])  # another process would hold its own connection
        channel = await receiver.new_channel()
        await receiver.group_add("user.42", channel)
        await sender.group_send("user.42", {"type": "event.message", "event": {"type": "ping"}})
        message = await receiver.receive(channel)
        assert message["event"] == {"type": "ping"}
        await receiver.flush()
        await sender.flush()

    async_to_sync(scenario)()


def test_the_embedded_default_uses_the_in_process_layer():
    from channels.layers import get_channel_layer

    if not REDIS_URL:
        assert isinstance(get_channel_layer(), InMemoryChannelLayer)
