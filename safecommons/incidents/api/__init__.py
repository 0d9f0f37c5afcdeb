"""The incident API under /api/incidents: one router per part."""

from ninja import Router

from safecommons.incidents.api import alarms, commendations, operator, police

router = Router()
for part in (operator, police, alarms, commendations):
    router.add_router("", part.router)
