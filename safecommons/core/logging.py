"""Logs and error reports that never hold who a visitor is.

The platform keeps no client address, forwarded-for header or user agent anywhere, logs included: the
server's access log and its websocket lines are written with "-" in place of the address, and error
reports leave out the request's headers, cookies, form fields, the signed-in user and the variables of
each frame (a tip's text or a passphrase must not travel by email either).
"""

import logging
import re

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

# Paths that carry a secret (a share link's signed token): logged with the secret cut out.
SECRET_PATHS = re.compile(r"^(/cameras/evidence/shared/)[^/?]+")


class NoClientAddress(logging.Filter):
    """uvicorn's access lines, and its websocket lines ('%s - "WebSocket %s" …'), start with the client;
    access lines then carry the method and the path, which may hold a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        names_client = record.name == "uvicorn.access" or str(record.msg).startswith('%s - "WebSocket')
        if names_client and isinstance(record.args, tuple) and record.args:
            args = ["-", *record.args[1:]]
            if record.name == "uvicorn.access" and len(args) > 2 and isinstance(args[2], str):
                args[2] = SECRET_PATHS.sub(r"\1…", args[2])
            record.args = tuple(args)
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
