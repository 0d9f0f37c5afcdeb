"""A share link is a secret in the URL: the server's access log keeps the path without it."""

import logging

from safecommons.core.logging import NoClientAddress


def test_the_access_log_cuts_the_token_out_of_a_share_link():
    token = "eyJ1aWQiOiIx.secret-part:signature"
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("203.0.113.77:5123", "GET", f"/cameras/evidence/shared/{token}/", "1.1", 200), None)
    NoClientAddress().filter(record)
    line = record.getMessage()
    assert token not in line and "203.0.113.77" not in line
    assert '"GET /cameras/evidence/shared/…/ HTTP/1.1" 200' in line
