"""The alerts API: subscriptions."""

from ninja import Router

router = Router(tags=["alerts"])
