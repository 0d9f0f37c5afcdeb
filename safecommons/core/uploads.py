"""Refuse oversized uploads while they stream in, before they reach the disk."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class SizeLimitUploadHandler(FileUploadHandler):
    """First in the handler chain: stops a request whose declared or received size passes MAX_UPLOAD_BYTES."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # The parser only honours StopUpload from the chunk loop, so a too-large declared size is
        # acted on at the first chunk, before anything is written.
        self.received = 0
        self.declared_too_large = bool(content_length and content_length > settings.MAX_UPLOAD_BYTES)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.declared_too_large or self.received > settings.MAX_UPLOAD_BYTES:
            self.request.upload_refused = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None
