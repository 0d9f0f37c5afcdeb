"""The crime-data API under /api/crime: one router per part."""

from ninja import Router

from safecommons.crimedata.api import analytics, imports, public

router = Router()
for part in (imports, public, analytics):
    router.add_router("", part.router)
