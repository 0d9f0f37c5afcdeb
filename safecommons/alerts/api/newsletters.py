"""The alerts API: newsletters."""

from ninja import Router

router = Router(tags=["alerts"])
