import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safecommons.settings")
django_asgi_app = get_asgi_application()
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

if settings.EMBEDDED_WORKER:
    from safecommons.core.worker import embedded_worker_start

    embedded_worker_start()

application = ProtocolTypeRouter(
    {
        "http": BodySizeLimit(django_asgi_app, max_bytes=settings.MAX_UPLOAD_BYTES),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([path("ws/events/", EventsConsumer.as_asgi())]))
        ),
    }
)
