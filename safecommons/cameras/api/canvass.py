"""API: canvass."""

from ninja import Router

router = Router(tags=["cameras"])
