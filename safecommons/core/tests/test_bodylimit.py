"""Request bodies over MAX_UPLOAD_BYTES are refused while they arrive, before Django spools them to disk."""

import asyncio

from safecommons.core.bodylimit import BodySizeLimit


async def reading_app(scope, receive, send):
    """Reads the whole body, as Django's ASGI handler does, then answers how much it got."""
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


def run(headers, chunks, limit=100):
    messages = [{"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
                for n, chunk in enumerate(chunks)]
    asked, sent = [], []

    async def receive():
        asked.append(1)
        return messages[len(asked) - 1]

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "PUT", "path": "/api/cameras/evidence/uploads/x", "headers": headers}
    asyncio.run(BodySizeLimit(reading_app, max_bytes=limit)(scope, receive, send))
    return sent, len(asked)


def test_a_body_under_the_limit_goes_through():
    sent, _asked = run([(b"content-length", b"90")], [b"x" * 50, b"x" * 40])
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"90"


def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_read():
    sent, asked = run([(b"content-length", b"5000000000")], [b"x" * 10])
    assert sent[0]["status"] == 413 and asked == 0
    assert b"larger than" in sent[1]["body"]


def test_a_body_that_grows_past_the_limit_is_cut_off_at_that_point():
    chunks = [b"x" * 60] * 10  # chunked, no length declared
    sent, asked = run([], chunks)
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [413]
    assert asked == 2  # the third piece was never asked for
