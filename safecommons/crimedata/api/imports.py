"""The crime-data API: imports."""

from ninja import Router

router = Router(tags=["crime data"])
