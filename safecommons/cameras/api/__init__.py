"""The camera API under /api/cameras: one router per part."""

from ninja import Router

from safecommons.cameras.api import canvass, evidence, live, public, registry, requests

router = Router()
for part in (registry, canvass, requests, evidence, live, public):
    router.add_router("", part.router)
