"""The alerts API under /api/alerts: one router per part."""

from ninja import Router

from safecommons.alerts.api import alerts, delivery, newsletters, subscriptions

router = Router()
for part in (subscriptions, alerts, delivery, newsletters):
    router.add_router("", part.router)
