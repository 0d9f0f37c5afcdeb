"""API: live."""

from ninja import Router

router = Router(tags=["cameras"])
