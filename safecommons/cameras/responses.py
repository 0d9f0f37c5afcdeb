"""How evidence leaves the locker over HTTP, one way for pages and the API alike: an original, or an
export package."""

import os

from django.http import FileResponse

from safecommons.cameras.models import EvidenceItem
from safecommons.cameras.services.evidence import ExportPackage


def evidence_file_response(handle, item: EvidenceItem) -> FileResponse:
    """The original as an attachment: never cached, its length and SHA-256 in the headers (the length from
    the item, since a stream from object storage cannot say it), so the receiver can check what arrived."""
    response = FileResponse(handle, as_attachment=True, filename=item.original_name,
                            content_type=item.content_type or "application/octet-stream")
    response["Content-Length"] = str(item.size)
    response["Cache-Control"] = "no-store"
    response["X-Content-SHA256"] = item.sha256
    return response


def export_response(package: ExportPackage) -> FileResponse:
    """Stream the package and let the file go: it is unlinked at once and vanishes when closed."""
    handle = open(package.path, "rb")  # noqa: SIM115  (FileResponse closes it)
    os.unlink(package.path)
    response = FileResponse(handle, as_attachment=True, filename=package.filename, content_type="application/zip")
    response["Cache-Control"] = "no-store"
    response["X-Content-SHA256"] = package.sha256
    return response
