"""The crime-data API: analytics."""

from ninja import Router

router = Router(tags=["crime data"])
