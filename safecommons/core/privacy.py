"""Routes whose requests must leave no trace of who made them.

An app registers its anonymous routes (the tip line does, in its AppConfig.ready); middleware that
would otherwise write to the session or set a cookie asks `is_anonymous_request` and stays out.
"""

from __future__ import annotations

import re

from django.http import HttpRequest

_ROUTES: list[tuple[frozenset[str], re.Pattern]] = []


def anonymous_route(methods: set[str], pattern: str) -> None:
    _ROUTES.append((frozenset(methods), re.compile(pattern)))


def is_anonymous_request(request: HttpRequest) -> bool:
    return any(request.method in methods and pattern.match(request.path_info) for methods, pattern in _ROUTES)
