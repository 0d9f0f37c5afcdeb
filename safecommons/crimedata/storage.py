"""Where an uploaded export waits for the background worker: a private folder under VAR_DIR, beside the
media folder, never under it (MEDIA_ROOT may be served to anyone, by Django when DEBUG and by any web server
set up for /media/). Files get random names, readable by the server's own user only, and are removed once
their run has finished; the run keeps the name the analyst gave."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage

KEPT_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}  # the reader tells a workbook by its name, too


def import_storage() -> FileSystemStorage:
    """The storage of uploaded exports (looked up on each use, so that a test's VAR_DIR is followed)."""
    return FileSystemStorage(location=Path(settings.VAR_DIR) / "crime-imports", file_permissions_mode=0o600,
                             directory_permissions_mode=0o700)


def import_file_name(uploaded_name: str) -> str:
    """A random name for a stored export, with the upload's suffix when it is one the reader knows."""
    suffix = Path(uploaded_name).suffix.lower()
    return secrets.token_hex(16) + (suffix if suffix in KEPT_SUFFIXES else "")
