"""Logs and error reports that never hold who a visitor is.

The platform keeps no client address, forwarded-for header or user agent anywhere, logs included: the
server's access log and its websocket lines are written with "-" in place of the address, and error
reports leave out the request's headers, cookies, form fields, the signed-in user and the variables of
each frame (a tip's text or a passphrase must not travel by email either).
"""

import logging

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter


class NoClientAddress(logging.Filter):
    """uvicorn's access lines, and its websocket lines ('%s - "WebSocket %s" …'), start with the client."""

    def filter(self, record: logging.LogRecord) -> bool:
        names_client = record.name == "uvicorn.access" or str(record.msg).startswith('%s - "WebSocket')
        if names_client and isinstance(record.args, tuple) and record.args:
            record.args = ("-", *record.args[1:])
        return True


class PrivateExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports (and the DEBUG error page) without request headers, cookies, form fields or locals."""

    def get_safe_request_meta(self, request):
        return {}

    def get_safe_cookies(self, request):
        return {}

    def get_post_parameters(self, request):
        return {}

    def get_traceback_frame_variables(self, request, tb_frame):
        return []


class PrivateExceptionReporter(ExceptionReporter):
    """Nor who was signed in, nor the query string."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        data.pop("user_str", None)
        data.pop("request_GET_items", None)
        if self.request is not None:
            data["request_insecure_uri"] = self.request.path  # without the query string
        return data
