"""The crime-data API: public."""

from ninja import Router

router = Router(tags=["crime data"])
