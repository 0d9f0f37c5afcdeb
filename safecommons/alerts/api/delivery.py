"""The alerts API: delivery."""

from ninja import Router

router = Router(tags=["alerts"])
