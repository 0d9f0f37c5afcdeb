import gc
import os
import warnings

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safecommons.settings")
django.setup(set_prefix=False)

from safecommons.core.httphandler import PooledASGIHandler  # noqa: E402  (needs Django set up first)

django_asgi_app = PooledASGIHandler()
# WhiteNoise hands static files over as synchronous iterators, which Django streams correctly under ASGI
# but warns about on every file.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from safecommons.core.bodylimit import BodySizeLimit  # noqa: E402
from safecommons.core.consumers import EventsConsumer  # noqa: E402
from safecommons.incidents.consumers import SOCKET_SEND, AlarmStatusConsumer, IncidentsConsumer  # noqa: E402

if settings.EMBEDDED_WORKER:
    from safecommons.core.worker import embedded_worker_start

    embedded_worker_start()

# Browsers: same-origin only, signed in by their session.
browser_sockets = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter([
    path("ws/events/", EventsConsumer.as_asgi()),
    path("ws/incidents/", IncidentsConsumer.as_asgi()),
])))
# Machines (alarm centers): no Origin to check; an API key in the Authorization header, which no web page
# can set on a WebSocket.
machine_sockets = URLRouter([path("ws/alarms/status/", AlarmStatusConsumer.as_asgi())])


async def websockets(scope, receive, send):
    app = machine_sockets if scope["path"].startswith("/ws/alarms/") else browser_sockets
    # The server's own send, for the live streams' fan-out (incidents/broadcast.py): the middlewares' wrappers
    # of `send` only act on the handshake, and a message to a thousand watchers should not pass through them.
    return await app({**scope, SOCKET_SEND: send}, receive, send)


if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    from safecommons.core.db import sqlite_hold_open

    sqlite_hold_open()

# Everything imported so far lives as long as the process: the collector need not scan it again. Full
# collections otherwise grow with every long-lived object and stall all live connections while they run.
# They also come ten times less often than by default (after 100 collections of the middle generation,
# not 10): with a thousand live connections one takes 100-180 ms here, and after a burst of connections
# the default ran four of them, the last one seconds later, in the middle of the updates
# (docs/benchmarks.md, "Fourth round").
gc.freeze()
gc.set_threshold(*gc.get_threshold()[:2], 100)

application = ProtocolTypeRouter(
    {
        "http": BodySizeLimit(django_asgi_app, max_bytes=settings.MAX_UPLOAD_BYTES),
        "websocket": websockets,
    }
)

