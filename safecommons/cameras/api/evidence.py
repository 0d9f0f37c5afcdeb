"""API: evidence."""

from ninja import Router

router = Router(tags=["cameras"])
