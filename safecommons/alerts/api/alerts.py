"""The alerts API: alerts."""

from ninja import Router

router = Router(tags=["alerts"])
