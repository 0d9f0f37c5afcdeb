"""Logs and error reports that never hold who a visitor is.

The platform keeps no client address, forwarded-for header or user agent anywhere, logs included: the
server's access log is written with "-" in place of the address, and error reports leave out the
request's headers and form fields (a tip's text must not travel by email either).
"""

import logging

from django.views.debug import SafeExceptionReporterFilter


class NoClientAddress(logging.Filter):
    """For uvicorn's access log, whose first argument is the client's address and port."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = ("-", *record.args[1:])
        return True


class PrivateExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports (and the DEBUG error page) without request headers or form fields."""

    def get_safe_request_meta(self, request):
        return {}

    def get_post_parameters(self, request):
        return {}
