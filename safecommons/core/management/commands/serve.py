import os

import uvicorn
from django.core.management.base import BaseCommand

# uvicorn's sans-I/O websocket protocol: a message goes to the socket without waiting when there is room in
# its buffer, so the live incident stream writes to all its watchers in one pass (incidents/broadcast.py).
WEBSOCKET_PROTOCOL = "websockets-sansio"


class Command(BaseCommand):
    help = "Serve the site (HTTP and websockets) with uvicorn; the embedded default also runs its worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args, host, port, **options):
        # log_config=None: logging is Django's (settings.LOGGING), whose access log names no client.
        uvicorn.run("safecommons.asgi:application", host=host, port=port, lifespan="off", ws=WEBSOCKET_PROTOCOL,
                    log_level="info", log_config=None, proxy_headers=False)
